// Card sessions whichever node a tracker lands on (issue 14; schema/card-bridge.md section 9,
// schema/postgres/README.md "Card sessions across nodes"). Each node publishes in the database
// the company cards online at its card-bridge listener, with the address the other nodes reach
// that listener at, and reads every live node's. A tracker's CARD_OPEN for a card that is not
// online here but at another node is relayed to that node over a node link (one TCP, or TLS,
// connection per peer, multiplexing this node's trackers), where that node's relay queues and
// serves it as its own: one queue per card, first come first served, whichever node each
// tracker is on. The answers come back over the link and go to the tracker as they are. The two
// ends of a link prove to each other that they hold the cluster key kept in the database.
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

#include "codecs/bytes.hpp"
#include "gateway/cardauth/service.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::cardauth {

struct NodeLinkOptions {
  bool tls{false};               // the listeners speak TLS (cardBridge.tls)
  std::int64_t refreshMs{250};   // this node's cards published, the others' read
  std::int64_t staleMs{20'000};  // as the cluster's: a node beating less recently is gone
  int connectTimeoutMs{3'000};
};

class NodeLinks {
 public:
  // `nodeId`: this node's id in the cluster now (0 while it has not joined).
  NodeLinks(CardAuth& auth, store::Cluster& cluster, std::function<std::int64_t()> nodeId,
            NodeLinkOptions options);
  ~NodeLinks();
  NodeLinks(const NodeLinks&) = delete;
  NodeLinks& operator=(const NodeLinks&) = delete;

  // Reads (or makes) the cluster key and hands this to `auth` (call before auth's start()).
  // Throws store::StoreError.
  void attach();
  // Starts publishing and reading the cards (call once the bridge listener listens), with
  // `advertise` (host:port) as where the other nodes reach this node's bridge listener.
  void start(const std::string& advertise);
  // Every relayed request ends (SHUTTING_DOWN to its tracker), the links close, and this node's
  // cards are withdrawn.
  void stop();

  // ---- from CardAuth, on the uplink's event thread ----
  // A CARD_OPEN (`body`) naming `card` (the device's when it names none): true when it was
  // relayed to another node (that node answers), false when this node's relay is to answer.
  bool open(uplink::Session& s, const std::string& card, codecs::ByteView body);
  // An APDU_COMMAND or CARD_CLOSE: true when the tracker's request is at another node.
  bool forward(TrackerId tracker, std::uint8_t kind, codecs::ByteView body);
  void gone(TrackerId tracker);

  // The cards online at other live nodes, as last read (one per card: the one relayed to).
  std::vector<store::CardPresence> elsewhere() const;

 private:
  class Link;
  struct Route {
    std::shared_ptr<Link> link;
    std::string serial, card;
    int opens{0};              // CARD_OPENs sent and not yet ended (a second one: BUSY)
    std::uint32_t session{0};  // once CARD_OPENED came back
    std::int64_t requestedMs{0};
    std::optional<std::int64_t> openedMs;
    std::int64_t apdus{0};
  };

  void refreshLoop();
  void refresh();
  void reap();  // joins the links whose threads finished
  std::shared_ptr<Link> linkTo(const store::CardPresence& peer);  // REQUIRES: mu_ held
  // From a link's thread.
  void fromPeer(Link& link, std::uint64_t tracker, codecs::ByteView frames);
  void lost(Link& link, const std::string& why);
  void endRoutes(const std::function<bool(const Route&)>& which, bool shuttingDown,
                 const std::string& why);

  CardAuth& auth_;
  store::Cluster& cluster_;
  std::function<std::int64_t()> nodeId_;
  NodeLinkOptions o_;
  codecs::Bytes key_;
  std::string advertise_;

  mutable std::mutex mu_;
  std::map<std::string, store::CardPresence> elsewhere_;  // by card
  std::map<std::int64_t, std::shared_ptr<Link>> links_;   // by peer node
  std::vector<std::shared_ptr<Link>> retired_;            // closed, their threads to join
  std::map<TrackerId, Route> routes_;
  bool stopping_{false};
  std::condition_variable cv_;
  std::thread refresher_;
  std::vector<store::CardPresence> published_;
  std::int64_t publishedBy_{0};
  std::int64_t publishedAtMs_{0};
};

}  // namespace dcgw::cardauth
