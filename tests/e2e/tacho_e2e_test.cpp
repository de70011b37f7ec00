// End to end, real processes on loopback, as the README's "Tachograph files" runs it: a driver
// card file and a vehicle-unit file (tests/support builders, made-up holders) uploaded with
// `dcgw simulate --upload` to `dcgw serve`, forwarded to `dcgw receive` as a New Driver
// notification then the File Summary packets (seed 004 sections 8 and 9), named by the location's
// convention and time zone, listed by download compliance (schema/files.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "codecs/ddd/summary.hpp"
#include "codecs/ddd/summary_packet.hpp"
#include "codecs/json.hpp"
#include "tests/support/ddd_card_builder.hpp"
#include "tests/support/ddd_vu_builder.hpp"
#include "tests/support/e2e.hpp"
#include "tests/support/process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dcgw::testing::Process;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write(const fs::path& p, const dcgw::codecs::Bytes& b) {
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

TEST(TachoEndToEnd, UploadedFilesAreNamedForwardedAsNewDriverAndFileSummaryAndTracked) {
  namespace e2e = dcgw::testing::e2e;
  const std::string& kKey = e2e::kKey;
  const fs::path dir = e2e::freshDir("tacho-e2e");
  const std::string bin = DCGW_BINARY;
  const auto card = dcgw::testing::buildCardFile(
      dcgw::testing::sampleDriverCard(dcgw::testing::CardGeneration::Gen2v1));
  const auto vu = dcgw::testing::buildSampleVehicleUnit(dcgw::codecs::ddd::Generation::Gen1);
  write(dir / "card.DDD", card);
  write(dir / "vu.DDD", vu);
  const auto parsedCard = dcgw::codecs::ddd::parseFile({card.data(), card.size()});
  const auto parsedVu = dcgw::codecs::ddd::parseFile({vu.data(), vu.size()});
  ASSERT_TRUE(parsedCard.card && parsedVu.vu) << "the builders' files give summaries";

  auto rest = e2e::restReceiver(dir);
  ASSERT_FALSE(rest.port.empty());
  Process& receiver = *rest.process;
  e2e::writeOneDeviceConfig(dir / "dcgw.json", rest.url(), "40000001", "XX-123-YY");
  const std::string db = (dir / "dcgw.db").string();
  const auto token = [&] {
    Process t({bin, "token", "create", "--role", "admin", "--name", "e2e", "--db", db},
              dir / "token.out", dir / "token.err");
    EXPECT_EQ(t.wait(), 0);
    const std::string out = slurp(dir / "token.out");
    return out.substr(0, out.find('\n'));
  }();
  auto gateway = e2e::startServe(dir, db, dir / "dcgw.json");
  const std::string port = gateway.uplinkPort, admin = gateway.adminPort;
  Process& serve = *gateway.process;
  ASSERT_FALSE(port.empty() || admin.empty()) << serve.stderrText();
  auto cli = [&](const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), bin);
    args.insert(args.end(), {"--url", "http://127.0.0.1:" + admin, "--token", token});
    Process p(args, dir / (name + ".out"), dir / (name + ".err"));
    const int status = p.wait();
    EXPECT_EQ(status, 0) << name << ": " << slurp(dir / (name + ".err"));
    return slurp(dir / (name + ".out"));
  };
  // France's names, in Paris time (schema/files.md "Names").
  cli("naming", {"locations", "update", "1", "--file-naming", "fr", "--time-zone", "Europe/Paris"});

  auto upload = [&](const std::string& name, const fs::path& file, const std::string& kind) {
    Process p({bin, "simulate", "--upload", file.string(), "--kind", kind, "--port", port,
               "--first-serial", "40000001", "--key", kKey},
              dir / (name + ".out"), dir / (name + ".err"));
    EXPECT_EQ(p.wait(), 0) << slurp(dir / (name + ".out")) << slurp(dir / (name + ".err"));
  };
  upload("card", dir / "card.DDD", "driver-card");
  upload("vu", dir / "vu.DDD", "vehicle-unit");

  const auto until = std::chrono::steady_clock::now() + 60s;
  while (receiver.stdoutLines().size() < 3 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(100ms);
  const auto lines = receiver.stdoutLines();
  ASSERT_EQ(lines.size(), 3u) << "New Driver, then the two File Summary packets";
  std::vector<std::string> data;
  for (const auto& l : lines) {
    auto j = dcgw::codecs::parseJson(l);
    ASSERT_TRUE(j.ok()) << l;
    data.push_back(j->find("data")->asString());
  }
  EXPECT_EQ(data[0].substr(0, 4), "4400") << "New Driver first (seed 004 section 8)";
  EXPECT_EQ(data[1].substr(0, 4), "6600") << "then the driver card's File Summary (9.1)";
  EXPECT_EQ(data[2].substr(0, 4), "6602") << "then the vehicle unit's (9.3)";
  // The File Summary bytes are the codec's for the file, but for the download time (the upload's).
  const auto expected = dcgw::codecs::ddd::fileSummaryPacket(parsedVu, 0);
  ASSERT_TRUE(expected);
  EXPECT_EQ(data[2].substr(12), dcgw::codecs::toHex(*expected).substr(12));

  const std::string files = cli("files", {"files", "list", "--device", "40000001"});
  EXPECT_TRUE(std::regex_search(files, std::regex(R"(XX-123-YY\d{10}\.C1B)"))) << files;
  EXPECT_TRUE(std::regex_search(files, std::regex(R"(\d{10}\.V1B)"))) << files;
  const std::string due = cli("compliance", {"compliance", "list"});
  EXPECT_NE(due.find(parsedCard.card->cardNumber), std::string::npos) << due;
  EXPECT_NE(due.find(parsedVu.vu->vin), std::string::npos) << due;
  const std::string drivers = cli("drivers", {"drivers", "list"});
  EXPECT_NE(drivers.find(parsedCard.card->surname), std::string::npos) << drivers;

  EXPECT_EQ(serve.stop(), 0);
  receiver.stop();
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
