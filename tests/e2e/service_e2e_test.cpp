// Running as a system service: `dcgw serve`'s JSON log lines, its log file reopened on SIGHUP
// (logrotate, systemctl reload), and its sd_notify readiness (Type=notify) on a socket the test
// binds in systemd's place.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "codecs/json.hpp"
#include "gateway/cli/service_log.hpp"
#include "tests/support/e2e.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/process.hpp"

namespace dcgw::testing::e2e {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Waits until `file` holds `needle` (the gateway writes its log lines at once).
bool awaitInFile(const fs::path& file, const std::string& needle,
                 std::chrono::seconds limit = std::chrono::seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (readFile(file).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// A configuration of defaults only.
std::string emptyConfig(const fs::path& dir) {
  std::ofstream(dir / "dcgw.json") << "{}";
  return (dir / "dcgw.json").string();
}

TEST(ServiceLog, AJsonLineCarriesTimeLevelMessageAndTheDeviceSerial) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1767225600123));
  auto line = codecs::parseJson(cli::jsonLogLine(
      t, "warn", "uplink 12345678 127.0.0.1:4000: login refused: \"bad\" proof\n"));
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->find("time")->asString(), "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(line->find("level")->asString(), "warn");
  EXPECT_EQ(line->find("message")->asString(),
            "uplink 12345678 127.0.0.1:4000: login refused: \"bad\" proof\n");
  EXPECT_EQ(line->find("serial")->asString(), "12345678");
  EXPECT_EQ(line->find("destination"), nullptr);
}

TEST(ServiceLog, TheSubjectIsTheSerialOrDestinationTheLineNamesAndNothingElse) {
  EXPECT_EQ(cli::logSubject("alerts: serial 99: raised x (y) for location Depot").serial, "99");
  EXPECT_EQ(cli::logSubject("files: device 12345678 upload 3: stored").serial, "12345678");
  EXPECT_EQ(cli::logSubject("teltonika 356307042441013: family now FMX6").serial,
            "356307042441013");
  EXPECT_EQ(cli::logSubject("destination 4: the store records deliveries again").destination, "4");
  for (const char* none : {"teltonika udp 10.0.0.5:1234: datagram refused: short",
                           "uplink: 3 connections (2 logged in)", "store: gone"}) {
    const auto s = cli::logSubject(none);
    EXPECT_EQ(s.serial, "") << none;
    EXPECT_EQ(s.destination, "") << none;
  }
}

TEST(ServeLog, JsonFormatPrintsOnlyJsonObjectsOnStderrOneALine) {
  const fs::path dir = freshDir("jsonlog");
  writeOneDeviceConfig(dir / "dcgw.json", "http://127.0.0.1:9/api/datapacket", "30000001", "JS01");
  Process serve({DCGW_BINARY, "serve", "--db", (dir / "dcgw.db").string(), "--config",
                 (dir / "dcgw.json").string(), "--uplink-port", "0", "--admin-port", "0",
                 "--stats-seconds", "1", "--log-format", "json", "--log-level", "debug"},
                dir / "serve.out", dir / "serve.err");
  const std::string port = serve.awaitStderr(R"(uplink listening on [0-9.]+:(\d+))");
  ASSERT_FALSE(port.empty());
  // A tracker logs in (a debug line naming its serial) and sends packets.
  Process sim({DCGW_BINARY, "simulate", "--port", port, "--devices", "1", "--first-serial",
               "30000001", "--key", kKey, "--count", "5", "--rate", "50"},
              dir / "simulate.out", dir / "simulate.err");
  ASSERT_EQ(sim.wait(), 0) << "dcgw simulate failed; see " << dir;
  serve.awaitStderr(R"((uplink: \d+ connections))");
  ASSERT_EQ(serve.stop(), 0);

  std::istringstream lines(serve.stderrText());
  std::size_t count = 0, withSerial = 0;
  bool stopping = false;
  for (std::string line; std::getline(lines, line);) {
    ++count;
    auto o = codecs::parseJson(line);
    ASSERT_TRUE(o.ok()) << "not JSON: " << line;
    ASSERT_TRUE(o->isObject()) << line;
    for (const char* member : {"time", "level", "message"}) {
      const codecs::JsonValue* v = o->find(member);
      ASSERT_TRUE(v && v->isString()) << member << " missing in " << line;
    }
    EXPECT_EQ(o->find("time")->asString().size(), 24u) << line;  // 2026-12-01T08:15:25.123Z
    if (const codecs::JsonValue* s = o->find("serial")) {
      EXPECT_EQ(s->asString(), "30000001") << line;
      ++withSerial;
    }
    stopping =
        stopping || o->find("message")->asString().find("received, stopping") != std::string::npos;
  }
  EXPECT_GE(count, 5u);
  EXPECT_GE(withSerial, 1u) << "no line named the tracker's serial";
  EXPECT_TRUE(stopping);
}

TEST(ServeLog, SighupAfterTheFileIsMovedWritesTheLaterLinesToANewFile) {
  const fs::path dir = freshDir("sighup");
  const fs::path log = dir / "dcgw.log", moved = dir / "dcgw.log.old";
  Process serve({DCGW_BINARY, "serve", "--db", (dir / "dcgw.db").string(), "--config",
                 emptyConfig(dir), "--uplink-port", "0", "--admin-port", "0", "--stats-seconds",
                 "1", "--log-file", log.string()},
                dir / "serve.out", dir / "serve.err");
  ASSERT_FALSE(serve.awaitStderr(R"(uplink listening on [0-9.]+:(\d+))").empty());
  ASSERT_TRUE(awaitInFile(log, "dcgw serve: ready")) << readFile(log);
  EXPECT_EQ(serve.stderrText().find("ready"), std::string::npos)
      << "with --log-file the log lines go to the file only";

  fs::rename(log, moved);  // what logrotate (or an admin) does
  serve.signal(SIGHUP);
  ASSERT_TRUE(awaitInFile(log, "SIGHUP: log reopened")) << "no new " << log;
  // The gateway goes on: a later stats line lands in the new file, not in the moved one.
  ASSERT_TRUE(awaitInFile(log, "uplink: 0 connections")) << readFile(log);
  const std::string old = readFile(moved);
  EXPECT_NE(old.find("dcgw serve: ready"), std::string::npos);
  EXPECT_EQ(old.find("SIGHUP"), std::string::npos);
  EXPECT_EQ(serve.stop(), 0) << "SIGHUP must not end the gateway";
  EXPECT_NE(readFile(log).find("Terminated received, stopping"), std::string::npos);
}

TEST(ServeLog, UnderTheJournalLinesCarryAPriorityAndNoTimeOfTheirOwn) {
  const fs::path dir = freshDir("journal");
  // systemd names the stream it gave the service as stderr; here that is the test's file.
  std::ofstream(dir / "serve.err").flush();
  struct stat st {};
  ASSERT_EQ(::stat((dir / "serve.err").c_str(), &st), 0);
  ::setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)).c_str(),
           1);
  Process serve({DCGW_BINARY, "serve", "--db", (dir / "dcgw.db").string(), "--config",
                 emptyConfig(dir), "--uplink-port", "0", "--admin-port", "0"},
                dir / "serve.out", dir / "serve.err");
  ::unsetenv("JOURNAL_STREAM");
  ASSERT_FALSE(serve.awaitStderr(R"((<4>warning no admin API token yet))").empty());
  ASSERT_EQ(serve.stop(), 0);
  const std::string text = serve.stderrText();
  EXPECT_NE(text.find("\n<6>info dcgw serve: ready"), std::string::npos) << text;
  EXPECT_FALSE(std::regex_search(text, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:)")))
      << "a time stamp in " << text;
}

TEST(ServeLog, ALogFileThatCannotBeOpenedStopsTheStartWithItsPath) {
  const fs::path dir = freshDir("badlog");
  std::ofstream(dir / "blocker") << "a file where a directory would have to be";
  Process serve({DCGW_BINARY, "serve", "--db", (dir / "dcgw.db").string(), "--config",
                 emptyConfig(dir), "--uplink-port", "0", "--admin-port", "0", "--log-file",
                 (dir / "blocker" / "dcgw.log").string()},
                dir / "serve.out", dir / "serve.err");
  EXPECT_EQ(serve.wait(), 1);
  EXPECT_NE(serve.stderrText().find("--log-file"), std::string::npos) << serve.stderrText();
  EXPECT_FALSE(fs::exists(dir / "dcgw.db")) << "nothing is started without its log";
}

// systemd's side of sd_notify: a datagram socket whose path is in NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : fd_(::socket(AF_UNIX, SOCK_DGRAM, 0)) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~NotifySocket() { ::close(fd_); }
  bool bound() const { return bound_; }
  // The next datagram, or "" after `limit`.
  std::string next(std::chrono::seconds limit = std::chrono::seconds(20)) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count() * 1000)) != 1) return "";
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }

 private:
  int fd_;
  bool bound_{false};
};

TEST(ServeNotify, ReadyOnceThePortsAnswerStatusAndStoppingOnSigterm) {
  const fs::path dir = freshDir("notify");
  NotifySocket systemd(dir / "notify.sock");
  ASSERT_TRUE(systemd.bound());
  ::setenv("NOTIFY_SOCKET", (dir / "notify.sock").c_str(), 1);
  Process serve(
      {DCGW_BINARY, "serve", "--db", (dir / "dcgw.db").string(), "--config", emptyConfig(dir),
       "--uplink-port", "0", "--admin-port", "0", "--stats-seconds", "1"},
      dir / "serve.out", dir / "serve.err");
  ::unsetenv("NOTIFY_SOCKET");

  const std::string ready = systemd.next();
  ASSERT_NE(ready.find("READY=1"), std::string::npos) << "first notification: " << ready;
  EXPECT_NE(ready.find("STATUS=serving"), std::string::npos) << ready;
  // Told ready, systemd starts what depends on the gateway: both ports answer already.
  const std::string uplink =
      serve.awaitStderr(R"(uplink listening on [0-9.]+:(\d+))", std::chrono::seconds(2));
  const std::string admin =
      serve.awaitStderr(R"(admin API on http://[0-9.]+:(\d+))", std::chrono::seconds(2));
  ASSERT_FALSE(uplink.empty());
  ASSERT_FALSE(admin.empty());
  for (const std::string& port : {uplink, admin}) {
    const int fd = connectLoopback(static_cast<std::uint16_t>(std::stoi(port)));
    EXPECT_GE(fd, 0) << "port " << port << " does not answer after READY=1";
    if (fd >= 0) ::close(fd);
  }
  // The stats line becomes the unit's status (systemctl status shows it).
  std::string status;
  for (int i = 0; i < 5 && status.find("connections") == std::string::npos; ++i)
    status = systemd.next(std::chrono::seconds(5));
  EXPECT_NE(status.find("STATUS=serving: 0 connections"), std::string::npos) << status;

  serve.signal(SIGTERM);
  std::string stopping;
  for (int i = 0; i < 5 && stopping.find("STOPPING=1") == std::string::npos; ++i)
    stopping = systemd.next(std::chrono::seconds(10));
  EXPECT_NE(stopping.find("STOPPING=1"), std::string::npos) << stopping;
  EXPECT_EQ(serve.wait(), 0);
}

}  // namespace
}  // namespace dcgw::testing::e2e
