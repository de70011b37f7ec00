// kill -9 of `dcgw serve` while trackers send over the uplink and forwarding runs (issue 11):
// three rounds of trackers sending, the gateway killed at a random moment, and restarted on
// the same database; then a last run that is left to drain. Afterwards every packet a tracker
// saw acknowledged has reached every destination whose filter takes it, in sequence order per
// device; a packet arrives twice only as a redelivery (the gateway died between sending it
// and recording it), and a destination whose filter takes none of them received nothing.
//
// Two real `dcgw receive` processes are the third parties: one accepts everything, the other
// refuses its first messages, so one destination backs off while the crashes happen.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "codecs/json.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "gateway/uplink/auth.hpp"
#include "tests/support/loopback.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dcgw::codecs::Bytes;
namespace up = dcgw::codecs::uplink;

constexpr int kDevices = 4;
const Bytes kKey(32, 0x11);  // every device's key ("11" x 32 in the configuration)

// A child process whose stdout and stderr go to files (they outlive a killed gateway).
struct Child {
  pid_t pid{-1};
  fs::path out, err;

  static Child spawn(const std::vector<std::string>& args, const fs::path& out,
                     const fs::path& err) {
    Child c{-1, out, err};
    c.pid = fork();
    if (c.pid == 0) {
      std::freopen(out.c_str(), "a", stdout);
      std::freopen(err.c_str(), "a", stderr);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    return c;
  }
  // Waits for a line of stderr matching `re` (the first group), at most 20 s.
  std::string waitFor(const std::regex& re, std::size_t from = 0) const {
    for (int i = 0; i < 400; ++i) {
      std::ifstream in(err);
      std::stringstream all;
      all << in.rdbuf();
      const std::string text = all.str().substr(std::min(from, all.str().size()));
      std::smatch m;
      if (std::regex_search(text, m, re)) return m[1];
      std::this_thread::sleep_for(50ms);
    }
    return {};
  }
  std::size_t errSize() const {
    std::error_code ec;
    const auto n = fs::file_size(err, ec);
    return ec ? 0 : static_cast<std::size_t>(n);
  }
  int stop(int sig) {
    if (pid <= 0) return -1;
    kill(pid, sig);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return status;
  }
};

// Tracking suppression (seed 004 section 12.2) whose DateTime carries the sequence number.
Bytes packetFor(std::uint32_t seq) {
  return {0x47,
          0x02,
          static_cast<std::uint8_t>(seq >> 24),
          static_cast<std::uint8_t>(seq >> 16),
          static_cast<std::uint8_t>(seq >> 8),
          static_cast<std::uint8_t>(seq),
          0x01};
}

// A tracker's socket that tolerates the gateway dying under it (no test assertions inside).
class Link {
 public:
  explicit Link(std::uint16_t port) : fd_(dcgw::testing::connectLoopback(port)) {
    timeval tv{10, 0};
    if (fd_ >= 0) setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Link() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool send(const Bytes& b) {
    return fd_ >= 0 &&
           ::send(fd_, b.data(), b.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(b.size());
  }
  // The next frame's kind and body; kind 0 when the connection is gone.
  std::pair<std::uint8_t, Bytes> next() {
    while (fd_ >= 0) {
      auto r = up::scanFrame(buf_);
      if (r.scan == up::Scan::Frame) {
        std::pair<std::uint8_t, Bytes> f{r.frame.kind, {r.frame.body.begin(), r.frame.body.end()}};
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(r.frameBytes));
        return f;
      }
      if (r.scan == up::Scan::Bad) break;
      std::uint8_t tmp[4096];
      const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) break;
      buf_.insert(buf_.end(), tmp, tmp + n);
    }
    return {0, {}};
  }

 private:
  int fd_{-1};
  Bytes buf_;
};

// One tracker as schema/uplink.md section 5 describes it: increasing sequences, up to 32 in
// flight, and after a reconnect everything not yet acknowledged again, in order.
struct Tracker {
  std::string serial;
  std::atomic<std::uint32_t> acked{0};  // every sequence <= acked was acknowledged
  std::uint32_t sent{0};                // the highest sequence ever sent

  // One connection: sends until `until` is acknowledged or the connection dies.
  void session(std::uint16_t port, std::uint32_t until, const std::atomic<bool>& stop) {
    Link c(port);
    Bytes b;
    up::appendHello(b, serial);
    if (!c.send(b)) return;
    auto [ck, cb] = c.next();
    if (ck != static_cast<std::uint8_t>(up::Kind::Challenge)) return;
    auto nonce = up::parseChallenge(cb);
    if (!nonce) return;
    b.clear();
    up::appendProof(b, dcgw::uplink::computeProof(kKey, *nonce, serial));
    if (!c.send(b)) return;
    auto [wk, wb] = c.next();
    if (wk != static_cast<std::uint8_t>(up::Kind::Welcome)) return;
    std::uint32_t next = acked + 1;
    while (acked < until && !stop) {
      const std::uint32_t last = std::min(until, next + 31);
      b.clear();
      for (std::uint32_t s = next; s <= last; ++s) up::appendPacket(b, s, "", packetFor(s));
      if (!c.send(b)) return;
      sent = std::max(sent, last);
      next = last + 1;
      while (acked < last) {
        auto [kind, body] = c.next();
        if (kind != static_cast<std::uint8_t>(up::Kind::Ack)) return;  // killed (or an error)
        auto a = up::parseAck(body);
        if (!a.ok()) return;
        if (*a > acked) acked = *a;
      }
    }
  }
};

struct Received {
  std::map<std::string, std::vector<std::uint32_t>> bySerial;  // in arrival order
  std::size_t total{0};
};

// The receiver's JSON lines for the destination with this tag ("dest:\"<tag>\"").
Received readReceiver(const fs::path& out, const std::string& tag) {
  Received r;
  std::ifstream in(out);
  for (std::string line; std::getline(in, line);) {
    auto j = dcgw::codecs::parseJson(line);
    if (!j) continue;
    const auto* refused = j->find("refused");
    if (refused && refused->kind() == dcgw::codecs::JsonValue::Kind::Bool && refused->asBool())
      continue;
    const auto* tags = j->find("customTags");
    if (!tags || !tags->isString() || tags->asString().find(tag) == std::string::npos) continue;
    const auto* serial = j->find("deviceSerialNumber");
    const auto* data = j->find("data");
    if (!serial || !data || !data->isString() || data->asString().size() != 14) continue;
    r.bySerial[serial->asString()].push_back(
        static_cast<std::uint32_t>(std::stoul(data->asString().substr(4, 8), nullptr, 16)));
    ++r.total;
  }
  return r;
}

// In order with duplicates only as redelivery: the first arrivals of each sequence increase.
std::string checkOrdered(const std::string& who, const std::vector<std::uint32_t>& got,
                         std::uint32_t acked, std::size_t& redeliveries) {
  std::set<std::uint32_t> seen;
  std::uint32_t high = 0;
  for (std::uint32_t s : got) {
    if (!seen.insert(s).second) {
      ++redeliveries;
      continue;
    }
    if (s < high)
      return who + ": sequence " + std::to_string(s) + " arrived after " + std::to_string(high) +
             " (out of order)";
    high = s;
  }
  for (std::uint32_t s = 1; s <= acked; ++s)
    if (!seen.count(s))
      return who + ": acknowledged sequence " + std::to_string(s) + " never arrived";
  return {};
}

TEST(Crash, KillNineWhileForwardingLosesAndReordersNothing) {
  const fs::path dir = fs::temp_directory_path() / ("dcgw-crashfwd-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::regex restPort(R"(rest listening on [\d.]+:(\d+))");
  Child good = Child::spawn({DCGW_BINARY, "receive", "--rest", "0", "--format", "hex"},
                            dir / "good.out", dir / "good.err");
  Child flaky = Child::spawn(
      {DCGW_BINARY, "receive", "--rest", "0", "--format", "hex", "--refuse-first", "6"},
      dir / "flaky.out", dir / "flaky.err");
  const std::string goodPort = good.waitFor(restPort);
  const std::string flakyPort = flaky.waitFor(restPort);
  ASSERT_FALSE(goodPort.empty() || flakyPort.empty()) << "a receiver did not start";

  const std::string key(64, '1');  // kKey in hex
  std::ostringstream cfg;
  cfg << R"({"uplink":{"bind":"127.0.0.1","port":0},"admin":{"bind":"127.0.0.1","port":0},)"
      << R"("destinations":[)"
      << R"({"name":"good","method":"rest","host":"http://127.0.0.1:)" << goodPort
      << R"(/api","format":"hex","customTags":"dest:\"good\"","filter":null},)"
      << R"({"name":"flaky","method":"rest","host":"http://127.0.0.1:)" << flakyPort
      << R"(/api","format":"hex","customTags":"dest:\"flaky\"","filter":["Tracking suppression"]},)"
      << R"({"name":"none","method":"rest","host":"http://127.0.0.1:)" << goodPort
      << R"(/api","format":"hex","customTags":"dest:\"none\"","filter":["Clocking"]}],)"
      << R"("locations":[{"name":"Depot","destinations":["good","flaky","none"]}],"devices":[)";
  std::vector<Tracker> trackers(kDevices);
  for (int i = 0; i < kDevices; ++i) {
    trackers[i].serial = std::to_string(21000001 + i);
    cfg << (i ? "," : "") << R"({"serial":")" << trackers[i].serial
        << R"(","location":"Depot","key":")" << key << R"("})";
  }
  cfg << "]}";
  std::ofstream(dir / "dcgw.json") << cfg.str();

  const std::vector<std::string> serveArgs = {DCGW_BINARY,
                                              "serve",
                                              "--db",
                                              (dir / "dcgw.db").string(),
                                              "--config",
                                              (dir / "dcgw.json").string(),
                                              "--uplink-port",
                                              "0",
                                              "--admin-port",
                                              "0",
                                              "--retry-base-ms",
                                              "200",
                                              "--retry-cap-ms",
                                              "800",
                                              "--stats-seconds",
                                              "0"};
  const std::regex uplinkPort(R"(uplink listening on [\d.]+:(\d+))");
  std::mt19937 rng(std::random_device{}());
  constexpr std::uint32_t kPerDevice = 3000;

  std::size_t goodTotal = 0, flakyTotal = 0;  // what the destinations received in the end
  // Three rounds killed at a random moment, then one left to finish sending.
  for (int round = 0; round < 4; ++round) {
    const bool last = round == 3;
    Child serve = Child::spawn(serveArgs, dir / "serve.out", dir / "serve.err");
    const std::size_t from = serve.errSize();
    const std::string port = serve.waitFor(uplinkPort, from);
    ASSERT_FALSE(port.empty()) << "dcgw serve did not start (round " << round << ")";
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    const std::uint32_t until = last ? kPerDevice : (round + 1) * kPerDevice / 4;
    std::uint32_t before = 0;
    for (const auto& t : trackers) before += t.acked;
    for (auto& t : trackers) {
      threads.emplace_back([&t, &port, until, &stop] {
        for (int attempt = 0; attempt < 3 && t.acked < until && !stop; ++attempt)
          t.session(static_cast<std::uint16_t>(std::stoi(port)), until, stop);
      });
    }
    if (!last) {
      // Killed mid-stream: once a random share of this round's packets is acknowledged.
      const std::uint32_t target =
          before + 1 + static_cast<std::uint32_t>(rng() % ((kDevices * until - before) * 3 / 4));
      for (int i = 0; i < 20000; ++i) {
        std::uint32_t now = 0;
        for (const auto& t : trackers) now += t.acked;  // a racy read is fine for a trigger
        if (now >= target) break;
        std::this_thread::sleep_for(1ms);
      }
      stop = true;  // before the kill, so no tracker reconnects to a dead port
      const int status = serve.stop(SIGKILL);
      ASSERT_TRUE(WIFSIGNALED(status)) << "round " << round;
      for (auto& th : threads) th.join();
      continue;
    }
    for (auto& th : threads) th.join();
    for (const auto& t : trackers) ASSERT_EQ(t.acked, kPerDevice) << t.serial;
    // Let both destinations drain (the flaky one refuses its first messages and backs off);
    // 150 s for a slow (sanitizer) build, the test's TIMEOUT in tests/gateway/CMakeLists.txt.
    for (int i = 0; i < 1500; ++i) {
      goodTotal = readReceiver(good.out, "good").total;
      flakyTotal = readReceiver(flaky.out, "flaky").total;
      if (goodTotal >= kDevices * kPerDevice && flakyTotal >= kDevices * kPerDevice) break;
      std::this_thread::sleep_for(100ms);
    }
    const int status = serve.stop(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "dcgw serve exit " << status;
  }
  good.stop(SIGTERM);
  flaky.stop(SIGTERM);
  ASSERT_GE(goodTotal, kDevices * kPerDevice) << "the good destination did not drain";
  ASSERT_GE(flakyTotal, kDevices * kPerDevice) << "the flaky destination did not drain";

  std::size_t redeliveries = 0;
  for (const char* dest : {"good", "flaky"}) {
    const Received r = readReceiver(std::string(dest) == "good" ? good.out : flaky.out, dest);
    for (const auto& t : trackers) {
      auto it = r.bySerial.find(t.serial);
      ASSERT_NE(it, r.bySerial.end()) << dest << ": nothing from " << t.serial;
      const std::string problem =
          checkOrdered(std::string(dest) + " " + t.serial, it->second, t.acked, redeliveries);
      EXPECT_EQ(problem, "");
    }
  }
  EXPECT_EQ(readReceiver(good.out, "none").total, 0u)
      << "the destination whose filter takes only Clocking received packets";
  // Each packet is stored once, however often it was resent after a crash.
  dcgw::store::SqliteStore store((dir / "dcgw.db").string());
  dcgw::store::sqlite::Stmt s = store.db().prepare("SELECT count(*) FROM packets");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.integer(0), kDevices * static_cast<std::int64_t>(kPerDevice));
  std::printf("crash with forwarding: %d devices x %u packets, 3 kills, %zu redeliveries\n",
              kDevices, kPerDevice, redeliveries);
  if (!HasFailure()) fs::remove_all(dir);
}

}  // namespace
