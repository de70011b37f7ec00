// The card relay's registry and log as JSON: configuration from the store, state from the relay.
#include "gateway/admin/card_views.hpp"

#include <limits>

#include "gateway/admin/routes.hpp"
#include "gateway/control/cards.hpp"
#include "gateway/control/views.hpp"

namespace dcgw::admin {

using codecs::JsonWriter;

namespace {

void stringOrNull(JsonWriter& w, const char* key, const std::string& s) {
  w.key(key);
  if (s.empty()) {
    w.null();
  } else {
    w.string(s);
  }
}

}  // namespace

LiveSnapshot LiveSnapshot::of(const cardauth::LiveStatus* status) {
  LiveSnapshot s;
  if (!status) return s;
  for (auto& c : status->liveCards()) s.cards[c.number] = c;
  for (auto& b : status->liveBridges()) s.bridges[b.ident] = b;
  return s;
}

void writeCard(JsonWriter& w, const store::CompanyCardConfig& c, const LiveSnapshot& live,
               const std::vector<std::string>& devices, std::int64_t nowMs) {
  const auto found = live.cards.find(c.number);
  const cardauth::CardView v = found == live.cards.end() ? cardauth::CardView{} : found->second;
  w.key("number");
  w.string(c.number);
  w.key("name");
  w.string(c.name);
  w.key("locationIds");
  w.beginArray();
  for (auto id : c.locationIds) w.integer(id);
  w.endArray();
  w.key("expiresOn");
  w.string(c.expiresOn);
  w.key("expired");
  w.boolean(control::cardExpired(c, nowMs));
  w.key("online");
  w.boolean(v.online);
  stringOrNull(w, "bridge", v.online ? v.bridge : "");
  stringOrNull(w, "reader", v.online ? v.reader : "");
  stringOrNull(w, "inUseBy", v.inUseBy);
  control::writeOptionalTime(w, "inUseSince",
                             v.inUseBy.empty() ? std::nullopt : std::optional(v.sinceMs));
  w.key("queueLength");
  w.integer(static_cast<std::int64_t>(v.waiting));
  w.key("devices");
  w.beginArray();
  for (const auto& serial : devices) w.string(serial);
  w.endArray();
}

void writeCardBridge(JsonWriter& w, const store::CardBridgeRecord& b, const LiveSnapshot& live,
                     const std::string& generatedKey) {
  const auto found = live.bridges.find(b.ident);
  const bool connected = found != live.bridges.end();
  w.beginObject();
  w.key("ident");
  w.string(b.ident);
  w.key("description");
  w.string(b.description);
  w.key("hasKey");
  w.boolean(b.hasKey);
  w.key("connected");
  w.boolean(connected);
  stringOrNull(w, "address", connected ? found->second.address : "");
  control::writeOptionalTime(w, "connectedSince",
                             connected ? std::optional(found->second.sinceMs) : std::nullopt);
  w.key("cards");
  w.beginArray();
  for (const auto& [number, c] : live.cards)
    if (connected && c.online && c.bridge == b.ident) w.string(number);
  w.endArray();
  if (!generatedKey.empty()) {
    w.key("key");
    w.string(generatedKey);
  }
  w.endObject();
}

void writeCardSession(JsonWriter& w, const store::CardSessionRecord& s) {
  w.beginObject();
  w.key("id");
  w.integer(s.id);
  w.key("card");
  w.string(s.card);
  w.key("device");
  w.string(s.serial);
  stringOrNull(w, "bridge", s.bridge);
  w.key("requestedAt");
  w.string(control::formatTimeMs(s.requestedAtMs));
  control::writeOptionalTime(w, "startedAt", s.startedAtMs);
  w.key("endedAt");
  w.string(control::formatTimeMs(s.endedAtMs));
  w.key("durationMs");
  w.integer(s.endedAtMs - s.startedAtMs.value_or(s.requestedAtMs));
  w.key("outcome");
  w.string(s.outcome);
  w.key("apdus");
  w.integer(s.apdus);
  w.endObject();
}

void writeCardEvent(JsonWriter& w, const store::CardEventRecord& e) {
  w.beginObject();
  w.key("id");
  w.integer(e.id);
  w.key("at");
  w.string(control::formatTimeMs(e.atMs));
  stringOrNull(w, "card", e.card);
  stringOrNull(w, "device", e.serial);
  stringOrNull(w, "bridge", e.bridge);
  w.key("code");
  w.string(e.code);
  w.key("text");
  w.string(e.text);
  w.endObject();
}

std::map<std::string, std::vector<std::string>> cardUsers(Api& api) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& d : api.store.devices())
    if (!d.companyCard.empty()) out[d.companyCard].push_back(d.serial);
  return out;
}

int replyCardEvents(Request& r, Api& api, store::CardEventFilter filter) {
  filter.beforeId = 0;
  filter.limit = 100;
  control::FieldErrors e;
  pageParams(r, "before", 1, filter.beforeId, filter.limit, e);
  throwIfAny(e);
  const int limit = filter.limit;
  ++filter.limit;
  auto page = api.store.cardEvents(filter);
  const bool more = static_cast<int>(page.size()) > limit;
  if (more) page.pop_back();
  std::string out;
  JsonWriter w(out);
  w.beginObject();
  w.key("events");
  w.beginArray();
  for (const auto& ev : page) writeCardEvent(w, ev);
  w.endArray();
  writeNext(w, more ? std::optional(page.back().id) : std::nullopt);
  w.endObject();
  return r.reply(200, out);
}

int replyCardSessions(Request& r, Api& api, const std::string& card, const std::string& serial) {
  int limit = 50;
  std::int64_t unused = 0;
  control::FieldErrors e;
  pageParams(r, nullptr, 0, unused, limit, e);
  throwIfAny(e);
  std::string out;
  JsonWriter w(out);
  w.beginObject();
  w.key("sessions");
  w.beginArray();
  for (const auto& s : api.store.cardSessions(card, serial, limit)) writeCardSession(w, s);
  w.endArray();
  w.endObject();
  return r.reply(200, out);
}

}  // namespace dcgw::admin
