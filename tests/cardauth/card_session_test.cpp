// Remote company-card authentication end to end, without hardware: trackers on the real uplink
// listener speak the card frames (schema/uplink.md section 8); the gateway's card-bridge
// listener serves the real card bridge engine (schema/card-bridge.md), which holds the fake
// company card in vsmartcard's virtual reader through a real pcscd. Two trackers compete for
// the card and are served in order with the card reset between them, a tracker of another
// location is refused, and the card pulled in a session ends it with CARD_REMOVED.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "codecs/uplink/card.hpp"
#include "gateway/cardauth/service.hpp"
#include "gateway/cardbridge/bridge.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/simulate/simulator.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "gateway/uplink/listener.hpp"
#include "tests/cardbridge/pcscd_harness.hpp"
#include "tests/support/fake_company_card.hpp"
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

class MapRegistry : public Registry {
 public:
  std::optional<CardInfo> card(const std::string& n) override {
    std::lock_guard l(mu);
    auto it = cards.find(n);
    return it == cards.end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<Bytes> bridgeKey(const std::string& ident) override {
    return ident == "office-1" ? std::optional(cardauth::bridgeKey()) : std::nullopt;
  }
  std::optional<DeviceCardInfo> device(const std::string& serial) override {
    std::lock_guard l(mu);
    auto it = devices.find(serial);
    return it == devices.end() ? std::nullopt : std::optional(it->second);
  }
  std::mutex mu;
  std::map<std::string, CardInfo> cards;
  std::map<std::string, DeviceCardInfo> devices;
};

Bytes hex(const std::string& h) {
  Bytes b;
  EXPECT_TRUE(codecs::fromHex(h, b));
  return b;
}

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
    registry_.cards[kCard] = CardInfo{kCard, "Main", {depot}, 4'102'444'800'000};  // 2100
    for (const auto& [serial, loc] : std::vector<std::pair<std::string, std::int64_t>>{
             {"12345678", depot}, {"22222222", depot}, {"33333333", yard}}) {
      ASSERT_TRUE(store_->upsertDevice({serial, loc, "", kUplinkTestKey}).ok());
      registry_.devices[serial] = DeviceCardInfo{loc, kCard};
    }
    ingestor_ = std::make_unique<ingest::Ingestor>(*store_, nullptr);
    CardAuthOptions co;
    co.bridges.port = 0;
    co.bridges.heartbeat = 30s;
    co.bridges.idleTimeout = 90s;
    // The channel outlives the listener: made before it, destroyed after it.
    cardAuth_ = std::make_unique<CardAuth>(registry_, clock_, co, [this](const auto& e) {
      std::lock_guard l(eventsMu_);
      events_.insert(events_.end(), e.begin(), e.end());
    });
    uplink::ListenerOptions uo;
    uo.port = 0;
    listener_ = std::make_unique<uplink::Listener>(*store_, *ingestor_, clock_, uo);
    listener_->registerChannel(0x30, 0x36, *cardAuth_);
    listener_->start();
    cardAuth_->start(listener_->outbox());
    cardbridge::BridgeConfig bc;
    bc.gateway.port = cardAuth_->bridgePort();
    bc.ident = "office-1";
    bc.key = bridgeKey();
    bc.cards["0011223344556677"] = kCard;
    bc.readers = {testing::Pcscd::kReaderName};
    bc.retryFirstMs = 50;
    bridge_ = std::make_unique<cardbridge::Bridge>(bc);
    bridgeThread_ = std::thread([this] { bridge_->run(); });
    for (int i = 0; i < 200 && cardAuth_->relay().stats().cardsOnline == 0; ++i)
      std::this_thread::sleep_for(25ms);
    ASSERT_EQ(cardAuth_->relay().stats().cardsOnline, 1u) << "the card never came online";
  }
  void TearDown() override {
    if (bridge_) bridge_->stop();
    if (bridgeThread_.joinable()) bridgeThread_.join();
    if (listener_) listener_->stop();
    if (cardAuth_) cardAuth_->stop();
    if (ingestor_) ingestor_->stop();
    bridge_.reset();
    listener_.reset();
    cardAuth_.reset();
    ingestor_.reset();
    store_.reset();
    card_.reset();
    pcscd_.reset();
    removeDb();
  }
  void removeDb() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db_ + s);
  }
  std::vector<std::string> eventCodes() {
    std::lock_guard l(eventsMu_);
    std::vector<std::string> codes;
    for (const auto& e : events_) codes.push_back(e.code);
    return codes;
  }

  std::string db_;
  std::unique_ptr<testing::Pcscd> pcscd_;
  std::unique_ptr<testing::FakeCompanyCard> card_;
  std::unique_ptr<store::SqliteStore> store_;
  MapRegistry registry_;
  common::SystemClock clock_;
  std::unique_ptr<ingest::Ingestor> ingestor_;
  std::unique_ptr<CardAuth> cardAuth_;
  std::unique_ptr<uplink::Listener> listener_;
  std::unique_ptr<cardbridge::Bridge> bridge_;
  std::thread bridgeThread_;
  std::mutex eventsMu_;
  std::vector<Event> events_;
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
