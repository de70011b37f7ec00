// /api/v1/devices and /api/v1/refused-idents: the JSON of a DeviceInput (its shape), then the
// device control service.
#include "gateway/admin/routes.hpp"
#include "gateway/uplink/auth.hpp"

namespace dcgw::admin {

namespace {

using codecs::JsonValue;

// The members of a DeviceInput; the service checks the location exists and the serial's form.
struct ParsedDevice {
  std::optional<std::string> serial;
  control::DeviceChanges changes;
};

ParsedDevice parseDevice(const JsonValue& body, bool withSerial, control::FieldErrors& e) {
  ParsedDevice p;
  // lastPacketAt is read-only: taken and left alone, so a GET body can be sent back whole.
  checkKnown(body,
             {"serial", "locationId", "registration", "key", "hasKey", "lastSequence",
              "companyCard", "protocol", "family", "lastPacketAt"},
             e);
  if (withSerial) p.serial = stringField(body, "serial", e, true);
  if (const JsonValue* l = body.find("locationId")) {
    if (l->isNull()) {
      p.changes.locationId = std::optional<std::int64_t>{};
    } else if (auto n = l->asExactInteger(); l->isNumber() && n) {
      p.changes.locationId = std::optional<std::int64_t>{*n};
    } else {
      e.add("locationId", "the id of an existing location, or null");
    }
  }
  if (auto v = stringField(body, "registration", e, false)) {
    if (v->size() > 13) e.add("registration", "at most 13 characters");
    p.changes.registration = *v;
  }
  if (const JsonValue* q = body.find("lastSequence")) {
    auto n = q->asExactInteger();
    if (!q->isNumber() || !n || *n < 0 || *n > 4294967295LL) {
      e.add("lastSequence", "an integer from 0 to 4294967295 (0: nothing stored)");
    } else {
      p.changes.lastSequence = static_cast<std::uint32_t>(*n);
    }
  }
  if (auto v = stringField(body, "key", e, false)) {
    auto k = uplink::parseDeviceKey(*v);
    if (!k) {
      e.add("key", k.error().expected);
    } else {
      p.changes.key = std::move(*k);
    }
  }
  // The company card (issue 12): a registered card's number; null or "": none.
  if (const JsonValue* c = body.find("companyCard")) {
    if (c->isNull()) {
      p.changes.companyCard = "";
    } else if (c->isString()) {
      p.changes.companyCard = c->asString();
    } else {
      e.add("companyCard", "the number of a registered company card, or null for none");
    }
  }
  // Teltonika trackers (issue 15); the service checks the values against each other.
  if (auto v = stringField(body, "protocol", e, false)) p.changes.protocol = *v;
  if (const JsonValue* f = body.find("family")) {
    if (f->isNull()) {
      p.changes.family = std::optional<std::string>{};
    } else if (f->isString()) {
      p.changes.family = std::optional<std::string>{f->asString()};
    } else {
      e.add("family", "FMBxxx or FMX6 for a Teltonika device, or null");
    }
  }
  return p;
}

// A new device has stored nothing: its mark can only be set once it exists (PUT).
void newDeviceMark(const ParsedDevice& p, control::FieldErrors& e) {
  if (p.changes.lastSequence && *p.changes.lastSequence != 0)
    e.add("lastSequence", "0 or absent for a new device (reset it with PUT once registered)");
}

store::DeviceConfig toConfig(const ParsedDevice& p) {
  store::DeviceConfig d;
  d.serial = p.serial.value_or("");
  if (p.changes.locationId) d.locationId = *p.changes.locationId;
  if (p.changes.registration) d.registration = *p.changes.registration;
  d.key = p.changes.key;
  d.companyCard = p.changes.companyCard;
  d.protocol = p.changes.protocol;
  if (p.changes.family) d.family = p.changes.family->value_or("");
  return d;
}

int created(Request& r, const control::CreatedDevice& c) {
  return r.reply(201, control::renderDevice(c.device, c.generatedKey));
}

}  // namespace

void addDeviceRoutes(RouteTable& t, Api& api) {
  const std::string all = "/api/v1/devices", one = all + "/{serial}";
  t.add("GET", all, Role::Reader, [&api](Request& r) {
    std::string out = "{\"devices\":[";
    bool first = true;
    for (const auto& d : api.store.devices()) {
      if (!first) out += ",";
      first = false;
      out += control::renderDevice(d);
    }
    out += "]}";
    return r.reply(200, out);
  });
  t.add("POST", all, Role::Admin, [&api](Request& r) {
    control::FieldErrors e;
    ParsedDevice p = parseDevice(r.body(), true, e);
    newDeviceMark(p, e);
    return created(r, orThrow(api.devices.create(r.caller, toConfig(p), std::move(e))));
  });
  t.notAllowed(all);
  t.add("GET", one, Role::Reader, [&api](Request& r) {
    auto d = api.devices.get(r.var("serial"));
    if (!d) throw ApiError{404, "no device '" + r.var("serial") + "'", {}};
    return r.reply(200, control::renderDevice(*d));
  });
  t.add("PUT", one, Role::Admin, [&api](Request& r) {
    const std::string& serial = r.var("serial");
    const JsonValue body = r.body();
    control::FieldErrors e;
    ParsedDevice p = parseDevice(body, false, e);
    if (auto s = body.find("serial"); s && (!s->isString() || s->asString() != serial))
      e.add("serial", "the serial of the path (a device cannot be renamed)");
    return r.reply(200, control::renderDevice(orThrow(
                            api.devices.update(r.caller, serial, p.changes, std::move(e)))));
  });
  t.add("DELETE", one, Role::Admin, [&api](Request& r) {
    orThrow(api.devices.remove(r.caller, r.var("serial")));
    return r.reply(204, "");
  });
  t.notAllowed(one);
  t.add("POST", one + "/key", Role::Admin, [&api](Request& r) {
    const std::string& serial = r.var("serial");
    const std::string key = orThrow(api.devices.rotateKey(r.caller, serial));
    std::string out;
    codecs::JsonWriter w(out);
    w.beginObject();
    w.key("serial");
    w.string(serial);
    w.key("key");
    w.string(key);
    w.endObject();
    return r.reply(200, out);
  });
  t.notAllowed(one + "/key");

  const std::string refused = "/api/v1/refused-idents";
  t.add("GET", refused, Role::Reader, [&api](Request& r) {
    std::string out;
    codecs::JsonWriter w(out);
    w.beginObject();
    w.key("refusedIdents");
    w.beginArray();
    for (const auto& x : api.store.refusedIdents()) {
      w.beginObject();
      w.key("serial");
      w.string(x.serial);
      w.key("address");
      w.string(x.address);
      w.key("reason");
      w.string(x.reason);
      w.key("firstAt");
      w.string(control::formatTimeMs(x.firstAtMs));
      w.key("lastAt");
      w.string(control::formatTimeMs(x.atMs));
      w.key("attempts");
      w.integer(x.attempts);
      w.endObject();
    }
    w.endArray();
    w.endObject();
    return r.reply(200, out);
  });
  t.add("POST", refused + "/{serial}/register", Role::Admin, [&api](Request& r) {
    const JsonValue body = r.body();
    control::FieldErrors e;
    ParsedDevice p = parseDevice(body, false, e);
    if (body.find("serial")) e.add("serial", "given in the path");
    newDeviceMark(p, e);
    return created(r, orThrow(api.devices.registerRefused(r.caller, r.var("serial"), toConfig(p),
                                                          std::move(e))));
  });
  t.notAllowed(refused + "/{serial}/register");
}

}  // namespace dcgw::admin
