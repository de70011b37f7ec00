// The relay's tracker side and what both sides share: refusals, the queue, starting and ending
// sessions, events. The bridge side and the timeouts are in relay_bridge.cpp.
#include "gateway/cardauth/relay.hpp"

#include <algorithm>

namespace dcgw::cardauth {

namespace up = codecs::uplink;
namespace cb = codecs::cardbridge;
using codecs::Bytes;

void Relay::event(Outputs& o, std::int64_t now, const std::string& card, const std::string& serial,
                  const std::string& code, const std::string& text) {
  auto it = cards_.find(card);
  o.events.push_back(Event{
      now, card, serial, it == cards_.end() ? std::string() : it->second.bridgeIdent, code, text});
}

std::optional<std::string> Relay::invalid(const CardInfo& info, std::int64_t now,
                                          CardReason& r) const {
  if (now >= info.expiresAtMs) {
    r = CardReason::Expired;
    return "The company card " + quoted(info.number) +
           " has expired. The tachograph operation cannot be started.";
  }
  return std::nullopt;
}

void Relay::refuse(Outputs& o, const Tracker& t, const std::string& card, CardReason r,
                   const std::string& text, std::int64_t now, std::int64_t requestedMs) {
  Bytes f;
  up::appendCardClosed(f, 0, r, text);
  o.toTrackers.emplace_back(t.id, std::move(f));
  const std::string name = up::cardReasonName(static_cast<std::uint8_t>(r));
  ++outcomes_[name];
  event(o, now, card, t.serial, name, text);
  if (r == CardReason::Busy) return;  // the connection's first request goes on
  auto c = cards_.find(card);
  o.ended.push_back(EndedSession{card, t.serial,
                                 c != cards_.end() && c->second.bridge ? c->second.bridgeIdent : "",
                                 requestedMs < 0 ? now : requestedMs, std::nullopt, now, name, 0});
}

Outputs Relay::open(const Tracker& t, const up::CardOpen& request, std::int64_t now) {
  std::lock_guard lock(mu_);
  Outputs o;
  if (trackers_.count(t.id)) {
    refuse(o, t, trackers_[t.id].card, CardReason::Busy,
           "This connection already has a card request; the first one goes on.", now);
    return o;
  }
  const std::string number = request.card.empty() ? t.configuredCard : request.card;
  if (number.empty()) {
    refuse(o, t, "", CardReason::NoCardConfigured,
           "The company card configuration field is not specified in the settings of device " +
               quoted(t.serial) + ". The tachograph operation cannot be started.",
           now);
    return o;
  }
  const auto info = dir_.card(number);
  if (!info) {
    refuse(o, t, number, CardReason::UnknownCard,
           "No company card " + quoted(number) +
               " is registered. The tachograph operation cannot be started.",
           now);
    return o;
  }
  const auto& allowed = info->locationIds;
  if (!t.locationId || std::find(allowed.begin(), allowed.end(), *t.locationId) == allowed.end()) {
    refuse(o, t, number, CardReason::NotAllowed,
           "Device " + quoted(t.serial) + " is not allowed to use the company card " +
               quoted(number) + " (its location is not among the card's locations).",
           now);
    return o;
  }
  CardReason why{};
  if (auto text = invalid(*info, now, why)) {
    refuse(o, t, number, why, *text, now);
    return o;
  }
  Card& c = cards_[number];
  c.number = number;
  if (!c.bridge) {
    refuse(o, t, number, CardReason::Offline,
           "The company card " + quoted(number) +
               " is not online. The tachograph operation cannot be started.",
           now);
    if (c.queue.empty() && c.phase == Phase::Idle) cards_.erase(number);
    return o;
  }
  if (c.queue.size() >= limits_.maxQueue) {
    refuse(o, t, number, CardReason::QueueFull,
           std::to_string(c.queue.size()) + " devices are already waiting for the company card " +
               quoted(number) + ". Try again later.",
           now);
    return o;
  }
  trackers_[t.id] = TrackerState{number, 0};
  Waiter w{t.id, t.serial, request.protocol, now, 0, t.locationId};
  if (c.phase == Phase::Idle && c.queue.empty()) {
    startSession(o, c, w, now);
    return o;
  }
  c.queue.push_back(w);
  tellPlaces(o, c, "", false);
  return o;
}

void Relay::tellPlaces(Outputs& o, Card& c, const std::string& why, bool always) {
  std::uint16_t place = 0;
  for (auto& w : c.queue) {
    ++place;
    if (!always && w.toldPlace == place) continue;
    const bool first = w.toldPlace == 0;
    w.toldPlace = place;
    std::string text = why;
    if (text.empty()) {
      auto s = c.session ? sessions_.find(c.session) : sessions_.end();
      text = s != sessions_.end()
                 ? "The company card " + quoted(c.number) + " is in use by device " +
                       quoted(s->second.serial) + "; place " + std::to_string(place) +
                       " in its queue."
                 : "Place " + std::to_string(place) + " in the queue of the company card " +
                       quoted(c.number) + ".";
    }
    Bytes f;
    up::appendCardWaiting(f, place, text);
    o.toTrackers.emplace_back(w.tracker, std::move(f));
    if (first) {
      Event e{0, c.number, w.serial, c.bridgeIdent, "WAITING", text};
      e.atMs = w.sinceMs;
      o.events.push_back(std::move(e));
    }
  }
}

void Relay::startSession(Outputs& o, Card& c, const Waiter& w, std::int64_t now) {
  std::uint32_t id = nextSession_++;
  if (nextSession_ == 0) nextSession_ = 1;
  Session s;
  s.id = id;
  s.card = c.number;
  s.tracker = w.tracker;
  s.serial = w.serial;
  s.protocol = w.protocol;
  s.requestedMs = w.sinceMs;
  s.startedMs = now;
  s.deadlineMs = now + limits_.apduTimeoutMs;
  s.lastApduMs = now;
  sessions_[id] = s;
  trackers_[w.tracker] = TrackerState{c.number, id};
  c.phase = Phase::Starting;
  c.session = id;
  Bytes f;
  cb::appendSessionStart(f, {id, c.number, w.protocol});
  o.toBridges.emplace_back(*c.bridge, std::move(f));
}

void Relay::remember(BridgeId b, std::uint32_t session) {
  auto& ended = ended_[b];
  ended.insert(session);
  while (ended.size() > 256) ended.erase(ended.begin());
}

void Relay::startNext(Outputs& o, Card& c, std::int64_t now) {
  while (c.phase == Phase::Idle && c.bridge && !c.queue.empty()) {
    Waiter w = c.queue.front();
    c.queue.pop_front();
    const auto info = dir_.card(c.number);
    CardReason why = CardReason::UnknownCard;
    std::optional<std::string> text =
        info ? invalid(*info, now, why)
             : std::optional<std::string>("The company card " + quoted(c.number) +
                                          " is no longer registered.");
    // The admin may have taken the waiter's location off the card meanwhile.
    if (!text && (!w.locationId || std::find(info->locationIds.begin(), info->locationIds.end(),
                                             *w.locationId) == info->locationIds.end())) {
      why = CardReason::NotAllowed;
      text = "Device " + quoted(w.serial) + " is not allowed to use the company card " +
             quoted(c.number) + " (its location is not among the card's locations).";
    }
    if (text) {
      trackers_.erase(w.tracker);
      refuse(o, Tracker{w.tracker, w.serial, std::nullopt, ""}, c.number, why, *text, now,
             w.sinceMs);
      continue;
    }
    startSession(o, c, w, now);
  }
  tellPlaces(o, c, "", false);
}

void Relay::endSession(Outputs& o, Session& s, CardReason r, const std::string& text,
                       bool tellBridge, std::int64_t now) {
  const std::string name = up::cardReasonName(static_cast<std::uint8_t>(r));
  if (r != CardReason::TrackerGone) {
    Bytes f;
    up::appendCardClosed(f, s.opened ? s.id : 0, r, text);
    o.toTrackers.emplace_back(s.tracker, std::move(f));
  }
  trackers_.erase(s.tracker);
  ++outcomes_[name];
  o.ended.push_back(EndedSession{s.card, s.serial, cards_[s.card].bridgeIdent, s.requestedMs,
                                 s.openedMs, now, name, s.apdus});
  event(o, now, s.card, s.serial, name,
        text + " (session " + std::to_string(s.id) + ", " +
            std::to_string((now - s.startedMs) / 1000) + " s)");
  const std::uint32_t id = s.id;
  Card& c = cards_[s.card];
  if (c.bridge) remember(*c.bridge, id);
  if (tellBridge && c.bridge) {
    Bytes f;
    cb::appendSessionEnd(f, id, r, text);
    o.toBridges.emplace_back(*c.bridge, std::move(f));
    c.phase = Phase::Ending;  // until SESSION_ENDED: the card is reset before the next
    c.endingSinceMs = now;
  } else {
    c.phase = Phase::Idle;
    c.session = 0;
  }
  sessions_.erase(id);  // `s` is gone from here on
  if (c.phase == Phase::Idle) startNext(o, c, now);
}

Outputs Relay::apdu(TrackerId t, std::uint32_t session, codecs::ByteView apdu, std::int64_t now) {
  std::lock_guard lock(mu_);
  Outputs o;
  auto ts = trackers_.find(t);
  auto s = sessions_.find(session);
  if (ts == trackers_.end() || ts->second.session != session || s == sessions_.end() ||
      !s->second.opened) {
    Bytes f;
    up::appendCardClosed(
        f, session, CardReason::NoSession,
        "This connection has no open card session " + std::to_string(session) + ".");
    o.toTrackers.emplace_back(t, std::move(f));
    event(o, now, ts == trackers_.end() ? "" : ts->second.card, "", "NO_SESSION",
          "An APDU for session " + std::to_string(session) + ", which this tracker does not have.");
    return o;
  }
  Session& ss = s->second;
  if (apdu.size() < up::kMinCommandApduBytes || apdu.size() > up::kMaxCommandApduBytes) {
    endSession(
        o, ss, CardReason::BadApdu,
        "A command APDU of " + std::to_string(apdu.size()) + " bytes; a short APDU has 4 to 261.",
        true, now);
    return o;
  }
  if (ss.inFlight) {
    endSession(o, ss, CardReason::ApduOverlap,
               "An APDU was sent before the previous one was answered.", true, now);
    return o;
  }
  ss.inFlight = true;
  ++ss.apdus;
  ss.number = static_cast<std::uint16_t>(ss.number + 1);
  ss.sentMs = now;
  ss.lastApduMs = now;
  Bytes f;
  cb::appendTransmit(f, ss.id, ss.number, apdu);
  o.toBridges.emplace_back(*cards_[ss.card].bridge, std::move(f));
  return o;
}

Outputs Relay::close(TrackerId t, std::uint32_t session, std::int64_t now) {
  std::lock_guard lock(mu_);
  Outputs o;
  auto ts = trackers_.find(t);
  if (ts != trackers_.end() && session == 0 && ts->second.session == 0) {
    Card& c = cards_[ts->second.card];
    auto w = std::find_if(c.queue.begin(), c.queue.end(),
                          [t](const Waiter& x) { return x.tracker == t; });
    const std::string serial = w != c.queue.end() ? w->serial : "";
    const std::int64_t since = w != c.queue.end() ? w->sinceMs : now;
    if (w != c.queue.end()) c.queue.erase(w);
    trackers_.erase(ts);
    refuse(o, Tracker{t, serial, std::nullopt, ""}, c.number, CardReason::Withdrawn,
           "The device withdrew its request for the company card " + quoted(c.number) + ".", now,
           since);
    tellPlaces(o, c, "", false);
    return o;
  }
  if (ts != trackers_.end() && ts->second.session != 0) {
    Session& s = sessions_[ts->second.session];
    if (session == s.id || (session == 0 && !s.opened)) {
      const bool finished = s.opened;
      endSession(
          o, s, finished ? CardReason::Finished : CardReason::Withdrawn,
          finished ? "The device finished its session with the company card " + quoted(s.card) + "."
                   : "The device withdrew its request for the company card " + quoted(s.card) + ".",
          true, now);
      return o;
    }
  }
  Bytes f;
  up::appendCardClosed(f, session, CardReason::NoSession,
                       "This connection has no card session " + std::to_string(session) + ".");
  o.toTrackers.emplace_back(t, std::move(f));
  return o;
}

Outputs Relay::trackerGone(TrackerId t, std::int64_t now) {
  std::lock_guard lock(mu_);
  Outputs o;
  auto ts = trackers_.find(t);
  if (ts == trackers_.end()) return o;
  if (ts->second.session != 0) {
    Session& s = sessions_[ts->second.session];
    endSession(o, s, CardReason::TrackerGone,
               "Device " + quoted(s.serial) + " disconnected during its session.", true, now);
    return o;
  }
  Card& c = cards_[ts->second.card];
  auto w =
      std::find_if(c.queue.begin(), c.queue.end(), [t](const Waiter& x) { return x.tracker == t; });
  if (w != c.queue.end()) {
    event(o, now, c.number, w->serial, "TRACKER_GONE",
          "Device " + quoted(w->serial) + " disconnected while waiting for the card.");
    ++outcomes_["TRACKER_GONE"];
    o.ended.push_back(EndedSession{c.number, w->serial, c.bridgeIdent, w->sinceMs, std::nullopt,
                                   now, "TRACKER_GONE", 0});
    c.queue.erase(w);
  }
  trackers_.erase(ts);
  tellPlaces(o, c, "", false);
  return o;
}

}  // namespace dcgw::cardauth
