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

Bridge::Bridge(BridgeConfig config) : c_(std::move(config)) {}

Bridge::~Bridge() {
  stop();
}

void Bridge::stop() {
  stop_ = true;
  {
    std::lock_guard l(mu_);
    if (watcherCtx_) static_cast<PcscContext*>(watcherCtx_)->cancel();
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

// The reader watcher: a card that comes is read (its extended serial number) and, when the
// configuration knows it, reported; a card that goes is reported gone.
void Bridge::watch() {
  auto ctx = std::make_unique<PcscContext>();
  while (!stop_ && !ctx->ok()) {
    spdlog::error("card bridge: PC/SC: {} (is pcscd running?); retrying in 5 s", ctx->ok().what);
    std::unique_lock l(mu_);
    cv_.wait_for(l, std::chrono::seconds(5), [&] { return stop_.load(); });
    if (stop_) return;
    l.unlock();
    ctx = std::make_unique<PcscContext>();
  }
  {
    std::lock_guard l(mu_);
    watcherCtx_ = ctx.get();
  }
  std::vector<ReaderState> states;
  std::map<std::string, bool> seen;  // reader -> a card present (only this thread writes it)
  while (!stop_) {
    bool changed = false;
    if (auto s = ctx->poll(states, 1000, changed); !s) {
      spdlog::warn("card bridge: {}", s.what);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    for (const auto& st : states) {
      if (!usable(st.reader) || seen[st.reader] == st.present) continue;
      seen[st.reader] = st.present;
      ReaderCard now{st.present, "", ""};
      std::array<std::uint8_t, 8> esn{};
      if (st.present) {  // read the card's serial number (it is free: no session yet)
        std::unique_ptr<PcscCard> card;
        PcscStatus s = PcscCard::connect(*ctx, st.reader, 0xFF, card);
        if (s) s = readExtendedSerial(*card, esn);
        if (card) card->release(false);
        if (!s) {
          spdlog::warn("card bridge: cannot read the card in reader '{}': {}", st.reader, s.what);
          seen[st.reader] = false;  // try again on the next change
          continue;
        }
        now.esn = codecs::toHex(Bytes(esn.begin(), esn.end()));
        auto known = c_.cards.find(now.esn);
        if (known == c_.cards.end()) {
          spdlog::warn(
              "card bridge: the card in reader '{}' (extended serial number {}) is not in the "
              "configuration; add it to \"cards\" with its card number",
              st.reader, now.esn);
        } else {
          now.card = known->second;
          spdlog::info("card bridge: card {} in reader '{}'", now.card, st.reader);
        }
      }
      std::lock_guard l(mu_);
      ReaderCard& rc = readers_[st.reader];
      Bytes f;
      if (!st.present) {  // a session on this reader holds a card that is gone: let it go
        for (auto it = sessions_.begin(); it != sessions_.end();) {
          if (it->second->reader() != st.reader) {
            ++it;
            continue;
          }
          it->second->end(false);
          retiring_.push_back(std::move(it->second));
          it = sessions_.erase(it);
        }
      }
      if (!st.present && !rc.card.empty()) {
        spdlog::info("card bridge: card {} left reader '{}'", rc.card, st.reader);
        cb::appendCardRemoved(f, rc.card);
      } else if (st.present && !now.card.empty()) {
        cb::appendCardInserted(f, {now.card, esn, st.reader.substr(0, cb::kMaxReaderChars)});
      }
      rc = now;
      if (link_ && !f.empty()) {
        outbox_.push_back(std::move(f));
        link_->wake();
      }
    }
  }
  std::lock_guard l(mu_);
  watcherCtx_ = nullptr;
}

void Bridge::run() {
  watcher_ = std::thread([this] { watch(); });
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
        ++stats_.logins;
      }
      spdlog::info("card bridge: logged in to {}:{} as '{}'", c_.gateway.host, c_.gateway.port,
                   c_.ident);
      reportAll(*link);
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
  if (watcher_.joinable()) watcher_.join();
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
  apduTimeoutMs_ = w->apduTimeoutMs;
  return true;
}

void Bridge::reportAll(FrameLink& link) {
  Bytes f;
  {
    std::lock_guard l(mu_);
    for (const auto& [reader, rc] : readers_) {
      if (!rc.present || rc.card.empty()) continue;
      cb::CardInserted in{rc.card, {}, reader.substr(0, cb::kMaxReaderChars)};
      Bytes esn;
      codecs::fromHex(rc.esn, esn);
      std::copy(esn.begin(), esn.end(), in.extendedSerial.begin());
      cb::appendCardInserted(f, in);
    }
  }
  if (!f.empty()) link.send(f);
}

void Bridge::serve(FrameLink& link, std::uint64_t gen) {
  const int heartbeatMs = 30'000, idleMs = 90'000;
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
    LinkFrame in;
    std::string why;
    switch (link.next(1000, in, why)) {
      case FrameLink::Got::Frame:
        lastRx = steadyMs();
        handle(link, in.kind, in.body, gen);
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

void Bridge::handle(FrameLink& link, std::uint8_t kind, const Bytes& body, std::uint64_t gen) {
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
      {
        std::lock_guard l(mu_);
        for (const auto& [name, rc] : readers_)
          if (rc.present && rc.card == s->card) reader = name;
        ++stats_.sessions;
      }
      if (reader.empty()) {
        Bytes f;
        cb::appendSessionFailed(f, s->session, cb::Failure::NotHere,
                                "card " + s->card + " is not in a reader of this bridge");
        link.send(f);
        return;
      }
      auto worker = std::make_unique<SessionWorker>(
          s->session, reader, s->protocol, c_.logApdus, send, [this](std::int64_t us) {
            std::lock_guard l(mu_);
            stats_.transmitUsSum += static_cast<std::uint64_t>(us);
            ++stats_.transmits;
          });
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
        link.send(f);
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
