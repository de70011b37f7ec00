// The card relay's rules (schema/uplink.md section 8, schema/card-bridge.md section 5) as one
// state machine with no I/O: trackers ask for company cards, bridges report cards and serve
// sessions, and each call returns the frames to send and the events to record. The uplink's
// card channel and the card-bridge listener (different threads) call it; it is thread-safe.
// Time is passed in (milliseconds), so every timeout is tested without waiting.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "codecs/bytes.hpp"
#include "codecs/cardbridge/frame.hpp"
#include "codecs/uplink/card.hpp"

namespace dcgw::cardauth {

using TrackerId = std::uint64_t;  // the tracker's uplink connection
using BridgeId = std::uint64_t;   // the bridge's connection
using codecs::uplink::CardReason;

// A card number or a serial as the relay's sentences quote it: 'number'.
inline std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

// A registered company card, as the relay needs it.
struct CardInfo {
  std::string number;
  std::string name;
  std::vector<std::int64_t> locationIds;  // the locations whose devices may use it
  std::int64_t expiresAtMs{0};            // from this instant on the card is expired
};

class CardDirectory {
 public:
  virtual ~CardDirectory() = default;
  virtual std::optional<CardInfo> card(const std::string& number) = 0;
};

struct RelayLimits {
  std::int64_t apduTimeoutMs{5000};     // TRANSMIT -> TRANSMITTED, START -> STARTED
  std::int64_t idleMs{60'000};          // no APDU from the tracker
  std::int64_t maxDurationMs{300'000};  // one session
  std::int64_t maxWaitMs{600'000};      // in a card's queue
  std::size_t maxQueue{256};            // waiting per card
};

// The tracker asking, as its login and registration give it.
struct Tracker {
  TrackerId id{0};
  std::string serial;
  std::optional<std::int64_t> locationId;
  std::string configuredCard;  // the device's company card ("" when none)
};

// One step, for the admin: per card and per device (codes: reason names and a few more).
struct Event {
  std::int64_t atMs{0};
  std::string card;
  std::string serial;  // the device, or ""
  std::string bridge;  // the bridge ident, or ""
  std::string code;    // e.g. OFFLINE, WAITING, OPENED, FINISHED, ONLINE, UNKNOWN_CARD
  std::string text;    // a sentence an admin understands
};

// A card request that ended: a session (opened or not), a refusal, or a wait that ended.
struct EndedSession {
  std::string card;  // "" when the request named none and the device has none
  std::string serial;
  std::string bridge;  // "" when the card was not online
  std::int64_t requestedAtMs{0};
  std::optional<std::int64_t> openedAtMs;  // CARD_OPENED sent (the card was reset for it)
  std::int64_t endedAtMs{0};
  std::string outcome;  // the CardReason name
  std::int64_t apdus{0};
};

struct Outputs {
  std::vector<std::pair<TrackerId, codecs::Bytes>> toTrackers;
  std::vector<std::pair<BridgeId, codecs::Bytes>> toBridges;
  std::vector<Event> events;
  std::vector<EndedSession> ended;
  std::vector<std::int64_t> apduRoundTripsUs;  // answered APDUs (for the histogram)
};

// What an admin sees of a card the relay knows (online, or with trackers waiting).
struct CardView {
  std::string number;
  bool online{false};
  std::string bridge;
  std::string reader;
  std::string inUseBy;      // the device in session, or ""
  std::int64_t sinceMs{0};  // its session's start
  std::size_t waiting{0};
};

struct RelayStats {
  std::size_t cardsOnline{0};
  std::size_t sessionsOpen{0};
  std::map<std::string, std::size_t> waitingByCard;
  std::map<std::string, std::uint64_t> outcomes;  // ended sessions and refusals by reason
};

class Relay {
 public:
  Relay(CardDirectory& directory, RelayLimits limits) : dir_(directory), limits_(limits) {}

  // ---- the tracker side (uplink card frames) ----
  Outputs open(const Tracker& t, const codecs::uplink::CardOpen& request, std::int64_t now);
  // `apdu` is the rest of an APDU_COMMAND body after the session: its size is checked here.
  Outputs apdu(TrackerId t, std::uint32_t session, codecs::ByteView apdu, std::int64_t now);
  Outputs close(TrackerId t, std::uint32_t session, std::int64_t now);
  Outputs trackerGone(TrackerId t, std::int64_t now);

  // ---- the bridge side (card-bridge frames) ----
  Outputs cardInserted(BridgeId b, const std::string& ident,
                       const codecs::cardbridge::CardInserted& c, std::int64_t now);
  Outputs cardRemoved(BridgeId b, const std::string& card, std::int64_t now);
  Outputs bridgeGone(BridgeId b, std::int64_t now);
  Outputs sessionStarted(BridgeId b, const codecs::cardbridge::SessionStarted& s, std::int64_t now);
  Outputs transmitted(BridgeId b, std::uint32_t session, std::uint16_t number,
                      codecs::ByteView response, std::int64_t now);
  Outputs sessionEnded(BridgeId b, std::uint32_t session, std::int64_t now);
  Outputs sessionFailed(BridgeId b, const codecs::cardbridge::SessionNote& n, std::int64_t now);
  // A reply of the bridge that belongs to `session` but is malformed (the reason says how).
  Outputs badReply(BridgeId b, std::uint32_t session, const std::string& why, std::int64_t now);

  // Timeouts: call about once a second.
  Outputs tick(std::int64_t now);
  // The admin changed the card's registration: re-judged for its bridge and its queue.
  Outputs cardChanged(const std::string& card, std::int64_t now);
  // Every session and wait ends with SHUTTING_DOWN.
  Outputs shutdown(std::int64_t now);

  std::vector<CardView> cards() const;
  RelayStats stats() const;
  // Whether this tracker has a request here (waiting or in session), and whether the card is
  // online at one of this relay's bridges: a node relays a tracker's request to another node
  // only when neither holds (node_links.hpp).
  bool tracks(TrackerId t) const;
  bool online(const std::string& card) const;

 private:
  enum class Phase { Idle, Starting, Open, Ending };
  struct Waiter {
    TrackerId tracker{0};
    std::string serial;
    std::uint8_t protocol{0xFF};
    std::int64_t sinceMs{0};
    std::uint16_t toldPlace{0};
    std::optional<std::int64_t> locationId;  // judged again when its turn comes
  };
  struct Session {
    std::uint32_t id{0};
    std::string card;
    TrackerId tracker{0};
    std::string serial;
    std::uint8_t protocol{0xFF};  // asked for
    std::int64_t requestedMs{0};  // CARD_OPEN
    std::int64_t startedMs{0};    // SESSION_START
    std::optional<std::int64_t> openedMs;
    std::int64_t apdus{0};
    std::int64_t deadlineMs{0};  // Starting: the bridge's answer
    std::int64_t lastApduMs{0};
    bool inFlight{false};
    std::uint16_t number{0};
    std::int64_t sentMs{0};
    bool opened{false};  // the tracker got CARD_OPENED
  };
  struct Card {
    std::string number;
    std::optional<BridgeId> bridge;  // online at this bridge
    std::string bridgeIdent, reader;
    Phase phase{Phase::Idle};
    std::uint32_t session{0};       // Starting, Open, Ending
    std::int64_t endingSinceMs{0};  // Ending: when SESSION_END was sent
    std::deque<Waiter> queue;
  };
  struct TrackerState {
    std::string card;          // waiting for, or in session with
    std::uint32_t session{0};  // 0 while waiting
  };

  // `requestedMs`: when the tracker asked (-1: now).
  void refuse(Outputs& o, const Tracker& t, const std::string& card, CardReason r,
              const std::string& text, std::int64_t now, std::int64_t requestedMs = -1);
  void startNext(Outputs& o, Card& c, std::int64_t now);
  void startSession(Outputs& o, Card& c, const Waiter& w, std::int64_t now);
  // Ends the session for both sides; `tellBridge`: SESSION_END (the card is then reset).
  void endSession(Outputs& o, Session& s, CardReason r, const std::string& text, bool tellBridge,
                  std::int64_t now);
  void tellPlaces(Outputs& o, Card& c, const std::string& why, bool always);
  void event(Outputs& o, std::int64_t now, const std::string& card, const std::string& serial,
             const std::string& code, const std::string& text);
  Session* sessionAt(BridgeId b, std::uint32_t id);
  // Keeps the last 256 ended sessions of a bridge, whose late replies are not errors.
  void remember(BridgeId b, std::uint32_t session);
  Outputs inserted(BridgeId b, const std::string& ident, const std::string& card,
                   const std::string& reader, std::int64_t now);
  // A reply for a session that is not open at the bridge (late after an end, or wrong).
  void strayReply(Outputs& o, BridgeId b, std::uint32_t id, const char* what, std::int64_t now);
  std::optional<std::string> invalid(const CardInfo& info, std::int64_t now, CardReason& r) const;

  CardDirectory& dir_;
  RelayLimits limits_;
  mutable std::mutex mu_;
  std::map<std::string, Card> cards_;
  std::map<std::uint32_t, Session> sessions_;
  std::map<TrackerId, TrackerState> trackers_;
  std::map<BridgeId, std::set<std::uint32_t>> ended_;  // recently ended, per bridge
  struct Reported {  // a card a bridge reported that is not usable (unknown, expired)
    BridgeId bridge{0};
    std::string ident, reader;
  };
  std::map<std::string, Reported> reported_;
  std::map<std::string, std::uint64_t> outcomes_;
  std::uint32_t nextSession_{1};
};

}  // namespace dcgw::cardauth
