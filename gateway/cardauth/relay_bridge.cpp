// The relay's bridge side (cards reported, sessions served), its timeouts and its views.
#include <algorithm>

#include "gateway/cardauth/relay.hpp"

namespace dcgw::cardauth {

namespace up = codecs::uplink;
namespace cb = codecs::cardbridge;
using codecs::Bytes;

namespace {

void status(Outputs& o, BridgeId b, const std::string& card, cb::CardStatus s,
            const std::string& text) {
  Bytes f;
  cb::appendCardStatus(f, card, s, text);
  o.toBridges.emplace_back(b, std::move(f));
}

}  // namespace

Relay::Session* Relay::sessionAt(BridgeId b, std::uint32_t id) {
  auto s = sessions_.find(id);
  if (s == sessions_.end()) return nullptr;
  auto c = cards_.find(s->second.card);
  if (c == cards_.end() || c->second.bridge != b) return nullptr;
  return &s->second;
}

void Relay::strayReply(Outputs& o, BridgeId b, std::uint32_t id, const char* what,
                       std::int64_t now) {
  auto& ended = ended_[b];
  if (ended.count(id)) return;  // a late reply to a session that ended meanwhile
  o.events.push_back(Event{now, "", "", "", "BRIDGE_ERROR",
                           std::string("The card bridge sent ") + what + " for session " +
                               std::to_string(id) + ", which is not open at this bridge."});
}

Outputs Relay::cardInserted(BridgeId b, const std::string& ident, const cb::CardInserted& in,
                            std::int64_t now) {
  std::lock_guard lock(mu_);
  return inserted(b, ident, in.card, in.reader, now);
}

Outputs Relay::inserted(BridgeId b, const std::string& ident, const std::string& card,
                        const std::string& reader, std::int64_t now) {
  Outputs o;
  const auto info = dir_.card(card);
  CardReason why{};
  std::optional<std::string> text;
  if (!info) text = "No company card " + quoted(card) + " is registered.";
  if (info) text = invalid(*info, now, why);
  if (text) {
    const bool expired = info.has_value();
    status(o, b, card, expired ? cb::CardStatus::Expired : cb::CardStatus::UnknownCard, *text);
    o.events.push_back(Event{now, card, "", ident, expired ? "EXPIRED" : "UNKNOWN_CARD", *text});
    reported_[card] = Reported{b, ident, reader};
    return o;
  }
  Card& c = cards_[card];
  c.number = card;
  if (c.bridge && *c.bridge != b) {
    const std::string elsewhere = "The company card " + quoted(card) +
                                  " is online at card bridge " + quoted(c.bridgeIdent) +
                                  " already; this report is ignored.";
    status(o, b, card, cb::CardStatus::Elsewhere, elsewhere);
    o.events.push_back(Event{now, card, "", ident, "ELSEWHERE", elsewhere});
    return o;
  }
  reported_.erase(card);
  const bool was = c.bridge.has_value();
  c.bridge = b;
  c.bridgeIdent = ident;
  c.reader = reader;
  status(o, b, card, cb::CardStatus::Online, "online");
  if (!was)
    event(o, now, card, "", "ONLINE",
          "The company card " + quoted(card) + " is online in reader " + quoted(reader) +
              " of card bridge " + quoted(ident) + ".");
  if (c.phase == Phase::Idle) startNext(o, c, now);
  return o;
}

Outputs Relay::cardRemoved(BridgeId b, const std::string& card, std::int64_t now) {
  std::lock_guard lock(mu_);
  Outputs o;
  if (auto r = reported_.find(card); r != reported_.end() && r->second.bridge == b)
    reported_.erase(r);
  auto it = cards_.find(card);
  if (it == cards_.end() || it->second.bridge != b) return o;
  Card& c = it->second;
  if (c.session) remember(b, c.session);
  event(o, now, card, "", "OFFLINE",
        "The company card " + quoted(card) + " was removed from its reader.");
  c.bridge.reset();
  if (c.session) {
    auto s = sessions_.find(c.session);
    if (s != sessions_.end())
      endSession(o, s->second, CardReason::CardRemoved,
                 "The company card " + quoted(card) + " was removed during the session.", false,
                 now);
  }
  c.phase = Phase::Idle;
  c.session = 0;
  tellPlaces(o, c, "The company card " + quoted(card) + " is offline; waiting for it.", true);
  if (c.queue.empty()) cards_.erase(it);
  return o;
}

Outputs Relay::bridgeGone(BridgeId b, std::int64_t now) {
  std::lock_guard lock(mu_);
  Outputs o;
  for (auto it = cards_.begin(); it != cards_.end();) {
    Card& c = it->second;
    if (c.bridge != b) {
      ++it;
      continue;
    }
    c.bridge.reset();
    if (c.session) {
      auto s = sessions_.find(c.session);
      if (s != sessions_.end())
        endSession(o, s->second, CardReason::BridgeGone,
                   "Card bridge " + quoted(c.bridgeIdent) + " disconnected during the session.",
                   false, now);
    }
    c.phase = Phase::Idle;
    c.session = 0;
    event(o, now, c.number, "", "OFFLINE",
          "The company card " + quoted(c.number) + " is offline: card bridge " +
              quoted(c.bridgeIdent) + " disconnected.");
    tellPlaces(o, c, "The company card " + quoted(c.number) + " is offline; waiting for it.", true);
    it = c.queue.empty() ? cards_.erase(it) : std::next(it);
  }
  ended_.erase(b);
  std::erase_if(reported_, [b](const auto& kv) { return kv.second.bridge == b; });
  return o;
}

Outputs Relay::sessionStarted(BridgeId b, const cb::SessionStarted& st, std::int64_t now) {
  std::lock_guard lock(mu_);
  Outputs o;
  Session* s = sessionAt(b, st.session);
  if (!s || s->opened) {
    if (s) {
      endSession(o, *s, CardReason::BridgeError,
                 "The card bridge started session " + std::to_string(st.session) + " twice.", true,
                 now);
    } else {
      strayReply(o, b, st.session, "SESSION_STARTED", now);
    }
    return o;
  }
  if (s->protocol != static_cast<std::uint8_t>(up::CardProtocol::Any) &&
      s->protocol != st.protocol) {
    endSession(o, *s, CardReason::ProtocolUnavailable,
               std::string("The company card runs ") + up::cardProtocolName(st.protocol) +
                   ", not the " + up::cardProtocolName(s->protocol) + " asked for.",
               true, now);
    return o;
  }
  s->opened = true;
  s->openedMs = now;
  s->lastApduMs = now;
  cards_[s->card].phase = Phase::Open;
  Bytes f;
  up::appendCardOpened(f, s->id, st.protocol, st.atr);
  o.toTrackers.emplace_back(s->tracker, std::move(f));
  event(o, now, s->card, s->serial, "OPENED",
        "Device " + quoted(s->serial) + " opened session " + std::to_string(s->id) +
            " with the company card " + quoted(s->card) + " (" + up::cardProtocolName(st.protocol) +
            ").");
  return o;
}

Outputs Relay::transmitted(BridgeId b, std::uint32_t session, std::uint16_t number,
                           codecs::ByteView response, std::int64_t now) {
  std::lock_guard lock(mu_);
  Outputs o;
  Session* s = sessionAt(b, session);
  if (!s) {
    strayReply(o, b, session, "TRANSMITTED", now);
    return o;
  }
  if (!s->opened || !s->inFlight || number != s->number) {
    endSession(o, *s, CardReason::BridgeError,
               "The card bridge answered APDU " + std::to_string(number) + " while " +
                   (s->inFlight ? "APDU " + std::to_string(s->number) : "none") + " was in flight.",
               true, now);
    return o;
  }
  s->inFlight = false;
  s->lastApduMs = now;
  o.apduRoundTripsUs.push_back((now - s->sentMs) * 1000);
  Bytes f;
  up::appendApduResponse(f, s->id, response);
  o.toTrackers.emplace_back(s->tracker, std::move(f));
  return o;
}

Outputs Relay::sessionEnded(BridgeId b, std::uint32_t session, std::int64_t now) {
  std::lock_guard lock(mu_);
  Outputs o;
  for (auto& [number, c] : cards_) {
    if (c.bridge == b && c.phase == Phase::Ending && c.session == session) {
      c.phase = Phase::Idle;
      c.session = 0;
      startNext(o, c, now);
      return o;
    }
  }
  if (Session* s = sessionAt(b, session)) {
    endSession(o, *s, CardReason::BridgeError,
               "The card bridge ended session " + std::to_string(session) + " on its own.", false,
               now);
    return o;
  }
  strayReply(o, b, session, "SESSION_ENDED", now);
  return o;
}

Outputs Relay::sessionFailed(BridgeId b, const cb::SessionNote& n, std::int64_t now) {
  std::lock_guard lock(mu_);
  Outputs o;
  Session* s = sessionAt(b, n.session);
  if (!s) {
    // A session being ended that failed instead of confirming: its card is free all the same.
    for (auto& [number, c] : cards_)
      if (c.bridge == b && c.phase == Phase::Ending && c.session == n.session) {
        c.phase = Phase::Idle;
        c.session = 0;
        if (n.code == static_cast<std::uint8_t>(cb::Failure::CardGone)) {
          c.bridge.reset();
          event(o, now, number, "", "OFFLINE",
                "The company card " + quoted(number) + " was removed from its reader.");
          tellPlaces(o, c, "The company card " + quoted(number) + " is offline; waiting for it.",
                     true);
          return o;
        }
        startNext(o, c, now);
        return o;
      }
    strayReply(o, b, n.session, "SESSION_FAILED", now);
    return o;
  }
  CardReason r = CardReason::CardError;
  if (n.code == static_cast<std::uint8_t>(cb::Failure::CardGone)) r = CardReason::CardRemoved;
  if (n.code == static_cast<std::uint8_t>(cb::Failure::ProtocolUnavailable))
    r = CardReason::ProtocolUnavailable;
  const std::string card = s->card;
  remember(b, n.session);
  Card& c = cards_[card];
  if (r == CardReason::CardRemoved) {  // offline until reported again
    c.bridge.reset();
    event(o, now, card, "", "OFFLINE",
          "The company card " + quoted(card) + " was removed from its reader.");
  }
  endSession(o, *s, r,
             std::string("The card bridge could not serve the session: ") +
                 cb::failureName(n.code) + (n.text.empty() ? "" : " (" + n.text + ")") + ".",
             false, now);
  if (r == CardReason::CardRemoved)
    tellPlaces(o, c, "The company card " + quoted(card) + " is offline; waiting for it.", true);
  return o;
}

Outputs Relay::badReply(BridgeId b, std::uint32_t session, const std::string& why,
                        std::int64_t now) {
  std::lock_guard lock(mu_);
  Outputs o;
  if (Session* s = sessionAt(b, session)) {
    endSession(o, *s, CardReason::BridgeError, "The card bridge sent a malformed reply: " + why,
               true, now);
  } else {
    strayReply(o, b, session, "a malformed reply", now);
  }
  return o;
}

Outputs Relay::tick(std::int64_t now) {
  std::lock_guard lock(mu_);
  Outputs o;
  std::vector<std::pair<std::uint32_t, CardReason>> due;
  for (auto& [id, s] : sessions_) {
    if (!s.opened && now >= s.deadlineMs)
      due.emplace_back(id, CardReason::ApduTimeout);
    else if (s.opened && s.inFlight && now - s.sentMs >= limits_.apduTimeoutMs)
      due.emplace_back(id, CardReason::ApduTimeout);
    else if (now - s.startedMs >= limits_.maxDurationMs)
      due.emplace_back(id, CardReason::MaxDuration);
    else if (s.opened && !s.inFlight && now - s.lastApduMs >= limits_.idleMs)
      due.emplace_back(id, CardReason::IdleTimeout);
  }
  for (auto [id, r] : due) {
    auto s = sessions_.find(id);
    if (s == sessions_.end()) continue;
    const std::string text =
        r == CardReason::ApduTimeout ? "The company card did not answer in time."
        : r == CardReason::MaxDuration
            ? "The session reached its maximum duration."
            : "No APDU from the device for " + std::to_string(limits_.idleMs / 1000) + " s.";
    endSession(o, s->second, r, text, true, now);
  }
  for (auto& [number, c] : cards_) {
    if (c.phase == Phase::Ending && now - c.endingSinceMs >= 2 * limits_.apduTimeoutMs) {
      // The bridge never confirmed the reset: the card is taken as free (the bridge holds it
      // exclusively until it resets it, so the next session cannot interleave with the last).
      o.events.push_back(Event{now, number, "", c.bridgeIdent, "BRIDGE_ERROR",
                               "Card bridge " + quoted(c.bridgeIdent) +
                                   " did not confirm the end of session " +
                                   std::to_string(c.session) + " in time."});
      c.phase = Phase::Idle;
      c.session = 0;
      startNext(o, c, now);
    }
    bool changed = false;
    for (auto w = c.queue.begin(); w != c.queue.end();) {
      if (now - w->sinceMs < limits_.maxWaitMs) {
        ++w;
        continue;
      }
      trackers_.erase(w->tracker);
      refuse(o, Tracker{w->tracker, w->serial, std::nullopt, ""}, number, CardReason::WaitTimeout,
             "Device " + quoted(w->serial) + " waited " +
                 std::to_string((now - w->sinceMs) / 1000) + " s for the company card " +
                 quoted(number) + "; the tachograph operation cannot be started now.",
             now, w->sinceMs);
      w = c.queue.erase(w);
      changed = true;
    }
    if (changed) tellPlaces(o, c, "", false);
  }
  std::erase_if(cards_, [](const auto& kv) {
    const Card& c = kv.second;
    return !c.bridge && c.queue.empty() && c.phase == Phase::Idle;
  });
  return o;
}

Outputs Relay::cardChanged(const std::string& number, std::int64_t now) {
  std::lock_guard lock(mu_);
  Outputs o;
  if (auto r = reported_.find(number); r != reported_.end()) {
    const Reported rep = r->second;
    return inserted(rep.bridge, rep.ident, number, rep.reader, now);
  }
  auto it = cards_.find(number);
  if (it == cards_.end() || !it->second.bridge) return o;
  const auto info = dir_.card(number);
  CardReason why{};
  std::optional<std::string> text =
      info ? invalid(*info, now, why)
           : std::optional<std::string>("No company card " + quoted(number) + " is registered.");
  if (!text) return o;
  Card& c = it->second;
  status(o, *c.bridge, number, info ? cb::CardStatus::Expired : cb::CardStatus::UnknownCard, *text);
  for (const auto& w : c.queue) {
    trackers_.erase(w.tracker);
    refuse(o, Tracker{w.tracker, w.serial, std::nullopt, ""}, number,
           info ? CardReason::Expired : CardReason::UnknownCard, *text, now, w.sinceMs);
  }
  c.queue.clear();
  reported_[number] = Reported{*c.bridge, c.bridgeIdent, c.reader};
  if (c.phase == Phase::Idle) {
    c.bridge.reset();  // not usable until the admin fixes it or the bridge reports it again
    cards_.erase(it);
  }
  return o;
}

Outputs Relay::shutdown(std::int64_t now) {
  Outputs o;
  std::vector<TrackerId> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [t, st] : trackers_) all.push_back(t);
  }
  for (TrackerId t : all) {
    std::lock_guard lock(mu_);
    auto ts = trackers_.find(t);
    if (ts == trackers_.end()) continue;
    if (ts->second.session) {
      endSession(o, sessions_[ts->second.session], CardReason::ShuttingDown,
                 "The gateway is stopping.", true, now);
    } else {
      Card& c = cards_[ts->second.card];
      auto w = std::find_if(c.queue.begin(), c.queue.end(),
                            [t](const Waiter& x) { return x.tracker == t; });
      const std::string serial = w != c.queue.end() ? w->serial : "";
      const std::int64_t since = w != c.queue.end() ? w->sinceMs : now;
      if (w != c.queue.end()) c.queue.erase(w);
      trackers_.erase(ts);
      refuse(o, Tracker{t, serial, std::nullopt, ""}, c.number, CardReason::ShuttingDown,
             "The gateway is stopping.", now, since);
    }
  }
  return o;
}

std::vector<CardView> Relay::cards() const {
  std::lock_guard lock(mu_);
  std::vector<CardView> out;
  for (const auto& [number, c] : cards_) {
    CardView v{number, c.bridge.has_value(), c.bridgeIdent, c.reader, "", 0, c.queue.size()};
    if (auto s = sessions_.find(c.session); c.session && s != sessions_.end()) {
      v.inUseBy = s->second.serial;
      v.sinceMs = s->second.startedMs;
    }
    out.push_back(std::move(v));
  }
  return out;
}

bool Relay::tracks(TrackerId t) const {
  std::lock_guard lock(mu_);
  return trackers_.count(t) != 0;
}

bool Relay::online(const std::string& card) const {
  std::lock_guard lock(mu_);
  auto c = cards_.find(card);
  return c != cards_.end() && c->second.bridge.has_value();
}

RelayStats Relay::stats() const {
  std::lock_guard lock(mu_);
  RelayStats st;
  for (const auto& [number, c] : cards_) {
    if (c.bridge) ++st.cardsOnline;
    if (!c.queue.empty()) st.waitingByCard[number] = c.queue.size();
  }
  st.sessionsOpen = sessions_.size();
  st.outcomes = outcomes_;
  return st;
}

}  // namespace dcgw::cardauth
