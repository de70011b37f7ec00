// Card sessions whichever node a tracker lands on (issue 14; schema/card-bridge.md section 9):
// two real `dcgw serve` nodes on one PostgreSQL (Debian's postgresql, started by the test), the
// real `dcgw card-bridge` over pcscd, the virtual reader and the fake company card connected to
// the second node, and trackers on the first: `dcgw simulate --card-session` authenticates, a
// device of another location is refused by the card's node, a node link without the cluster key
// is refused, and a session whose card node is killed ends with BRIDGE_GONE, recorded.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "codecs/bytes.hpp"
#include "codecs/cardbridge/frame.hpp"
#include "codecs/cardbridge/node_link.hpp"
#include "codecs/uplink/card.hpp"
#include "gateway/store/postgres/postgres_store.hpp"
#include "tests/cardbridge/pcscd_harness.hpp"
#include "tests/support/fake_company_card.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/uplink_client.hpp"

namespace dcgw::testing {
namespace {

namespace fs = std::filesystem;
namespace up = codecs::uplink;
namespace cb = codecs::cardbridge;
using codecs::Bytes;
using namespace std::chrono_literals;

const std::string kCard = "1200000000110200";
const std::string kBridgeKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

// The next card frame (heartbeats skipped).
std::pair<std::uint8_t, Bytes> nextCard(UplinkClient& c) {
  for (;;) {
    auto f = c.next();
    if (f.first != static_cast<std::uint8_t>(up::Kind::Heartbeat)) return f;
  }
}

bool has(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

struct Node {
  std::unique_ptr<Process> process;
  std::string uplink, admin, bridges;
};

TEST(CardNodes, ATrackerOnOneNodeUsesACardOnlineAtAnother) {
  const fs::path dir =
      fs::temp_directory_path() / ("dcgw-card-nodes-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  Server pg;
  pg.sql("CREATE DATABASE dcgw_card_nodes");
  const std::string url = pg.url("dcgw_card_nodes");
  {
    store::PostgresStore s(url);
    const auto depot = *s.createLocation({0, "Depot", "", {}});
    const auto yard = *s.createLocation({0, "Yard", "", {}});
    Bytes key;
    ASSERT_TRUE(codecs::fromHex(kBridgeKey, key));
    auto tx = s.begin();
    ASSERT_TRUE(tx->upsertCompanyCard({kCard, "Depot company card", {depot}, "2099-12-31"}).ok());
    ASSERT_TRUE(tx->upsertCardBridge({"office-1", "Fleet office", key}).ok());
    store::DeviceConfig a{"12345678", depot, "AB12CDE", kUplinkTestKey};
    a.companyCard = kCard;
    store::DeviceConfig c{"22222222", depot, "", kUplinkTestKey};
    c.companyCard = kCard;
    ASSERT_TRUE(tx->upsertDevice(c).ok());
    store::DeviceConfig b{"33333333", yard, "", kUplinkTestKey};
    b.companyCard = kCard;
    ASSERT_TRUE(tx->upsertDevice(a).ok());
    ASSERT_TRUE(tx->upsertDevice(b).ok());
    tx->commit();
  }
  std::ofstream(dir / "dcgw.json") << R"({"uplink": {"port": 0}, "admin": {"port": 0},)"
                                   << R"( "files": {"enabled": false}, "cardBridge": {"port": 0}})";
  auto serve = [&](const std::string& name) {
    Node n;
    n.process = std::make_unique<Process>(
        std::vector<std::string>{DCGW_BINARY, "serve", "--store", url, "--config",
                                 (dir / "dcgw.json").string(), "--node-name", name,
                                 "--stats-seconds", "0"},
        dir / (name + ".out"), dir / (name + ".err"));
    n.uplink = n.process->awaitStderr("uplink listening on [0-9.]+:([0-9]+)");
    n.admin = n.process->awaitStderr("admin API on http://[0-9.]+:([0-9]+)");
    n.bridges = n.process->awaitStderr("card bridges on [0-9.]+:([0-9]+)");
    return n;
  };
  Node gw1 = serve("gw1"), gw2 = serve("gw2");
  ASSERT_FALSE(gw1.bridges.empty()) << gw1.process->stderrText();
  ASSERT_FALSE(gw2.bridges.empty()) << gw2.process->stderrText();

  // The card at the fleet office, its bridge connected to gw2 only.
  Pcscd pcscd;
  FakeCompanyCard::Options co;
  co.port = pcscd.port();
  FakeCompanyCard card(co);
  ASSERT_TRUE(card.connected()) << pcscd.log();
  std::ofstream(dir / "bridge.json")
      << R"({"gateway": {"host": "127.0.0.1", "port": )" << gw2.bridges
      << R"(}, "ident": "office-1", "key": ")" << kBridgeKey << R"(", "readers": [")"
      << Pcscd::kReaderName << R"("], "cards": [{"extendedSerial": "0011223344556677", "card": ")"
      << kCard << R"("}]})";
  Process bridge({DCGW_BINARY, "card-bridge", "--config", (dir / "bridge.json").string()},
                 dir / "bridge.out", dir / "bridge.err");
  gw2.process->awaitStderr("card (1200000000110200) ONLINE");

  // A tracker on gw1 authenticates with it (gw1 learns where the card is within a refresh).
  auto simulate = [&](const std::string& serial, int& rc) {
    std::vector<std::string> out;
    for (int i = 0; i < 40; ++i) {
      Process p({DCGW_BINARY, "simulate", "--card-session", "--port", gw1.uplink, "--first-serial",
                 serial, "--key", codecs::toHex(kUplinkTestKey)},
                dir / ("sim-" + serial + ".out"), dir / ("sim-" + serial + ".err"));
      rc = p.wait();
      out = p.stdoutLines();
      if (!has(out, "refused: OFFLINE")) break;
      std::this_thread::sleep_for(100ms);
    }
    return out;
  };
  int rc = -1;
  auto out = simulate("12345678", rc);
  EXPECT_EQ(rc, 0) << gw1.process->stderrText() << gw2.process->stderrText();
  EXPECT_TRUE(has(out, "card extended serial number: 0011223344556677"));
  EXPECT_TRUE(has(out, "authenticated: yes"));
  EXPECT_TRUE(card.authenticated());
  // The card's node judges the request: another location's device is refused, and says why.
  out = simulate("33333333", rc);
  EXPECT_EQ(rc, 1);
  EXPECT_TRUE(has(out, "refused: NOT_ALLOWED"));
  EXPECT_NE(gw2.process->stderrText().find("NOT_ALLOWED (device 33333333)"), std::string::npos)
      << "judged by the card's node";
  EXPECT_NE(gw1.process->stderrText().find("node link to node"), std::string::npos);
  // gw1's admin sees the card online, at its bridge, though the bridge is connected to gw2.
  {
    Process token(
        {DCGW_BINARY, "token", "create", "--role", "admin", "--name", "t", "--store", url},
        dir / "token.out", dir / "token.err");
    ASSERT_EQ(token.wait(), 0) << token.stderrText();
    const auto lines = token.stdoutLines();
    ASSERT_FALSE(lines.empty());
    Process show({DCGW_BINARY, "cards", "show", kCard, "--url", "http://127.0.0.1:" + gw1.admin,
                  "--token", lines.front()},
                 dir / "show.out", dir / "show.err");
    EXPECT_EQ(show.wait(), 0) << show.stderrText();
    EXPECT_TRUE(has(show.stdoutLines(), "office-1")) << show.stderrText();
  }

  // A node link that does not prove the cluster key is refused.
  {
    UplinkClient raw(static_cast<std::uint16_t>(std::stoi(gw2.bridges)));
    Bytes f;
    cb::appendNodeHello(f, {99, {}});
    raw.send(f);
    auto [kind, body] = raw.next();
    ASSERT_EQ(kind, static_cast<std::uint8_t>(cb::NodeKind::NodeChallenge));
    auto ch = cb::parseNodeChallenge(body);
    ASSERT_TRUE(ch.ok());
    store::PostgresStore s(url);
    const Bytes key = s.clusterKey();
    const std::array<std::uint8_t, 32> zero{};
    EXPECT_EQ(cb::gatewayNodeProof(key, zero, ch->nonce), ch->proof) << "the gateway's proof";
    f.clear();
    cb::appendNodeProof(f, cb::nodeProof(Bytes(32, 0x42), ch->nonce, zero, 99));
    raw.send(f);
    auto [ek, eb] = raw.next();
    ASSERT_EQ(ek, static_cast<std::uint8_t>(cb::Kind::Error));
    EXPECT_EQ(cb::parseError(eb)->code, static_cast<std::uint8_t>(cb::ErrorCode::WrongProof));
  }

  // One queue for the card, whichever node each tracker is on: a tracker on gw2 holds the card,
  // the one on gw1 waits its turn and is told its place, then gets the card.
  UplinkClient t(static_cast<std::uint16_t>(std::stoi(gw1.uplink)));
  t.login("12345678");
  Bytes f;
  up::appendCardOpen(f, {"", 0xFF});
  {
    UplinkClient local(static_cast<std::uint16_t>(std::stoi(gw2.uplink)));
    local.login("22222222");
    local.send(f);
    auto [kl, bl] = nextCard(local);
    ASSERT_EQ(kl, static_cast<std::uint8_t>(up::CardKind::CardOpened)) << up::cardKindName(kl);
    const std::uint32_t first = up::parseCardOpened(bl)->session;
    t.send(f);
    auto [kw, bw] = nextCard(t);
    ASSERT_EQ(kw, static_cast<std::uint8_t>(up::CardKind::CardWaiting)) << up::cardKindName(kw);
    EXPECT_EQ(up::parseCardWaiting(bw)->place, 1);
    Bytes close;
    up::appendCardClose(close, first);
    local.send(close);
    auto [kc, bc] = nextCard(local);
    ASSERT_EQ(kc, static_cast<std::uint8_t>(up::CardKind::CardClosed));
    EXPECT_EQ(up::parseCardClosed(bc)->reason, static_cast<std::uint8_t>(up::CardReason::Finished));
  }
  // A session in progress when the card's node dies ends at once for the tracker on gw1.
  auto [ko, bo] = nextCard(t);
  ASSERT_EQ(ko, static_cast<std::uint8_t>(up::CardKind::CardOpened)) << up::cardKindName(ko);
  const std::uint32_t session = up::parseCardOpened(bo)->session;
  f.clear();
  Bytes select;
  ASSERT_TRUE(codecs::fromHex("00a4020c020002", select));
  up::appendApduCommand(f, session, select);
  t.send(f);
  auto [ka, ba] = nextCard(t);
  ASSERT_EQ(ka, static_cast<std::uint8_t>(up::CardKind::ApduResponse));
  EXPECT_EQ(codecs::toHex(up::parseApduResponse(ba)->apdu), "9000");
  gw2.process->signal(SIGKILL);
  const auto killedAt = std::chrono::steady_clock::now();
  auto [kc, bc] = nextCard(t);
  ASSERT_EQ(kc, static_cast<std::uint8_t>(up::CardKind::CardClosed)) << up::cardKindName(kc);
  auto closed = up::parseCardClosed(bc);
  EXPECT_EQ(closed->reason, static_cast<std::uint8_t>(up::CardReason::BridgeGone)) << closed->text;
  EXPECT_EQ(closed->session, session);
  EXPECT_LT(std::chrono::steady_clock::now() - killedAt, 5s);
  // With gw2 gone, so is the card: the next request is refused at once.
  up::appendCardOpen(f = {}, {"", 0xFF});
  t.send(f);
  auto [kr, br] = nextCard(t);
  ASSERT_EQ(kr, static_cast<std::uint8_t>(up::CardKind::CardClosed));
  EXPECT_EQ(up::parseCardClosed(br)->reason, static_cast<std::uint8_t>(up::CardReason::Offline));

  // Every node wrote what the admin reads into the one database: the finished session and the
  // refusal (by gw2), and the session gw2 took with it (by gw1).
  EXPECT_EQ(gw1.process->stop(), 0) << gw1.process->stderrText();
  store::PostgresStore s(url);
  const auto sessions = s.cardSessions(kCard, "", 10);
  std::vector<std::string> outcomes;
  for (const auto& x : sessions) outcomes.push_back(x.outcome + " " + x.serial);
  EXPECT_NE(std::find(outcomes.begin(), outcomes.end(), "FINISHED 12345678"), outcomes.end());
  EXPECT_NE(std::find(outcomes.begin(), outcomes.end(), "NOT_ALLOWED 33333333"), outcomes.end());
  EXPECT_NE(std::find(outcomes.begin(), outcomes.end(), "BRIDGE_GONE 12345678"), outcomes.end());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dcgw::testing
