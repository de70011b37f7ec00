// Helpers of the end-to-end tests that run the real dcgw binary (DCGW_BINARY): a fresh temp
// directory, `dcgw receive --rest 0` as the destination, one destination/location/device set up
// from a dcgw.json or directly in the store, and `dcgw serve` on port 0 with its ports read back
// from its log.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/process.hpp"

namespace dcgw::testing::e2e {

// The device key every end-to-end test uses (hex, 32 bytes).
inline const std::string kKey = "5c0e4d3b2a19f8e7d6c5b4a392817f6e5d4c3b2a190807f6e5d4c3b2a1908070";

// <temp>/dcgw-NAME-<pid>, emptied.
inline std::filesystem::path freshDir(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("dcgw-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// `dcgw receive --rest 0` (stdout dir/rest.out: one JSON line per packet received).
struct Receiver {
  std::unique_ptr<Process> process;
  std::string port;  // empty (and a test failure) when it did not start
  std::string url() const { return "http://127.0.0.1:" + port + "/api/datapacket"; }
};

inline Receiver restReceiver(const std::filesystem::path& dir) {
  Receiver r;
  r.process =
      std::make_unique<Process>(std::vector<std::string>{DCGW_BINARY, "receive", "--rest", "0"},
                                dir / "rest.out", dir / "rest.err");
  r.port = r.process->awaitStderr(R"(rest listening on [0-9.]+:(\d+))");
  return r;
}

// A dcgw.json with REST destination "rest" to `url`, location "Depot" forwarding to it, and one
// device of that location.
inline void writeOneDeviceConfig(const std::filesystem::path& file, const std::string& url,
                                 const std::string& serial, const std::string& registration) {
  std::ofstream(file) << R"({
  "destinations": [{"name": "rest", "method": "rest", "host": ")"
                      << url << R"("}],
  "locations": [{"name": "Depot", "destinations": ["rest"]}],
  "devices": [{"serial": ")"
                      << serial << R"(", "location": "Depot", "registration": ")" << registration
                      << R"(", "key": ")" << kKey << R"("}]
})";
}

// The same set-up written to the store directly (for what a dcgw.json cannot say: a sequence
// mark, alert rules); returns the location's id (0 and a test failure when it could not).
inline std::int64_t seedOneDevice(store::SqliteStore& store, const std::string& url,
                                  const std::string& serial, const std::string& registration) {
  codecs::Bytes key;
  EXPECT_TRUE(codecs::fromHex(kKey, key));
  store::DestinationConfig d;
  d.settings.name = "rest";
  d.settings.host = url;
  auto dest = store.createDestination(d, 0);
  EXPECT_TRUE(dest.ok());
  if (!dest.ok()) return 0;
  auto loc = store.createLocation({0, "Depot", "", {*dest}});
  EXPECT_TRUE(loc.ok());
  if (!loc.ok()) return 0;
  EXPECT_TRUE(store.upsertDevice({serial, *loc, registration, key}).ok());
  return *loc;
}

// `dcgw serve --db DB --config CONFIG` on ports 0 (logs dir/NAME.out, dir/NAME.err).
struct Serve {
  std::unique_ptr<Process> process;
  std::string uplinkPort, adminPort;  // empty (and a test failure) when not printed
};

inline Serve startServe(const std::filesystem::path& dir, const std::string& db,
                        const std::filesystem::path& config, const std::string& name = "serve") {
  Serve s;
  s.process = std::make_unique<Process>(
      std::vector<std::string>{DCGW_BINARY, "serve", "--db", db, "--config", config.string(),
                               "--uplink-port", "0", "--admin-port", "0", "--stats-seconds", "0"},
      dir / (name + ".out"), dir / (name + ".err"));
  s.uplinkPort = s.process->awaitStderr(R"(uplink listening on [0-9.]+:(\d+))");
  s.adminPort = s.process->awaitStderr(R"(admin API on http://[0-9.]+:(\d+))");
  return s;
}

}  // namespace dcgw::testing::e2e
