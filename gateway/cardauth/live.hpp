// What the admin sees of the card relay as it runs (the registry itself is in the store): which
// cards are online at which bridge, which are in session with which device since when, how
// many trackers wait for each, and which bridges are connected. CardAuth implements it; the
// admin API reads it (null when the card relay is not configured: every card is offline).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/cardauth/relay.hpp"

namespace dcgw::cardauth {

struct BridgeView {
  std::string ident;
  std::string address;      // the connection's peer, "ip:port"
  std::int64_t sinceMs{0};  // logged in at
};

class LiveStatus {
 public:
  virtual ~LiveStatus() = default;
  // The cards the relay knows now: online ones and ones with trackers waiting (CardView in
  // relay.hpp: number, online, bridge, reader, inUseBy, sinceMs, waiting). A registered card
  // not listed is offline, unused and has no queue.
  virtual std::vector<CardView> liveCards() const = 0;
  virtual std::vector<BridgeView> liveBridges() const = 0;  // logged in now
  // The relay's part of /metrics, in Prometheus' text format ("" for none).
  virtual std::string prometheus() const { return {}; }
};

}  // namespace dcgw::cardauth
