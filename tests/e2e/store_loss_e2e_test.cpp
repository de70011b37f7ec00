// End to end: the database of a running `dcgw serve` is deleted (`rm dcgw.db dcgw.db-wal
// dcgw.db-shm`). A tracker must not be acknowledged for packets that now go nowhere: it gets
// ERROR STORE_UNAVAILABLE (schema/uplink.md 6.1), /healthz fails with the reason, and the
// gateway says so in its log once.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/support/process.hpp"
#include "tests/support/uplink_client.hpp"

namespace {

namespace fs = std::filesystem;
using dcgw::testing::Process;
using dcgw::testing::UplinkClient;
using ErrorCode = dcgw::codecs::uplink::ErrorCode;

// GET path on 127.0.0.1:port: the status and the body.
std::pair<int, std::string> httpGet(const std::string& port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(port)));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return {0, "cannot connect"};
  }
  const std::string req =
      "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    resp.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  if (resp.size() < 12) return {0, resp};
  const auto body = resp.find("\r\n\r\n");
  return {std::stoi(resp.substr(9, 3)), body == std::string::npos ? "" : resp.substr(body + 4)};
}

dcgw::codecs::Bytes tracking(std::uint8_t n) {
  return {0x47, 0x02, 0x6A, 0x00, 0x00, n, 0x01};
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(EndToEnd, ADatabaseDeletedUnderTheGatewayIsNeverAcknowledgedInto) {
  const fs::path dir = fs::temp_directory_path() / ("dcgw-e2e-loss-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "dcgw.db").string();
  std::string key;
  for (auto b : dcgw::testing::kUplinkTestKey)
    key += "0123456789abcdef"[b >> 4], key += "0123456789abcdef"[b & 15];
  std::ofstream(dir / "dcgw.json") << R"({
  "destinations": [{"name": "d", "method": "rest", "host": "http://127.0.0.1:9/in"}],
  "locations": [{"name": "Depot", "destinations": ["d"]}],
  "devices": [{"serial": "20000001", "location": "Depot", "key": ")"
                                   << key << R"("}]})";
  Process serve({DCGW_BINARY, "serve", "--db", db, "--config", (dir / "dcgw.json").string(),
                 "--uplink-port", "0", "--admin-port", "0", "--stats-seconds", "0"},
                dir / "serve.out", dir / "serve.err");
  const std::string uplink = serve.awaitStderr(R"(uplink listening on [0-9.]+:(\d+))");
  const std::string admin = serve.awaitStderr(R"(admin API on http://[0-9.]+:(\d+))");
  ASSERT_FALSE(uplink.empty());
  ASSERT_FALSE(admin.empty());
  EXPECT_EQ(httpGet(admin, "/healthz"), (std::pair<int, std::string>{200, "ok\n"}));

  UplinkClient tracker(static_cast<std::uint16_t>(std::stoi(uplink)));
  tracker.login("20000001");
  tracker.sendPacket(1, tracking(1));
  tracker.awaitAck(1);

  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db + suffix);
  tracker.sendPacket(2, tracking(2));
  auto [kind, frame] = tracker.next();
  if (kind == static_cast<std::uint8_t>(dcgw::codecs::uplink::Kind::Ack)) {
    const auto ack = dcgw::codecs::uplink::parseAck(frame);
    FAIL() << "acknowledged into a deleted database: ACK " << (ack.ok() ? *ack : 0);
  }
  ASSERT_EQ(kind, static_cast<std::uint8_t>(dcgw::codecs::uplink::Kind::Error));
  const auto error = dcgw::codecs::uplink::parseError(frame);
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->code, static_cast<std::uint8_t>(ErrorCode::StoreUnavailable));
  const std::string why = error->text;
  EXPECT_NE(why.find(db + " was deleted"), std::string::npos) << why;

  const auto [status, body] = httpGet(admin, "/healthz");
  EXPECT_EQ(status, 503);
  EXPECT_EQ(body.rfind("store unavailable: ", 0), 0u) << body;
  EXPECT_NE(body.find(db + " was deleted"), std::string::npos) << body;

  // A tracker that reconnects to resend is refused at its login: the lost database still holds
  // the sequence mark of packet 2 (committed to it, never acknowledged), and a login trusting
  // it would have the resent packet 2 acknowledged as a duplicate.
  UplinkClient again(static_cast<std::uint16_t>(std::stoi(uplink)));
  dcgw::codecs::Bytes hello;
  dcgw::codecs::uplink::appendHello(hello, "20000001");
  again.send(hello);
  EXPECT_NE(again.expectError(ErrorCode::StoreUnavailable).find("was deleted"), std::string::npos);

  // Said in the log, once (the gateway checks every second).
  serve.awaitStderr(R"((store: the database file))");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(occurrences(serve.stderrText(), "error store: the database file"), 1u)
      << serve.stderrText();
  EXPECT_EQ(serve.stop(), 0);
  fs::remove_all(dir);
}

}  // namespace
