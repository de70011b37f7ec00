// Remote company-card authentication in the gateway: the relay (relay.hpp), the uplink channel
// for the card frames 0x30-0x36 (trackers), the card-bridge listener (bridges), and a ticker for
// the relay's timeouts. serve builds one when `cardBridge` is configured and registers its
// channel with the uplink listener.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/cardauth/live.hpp"
#include "gateway/cardauth/relay.hpp"
#include "gateway/common/clock.hpp"
#include "gateway/uplink/channel.hpp"
#include "gateway/uplink/options.hpp"

namespace dcgw::uplink {
class Outbox;
}

namespace dcgw::cardauth {

// What the relay needs to know of a device asking for a card.
struct DeviceCardInfo {
  std::optional<std::int64_t> locationId;
  std::string companyCard;  // "" when none is configured
};

// The registry, as the service reads it (the store implements it; tests use maps).
class Registry : public CardDirectory {
 public:
  // The bridge's key, or nullopt when no bridge has this ident (or it has no key).
  virtual std::optional<codecs::Bytes> bridgeKey(const std::string& ident) = 0;
  virtual std::optional<DeviceCardInfo> device(const std::string& serial) = 0;
};

// Where the relay's events and ended requests go (the store's card log). Called on the loops'
// threads: a sink must not block (serve's queues them for a writer thread of their own).
using EventSink =
    std::function<void(const std::vector<Event>& events, const std::vector<EndedSession>& ended)>;

struct CardAuthOptions {
  CardAuthOptions() {  // schema/card-bridge.md: port 7710, heartbeat 30 s, idle timeout 90 s
    bridges.port = 7710;
    bridges.heartbeat = std::chrono::seconds(30);
    bridges.idleTimeout = std::chrono::seconds(90);
  }
  uplink::ListenerOptions bridges;  // the card-bridge listener (TLS, timeouts, bind)
  RelayLimits limits;
  std::size_t maxReportsPerMinute{600};
  // Several nodes: where the other nodes reach this listener ("": the bind address, or the
  // host's name when it binds every address, and the listener's port).
  std::string advertise;
};

struct CardAuthStats {
  std::atomic<std::uint64_t> bridgesConnected{0};
  std::atomic<std::uint64_t> refusedBridgeLogins{0};
  // APDU round trips through the relay (gateway -> bridge -> card -> gateway), microseconds:
  // counts per upper bound of kApduBucketsUs, and their sum.
  static constexpr std::int64_t kApduBucketsUs[] = {500,   1000,  2000,   5000,   10000,
                                                    20000, 50000, 100000, 500000, 1000000};
  std::atomic<std::uint64_t> apduBuckets[11]{};
  std::atomic<std::uint64_t> apduCount{0};
  std::atomic<std::uint64_t> apduSumUs{0};
};

class BridgeListener;
class NodeLinks;

// Relay ids of trackers connected to another node (their requests come over a node link): the
// uplink's connection ids never reach this bit.
constexpr TrackerId kLinkedTracker = TrackerId{1} << 63;

class CardAuth : public uplink::Channel, public LiveStatus {
 public:
  CardAuth(Registry& registry, common::Clock& clock, CardAuthOptions options, EventSink events);
  ~CardAuth() override;
  CardAuth(const CardAuth&) = delete;
  CardAuth& operator=(const CardAuth&) = delete;

  // `trackers`: the uplink listener's outbox. Starts the bridge listener and the ticker.
  // Throws std::runtime_error naming what failed (the address, a TLS file).
  void start(std::shared_ptr<uplink::Outbox> trackers);
  void stop();
  std::uint16_t bridgePort() const;
  // The admin changed a card's registration.
  void cardChanged(const std::string& number);
  // The admin changed a bridge's key or removed the bridge: its connection, if any, is closed
  // (WRONG_PROOF or UNKNOWN_BRIDGE) and it logs in again with what it has.
  void bridgeChanged(const std::string& ident);

  // ---- several nodes on one database (node_links.hpp, schema/card-bridge.md section 9) ----
  // From now on a tracker of this node whose card is online at another node is relayed there
  // by `links`, and other nodes' links proving `key` are accepted on the card-bridge port.
  // Call before start(); `links` outlives this relay's traffic (stopped after it).
  void useNodeLinks(NodeLinks* links, codecs::Bytes key);
  std::optional<codecs::Bytes> nodeKey() const;
  // From the bridge listener's thread: a tracker of the node at the end of node link `link`.
  void nodeOpen(BridgeId link, std::uint64_t tracker, const std::string& serial,
                const codecs::uplink::CardOpen& request);
  void nodeApdu(BridgeId link, std::uint64_t tracker, std::uint32_t session, codecs::ByteView apdu);
  void nodeClose(BridgeId link, std::uint64_t tracker, std::uint32_t session);
  void nodeTrackerGone(BridgeId link, std::uint64_t tracker);
  void nodeLinkGone(BridgeId link);  // each of its trackers is gone
  // What was decided elsewhere (a node link that failed): sent and kept as the relay's are.
  void deliver(Outputs&& o) {
    decide([&] { return std::move(o); });
  }

  // ---- LiveStatus (any thread) ----
  // The relay's cards, and the cards online at other nodes (bridge and reader; who uses them
  // and their queues are that node's).
  std::vector<CardView> liveCards() const override;
  std::vector<BridgeView> liveBridges() const override;

  const Relay& relay() const { return relay_; }
  std::int64_t nowMs() const { return clock_.nowMs(); }
  const CardAuthStats& stats() const { return stats_; }
  // The relay's metrics in Prometheus' text format (metrics.cpp): bridges connected, cards
  // online, sessions open, queue length per card, sessions by outcome, APDU round trips.
  std::string prometheus() const override;

  // ---- uplink::Channel (kinds 0x30-0x36), on the uplink's event thread ----
  void onFrame(uplink::Session& s, std::uint8_t kind, codecs::ByteView body) override;
  void onClose(uplink::Session& s) override;
  std::uint8_t capability() const override { return 0x01; }  // card sessions

  // Runs one decision of the relay (`f` calls it and returns its Outputs) and sends what it
  // decided: frames to trackers and bridges, events to the sink. One at a time, so frames leave
  // in the order the relay decided them, whichever thread (uplink, bridges, ticker) asked.
  template <class F>
  void decide(F&& f) {
    std::lock_guard l(decideMu_);
    dispatch(f());
  }

 private:
  void tickLoop();
  void dispatch(Outputs&& o);                                // REQUIRES: decideMu_ held
  TrackerId linkedId(BridgeId link, std::uint64_t tracker);  // made when new
  // One decision for a tracker of another node (its relay id made when new), and the id
  // forgotten once the relay has no request of it: the other node sends no TRACKER_GONE for a
  // tracker whose request ended.
  template <class F>
  void decideLinked(BridgeId link, std::uint64_t tracker, F&& f) {
    std::lock_guard l(decideMu_);
    const TrackerId t = linkedId(link, tracker);
    dispatch(f(t));
    if (!relay_.tracks(t)) forgetLinked(t);
  }
  void forgetLinked(TrackerId t);
  void forgetEnded();  // every linked tracker the relay has no request of

  Registry& registry_;
  common::Clock& clock_;
  CardAuthOptions o_;
  EventSink events_;
  Relay relay_;
  CardAuthStats stats_;
  std::shared_ptr<uplink::Outbox> trackers_;
  std::unique_ptr<BridgeListener> bridges_;
  std::thread ticker_;
  std::mutex decideMu_;
  NodeLinks* links_{nullptr};
  std::optional<codecs::Bytes> nodeKey_;  // set before start(), read by the bridge listener
  mutable std::mutex linkedMu_;
  std::map<TrackerId, std::pair<BridgeId, std::uint64_t>> linked_;  // other nodes' trackers
  std::map<std::pair<BridgeId, std::uint64_t>, TrackerId> linkedIds_;
  TrackerId nextLinked_{kLinkedTracker | 1};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_{false};
};

}  // namespace dcgw::cardauth
