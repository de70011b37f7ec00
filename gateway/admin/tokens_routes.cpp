// /api/v1/tokens: admins only, reads included.
#include "gateway/admin/routes.hpp"

namespace dcgw::admin {

void addTokenRoutes(RouteTable& t, Api& api) {
  const std::string all = "/api/v1/tokens";
  t.add("GET", all, Role::Admin, [&api](Request& r) {
    std::string out;
    codecs::JsonWriter w(out);
    w.beginObject();
    w.key("tokens");
    w.beginArray();
    for (const auto& x : api.store.tokens()) control::writeToken(w, x, "");
    w.endArray();
    w.endObject();
    return r.reply(200, out);
  });
  t.add("POST", all, Role::Admin, [&api](Request& r) {
    const codecs::JsonValue body = r.body();
    control::FieldErrors e;
    checkKnown(body, {"name", "role"}, e);
    auto name = stringField(body, "name", e, true);
    auto role = stringField(body, "role", e, true);
    auto c =
        orThrow(api.tokens.create(r.caller, name.value_or(""), role.value_or(""), std::move(e)));
    std::string out;
    codecs::JsonWriter w(out);
    control::writeToken(w, c.token, c.secret);
    return r.reply(201, out);
  });
  t.add("DELETE", all + "/{token}", Role::Admin, [&api](Request& r) {
    if (auto done = api.tokens.revoke(r.caller, r.id("token")); !done)
      throw ApiError{404, "no token " + r.var("token"), {}};  // as the path spells it
    return r.reply(204, "");
  });
  t.noSuchPath(all + "/**", Role::Admin);
}

}  // namespace dcgw::admin
