// /api/v1/locations: the JSON of a LocationInput (its shape), then the location control service.
#include "gateway/admin/routes.hpp"

namespace dcgw::admin {

namespace {

using codecs::JsonValue;

store::LocationConfig parseLocation(const JsonValue& body, control::FieldErrors& e) {
  store::LocationConfig l;
  checkKnown(body, {"name", "description", "destinationIds", "id", "devices", "files"}, e);
  if (auto v = stringField(body, "name", e, true)) {
    if (v->empty()) e.add("name", "a name of at least one character");
    l.name = *v;
  }
  if (auto v = stringField(body, "description", e, false)) l.description = *v;
  if (const JsonValue* ds = body.find("destinationIds")) {
    if (!ds->isArray()) {
      e.add("destinationIds", "an array of destination ids");
    } else {
      for (const auto& id : ds->asArray()) {
        auto n = id.asExactInteger();
        if (!id.isNumber() || !n) {
          e.add("destinationIds", "an array of destination ids");
          break;
        }
        l.destinationIds.push_back(*n);
      }
    }
  }
  return l;
}

// `files`: any of its members; errors are named files.MEMBER.
control::LocationFilesPatch parseFiles(const JsonValue& body, control::FieldErrors& e) {
  control::LocationFilesPatch patch;
  const JsonValue* files = body.find("files");
  if (files == nullptr) return patch;
  if (!files->isObject()) {
    e.add("files",
          "an object with naming, timeZone, vehicleUnitDownloadDays, "
          "driverCardDownloadDays");
    return patch;
  }
  control::FieldErrors inner;
  checkKnown(*files, {"naming", "timeZone", "vehicleUnitDownloadDays", "driverCardDownloadDays"},
             inner);
  patch.naming = stringField(*files, "naming", inner, false);
  patch.timeZone = stringField(*files, "timeZone", inner, false);
  const std::string days = "a number of days, 1 to 3650";
  if (auto v = intField(*files, "vehicleUnitDownloadDays", inner, 1, 3650, days))
    patch.vehicleUnitDownloadDays = static_cast<int>(*v);
  if (auto v = intField(*files, "driverCardDownloadDays", inner, 1, 3650, days))
    patch.driverCardDownloadDays = static_cast<int>(*v);
  for (const auto& [field, reason] : inner.list) e.add("files." + field, reason);
  return patch;
}

}  // namespace

void addLocationRoutes(RouteTable& t, Api& api) {
  const std::string all = "/api/v1/locations", one = all + "/{location}";
  t.add("GET", all, Role::Reader, [&api](Request& r) {
    std::string out = "{\"locations\":[";
    bool first = true;
    for (const auto& l : api.store.locations()) {
      if (!first) out += ",";
      first = false;
      out += control::renderLocation(l, api.store.deviceCount(l.id));
    }
    out += "]}";
    return r.reply(200, out);
  });
  t.add("POST", all, Role::Admin, [&api](Request& r) {
    control::FieldErrors e;
    store::LocationConfig l = parseLocation(r.body(), e);
    const auto files = parseFiles(r.body(), e);
    return r.reply(201, render(orThrow(api.locations.create(r.caller, l, std::move(e), files))));
  });
  t.notAllowed(all);
  t.add("GET", one, Role::Reader, [&api](Request& r) {
    const std::int64_t id = r.id("location");
    auto v = api.locations.get(id);
    if (!v) throw ApiError{404, "no location " + std::to_string(id), {}};
    return r.reply(200, render(*v));
  });
  t.add("PUT", one, Role::Admin, [&api](Request& r) {
    control::FieldErrors e;
    store::LocationConfig l = parseLocation(r.body(), e);
    const auto files = parseFiles(r.body(), e);
    return r.reply(
        200,
        render(orThrow(api.locations.update(r.caller, r.id("location"), l, std::move(e), files))));
  });
  t.add("DELETE", one, Role::Admin, [&api](Request& r) {
    orThrow(api.locations.remove(r.caller, r.id("location")));
    return r.reply(204, "");
  });
  t.notAllowed(one);
  t.noSuchPath(one + "/**");
}

}  // namespace dcgw::admin
