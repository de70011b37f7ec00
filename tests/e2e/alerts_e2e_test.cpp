// Alerts end to end (schema/alerts.md, seed 004 section 7): `dcgw serve` with a location whose
// device-silent rule is on at a threshold of two seconds, `dcgw receive` as its destination, a
// raw tracker that sends one packet and goes quiet. The receiver gets the 0x61 alert with the
// device's serial and the right bytes; after the tracker sends again, the clear.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "codecs/json.hpp"
#include "codecs/packets/alert_packet.hpp"
#include "codecs/timefmt.hpp"
#include "gateway/alerts/rules.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/e2e.hpp"
#include "tests/support/packets.hpp"
#include "tests/support/process.hpp"
#include "tests/support/uplink_client.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dcgw::testing::Process;

std::int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The receiver's lines for 0x61 packets, as decoded JSON objects with the raw hex.
std::vector<std::pair<dcgw::codecs::JsonValue, std::string>> alertLines(Process& receiver) {
  std::vector<std::pair<dcgw::codecs::JsonValue, std::string>> out;
  for (const auto& l : receiver.stdoutLines()) {
    auto j = dcgw::codecs::parseJson(l);
    if (!j) continue;
    const std::string hex = j->find("data")->asString();
    if (hex.rfind("61", 0) == 0) out.emplace_back(*j, hex);
  }
  return out;
}

TEST(AlertsEndToEnd, ASilentDeviceIsAlertedToTheReceiverAndClearedWhenItSendsAgain) {
  namespace e2e = dcgw::testing::e2e;
  const fs::path dir = e2e::freshDir("e2e-alerts");
  auto rest = e2e::restReceiver(dir);
  ASSERT_FALSE(rest.port.empty());
  Process& receiver = *rest.process;
  const std::string db = (dir / "dcgw.db").string();
  dcgw::codecs::Bytes key;
  ASSERT_TRUE(dcgw::codecs::fromHex(e2e::kKey, key));
  {
    dcgw::store::SqliteStore store(db);
    const std::int64_t loc = e2e::seedOneDevice(store, rest.url(), "20000011", "E2E 011");
    ASSERT_NE(loc, 0);
    auto tx = store.begin();
    ASSERT_TRUE(tx->setAlertSettings({loc, "en", {{"device-silent", 2}}}).ok());
    tx->commit();
  }
  std::ofstream(dir / "dcgw.json") << R"({"alerts": {"intervalSeconds": 0.2}})";
  auto gateway = e2e::startServe(dir, db, dir / "dcgw.json");
  const std::string port = gateway.uplinkPort;
  ASSERT_FALSE(port.empty());
  Process& serve = *gateway.process;

  dcgw::testing::UplinkClient tracker(static_cast<std::uint16_t>(std::stoi(port)));
  tracker.login("20000011", key);
  const std::int64_t sentFrom = nowSeconds();
  tracker.sendPacket(1, dcgw::testing::positionalUpdate(1));
  tracker.awaitAck(1);
  const std::int64_t sentTo = nowSeconds();

  auto until = std::chrono::steady_clock::now() + 30s;
  auto lines = alertLines(receiver);
  while (lines.empty() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(100ms);
    lines = alertLines(receiver);
  }
  ASSERT_FALSE(lines.empty()) << "no alert reached the receiver; see " << dir;
  const auto& [raised, raisedHex] = lines[0];
  EXPECT_EQ(raised.find("deviceSerialNumber")->asString(), "20000011");
  EXPECT_EQ(raised.find("vehicleRegistrationNumber")->asString(), "E2E 011");
  EXPECT_TRUE(raised.find("errors")->asArray().empty()) << raisedHex;
  const dcgw::codecs::JsonValue& p = *raised.find("packet");
  // The bytes: exactly what seed 004 section 7 lays out for this alert (schema/alerts.md).
  const std::string lastPacket = p.find("p3")->asString();
  const auto lastAt = dcgw::codecs::parseTimeReal(lastPacket);
  ASSERT_TRUE(lastAt) << lastPacket;
  EXPECT_GE(static_cast<std::int64_t>(*lastAt), sentFrom - 1);
  EXPECT_LE(static_cast<std::int64_t>(*lastAt), sentTo);
  const auto alertTime = dcgw::codecs::parseTimeReal(p.find("alertDatetime")->asString());
  ASSERT_TRUE(alertTime);
  EXPECT_GE(static_cast<std::int64_t>(*alertTime), static_cast<std::int64_t>(*lastAt) + 2);
  const std::vector<std::string> params = {"20000011", "E2E 011", lastPacket, "0.000555556"};
  const auto text = dcgw::alerts::localise("en", "device-silent", params);
  auto want = dcgw::codecs::encodeAlertPacket({"", dcgw::codecs::AlertState::Alert, 0x01, 0x01,
                                               *alertTime, text.title, text.alert, params});
  ASSERT_TRUE(want);
  EXPECT_EQ(raisedHex, dcgw::codecs::toHex(*want));
  EXPECT_EQ(p.find("title")->asString(), "Device silent");

  // The device sends again: the alert is cleared, once.
  tracker.sendPacket(2, dcgw::testing::positionalUpdate(2));
  tracker.awaitAck(2);
  until = std::chrono::steady_clock::now() + 30s;
  while (alertLines(receiver).size() < 2 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(100ms);
  lines = alertLines(receiver);
  ASSERT_GE(lines.size(), 2u) << "no clear reached the receiver; see " << dir;
  const auto& [cleared, clearedHex] = lines[1];
  EXPECT_EQ(cleared.find("deviceSerialNumber")->asString(), "20000011");
  const dcgw::codecs::JsonValue& c = *cleared.find("packet");
  const auto clearTime = dcgw::codecs::parseTimeReal(c.find("alertDatetime")->asString());
  ASSERT_TRUE(clearTime);
  auto wantClear =
      dcgw::codecs::encodeAlertPacket({"", dcgw::codecs::AlertState::Clear, 0x01, 0x01, *clearTime,
                                       text.title, "Cleared: " + text.alert, params});
  ASSERT_TRUE(wantClear);
  EXPECT_EQ(clearedHex, dcgw::codecs::toHex(*wantClear));
  EXPECT_EQ(serve.stop(), 0);
  receiver.stop();
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
