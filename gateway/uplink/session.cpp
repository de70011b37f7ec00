// The uplink's session layer: login, heartbeats, the session directory, dispatch to channels by
// kind, and the store worker that keeps the store's latency off the event loop.
#include "gateway/uplink/session.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "gateway/uplink/listener.hpp"

namespace dcgw::uplink {

namespace up = codecs::uplink;

// Most of what an idle tracker costs (about 500 bytes with its map node, socket and epoll
// entry; README, tests/load): a field added here is paid 10,000 times.
static_assert(sizeof(SessionState) <= 208, "the per-connection state grew");

namespace {

// Until the login is done only HELLO (at most 19 bytes) and PROOF (42) are expected: a client
// that has not proved anything cannot make the gateway hold a 64 KiB partial frame.
constexpr std::size_t kLoginFrameBytes = up::kMinFrameBytes;

SessionState& state(Connection& c) {
  return static_cast<SessionState&>(c);
}
const SessionState& state(const Connection& c) {
  return static_cast<const SessionState&>(c);
}

// Which key a session logged in with, without keeping the key: a truncated SHA-256.
std::uint64_t keyTag(codecs::ByteView key) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), md, &len, EVP_sha256(), nullptr);
  std::uint64_t tag = 0;
  for (int i = 0; i < 8; ++i) tag = tag << 8 | md[i];
  return tag;
}

bool sessionKind(std::uint8_t k) {
  return (k >= static_cast<std::uint8_t>(up::Kind::Hello) &&
          k <= static_cast<std::uint8_t>(up::Kind::Welcome)) ||
         k == static_cast<std::uint8_t>(up::Kind::Heartbeat) ||
         k == static_cast<std::uint8_t>(up::Kind::Error);
}

}  // namespace

// ---------------------------------------------------------------- Session, the channels' view
ConnectionId Session::id() const {
  return s_.id;
}
const std::string& Session::serial() const {
  return s_.serial;
}
bool Session::open() const {
  return s_.state == Connection::State::Open;
}
codecs::Bytes& Session::out() {
  return s_.out;
}
void Session::wantWrite() {
  t_.markDirty(s_);
}
void Session::fail(up::ErrorCode code, const std::string& reason) {
  t_.fail(s_, code, reason);
}
PacketFlow& Session::packets() {
  return s_.packets;
}
const PacketFlow& Session::packets() const {
  return s_.packets;
}

// ---------------------------------------------------------------- Sessions
Sessions::Sessions(store::DeviceDirectory& store, common::Clock& clock,
                   const ListenerOptions& options, ListenerStats& stats,
                   std::shared_ptr<Outbox> outbox)
    : store_(store), clock_(clock), o_(options), stats_(stats), outbox_(std::move(outbox)) {}

Sessions::~Sessions() {
  stop();
}

void Sessions::registerChannel(std::uint8_t first, std::uint8_t last, Channel& channel) {
  if (transport_) throw std::logic_error("uplink: a channel is registered before start()");
  if (first > last) throw std::invalid_argument("uplink: an empty range of kinds");
  for (unsigned k = first; k <= last; ++k) {
    if (sessionKind(static_cast<std::uint8_t>(k)) || channels_[k])
      throw std::invalid_argument("uplink: kind " + std::to_string(k) +
                                  " is taken (by the login, heartbeats, ERROR or a channel)");
  }
  for (unsigned k = first; k <= last; ++k) channels_[k] = &channel;
  if (std::find(distinct_.begin(), distinct_.end(), &channel) == distinct_.end())
    distinct_.push_back(&channel);
}

void Sessions::start(Transport& transport) {
  transport_ = &transport;
  worker_ = std::thread([this] { work(); });
}

void Sessions::stop() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  worker_.join();
}

std::unique_ptr<Connection> Sessions::newConnection() {
  return std::make_unique<SessionState>();
}

const std::string& Sessions::name(const Connection& c) {
  static const std::string kNone = "-";
  return state(c).serial.empty() ? kNone : state(c).serial;
}

std::size_t Sessions::maxFrameBytes(const Connection& c) {
  return c.state == Connection::State::Open ? o_.maxFrameBytes : kLoginFrameBytes;
}

void Sessions::fail(SessionState& c, up::ErrorCode code, const std::string& reason) {
  transport_->fail(c, code, reason);
}

// false: the connection is closing.
bool Sessions::onFrame(Connection& conn, const up::FrameView& f) {
  SessionState& c = state(conn);
  const std::uint8_t k = f.kind;
  Channel* channel = channels_[k];
  if (c.stage != SessionState::Stage::Ready &&
      (channel || up::isReservedKind(k) || k == static_cast<std::uint8_t>(up::Kind::Heartbeat))) {
    fail(c, up::ErrorCode::UnexpectedFrame,
         std::string(up::kindName(k)) + " before the login finished (WELCOME)");
    return false;
  }
  if (channel) {
    Session s(*transport_, c);
    channel->onFrame(s, k, f.body);
    return true;  // c may be gone (a failed write): the transport looks it up again
  }
  if (up::isReservedKind(k)) {
    up::appendError(c.out, up::ErrorCode::NotSupported,
                    std::string("kind ") + std::to_string(k) + " is " + up::kindName(k) +
                        ", not implemented by this gateway (uplink version 1)");
    transport_->markDirty(c);
    return true;
  }
  if (!up::isDefinedKind(k)) {
    fail(c, up::ErrorCode::UnknownKind,
         "kind at offset 1: a kind of uplink version 1, not " + std::to_string(k));
    return false;
  }
  switch (static_cast<up::Kind>(k)) {
    case up::Kind::Hello:
      return onHello(c, f.body);
    case up::Kind::Proof:
      return onProof(c, f.body);
    case up::Kind::Heartbeat:
      if (!f.body.empty()) {
        fail(c, up::ErrorCode::MalformedFrame, "HEARTBEAT: an empty body");
        return false;
      }
      up::appendHeartbeat(c.out);
      transport_->markDirty(c);
      return true;
    default:
      fail(c, up::ErrorCode::UnexpectedFrame,
           std::string(up::kindName(k)) + " is sent by the gateway, not by a device");
      return false;
  }
}

bool Sessions::onHello(SessionState& c, codecs::ByteView body) {
  if (c.stage != SessionState::Stage::AwaitHello) {
    fail(c, up::ErrorCode::UnexpectedFrame, "HELLO: the login has already begun");
    return false;
  }
  auto h = up::parseHello(body);
  if (!h) {
    fail(c, up::ErrorCode::MalformedFrame, h.error().message());
    return false;
  }
  c.serial = h->serial;
  std::optional<store::DeviceAuth> auth;
  try {
    auth = store_.deviceAuth(c.serial);
  } catch (const store::StoreError& e) {
    fail(c, up::ErrorCode::StoreUnavailable, std::string("the device list: ") + e.what());
    return false;
  }
  if (!auth) {
    refuse(c, up::ErrorCode::UnknownDevice, "no device '" + c.serial + "' is registered");
    return false;
  }
  if (auth->key.empty()) {
    refuse(c, up::ErrorCode::UnknownDevice,
           "device '" + c.serial + "' has no device key; an admin must set one");
    return false;
  }
  c.login =
      std::make_unique<SessionState::Login>(SessionState::Login{makeNonce(), std::move(auth->key)});
  c.packets.lastSequence = auth->lastSequence;
  up::appendChallenge(c.out, c.login->nonce);
  c.stage = SessionState::Stage::AwaitProof;
  transport_->markDirty(c);
  return true;
}

bool Sessions::onProof(SessionState& c, codecs::ByteView body) {
  if (c.stage != SessionState::Stage::AwaitProof) {
    fail(c, up::ErrorCode::UnexpectedFrame,
         c.stage == SessionState::Stage::AwaitHello ? "PROOF before HELLO"
                                                    : "PROOF after the login");
    return false;
  }
  auto p = up::parseProof(body);
  if (!p) {
    fail(c, up::ErrorCode::MalformedFrame, p.error().message());
    return false;
  }
  if (!proofMatches(c.login->key, c.login->nonce, c.serial, *p)) {
    refuse(c, up::ErrorCode::WrongProof,
           "the PROOF does not match the key registered for device '" + c.serial + "'");
    return false;
  }
  const std::uint64_t tag = keyTag(c.login->key);
  c.login.reset();
  PacketFlow& flow = c.packets;
  // Read again: a connection this one replaces may have stored more since HELLO. And an admin
  // may have changed the device since HELLO, its DeviceChanged seen while it was not yet in
  // the directory: then it is checked again as soon as it is.
  bool changed = false;
  try {
    if (auto fresh = store_.deviceAuth(c.serial)) {
      // The store's mark is the truth: raised by commits, or set by an admin (even lower).
      flow.lastSequence = fresh->lastSequence;
      changed = fresh->key.empty() || keyTag(fresh->key) != tag;
    } else {
      changed = true;
    }
  } catch (const store::StoreError&) {
  }
  // The newer connection wins: the older one may be a dead link not noticed yet.
  if (auto it = directory_.find(c.serial); it != directory_.end()) {
    if (Connection* old = transport_->find(it->second.id)) {
      spdlog::info("uplink {}: a newer connection from {} replaces the one from {}", c.serial,
                   c.address(), old->address());
      transport_->fail(*old, up::ErrorCode::Replaced,
                       "device '" + c.serial + "' logged in on a newer connection");
    }
  }
  directory_[c.serial] = Entry{c.id, tag};
  c.stage = SessionState::Stage::Ready;
  transport_->markOpen(c);
  flow.ackedSequence = flow.lastSequence;
  ++stats_.logins;
  spdlog::debug("uplink {} {}: logged in, last sequence {}", c.serial, c.address(),
                flow.lastSequence);
  up::Welcome w;
  w.lastSequence = flow.lastSequence;
  w.window = o_.window;
  w.heartbeatSeconds = static_cast<std::uint16_t>(
      std::clamp<std::int64_t>((o_.heartbeat.count() + 999) / 1000, 1, 65535));
  w.idleTimeoutSeconds = static_cast<std::uint16_t>(
      std::clamp<std::int64_t>((o_.idleTimeout.count() + 999) / 1000, 1, 65535));
  w.maxFrameBytes = static_cast<std::uint32_t>(o_.maxFrameBytes);
  for (const Channel* ch : distinct_)
    if (std::uint8_t cap = ch->capability(); cap != 0) w.capabilities.push_back(cap);
  up::appendWelcome(c.out, w);
  transport_->markDirty(c);
  if (changed) devicesChanged({c.serial});
  return true;
}

void Sessions::refuse(SessionState& c, up::ErrorCode code, const std::string& reason) {
  ++stats_.refusedLogins;
  spdlog::warn("uplink {} {}: login refused: {}", c.serial, c.address(), reason);
  {
    std::lock_guard lock(mu_);
    if (refused_.size() < 10'000)  // a flood is counted in stats, not queued without bound
      refused_.push_back(store::RefusedIdent{
          c.serial, c.address(),
          std::string(up::errorCodeName(static_cast<std::uint8_t>(code))) + ": " + reason,
          clock_.nowMs(), 0, 0});
  }
  fail(c, code, reason);
}

void Sessions::onEnd(Connection& conn) {
  SessionState& c = state(conn);
  auto it = directory_.find(c.serial);
  if (it != directory_.end() && it->second.id == c.id) directory_.erase(it);
  c.login.reset();
  if (c.state != Connection::State::Open) return;
  Session s(*transport_, c);
  for (Channel* channel : distinct_) channel->onClose(s);
}

void Sessions::onTimeout(Connection& conn) {
  SessionState& c = state(conn);
  if (c.state == Connection::State::Open) {
    fail(c, up::ErrorCode::IdleTimeout,
         "nothing received for " + std::to_string(o_.idleTimeout.count()) + " ms");
  } else if (c.stage == SessionState::Stage::AwaitHello) {
    fail(c, up::ErrorCode::LoginTimeout,
         "no HELLO within " + std::to_string(o_.loginTimeout.count()) + " ms");
  } else {
    refuse(c, up::ErrorCode::LoginTimeout,
           "no PROOF within " + std::to_string(o_.loginTimeout.count()) + " ms");
  }
}

void Sessions::onTurnEnd(Connection& conn) {
  Session s(*transport_, state(conn));
  for (Channel* channel : distinct_) channel->onTurnEnd(s);
}

bool Sessions::busy(const Connection& conn) {
  Session s(*transport_, const_cast<SessionState&>(state(conn)));
  for (Channel* channel : distinct_)
    if (channel->busy(s)) return true;
  return false;
}

void Sessions::onWake() {
  outbox_->take(taken_);
  for (Outbox::Item& item : taken_) {
    if (item.connection == 0) {
      if (item.loopTask) item.loopTask();
      continue;
    }
    // Closed or closing meanwhile: dropped (a packet's tracker resends, the store dedupes).
    Connection* c = transport_->find(item.connection);
    if (!c || c->state != Connection::State::Open) continue;
    if (item.task) {
      Session s(*transport_, state(*c));
      item.task(s);
    } else {
      c->out.insert(c->out.end(), item.frames.begin(), item.frames.end());
      transport_->markDirty(*c);
    }
  }
  taken_.clear();
}

// ---------------------------------------------------------------- the store worker
void Sessions::devicesChanged(const std::vector<std::string>& serials) {
  bool any = false;
  {
    std::lock_guard lock(mu_);
    for (const std::string& serial : serials) {
      auto it = directory_.find(serial);
      if (it == directory_.end()) continue;
      checks_[serial] = Check{it->second.id, it->second.keyTag};
      any = true;
    }
  }
  if (any) cv_.notify_one();
}

void Sessions::sequenceReset(const std::vector<std::string>& serials) {
  for (const std::string& serial : serials) {
    auto it = directory_.find(serial);
    if (it == directory_.end()) continue;
    Connection* c = transport_->find(it->second.id);
    if (!c || c->state != Connection::State::Open) continue;
    fail(state(*c), up::ErrorCode::SequenceReset,
         "an admin reset the sequence of device '" + serial +
             "'; log in again: WELCOME carries the new lastSequence");
  }
}

void Sessions::work() {
  std::vector<store::RefusedIdent> batch;
  std::unordered_map<std::string, Check> todo;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(200),
                   [this] { return stop_ || !checks_.empty(); });
      batch.swap(refused_);
      todo.swap(checks_);
      if (batch.empty() && todo.empty() && stop_) return;
    }
    for (const auto& [serial, what] : todo) check(serial, what);
    todo.clear();
    if (batch.empty()) continue;
    try {
      store_.recordRefusedIdents(batch);
    } catch (const store::StoreError& e) {
      spdlog::error("uplink: cannot record {} refused logins: {}", batch.size(), e.what());
    }
    batch.clear();
  }
}

void Sessions::check(const std::string& serial, const Check& what) {
  std::optional<store::DeviceAuth> auth;
  try {
    auth = store_.deviceAuth(serial);
  } catch (const store::StoreError& e) {
    spdlog::warn("uplink {}: cannot re-read the changed device, its session stays: {}", serial,
                 e.what());
    return;
  }
  up::ErrorCode code;
  std::string reason;
  if (!auth) {
    code = up::ErrorCode::UnknownDevice;
    reason = "device '" + serial + "' was removed";
  } else if (auth->key.empty()) {
    code = up::ErrorCode::UnknownDevice;
    reason = "device '" + serial + "' no longer has a device key";
  } else if (keyTag(auth->key) != what.keyTag) {
    code = up::ErrorCode::WrongProof;
    reason = "the key of device '" + serial + "' was changed; log in with the new key";
  } else {
    return;
  }
  // Posted by connection id: if that session ended meanwhile, nothing happens.
  outbox_->post(what.id, [code, reason](Session& s) { s.fail(code, reason); });
}

}  // namespace dcgw::uplink
