// /api/v1/card-bridges: the card bridges (issue 12; schema/card-bridge.md section 2), each with
// whether it is connected now and the cards online at it.
#include "gateway/admin/card_views.hpp"
#include "gateway/admin/routes.hpp"
#include "gateway/control/validation.hpp"

namespace dcgw::admin {

namespace {

using codecs::JsonValue;
using codecs::JsonWriter;

// The members of a CardBridgeInput (the read-only members of a CardBridge are taken and
// ignored, so a GET can be sent back); the service checks the ident, description and key size.
struct ParsedBridge {
  std::optional<std::string> ident;
  control::CardBridgeChanges changes;
};

ParsedBridge parseBridge(const JsonValue& body, bool create, control::FieldErrors& e) {
  ParsedBridge p;
  checkKnown(
      body,
      {"ident", "description", "key", "hasKey", "connected", "address", "connectedSince", "cards"},
      e);
  p.ident = stringField(body, "ident", e, create);
  p.changes.description = stringField(body, "description", e, false);
  if (auto v = stringField(body, "key", e, false)) {
    auto k = control::parseHexKey(*v, "a bridge key");
    if (!k) {
      e.add("key", k.error().expected);
    } else {
      p.changes.key = std::move(*k);
    }
  }
  return p;
}

std::string render(const store::CardBridgeRecord& b, const LiveSnapshot& live,
                   const std::string& generatedKey = "") {
  std::string out;
  JsonWriter w(out);
  writeCardBridge(w, b, live, generatedKey);
  return out;
}

}  // namespace

void addCardBridgeRoutes(RouteTable& t, Api& api) {
  const std::string all = "/api/v1/card-bridges", one = all + "/{ident}";
  t.add("GET", all, Role::Reader, [&api](Request& r) {
    const LiveSnapshot live = LiveSnapshot::of(api.cards);
    std::string out;
    JsonWriter w(out);
    w.beginObject();
    w.key("cardBridges");
    w.beginArray();
    for (const auto& b : api.store.cardBridges()) writeCardBridge(w, b, live);
    w.endArray();
    w.endObject();
    return r.reply(200, out);
  });
  t.add("POST", all, Role::Admin, [&api](Request& r) {
    control::FieldErrors e;
    ParsedBridge p = parseBridge(r.body(), true, e);
    store::CardBridgeConfig b{p.ident.value_or(""), p.changes.description.value_or(""),
                              p.changes.key};
    auto created = orThrow(api.cardBridges.create(r.caller, b, std::move(e)));
    return r.reply(201, render(created.bridge, LiveSnapshot::of(api.cards), created.generatedKey));
  });
  t.notAllowed(all);
  t.add("GET", one, Role::Reader, [&api](Request& r) {
    auto b = api.cardBridges.get(r.var("ident"));
    if (!b) throw ApiError{404, "no card bridge '" + r.var("ident") + "'", {}};
    return r.reply(200, render(*b, LiveSnapshot::of(api.cards)));
  });
  t.add("PUT", one, Role::Admin, [&api](Request& r) {
    const std::string& ident = r.var("ident");
    control::FieldErrors e;
    ParsedBridge p = parseBridge(r.body(), false, e);
    if (p.ident && *p.ident != ident)
      e.add("ident", "the ident of the path (a bridge cannot be renamed)");
    auto after = orThrow(api.cardBridges.update(r.caller, ident, p.changes, std::move(e)));
    return r.reply(200, render(after, LiveSnapshot::of(api.cards)));
  });
  t.add("DELETE", one, Role::Admin, [&api](Request& r) {
    orThrow(api.cardBridges.remove(r.caller, r.var("ident")));
    return r.reply(204, "");
  });
  t.notAllowed(one);
  t.add("POST", one + "/rotate-key", Role::Admin, [&api](Request& r) {
    const std::string& ident = r.var("ident");
    const std::string key = orThrow(api.cardBridges.rotateKey(r.caller, ident));
    std::string out;
    JsonWriter w(out);
    w.beginObject();
    w.key("ident");
    w.string(ident);
    w.key("key");
    w.string(key);
    w.endObject();
    return r.reply(200, out);
  });
  t.notAllowed(one + "/rotate-key");
  t.noSuchPath(one + "/**");
}

}  // namespace dcgw::admin
