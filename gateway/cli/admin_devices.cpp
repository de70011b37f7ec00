// `dcgw devices ...`: list, refused idents, show, create, update, delete, rotate-key,
// reset-sequence, register.
#include "gateway/cli/admin_internal.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>
#include <string_view>

#include "adapters/methods.hpp"

namespace dcgw::cli::admin_impl {

codecs::Result<Object> deviceChanges(const AdminInvocation& inv) {
  Object p;
  if (const std::string* v = value(inv, "--serial")) {
    if (v->empty()) return argError("--serial", "--serial must not be empty");
    put(p, "serial", JsonValue::makeString(*v));
  }
  if (const std::string* v = value(inv, "--location")) {
    long long id = 0;
    if (*v == "none") {
      put(p, "locationId", JsonValue());
    } else if (parseInt(*v, 1, INT64_MAX, id)) {
      put(p, "locationId", jsonInt(id));
    } else {
      return argError("--location", "--location must be a location ID or none, not '" + *v + "'");
    }
  }
  if (const std::string* v = value(inv, "--registration"))
    put(p, "registration", JsonValue::makeString(*v));
  if (const std::string* v = value(inv, "--key")) put(p, "key", JsonValue::makeString(*v));
  if (codecs::Status s = companyCardChange(inv, p); !s) return s.error();
  // Teltonika trackers (issue 15): the gateway checks the values (an IMEI serial, no key).
  if (const std::string* v = value(inv, "--protocol")) {
    if (*v != "dcgw" && *v != "teltonika")
      return argError("--protocol", "--protocol must be dcgw or teltonika, not '" + *v + "'");
    put(p, "protocol", JsonValue::makeString(*v));
  }
  if (const std::string* v = value(inv, "--family")) {
    if (v->empty()) return argError("--family", "--family must be FMBxxx, FMX6 or none");
    put(p, "family", *v == "none" ? JsonValue() : JsonValue::makeString(*v));
  }
  return p;
}

int Runner::devices(const std::string& v) {
  const std::string base = "/api/v1/devices";
  if (v == "list") {
    // A person reads a location by its name, and needs its id for --location: "Depot (1)".
    std::map<std::string, std::string> names;
    if (!inv_.json) {
      auto locations = call("GET", "/api/v1/locations");
      if (!locations) return exit_;
      if (const JsonValue* all = locations->json.find("locations"); all && all->isArray())
        for (const auto& l : all->asArray()) names[cell(l, "id")] = cell(l, "name");
    }
    return list(base, "devices",
                {{"SERIAL"},
                 {"PROTOCOL"},
                 {"LOCATION"},
                 {"REGISTRATION"},
                 {"KEY"},
                 {"LAST SEQ", true},
                 {"COMPANY CARD"}},
                [&names](const JsonValue& d) {
                  const std::string id = cell(d, "locationId");
                  const auto name = names.find(id);
                  // "teltonika FMX6": the family says what its IO ids mean.
                  std::string protocol = cell(d, "protocol");
                  if (const JsonValue* f = d.find("family"); f && f->isString())
                    protocol += " " + f->asString();
                  return std::vector<std::string>{
                      cell(d, "serial"),
                      protocol,
                      name == names.end() ? id : name->second + " (" + id + ")",
                      cell(d, "registration"),
                      cell(d, "hasKey"),
                      cell(d, "lastSequence"),
                      cell(d, "companyCard")};
                });
  }
  if (v == "refused")
    return list("/api/v1/refused-idents", "refusedIdents",
                {{"SERIAL"}, {"ADDRESS"}, {"ATTEMPTS", true}, {"FIRST"}, {"LAST"}, {"REASON"}},
                [](const JsonValue& r) {
                  return std::vector<std::string>{cell(r, "serial"),   cell(r, "address"),
                                                  cell(r, "attempts"), cell(r, "firstAt"),
                                                  cell(r, "lastAt"),   cell(r, "reason")};
                });
  if (v == "show") return show(base + "/" + op_);
  if (v == "card-events") return cardEvents(base + "/" + op_ + "/card-events");
  if (v == "card-sessions") return cardSessions(base + "/" + op_ + "/card-sessions");
  if (v == "delete") return remove(base + "/" + op_, "deleted device " + inv_.operand);
  if (v == "rotate-key") {
    auto a = call("POST", base + "/" + op_ + "/key");
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    const JsonValue* key = a->json.find("key");
    if (!key || !key->isString()) return unexpected(*a, "no 'key'");
    out_ << key->asString() << '\n';
    err_ << "new key of device " << inv_.operand
         << ": shown only this once; give it to the tracker before it next logs in\n";
    return kAdminOk;
  }
  if (v == "reset-sequence") {
    long long to = 0;
    if (const std::string* t = value(inv_, "--to"); t && !parseInt(*t, 0, 4294967295LL, to))
      return badArgs(
          argError("--to", "--to must be a sequence from 0 to 4294967295, not '" + *t + "'"));
    Object body;
    put(body, "lastSequence", jsonInt(to));
    auto a = call("PUT", base + "/" + op_, toJson(JsonValue::makeObject(body)));
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    out_ << "reset the sequence of device " << inv_.operand << " to " << to << '\n';
    renderObject(a->json, out_);
    return kAdminOk;
  }
  auto changes = deviceChanges(inv_);
  if (!changes) return badArgs(changes.error());
  if (v == "create") return create(base, *changes, "device", "serial");
  if (v == "update" || v == "set") {
    // PUT replaces the device; the key is write-only and kept when absent, so only a given
    // --key is sent.
    return update(base + "/" + op_, *changes, {"locationId", "registration"});
  }
  if (v == "register") {
    auto a = call("POST", "/api/v1/refused-idents/" + op_ + "/register",
                  toJson(JsonValue::makeObject(*changes)));
    if (!a) return exit_;
    if (inv_.json) return printRaw(*a);
    out_ << "registered device " << inv_.operand << '\n';
    renderObject(a->json, out_);
    if (a->json.find("key"))
      err_ << "the generated key is shown only this once; give it to the tracker\n";
    return kAdminOk;
  }
  return kAdminBadArgs;
}

}  // namespace dcgw::cli::admin_impl
