// The card relay in the real `dcgw serve` process, as the README runs it: the registry in the
// store file, the "cardBridge" section of the configuration, the real `dcgw card-bridge` program
// with its JSON configuration over pcscd, the virtual reader and the fake company card, and
// `dcgw simulate --card-session` as the tracker. Also: a gateway without the section announces
// no card capability and the simulator says so.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "codecs/bytes.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/cardbridge/pcscd_harness.hpp"
#include "tests/support/fake_company_card.hpp"
#include "tests/support/process.hpp"
#include "tests/support/uplink_client.hpp"

namespace dcgw::testing {
namespace {

namespace fs = std::filesystem;
const std::string kCard = "1200000000110200";
const std::string kBridgeKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

class ServeCard : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dcgw-serve-card-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store::SqliteStore s((dir_ / "dcgw.db").string());
    const auto depot = *s.createLocation({0, "Depot", "", {}});
    const auto yard = *s.createLocation({0, "Yard", "", {}});
    codecs::Bytes key;
    ASSERT_TRUE(codecs::fromHex(kBridgeKey, key));
    auto tx = s.begin();
    ASSERT_TRUE(tx->upsertCompanyCard({kCard, "Depot company card", {depot}, "2099-12-31"}).ok());
    ASSERT_TRUE(tx->upsertCardBridge({"office-1", "Fleet office", key}).ok());
    store::DeviceConfig a{"12345678", depot, "AB12CDE", kUplinkTestKey};
    a.companyCard = kCard;
    store::DeviceConfig b{"33333333", yard, "", kUplinkTestKey};
    b.companyCard = kCard;
    ASSERT_TRUE(tx->upsertDevice(a).ok());
    ASSERT_TRUE(tx->upsertDevice(b).ok());
    tx->commit();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // dcgw serve on free ports with `cardBridge` (or without); returns the uplink port.
  std::string serve(bool cards) {
    std::ofstream(dir_ / "dcgw.json")
        << R"({"uplink": {"port": 0}, "admin": {"port": 0})"
        << (cards ? R"(, "cardBridge": {"port": 0, "heartbeatSeconds": 30})" : "") << "}\n";
    serve_ = std::make_unique<Process>(
        std::vector<std::string>{DCGW_BINARY, "serve", "--db", (dir_ / "dcgw.db").string(),
                                 "--config", (dir_ / "dcgw.json").string()},
        dir_ / "serve.out", dir_ / "serve.err");
    const std::string uplink = serve_->awaitStderr("uplink listening on [0-9.]+:([0-9]+)");
    if (cards) bridgePort_ = serve_->awaitStderr("card bridges on [0-9.]+:([0-9]+)");
    return uplink;
  }
  std::vector<std::string> simulate(const std::string& port, const std::string& serial, int& rc) {
    Process p({DCGW_BINARY, "simulate", "--card-session", "--port", port, "--first-serial", serial,
               "--key", codecs::toHex(kUplinkTestKey)},
              dir_ / ("sim-" + serial + ".out"), dir_ / ("sim-" + serial + ".err"));
    rc = p.wait();
    return p.stdoutLines();
  }
  static bool has(const std::vector<std::string>& lines, const std::string& text) {
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }

  fs::path dir_;
  std::unique_ptr<Process> serve_;
  std::string bridgePort_;
};

TEST_F(ServeCard, ARemoteAuthenticationThroughServeAndTheBridgeProgram) {
  Pcscd pcscd;
  FakeCompanyCard::Options co;
  co.port = pcscd.port();
  FakeCompanyCard card(co);
  ASSERT_TRUE(card.connected()) << pcscd.log();
  const std::string uplink = serve(true);
  ASSERT_FALSE(bridgePort_.empty()) << serve_->stderrText();
  std::ofstream(dir_ / "bridge.json")
      << R"({"gateway": {"host": "127.0.0.1", "port": )" << bridgePort_
      << R"(}, "ident": "office-1", "key": ")" << kBridgeKey << R"(", "readers": [")"
      << Pcscd::kReaderName << R"("], "cards": [{"extendedSerial": "0011223344556677", "card": ")"
      << kCard << R"("}]})";
  Process bridge({DCGW_BINARY, "card-bridge", "--config", (dir_ / "bridge.json").string()},
                 dir_ / "bridge.out", dir_ / "bridge.err");
  serve_->awaitStderr("card (1200000000110200) ONLINE");

  int rc = -1;
  auto out = simulate(uplink, "12345678", rc);
  EXPECT_EQ(rc, 0) << serve_->stderrText();
  EXPECT_TRUE(has(out, "card extended serial number: 0011223344556677"));
  EXPECT_TRUE(has(out, "authenticated: yes"));
  EXPECT_TRUE(card.authenticated());
  out = simulate(uplink, "33333333", rc);
  EXPECT_EQ(rc, 1);
  EXPECT_TRUE(has(out, "refused: NOT_ALLOWED"));

  // What the admin reads is in the store once serve stops (the log is written off the loops).
  EXPECT_EQ(bridge.stop(), 0) << bridge.stderrText();
  EXPECT_EQ(serve_->stop(), 0) << serve_->stderrText();
  store::SqliteStore s((dir_ / "dcgw.db").string());
  const auto sessions = s.cardSessions(kCard, "", 10);
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].outcome, "NOT_ALLOWED");
  EXPECT_EQ(sessions[1].outcome, "FINISHED");
  EXPECT_GE(sessions[1].apdus, 8);
  store::CardEventFilter f;
  f.serial = "12345678";
  const auto events = s.cardEvents(f);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0].code, "FINISHED");
}

TEST_F(ServeCard, WithoutACardBridgeSectionNoCardCapabilityIsAnnounced) {
  const std::string uplink = serve(false);
  UplinkClient c(static_cast<std::uint16_t>(std::stoi(uplink)));
  // File upload (0x02) is on by default; card sessions (0x01) only with the section.
  EXPECT_EQ(c.login("12345678").capabilities, (std::vector<std::uint8_t>{0x02}));
  int rc = -1;
  auto out = simulate(uplink, "12345678", rc);
  EXPECT_EQ(rc, 1);
  EXPECT_TRUE(has(out, "the gateway does not serve card sessions"));
  EXPECT_EQ(serve_->stop(), 0);
}

TEST_F(ServeCard, WithTheSectionWelcomeAnnouncesCardSessions) {
  const std::string uplink = serve(true);
  UplinkClient c(static_cast<std::uint16_t>(std::stoi(uplink)));
  EXPECT_EQ(c.login("12345678").capabilities, (std::vector<std::uint8_t>{0x01, 0x02}));
  EXPECT_EQ(serve_->stop(), 0);
}

}  // namespace
}  // namespace dcgw::testing
