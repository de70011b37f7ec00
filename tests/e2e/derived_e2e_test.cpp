// End to end, real processes on loopback: `dcgw simulate` -> `dcgw serve` -> `dcgw receive`.
// Every VDO Counter packet a tracker sends reaches the receiver followed at once by the
// Consolidated DDS packet the gateway made from it (schema/derived-packets.md section 2).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "codecs/json.hpp"
#include "codecs/packets/derived.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/e2e.hpp"
#include "tests/support/process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dcgw::testing::Process;

TEST(EndToEnd, AVdoCounterPacketIsFollowedByItsConsolidatedDdsAtTheReceiver) {
  namespace e2e = dcgw::testing::e2e;
  const fs::path dir = e2e::freshDir("e2e-derived");
  auto rest = e2e::restReceiver(dir);
  ASSERT_FALSE(rest.port.empty());
  Process& receiver = *rest.process;
  e2e::writeOneDeviceConfig(dir / "dcgw.json", rest.url(), "30000001", "E2E 301");
  const std::string db = (dir / "dcgw.db").string();
  auto gateway = e2e::startServe(dir, db, dir / "dcgw.json");
  const std::string port = gateway.uplinkPort;
  ASSERT_FALSE(port.empty());
  Process& serve = *gateway.process;
  const std::string bin = DCGW_BINARY;
  const std::string& kKey = e2e::kKey;

  // The simulator's mix (a fixed seed) holds VDO Counter packets among the others.
  const fs::path log = dir / "simulate.log";
  Process sim({bin, "simulate", "--port", port, "--first-serial", "30000001", "--key", kKey,
               "--count", "500", "--rate", "500", "--log", log.string(), "--json"},
              dir / "simulate.out", dir / "simulate.err");
  ASSERT_EQ(sim.wait(), 0) << "dcgw simulate failed; see " << dir;
  std::size_t vdoSent = 0;
  {
    std::ifstream f(log);
    for (std::string line; std::getline(f, line);) {
      std::istringstream in(line);
      std::string serial, seq, hex, mark;
      in >> serial >> seq >> hex >> mark;
      if (hex.rfind("4d03", 0) == 0 && mark != "rejected") ++vdoSent;
    }
  }
  ASSERT_GT(vdoSent, 0u) << "the simulator sent no VDO Counter packet: nothing to check";

  std::size_t stored = 0;
  {
    dcgw::store::SqliteStore store(db);
    auto s = store.db().prepare("SELECT COUNT(*) FROM packets");
    s.step();
    stored = static_cast<std::size_t>(s.integer(0));
  }
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (receiver.stdoutLines().size() < stored && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(100ms);
  const auto lines = receiver.stdoutLines();
  ASSERT_EQ(lines.size(), stored) << "every stored packet forwarded";

  std::vector<std::string> data;
  for (const auto& l : lines) {
    auto j = dcgw::codecs::parseJson(l);
    ASSERT_TRUE(j.ok()) << l;
    ASSERT_TRUE(j->find("errors")->asArray().empty()) << l;
    EXPECT_EQ(j->find("deviceSerialNumber")->asString(), "30000001");
    data.push_back(j->find("data")->asString());
  }
  std::size_t vdoReceived = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i].rfind("4d03", 0) != 0) continue;
    ++vdoReceived;
    dcgw::codecs::Bytes feed;
    ASSERT_TRUE(dcgw::codecs::fromHex(data[i], feed));
    auto dds = dcgw::codecs::consolidatedDds(feed);
    ASSERT_TRUE(dds.ok());
    ASSERT_LT(i + 1, data.size()) << "the VDO Counter packet is the last one received";
    EXPECT_EQ(data[i + 1], dcgw::codecs::toHex(*dds))
        << "line " << i + 1 << " is not the Consolidated DDS of line " << i;
    auto next = dcgw::codecs::parseJson(lines[i + 1]);
    EXPECT_EQ(next->find("packet")->find("name")->asString(), "Consolidated DDS");
  }
  EXPECT_EQ(vdoReceived, vdoSent);
  EXPECT_EQ(serve.stop(), 0);
  receiver.stop();
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
