// End to end, real processes on loopback: `dcgw simulate` trackers -> `dcgw serve` -> four
// `dcgw receive` destinations (REST, SOAP with a filter, XML over TCP, binary refusing its first
// messages). Every acknowledged packet must arrive at each destination whose filter takes it,
// exactly once and in the order the gateway stored it; rejected packets nowhere.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "codecs/json.hpp"
#include "gateway/store/interfaces.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/derived.hpp"
#include "tests/support/e2e.hpp"
#include "tests/support/packets.hpp"
#include "tests/support/process.hpp"
#include "tests/support/uplink_client.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dcgw::testing::Process;

const std::string& kKey = dcgw::testing::e2e::kKey;

struct Stored {
  std::string serial;
  std::string hex;
  std::string filterKey;
};

TEST(EndToEnd, SimulatedTrackersReachEveryDestinationInOrder) {
  const fs::path dir = fs::temp_directory_path() / ("dcgw-e2e-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string bin = DCGW_BINARY;
  struct Destination {
    const char* method;
    const char* flag;
    std::vector<std::string> extra;
    std::unique_ptr<Process> process;
    std::string port;
  };
  std::vector<Destination> dests;
  dests.push_back({"rest", "--rest", {}, nullptr, ""});
  dests.push_back({"soap", "--soap", {}, nullptr, ""});
  dests.push_back({"xml-tcp", "--xml-tcp", {}, nullptr, ""});
  dests.push_back({"binary", "--binary", {"--refuse-first", "5"}, nullptr, ""});
  for (auto& d : dests) {
    std::vector<std::string> args{bin, "receive", d.flag, "0"};
    args.insert(args.end(), d.extra.begin(), d.extra.end());
    d.process = std::make_unique<Process>(args, dir / (std::string(d.method) + ".out"),
                                          dir / (std::string(d.method) + ".err"));
    d.port = d.process->awaitStderr(std::string(d.method) + R"( listening on [0-9.]+:(\d+))");
    ASSERT_FALSE(d.port.empty());
  }
  // The SOAP destination takes two filter keys only (seed 004 figure 5).
  std::ofstream(dir / "dcgw.json")
      << R"({
  "destinations": [
    {"name": "rest", "method": "rest", "host": "http://127.0.0.1:)"
      << dests[0].port << R"(/api/datapacket",
     "customTags": "accountID:\"123456\""},
    {"name": "soap", "method": "soap", "host": "http://127.0.0.1:)"
      << dests[1].port << R"(/soap", "filter": ["Tracking", "Positional update"]},
    {"name": "xml-tcp", "method": "xml-tcp", "host": "127.0.0.1", "port": )"
      << dests[2].port << R"(},
    {"name": "binary", "method": "binary", "host": "127.0.0.1", "port": )"
      << dests[3].port << R"(, "customTags": "123456"}
  ],
  "locations": [{"name": "Depot", "destinations": ["rest", "soap", "xml-tcp", "binary"]}],
  "devices": [
    {"serial": "20000001", "location": "Depot", "registration": "E2E 001", "key": ")"
      << kKey << R"("},
    {"serial": "20000002", "location": "Depot", "registration": "E2E 002", "key": ")"
      << kKey << R"("},
    {"serial": "20000003", "location": "Depot", "registration": "E2E 003", "key": ")"
      << kKey << R"("},
    {"serial": "20000004", "location": "Depot", "registration": "E2E 004", "key": ")"
      << kKey << R"("}
  ]
})";
  const std::string db = (dir / "dcgw.db").string();
  Process serve(
      {bin, "serve", "--db", db, "--config", (dir / "dcgw.json").string(), "--uplink-port", "0",
       "--retry-base-ms", "200", "--retry-cap-ms", "800", "--stats-seconds", "0"},
      dir / "serve.out", dir / "serve.err");
  const std::string port = serve.awaitStderr(R"(uplink listening on [0-9.]+:(\d+))");
  ASSERT_FALSE(port.empty());

  // Four trackers; every 20th packet invalid (rejected), connections dropped every 45 packets
  // (resent, deduplicated).
  const fs::path log = dir / "simulate.log";
  Process sim({bin,
               "simulate",
               "--port",
               port,
               "--devices",
               "4",
               "--first-serial",
               "20000001",
               "--key",
               kKey,
               "--count",
               "400",
               "--rate",
               "400",
               "--window",
               "16",
               "--invalid-every",
               "20",
               "--drop-every",
               "45",
               "--log",
               log.string(),
               "--json"},
              dir / "simulate.out", dir / "simulate.err");
  ASSERT_EQ(sim.wait(), 0) << "dcgw simulate failed; see " << dir;
  const auto summary = dcgw::codecs::parseJson(sim.stdoutLines().back());
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->find("sent")->asExactInteger(), 400);
  EXPECT_EQ(summary->find("outstanding")->asExactInteger(), 0);
  EXPECT_GT(*summary->find("rejected")->asExactInteger(), 0);
  EXPECT_GT(*summary->find("reconnects")->asExactInteger(), 0);

  // What the simulator saw acknowledged and rejected.
  // Multisets: the simulator's packet pool repeats, so equal bytes may be two packets.
  std::multiset<std::pair<std::string, std::string>> acked, rejected;
  {
    std::ifstream f(log);
    for (std::string line; std::getline(f, line);) {
      std::istringstream in(line);
      std::string serial, seq, hex, mark;
      in >> serial >> seq >> hex >> mark;
      (mark == "rejected" ? rejected : acked).insert({serial, hex});
    }
  }
  EXPECT_EQ(acked.size() + rejected.size(), 400u);

  // The gateway's order: packets by id. Exactly the acknowledged packets, each once.
  std::vector<Stored> stored;
  {
    dcgw::store::SqliteStore store(db);
    auto s = store.db().prepare(
        "SELECT serial, hex(data), IFNULL(filter_key, '') FROM packets ORDER BY id");
    while (s.step()) {
      std::string hex = s.text(1);
      for (auto& ch : hex) ch = static_cast<char>(std::tolower(ch));
      stored.push_back({s.text(0), hex, s.text(2)});
    }
  }
  // The device's own packets, without those the gateway derived from them.
  std::vector<dcgw::codecs::Bytes> storedBytes;
  for (const auto& p : stored) {
    storedBytes.emplace_back();
    dcgw::codecs::fromHex(p.hex, storedBytes.back());
  }
  const std::vector<bool> made = dcgw::testing::gatewayMade(storedBytes);
  std::multiset<std::pair<std::string, std::string>> storedSet;
  for (std::size_t i = 0; i < stored.size(); ++i)
    if (!made[i]) storedSet.insert({stored[i].serial, stored[i].hex});
  EXPECT_EQ(storedSet, acked) << "stored packets differ from the acknowledged ones";
  for (const auto& r : rejected) EXPECT_EQ(storedSet.count(r), 0u);

  // Every destination receives its share, in the stored order, then the queues are empty.
  auto expectedFor = [&](const std::string& method) {
    std::vector<std::string> out;
    for (const auto& p : stored) {
      if (method == "soap" && p.filterKey != "Tracking" && p.filterKey != "Positional update")
        continue;
      if (method == "binary" && p.hex.size() / 2 > 255) continue;  // cannot be framed: dead
      out.push_back(p.serial + " " + p.hex);
    }
    return out;
  };
  const auto until = std::chrono::steady_clock::now() + 90s;
  std::map<std::string, std::vector<std::string>> got;
  std::map<std::string, int> refusedLines;
  for (;;) {
    bool complete = true;
    for (auto& d : dests) {
      auto& lines = got[d.method];
      lines.clear();
      refusedLines[d.method] = 0;
      for (const auto& l : d.process->stdoutLines()) {
        auto j = dcgw::codecs::parseJson(l);
        ASSERT_TRUE(j.ok()) << l;
        ASSERT_TRUE(j->find("errors")->asArray().empty()) << d.method << ": " << l;
        if (j->find("refused")->asBool()) {
          ++refusedLines[d.method];
          continue;
        }
        lines.push_back(j->find("deviceSerialNumber")->asString() + " " +
                        j->find("data")->asString());
      }
      if (lines.size() < expectedFor(d.method).size()) complete = false;
    }
    if (complete || std::chrono::steady_clock::now() > until) break;
    std::this_thread::sleep_for(200ms);
  }
  for (auto& d : dests) {
    const auto expected = expectedFor(d.method);
    const auto& actual = got[d.method];
    EXPECT_EQ(actual.size(), expected.size()) << d.method << ": how many arrived";
    for (std::size_t i = 0; i < std::min(actual.size(), expected.size()); ++i)
      if (actual[i] != expected[i]) {
        ADD_FAILURE() << d.method << " differs from the stored order at " << i << ": got "
                      << actual[i] << ", expected " << expected[i];
        break;
      }
  }
  EXPECT_LT(expectedFor("soap").size(), stored.size()) << "the filter took everything";
  EXPECT_EQ(refusedLines["binary"], 5) << "the refused messages were not retried";
  EXPECT_EQ(serve.stop(), 0);
  for (auto& d : dests) d.process->stop();
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

// The finding of issue 11, end to end: a device whose counter passes 4294967295. `dcgw simulate`
// and a raw tracker against `dcgw serve`; every packet after the wrap is stored and forwarded,
// and a jump beyond maxJump is refused with SEQUENCE_OUT_OF_RANGE, not acknowledged.
TEST(EndToEnd, SequencesWrapAndAJumpIsRefused) {
  namespace up = dcgw::codecs::uplink;
  namespace e2e = dcgw::testing::e2e;
  const fs::path dir = e2e::freshDir("e2e-seq");
  const std::string bin = DCGW_BINARY;
  auto rest = e2e::restReceiver(dir);
  ASSERT_FALSE(rest.port.empty());
  Process& receiver = *rest.process;
  const std::string db = (dir / "dcgw.db").string();
  dcgw::codecs::Bytes key;
  ASSERT_TRUE(dcgw::codecs::fromHex(kKey, key));
  {
    dcgw::store::SqliteStore store(db);
    ASSERT_NE(e2e::seedOneDevice(store, rest.url(), "20000009", "E2E 009"), 0);
    auto tx = store.begin();
    ASSERT_TRUE(tx->setLastSequence("20000009", 4294967285u).ok());  // ten before the wrap
    tx->commit();
  }
  std::ofstream(dir / "dcgw.json") << "{}";
  auto gateway = e2e::startServe(dir, db, dir / "dcgw.json");
  const std::string port = gateway.uplinkPort;
  ASSERT_FALSE(port.empty());
  Process& serve = *gateway.process;

  // The simulator continues after WELCOME's lastSequence: 4294967286 .. 4294967295, 1 .. 20.
  Process sim({bin, "simulate", "--port", port, "--first-serial", "20000009", "--key", kKey,
               "--count", "30", "--rate", "200", "--json"},
              dir / "simulate.out", dir / "simulate.err");
  ASSERT_EQ(sim.wait(), 0) << "dcgw simulate failed; see " << dir;
  const auto summary = dcgw::codecs::parseJson(sim.stdoutLines().back());
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->find("acknowledged")->asExactInteger(), 30);
  EXPECT_EQ(summary->find("outstanding")->asExactInteger(), 0);

  dcgw::testing::UplinkClient tracker(static_cast<std::uint16_t>(std::stoi(port)));
  EXPECT_EQ(tracker.login("20000009", key).lastSequence, 20u);
  tracker.sendPacket(21, dcgw::testing::positionalUpdate(21));
  tracker.sendPacket(21 + 1'000'001, dcgw::testing::positionalUpdate(22));  // beyond maxJump
  tracker.awaitAck(21);
  const std::string why = tracker.expectError(up::ErrorCode::SequenceOutOfRange);
  EXPECT_NE(why.find("sequence 1000022"), std::string::npos) << why;

  std::vector<dcgw::codecs::Bytes> stored;
  {
    dcgw::store::SqliteStore store(db);
    auto s = store.db().prepare("SELECT data FROM packets ORDER BY id");
    while (s.step()) stored.push_back(s.blob(0));
  }
  const auto made = dcgw::testing::gatewayMade(stored);
  const std::size_t derived = static_cast<std::size_t>(std::count(made.begin(), made.end(), true));
  EXPECT_EQ(stored.size() - derived, 31u) << "every packet after the wrap is stored";
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (receiver.stdoutLines().size() < stored.size() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(100ms);
  EXPECT_EQ(receiver.stdoutLines().size(), stored.size()) << "and forwarded, derived ones too";
  EXPECT_EQ(serve.stop(), 0);
  receiver.stop();
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
