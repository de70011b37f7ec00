// Remote company-card authentication end to end, without hardware: trackers on the real uplink
// listener speak the card frames (schema/uplink.md section 8); the gateway's card-bridge
// listener serves the real card bridge engine (schema/card-bridge.md), which holds the fake
// company card in vsmartcard's virtual reader through a real pcscd. Two trackers compete for
// the card and are served in order with the card reset between them, a tracker of another
// location is refused, and the card pulled in a session ends it with CARD_REMOVED.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <thread>

#include "codecs/uplink/card.hpp"
#include "gateway/cardauth/service.hpp"
#include "gateway/cardbridge/bridge.hpp"
#include "gateway/ingest/ingestor.hpp"
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

TEST(CardSession, TrackersAuthenticateThroughTheBridgeInTurn) {
  const std::string db = (std::filesystem::temp_directory_path() /
                          ("dcgw-card-session-" + std::to_string(::getpid()) + ".db"))
                             .string();
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db + s);
  testing::Pcscd pcscd;
  testing::FakeCompanyCard::Options cardOptions;
  cardOptions.port = pcscd.port();
  testing::FakeCompanyCard card(cardOptions);
  ASSERT_TRUE(card.connected()) << pcscd.log();

  {
    store::SqliteStore store(db);
    const auto depot = *store.createLocation({0, "Depot", "", {}});
    const auto yard = *store.createLocation({0, "Yard", "", {}});
    MapRegistry registry;
    registry.cards[kCard] = CardInfo{kCard, "Main", {depot}, 4'102'444'800'000};  // 2100
    for (const auto& [serial, loc] : std::vector<std::pair<std::string, std::int64_t>>{
             {"12345678", depot}, {"22222222", depot}, {"33333333", yard}}) {
      ASSERT_TRUE(store.upsertDevice({serial, loc, "", kUplinkTestKey}).ok());
      registry.devices[serial] = DeviceCardInfo{loc, kCard};
    }
    common::SystemClock clock;
    ingest::Ingestor ingestor(store, nullptr);
    CardAuthOptions co;
    co.bridges.port = 0;
    co.bridges.heartbeat = 30s;
    co.bridges.idleTimeout = 90s;
    std::vector<Event> events;
    std::mutex eventsMu;
    CardAuth cardAuth(registry, clock, co, [&](const std::vector<Event>& e) {
      std::lock_guard l(eventsMu);
      events.insert(events.end(), e.begin(), e.end());
    });
    // The channel outlives the listener: declared before it, destroyed after it.
    uplink::ListenerOptions uo;
    uo.port = 0;
    uplink::Listener listener(store, ingestor, clock, uo);
    listener.registerChannel(0x30, 0x36, cardAuth);
    listener.start();
    cardAuth.start(listener.outbox());

    cardbridge::BridgeConfig bc;
    bc.gateway.port = cardAuth.bridgePort();
    bc.ident = "office-1";
    bc.key = bridgeKey();
    bc.cards["0011223344556677"] = kCard;
    bc.readers = {testing::Pcscd::kReaderName};
    bc.retryFirstMs = 50;
    cardbridge::Bridge bridge(bc);
    std::thread bridgeThread([&] { bridge.run(); });
    struct Joined {  // however the test ends (a failed ASSERT returns early)
      cardbridge::Bridge& b;
      std::thread& t;
      ~Joined() {
        b.stop();
        if (t.joinable()) t.join();
      }
    } joined{bridge, bridgeThread};
    for (int i = 0; i < 200 && cardAuth.relay().stats().cardsOnline == 0; ++i)
      std::this_thread::sleep_for(25ms);
    ASSERT_EQ(cardAuth.relay().stats().cardsOnline, 1u) << "the card never came online";

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

    {
      std::lock_guard l(eventsMu);
      std::vector<std::string> codes;
      for (const auto& e : events) codes.push_back(e.code);
      for (const char* want :
           {"ONLINE", "OPENED", "WAITING", "NOT_ALLOWED", "FINISHED", "CARD_REMOVED"})
        EXPECT_NE(std::find(codes.begin(), codes.end(), want), codes.end()) << want;
    }
    EXPECT_GE(cardAuth.stats().apduCount.load(), 10u);

    listener.stop();
    cardAuth.stop();
    ingestor.stop();
  }
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db + s);
}

}  // namespace
}  // namespace dcgw::cardauth
