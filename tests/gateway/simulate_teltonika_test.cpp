// `dcgw simulate --protocol teltonika` against a loopback gateway stand-in built on the codec
// (schema/teltonika.md sections 1, 2 and 6): the drive scenario's records and IO values, a
// refused login, the resend of the same frame after a wrong count or a silent gateway, UDP, and
// --provision-db registering the run's IMEIs in a real SQLite store.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "codecs/teltonika/frame.hpp"
#include "codecs/teltonika/io_map.hpp"
#include "codecs/teltonika/udp.hpp"
#include "gateway/simulate/simulator.hpp"
#include "gateway/simulate/teltonika.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/loopback.hpp"

namespace dcgw::simulate {
namespace {

namespace tk = codecs::teltonika;

struct Received {
  int connection{0};
  std::string imei;
  codecs::Bytes bytes;  // the whole frame or datagram
  tk::AvlData avl;
};

// Plays the gateway: accepts (or refuses) logins, decodes every frame and acknowledges it with
// its record count, except where a test asks for a wrong count or for silence.
class FakeGateway {
 public:
  bool refuse = false;
  int wrongCountFrames = 0;  // the first N frames are answered 0
  int silentFrames = 0;      // the first N frames are not answered at all

  // TCP and UDP on the same loopback port.
  FakeGateway() {
    tcp_ = dcgw::testing::bindLoopback(SOCK_STREAM);
    EXPECT_GE(tcp_, 0) << "bind TCP";
    EXPECT_EQ(::listen(tcp_, 16), 0);
    port = dcgw::testing::boundPort(tcp_);
    udp_ = dcgw::testing::bindLoopback(SOCK_DGRAM, port);
    EXPECT_GE(udp_, 0) << "bind UDP to " << port;
  }
  ~FakeGateway() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (auto& c : conns_) ::close(c.fd);
    ::close(tcp_);
    ::close(udp_);
  }
  void start() {
    thread_ = std::thread([this] { loop(); });
  }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(m_);
    return received_;
  }
  std::uint16_t port{0};

 private:
  struct Conn {
    int fd;
    int id;
    std::string imei;
    codecs::Bytes in;
  };
  void loop() {
    while (!stop_) {
      std::vector<pollfd> fds{{tcp_, POLLIN, 0}, {udp_, POLLIN, 0}};
      for (auto& c : conns_) fds.push_back({c.fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN)
        conns_.push_back({::accept(tcp_, nullptr, nullptr), ++ids_, "", {}});
      if (fds[1].revents & POLLIN) onDatagram();
      for (std::size_t i = 2; i < fds.size(); ++i)
        if (fds[i].revents) onReadable(conns_[i - 2]);
    }
  }
  void send(int fd, const codecs::Bytes& b) {
    ASSERT_EQ(::send(fd, b.data(), b.size(), MSG_NOSIGNAL), static_cast<ssize_t>(b.size()));
  }
  void onReadable(Conn& c) {
    std::uint8_t buf[4096];
    ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) return;
    c.in.insert(c.in.end(), buf, buf + n);
    if (c.imei.empty()) {
      tk::LoginScan l = tk::tryLogin(c.in);
      if (l.scan != tk::Scan::Frame) return;
      c.imei = l.imei;
      c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(l.bytes));
      codecs::Bytes reply;
      tk::appendLoginReply(reply, !refuse);
      send(c.fd, reply);
    }
    for (;;) {
      tk::FrameScan f = tk::tryFrame(c.in);
      if (f.scan != tk::Scan::Frame) return;
      ASSERT_TRUE(f.avl) << "not an AVL frame";
      codecs::Bytes frame(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(f.frameBytes));
      c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(f.frameBytes));
      const auto count = static_cast<std::uint32_t>(f.avl->records.size());
      int seen = 0;
      {
        std::lock_guard<std::mutex> lock(m_);
        seen = static_cast<int>(received_.size());
        received_.push_back({c.id, c.imei, frame, *f.avl});
      }
      if (seen < silentFrames) continue;
      codecs::Bytes ack;
      tk::appendRecordAck(ack, seen < silentFrames + wrongCountFrames ? 0 : count);
      send(c.fd, ack);
    }
  }
  void onDatagram() {
    std::uint8_t buf[65536];
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ssize_t n = ::recvfrom(udp_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n <= 0) return;
    auto d = tk::decodeUdp(codecs::ByteView(buf, static_cast<std::size_t>(n)));
    ASSERT_TRUE(d.ok()) << d.error().message();
    {
      std::lock_guard<std::mutex> lock(m_);
      received_.push_back({0, d->imei, codecs::Bytes(buf, buf + n), d->avl});
    }
    codecs::Bytes ack = tk::encodeUdpAck(d->packetId, d->avlPacketId,
                                         static_cast<std::uint8_t>(d->avl.records.size()));
    ::sendto(udp_, ack.data(), ack.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
  }

  int tcp_{-1}, udp_{-1}, ids_{0};
  std::vector<Conn> conns_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex m_;
  std::vector<Received> received_;
};

// Starts g and runs `dcgw simulate --protocol teltonika ... --json` against it: the exit
// status and the standard output.
std::pair<int, std::string> simulate(FakeGateway& g, std::vector<std::string> args) {
  g.start();
  args.insert(args.begin(), {"--protocol", "teltonika", "--port", std::to_string(g.port), "--rate",
                             "200", "--drain", "5", "--json"});
  std::ostringstream o, e;
  const int rc = runSimulate(args, o, e);
  return {rc, o.str()};
}

std::vector<tk::AvlRecord> records(const std::vector<Received>& frames) {
  std::vector<tk::AvlRecord> all;
  for (const auto& f : frames)
    for (const auto& r : f.avl.records) all.push_back(r);
  return all;
}

TEST(SimulateTeltonika, DriveScenarioSendsTheJourneyInOrderWithTheFx6IoValues) {
  FakeGateway g;
  const auto [rc, out] = simulate(g, {"--scenario", "drive"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(R"("sent":13,"acknowledged":13,"outstanding":0,"framesSent":13,"resent":0)"),
            std::string::npos)
      << out;
  auto frames = g.received();
  auto rs = records(frames);
  ASSERT_EQ(rs.size(), 13u);
  for (const auto& f : frames) EXPECT_EQ(f.imei, "356307042441000");
  const auto F = tk::Family::FMX6;
  // schema/teltonika.md section 7, FMX6: 239 ignition, 184 working state, 187 card presence,
  // 191 tachograph speed, 192 tachograph distance, 195/196 driver 1 card number.
  const std::vector<int> ignition{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
  const std::vector<int> state{0, 0, 2, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2};
  const std::vector<int> card{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  int fewSatellites = 0, moving = 0;
  for (std::size_t i = 0; i < rs.size(); ++i) {
    const auto& r = rs[i];
    EXPECT_EQ(r.codec, tk::kCodec8Extended);
    EXPECT_EQ(tk::ignition(r, F), ignition[i] == 1) << i;
    EXPECT_EQ(tk::driverWorkingState(r, F, 1), state[i]) << i;
    EXPECT_EQ(tk::driverCardPresent(r, F, 1), card[i] == 1) << i;
    EXPECT_EQ(tk::driver1CardNumber(r, F), card[i] ? "5630704244100001" : "") << i;
    EXPECT_EQ(tk::tachoSpeedKmh(r, F), r.gps.speed) << i;
    ASSERT_TRUE(tk::tachoOdometerM(r, F)) << i;
    if (r.gps.satellites < 4) ++fewSatellites;
    if (i > 0) {
      EXPECT_GT(r.timestampMs, rs[i - 1].timestampMs) << i;
      EXPECT_GE(*tk::tachoOdometerM(r, F), *tk::tachoOdometerM(rs[i - 1], F)) << i;
      EXPECT_GE(r.gps.longitude, rs[i - 1].gps.longitude) << i;  // eastwards along a line
    }
    if (r.gps.speed > 0) {
      ++moving;
      EXPECT_LE(r.gps.speed, 90) << i;
      EXPECT_EQ(r.gps.angle, 90) << i;
    }
  }
  EXPECT_EQ(fewSatellites, 1);
  EXPECT_GE(moving, 5);
  EXPECT_EQ(rs.back().gps.speed, 0);
  EXPECT_GT(*tk::tachoOdometerM(rs.back(), F), *tk::tachoOdometerM(rs.front(), F) + 1000);
}

TEST(SimulateTeltonika, FmbFamilySendsIgnitionAndOdometerButNoTachographIds) {
  FakeGateway g;
  const auto [rc, out] = simulate(g, {"--scenario", "drive", "--family", "FMBxxx"});
  ASSERT_EQ(rc, 0) << out;
  auto rs = records(g.received());
  ASSERT_EQ(rs.size(), 13u);
  for (const auto& r : rs) {
    EXPECT_TRUE(tk::ignition(r, tk::Family::FMBxxx));
    EXPECT_TRUE(tk::totalOdometerM(r, tk::Family::FMBxxx));
    for (std::uint16_t id : {184, 187, 191, 192, 195, 196, 10159, 10161})
      EXPECT_EQ(r.find(id), nullptr) << id;
  }
}

TEST(SimulateTeltonika, RefusedLoginIsCountedAndTheRunFails) {
  FakeGateway g;
  g.refuse = true;
  const auto [rc, out] = simulate(g, {"--scenario", "drive"});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find(R"("loggedIn":0,"refusedLogins":1,"sent":0)"), std::string::npos) << out;
  EXPECT_TRUE(g.received().empty());
}

TEST(SimulateTeltonika, WrongAckCountMakesTheDeviceResendTheSameFrameBytes) {
  FakeGateway g;
  g.wrongCountFrames = 1;
  const auto [rc, out] = simulate(g, {"--scenario", "drive", "--records-per-frame", "3"});
  ASSERT_EQ(rc, 0) << out;
  auto frames = g.received();
  ASSERT_EQ(frames.size(), 6u);  // 3+3+3+3+1 records, the first frame twice
  EXPECT_EQ(frames[1].bytes, frames[0].bytes);
  EXPECT_EQ(frames[0].avl.records.size(), 3u);
  EXPECT_EQ(frames[5].avl.records.size(), 1u);
  EXPECT_NE(frames[2].bytes, frames[1].bytes);
  EXPECT_NE(out.find(R"("sent":13,"acknowledged":13,"outstanding":0,"framesSent":5,"resent":1)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("ACK_COUNT_MISMATCH":1)"), std::string::npos) << out;
}

TEST(SimulateTeltonika, NoAckBeforeTheTimeoutResendsTheFrameOnANewConnection) {
  FakeGateway g;
  g.silentFrames = 1;
  const auto [rc, out] = simulate(g, {"--scenario", "drive", "--ack-timeout", "0.3"});
  ASSERT_EQ(rc, 0) << out;
  auto frames = g.received();
  ASSERT_EQ(frames.size(), 14u);
  EXPECT_EQ(frames[1].bytes, frames[0].bytes);
  EXPECT_NE(frames[1].connection, frames[0].connection);
  EXPECT_NE(out.find(R"("resent":1,"reconnects":1)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("ACK_TIMEOUT":1)"), std::string::npos) << out;
}

TEST(SimulateTeltonika, UdpDatagramsCarryEachDevicesImeiAndAreAcknowledged) {
  FakeGateway g;
  const auto [rc, out] = simulate(g, {"--scenario", "drive", "--udp", "--devices", "2"});
  ASSERT_EQ(rc, 0) << out;
  std::map<std::string, std::size_t> perImei;
  for (const auto& f : g.received()) perImei[f.imei] += f.avl.records.size();
  EXPECT_EQ(perImei,
            (std::map<std::string, std::size_t>{{"356307042441000", 13}, {"356307042441001", 13}}));
  EXPECT_NE(out.find(R"("transport":"udp")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("sent":26,"acknowledged":26,"outstanding":0)"), std::string::npos) << out;
}

TEST(SimulateTeltonika, StreamBatchesRecordsAndSendsTheRemainderInAShorterFrame) {
  FakeGateway g;
  const auto [rc, out] =
      simulate(g, {"--count", "50", "--records-per-frame", "4", "--devices", "2"});
  ASSERT_EQ(rc, 0) << out;
  auto frames = g.received();
  std::map<std::string, std::vector<std::size_t>> sizes;
  for (const auto& f : frames) sizes[f.imei].push_back(f.avl.records.size());
  ASSERT_EQ(sizes.size(), 2u);
  std::size_t total = 0;
  for (const auto& [imei, v] : sizes) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      total += v[i];
      if (i + 1 < v.size()) {
        EXPECT_EQ(v[i], 4u) << imei;  // only the last may be shorter
      }
    }
  }
  EXPECT_EQ(total, 50u);
  EXPECT_NE(out.find(R"("sent":50,"acknowledged":50,"outstanding":0)"), std::string::npos) << out;
}

TEST(SimulateTeltonika, SummaryJsonAndTextAreTheDocumentedOnes) {
  // schema/simulate-teltonika.md "The summary".
  teltonika::TeltonikaSummary s;
  s.family = "FMX6";
  s.transport = "tcp";
  s.devices = 2;
  s.loggedIn = 1;
  s.refusedLogins = 1;
  s.made = 12;
  s.sent = 10;
  s.acknowledged = 8;
  s.framesSent = 5;
  s.framesResent = 2;
  s.errors["ACK_COUNT_MISMATCH"] = 2;
  s.p50Ms = 1.23456;
  s.p95Ms = 2;
  s.seconds = 2;
  std::ostringstream json, text;
  teltonika::printTeltonikaSummary(s, true, json);
  EXPECT_EQ(json.str(),
            R"({"protocol":"teltonika","family":"FMX6","transport":"tcp","devices":2,"loggedIn":1,)"
            R"("refusedLogins":1,"sent":10,"acknowledged":8,"outstanding":4,"framesSent":5,)"
            R"("resent":2,"reconnects":0,"errors":{"ACK_COUNT_MISMATCH":2},)"
            R"("latencyMs":{"p50":1.235,"p95":2,"p99":0,"max":0},"ackRate":4,"seconds":2})"
            "\n");
  teltonika::printTeltonikaSummary(s, false, text);
  EXPECT_EQ(text.str(),
            "protocol: teltonika (FMX6, tcp)\ndevices: 2\nlogged in: 1\nrefused logins: 1\n"
            "sent: 10 records in 5 frames\nacknowledged: 8 records\nresent: 2 frames\n"
            "outstanding: 4 records\nreconnects: 0\nerrors: ACK_COUNT_MISMATCH 2\n"
            "ack latency: p50 1.235 ms, p95 2.000 ms, p99 0.000 ms, max 0.000 ms\n"
            "ack rate: 4.000 records/s over 2.000 s\n");
}

TEST(SimulateTeltonika, HelpDocumentsEveryOption) {
  std::ostringstream o, e;
  ASSERT_EQ(runSimulate({"--protocol", "teltonika", "--help"}, o, e), 0);
  for (const char* opt :
       {"--host", "--port", "--devices", "--first-imei", "--family", "--rate", "--duration",
        "--count", "--records-per-frame", "--scenario", "--udp", "--ack-timeout", "--connect-rate",
        "--drain", "--log", "--json", "--provision-db", "--location"})
    EXPECT_NE(o.str().find(opt), std::string::npos) << opt;
}

TEST(SimulateTeltonika, BadOptionsNameTheOptionAndTheValue) {
  for (const auto& [option, value] :
       std::vector<std::pair<std::string, std::string>>{{"--family", "FMC"},
                                                        {"--first-imei", "12345"},
                                                        {"--records-per-frame", "0"},
                                                        {"--scenario", "fly"},
                                                        {"--ack-timeout", "0"},
                                                        {"--protocol", "gt06"}}) {
    std::ostringstream o, e;
    std::vector<std::string> args{option, value};
    if (option != "--protocol") args.insert(args.begin(), {"--protocol", "teltonika"});
    EXPECT_EQ(runSimulate(args, o, e), 2) << option;
    EXPECT_NE(e.str().find(option), std::string::npos) << e.str();
    EXPECT_NE(e.str().find("'" + value + "'"), std::string::npos) << e.str();
  }
}

TEST(SimulateTeltonika, ProvisionDbRegistersTheRunsImeisWithProtocolFamilyAndLocation) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("dcgw-simulate-teltonika-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "dcgw.db").string();
  std::int64_t depot = 0;
  {
    store::SqliteStore store(db);
    store::LocationConfig l;
    l.name = "Depot";
    auto id = store.createLocation(l);
    ASSERT_TRUE(id);
    depot = *id;
  }
  FakeGateway g;
  const auto [rc, out] =
      simulate(g, {"--devices", "3", "--first-imei", "356307042441100", "--family", "fmbxxx",
                   "--duration", "0.5", "--provision-db", db, "--location", "Depot"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(R"("loggedIn":3)"), std::string::npos) << out;
  {
    store::SqliteStore store(db);
    for (const char* imei : {"356307042441100", "356307042441101", "356307042441102"}) {
      auto d = store.device(imei);
      ASSERT_TRUE(d) << imei;
      EXPECT_EQ(d->protocol, "teltonika") << imei;
      EXPECT_EQ(d->family, "FMBxxx") << imei;  // the canonical spelling of --family
      EXPECT_EQ(d->locationId, depot) << imei;
      EXPECT_FALSE(d->hasKey) << imei;
    }
    EXPECT_FALSE(store.device("356307042441103"));
    EXPECT_EQ(store.devices().size(), 3u);
  }
  // A location the store does not have: exit 2 naming it, and no device registered.
  std::ostringstream o, e;
  EXPECT_EQ(
      runSimulate({"--protocol", "teltonika", "--port", std::to_string(g.port), "--first-imei",
                   "356307042441200", "--provision-db", db, "--location", "Nowhere"},
                  o, e),
      2);
  EXPECT_NE(e.str().find("--location: no location 'Nowhere'"), std::string::npos) << e.str();
  EXPECT_FALSE(store::SqliteStore(db).device("356307042441200"));
  std::filesystem::remove_all(dir);
}

TEST(SimulateTeltonika, LocationGoesWithProvisionDb) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--protocol", "teltonika", "--provision-db", "/nonexistent/x.db"},
           {"--protocol", "teltonika", "--location", "Depot"}}) {
    std::ostringstream o, e;
    EXPECT_EQ(runSimulate(args, o, e), 2);
    EXPECT_NE(e.str().find("--location"), std::string::npos) << e.str();
  }
}

}  // namespace
}  // namespace dcgw::simulate
