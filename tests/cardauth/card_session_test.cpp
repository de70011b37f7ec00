// Remote company-card authentication end to end, without hardware: trackers on the real uplink
// listener speak the card frames (schema/uplink.md section 8); the gateway's card-bridge
// listener serves the real card bridge engine (schema/card-bridge.md), which holds the fake
// company card in vsmartcard's virtual reader through a real pcscd. Two trackers compete for
// the card and are served in order with the card reset between them, a tracker of another
// location is refused, the card pulled in a session ends it with CARD_REMOVED, a restarted
// bridge brings the card back online. The relay runs as serve runs it (CardRelay): its registry
// and its log in the SQLite store, the admin's changes reaching it through the change feed.
#include <gtest/gtest.h>

#include <tuple>

#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "codecs/uplink/card.hpp"
#include "gateway/cardauth/card_relay.hpp"
#include "gateway/cardbridge/bridge.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/simulate/simulator.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "gateway/uplink/listener.hpp"
#include "tests/cardbridge/pcscd_harness.hpp"
#include "tests/support/fake_company_card.hpp"
#include "tests/support/hex.hpp"
#include "tests/support/uplink_client.hpp"

namespace dcgw::cardauth {
namespace {

namespace up = codecs::uplink;
using codecs::Bytes;
using testing::kUplinkTestKey;
using Client = testing::UplinkClient;
using namespace std::chrono_literals;

const std::string kCard = "1200000000110200";

Bytes bridgeKey() {
  Bytes k(32);
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i);
  return k;
}

constexpr auto hex = &dcgw::testing::hexBytes;

// The next card frame to this tracker (heartbeats skipped).
std::pair<std::uint8_t, Bytes> nextCard(Client& c) {
  for (;;) {
    auto f = c.next();
    if (f.first != static_cast<std::uint8_t>(up::Kind::Heartbeat)) return f;
  }
}

std::string apdu(Client& c, std::uint32_t session, const std::string& command) {
  Bytes f;
  up::appendApduCommand(f, session, hex(command));
  c.send(f);
  auto [kind, body] = nextCard(c);
  if (kind != static_cast<std::uint8_t>(up::CardKind::ApduResponse)) {
    auto closed = up::parseCardClosed(body);
    return std::string("not a response: ") + up::cardKindName(kind) +
           (closed ? std::string(" ") + up::cardReasonName(closed->reason) + " " + closed->text
                   : "");
  }
  auto r = up::parseApduResponse(body);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r->session, session);
  return codecs::toHex(Bytes(r->apdu.end() - 2, r->apdu.end()));
}

// The gateway's uplink listener with the card relay, and a card bridge with the fake card.
class CardSession : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = (std::filesystem::temp_directory_path() /
           ("dcgw-card-session-" + std::to_string(::getpid()) + ".db"))
              .string();
    removeDb();
    pcscd_ = std::make_unique<testing::Pcscd>();
    testing::FakeCompanyCard::Options cardOptions;
    cardOptions.port = pcscd_->port();
    card_ = std::make_unique<testing::FakeCompanyCard>(cardOptions);
    ASSERT_TRUE(card_->connected()) << pcscd_->log();
    store_ = std::make_unique<store::SqliteStore>(db_);
    const auto depot = *store_->createLocation({0, "Depot", "", {}});
    const auto yard = *store_->createLocation({0, "Yard", "", {}});
    {
      auto tx = store_->begin();
      ASSERT_TRUE(tx->upsertCompanyCard({kCard, "Main", {depot}, "2099-12-31"}).ok());
      ASSERT_TRUE(tx->upsertCardBridge({"office-1", "Fleet office", bridgeKey()}).ok());
      for (const auto& [serial, loc] : std::vector<std::pair<std::string, std::int64_t>>{
               {"12345678", depot}, {"22222222", depot}, {"33333333", yard}}) {
        store::DeviceConfig d{serial, loc, "", kUplinkTestKey};
        d.companyCard = kCard;  // the yard's device names it too, and is not allowed it
        ASSERT_TRUE(tx->upsertDevice(d).ok());
      }
      tx->commit();
    }
    ingestor_ = std::make_unique<ingest::Ingestor>(*store_, nullptr);
    CardAuthOptions co;
    co.bridges.port = 0;
    co.bridges.heartbeat = 30s;
    co.bridges.idleTimeout = 90s;
    // The channel outlives the listener: made before it, destroyed after it.
    relay_ = std::make_unique<CardRelay>(*store_, clock_, co, &feed_);
    cardAuth_ = &relay_->auth();
    uplink::ListenerOptions uo;
    uo.port = 0;
    listener_ = std::make_unique<uplink::Listener>(*store_, *ingestor_, clock_, uo);
    listener_->registerChannel(0x30, 0x3F, *cardAuth_);
    listener_->start();
    relay_->start(listener_->outbox());
    startBridge();
    waitOnline(1);
  }
  void startBridge() {
    cardbridge::BridgeConfig bc;
    bc.gateway.port = cardAuth_->bridgePort();
    bc.ident = "office-1";
    bc.key = bridgeKey();
    bc.cards["0011223344556677"] = kCard;
    bc.readers = {testing::Pcscd::kReaderName};
    bc.retryFirstMs = 50;
    bridge_ = std::make_unique<cardbridge::Bridge>(bc);
    bridgeThread_ = std::thread([this] { bridge_->run(); });
  }
  void stopBridge() {
    if (bridge_) bridge_->stop();
    if (bridgeThread_.joinable()) bridgeThread_.join();
    bridge_.reset();
  }
  void waitOnline(std::size_t n) {
    for (int i = 0; i < 400 && cardAuth_->relay().stats().cardsOnline != n; ++i)
      std::this_thread::sleep_for(25ms);
    ASSERT_EQ(cardAuth_->relay().stats().cardsOnline, n) << "cards online";
  }
  void TearDown() override {
    stopBridge();
    if (listener_) listener_->stop();
    if (relay_) relay_->stop();
    if (ingestor_) ingestor_->stop();
    listener_.reset();
    relay_.reset();
    ingestor_.reset();
    store_.reset();
    card_.reset();
    pcscd_.reset();
    removeDb();
  }
  void removeDb() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db_ + s);
  }
  // The relay's events as the store keeps them (oldest first).
  std::vector<std::string> eventCodes(store::CardEventFilter f = {}) {
    relay_->log().flush();
    f.limit = 1000;
    std::vector<std::string> codes;
    for (const auto& e : store_->cardEvents(f)) codes.insert(codes.begin(), e.code);
    return codes;
  }
  bool hasEvent(const std::string& code, store::CardEventFilter f = {}) {
    const auto codes = eventCodes(std::move(f));
    return std::find(codes.begin(), codes.end(), code) != codes.end();
  }
  // Polls for an event that another thread (the bridge retrying, say) is still to cause.
  bool waitEvent(const std::string& code) {
    for (int i = 0; i < 400; ++i) {
      if (hasEvent(code)) return true;
      std::this_thread::sleep_for(25ms);
    }
    return false;
  }

  std::string db_;
  std::unique_ptr<testing::Pcscd> pcscd_;
  std::unique_ptr<testing::FakeCompanyCard> card_;
  std::unique_ptr<store::SqliteStore> store_;
  common::SystemClock clock_;
  common::ChangeFeed feed_;
  std::unique_ptr<ingest::Ingestor> ingestor_;
  std::unique_ptr<CardRelay> relay_;
  CardAuth* cardAuth_{nullptr};
  std::unique_ptr<uplink::Listener> listener_;
  std::unique_ptr<cardbridge::Bridge> bridge_;
  std::thread bridgeThread_;
};

TEST_F(CardSession, TrackersAuthenticateThroughTheBridgeInTurn) {
  auto& listener = *listener_;
  auto& card = *card_;
  // Tracker A opens a session with its configured card.
  Client a(listener.port());
  a.login("12345678");
  Bytes f;
  up::appendCardOpen(f, {"", 0xFF});
  a.send(f);
  auto [ka, ba] = nextCard(a);
  ASSERT_EQ(ka, static_cast<std::uint8_t>(up::CardKind::CardOpened)) << up::cardKindName(ka);
  auto opened = up::parseCardOpened(ba);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->protocol, 0x00);
  EXPECT_EQ(codecs::toHex(opened->atr), "3b021450");
  const std::uint32_t sa = opened->session;

  // Tracker B waits its turn; tracker C, of another location, is refused.
  Client b(listener.port());
  b.login("22222222");
  b.send(f);
  auto [kb, bb] = nextCard(b);
  ASSERT_EQ(kb, static_cast<std::uint8_t>(up::CardKind::CardWaiting));
  EXPECT_EQ(up::parseCardWaiting(bb)->place, 1);
  Client c(listener.port());
  c.login("33333333");
  c.send(f);
  auto [kc, bcBody] = nextCard(c);
  ASSERT_EQ(kc, static_cast<std::uint8_t>(up::CardKind::CardClosed));
  EXPECT_EQ(up::parseCardClosed(bcBody)->reason,
            static_cast<std::uint8_t>(up::CardReason::NotAllowed));

  // A's vehicle unit authenticates (CSM_020 order, T=0 GET RESPONSE).
  EXPECT_EQ(apdu(a, sa, "00a4020c020002"), "9000");
  EXPECT_EQ(apdu(a, sa, "00b0000108"), "9000");
  EXPECT_EQ(apdu(a, sa, "00a4040c06ff544143484f"), "9000");
  EXPECT_EQ(apdu(a, sa, "0022c1b60a83080000000000000001"), "9000");
  EXPECT_EQ(apdu(a, sa, "0088000010" + std::string(32, '2') + "80"), "6180");
  EXPECT_EQ(apdu(a, sa, "00c0000080"), "9000");
  EXPECT_EQ(apdu(a, sa, "0084000008"), "9000");
  EXPECT_EQ(apdu(a, sa, "0082000080" + std::string(256, '3')), "9000");
  EXPECT_TRUE(card.authenticated());
  f.clear();
  up::appendCardClose(f, sa);
  a.send(f);
  auto [kd, bd] = nextCard(a);
  ASSERT_EQ(kd, static_cast<std::uint8_t>(up::CardKind::CardClosed));
  EXPECT_EQ(up::parseCardClosed(bd)->reason, static_cast<std::uint8_t>(up::CardReason::Finished));

  // B's turn: a new session on a card that was reset (a step out of order is refused).
  auto [ke, be] = nextCard(b);
  ASSERT_EQ(ke, static_cast<std::uint8_t>(up::CardKind::CardOpened)) << up::cardKindName(ke);
  const std::uint32_t sb = up::parseCardOpened(be)->session;
  EXPECT_NE(sb, sa);
  EXPECT_EQ(apdu(b, sb, "0084000008"), "6985");
  EXPECT_EQ(apdu(b, sb, "00a4020c020002"), "9000");

  // The card is pulled: B's session ends with CARD_REMOVED.
  card.remove();
  f.clear();
  up::appendApduCommand(f, sb, hex("00b0000108"));
  b.send(f);
  auto [kf, bf] = nextCard(b);
  ASSERT_EQ(kf, static_cast<std::uint8_t>(up::CardKind::CardClosed)) << up::cardKindName(kf);
  EXPECT_EQ(up::parseCardClosed(bf)->reason,
            static_cast<std::uint8_t>(up::CardReason::CardRemoved));

  const auto codes = eventCodes();
  for (const char* want :
       {"ONLINE", "OPENED", "WAITING", "NOT_ALLOWED", "FINISHED", "CARD_REMOVED"})
    EXPECT_NE(std::find(codes.begin(), codes.end(), want), codes.end()) << want;
  EXPECT_GE(cardAuth_->stats().apduCount.load(), 10u);
}

// Opens a card session for `serial` with its configured card; returns the session (0: refused,
// `why` says how).
std::uint32_t openCard(Client& c, std::string* why = nullptr) {
  Bytes f;
  up::appendCardOpen(f, {"", 0xFF});
  c.send(f);
  auto [kind, body] = nextCard(c);
  // The card still being reset after the previous session: the tracker waits for its turn.
  while (kind == static_cast<std::uint8_t>(up::CardKind::CardWaiting))
    std::tie(kind, body) = nextCard(c);
  if (kind == static_cast<std::uint8_t>(up::CardKind::CardOpened))
    return up::parseCardOpened(body)->session;
  if (why && kind == static_cast<std::uint8_t>(up::CardKind::CardClosed))
    *why = up::cardReasonName(up::parseCardClosed(body)->reason);
  return 0;
}

TEST_F(CardSession, ARestartedBridgeBringsTheCardBackOnline) {
  stopBridge();
  waitOnline(0);
  EXPECT_TRUE(hasEvent("BRIDGE_OFFLINE"));
  Client a(listener_->port());
  a.login("12345678");
  std::string why;
  EXPECT_EQ(openCard(a, &why), 0u);
  EXPECT_EQ(why, "OFFLINE");
  startBridge();
  waitOnline(1);
  const std::uint32_t s = openCard(a, &why);
  ASSERT_NE(s, 0u) << why;
  EXPECT_EQ(apdu(a, s, "00a4020c020002"), "9000");
  const auto codes = eventCodes();
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "BRIDGE_ONLINE"), 2);
}

TEST_F(CardSession, TheStoreKeepsEachSessionAndItsEventsPerCardAndPerDevice) {
  Client a(listener_->port());
  a.login("12345678");
  const std::uint32_t s = openCard(a);
  ASSERT_NE(s, 0u);
  EXPECT_EQ(apdu(a, s, "00a4020c020002"), "9000");
  EXPECT_EQ(apdu(a, s, "00b0000108"), "9000");
  Bytes f;
  up::appendCardClose(f, s);
  a.send(f);
  ASSERT_EQ(nextCard(a).first, static_cast<std::uint8_t>(up::CardKind::CardClosed));
  Client c(listener_->port());
  c.login("33333333");
  EXPECT_EQ(openCard(c), 0u);  // another location: NOT_ALLOWED
  relay_->log().flush();

  auto sessions = store_->cardSessions(kCard, "", 10);
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].outcome, "NOT_ALLOWED");
  EXPECT_EQ(sessions[0].serial, "33333333");
  EXPECT_FALSE(sessions[0].startedAtMs);
  EXPECT_EQ(sessions[1].outcome, "FINISHED");
  EXPECT_EQ(sessions[1].serial, "12345678");
  EXPECT_EQ(sessions[1].bridge, "office-1");
  EXPECT_EQ(sessions[1].apdus, 2);
  ASSERT_TRUE(sessions[1].startedAtMs);
  EXPECT_LE(sessions[1].requestedAtMs, *sessions[1].startedAtMs);
  EXPECT_LE(*sessions[1].startedAtMs, sessions[1].endedAtMs);

  store::CardEventFilter byDevice;
  byDevice.serial = "12345678";
  const auto mine = eventCodes(byDevice);
  EXPECT_EQ(mine, (std::vector<std::string>{"OPENED", "FINISHED"}));
  store::CardEventFilter byCard;
  byCard.card = kCard;
  EXPECT_TRUE(hasEvent("ONLINE", byCard));
  EXPECT_TRUE(hasEvent("NOT_ALLOWED", byCard));

  // /metrics (the relay's part).
  const std::string m = cardAuth_->prometheus();
  for (const char* line :
       {"dcgw_cards_online 1\n", "dcgw_card_bridges_connected 1\n", "dcgw_card_sessions_open 0\n",
        "dcgw_card_sessions_total{outcome=\"FINISHED\"} 1\n",
        "dcgw_card_sessions_total{outcome=\"NOT_ALLOWED\"} 1\n",
        "dcgw_card_queue_length{card=\"1200000000110200\"} 0\n",
        "dcgw_card_apdu_round_trip_seconds_count 2\n",
        "dcgw_card_apdu_round_trip_seconds_bucket{le=\"+Inf\"} 2\n"})
    EXPECT_NE(m.find(line), std::string::npos) << line << " in\n" << m;
}

TEST_F(CardSession, TheAdminsChangesReachTheRelayThroughTheChangeFeed) {
  Client a(listener_->port());
  a.login("12345678");
  // The card expires: a request is refused, and its bridge is told.
  {
    auto tx = store_->begin();
    ASSERT_TRUE(tx->upsertCompanyCard({kCard, "Main", {1}, "2020-01-31"}).ok());
    tx->commit();
  }
  feed_.publish({common::Change::card(kCard)});
  std::string why;
  EXPECT_EQ(openCard(a, &why), 0u);
  EXPECT_EQ(why, "EXPIRED");
  {
    auto tx = store_->begin();
    ASSERT_TRUE(tx->upsertCompanyCard({kCard, "Main", {1}, "2099-12-31"}).ok());
    tx->commit();
  }
  feed_.publish({common::Change::card(kCard)});
  waitOnline(1);
  const std::uint32_t s = openCard(a, &why);
  EXPECT_NE(s, 0u) << why;
  // The device is given no card: its request says so.
  {
    auto tx = store_->begin();
    store::DeviceConfig d{"22222222", 1, "", std::nullopt};
    d.companyCard = "";
    ASSERT_TRUE(tx->upsertDevice(d).ok());
    tx->commit();
  }
  feed_.publish({common::Change::device("22222222")});
  Client b(listener_->port());
  b.login("22222222");
  EXPECT_EQ(openCard(b, &why), 0u);
  EXPECT_EQ(why, "NO_CARD_CONFIGURED");
  // The bridge's key changes: its connection is closed, the card goes offline and the session
  // on it ends; with the old key the bridge is refused from then on.
  {
    auto tx = store_->begin();
    ASSERT_TRUE(tx->upsertCardBridge({"office-1", "", Bytes(32, 0x77)}).ok());
    tx->commit();
  }
  feed_.publish({common::Change::cardBridge("office-1")});
  auto [kind, body] = nextCard(a);
  ASSERT_EQ(kind, static_cast<std::uint8_t>(up::CardKind::CardClosed));
  EXPECT_EQ(std::string(up::cardReasonName(up::parseCardClosed(body)->reason)), "BRIDGE_GONE");
  waitOnline(0);
  EXPECT_TRUE(waitEvent("WRONG_PROOF"));  // the bridge retries every 50 ms
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(cardAuth_->relay().stats().cardsOnline, 0u);
}

// dcgw simulate --card-session plays the vehicle unit's side and reports each step.
TEST_F(CardSession, SimulateCardSessionAuthenticates) {
  std::ostringstream out, err;
  const int rc = simulate::runCardSession(
      {"--card-session", "--port", std::to_string(listener_->port()), "--first-serial", "12345678",
       "--key", codecs::toHex(kUplinkTestKey)},
      out, err);
  EXPECT_EQ(rc, 0) << out.str() << err.str();
  EXPECT_NE(out.str().find("card extended serial number: 0011223344556677"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("GET RESPONSE             -> 9000 (130 bytes"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("authenticated: yes"), std::string::npos) << out.str();
  EXPECT_TRUE(card_->authenticated());
  // Another location's device is refused, and says why.
  out.str("");
  EXPECT_EQ(simulate::runCardSession(
                {"--card-session", "--port", std::to_string(listener_->port()), "--first-serial",
                 "33333333", "--key", codecs::toHex(kUplinkTestKey)},
                out, err),
            1);
  EXPECT_NE(out.str().find("refused: NOT_ALLOWED"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace dcgw::cardauth
