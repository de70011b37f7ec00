// CardRelay: the card relay's parts wired to the store and the change feed.
#include "gateway/cardauth/card_relay.hpp"

namespace dcgw::cardauth {

CardRelay::CardRelay(store::Backend& store, common::Clock& clock, CardAuthOptions options,
                     common::ChangeFeed* feed)
    : feed_(feed),
      registry_(store, store),
      log_(store),
      auth_(registry_, clock, std::move(options),
            [this](const std::vector<Event>& events, const std::vector<EndedSession>& ended) {
              log_.add(events, ended);
            }) {
  registry_.loadAll();
}

CardRelay::~CardRelay() {
  stop();
}

void CardRelay::start(std::shared_ptr<uplink::Outbox> trackers) {
  if (feed_)
    subscription_ =
        feed_->subscribe([this](const std::vector<common::Change>& c) { onChanges(c); });
  auth_.start(std::move(trackers));
}

void CardRelay::stop() {
  subscription_.reset();
  auth_.stop();
  log_.flush();
}

void CardRelay::onChanges(const std::vector<common::Change>& changes) {
  registry_.apply(changes);
  for (const auto& c : changes) {
    if (c.kind == common::Change::Kind::CardChanged) auth_.cardChanged(c.serial);
    if (c.kind == common::Change::Kind::CardBridgeChanged) auth_.bridgeChanged(c.serial);
  }
}

}  // namespace dcgw::cardauth
