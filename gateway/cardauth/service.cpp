// CardAuth: the card frames of the uplink, the bridge listener, the ticker, and the dispatch
// of the relay's decisions.
#include "gateway/cardauth/service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "codecs/cardbridge/node_link.hpp"
#include "codecs/uplink/card.hpp"
#include "gateway/cardauth/bridge_listener.hpp"
#include "gateway/cardauth/node_links.hpp"
#include "gateway/uplink/outbox.hpp"

namespace dcgw::cardauth {

namespace up = codecs::uplink;

CardAuth::CardAuth(Registry& registry, common::Clock& clock, CardAuthOptions options,
                   EventSink events)
    : registry_(registry),
      clock_(clock),
      o_(std::move(options)),
      events_(std::move(events)),
      relay_(registry, o_.limits) {}

CardAuth::~CardAuth() {
  stop();
}

void CardAuth::start(std::shared_ptr<uplink::Outbox> trackers) {
  trackers_ = std::move(trackers);
  bridges_ =
      std::make_unique<BridgeListener>(*this, relay_, registry_, clock_, o_, stats_, events_);
  bridges_->start();
  ticker_ = std::thread([this] { tickLoop(); });
}

void CardAuth::stop() {
  {
    std::lock_guard l(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  if (bridges_) {
    decide([&] { return relay_.shutdown(clock_.nowMs()); });
    bridges_->stop();
  }
}

std::uint16_t CardAuth::bridgePort() const {
  return bridges_ ? bridges_->port() : 0;
}

void CardAuth::cardChanged(const std::string& number) {
  decide([&] { return relay_.cardChanged(number, clock_.nowMs()); });
}

void CardAuth::bridgeChanged(const std::string& ident) {
  if (bridges_) bridges_->recheck(ident);
}

std::vector<BridgeView> CardAuth::liveBridges() const {
  return bridges_ ? bridges_->bridges() : std::vector<BridgeView>{};
}

void CardAuth::tickLoop() {
  std::unique_lock l(mu_);
  while (!stopping_) {
    clock_.waitFor(cv_, l, 250);
    if (stopping_) break;
    l.unlock();
    decide([&] { return relay_.tick(clock_.nowMs()); });
    forgetEnded();
    l.lock();
  }
}

void CardAuth::dispatch(Outputs&& o) {
  // The events first: by the time a tracker or a bridge reads why, the admin can too.
  for (const auto& e : o.events)
    spdlog::info("card {} {}{}: {}", e.card.empty() ? "-" : e.card, e.code,
                 e.serial.empty() ? "" : " (device " + e.serial + ")", e.text);
  if (events_ && (!o.events.empty() || !o.ended.empty())) events_(o.events, o.ended);
  for (std::int64_t us : o.apduRoundTripsUs) {
    std::size_t i = 0;
    while (i < std::size(CardAuthStats::kApduBucketsUs) && us > CardAuthStats::kApduBucketsUs[i])
      ++i;
    ++stats_.apduBuckets[i];
    ++stats_.apduCount;
    stats_.apduSumUs += static_cast<std::uint64_t>(us);
  }
  for (auto& [tracker, frames] : o.toTrackers) {
    if (tracker & kLinkedTracker) {  // back over the node link it came by
      std::pair<BridgeId, std::uint64_t> to;
      {
        std::lock_guard l(linkedMu_);
        auto it = linked_.find(tracker);
        if (it == linked_.end()) continue;  // gone meanwhile
        to = it->second;
      }
      codecs::Bytes f;
      codecs::cardbridge::appendToTracker(f, to.second, frames);
      if (bridges_) bridges_->postNode(to.first, std::move(f));
      continue;
    }
    if (trackers_) trackers_->post(tracker, std::move(frames));
  }
  for (auto& [bridge, frames] : o.toBridges)
    if (bridges_) bridges_->post(bridge, std::move(frames));
}

void CardAuth::onFrame(uplink::Session& s, std::uint8_t kind, codecs::ByteView body) {
  const std::int64_t now = clock_.nowMs();
  switch (static_cast<up::CardKind>(kind)) {
    case up::CardKind::CardOpen: {
      auto req = up::parseCardOpen(body);
      if (!req) return s.fail(up::ErrorCode::MalformedFrame, "CARD_OPEN: " + req.error().message());
      const auto info = registry_.device(s.serial());
      Tracker t{s.id(), s.serial(), info ? info->locationId : std::nullopt,
                info ? info->companyCard : std::string()};
      // The card online at another node: the request goes there (and its answers come back).
      if (links_ && links_->open(s, req->card.empty() ? t.configuredCard : req->card, body)) return;
      return decide([&] { return relay_.open(t, *req, now); });
    }
    case up::CardKind::ApduCommand: {
      if (body.size() < 4)
        return s.fail(up::ErrorCode::MalformedFrame, "APDU_COMMAND: a session (4 bytes) first");
      const std::uint32_t session = static_cast<std::uint32_t>(body[0]) << 24 |
                                    static_cast<std::uint32_t>(body[1]) << 16 |
                                    static_cast<std::uint32_t>(body[2]) << 8 | body[3];
      if (links_ && links_->forward(s.id(), kind, body)) return;
      return decide([&] { return relay_.apdu(s.id(), session, body.subspan(4), now); });
    }
    case up::CardKind::CardClose: {
      auto session = up::parseCardClose(body);
      if (!session)
        return s.fail(up::ErrorCode::MalformedFrame, "CARD_CLOSE: " + session.error().message());
      if (links_ && links_->forward(s.id(), kind, body)) return;
      return decide([&] { return relay_.close(s.id(), *session, now); });
    }
    case up::CardKind::CardWaiting:
    case up::CardKind::CardOpened:
    case up::CardKind::ApduResponse:
    case up::CardKind::CardClosed:
      return s.fail(up::ErrorCode::UnexpectedFrame,
                    std::string(up::cardKindName(kind)) + " is sent by the gateway, not a device");
    default:  // 0x37-0x3F: reserved for later card frames (schema/uplink.md section 3)
      up::appendError(s.out(), up::ErrorCode::NotSupported,
                      "kind " + std::to_string(kind) +
                          " is reserved for the card relay, not implemented by this gateway "
                          "(uplink version 1)");
      s.wantWrite();
      return;
  }
}

void CardAuth::onClose(uplink::Session& s) {
  if (links_) links_->gone(s.id());
  decide([&] { return relay_.trackerGone(s.id(), clock_.nowMs()); });
}

void CardAuth::useNodeLinks(NodeLinks* links, codecs::Bytes key) {
  links_ = links;
  nodeKey_ = std::move(key);
}

std::optional<codecs::Bytes> CardAuth::nodeKey() const {
  return nodeKey_;
}

std::vector<CardView> CardAuth::liveCards() const {
  auto cards = relay_.cards();
  if (!links_) return cards;
  for (const auto& p : links_->elsewhere()) {
    auto it = std::find_if(cards.begin(), cards.end(),
                           [&](const CardView& v) { return v.number == p.card; });
    if (it != cards.end() && it->online) continue;
    CardView v{p.card, true, p.bridge, p.reader, "", 0, 0};
    if (it == cards.end())
      cards.push_back(std::move(v));
    else
      *it = std::move(v);
  }
  return cards;
}

TrackerId CardAuth::linkedId(BridgeId link, std::uint64_t tracker) {
  std::lock_guard l(linkedMu_);
  auto [it, made] = linkedIds_.try_emplace({link, tracker}, 0);
  if (made) {
    it->second = nextLinked_++;
    linked_[it->second] = {link, tracker};
  }
  return it->second;
}

void CardAuth::nodeOpen(BridgeId link, std::uint64_t tracker, const std::string& serial,
                        const up::CardOpen& request) {
  const std::int64_t now = clock_.nowMs();
  const auto info = registry_.device(serial);
  Tracker t{0, serial, info ? info->locationId : std::nullopt,
            info ? info->companyCard : std::string()};
  decideLinked(link, tracker, [&](TrackerId id) {
    t.id = id;
    return relay_.open(t, request, now);
  });
}

void CardAuth::nodeApdu(BridgeId link, std::uint64_t tracker, std::uint32_t session,
                        codecs::ByteView apdu) {
  decideLinked(link, tracker,
               [&](TrackerId t) { return relay_.apdu(t, session, apdu, clock_.nowMs()); });
}

void CardAuth::nodeClose(BridgeId link, std::uint64_t tracker, std::uint32_t session) {
  decideLinked(link, tracker,
               [&](TrackerId t) { return relay_.close(t, session, clock_.nowMs()); });
}

void CardAuth::forgetLinked(TrackerId t) {
  std::lock_guard l(linkedMu_);
  auto it = linked_.find(t);
  if (it == linked_.end()) return;
  linkedIds_.erase(it->second);
  linked_.erase(it);
}

void CardAuth::forgetEnded() {
  // The requests the relay ended by itself (a timeout, the card gone) of other nodes' trackers.
  std::lock_guard d(decideMu_);
  std::lock_guard l(linkedMu_);
  for (auto it = linked_.begin(); it != linked_.end();) {
    if (relay_.tracks(it->first)) {
      ++it;
      continue;
    }
    linkedIds_.erase(it->second);
    it = linked_.erase(it);
  }
}

void CardAuth::nodeTrackerGone(BridgeId link, std::uint64_t tracker) {
  TrackerId t = 0;
  {
    std::lock_guard l(linkedMu_);
    auto it = linkedIds_.find({link, tracker});
    if (it == linkedIds_.end()) return;
    t = it->second;
  }
  decide([&] { return relay_.trackerGone(t, clock_.nowMs()); });
  std::lock_guard l(linkedMu_);
  linkedIds_.erase({link, tracker});
  linked_.erase(t);
}

void CardAuth::nodeLinkGone(BridgeId link) {
  std::vector<std::uint64_t> trackers;
  {
    std::lock_guard l(linkedMu_);
    for (const auto& [key, id] : linkedIds_)
      if (key.first == link) trackers.push_back(key.second);
  }
  for (std::uint64_t t : trackers) nodeTrackerGone(link, t);
}

}  // namespace dcgw::cardauth
