// Bad input at the card relay, from both sides, through the real listeners (no PC/SC: the
// bridges are raw protocol clients written from schema/card-bridge.md): a bridge with a wrong
// key or an unknown ident, one that reports an unregistered card, answers out of order or with
// a response longer than a short APDU allows, or floods reports; a tracker that sends an APDU
// without a session, for another tracker's session, or longer than 261 bytes. Each gets its
// error code and an event the admin can read, and the other session (another tracker, another
// bridge's card) goes on undisturbed.
#include <gtest/gtest.h>

#include <tuple>

#include <openssl/hmac.h>

#include <filesystem>
#include <thread>

#include "codecs/cardbridge/frame.hpp"
#include "codecs/uplink/card.hpp"
#include "gateway/cardauth/card_relay.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "gateway/uplink/listener.hpp"
#include "tests/support/raw_card_bridge.hpp"
#include "tests/support/uplink_client.hpp"

namespace dcgw::cardauth {
namespace {

namespace up = codecs::uplink;
namespace cb = codecs::cardbridge;
using codecs::Bytes;
using testing::kUplinkTestKey;
using Client = testing::UplinkClient;
using namespace std::chrono_literals;

const std::string kCardA = "1200000000110200";
const std::string kCardB = "1200000000220300";
const Bytes kKeyA(32, 0xA1), kKeyB(32, 0xB2);

using testing::k;
using testing::RawBridge;

// The next card frame to a tracker (heartbeats skipped).
std::pair<std::uint8_t, Bytes> nextCard(Client& c) {
  for (;;) {
    auto f = c.next();
    if (f.first != static_cast<std::uint8_t>(up::Kind::Heartbeat)) return f;
  }
}

std::string closedReason(const std::pair<std::uint8_t, Bytes>& f) {
  if (f.first != k(up::CardKind::CardClosed))
    return std::string("not CARD_CLOSED: ") + up::cardKindName(f.first);
  auto c = up::parseCardClosed(f.second);
  return c ? up::cardReasonName(c->reason) : "malformed";
}

std::string queued(int i) {
  return "Q" + std::to_string(1000 + i);
}

class HostilePeers : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = (std::filesystem::temp_directory_path() /
           ("dcgw-hostile-" + std::to_string(::getpid()) + ".db"))
              .string();
    removeDb();
    store_ = std::make_unique<store::SqliteStore>(db_);
    const auto depot = *store_->createLocation({0, "Depot", "", {}});
    auto tx = store_->begin();
    ASSERT_TRUE(tx->upsertCompanyCard({kCardA, "A", {depot}, "2099-12-31"}).ok());
    ASSERT_TRUE(tx->upsertCompanyCard({kCardB, "B", {depot}, "2099-12-31"}).ok());
    ASSERT_TRUE(tx->upsertCardBridge({"office-a", "", kKeyA}).ok());
    ASSERT_TRUE(tx->upsertCardBridge({"office-b", "", kKeyB}).ok());
    for (const auto& [serial, card] : std::vector<std::pair<std::string, std::string>>{
             {"11111111", kCardA}, {"22222222", kCardB}, {"33333333", kCardA}}) {
      store::DeviceConfig d{serial, depot, "", kUplinkTestKey};
      d.companyCard = card;
      ASSERT_TRUE(tx->upsertDevice(d).ok());
    }
    for (int i = 0; i < 100; ++i) {  // the queue test's trackers: even on card A, odd on B
      store::DeviceConfig d{queued(i), depot, "", kUplinkTestKey};
      d.companyCard = i % 2 ? kCardB : kCardA;
      ASSERT_TRUE(tx->upsertDevice(d).ok());
    }
    tx->commit();
    ingestor_ = std::make_unique<ingest::Ingestor>(*store_, nullptr);
    CardAuthOptions co;
    co.bridges.port = 0;
    co.maxReportsPerMinute = 10;
    relay_ = std::make_unique<CardRelay>(*store_, clock_, co, nullptr);
    uplink::ListenerOptions uo;
    uo.port = 0;
    listener_ = std::make_unique<uplink::Listener>(*store_, *ingestor_, clock_, uo);
    listener_->registerChannel(0x30, 0x3F, relay_->auth());
    listener_->start();
    relay_->start(listener_->outbox());
  }
  void TearDown() override {
    listener_->stop();
    relay_->stop();
    ingestor_->stop();
    listener_.reset();
    relay_.reset();
    ingestor_.reset();
    store_.reset();
    removeDb();
  }
  void removeDb() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db_ + s);
  }
  std::uint16_t bridgePort() { return relay_->auth().bridgePort(); }
  std::uint16_t uplinkPort() { return listener_->port(); }
  bool hasEvent(const std::string& code, const std::string& bridge = "") {
    relay_->log().flush();
    store::CardEventFilter f;
    f.limit = 1000;
    for (const auto& e : store_->cardEvents(f))
      if (e.code == code && (bridge.empty() || e.bridge == bridge)) return true;
    return false;
  }
  // Bridge b holds `card` online; tracker t (device `serial`) opens a session on it.
  std::uint32_t session(RawBridge& b, Client& t, const std::string& serial) {
    t.login(serial);
    Bytes f;
    up::appendCardOpen(f, {"", 0xFF});
    t.send(f);
    const std::uint32_t s = b.start();
    // A card whose previous session's end the relay has not read yet makes the tracker wait
    // first (schema/uplink.md: CARD_WAITING, then CARD_OPENED at its turn).
    auto [kind, body] = nextCard(t);
    while (kind == k(up::CardKind::CardWaiting)) std::tie(kind, body) = nextCard(t);
    EXPECT_EQ(kind, k(up::CardKind::CardOpened)) << up::cardKindName(kind);
    return s;
  }
  // One APDU of tracker t on session s, answered by bridge b with 9000.
  bool roundTrip(RawBridge& b, Client& t, std::uint32_t s) {
    Bytes f;
    up::appendApduCommand(f, s, Bytes{0x00, 0x84, 0x00, 0x00, 0x08});
    t.send(f);
    auto [session, number] = b.transmit();
    if (session != s) return false;
    b.transmitted(s, number, Bytes{1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00});
    auto [kind, body] = nextCard(t);
    return kind == k(up::CardKind::ApduResponse);
  }

  std::string db_;
  common::SystemClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<ingest::Ingestor> ingestor_;
  std::unique_ptr<CardRelay> relay_;
  std::unique_ptr<uplink::Listener> listener_;
};

TEST_F(HostilePeers, AWrongKeyOrAnUnknownIdentIsRefusedAndRecorded) {
  RawBridge wrong(bridgePort(), "office-a", kKeyB);
  EXPECT_FALSE(wrong.welcomed());
  EXPECT_EQ(wrong.errorName(), "WRONG_PROOF");
  RawBridge unknown(bridgePort(), "office-z", kKeyA);
  EXPECT_EQ(unknown.errorName(), "UNKNOWN_BRIDGE");
  EXPECT_TRUE(hasEvent("WRONG_PROOF", "office-a"));
  EXPECT_TRUE(hasEvent("UNKNOWN_BRIDGE", "office-z"));
  EXPECT_EQ(relay_->auth().stats().refusedBridgeLogins.load(), 2u);
  RawBridge right(bridgePort(), "office-a", kKeyA);
  EXPECT_TRUE(right.welcomed());
}

TEST_F(HostilePeers, AnUnregisteredCardIsToldSoAndTheBridgeStays) {
  RawBridge a(bridgePort(), "office-a", kKeyA);
  ASSERT_TRUE(a.welcomed());
  a.insert("9999999999999999");
  EXPECT_EQ(a.status(), static_cast<std::uint8_t>(cb::CardStatus::UnknownCard));
  EXPECT_TRUE(hasEvent("UNKNOWN_CARD", "office-a"));
  a.insert(kCardA);
  EXPECT_EQ(a.status(), static_cast<std::uint8_t>(cb::CardStatus::Online));
}

TEST_F(HostilePeers, ABridgesBadAnswersEndOnlyItsOwnSession) {
  RawBridge a(bridgePort(), "office-a", kKeyA), b(bridgePort(), "office-b", kKeyB);
  ASSERT_TRUE(a.welcomed() && b.welcomed());
  a.insert(kCardA);
  ASSERT_EQ(a.status(), 0);
  b.insert(kCardB);
  ASSERT_EQ(b.status(), 0);
  Client t1(uplinkPort()), t2(uplinkPort());
  const std::uint32_t s1 = session(a, t1, "11111111");
  const std::uint32_t s2 = session(b, t2, "22222222");
  ASSERT_TRUE(roundTrip(b, t2, s2));

  // Bridge A answers APDU 1 as if it were APDU 7: only t1's session ends.
  Bytes f;
  up::appendApduCommand(f, s1, Bytes{0x00, 0x84, 0x00, 0x00, 0x08});
  t1.send(f);
  auto [sent, number] = a.transmit();
  ASSERT_EQ(sent, s1);
  a.transmitted(s1, static_cast<std::uint16_t>(number + 6), Bytes{0x90, 0x00});
  EXPECT_EQ(closedReason(nextCard(t1)), "BRIDGE_ERROR");
  EXPECT_TRUE(hasEvent("BRIDGE_ERROR"));
  EXPECT_EQ(a.next().first, k(cb::Kind::SessionEnd));  // the card is reset
  ASSERT_TRUE(roundTrip(b, t2, s2));

  // Bridge B answers with 259 bytes, more than a response APDU holds: t2's session ends, and
  // A's card serves a new session.
  f.clear();
  up::appendApduCommand(f, s2, Bytes{0x00, 0xB0, 0x00, 0x00, 0x00});
  t2.send(f);
  auto [s, n] = b.transmit();
  Bytes body = {static_cast<std::uint8_t>(s >> 24), static_cast<std::uint8_t>(s >> 16),
                static_cast<std::uint8_t>(s >> 8),  static_cast<std::uint8_t>(s),
                static_cast<std::uint8_t>(n >> 8),  static_cast<std::uint8_t>(n)};
  body.insert(body.end(), 259, 0x90);
  Bytes frame;
  up::appendFrame(frame, k(cb::Kind::Transmitted), body);
  b.send(frame);
  EXPECT_EQ(closedReason(nextCard(t2)), "BRIDGE_ERROR");
  Bytes ended;
  cb::appendSessionEnded(ended, s1);
  a.send(ended);
  Client t3(uplinkPort());
  const std::uint32_t s3 = session(a, t3, "33333333");
  EXPECT_TRUE(roundTrip(a, t3, s3));
}

TEST_F(HostilePeers, AFloodOfReportsClosesThatBridgeOnly) {
  RawBridge a(bridgePort(), "office-a", kKeyA), b(bridgePort(), "office-b", kKeyB);
  ASSERT_TRUE(a.welcomed() && b.welcomed());
  b.insert(kCardB);
  ASSERT_EQ(b.status(), 0);
  for (int i = 0; i < 11; ++i) {
    Bytes r;
    cb::appendCardRemoved(r, kCardA);
    a.send(r);
  }
  EXPECT_EQ(a.errorName(), "TOO_MANY_REPORTS");
  EXPECT_TRUE(a.client().closedByPeer());
  Client t2(uplinkPort());
  const std::uint32_t s2 = session(b, t2, "22222222");
  EXPECT_TRUE(roundTrip(b, t2, s2));
}

TEST_F(HostilePeers, ATrackersBadApdusEndOnlyWhatIsItsOwn) {
  RawBridge a(bridgePort(), "office-a", kKeyA), b(bridgePort(), "office-b", kKeyB);
  ASSERT_TRUE(a.welcomed() && b.welcomed());
  a.insert(kCardA);
  ASSERT_EQ(a.status(), 0);
  b.insert(kCardB);
  ASSERT_EQ(b.status(), 0);
  Client t1(uplinkPort()), t2(uplinkPort()), idle(uplinkPort());
  const std::uint32_t s1 = session(a, t1, "11111111");
  const std::uint32_t s2 = session(b, t2, "22222222");

  // No session at all.
  idle.login("33333333");
  Bytes f;
  up::appendApduCommand(f, 4242, Bytes{0x00, 0x84, 0x00, 0x00, 0x08});
  idle.send(f);
  EXPECT_EQ(closedReason(nextCard(idle)), "NO_SESSION");
  // Another tracker's session: refused, and that session goes on.
  f.clear();
  up::appendApduCommand(f, s1, Bytes{0x00, 0x84, 0x00, 0x00, 0x08});
  t2.send(f);
  EXPECT_EQ(closedReason(nextCard(t2)), "NO_SESSION");
  EXPECT_TRUE(roundTrip(a, t1, s1));
  EXPECT_TRUE(roundTrip(b, t2, s2));
  EXPECT_TRUE(hasEvent("NO_SESSION"));
  // 262 bytes: t1's own session ends with BAD_APDU; t2's goes on.
  f.clear();
  up::appendApduCommand(f, s1, Bytes(262, 0x00));
  t1.send(f);
  EXPECT_EQ(closedReason(nextCard(t1)), "BAD_APDU");
  EXPECT_TRUE(hasEvent("BAD_APDU"));
  EXPECT_TRUE(roundTrip(b, t2, s2));
}

TEST_F(HostilePeers, AReservedCardKindIsNotSupportedAndTheConnectionStays) {
  RawBridge a(bridgePort(), "office-a", kKeyA);
  ASSERT_TRUE(a.welcomed());
  a.insert(kCardA);
  ASSERT_EQ(a.status(), 0);
  Client t(uplinkPort());
  t.login("11111111");
  Bytes f;
  up::appendFrame(f, std::uint8_t{0x37}, Bytes{0x00});
  t.send(f);
  EXPECT_NE(t.expectError(up::ErrorCode::NotSupported).find("reserved"), std::string::npos);
  f.clear();
  up::appendCardOpen(f, {"", 0xFF});
  t.send(f);
  EXPECT_NE(a.start(), 0u);
  EXPECT_EQ(nextCard(t).first, k(up::CardKind::CardOpened));
  // A gateway's kind sent by a device is a protocol error: the connection closes.
  f.clear();
  up::appendFrame(f, k(up::CardKind::CardOpened), Bytes{0x00});
  t.send(f);
  t.expectError(up::ErrorCode::UnexpectedFrame);
}

TEST_F(HostilePeers, AKeyChangedBetweenHelloAndProofIsTheOneChecked) {
  Client c(bridgePort());
  Bytes b;
  cb::appendHello(b, "office-a");
  c.send(b);
  auto [kind, nonce] = c.next();
  ASSERT_EQ(kind, k(cb::Kind::Challenge));
  {
    auto tx = store_->begin();
    ASSERT_TRUE(tx->upsertCardBridge({"office-a", "", Bytes(32, 0x55)}).ok());
    tx->commit();
  }
  const Bytes m = cb::proofMessage(nonce, "office-a");
  unsigned char mac[32];
  unsigned int n = 0;
  HMAC(EVP_sha256(), kKeyA.data(), static_cast<int>(kKeyA.size()), m.data(), m.size(), mac, &n);
  b.clear();
  cb::appendProof(b, codecs::ByteView(mac, 32));
  c.send(b);
  auto [ek, eb] = c.next();
  ASSERT_EQ(ek, k(cb::Kind::Error));
  EXPECT_EQ(std::string(cb::errorCodeName(cb::parseError(eb)->code)), "WRONG_PROOF");
}

TEST_F(HostilePeers, AStoreThatCannotBeReadRefusesBridgeLoginsAndTheListenerGoesOn) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_ + suffix);
  ASSERT_FALSE(store_->health().ok);  // as serve's once-a-second poll finds it
  for (int i = 0; i < 2; ++i) {       // the second one proves the listener survived the first
    RawBridge a(bridgePort(), "office-a", kKeyA);
    EXPECT_FALSE(a.welcomed());
    EXPECT_EQ(a.errorName(), "STORE_UNAVAILABLE");
  }
}

TEST_F(HostilePeers, ARemovedLocationLeavesTheRelaysDevicesWithoutIt) {
  StoreRegistry registry(*store_, *store_);
  registry.loadAll();
  const auto before = registry.device("11111111");
  ASSERT_TRUE(before && before->locationId);
  const std::int64_t depot = *before->locationId;
  ASSERT_EQ(registry.card(kCardA)->locationIds, (std::vector<std::int64_t>{depot}));
  ASSERT_TRUE(store_->removeLocation(depot).ok());
  registry.apply({common::Change::location(depot)});
  EXPECT_FALSE(registry.device("11111111")->locationId);
  EXPECT_TRUE(registry.card(kCardA)->locationIds.empty());
}

// Issue 12: 100 trackers queued on 2 cards are all served in arrival order, each told its
// place as the queue moves, through the real listeners (the relay's own order is also checked
// on the state machine alone in RelayTest).
TEST_F(HostilePeers, AHundredTrackersOnTwoCardsAreServedInArrivalOrder) {
  RawBridge a(bridgePort(), "office-a", kKeyA), b(bridgePort(), "office-b", kKeyB);
  ASSERT_TRUE(a.welcomed() && b.welcomed());
  a.insert(kCardA);
  ASSERT_EQ(a.status(), 0);
  b.insert(kCardB);
  ASSERT_EQ(b.status(), 0);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Client>> trackers;
  for (int i = 0; i < 100; ++i) {
    trackers.push_back(std::make_unique<Client>(uplinkPort()));
    trackers.back()->login(queued(i));
    Bytes f;
    up::appendCardOpen(f, {"", 0xFF});
    trackers.back()->send(f);
    if (i >= 2) {  // every one after the first of each card waits, told its place
      auto [kind, body] = nextCard(*trackers.back());
      ASSERT_EQ(kind, k(up::CardKind::CardWaiting)) << queued(i);
      EXPECT_EQ(up::parseCardWaiting(body)->place, i / 2) << queued(i);
    }
  }
  // Serve both cards turn by turn: the one in session must be the next in arrival order.
  std::vector<std::string> served;
  for (int turn = 0; turn < 50; ++turn) {
    for (int card = 0; card < 2; ++card) {
      RawBridge& bridge = card ? b : a;
      Client& t = *trackers[static_cast<std::size_t>(2 * turn + card)];
      const std::uint32_t s = bridge.start();
      std::pair<std::uint8_t, Bytes> f;
      int lastPlace = 1 << 30;
      for (f = nextCard(t); f.first == k(up::CardKind::CardWaiting); f = nextCard(t)) {
        const int place = up::parseCardWaiting(f.second)->place;
        EXPECT_LT(place, lastPlace);  // only ever closer
        lastPlace = place;
      }
      ASSERT_EQ(f.first, k(up::CardKind::CardOpened)) << queued(2 * turn + card);
      for (const auto& v : relay_->auth().liveCards())
        if (v.number == (card ? kCardB : kCardA)) served.push_back(v.inUseBy);
      ASSERT_TRUE(roundTrip(bridge, t, s));
      Bytes close;
      up::appendCardClose(close, s);
      t.send(close);
      ASSERT_EQ(closedReason(nextCard(t)), "FINISHED");
      ASSERT_EQ(bridge.next().first, k(cb::Kind::SessionEnd));
      Bytes ended;
      cb::appendSessionEnded(ended, s);
      bridge.send(ended);
    }
  }
  std::vector<std::string> expected;
  for (int i = 0; i < 100; ++i) expected.push_back(queued(i));
  EXPECT_EQ(served, expected);
  std::printf("100 trackers on 2 cards served in arrival order in %lld ms (one APDU each)\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - t0)
                                         .count()));
}

}  // namespace
}  // namespace dcgw::cardauth
