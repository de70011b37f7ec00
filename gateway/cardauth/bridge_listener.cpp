// The card-bridge listener: login by HMAC challenge, then the bridges' reports and replies.
#include "gateway/cardauth/bridge_listener.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "codecs/cardbridge/frame.hpp"
#include "codecs/cardbridge/node_link.hpp"
#include "codecs/uplink/card.hpp"
#include "gateway/store/errors.hpp"

namespace dcgw::cardauth {

namespace cb = codecs::cardbridge;
namespace up = codecs::uplink;
using codecs::Bytes;

struct BridgeListener::Conn final : uplink::Connection {
  enum class Stage { Hello, Proof, Open } stage{Stage::Hello};
  std::string ident;
  std::array<std::uint8_t, 32> nonce{};
  Bytes key;
  std::int64_t windowStartMs{0};
  std::size_t reports{0};
  bool node{false};  // another gateway node's link (section 9), not a bridge
  std::array<std::uint8_t, 32> helloNonce{};
  std::array<std::uint8_t, 32> sessionKey{};  // a node link's, after WELCOME
  std::uint64_t sealedIn{0}, sealedOut{0};
};

namespace {

const std::string kNoName = "-";

up::ErrorCode code(cb::ErrorCode c) {
  return static_cast<up::ErrorCode>(static_cast<std::uint8_t>(c));
}

}  // namespace

BridgeListener::BridgeListener(CardAuth& owner, Relay& relay, Registry& registry,
                               common::Clock& clock, const CardAuthOptions& options,
                               CardAuthStats& stats, EventSink events)
    : owner_(owner),
      relay_(relay),
      registry_(registry),
      clock_(clock),
      o_(options),
      stats_(stats),
      events_(std::move(events)),
      outbox_(std::make_shared<uplink::Outbox>()),
      transport_(std::make_unique<uplink::Transport>(*this, o_.bridges, netStats_, outbox_->fd())) {
}

BridgeListener::~BridgeListener() {
  stop();
}

void BridgeListener::start() {
  transport_->start();
}

void BridgeListener::stop() {
  if (transport_) transport_->stop();
}

void BridgeListener::post(BridgeId bridge, Bytes frames) {
  outbox_->post(bridge, std::move(frames));
}

std::optional<std::optional<codecs::Bytes>> BridgeListener::bridgeKey(Conn& c) {
  try {
    return registry_.bridgeKey(c.ident);
  } catch (const store::StoreError& e) {
    spdlog::error("card bridge '{}' {}: login refused, the store cannot be read: {}", c.ident,
                  c.address(), e.what());
    transport_->fail(c, code(cb::ErrorCode::StoreUnavailable),
                     std::string("the gateway cannot read its store now: ") + e.what());
    return std::nullopt;
  }
}

void BridgeListener::recheck(const std::string& ident) {
  outbox_->post([this, ident] {
    auto it = byIdent_.find(ident);
    if (it == byIdent_.end()) return;
    auto* c = static_cast<Conn*>(transport_->find(it->second));
    if (!c || c->state != uplink::Connection::State::Open) return;
    std::optional<codecs::Bytes> key;
    try {
      key = registry_.bridgeKey(ident);
    } catch (const store::StoreError& e) {
      spdlog::error("card bridge '{}': its registration could not be read again: {}", ident,
                    e.what());
      return;  // judged again at its next login
    }
    if (key && *key == c->key) return;  // another change (its description)
    const auto why = key ? cb::ErrorCode::WrongProof : cb::ErrorCode::UnknownBridge;
    const std::string text = key ? "the admin changed the bridge key of card bridge '" + ident + "'"
                                 : "the admin removed card bridge '" + ident + "'";
    spdlog::info("card bridge '{}': {}; disconnecting it", ident, text);
    if (events_)
      events_(
          {Event{clock_.nowMs(), "", "", ident, cb::errorCodeName(static_cast<std::uint8_t>(why)),
                 "Card bridge '" + ident + "' disconnected: " + text + "."}},
          {});
    transport_->fail(*c, code(why), text);
  });
}

std::vector<BridgeView> BridgeListener::bridges() const {
  std::lock_guard l(viewMu_);
  std::vector<BridgeView> out;
  for (const auto& [ident, v] : views_) out.push_back(v);
  return out;
}

std::unique_ptr<uplink::Connection> BridgeListener::newConnection() {
  return std::make_unique<Conn>();
}

const std::string& BridgeListener::name(const uplink::Connection& c) {
  const auto& b = static_cast<const Conn&>(c);
  return b.ident.empty() ? kNoName : b.ident;
}

std::size_t BridgeListener::maxFrameBytes(const uplink::Connection& c) {
  return static_cast<const Conn&>(c).stage == Conn::Stage::Open ? o_.bridges.maxFrameBytes : 64;
}

void BridgeListener::refuse(Conn& c, std::uint8_t errorCode, const std::string& why) {
  ++stats_.refusedBridgeLogins;
  spdlog::warn("card bridge '{}' {}: login refused: {}", c.ident, c.address(), why);
  if (events_)
    events_({Event{clock_.nowMs(), "", "", c.ident, cb::errorCodeName(errorCode),
                   "Card bridge '" + c.ident + "' (" + c.address() + "): login refused: " + why}},
            {});
  transport_->fail(c, static_cast<up::ErrorCode>(errorCode), why);
}

void BridgeListener::welcome(Conn& c) {
  Bytes out;
  cb::Welcome w;
  w.heartbeatSeconds = static_cast<std::uint16_t>(o_.bridges.heartbeat.count() / 1000);
  w.idleTimeoutSeconds = static_cast<std::uint16_t>(o_.bridges.idleTimeout.count() / 1000);
  w.apduTimeoutMs = static_cast<std::uint32_t>(o_.limits.apduTimeoutMs);
  cb::appendWelcome(out, w);
  c.out.insert(c.out.end(), out.begin(), out.end());
  transport_->markOpen(c);
  transport_->markDirty(c);
}

bool BridgeListener::onNodeLogin(Conn& c, const up::FrameView& f) {
  const auto key = owner_.nodeKey();
  if (c.stage == Conn::Stage::Hello) {
    auto h = cb::parseNodeHello(f.body);
    if (!h) {
      transport_->fail(c, code(cb::ErrorCode::MalformedFrame), h.error().message());
      return false;
    }
    c.node = true;
    c.ident = "node " + std::to_string(h->node);
    if (!key) {
      spdlog::warn("{} {}: node link refused: this gateway is not one of several nodes", c.ident,
                   c.address());
      transport_->fail(c, code(cb::ErrorCode::UnknownBridge),
                       "this gateway takes no node links (it is not one of several nodes on "
                       "PostgreSQL)");
      return false;
    }
    c.helloNonce = h->nonce;
    cb::NodeChallenge ch;
    if (RAND_bytes(ch.nonce.data(), static_cast<int>(ch.nonce.size())) != 1)
      throw std::runtime_error("OpenSSL RAND_bytes failed: no nonce for a node link");
    c.nonce = ch.nonce;
    ch.proof = cb::gatewayNodeProof(*key, c.helloNonce, c.nonce);
    Bytes out;
    cb::appendNodeChallenge(out, ch);
    c.out.insert(c.out.end(), out.begin(), out.end());
    transport_->markDirty(c);
    c.stage = Conn::Stage::Proof;
    return true;
  }
  auto proof = cb::parseNodeProof(f.body);
  if (!proof) {
    transport_->fail(c, code(cb::ErrorCode::MalformedFrame), proof.error().message());
    return false;
  }
  const std::uint64_t node = std::stoull(c.ident.substr(5));
  const auto want = cb::nodeProof(*key, c.nonce, c.helloNonce, node);
  if (CRYPTO_memcmp(want.data(), proof->data(), 32) != 0) {
    spdlog::warn("{} {}: node link refused: its NODE_PROOF does not match the cluster key", c.ident,
                 c.address());
    transport_->fail(c, code(cb::ErrorCode::WrongProof),
                     "the NODE_PROOF does not match this database's cluster key");
    return false;
  }
  c.stage = Conn::Stage::Open;
  c.sessionKey = cb::nodeSessionKey(*key, c.helloNonce, c.nonce);
  welcome(c);
  spdlog::info("{} {}: node link up", c.ident, c.address());
  return true;
}

void BridgeListener::postNode(BridgeId link, Bytes frame) {
  // Sealed on the loop, which numbers the link's frames in the order they leave.
  outbox_->post([this, link, frame = std::move(frame)] {
    auto* c = static_cast<Conn*>(transport_->find(link));
    if (!c || c->state != uplink::Connection::State::Open || !c->node) return;
    sendSealed(*c, frame);
  });
}

void BridgeListener::sendSealed(Conn& c, const Bytes& frame) {
  const Bytes sealed = cb::sealNodeFrame(frame, c.sessionKey, 'G', c.sealedOut++);
  c.out.insert(c.out.end(), sealed.begin(), sealed.end());
  transport_->markDirty(c);
}

bool BridgeListener::onNodeFrame(Conn& c, const up::FrameView& sealed) {
  auto body = cb::openNodeFrame(sealed.kind, sealed.body, c.sessionKey, 'N', c.sealedIn++);
  if (!body) {
    spdlog::warn("{} {}: node link closed: {}: {}", c.ident, c.address(),
                 cb::nodeKindName(sealed.kind), body.error().message());
    transport_->fail(c, code(cb::ErrorCode::MalformedFrame),
                     std::string(cb::nodeKindName(sealed.kind)) + ": " + body.error().message());
    return false;
  }
  const up::FrameView f{sealed.kind, *body};
  auto malformed = [&](const codecs::Error& e) {
    transport_->fail(c, code(cb::ErrorCode::MalformedFrame),
                     std::string(cb::nodeKindName(f.kind)) + ": " + e.message());
    return false;
  };
  switch (f.kind) {
    case static_cast<std::uint8_t>(cb::Kind::Heartbeat): {
      Bytes out;
      cb::appendHeartbeat(out);
      sendSealed(c, out);
      return true;
    }
    case static_cast<std::uint8_t>(cb::NodeKind::TrackerOpen): {
      auto o = cb::parseTrackerOpen(f.body);
      if (!o) return malformed(o.error());
      auto req = up::parseCardOpen(o->cardOpen);
      if (!req) return malformed(req.error());
      owner_.nodeOpen(c.id, o->tracker, o->serial, *req);
      return true;
    }
    case static_cast<std::uint8_t>(cb::NodeKind::TrackerCard): {
      auto t = cb::parseTrackerCard(f.body);
      if (!t) return malformed(t.error());
      if (t->kind == static_cast<std::uint8_t>(up::CardKind::CardClose)) {
        auto session = up::parseCardClose(t->body);
        if (!session) return malformed(session.error());
        owner_.nodeClose(c.id, t->tracker, *session);
        return true;
      }
      if (t->body.size() < 4)
        return malformed(codecs::makeError("APDU_COMMAND", 9, "a session (4 bytes) first"));
      const std::uint32_t session = static_cast<std::uint32_t>(t->body[0]) << 24 |
                                    static_cast<std::uint32_t>(t->body[1]) << 16 |
                                    static_cast<std::uint32_t>(t->body[2]) << 8 | t->body[3];
      owner_.nodeApdu(c.id, t->tracker, session, t->body.subspan(4));
      return true;
    }
    case static_cast<std::uint8_t>(cb::NodeKind::TrackerGone): {
      auto t = cb::parseTrackerGone(f.body);
      if (!t) return malformed(t.error());
      owner_.nodeTrackerGone(c.id, *t);
      return true;
    }
    default:
      transport_->fail(c, code(cb::ErrorCode::UnexpectedFrame),
                       "kind " + std::to_string(f.kind) + " is not sent by a node");
      return false;
  }
}

bool BridgeListener::onLogin(Conn& c, const up::FrameView& f) {
  if ((c.stage == Conn::Stage::Hello &&
       f.kind == static_cast<std::uint8_t>(cb::NodeKind::NodeHello)) ||
      (c.stage == Conn::Stage::Proof && c.node &&
       f.kind == static_cast<std::uint8_t>(cb::NodeKind::NodeProof)))
    return onNodeLogin(c, f);
  if (c.stage == Conn::Stage::Hello && f.kind == static_cast<std::uint8_t>(cb::Kind::Hello)) {
    auto ident = cb::parseHello(f.body);
    if (!ident) {
      transport_->fail(c, code(cb::ErrorCode::MalformedFrame), ident.error().message());
      return false;
    }
    c.ident = *ident;
    auto key = bridgeKey(c);
    if (!key) return false;  // the store failed: the connection is closed
    if (!*key) {
      refuse(c, static_cast<std::uint8_t>(cb::ErrorCode::UnknownBridge),
             "no card bridge '" + c.ident + "' is registered");
      return false;
    }
    c.key = std::move(**key);
    if (RAND_bytes(c.nonce.data(), static_cast<int>(c.nonce.size())) != 1)
      throw std::runtime_error("OpenSSL RAND_bytes failed: no nonce for a bridge login");
    Bytes out;
    cb::appendChallenge(out, c.nonce);
    c.out.insert(c.out.end(), out.begin(), out.end());
    transport_->markDirty(c);
    c.stage = Conn::Stage::Proof;
    return true;
  }
  if (c.stage == Conn::Stage::Proof && !c.node &&
      f.kind == static_cast<std::uint8_t>(cb::Kind::Proof)) {
    // The key as it is now: an admin may have changed or removed it since HELLO.
    auto key = bridgeKey(c);
    if (!key) return false;
    if (!*key) {
      refuse(c, static_cast<std::uint8_t>(cb::ErrorCode::UnknownBridge),
             "no card bridge '" + c.ident + "' is registered");
      return false;
    }
    c.key = std::move(**key);
    unsigned char mac[32];
    unsigned int n = 0;
    const Bytes m = cb::proofMessage(c.nonce, c.ident);
    HMAC(EVP_sha256(), c.key.data(), static_cast<int>(c.key.size()), m.data(), m.size(), mac, &n);
    if (f.body.size() != 32 || CRYPTO_memcmp(mac, f.body.data(), 32) != 0) {
      refuse(c, static_cast<std::uint8_t>(cb::ErrorCode::WrongProof),
             "the PROOF does not match the bridge key");
      return false;
    }
    if (auto old = byIdent_.find(c.ident); old != byIdent_.end() && old->second != c.id)
      if (auto* prev = transport_->find(old->second))
        transport_->fail(*prev, code(cb::ErrorCode::Replaced),
                         "card bridge '" + c.ident + "' logged in on a newer connection");
    byIdent_[c.ident] = c.id;
    {
      std::lock_guard l(viewMu_);
      views_[c.ident] = BridgeView{c.ident, c.address(), clock_.nowMs()};
    }
    c.stage = Conn::Stage::Open;
    c.windowStartMs = clock_.nowMs();
    welcome(c);
    ++stats_.bridgesConnected;
    spdlog::info("card bridge '{}' {}: logged in", c.ident, c.address());
    if (events_)
      events_({Event{clock_.nowMs(), "", "", c.ident, "BRIDGE_ONLINE",
                     "Card bridge '" + c.ident + "' connected from " + c.address() + "."}},
              {});
    return true;
  }
  transport_->fail(c, code(cb::ErrorCode::UnexpectedFrame),
                   std::string(cb::kindName(f.kind)) + " is not expected before the login ends");
  return false;
}

bool BridgeListener::onOpen(Conn& c, const up::FrameView& f) {
  const std::int64_t now = clock_.nowMs();
  const auto kind = static_cast<cb::Kind>(f.kind);
  auto malformed = [&](const codecs::Error& e) {
    transport_->fail(c, code(cb::ErrorCode::MalformedFrame),
                     std::string(cb::kindName(f.kind)) + ": " + e.message());
    return false;
  };
  if (kind == cb::Kind::CardInserted || kind == cb::Kind::CardRemoved) {
    if (now - c.windowStartMs >= 60'000) {
      c.windowStartMs = now;
      c.reports = 0;
    }
    if (++c.reports > o_.maxReportsPerMinute) {
      transport_->fail(
          c, code(cb::ErrorCode::TooManyReports),
          "more than " + std::to_string(o_.maxReportsPerMinute) + " card reports in a minute");
      return false;
    }
  }
  switch (kind) {
    case cb::Kind::Heartbeat: {
      Bytes out;
      cb::appendHeartbeat(out);
      c.out.insert(c.out.end(), out.begin(), out.end());
      transport_->markDirty(c);
      return true;
    }
    case cb::Kind::CardInserted: {
      auto in = cb::parseCardInserted(f.body);
      if (!in) return malformed(in.error());
      owner_.decide([&] { return relay_.cardInserted(c.id, c.ident, *in, now); });
      return true;
    }
    case cb::Kind::CardRemoved: {
      auto card = cb::parseCardRemoved(f.body);
      if (!card) return malformed(card.error());
      owner_.decide([&] { return relay_.cardRemoved(c.id, *card, now); });
      return true;
    }
    case cb::Kind::SessionStarted: {
      auto s = cb::parseSessionStarted(f.body);
      if (!s) {
        owner_.decide(
            [&] { return relay_.badReply(c.id, cb::sessionOf(f.body), s.error().message(), now); });
        return true;
      }
      owner_.decide([&] { return relay_.sessionStarted(c.id, *s, now); });
      return true;
    }
    case cb::Kind::Transmitted: {
      auto t = cb::parseTransmitted(f.body);
      if (!t) {
        owner_.decide(
            [&] { return relay_.badReply(c.id, cb::sessionOf(f.body), t.error().message(), now); });
        return true;
      }
      owner_.decide([&] { return relay_.transmitted(c.id, t->session, t->number, t->apdu, now); });
      return true;
    }
    case cb::Kind::SessionEnded: {
      auto s = cb::parseSessionEnded(f.body);
      if (!s) return malformed(s.error());
      owner_.decide([&] { return relay_.sessionEnded(c.id, *s, now); });
      return true;
    }
    case cb::Kind::SessionFailed: {
      auto n = cb::parseSessionFailed(f.body);
      if (!n) return malformed(n.error());
      owner_.decide([&] { return relay_.sessionFailed(c.id, *n, now); });
      return true;
    }
    default:
      break;
  }
  if (cb::isDefinedKind(f.kind)) {
    transport_->fail(c, code(cb::ErrorCode::UnexpectedFrame),
                     std::string(cb::kindName(f.kind)) + " is not sent by a bridge");
  } else {
    transport_->fail(c, code(cb::ErrorCode::UnknownKind),
                     "kind " + std::to_string(f.kind) + " is not defined by card-bridge.md");
  }
  return false;
}

bool BridgeListener::onFrame(uplink::Connection& conn, const up::FrameView& f) {
  auto& c = static_cast<Conn&>(conn);
  if (c.stage != Conn::Stage::Open) return onLogin(c, f);
  return c.node ? onNodeFrame(c, f) : onOpen(c, f);
}

void BridgeListener::onEnd(uplink::Connection& conn) {
  auto& c = static_cast<Conn&>(conn);
  if (c.stage != Conn::Stage::Open) return;
  if (c.node) {
    spdlog::info("{}: node link down", c.ident);
    owner_.nodeLinkGone(c.id);
    return;
  }
  --stats_.bridgesConnected;
  if (auto it = byIdent_.find(c.ident); it != byIdent_.end() && it->second == c.id) {
    byIdent_.erase(it);
    std::lock_guard l(viewMu_);
    views_.erase(c.ident);
  }
  spdlog::info("card bridge '{}': disconnected", c.ident);
  // The bridge's own event first: it is then logged before the cards it takes offline, and
  // anyone who sees the cards offline can already read why.
  if (events_)
    events_({Event{clock_.nowMs(), "", "", c.ident, "BRIDGE_OFFLINE",
                   "Card bridge '" + c.ident + "' disconnected."}},
            {});
  owner_.decide([&] { return relay_.bridgeGone(c.id, clock_.nowMs()); });
}

void BridgeListener::onTimeout(uplink::Connection& conn) {
  auto& c = static_cast<Conn&>(conn);
  if (c.stage == Conn::Stage::Open)
    transport_->fail(c, code(cb::ErrorCode::IdleTimeout), "nothing received in time");
  else
    transport_->fail(c, code(cb::ErrorCode::LoginTimeout), "no login within the time allowed");
}

void BridgeListener::onWake() {
  std::vector<uplink::Outbox::Item> items;
  outbox_->take(items);
  for (auto& item : items) {
    if (item.loopTask) {
      item.loopTask();
      continue;
    }
    auto* c = static_cast<Conn*>(transport_->find(item.connection));
    if (!c || c->state != uplink::Connection::State::Open) continue;
    c->out.insert(c->out.end(), item.frames.begin(), item.frames.end());
    transport_->markDirty(*c);
  }
}

}  // namespace dcgw::cardauth
