// replyTimeoutMs for REST and SOAP (adapters/methods.cpp): the whole HTTP response must arrive
// within that time of the request being written; before, a receiver that accepted the request
// and never answered held the worker for the full overall timeout whatever the setting.
#include <gtest/gtest.h>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "adapters/adapter.hpp"

namespace dcgw::adapters {
namespace {

using namespace std::chrono_literals;

// Accepts one connection, reads the request and never answers until told to stop.
class SilentHttpServer {
 public:
  SilentHttpServer() : listener_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    thread_ = std::thread([this] {
      Poco::Net::StreamSocket c = listener_.acceptConnection();
      c.setReceiveTimeout(Poco::Timespan(0, 100'000));
      char buf[4096];
      while (!stop_) {
        try {
          if (c.receiveBytes(buf, sizeof buf) == 0) return;  // the client gave up
        } catch (const Poco::TimeoutException&) {
        } catch (...) {
          return;
        }
      }
    });
  }
  ~SilentHttpServer() {
    stop_ = true;
    thread_.join();
  }
  std::uint16_t port() const { return listener_.address().port(); }

 private:
  Poco::Net::ServerSocket listener_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(ReplyTimeout, BoundsTheWaitForTheHttpResponseOfRestAndSoap) {
  for (Method m : {Method::Rest, Method::Soap}) {
    SCOPED_TRACE(std::string(methodName(m)));
    SilentHttpServer server;
    DestinationSettings s;
    s.name = "silent";
    s.method = m;
    s.host = "http://127.0.0.1:" + std::to_string(server.port()) + "/in";
    s.connectTimeout = 10s;
    s.timeout = 30s;  // the overall time: 40 s, which the reply timeout must cut short
    s.replyTimeout = 300ms;
    auto a = makeAdapter(s);
    ASSERT_TRUE(a.ok()) << a.error().message();
    const auto began = std::chrono::steady_clock::now();
    const DeliveryResult r =
        (*a)->deliver(Envelope{"12345678", "AB12CDE", {0x47, 0x02, 0x6A, 0x00, 0x00, 0x00, 0x01}});
    const auto took = std::chrono::steady_clock::now() - began;
    EXPECT_EQ(r.outcome, Outcome::Retry);
    EXPECT_NE(r.reason.find("timed out"), std::string::npos) << r.reason;
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 5s) << "replyTimeoutMs 300 was not applied";
  }
}

}  // namespace
}  // namespace dcgw::adapters
