// The card relay's rules (schema/uplink.md section 8, schema/card-bridge.md section 5) on the
// state machine alone: every frame it answers is decoded with the protocols' own codecs, and
// time is passed in, so each timeout is checked to the millisecond.
#include <gtest/gtest.h>

#include <map>

#include "gateway/cardauth/relay.hpp"

namespace dcgw::cardauth {
namespace {

namespace up = codecs::uplink;
namespace cb = codecs::cardbridge;
using codecs::Bytes;

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kT0 = 1'800'000'000'000;  // 2027-01-15
const std::string kCard = "1200000000110200";
const std::string kCard2 = "1200000000220300";

class Directory : public CardDirectory {
 public:
  std::optional<CardInfo> card(const std::string& number) override {
    auto it = cards.find(number);
    if (it == cards.end()) return std::nullopt;
    return it->second;
  }
  std::map<std::string, CardInfo> cards;
};

struct Frame {
  std::uint8_t kind{0};
  Bytes body;
};

std::vector<Frame> framesTo(const std::vector<std::pair<std::uint64_t, Bytes>>& out,
                            std::uint64_t who) {
  std::vector<Frame> f;
  for (const auto& [id, bytes] : out) {
    if (id != who) continue;
    auto s = up::scanFrame(bytes);
    EXPECT_EQ(s.scan, up::Scan::Frame);
    f.push_back({s.frame.kind, Bytes(s.frame.body.begin(), s.frame.body.end())});
  }
  return f;
}

class RelayTest : public ::testing::Test {
 protected:
  RelayTest() {
    dir_.cards[kCard] = CardInfo{kCard, "Main", {1}, kT0 + 30 * kDay};
    dir_.cards[kCard2] = CardInfo{kCard2, "Spare", {1, 2}, kT0 + 30 * kDay};
  }

  Tracker tracker(std::uint64_t id, std::int64_t location = 1, std::string card = kCard) {
    return Tracker{id, std::to_string(10000000 + id), location, std::move(card)};
  }
  // The one CARD_CLOSED the tracker got: {session, reason}.
  std::pair<std::uint32_t, std::uint8_t> closed(const Outputs& o, std::uint64_t t) {
    for (const auto& f : framesTo(o.toTrackers, t)) {
      if (f.kind != static_cast<std::uint8_t>(up::CardKind::CardClosed)) continue;
      auto c = up::parseCardClosed(f.body);
      EXPECT_TRUE(c.ok());
      return {c->session, c->reason};
    }
    ADD_FAILURE() << "no CARD_CLOSED to tracker " << t;
    return {0, 0xEE};
  }
  // The SESSION_START the bridge got, if any.
  std::optional<cb::SessionStart> started(const Outputs& o, std::uint64_t b = 1) {
    for (const auto& f : framesTo(o.toBridges, b))
      if (f.kind == static_cast<std::uint8_t>(cb::Kind::SessionStart)) {
        auto s = cb::parseSessionStart(f.body);
        EXPECT_TRUE(s.ok());
        return *s;
      }
    return std::nullopt;
  }
  std::optional<cb::SessionNote> ended(const Outputs& o, std::uint64_t b = 1) {
    for (const auto& f : framesTo(o.toBridges, b))
      if (f.kind == static_cast<std::uint8_t>(cb::Kind::SessionEnd))
        return *cb::parseSessionEnd(f.body);
    return std::nullopt;
  }
  std::optional<up::CardWaiting> waiting(const Outputs& o, std::uint64_t t) {
    std::optional<up::CardWaiting> last;
    for (const auto& f : framesTo(o.toTrackers, t))
      if (f.kind == static_cast<std::uint8_t>(up::CardKind::CardWaiting))
        last = *up::parseCardWaiting(f.body);
    return last;
  }
  void insert(const std::string& card = kCard, std::uint64_t bridge = 1, std::int64_t now = kT0) {
    auto o = relay_.cardInserted(bridge, "office-" + std::to_string(bridge),
                                 {card, {}, "Virtual PCD 00 00"}, now);
    auto f = framesTo(o.toBridges, bridge);
    ASSERT_FALSE(f.empty());
    ASSERT_EQ(f[0].kind, static_cast<std::uint8_t>(cb::Kind::CardStatus));
    auto st = cb::parseCardStatus(f[0].body);
    ASSERT_TRUE(st.ok());
    ASSERT_EQ(st->status, static_cast<std::uint8_t>(cb::CardStatus::Online)) << st->text;
  }
  // Opens a session for tracker `t` on a free card; returns the session number.
  std::uint32_t openSession(std::uint64_t t, std::int64_t now = kT0, std::uint64_t bridge = 1) {
    auto o = relay_.open(tracker(t), {"", 0xFF}, now);
    auto s = started(o, bridge);
    EXPECT_TRUE(s) << "no SESSION_START";
    if (!s) return 0;
    auto o2 = relay_.sessionStarted(bridge, {s->session, 0x01, {0x3b, 0x02, 0x14, 0x50}}, now);
    auto f = framesTo(o2.toTrackers, t);
    EXPECT_EQ(f.size(), 1u);
    if (f.empty()) return 0;
    auto opened = up::parseCardOpened(f[0].body);
    EXPECT_TRUE(opened.ok());
    EXPECT_EQ(opened->session, s->session);
    return s->session;
  }

  Directory dir_;
  Relay relay_{dir_, RelayLimits{}};
};

TEST_F(RelayTest, RelaysASessionAndResetsTheCardBeforeTheNext) {
  insert();
  const std::uint32_t s = openSession(7);
  ASSERT_NE(s, 0u);
  const Bytes select = {0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x02};
  auto o = relay_.apdu(7, s, select, kT0 + 10);
  auto tx = framesTo(o.toBridges, 1);
  ASSERT_EQ(tx.size(), 1u);
  auto t = cb::parseTransmit(tx[0].body);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->number, 1);
  EXPECT_EQ(Bytes(t->apdu.begin(), t->apdu.end()), select);
  o = relay_.transmitted(1, s, 1, Bytes{0x90, 0x00}, kT0 + 12);
  auto rx = framesTo(o.toTrackers, 7);
  ASSERT_EQ(rx.size(), 1u);
  EXPECT_EQ(codecs::toHex(up::parseApduResponse(rx[0].body)->apdu), "9000");
  ASSERT_EQ(o.apduRoundTripsUs.size(), 1u);
  EXPECT_EQ(o.apduRoundTripsUs[0], 2000);

  // A second tracker waits; the first closes; the card is reset before the second starts.
  o = relay_.open(tracker(8), {"", 0xFF}, kT0 + 20);
  EXPECT_FALSE(started(o));
  ASSERT_TRUE(waiting(o, 8));
  EXPECT_EQ(waiting(o, 8)->place, 1);
  o = relay_.close(7, s, kT0 + 30);
  EXPECT_EQ(closed(o, 7), std::make_pair(s, std::uint8_t{0x00}));
  ASSERT_TRUE(ended(o));
  EXPECT_EQ(ended(o)->code, 0x00);
  EXPECT_FALSE(started(o)) << "a session started before the card was reset";
  o = relay_.sessionEnded(1, s, kT0 + 40);
  auto next = started(o);
  ASSERT_TRUE(next);
  EXPECT_NE(next->session, s);
  EXPECT_EQ(relay_.stats().outcomes["FINISHED"], 1u);
}

TEST_F(RelayTest, EveryRequestThatEndsIsReportedWithItsTimesOutcomeAndApdus) {
  insert();
  const std::uint32_t s = openSession(7, kT0 + 5);
  ASSERT_NE(s, 0u);
  ASSERT_TRUE(relay_.open(tracker(8), {"", 0xFF}, kT0 + 6).ended.empty());  // waits
  relay_.apdu(7, s, Bytes{0x00, 0x84, 0x00, 0x00, 0x08}, kT0 + 10);
  relay_.transmitted(1, s, 1, Bytes{0x90, 0x00}, kT0 + 11);
  auto o = relay_.close(7, s, kT0 + 2000);
  ASSERT_EQ(o.ended.size(), 1u);
  const EndedSession& e = o.ended[0];
  EXPECT_EQ(e.card, kCard);
  EXPECT_EQ(e.serial, "10000007");
  EXPECT_EQ(e.bridge, "office-1");
  EXPECT_EQ(e.requestedAtMs, kT0 + 5);
  EXPECT_EQ(e.openedAtMs, kT0 + 5);
  EXPECT_EQ(e.endedAtMs, kT0 + 2000);
  EXPECT_EQ(e.outcome, "FINISHED");
  EXPECT_EQ(e.apdus, 1);
  // The waiting tracker leaves: its request ends too, never opened, from when it asked.
  o = relay_.trackerGone(8, kT0 + 3000);
  ASSERT_EQ(o.ended.size(), 1u);
  EXPECT_EQ(o.ended[0].outcome, "TRACKER_GONE");
  EXPECT_EQ(o.ended[0].requestedAtMs, kT0 + 6);
  EXPECT_FALSE(o.ended[0].openedAtMs);
  // A refusal is one as well; a second request on a busy connection is not.
  o = relay_.open(tracker(9, 2), {"", 0xFF}, kT0 + 4000);
  ASSERT_EQ(o.ended.size(), 1u);
  EXPECT_EQ(o.ended[0].outcome, "NOT_ALLOWED");
  EXPECT_EQ(o.ended[0].requestedAtMs, kT0 + 4000);
}

TEST_F(RelayTest, RefusesInTheDocumentedOrder) {
  EXPECT_EQ(closed(relay_.open(tracker(1, 1, ""), {"", 0xFF}, kT0), 1).second, 0x01);
  EXPECT_EQ(closed(relay_.open(tracker(1), {"NOSUCHCARD", 0xFF}, kT0), 1).second, 0x02);
  EXPECT_EQ(closed(relay_.open(tracker(1, 2), {"", 0xFF}, kT0), 1).second, 0x03);
  EXPECT_EQ(closed(relay_.open(tracker(1, 1), {"", 0xFF}, kT0 + 31 * kDay), 1).second, 0x04);
  auto o = relay_.open(tracker(1), {"", 0xFF}, kT0);
  EXPECT_EQ(closed(o, 1).second, 0x05);
  ASSERT_FALSE(o.events.empty());
  EXPECT_EQ(o.events[0].text,
            "The company card '1200000000110200' is not online. The tachograph "
            "operation cannot be started.");
  insert();
  EXPECT_TRUE(started(relay_.open(tracker(1), {"", 0xFF}, kT0)));
  EXPECT_EQ(closed(relay_.open(tracker(1), {"", 0xFF}, kT0), 1).second, 0x0F);  // BUSY
}

TEST_F(RelayTest, ServesAHundredTrackersOnTwoCardsInArrivalOrder) {
  insert(kCard, 1);
  insert(kCard2, 2);
  std::map<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>>
      live;  // session -> tracker, bridge
  std::vector<std::uint64_t> servedOn[2];
  std::int64_t now = kT0;
  auto take = [&](const Outputs& o) {
    for (std::uint64_t b : {1, 2})
      if (auto s = started(o, b)) {
        auto ack = relay_.sessionStarted(b, {s->session, 0x00, {0x3b, 0x00}}, now);
        for (const auto& [t, bytes] : ack.toTrackers) {
          live[s->session] = {t, b};
          servedOn[b - 1].push_back(t);
        }
      }
  };
  for (std::uint64_t t = 1; t <= 100; ++t)
    take(relay_.open(tracker(t, 1, t % 2 ? kCard : kCard2), {"", 0xFF}, now += 1));
  while (!live.empty()) {
    auto [s, who] = *live.begin();
    live.erase(live.begin());
    relay_.close(who.first, s, now += 1);
    take(relay_.sessionEnded(who.second, s, now += 1));
  }
  ASSERT_EQ(servedOn[0].size(), 50u);
  ASSERT_EQ(servedOn[1].size(), 50u);
  for (int c = 0; c < 2; ++c)
    for (std::size_t i = 0; i < 50; ++i) EXPECT_EQ(servedOn[c][i], 2 * i + (c == 0 ? 1 : 2));
}

TEST_F(RelayTest, EndsWaitsAndSessionsAtTheirLimits) {
  insert();
  const std::uint32_t s = openSession(1);
  relay_.open(tracker(2), {"", 0xFF}, kT0);
  // APDUs every 30 s keep the session from idling; it ends at its maximum duration (5 min),
  // well before tracker 2's wait limit (10 min).
  for (std::int64_t t = 30'000; t < 300'000; t += 30'000) {
    relay_.apdu(1, s, Bytes{0x00, 0x84, 0x00, 0x00, 0x08}, kT0 + t);
    relay_.transmitted(1, s, static_cast<std::uint16_t>(t / 30'000), Bytes(10, 0x90), kT0 + t + 5);
  }
  auto o = relay_.tick(kT0 + 299'999);
  EXPECT_TRUE(o.toTrackers.empty());
  o = relay_.tick(kT0 + 300'000);
  EXPECT_EQ(closed(o, 1), std::make_pair(s, std::uint8_t{0x08}));  // MAX_DURATION
  // Idle: a new session without APDUs ends after 60 s.
  o = relay_.sessionEnded(1, s, kT0 + 300'001);
  auto s2 = started(o);
  ASSERT_TRUE(s2);
  relay_.sessionStarted(1, {s2->session, 0x01, {0x3b}}, kT0 + 300'002);
  EXPECT_TRUE(relay_.tick(kT0 + 360'001).toTrackers.empty());
  EXPECT_EQ(closed(relay_.tick(kT0 + 360'002), 2).second, 0x07);  // IDLE_TIMEOUT
}

TEST_F(RelayTest, WaitTimeoutAndApduTimeout) {
  insert();
  const std::uint32_t s = openSession(1);
  relay_.open(tracker(2), {"", 0xFF}, kT0 + 1);
  relay_.apdu(1, s, Bytes{0x00, 0x88, 0x00, 0x00, 0x10}, kT0 + 2);
  EXPECT_TRUE(relay_.tick(kT0 + 5001).toTrackers.empty());
  auto o = relay_.tick(kT0 + 5002);
  EXPECT_EQ(closed(o, 1), std::make_pair(s, std::uint8_t{0x0B}));  // APDU_TIMEOUT
  // The card is not reset yet (no SESSION_ENDED): tracker 2 waits on.
  EXPECT_FALSE(started(relay_.tick(kT0 + 6000)));
  // A wait longer than the limit ends: with a 1 s limit, tracker 3 waits behind a live session.
  Relay short_{dir_, RelayLimits{5000, 60'000, 300'000, 1000, 256}};
  short_.cardInserted(1, "office-1", {kCard, {}, "r"}, kT0);
  auto first = short_.open(tracker(3), {"", 0xFF}, kT0);
  ASSERT_TRUE(started(first));
  short_.sessionStarted(1, {started(first)->session, 0x00, {0x3b}}, kT0);
  short_.open(tracker(4), {"", 0xFF}, kT0 + 1);
  EXPECT_TRUE(short_.tick(kT0 + 1000).toTrackers.empty());
  EXPECT_EQ(closed(short_.tick(kT0 + 1001), 4).second, 0x06);  // WAIT_TIMEOUT
}

// The bridge's SESSION_FAILED CARD_GONE may come before its CARD_REMOVED: the card is offline
// from then on, and the admin reads it (the CARD_REMOVED that follows changes nothing).
TEST_F(RelayTest, ACardGoneFailureBeforeTheRemovalReportTakesTheCardOffline) {
  insert();
  const std::uint32_t s = openSession(1);
  auto o = relay_.sessionFailed(1, {s, 0x01, "SCARD_W_REMOVED_CARD"}, kT0 + 5);
  EXPECT_EQ(closed(o, 1), std::make_pair(s, std::uint8_t{0x09}));  // CARD_REMOVED
  bool offline = false;
  for (const auto& e : o.events) offline = offline || e.code == "OFFLINE";
  EXPECT_TRUE(offline);
  EXPECT_EQ(relay_.stats().cardsOnline, 0u);
  o = relay_.cardRemoved(1, kCard, kT0 + 6);
  EXPECT_TRUE(o.events.empty());
}

// The admin takes a location off the card while one of its devices waits: when its turn
// comes it is refused NOT_ALLOWED, and the next waiter is served.
TEST_F(RelayTest, AWaiterWhoseLocationLeftTheCardIsRefusedAtItsTurn) {
  dir_.cards[kCard2].locationIds = {1, 2};
  insert(kCard2);
  const auto first = relay_.open(tracker(1, 1, kCard2), {"", 0xFF}, kT0);
  auto s = started(first);
  ASSERT_TRUE(s);
  relay_.sessionStarted(1, {s->session, 0x00, {0x3b, 0x00}}, kT0);
  relay_.open(tracker(2, 2, kCard2), {"", 0xFF}, kT0 + 1);  // location 2: waits
  relay_.open(tracker(3, 1, kCard2), {"", 0xFF}, kT0 + 2);  // location 1: waits
  dir_.cards[kCard2].locationIds = {1};
  relay_.cardChanged(kCard2, kT0 + 3);
  relay_.close(1, s->session, kT0 + 4);
  auto o = relay_.sessionEnded(1, s->session, kT0 + 5);
  EXPECT_EQ(closed(o, 2).second, 0x03);  // NOT_ALLOWED
  EXPECT_TRUE(started(o));               // tracker 3's turn
  const auto views = relay_.cards();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].inUseBy, "10000003");
}

TEST_F(RelayTest, CardRemovedMidSessionAndBridgeGone) {
  insert();
  const std::uint32_t s = openSession(1);
  relay_.open(tracker(2), {"", 0xFF}, kT0);
  auto o = relay_.cardRemoved(1, kCard, kT0 + 5);
  EXPECT_EQ(closed(o, 1), std::make_pair(s, std::uint8_t{0x09}));  // CARD_REMOVED
  ASSERT_TRUE(waiting(o, 2));
  EXPECT_NE(waiting(o, 2)->text.find("offline"), std::string::npos);
  EXPECT_FALSE(started(o));
  // A late failure report of the ended session is no error.
  o = relay_.sessionFailed(1, {s, 0x01, "removed"}, kT0 + 6);
  EXPECT_TRUE(o.events.empty());
  insert(kCard, 1, kT0 + 10);  // back: tracker 2 starts (the card was just inserted: reset)
  o = relay_.tick(kT0 + 11);
  const auto views = relay_.cards();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].inUseBy, "10000002");
  // The bridge disconnects during tracker 2's session.
  o = relay_.bridgeGone(1, kT0 + 20);
  EXPECT_EQ(closed(o, 2).second, 0x0A);  // BRIDGE_GONE
  EXPECT_EQ(relay_.stats().cardsOnline, 0u);
}

TEST_F(RelayTest, MistakesEndOnlyWhatTheyBelongTo) {
  insert(kCard, 1);
  insert(kCard2, 1);
  const std::uint32_t a = openSession(1);
  auto o = relay_.open(tracker(2, 1, kCard2), {"", 0xFF}, kT0);
  const std::uint32_t b = started(o)->session;
  relay_.sessionStarted(1, {b, 0x00, {0x3b}}, kT0);
  // Tracker 2 names tracker 1's session: NO_SESSION to tracker 2, nothing else changes.
  o = relay_.apdu(2, a, Bytes{0x00, 0xB0, 0x00, 0x00, 0x08}, kT0 + 1);
  EXPECT_EQ(closed(o, 2), std::make_pair(a, std::uint8_t{0x10}));
  EXPECT_TRUE(o.toBridges.empty());
  // The bridge answers tracker 1's APDU with the wrong number: only session a ends.
  relay_.apdu(1, a, Bytes{0x00, 0xB0, 0x00, 0x00, 0x08}, kT0 + 2);
  o = relay_.transmitted(1, a, 5, Bytes{0x90, 0x00}, kT0 + 3);
  EXPECT_EQ(closed(o, 1).second, 0x13);  // BRIDGE_ERROR
  EXPECT_EQ(ended(o)->code, 0x13);
  // Session b goes on; an oversized APDU then ends it (BAD_APDU), and an overlap would too.
  o = relay_.apdu(2, b, Bytes{0x00, 0xA4, 0x02, 0x0C}, kT0 + 4);
  EXPECT_EQ(framesTo(o.toBridges, 1).size(), 1u);
  o = relay_.transmitted(1, b, 1, Bytes{0x90, 0x00}, kT0 + 5);
  EXPECT_EQ(framesTo(o.toTrackers, 2).size(), 1u);
  o = relay_.apdu(2, b, Bytes(262, 0x00), kT0 + 6);
  EXPECT_EQ(closed(o, 2), std::make_pair(b, std::uint8_t{0x11}));
}

TEST_F(RelayTest, ProtocolMismatchOverlapAndTrackerGone) {
  insert();
  auto o = relay_.open(tracker(1), {"", 0x00}, kT0);  // T=0 asked
  const auto s = started(o);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->protocol, 0x00);
  o = relay_.sessionStarted(1, {s->session, 0x01, {0x3b}}, kT0 + 1);  // the card runs T=1
  EXPECT_EQ(closed(o, 1), std::make_pair(std::uint32_t{0}, std::uint8_t{0x0D}));
  relay_.sessionEnded(1, s->session, kT0 + 2);
  const std::uint32_t s2 = openSession(2, kT0 + 3);
  relay_.apdu(2, s2, Bytes{0x00, 0x84, 0x00, 0x00, 0x08}, kT0 + 4);
  o = relay_.apdu(2, s2, Bytes{0x00, 0x84, 0x00, 0x00, 0x08}, kT0 + 5);
  EXPECT_EQ(closed(o, 2).second, 0x12);  // APDU_OVERLAP
  relay_.sessionEnded(1, s2, kT0 + 6);
  const std::uint32_t s3 = openSession(3, kT0 + 7);
  o = relay_.trackerGone(3, kT0 + 8);
  EXPECT_TRUE(o.toTrackers.empty());
  ASSERT_TRUE(ended(o));
  EXPECT_EQ(ended(o)->session, s3);
  EXPECT_EQ(ended(o)->code, 0x17);  // TRACKER_GONE
}

// A bridge that never confirms a reset does not keep the card forever; one that reports the
// session failed instead of ended frees it at once.
TEST_F(RelayTest, ACardWhoseResetIsNeverConfirmedIsFreedAfterTheDeadline) {
  insert();
  const std::uint32_t s = openSession(1);
  relay_.open(tracker(2), {"", 0xFF}, kT0 + 1);
  relay_.close(1, s, kT0 + 2);  // SESSION_END sent; no SESSION_ENDED will come
  EXPECT_FALSE(started(relay_.tick(kT0 + 2 + 9'999)));
  auto o = relay_.tick(kT0 + 2 + 10'000);
  ASSERT_TRUE(started(o)) << "the card stayed blocked";
  const std::uint32_t s2 = started(o)->session;
  relay_.sessionStarted(1, {s2, 0x00, {0x3b}}, kT0 + 10'003);
  relay_.close(2, s2, kT0 + 10'004);
  relay_.open(tracker(3), {"", 0xFF}, kT0 + 10'005);
  o = relay_.sessionFailed(1, {s2, 0x02, "SCARD_E_NOT_TRANSACTED"}, kT0 + 10'006);
  EXPECT_TRUE(started(o)) << "a failure in place of SESSION_ENDED left the card blocked";
}

TEST_F(RelayTest, AnUnregisteredCardComesOnlineWhenTheAdminRegistersIt) {
  const std::string fresh = "1200000000990000";
  auto o = relay_.cardInserted(1, "office-1", {fresh, {}, "r"}, kT0);
  auto st = cb::parseCardStatus(framesTo(o.toBridges, 1).at(0).body);
  EXPECT_EQ(st->status, static_cast<std::uint8_t>(cb::CardStatus::UnknownCard));
  dir_.cards[fresh] = CardInfo{fresh, "New", {1}, kT0 + kDay};
  o = relay_.cardChanged(fresh, kT0 + 1);
  st = cb::parseCardStatus(framesTo(o.toBridges, 1).at(0).body);
  EXPECT_EQ(st->status, static_cast<std::uint8_t>(cb::CardStatus::Online));
  EXPECT_EQ(relay_.stats().cardsOnline, 1u);
  // Another bridge reporting the same card is told it is elsewhere.
  o = relay_.cardInserted(2, "office-2", {fresh, {}, "r"}, kT0 + 2);
  st = cb::parseCardStatus(framesTo(o.toBridges, 2).at(0).body);
  EXPECT_EQ(st->status, static_cast<std::uint8_t>(cb::CardStatus::Elsewhere));
}

}  // namespace
}  // namespace dcgw::cardauth
