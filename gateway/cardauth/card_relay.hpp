// The card relay as `dcgw serve` runs it: the registry read from the store (cached, reloaded
// from the change feed), the relay's log kept in the store, the uplink channel for the card
// frames and the card-bridge listener. Construct it before the uplink listener (its channel
// must outlive the listener), register channel() with it, start it after the listener.
#pragma once

#include <memory>

#include "gateway/cardauth/card_log_writer.hpp"
#include "gateway/cardauth/service.hpp"
#include "gateway/cardauth/store_registry.hpp"
#include "gateway/common/change_feed.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::cardauth {

class CardRelay {
 public:
  CardRelay(store::Backend& store, common::Clock& clock, CardAuthOptions options,
            common::ChangeFeed* feed);
  ~CardRelay();

  CardAuth& auth() { return auth_; }
  const CardAuth& auth() const { return auth_; }
  // Starts the card-bridge listener (throws std::runtime_error naming what failed) and follows
  // the change feed: a card's, a device's or a location's change reloads the registry and
  // re-judges the card; a bridge's new key or removal closes its connection.
  void start(std::shared_ptr<uplink::Outbox> trackers);
  void stop();
  CardLogWriter& log() { return log_; }

 private:
  void onChanges(const std::vector<common::Change>& changes);

  common::ChangeFeed* feed_;
  StoreRegistry registry_;
  CardLogWriter log_;
  CardAuth auth_;
  common::ChangeFeed::Subscription subscription_;  // first to go: no change reaches a stopped relay
};

}  // namespace dcgw::cardauth
