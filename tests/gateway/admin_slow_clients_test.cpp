// No client can stall the admin API (issue 11): hundreds of connections that send nothing or
// one header line a second do not hold up a legitimate client, and are closed once the request
// deadline passes (408 for those that started a request); an idle kept-alive connection is
// closed after the idle timeout; the per-address and global connection caps answer 503.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/gateway/admin_front_fixture.hpp"

namespace dcgw::admin {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::RawHttp;

TEST_F(AdminFrontTest, SlowClientsDoNotStarveOthersAndAreClosedAtTheRequestDeadline) {
  // 8 s: room for the legitimate client's 60 requests on a slow (sanitizer) build before any
  // slow connection's deadline.
  start(R"("requestTimeoutSeconds": 8)");
  // 300 slow connections from ten addresses (30 each, under the per-address cap): half send
  // nothing, half a header line every second.
  std::vector<std::unique_ptr<RawHttp>> silent, dripping;
  const auto opened = Clock::now();
  for (int i = 0; i < 300; ++i) {
    const std::string from = "127.0.0." + std::to_string(2 + i % 10);
    auto c = std::make_unique<RawHttp>(port(), from.c_str());
    ASSERT_TRUE(c->connected()) << "connection " << i << " from " << from;
    (i % 2 ? silent : dripping).push_back(std::move(c));
  }
  const auto allOpen = Clock::now();  // the last one's deadline is before this + 8 s
  for (auto& c : dripping) c->send("GET /api/v1/me HTTP/1.1\r\n");
  std::atomic<bool> done{false};
  std::thread drip([&] {
    for (int line = 0; !done; ++line) {
      for (auto& c : dripping) c->send("X-Slow-" + std::to_string(line) + ": 1\r\n");
      for (int i = 0; i < 10 && !done; ++i) std::this_thread::sleep_for(100ms);
    }
  });
  // Meanwhile a legitimate client: every request answered, each within a generous deadline.
  int answered = 0;
  for (int i = 0; i < 60; ++i) {
    RawHttp c(port());
    c.send(i % 2 ? head("GET", "/api/v1/me") : std::string("GET /healthz HTTP/1.1\r\n\r\n"));
    auto r = c.response(2s);
    if (r && r->status == 200) ++answered;
  }
  const auto legitimateDone = Clock::now();
  EXPECT_EQ(answered, 60);
  ASSERT_LT(legitimateDone - opened, 6s) << "too slow to be meaningful: the slow ones may "
                                            "already have been closed";
  // None is closed before its deadline...
  for (auto& c : silent) EXPECT_FALSE(c->closedWithin(1ms));
  for (auto& c : dripping) EXPECT_FALSE(c->closedWithin(1ms));
  // ...and every one soon after it: the dripping ones with a 408.
  const auto until = allOpen + 8s + 5s;
  auto left = [&] {
    return std::max(1ms,
                    std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()));
  };
  int silentClosed = 0, drippingClosed = 0, got408 = 0;
  for (auto& c : silent) {
    if (c->closedWithin(left())) ++silentClosed;
    EXPECT_TRUE(c->buffered().empty()) << "an answer to nothing: " << c->buffered();
  }
  for (auto& c : dripping) {
    if (c->closedWithin(left())) ++drippingClosed;
    auto r = c->response(1ms);
    if (r && r->status == 408) ++got408;
  }
  const auto closedBy = Clock::now();
  done = true;
  drip.join();
  EXPECT_EQ(silentClosed, 150);
  EXPECT_EQ(drippingClosed, 150);
  EXPECT_EQ(got408, 150);
  EXPECT_GE(closedBy - opened, 7900ms);
  // And the API still answers.
  RawHttp after(port());
  after.send(head("GET", "/api/v1/me"));
  auto r = after.response(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(AdminFrontTest, AnIdleKeptAliveConnectionIsClosedAfterTheIdleTimeout) {
  start(R"("idleTimeoutSeconds": 1, "requestTimeoutSeconds": 5)");
  RawHttp c(port());
  // Before the request: the idle time starts once the answer is sent, which is later.
  const auto answered = Clock::now();
  c.send(head("GET", "/api/v1/me"));
  auto r = c.response(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  c.send("\r\n");  // an empty line after a request (some clients send one) is not a request
  EXPECT_TRUE(c.closedWithin(4s));
  EXPECT_GE(Clock::now() - answered, 900ms);
  EXPECT_TRUE(c.buffered().empty()) << "an idle close needs no answer: " << c.buffered();
}

TEST_F(AdminFrontTest, ConnectionsOverThePerAddressCapAre503WhileOtherAddressesAreServed) {
  start(R"("maxConnectionsPerAddress": 5)");
  std::vector<std::unique_ptr<RawHttp>> held;
  for (int i = 0; i < 5; ++i) held.push_back(std::make_unique<RawHttp>(port(), "127.0.0.2"));
  // The server has taken the five when one of them is answered.
  held[4]->send("GET /healthz HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(held[4]->response(10s));
  RawHttp over(port(), "127.0.0.2");
  EXPECT_TRUE(over.closedWithin(10s)) << "the sixth connection from 127.0.0.2 stays open";
  auto refused = over.response(1ms);
  ASSERT_TRUE(refused) << "closed without an answer: " << over.buffered();
  EXPECT_EQ(refused->status, 503);
  EXPECT_NE(refused->body.find("127.0.0.2"), std::string::npos) << refused->body;
  // Another address is not held up by it.
  RawHttp other(port(), "127.0.0.3");
  other.send(head("GET", "/api/v1/me"));
  auto r = other.response(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // A connection closed gives its place back.
  held.pop_back();
  bool servedAgain = false;
  for (int i = 0; i < 50 && !servedAgain; ++i) {
    RawHttp again(port(), "127.0.0.2");
    again.send("GET /healthz HTTP/1.1\r\n\r\n");
    auto a = again.response(2s);
    servedAgain = a && a->status == 200;
    if (!servedAgain) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(servedAgain);
}

TEST_F(AdminFrontTest, ConnectionsOverTheGlobalCapAre503) {
  start(R"("maxConnections": 8)");
  std::vector<std::unique_ptr<RawHttp>> held;
  for (int i = 0; i < 8; ++i)
    held.push_back(std::make_unique<RawHttp>(port(), ("127.0.0." + std::to_string(2 + i)).c_str()));
  held[7]->send("GET /healthz HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(held[7]->response(10s));
  RawHttp over(port(), "127.0.0.20");
  EXPECT_TRUE(over.closedWithin(10s));
  auto refused = over.response(1ms);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
}

TEST_F(AdminFrontTest, InvalidSettingsAreRefusedNamingTheSetting) {
  dir_ = std::filesystem::temp_directory_path() / ("dcgw-front-bad-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir_);
  const std::string config = (dir_ / "dcgw.json").string();
  for (const std::string key : {"requestTimeoutSeconds", "idleTimeoutSeconds", "maxHeaderBytes",
                                "maxConnections", "maxConnectionsPerAddress", "threads"}) {
    for (const std::string bad : {"0", "\"10\"", "1.5", "100000000"}) {
      std::ofstream(config) << R"({"admin": {")" << key << "\": " << bad << "}}";
      auto o = config::adminOptions(config);
      ASSERT_FALSE(o) << key << ": " << bad << " was taken";
      EXPECT_EQ(o.error().field, "admin." + key);
      EXPECT_NE(o.error().expected.find("an integer from"), std::string::npos);
    }
  }
  std::ofstream(config) << R"({"admin": {"requestTimeoutSeconds": 20, "maxHeaderBytes": 8192,
    "maxConnectionsPerAddress": 16, "idleTimeoutSeconds": 5, "maxConnections": 100,
    "threads": 2}})";
  auto o = config::adminOptions(config);
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->requestTimeout, 20s);
  EXPECT_EQ(o->idleTimeout, 5s);
  EXPECT_EQ(o->maxHeaderBytes, 8192u);
  EXPECT_EQ(o->maxConnections, 100u);
  EXPECT_EQ(o->maxConnectionsPerAddress, 16u);
  EXPECT_EQ(o->threads, 2);
}

}  // namespace
}  // namespace dcgw::admin
