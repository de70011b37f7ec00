// Node links: this node's cards published, the others' read, and trackers relayed to the node
// that has their card online.
#include "gateway/cardauth/node_links.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <deque>

#include "codecs/cardbridge/frame.hpp"
#include "codecs/cardbridge/node_link.hpp"
#include "codecs/uplink/card.hpp"
#include "codecs/uplink/frame.hpp"
#include "gateway/common/frame_link.hpp"
#include "gateway/store/errors.hpp"
#include "gateway/uplink/channel.hpp"
#include "gateway/uplink/transport.hpp"

namespace dcgw::cardauth {

namespace cb = codecs::cardbridge;
namespace up = codecs::uplink;
using codecs::Bytes;
using codecs::ByteView;

namespace {

const std::string kStopping = "this node is stopping";

using uplink::steadyMs;  // the transport's monotonic clock

bool samePresence(const std::vector<store::CardPresence>& a,
                  const std::vector<store::CardPresence>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.card == y.card && x.link == y.link && x.bridge == y.bridge && x.reader == y.reader;
  });
}

}  // namespace

// One link to another node: a thread of its own that connects, logs in, sends what it is given
// and hands what comes back to the owner. Closed for good once it fails: the next request for
// that node makes a new one.
class NodeLinks::Link {
 public:
  Link(NodeLinks& owner, std::int64_t node, std::string address, std::uint64_t self)
      : owner_(owner), node_(node), address_(std::move(address)), self_(self) {}
  ~Link() { join(); }

  void start() {
    thread_ = std::thread([this] { run(); });
  }
  // False once the link is closed (what was queued is lost with it; the owner ends its routes).
  bool send(Bytes frames) {
    std::lock_guard l(mu_);
    if (closed_ || closing_) return false;
    queue_.push_back(std::move(frames));
    if (link_) link_->wake();
    return true;
  }
  // `why`: what the routes still on this link are told.
  void close(const std::string& why) {
    std::lock_guard l(mu_);
    if (closing_) return;
    closing_ = true;
    closeWhy_ = why;
    if (link_) link_->wake();
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  bool closed() const {
    std::lock_guard l(mu_);
    return closed_ || closing_;
  }
  bool finished() const { return finished_; }
  std::int64_t node() const { return node_; }
  const std::string& address() const { return address_; }
  std::string name() const { return "node " + std::to_string(node_) + " at " + address_; }

 private:
  void run();
  bool login(common::FrameLink& link, std::string& why, std::int64_t& heartbeatMs,
             std::int64_t& idleMs);

  NodeLinks& owner_;
  const std::int64_t node_;
  const std::string address_;
  const std::uint64_t self_;
  mutable std::mutex mu_;
  std::deque<Bytes> queue_;
  common::FrameLink* link_{nullptr};  // while connected and logged in
  bool closed_{false}, closing_{false};
  std::string closeWhy_;
  // The link thread's alone: the session key of the login and the sealed frames each way.
  std::array<std::uint8_t, 32> sessionKey_{};
  std::uint64_t sent_{0}, received_{0};
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

bool NodeLinks::Link::login(common::FrameLink& link, std::string& why, std::int64_t& heartbeatMs,
                            std::int64_t& idleMs) {
  cb::NodeHello hello;
  hello.node = self_;
  if (RAND_bytes(hello.nonce.data(), static_cast<int>(hello.nonce.size())) != 1) {
    why = "OpenSSL RAND_bytes failed: no nonce";
    return false;
  }
  Bytes out;
  cb::appendNodeHello(out, hello);
  if (!link.send(out)) {
    why = "the connection was lost";
    return false;
  }
  // The whole login within 10 s; close() interrupts it.
  const std::int64_t deadline = steadyMs() + 10'000;
  auto next = [&](std::uint8_t want, common::LinkFrame& f) {
    std::string w;
    auto got = common::FrameLink::Got::Woken;
    while (got == common::FrameLink::Got::Woken) {
      {
        std::lock_guard l(mu_);
        if (closing_) {
          why = closeWhy_;
          return false;
        }
      }
      const std::int64_t left = deadline - steadyMs();
      got = left <= 0 ? common::FrameLink::Got::Timeout : link.next(static_cast<int>(left), f, w);
    }
    if (got != common::FrameLink::Got::Frame) {
      why = got == common::FrameLink::Got::Bad       ? w
            : got == common::FrameLink::Got::Timeout ? "no answer to the login within 10 s"
                                                     : "the connection closed during the login";
      return false;
    }
    if (f.kind == static_cast<std::uint8_t>(cb::Kind::Error)) {
      auto e = cb::parseError(f.body);
      why = e ? std::string("refused: ") + cb::errorCodeName(e->code) + ": " + e->text
              : "refused with a malformed ERROR";
      return false;
    }
    if (f.kind != want) {
      why = std::string("answered ") + cb::nodeKindName(f.kind) + " (kind " +
            std::to_string(f.kind) + ") during the login";
      return false;
    }
    return true;
  };
  common::LinkFrame f;
  if (!next(static_cast<std::uint8_t>(cb::NodeKind::NodeChallenge), f)) return false;
  auto ch = cb::parseNodeChallenge(f.body);
  if (!ch) {
    why = "NODE_CHALLENGE: " + ch.error().message();
    return false;
  }
  const auto want = cb::gatewayNodeProof(owner_.key_, hello.nonce, ch->nonce);
  if (CRYPTO_memcmp(want.data(), ch->proof.data(), want.size()) != 0) {
    why = "it did not prove the cluster key (another database's node?)";
    return false;
  }
  out.clear();
  cb::appendNodeProof(out, cb::nodeProof(owner_.key_, ch->nonce, hello.nonce, self_));
  if (!link.send(out)) {
    why = "the connection was lost";
    return false;
  }
  if (!next(static_cast<std::uint8_t>(cb::Kind::Welcome), f)) return false;
  auto w = cb::parseWelcome(f.body);
  if (!w) {
    why = "WELCOME: " + w.error().message();
    return false;
  }
  sessionKey_ = cb::nodeSessionKey(owner_.key_, hello.nonce, ch->nonce);
  heartbeatMs = (w->heartbeatSeconds ? w->heartbeatSeconds : 30) * 1000LL;
  idleMs = (w->idleTimeoutSeconds ? w->idleTimeoutSeconds : 90) * 1000LL;
  return true;
}

void NodeLinks::Link::run() {
  std::string why;
  common::LinkOptions lo;
  const auto colon = address_.rfind(':');
  lo.host = address_.substr(0, colon);
  if (lo.host.size() > 2 && lo.host.front() == '[' && lo.host.back() == ']')
    lo.host = lo.host.substr(1, lo.host.size() - 2);
  lo.port = static_cast<std::uint16_t>(std::atoi(address_.c_str() + colon + 1));
  lo.connectTimeoutMs = owner_.o_.connectTimeoutMs;
  // The peers prove the cluster key to each other; TLS only keeps the traffic private.
  lo.tls = owner_.o_.tls;
  lo.insecure = true;
  std::int64_t heartbeatMs = 30'000, idleMs = 90'000;
  auto link = common::FrameLink::open(lo, why);
  if (link) {
    std::lock_guard l(mu_);
    if (closing_) {  // closed while connecting
      why = closeWhy_;
      link.reset();
    } else {
      link_ = link.get();  // close() wakes the login too
    }
  }
  if (link && !login(*link, why, heartbeatMs, idleMs)) {
    std::lock_guard l(mu_);
    link_ = nullptr;
    link.reset();
  }
  if (link) {
    spdlog::info("card relay: node link to {}: up", name());
    std::int64_t lastSent = steadyMs(), lastReceived = lastSent;
    for (;;) {
      std::deque<Bytes> q;
      {
        std::lock_guard l(mu_);
        if (closing_) {
          why = closeWhy_;
          break;
        }
        q.swap(queue_);
      }
      bool sent = true;
      for (const Bytes& b : q)
        if (!(sent = link->send(cb::sealNodeFrame(b, sessionKey_, 'N', sent_++)))) break;
      if (!sent) {
        why = "the connection was lost";
        break;
      }
      if (!q.empty()) lastSent = steadyMs();
      // A heartbeat when this side sent nothing for a heartbeat's time, or heard nothing (its
      // answer is what keeps the idle check below from closing a link that works).
      const std::int64_t now = steadyMs();
      if (now - lastSent >= heartbeatMs ||
          (now - lastReceived >= heartbeatMs && now - lastSent >= 1000)) {
        Bytes hb;
        cb::appendHeartbeat(hb);
        if (!link->send(cb::sealNodeFrame(hb, sessionKey_, 'N', sent_++))) {
          why = "the connection was lost";
          break;
        }
        lastSent = steadyMs();
      }
      // The other node answers every heartbeat: silence this long means it or the path is gone
      // (a partition sends no reset).
      if (steadyMs() - lastReceived > idleMs) {
        why = "nothing received for " + std::to_string(idleMs / 1000) + " s";
        break;
      }
      common::LinkFrame f;
      std::string w;
      const auto got = link->next(1000, f, w);
      if (got == common::FrameLink::Got::Closed) {
        why = "it closed the link";
        break;
      }
      if (got == common::FrameLink::Got::Bad) {
        why = w;
        break;
      }
      if (got != common::FrameLink::Got::Frame) continue;
      lastReceived = steadyMs();
      ByteView body = f.body;
      if (f.kind != static_cast<std::uint8_t>(cb::Kind::Error)) {
        auto opened = cb::openNodeFrame(f.kind, f.body, sessionKey_, 'G', received_++);
        if (!opened) {
          why = std::string(cb::nodeKindName(f.kind)) + ": " + opened.error().message();
          break;
        }
        body = *opened;
      }
      if (f.kind == static_cast<std::uint8_t>(cb::NodeKind::ToTracker)) {
        auto t = cb::parseToTracker(body);
        if (!t) {
          why = "TO_TRACKER: " + t.error().message();
          break;
        }
        owner_.fromPeer(*this, t->tracker, t->body);
      } else if (f.kind == static_cast<std::uint8_t>(cb::Kind::Error)) {
        auto e = cb::parseError(f.body);
        why = e ? std::string("it ended the link: ") + cb::errorCodeName(e->code) + ": " + e->text
                : "it ended the link with a malformed ERROR";
        break;
      } else if (f.kind != static_cast<std::uint8_t>(cb::Kind::Heartbeat)) {
        why = std::string("it sent ") + cb::nodeKindName(f.kind) + " (kind " +
              std::to_string(f.kind) + "), which a node link does not carry to this end";
        break;
      }
    }
  }
  {
    std::lock_guard l(mu_);
    link_ = nullptr;
    closed_ = true;
  }
  link.reset();
  if (why != kStopping)
    spdlog::warn("card relay: node link to {}: {}", name(), why.empty() ? "closed" : why);
  owner_.lost(*this, why);
  finished_ = true;
}

NodeLinks::NodeLinks(CardAuth& auth, store::Cluster& cluster, std::function<std::int64_t()> nodeId,
                     NodeLinkOptions options)
    : auth_(auth), cluster_(cluster), nodeId_(std::move(nodeId)), o_(std::move(options)) {}

NodeLinks::~NodeLinks() {
  stop();
}

void NodeLinks::attach() {
  key_ = cluster_.clusterKey();
  auth_.useNodeLinks(this, key_);
}

void NodeLinks::start(const std::string& advertise) {
  advertise_ = advertise;
  refresher_ = std::thread([this] { refreshLoop(); });
}

void NodeLinks::stop() {
  {
    std::lock_guard l(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  // The other nodes record the end of these requests (TRACKER_GONE) when the links close.
  endRoutes([](const Route&) { return true; }, true, "");
  std::vector<std::shared_ptr<Link>> all;
  {
    std::lock_guard l(mu_);
    for (auto& [node, link] : links_) all.push_back(link);
    links_.clear();
    all.insert(all.end(), retired_.begin(), retired_.end());
    retired_.clear();
  }
  for (auto& link : all) link->close(kStopping);
  for (auto& link : all) link->join();
  if (publishedBy_ != 0) {
    try {
      cluster_.publishCards({});
    } catch (const store::StoreError& e) {
      spdlog::warn("card relay: this node's cards could not be withdrawn: {}", e.what());
    }
  }
}

void NodeLinks::refreshLoop() {
  std::unique_lock l(mu_);
  std::string lastError;
  while (!stopping_) {
    l.unlock();
    try {
      refresh();
      lastError.clear();
    } catch (const store::StoreError& e) {
      if (lastError != e.what())
        spdlog::warn(
            "card relay: the cards online at the other nodes could not be read or "
            "published: {}",
            e.what());
      lastError = e.what();
      publishedAtMs_ = 0;  // published again once the store answers
    }
    l.lock();
    cv_.wait_for(l, std::chrono::milliseconds(o_.refreshMs), [this] { return stopping_; });
  }
}

void NodeLinks::refresh() {
  reap();
  const std::int64_t self = nodeId_();
  if (self == 0) return;
  std::vector<store::CardPresence> own;
  for (const CardView& v : auth_.relay().cards())
    if (v.online) own.push_back({v.number, self, advertise_, v.bridge, v.reader, 0});
  // Published when it changed, when the node joined again, and every 10 s (a commit the
  // server lost in a crash comes back).
  const std::int64_t now = steadyMs();
  if (self != publishedBy_ || !samePresence(own, published_) || publishedAtMs_ == 0 ||
      now - publishedAtMs_ >= 10'000) {
    cluster_.publishCards(own);
    published_ = std::move(own);
    publishedBy_ = self;
    publishedAtMs_ = now;
  }
  std::map<std::string, store::CardPresence> others;
  for (auto& p : cluster_.cardPresence(o_.staleMs))
    if (p.nodeId != self && !others.count(p.card)) others.emplace(p.card, std::move(p));
  std::lock_guard l(mu_);
  elsewhere_.swap(others);
}

void NodeLinks::reap() {
  std::vector<std::shared_ptr<Link>> done;
  {
    std::lock_guard l(mu_);
    for (auto it = retired_.begin(); it != retired_.end();)
      if ((*it)->finished()) {
        done.push_back(*it);
        it = retired_.erase(it);
      } else {
        ++it;
      }
  }
  for (auto& link : done) link->join();
}

std::vector<store::CardPresence> NodeLinks::elsewhere() const {
  std::lock_guard l(mu_);
  std::vector<store::CardPresence> out;
  for (const auto& [card, p] : elsewhere_) out.push_back(p);
  return out;
}

std::shared_ptr<NodeLinks::Link> NodeLinks::linkTo(const store::CardPresence& peer) {
  auto it = links_.find(peer.nodeId);
  if (it != links_.end() && !it->second->closed() && it->second->address() == peer.link)
    return it->second;
  if (it != links_.end()) {
    it->second->close("node " + std::to_string(peer.nodeId) + " now listens at " + peer.link);
    retired_.push_back(it->second);
  }
  auto link =
      std::make_shared<Link>(*this, peer.nodeId, peer.link, static_cast<std::uint64_t>(nodeId_()));
  links_[peer.nodeId] = link;
  link->start();
  return link;
}

bool NodeLinks::open(uplink::Session& s, const std::string& card, ByteView body) {
  Bytes f;
  cb::appendTrackerOpen(f, s.id(), s.serial(), body);
  std::shared_ptr<Link> link;
  {
    std::lock_guard l(mu_);
    if (stopping_) return false;
    if (auto r = routes_.find(s.id()); r != routes_.end()) {
      ++r->second.opens;  // the other node answers BUSY, as this one would
      link = r->second.link;
    }
  }
  if (link) {
    link->send(std::move(f));  // a closed link ends the route (lost())
    return true;
  }
  if (card.empty() || auth_.relay().tracks(s.id()) || auth_.relay().online(card)) return false;
  std::lock_guard l(mu_);
  auto p = elsewhere_.find(card);
  if (p == elsewhere_.end() || stopping_) return false;
  link = linkTo(p->second);
  Route r;
  r.link = link;
  r.serial = s.serial();
  r.card = card;
  r.opens = 1;
  r.requestedMs = auth_.nowMs();
  routes_[s.id()] = r;
  if (!link->send(std::move(f))) {
    routes_.erase(s.id());
    return false;
  }
  return true;
}

bool NodeLinks::forward(TrackerId tracker, std::uint8_t kind, ByteView body) {
  std::shared_ptr<Link> link;
  {
    std::lock_guard l(mu_);
    auto r = routes_.find(tracker);
    if (r == routes_.end()) return false;
    if (kind == static_cast<std::uint8_t>(up::CardKind::ApduCommand)) ++r->second.apdus;
    link = r->second.link;
  }
  // A command APDU longer than a short APDU can be is refused by the card's node (BAD_APDU) for
  // its size alone: cut to one byte over, it says the same and fits a node-link frame.
  constexpr std::size_t kMost = 4 + up::kMaxCommandApduBytes + 1;
  Bytes f;
  cb::appendTrackerCard(f, tracker, kind, body.size() > kMost ? body.first(kMost) : body);
  link->send(std::move(f));
  return true;
}

void NodeLinks::gone(TrackerId tracker) {
  std::shared_ptr<Link> link;
  {
    std::lock_guard l(mu_);
    auto r = routes_.find(tracker);
    if (r == routes_.end()) return;
    link = r->second.link;
    routes_.erase(r);
  }
  Bytes f;
  cb::appendTrackerGone(f, tracker);
  link->send(std::move(f));
}

void NodeLinks::fromPeer(Link& link, std::uint64_t tracker, ByteView frames) {
  {
    std::lock_guard l(mu_);
    auto r = routes_.find(tracker);
    if (r == routes_.end() || r->second.link.get() != &link) return;  // gone meanwhile
    Route& route = r->second;
    bool ended = false;
    for (std::size_t at = 0; at < frames.size();) {
      auto sr = up::scanFrame(frames.subspan(at));
      if (sr.scan != up::Scan::Frame || !up::isCardKind(sr.frame.kind)) {
        spdlog::warn("card relay: node link to {}: a malformed frame for tracker {} dropped",
                     link.name(), tracker);
        return;
      }
      if (sr.frame.kind == static_cast<std::uint8_t>(up::CardKind::CardOpened)) {
        if (auto o = up::parseCardOpened(sr.frame.body)) {
          route.session = o->session;
          route.openedMs = auth_.nowMs();
        }
      } else if (sr.frame.kind == static_cast<std::uint8_t>(up::CardKind::CardClosed)) {
        auto c = up::parseCardClosed(sr.frame.body);
        // NO_SESSION answers a stray APDU or CARD_CLOSE; every other reason ends one request
        // (BUSY the second one).
        if (c && c->reason != static_cast<std::uint8_t>(up::CardReason::NoSession)) {
          if (--route.opens <= 0) {
            ended = true;
          } else if (c->reason != static_cast<std::uint8_t>(up::CardReason::Busy)) {
            // The first request ended; the one left (sent while it lived) starts afresh.
            route.session = 0;
            route.openedMs.reset();
            route.apdus = 0;
            route.requestedMs = auth_.nowMs();
          }
        }
      }
      at += sr.frameBytes;
    }
    if (ended) routes_.erase(r);
  }
  Outputs o;
  o.toTrackers.emplace_back(tracker, Bytes(frames.begin(), frames.end()));
  auth_.deliver(std::move(o));
}

void NodeLinks::lost(Link& link, const std::string& why) {
  {
    std::lock_guard l(mu_);
    auto it = links_.find(link.node());
    if (it != links_.end() && it->second.get() == &link) {
      retired_.push_back(it->second);
      links_.erase(it);
    }
  }
  endRoutes([&](const Route& r) { return r.link.get() == &link; }, false,
            link.name() + ": " + (why.empty() ? "the link closed" : why));
}

void NodeLinks::endRoutes(const std::function<bool(const Route&)>& which, bool shuttingDown,
                          const std::string& why) {
  Outputs o;
  const std::int64_t now = auth_.nowMs();
  {
    std::lock_guard l(mu_);
    for (auto it = routes_.begin(); it != routes_.end();) {
      const Route& r = it->second;
      if (!which(r)) {
        ++it;
        continue;
      }
      const CardReason reason = shuttingDown ? CardReason::ShuttingDown
                                : r.session  ? CardReason::BridgeGone
                                             : CardReason::Offline;
      const std::string text =
          shuttingDown ? "The gateway is stopping."
          : r.session  ? "The session with the company card " + quoted(r.card) +
                            " ended: the link to the gateway node holding its card bridge was "
                            "lost (" +
                            why + ")."
                      : "The company card " + quoted(r.card) +
                            " is online at another gateway node, which cannot be reached (" + why +
                            "). The tachograph operation cannot be started.";
      Bytes f;
      up::appendCardClosed(f, r.session, reason, text);
      for (int more = 1; more < r.opens; ++more)  // a CARD_OPEN sent while one was live: BUSY
        up::appendCardClosed(f, 0, CardReason::Busy,
                             "This connection has a card request already; it ended: " + text);
      o.toTrackers.emplace_back(it->first, std::move(f));
      if (!shuttingDown) {  // the other node is likely gone, and recorded nothing of the end
        const std::string name = up::cardReasonName(static_cast<std::uint8_t>(reason));
        o.events.push_back(Event{now, r.card, r.serial, "", name, text});
        o.ended.push_back(
            EndedSession{r.card, r.serial, "", r.requestedMs, r.openedMs, now, name, r.apdus});
      }
      it = routes_.erase(it);
    }
  }
  if (!o.toTrackers.empty()) auth_.deliver(std::move(o));
}

}  // namespace dcgw::cardauth
