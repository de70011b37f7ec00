// Name lookups bounded by the connect timeout (adapters/resolver.hpp): a DNS server that does
// not answer must not hold a forwarding worker, and a name that does not resolve is a clear
// failure naming it (the destination then backs off like after any failed attempt).
#include <gtest/gtest.h>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <thread>

#include "adapters/adapter.hpp"
#include "adapters/resolver.hpp"

namespace dcgw::adapters {
namespace {

using namespace std::chrono_literals;

Envelope envelope() {
  return Envelope{"12345678", "AB12CDE", {0x47, 0x02, 0x6A, 0x00, 0x00, 0x00, 0x01}};
}

DestinationSettings settings(Method m, const std::string& host, std::uint16_t port) {
  DestinationSettings s;
  s.name = "dns";
  s.method = m;
  s.host = host;
  s.port = port;
  s.connectTimeout = 300ms;
  s.timeout = 2s;
  s.replyTimeout = 2s;
  return s;
}

// Restores the system's lookup at the end of a test.
struct InjectedLookup {
  explicit InjectedLookup(Lookup l) { setLookupForTesting(std::move(l)); }
  ~InjectedLookup() { setLookupForTesting({}); }
};

TEST(Resolver, ALookupThatDoesNotAnswerIsCutAtTheConnectTimeout) {
  InjectedLookup slow([](const std::string&, std::uint16_t port) {
    std::this_thread::sleep_for(10s);  // a DNS server that does not answer
    return std::vector<Poco::Net::SocketAddress>{Poco::Net::SocketAddress("127.0.0.1", port)};
  });
  for (const auto& s : {settings(Method::Rest, "http://slow.example.invalid:9/in", 0),
                        settings(Method::Soap, "https://slow.example.invalid/soap", 0),
                        settings(Method::XmlTcp, "slow.example.invalid", 9),
                        settings(Method::XmlUdp, "slow.example.invalid", 9),
                        settings(Method::Binary, "slow.example.invalid", 9)}) {
    SCOPED_TRACE(std::string(methodName(s.method)));
    auto a = makeAdapter(s);
    ASSERT_TRUE(a.ok()) << a.error().message();
    const auto began = std::chrono::steady_clock::now();
    const DeliveryResult r = (*a)->deliver(envelope());
    const auto took = std::chrono::steady_clock::now() - began;
    EXPECT_EQ(r.outcome, Outcome::Retry);
    EXPECT_EQ(r.reason,
              "cannot resolve 'slow.example.invalid': no answer within 300 ms (the connect "
              "timeout)");
    EXPECT_LT(took, 5s) << "the worker waited for the lookup";
  }
}

TEST(Resolver, ANameThatDoesNotResolveIsAFailureNamingIt) {
  // The system's resolver: the .invalid domain never resolves (RFC 6761).
  for (const auto& s : {settings(Method::Rest, "http://nosuch.invalid/in", 0),
                        settings(Method::Binary, "nosuch.invalid", 9)}) {
    SCOPED_TRACE(std::string(methodName(s.method)));
    auto b = s;
    b.connectTimeout = 10s;  // a failure, not a timeout, whatever the machine's DNS
    auto a = makeAdapter(b);
    ASSERT_TRUE(a.ok()) << a.error().message();
    const DeliveryResult r = (*a)->deliver(envelope());
    EXPECT_EQ(r.outcome, Outcome::Retry);
    EXPECT_EQ(r.reason.rfind("cannot resolve 'nosuch.invalid': ", 0), 0u) << r.reason;
  }
}

TEST(Resolver, AnAddressNeedsNoLookup) {
  InjectedLookup never(
      [](const std::string& host, std::uint16_t) -> std::vector<Poco::Net::SocketAddress> {
        throw ResolveError("looked up " + host);
      });
  EXPECT_EQ(resolveWithin("127.0.0.1", 80, 1ms).toString(), "127.0.0.1:80");
  EXPECT_EQ(resolveWithin("::1", 80, 1ms).toString(), "[::1]:80");
  EXPECT_THROW(resolveWithin("localhost", 80, 1s), ResolveError);
}

TEST(Resolver, TheSystemLookupFindsLocalhostOnIpv4First) {
  EXPECT_EQ(resolveWithin("localhost", 8080, 10s).toString(), "127.0.0.1:8080");
}

TEST(Resolver, RestConnectsToTheAddressFoundAndNamesTheHostInTheRequest) {
  InjectedLookup local([](const std::string&, std::uint16_t port) {
    return std::vector<Poco::Net::SocketAddress>{Poco::Net::SocketAddress("127.0.0.1", port)};
  });
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::string request;
  std::thread server([&] {
    Poco::Net::StreamSocket c = listener.acceptConnection();
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      const int n = c.receiveBytes(buf, sizeof buf);
      if (n <= 0) return;
      request.append(buf, static_cast<std::size_t>(n));
    }
    const std::string reply = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
    c.sendBytes(reply.data(), static_cast<int>(reply.size()));
  });
  const std::string port = std::to_string(listener.address().port());
  auto a = makeAdapter(settings(Method::Rest, "http://receiver.example:" + port + "/in", 0));
  ASSERT_TRUE(a.ok()) << a.error().message();
  const DeliveryResult r = (*a)->deliver(envelope());
  server.join();
  EXPECT_EQ(r.outcome, Outcome::Delivered) << r.reason;
  EXPECT_NE(request.find("Host: receiver.example:" + port + "\r\n"), std::string::npos) << request;
}

}  // namespace
}  // namespace dcgw::adapters
