// The card bridge: the reader watcher, the gateway link and its frames.
#include "gateway/cardbridge/bridge.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "codecs/cardbridge/frame.hpp"
#include "gateway/cardbridge/pcsc.hpp"
#include "gateway/cardbridge/session_worker.hpp"
#include "gateway/common/frame_link.hpp"

namespace dcgw::cardbridge {

namespace cb = codecs::cardbridge;
using codecs::Bytes;
using common::FrameLink;
using common::LinkFrame;

namespace {

std::int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Bytes proof(const Bytes& key, const Bytes& message) {
  unsigned char out[32];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), message.data(), message.size(), out,
       &n);
  return Bytes(out, out + n);
}

}  // namespace

Bridge::Bridge(BridgeConfig config, std::unique_ptr<ReaderPort> port) : c_(std::move(config)) {
  ReaderWatcher::Options o;
  o.cards = c_.cards;
  o.usable = [this](const std::string& reader) { return usable(reader); };
  watcher_ =
      std::make_unique<ReaderWatcher>(port ? std::move(port) : pcscReaderPort(), std::move(o),
                                      [this](const CardChange& c) { cardChanged(c); });
}

Bridge::~Bridge() {
  stop();
  if (watcherThread_.joinable()) watcherThread_.join();
}

void Bridge::stop() {
  stop_ = true;
  watcher_->stop();
  {
    std::lock_guard l(mu_);
    if (link_) link_->wake();
  }
  cv_.notify_all();
}

BridgeStats Bridge::stats() const {
  std::lock_guard l(mu_);
  return stats_;
}

bool Bridge::usable(const std::string& reader) const {
  if (c_.readers.empty()) return true;
  return std::any_of(c_.readers.begin(), c_.readers.end(),
                     [&](const std::string& p) { return reader.rfind(p, 0) == 0; });
}

void Bridge::post(Bytes frames, std::uint64_t generation) {
  std::lock_guard l(mu_);
  if (generation != generation_ || !link_) return;  // that link is gone: the gateway knows
  outbox_.push_back(std::move(frames));
  link_->wake();
}

// A card came or went (its reader gone, PC/SC lost): the sessions on it end with
// SESSION_FAILED (after CARD_REMOVED, which tells the gateway first that the card is offline).
void Bridge::cardChanged(const CardChange& ch) {
  std::lock_guard l(mu_);
  Bytes f;
  if (ch.present) {
    readers_[ch.reader] =
        ReaderCard{true, ch.card, codecs::toHex(Bytes(ch.esn.begin(), ch.esn.end()))};
    if (!ch.card.empty())
      cb::appendCardInserted(f, {ch.card, ch.esn, ch.reader.substr(0, cb::kMaxReaderChars)});
  } else {
    if (!ch.card.empty()) {
      spdlog::info("card bridge: card {} left reader '{}'{}", ch.card, ch.reader,
                   ch.lost.empty() ? "" : " (PC/SC lost)");
      cb::appendCardRemoved(f, ch.card);
    }
    readers_.erase(ch.reader);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->second->reader() != ch.reader) {
        ++it;
        continue;
      }
      if (ch.lost.empty())
        it->second->fail(static_cast<std::uint8_t>(cb::Failure::CardGone),
                         "the card left reader '" + ch.reader + "'");
      else
        it->second->fail(static_cast<std::uint8_t>(cb::Failure::ReaderError), ch.lost);
      retiring_.push_back(std::move(it->second));
      it = sessions_.erase(it);
    }
  }
  if (link_ && !f.empty()) {
    outbox_.push_back(std::move(f));
    link_->wake();
  }
}

void Bridge::run() {
  watcherThread_ = std::thread([this] { watcher_->run(); });
  int delay = c_.retryFirstMs;
  while (!stop_) {
    std::string why;
    auto link = FrameLink::open(c_.gateway, why);
    if (link && login(*link)) {
      delay = c_.retryFirstMs;
      std::uint64_t gen;
      {
        std::lock_guard l(mu_);
        gen = ++generation_;
        link_ = link.get();
        outbox_.clear();
        reportAll();  // in the same hold of the lock: a card the watcher reports is in it once
        ++stats_.logins;
      }
      spdlog::info("card bridge: logged in to {}:{} as '{}'", c_.gateway.host, c_.gateway.port,
                   c_.ident);
      serve(*link, gen);
      endAllSessions();
      std::lock_guard l(mu_);
      link_ = nullptr;
      generation_ = 0;
    } else if (!link) {
      spdlog::warn("card bridge: {}", why);
    }
    if (stop_) break;
    spdlog::info("card bridge: reconnecting in {} s", delay / 1000.0);
    std::unique_lock l(mu_);
    cv_.wait_for(l, std::chrono::milliseconds(delay), [&] { return stop_.load(); });
    delay = std::min(delay * 2, c_.retryMaxMs);
  }
  if (watcherThread_.joinable()) watcherThread_.join();
}

bool Bridge::login(FrameLink& link) {
  Bytes f;
  cb::appendHello(f, c_.ident);
  if (!link.send(f)) return false;
  LinkFrame in;
  std::string why;
  auto expect = [&](cb::Kind kind) {
    const auto got = link.next(10'000, in, why);
    if (got == FrameLink::Got::Frame && in.kind == static_cast<std::uint8_t>(kind)) return true;
    if (got == FrameLink::Got::Frame && in.kind == static_cast<std::uint8_t>(cb::Kind::Error)) {
      auto e = cb::parseError(in.body);
      spdlog::error("card bridge: the gateway refused the login: {}: {}",
                    e ? cb::errorCodeName(e->code) : "?", e ? e->text : "");
    } else {
      spdlog::warn("card bridge: login: expected {}, got {}",
                   cb::kindName(static_cast<std::uint8_t>(kind)),
                   got == FrameLink::Got::Frame ? cb::kindName(in.kind) : "no frame " + why);
    }
    return false;
  };
  if (!expect(cb::Kind::Challenge) || in.body.size() != 32) return false;
  f.clear();
  cb::appendProof(f, proof(c_.key, cb::proofMessage(in.body, c_.ident)));
  if (!link.send(f) || !expect(cb::Kind::Welcome)) return false;
  auto w = cb::parseWelcome(in.body);
  if (!w) return false;
  std::lock_guard l(mu_);
  // A zero would mean no heartbeat or no idle limit; the spec's defaults stand for it.
  heartbeatMs_ = w->heartbeatSeconds ? w->heartbeatSeconds * 1000 : 30'000;
  idleMs_ = w->idleTimeoutSeconds ? w->idleTimeoutSeconds * 1000 : 90'000;
  apduTimeoutMs_ = w->apduTimeoutMs ? w->apduTimeoutMs : 5000;
  return true;
}

// Every card in a reader, into the outbox of a new link (mu_ held).
void Bridge::reportAll() {
  Bytes f;
  for (const auto& [reader, rc] : readers_) {
    if (!rc.present || rc.card.empty()) continue;
    cb::CardInserted in{rc.card, {}, reader.substr(0, cb::kMaxReaderChars)};
    Bytes esn;
    codecs::fromHex(rc.esn, esn);
    std::copy(esn.begin(), esn.end(), in.extendedSerial.begin());
    cb::appendCardInserted(f, in);
  }
  if (!f.empty()) outbox_.push_back(std::move(f));
}

void Bridge::serve(FrameLink& link, std::uint64_t gen) {
  int heartbeatMs, idleMs;
  {
    std::lock_guard l(mu_);
    heartbeatMs = heartbeatMs_;
    idleMs = idleMs_;
  }
  std::int64_t lastRx = steadyMs(), lastTx = steadyMs();
  while (!stop_) {
    std::deque<Bytes> out;
    {
      std::lock_guard l(mu_);
      out.swap(outbox_);
    }
    for (auto& f : out) {
      if (!link.send(f)) return;
      lastTx = steadyMs();
    }
    if (steadyMs() - lastTx >= heartbeatMs) {
      Bytes hb;
      cb::appendHeartbeat(hb);
      if (!link.send(hb)) return;
      lastTx = steadyMs();
    }
    if (steadyMs() - lastRx >= idleMs) {
      spdlog::warn("card bridge: nothing from the gateway for {} s; reconnecting", idleMs / 1000);
      return;
    }
    reap(false);
    // Until the next heartbeat or the idle limit is due (at most 1 s: the reaping).
    const std::int64_t now = steadyMs();
    const auto wait =
        std::clamp<std::int64_t>(std::min(lastTx + heartbeatMs, lastRx + idleMs) - now, 1, 1000);
    LinkFrame in;
    std::string why;
    switch (link.next(static_cast<int>(wait), in, why)) {
      case FrameLink::Got::Frame:
        lastRx = steadyMs();
        handle(in.kind, in.body, gen);
        break;
      case FrameLink::Got::Closed:
        spdlog::warn("card bridge: the gateway closed the connection{}",
                     why.empty() ? "" : ": " + why);
        return;
      case FrameLink::Got::Bad:
        spdlog::error("card bridge: a broken frame from the gateway: {}", why);
        return;
      case FrameLink::Got::Timeout:
      case FrameLink::Got::Woken:
        break;
    }
  }
}

void Bridge::handle(std::uint8_t kind, const Bytes& body, std::uint64_t gen) {
  auto send = [this, gen](Bytes f) { post(std::move(f), gen); };
  switch (static_cast<cb::Kind>(kind)) {
    case cb::Kind::Heartbeat:
      return;
    case cb::Kind::CardStatus: {
      auto s = cb::parseCardStatus(body);
      if (!s) break;
      if (s->status == static_cast<std::uint8_t>(cb::CardStatus::Online))
        spdlog::info("card bridge: card {} is online at the gateway", s->card);
      else
        spdlog::warn("card bridge: card {} is {} at the gateway: {}", s->card,
                     cb::cardStatusName(s->status), s->text);
      return;
    }
    case cb::Kind::SessionStart: {
      auto s = cb::parseSessionStart(body);
      if (!s) break;
      std::string reader;
      int busyWaitMs = 0;
      {
        std::lock_guard l(mu_);
        for (const auto& [name, rc] : readers_)
          if (rc.present && rc.card == s->card) reader = name;
        if (auto w = sessions_.find(s->session); w != sessions_.end()) {
          // Started twice: the session is over (its SESSION_FAILED tells the gateway).
          w->second->fail(static_cast<std::uint8_t>(cb::Failure::NotHere),
                          "session " + std::to_string(s->session) + " was started twice");
          retiring_.push_back(std::move(w->second));
          sessions_.erase(w);
          return;
        }
        // A card still held by another connection is waited for, within half the time the
        // gateway waits for SESSION_STARTED (the reset and the ATR need the rest).
        busyWaitMs = static_cast<int>(apduTimeoutMs_ / 2);
        ++stats_.sessions;
      }
      if (reader.empty()) {
        Bytes f;
        cb::appendSessionFailed(f, s->session, cb::Failure::NotHere,
                                "card " + s->card + " is not in a reader of this bridge");
        send(std::move(f));
        return;
      }
      auto worker = std::make_unique<SessionWorker>(
          s->session, reader, s->protocol, c_.logApdus, send,
          [this](std::int64_t us) {
            std::lock_guard l(mu_);
            stats_.transmitUsSum += static_cast<std::uint64_t>(us);
            ++stats_.transmits;
          },
          busyWaitMs);
      std::lock_guard l(mu_);
      sessions_[s->session] = std::move(worker);
      return;
    }
    case cb::Kind::Transmit: {
      auto t = cb::parseTransmit(body);
      if (!t) break;
      std::lock_guard l(mu_);
      auto w = sessions_.find(t->session);
      if (w == sessions_.end()) {
        Bytes f;
        cb::appendSessionFailed(f, t->session, cb::Failure::NotHere, "no such session here");
        outbox_.push_back(std::move(f));
        return;
      }
      ++stats_.apdus;
      w->second->transmit(t->number, Bytes(t->apdu.begin(), t->apdu.end()));
      return;
    }
    case cb::Kind::SessionEnd: {
      auto e = cb::parseSessionEnd(body);
      if (!e) break;
      bool known = false;
      {
        std::lock_guard l(mu_);
        known = sessions_.count(e->session) > 0;
      }
      if (known) {
        retire(e->session, true);
      } else {  // failed or never started here: nothing held, the card is free
        Bytes f;
        cb::appendSessionEnded(f, e->session);
        send(std::move(f));
      }
      return;
    }
    case cb::Kind::Error: {
      auto e = cb::parseError(body);
      spdlog::error("card bridge: the gateway ended the connection: {}: {}",
                    e ? cb::errorCodeName(e->code) : "?", e ? e->text : "");
      return;
    }
    default:
      break;
  }
  spdlog::warn("card bridge: ignored a {} frame from the gateway ({} bytes)", cb::kindName(kind),
               body.size());
}

void Bridge::retire(std::uint32_t session, bool answer) {
  std::lock_guard l(mu_);
  auto w = sessions_.find(session);
  if (w == sessions_.end()) return;
  w->second->end(answer);
  retiring_.push_back(std::move(w->second));
  sessions_.erase(w);
}

void Bridge::reap(bool all) {
  std::vector<std::unique_ptr<SessionWorker>> done;
  {
    std::lock_guard l(mu_);
    // A worker that failed (its card gone, a reader error) holds nothing: it retires too.
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (all || it->second->finished() || it->second->failed()) {
        it->second->end(false);
        retiring_.push_back(std::move(it->second));
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = retiring_.begin(); it != retiring_.end();) {
      if (all || (*it)->finished()) {
        done.push_back(std::move(*it));
        it = retiring_.erase(it);
      } else {
        ++it;
      }
    }
  }
  done.clear();  // joins: finished ones at once; with `all`, each resets and releases its card
}

void Bridge::endAllSessions() {
  reap(true);
}

}  // namespace dcgw::cardbridge
