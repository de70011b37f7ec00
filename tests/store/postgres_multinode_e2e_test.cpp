// Three `dcgw serve` nodes on one PostgreSQL behind HAProxy (Debian's haproxy; issue 14): the
// real processes, trackers (`dcgw simulate`) through HAProxy with the PROXY protocol v2, `dcgw
// receive` as the third party, and a node killed with SIGKILL in the middle of the stream. Every
// acknowledged packet reaches the destination, in each device's order; the killed node's
// destinations are forwarded by another node within 2 s; the node restarted joins again.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "codecs/bytes.hpp"
#include "gateway/store/postgres/pg.hpp"
#include "gateway/store/postgres/postgres_store.hpp"
#include "tests/store/postgres_server.hpp"
#include "tests/support/e2e.hpp"
#include "tests/support/process.hpp"

namespace dcgw::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A port free now (bound to 0 and released) for a program that cannot be given port 0.
int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Group 1 of the first match of `re` in `text`, else "".
std::string firstMatch(const std::string& text, const std::regex& re) {
  std::smatch m;
  return std::regex_search(text, m, re) ? m[1].str() : std::string();
}

// Whether something accepts connections on 127.0.0.1:port.
bool accepting(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

std::string haproxyBinary() {
  for (const char* p : {"/usr/sbin/haproxy", "/usr/bin/haproxy"})
    if (fs::exists(p)) return p;
  return "";
}

struct Node {
  std::unique_ptr<Process> process;
  std::string name, uplinkPort, adminPort;
};

TEST(MultiNode, ThreeServesBehindHaproxyLoseNothingWhenOneIsKilled) {
  const std::string haproxy = haproxyBinary();
  ASSERT_FALSE(haproxy.empty()) << "haproxy is not installed (./dev.sh test installs it)";
  // The configuration the README gives is one HAProxy takes.
  const fs::path shipped = fs::path(DCGW_SOURCE_DIR) / "etc/haproxy/dcgw.cfg";
  EXPECT_EQ(std::system((haproxy + " -c -q -f " + shipped.string()).c_str()), 0) << shipped;
  const fs::path dir = e2e::freshDir("multinode");
  const std::string url = pgFreshDatabase("dcgw_multinode");
  auto receiver = e2e::restReceiver(dir);
  ASSERT_FALSE(receiver.port.empty());
  // The configuration, written to the database once: two destinations (both to the receiver,
  // so each packet arrives twice, once per queue), one location, six devices.
  constexpr int kDevices = 6;
  const std::string firstSerial = "30000001";
  std::vector<std::int64_t> destinations;
  {
    store::PostgresStore db(url);
    for (const char* name : {"rest-a", "rest-b"}) {
      store::DestinationConfig d;
      d.settings.name = name;
      d.settings.host = receiver.url() + "?" + name;
      d.settings.customTags = std::string("queue:\"") + name + "\"";
      auto id = db.createDestination(d, 0);
      ASSERT_TRUE(id.ok());
      destinations.push_back(*id);
    }
    auto loc = db.createLocation({0, "Depot", "", destinations});
    ASSERT_TRUE(loc.ok());
    codecs::Bytes key;
    ASSERT_TRUE(codecs::fromHex(e2e::kKey, key));
    for (int i = 0; i < kDevices; ++i)
      ASSERT_TRUE(
          db.upsertDevice({std::to_string(30000001 + i), *loc, "MN" + std::to_string(i), key})
              .ok());
  }
  const fs::path config = dir / "dcgw.json";
  std::ofstream(config) << R"({"uplink": {"trustedProxies": ["127.0.0.1"]},)"
                        << R"( "files": {"enabled": false}})";
  int starts = 0;  // each start logs to files of its own (a restart must not read the old ones)
  auto startNode = [&](const std::string& name, const std::string& uplinkPort = "0",
                       const std::string& adminPort = "0") {
    Node n;
    n.name = name;
    const std::string logs = name + "-" + std::to_string(++starts);
    n.process = std::make_unique<Process>(
        std::vector<std::string>{DCGW_BINARY, "serve", "--store", url, "--config", config.string(),
                                 "--uplink-port", uplinkPort, "--admin-port", adminPort,
                                 "--stats-seconds", "0", "--node-name", name, "--retry-base-ms",
                                 "200", "--retry-cap-ms", "1000"},
        dir / (logs + ".out"), dir / (logs + ".err"));
    n.uplinkPort = n.process->awaitStderr(R"(uplink listening on [0-9.]+:(\d+))");
    n.adminPort = n.process->awaitStderr(R"(admin API on http://[0-9.]+:(\d+))");
    return n;
  };
  std::vector<Node> nodes;
  for (const char* name : {"gw1", "gw2", "gw3"}) nodes.push_back(startNode(name));
  for (const auto& n : nodes) ASSERT_FALSE(n.uplinkPort.empty()) << n.name;

  // HAProxy: etc/haproxy/dcgw.cfg's settings, on loopback ports.
  const int front = freePort();
  std::ofstream cfg(dir / "haproxy.cfg");
  cfg << "global\n  maxconn 1000\n"
      << "defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 10m\n"
      << "  timeout server 10m\n"
      << "frontend dcgw_uplink\n  bind 127.0.0.1:" << front << "\n  default_backend dcgw_nodes\n"
      << "backend dcgw_nodes\n  balance leastconn\n  option httpchk GET /healthz\n"
      << "  http-check expect status 200\n"
      << "  default-server send-proxy-v2 check inter 200ms fall 2 rise 1 "
         "on-marked-down shutdown-sessions\n";
  for (const auto& n : nodes)
    cfg << "  server " << n.name << " 127.0.0.1:" << n.uplinkPort << " port " << n.adminPort
        << "\n";
  cfg.close();
  Process proxy({haproxy, "-db", "-f", (dir / "haproxy.cfg").string()}, dir / "haproxy.out",
                dir / "haproxy.err");
  for (int i = 0; i < 100 && !accepting(front); ++i) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(accepting(front)) << "haproxy does not listen on " << front << ":\n"
                                << proxy.stderrText();
  std::this_thread::sleep_for(1s);  // its first health checks (every 200 ms, up after one)

  // Trackers through HAProxy for 8 s; they reconnect when their node dies.
  Process sim(
      {DCGW_BINARY, "simulate", "--port", std::to_string(front), "--devices",
       std::to_string(kDevices), "--first-serial", firstSerial, "--key", e2e::kKey, "--rate", "100",
       "--duration", "8", "--drain", "20", "--log", (dir / "sim.log").string()},
      dir / "sim.out", dir / "sim.err");
  std::this_thread::sleep_for(3s);

  // Kill -9 the node that forwards rest-a, in the middle of the stream.
  store::PostgresStore db(url);
  auto ownerOf = [&](std::int64_t destination) -> std::pair<std::string, std::int64_t> {
    auto owners = db.destinationOwners();
    for (const auto& o : owners) {
      if (o.destinationId != destination) continue;
      auto s = db.db().prepare("SELECT name FROM nodes WHERE id = ? AND stopped_at IS NULL");
      s.bind(1, o.nodeId);
      return {s.step() ? s.text(0) : std::string(), o.epoch};
    }
    return {"", 0};
  };
  const auto [victimName, epochBefore] = ownerOf(destinations[0]);
  ASSERT_FALSE(victimName.empty());
  auto victim =
      std::find_if(nodes.begin(), nodes.end(), [&](const Node& n) { return n.name == victimName; });
  ASSERT_NE(victim, nodes.end());
  const auto killedAt = std::chrono::steady_clock::now();
  EXPECT_EQ(victim->process->stop(SIGKILL), 128 + SIGKILL);
  std::string newOwner;
  std::int64_t epochAfter = 0;
  while (std::chrono::steady_clock::now() - killedAt < 5s) {
    std::tie(newOwner, epochAfter) = ownerOf(destinations[0]);
    if (!newOwner.empty() && newOwner != victimName) break;
    std::this_thread::sleep_for(20ms);
  }
  const auto tookMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - killedAt)
                          .count();
  std::cout << "[ multinode ] " << victimName << " killed; rest-a forwarded by " << newOwner
            << " after " << tookMs << " ms (epoch " << epochBefore << " -> " << epochAfter << ")"
            << std::endl;  // flushed before the next fork
  EXPECT_NE(newOwner, victimName);
  EXPECT_LT(tookMs, 2000) << "the destinations of a killed node resume elsewhere within 2 s";
  EXPECT_GT(epochAfter, epochBefore);

  // The killed node comes back (a new node id) and gets a share again.
  // The killed node comes back on its ports (HAProxy's server line names them): it joins as
  // a new node, HAProxy sees it up again.
  const std::string oldUplink = victim->uplinkPort, oldAdmin = victim->adminPort;
  *victim = startNode(victimName, oldUplink, oldAdmin);
  ASSERT_EQ(victim->uplinkPort, oldUplink);
  const std::string rejoinedId =
      victim->process->awaitStderr(R"(joined the cluster as node (\d+))");
  ASSERT_FALSE(rejoinedId.empty());
  EXPECT_EQ(sim.wait(), 0) << sim.stderrText();
  const std::string summary = [&] {
    std::string all;
    for (const auto& l : sim.stdoutLines()) all += l + "\n";
    return all;
  }();
  const long acked = std::stol("0" + firstMatch(summary, std::regex(R"(acknowledged: (\d+))")));
  EXPECT_GT(acked, 600) << summary;  // 100 packets/s for 8 s, less a reconnect
  // The killed node's trackers reconnected (through HAProxy, to the others).
  EXPECT_GT(std::stol("0" + firstMatch(summary, std::regex(R"(reconnects: (\d+))"))), 0) << summary;

  // Every acknowledged packet of each device reaches each destination, in the device's order
  // (a packet may come twice: one batch of the killed node's is sent again by the next owner).
  std::map<std::string, std::vector<std::string>> sent;  // serial -> packets in order
  {
    std::ifstream log(dir / "sim.log");
    for (std::string line; std::getline(log, line);) {
      std::istringstream fields(line);
      std::string serial, seq, hex, rejected;
      fields >> serial >> seq >> hex >> rejected;
      if (rejected.empty()) sent[serial].push_back(hex);  // "rejected": never acknowledged
    }
  }
  auto delivered = [&] {
    std::map<std::string, std::map<std::string, std::vector<std::string>>> got;
    static const std::regex queueRe(R"(queue:\\"(rest-[ab])\\")");
    static const std::regex serialRe(R"re("deviceSerialNumber":"(\d+)")re");
    static const std::regex dataRe(R"re("data":"([0-9a-f]*)")re");
    for (const auto& line : receiver.process->stdoutLines()) {
      const std::string queue = firstMatch(line, queueRe);
      const std::string serial = firstMatch(line, serialRe);
      const std::string data = firstMatch(line, dataRe);
      got[queue][serial].push_back(data);
    }
    return got;
  };
  auto complete = [&](bool report) {
    auto got = delivered();
    bool ok = true;
    for (const char* queue : {"rest-a", "rest-b"})
      for (const auto& [serial, packets] : sent) {
        // In order: the acknowledged packets are a subsequence of what arrived.
        const auto& r = got[queue][serial];
        std::size_t i = 0;
        for (const std::string& p : r)
          if (i < packets.size() && p == packets[i]) ++i;
        if (i != packets.size()) {
          ok = false;
          if (report)
            ADD_FAILURE() << queue << " " << serial << ": " << i << " of " << packets.size()
                          << " acknowledged packets arrived in order (" << r.size() << " received)";
        }
      }
    return ok;
  };
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (!complete(false) && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(complete(true));
  // Every destination is owned by a node alive now (not the killed one's old id).
  std::set<std::int64_t> live = {std::stoll(rejoinedId)};
  for (const auto& n : nodes)
    if (n.name != victimName)
      live.insert(std::stoll(n.process->awaitStderr(R"(joined the cluster as node (\d+))")));
  for (const auto& o : db.destinationOwners())
    EXPECT_TRUE(live.count(o.nodeId))
        << "destination " << o.destinationId << " owned by node " << o.nodeId;
  for (auto& n : nodes) n.process->stop();
  proxy.stop();
  receiver.process->stop();
  pgDropDatabase("dcgw_multinode");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dcgw::testing
