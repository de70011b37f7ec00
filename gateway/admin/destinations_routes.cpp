// /api/v1/destinations: the JSON of a DestinationInput into settings (its shape), then the
// destination control service.
#include <algorithm>

#include "adapters/methods.hpp"
#include "codecs/packets/registry.hpp"
#include "gateway/admin/routes.hpp"

namespace dcgw::admin {

namespace {

using codecs::JsonValue;

// Every bad member is reported, not only the first; the service adds the adapters' checks.
store::DestinationConfig parseDestination(const JsonValue& body, control::FieldErrors& e) {
  store::DestinationConfig d;
  checkKnown(body,
             {"name", "method", "host", "port", "format", "customTags", "filter", "enabled",
              "tlsVerify", "tlsCaFile", "replyTimeoutMs", "id", "paused", "locationIds"},
             e);
  if (auto v = stringField(body, "name", e, true)) {
    if (v->empty()) e.add("name", "a name of at least one character");
    d.settings.name = *v;
  }
  if (auto v = stringField(body, "method", e, true)) {
    if (auto m = adapters::parseMethod(*v)) {
      d.settings.method = std::string(adapters::methodName(*m));
    } else {
      e.add("method", adapters::methodNameList() + ", not '" + *v + "'");
    }
  }
  if (auto v = stringField(body, "host", e, true)) d.settings.host = *v;
  // 0 or null is "no port" (REST/SOAP); the methods that need one then report it missing.
  if (const JsonValue* p = body.find("port"); p && !p->isNull() && p->asExactInteger() != 0) {
    if (auto v = intField(body, "port", e, 1, 65535, "a port number from 1 to 65535"))
      d.settings.port = static_cast<std::uint16_t>(*v);
  }
  if (auto v = stringField(body, "format", e, false)) {
    if (auto f = adapters::parseDataFormat(*v)) {
      d.settings.format = std::string(adapters::dataFormatName(*f));
    } else {
      e.add("format", "base64binary or hex, not '" + *v + "'");
    }
  }
  if (auto v = stringField(body, "customTags", e, false)) d.settings.customTags = *v;
  if (const JsonValue* f = body.find("filter"); f && !f->isNull()) {
    if (!f->isArray()) {
      e.add("filter", "null (every packet) or an array of filter keys");
    } else {
      d.filter = std::vector<std::string>{};
      std::string unknown;
      for (const auto& k : f->asArray()) {
        if (!k.isString() || !codecs::isFilterKey(k.asString().c_str(), k.asString().size())) {
          unknown += (unknown.empty() ? "'" : ", '") + (k.isString() ? k.asString() : "?") + "'";
          continue;
        }
        if (std::find(d.filter->begin(), d.filter->end(), k.asString()) == d.filter->end())
          d.filter->push_back(k.asString());
      }
      if (!unknown.empty())
        e.add("filter", "filter keys of /api/v1/filter-keys; unknown: " + unknown);
    }
  }
  if (auto v = boolField(body, "enabled", e)) d.enabled = *v;
  if (auto v = boolField(body, "tlsVerify", e)) d.settings.tlsVerify = *v;
  if (auto v = stringField(body, "tlsCaFile", e, false)) d.settings.tlsCaFile = *v;
  if (auto v = intField(body, "replyTimeoutMs", e, 1, 600'000, "milliseconds from 1 to 600000"))
    d.settings.replyTimeoutMs = *v;
  return d;
}

}  // namespace

void addDestinationRoutes(RouteTable& t, Api& api) {
  const std::string all = "/api/v1/destinations", one = all + "/{destination}";
  t.add("GET", all, Role::Reader, [&api](Request& r) {
    std::string out = "{\"destinations\":[";
    bool first = true;
    for (const auto& d : api.store.destinations()) {
      if (!first) out += ",";
      first = false;
      out += control::renderDestination(d, api.store.locationsOf(d.id));
    }
    out += "]}";
    return r.reply(200, out);
  });
  t.add("POST", all, Role::Admin, [&api](Request& r) {
    control::FieldErrors e;
    store::DestinationConfig d = parseDestination(r.body(), e);
    return r.reply(201, render(orThrow(api.destinations.create(r.caller, d, std::move(e)))));
  });
  t.notAllowed(all);
  t.add("GET", one, Role::Reader, [&api](Request& r) {
    const std::int64_t id = r.id("destination");
    auto v = api.destinations.get(id);
    if (!v) throw ApiError{404, "no destination " + std::to_string(id), {}};
    return r.reply(200, render(*v));
  });
  t.add("PUT", one, Role::Admin, [&api](Request& r) {
    const JsonValue body = r.body();
    control::FieldErrors e;
    store::DestinationConfig d = parseDestination(body, e);
    return r.reply(
        200,
        render(orThrow(api.destinations.update(r.caller, r.id("destination"), d, std::move(e)))));
  });
  t.add("DELETE", one, Role::Admin, [&api](Request& r) {
    orThrow(api.destinations.remove(r.caller, r.id("destination")));
    return r.reply(204, "");
  });
  t.notAllowed(one);
  for (const bool enable : {true, false}) {
    const std::string path = one + (enable ? "/enable" : "/disable");
    t.add("POST", path, Role::Admin, [&api, enable](Request& r) {
      return r.reply(
          200, render(orThrow(api.destinations.setEnabled(r.caller, r.id("destination"), enable))));
    });
    t.notAllowed(path);
  }
  t.noSuchPath(one + "/**");
}

}  // namespace dcgw::admin
