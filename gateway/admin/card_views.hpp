// The JSON of the card relay's registry as the admin API shows it (schema/openapi.yaml Card,
// CardBridge, CardSession, CardEvent): the store's configuration joined with what the running
// relay reports (cardauth::LiveStatus; none: every card offline, every bridge disconnected).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "codecs/json.hpp"
#include "gateway/cardauth/live.hpp"
#include "gateway/store/types.hpp"

namespace dcgw::admin {

struct Api;
struct Request;

// One read of the relay's state, so a list shows every card as of the same moment.
struct LiveSnapshot {
  std::map<std::string, cardauth::CardView> cards;
  std::map<std::string, cardauth::BridgeView> bridges;
  static LiveSnapshot of(const cardauth::LiveStatus* status);  // null: nothing live
};

// Card: its configuration, `expired` on the day of nowMs (UTC), the live members, and the
// devices that name it as their company card.
void writeCard(codecs::JsonWriter& w, const store::CompanyCardConfig& c, const LiveSnapshot& live,
               const std::vector<std::string>& devices, std::int64_t nowMs);
// Card bridge: the key only when it was just generated (shown once).
void writeCardBridge(codecs::JsonWriter& w, const store::CardBridgeRecord& b,
                     const LiveSnapshot& live, const std::string& generatedKey = "");
void writeCardSession(codecs::JsonWriter& w, const store::CardSessionRecord& s);
void writeCardEvent(codecs::JsonWriter& w, const store::CardEventRecord& e);

// Card number -> the serials of the devices that name it, by serial.
std::map<std::string, std::vector<std::string>> cardUsers(Api& api);

// A page of the relay's events, newest first (?before=&limit=, as GET /api/v1/audit):
// {"events": [...], "next": id|null}.
int replyCardEvents(Request& r, Api& api, store::CardEventFilter filter);
// Ended sessions, newest first (?limit=, 1 to 500, default 50): {"sessions": [...]}.
int replyCardSessions(Request& r, Api& api, const std::string& card, const std::string& serial);

}  // namespace dcgw::admin
