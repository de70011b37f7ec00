// /api/v1/drivers: the drivers the gateway has seen with a name (New Driver notifications,
// schema/derived-packets.md section 3), for people: read-only.
#include "gateway/admin/routes.hpp"

namespace dcgw::admin {

void addDriverRoutes(RouteTable& t, Api& api) {
  const std::string all = "/api/v1/drivers";
  t.add("GET", all, Role::Reader, [&api](Request& r) {
    std::string out;
    codecs::JsonWriter w(out);
    w.beginObject();
    w.key("drivers");
    w.beginArray();
    for (const auto& d : api.store.drivers()) {
      w.beginObject();
      w.key("cardNumber");
      w.string(d.cardNumber);
      w.key("surname");
      w.string(d.surname);
      w.key("firstNames");
      w.string(d.firstNames);
      w.key("firstSeenAt");
      w.string(control::formatTimeMs(d.firstSeenAtMs));
      w.key("lastSeenAt");
      w.string(control::formatTimeMs(d.lastSeenAtMs));
      w.key("lastSeenDevice");
      if (d.lastSerial.empty()) {
        w.null();
      } else {
        w.string(d.lastSerial);
      }
      w.endObject();
    }
    w.endArray();
    w.endObject();
    return r.reply(200, out);
  });
  t.noSuchPath(all + "/**", Role::Reader);
}

}  // namespace dcgw::admin
