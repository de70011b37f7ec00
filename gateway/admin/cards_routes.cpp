// /api/v1/cards: the company cards (issue 12), each with what the running relay reports of it,
// and the card relay's events and sessions per card, per device and in all.
#include "gateway/admin/card_views.hpp"
#include "gateway/admin/routes.hpp"

namespace dcgw::admin {

namespace {

using codecs::JsonValue;
using codecs::JsonWriter;

constexpr int kLastSessions = 20;

// The members of a CardInput (the read-only members of a Card are taken and ignored, so a GET
// can be sent back); the service checks the number, name, date and locations.
struct ParsedCard {
  std::optional<std::string> number;
  control::CardChanges changes;
};

ParsedCard parseCard(const JsonValue& body, bool create, control::FieldErrors& e) {
  ParsedCard p;
  checkKnown(body,
             {"number", "name", "locationIds", "expiresOn", "expired", "online", "bridge", "reader",
              "inUseBy", "inUseSince", "queueLength", "devices", "lastSessions"},
             e);
  p.number = stringField(body, "number", e, create);
  p.changes.name = stringField(body, "name", e, false);
  if (const JsonValue* l = body.find("locationIds")) {
    std::vector<std::int64_t> ids;
    bool ok = l->isArray();
    if (ok)
      for (const auto& x : l->asArray()) {
        auto n = x.asExactInteger();
        ok = ok && x.isNumber() && n && *n > 0;
        if (ok) ids.push_back(*n);
      }
    if (ok) {
      p.changes.locationIds = std::move(ids);
    } else {
      e.add("locationIds", "an array of location ids (integers)");
    }
  }
  p.changes.expiresOn = stringField(body, "expiresOn", e, create);
  return p;
}

std::string renderCard(Api& api, const store::CompanyCardConfig& c, const LiveSnapshot& live,
                       bool withSessions) {
  const auto users = cardUsers(api);
  const auto mine = users.find(c.number);
  std::string out;
  JsonWriter w(out);
  w.beginObject();
  writeCard(w, c, live, mine == users.end() ? std::vector<std::string>{} : mine->second,
            api.clock.nowMs());
  if (withSessions) {
    w.key("lastSessions");
    w.beginArray();
    for (const auto& s : api.store.cardSessions(c.number, "", kLastSessions))
      writeCardSession(w, s);
    w.endArray();
  }
  w.endObject();
  return out;
}

store::CompanyCardConfig existing(Api& api, const std::string& number) {
  auto c = api.companyCards.get(number);
  if (!c) throw ApiError{404, "no company card '" + number + "'", {}};
  return *c;
}

}  // namespace

void addCardRoutes(RouteTable& t, Api& api) {
  const std::string all = "/api/v1/cards", one = all + "/{number}";
  t.add("GET", all, Role::Reader, [&api](Request& r) {
    const LiveSnapshot live = LiveSnapshot::of(api.cards);
    const auto users = cardUsers(api);
    const std::int64_t now = api.clock.nowMs();
    std::string out;
    JsonWriter w(out);
    w.beginObject();
    w.key("cards");
    w.beginArray();
    for (const auto& c : api.store.companyCards()) {
      const auto mine = users.find(c.number);
      w.beginObject();
      writeCard(w, c, live, mine == users.end() ? std::vector<std::string>{} : mine->second, now);
      w.endObject();
    }
    w.endArray();
    w.endObject();
    return r.reply(200, out);
  });
  t.add("POST", all, Role::Admin, [&api](Request& r) {
    control::FieldErrors e;
    ParsedCard p = parseCard(r.body(), true, e);
    store::CompanyCardConfig c{p.number.value_or(""), p.changes.name.value_or(""),
                               p.changes.locationIds.value_or(std::vector<std::int64_t>{}),
                               p.changes.expiresOn.value_or("")};
    auto created = orThrow(api.companyCards.create(r.caller, c, std::move(e)));
    return r.reply(201, renderCard(api, created, LiveSnapshot::of(api.cards), false));
  });
  t.notAllowed(all);
  t.add("GET", one, Role::Reader, [&api](Request& r) {
    return r.reply(
        200, renderCard(api, existing(api, r.var("number")), LiveSnapshot::of(api.cards), true));
  });
  t.add("PUT", one, Role::Admin, [&api](Request& r) {
    const std::string& number = r.var("number");
    control::FieldErrors e;
    ParsedCard p = parseCard(r.body(), false, e);
    if (p.number && *p.number != number)
      e.add("number", "the number of the path (a card cannot be renumbered)");
    auto after = orThrow(api.companyCards.update(r.caller, number, p.changes, std::move(e)));
    return r.reply(200, renderCard(api, after, LiveSnapshot::of(api.cards), false));
  });
  t.add("DELETE", one, Role::Admin, [&api](Request& r) {
    orThrow(api.companyCards.remove(r.caller, r.var("number")));
    return r.reply(204, "");
  });
  t.notAllowed(one);
  t.add("GET", one + "/events", Role::Reader, [&api](Request& r) {
    store::CardEventFilter f;
    f.card = existing(api, r.var("number")).number;
    return replyCardEvents(r, api, f);
  });
  t.notAllowed(one + "/events");
  t.add("GET", one + "/sessions", Role::Reader, [&api](Request& r) {
    return replyCardSessions(r, api, existing(api, r.var("number")).number, "");
  });
  t.notAllowed(one + "/sessions");
  t.noSuchPath(one + "/**");

  t.add("GET", "/api/v1/card-events", Role::Reader,
        [&api](Request& r) { return replyCardEvents(r, api, store::CardEventFilter{}); });
  t.notAllowed("/api/v1/card-events");

  const std::string device = "/api/v1/devices/{serial}";
  auto known = [&api](const std::string& serial) {
    if (!api.devices.get(serial)) throw ApiError{404, "no device '" + serial + "'", {}};
    return serial;
  };
  t.add("GET", device + "/card-events", Role::Reader, [&api, known](Request& r) {
    store::CardEventFilter f;
    f.serial = known(r.var("serial"));
    return replyCardEvents(r, api, f);
  });
  t.notAllowed(device + "/card-events");
  t.add("GET", device + "/card-sessions", Role::Reader, [&api, known](Request& r) {
    return replyCardSessions(r, api, "", known(r.var("serial")));
  });
  t.notAllowed(device + "/card-sessions");
}

}  // namespace dcgw::admin
