// The uplink behind a proxy (schema/uplink.md, "Behind a proxy"): a PROXY protocol v2 header
// from a trusted proxy names the tracker, LOCAL health checks are accepted, anything else from a
// trusted proxy is closed, and a connection from elsewhere sends no header.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "codecs/uplink/frame.hpp"
#include "codecs/uplink/proxy_v2.hpp"
#include "gateway/config/config_file.hpp"
#include "gateway/uplink/listener.hpp"
#include "gateway/uplink/trusted_proxies.hpp"
#include "tests/support/listener_fixture.hpp"
#include "tests/support/packets.hpp"
#include "tests/support/uplink_client.hpp"

namespace dcgw::uplink {
namespace {

namespace up = codecs::uplink;
using namespace std::chrono_literals;
using Client = dcgw::testing::UplinkClient;

const codecs::Bytes kSignature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                  0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

// A PROXY v2 header: PROXY over TCP/IPv4 from src:srcPort, with a TLV after the addresses.
codecs::Bytes proxyHeader(std::array<std::uint8_t, 4> src, std::uint16_t srcPort) {
  codecs::Bytes h = kSignature;
  const codecs::Bytes tlv = {0x04, 0x00, 0x01, 0x00};  // PP2_TYPE_NOOP, one byte
  h.push_back(0x21);                                   // version 2, PROXY
  h.push_back(0x11);                                   // INET, STREAM
  const std::uint16_t len = static_cast<std::uint16_t>(12 + tlv.size());
  h.push_back(static_cast<std::uint8_t>(len >> 8));
  h.push_back(static_cast<std::uint8_t>(len));
  h.insert(h.end(), src.begin(), src.end());
  for (std::uint8_t b : {127, 0, 0, 1}) h.push_back(b);  // destination
  h.push_back(static_cast<std::uint8_t>(srcPort >> 8));
  h.push_back(static_cast<std::uint8_t>(srcPort));
  h.push_back(0x1E);  // destination port 7700
  h.push_back(0x14);
  h.insert(h.end(), tlv.begin(), tlv.end());
  return h;
}

codecs::Bytes localHeader() {
  codecs::Bytes h = kSignature;
  for (std::uint8_t b : {0x20, 0x00, 0x00, 0x00}) h.push_back(b);
  return h;
}

TEST(ProxyV2, ReadsAddressesLocalAndRefusesWhatIsNotAHeader) {
  codecs::Bytes h = proxyHeader({203, 0, 113, 7}, 5555);
  const std::size_t size = h.size();
  h.push_back(0x55);  // the tracker's first byte follows
  auto r = up::scanProxyV2(h);
  ASSERT_EQ(r.scan, up::ProxyHeader::Scan::Done) << r.reason;
  EXPECT_EQ(r.bytes, size);
  EXPECT_EQ(r.source, "203.0.113.7:5555");
  EXPECT_FALSE(r.local);
  for (std::size_t n = 0; n < size; ++n)
    EXPECT_EQ(up::scanProxyV2(codecs::ByteView(h.data(), n)).scan, up::ProxyHeader::Scan::NeedMore)
        << n;
  auto l = up::scanProxyV2(localHeader());
  EXPECT_EQ(l.scan, up::ProxyHeader::Scan::Done);
  EXPECT_TRUE(l.local);
  EXPECT_TRUE(l.source.empty());
  // IPv6.
  codecs::Bytes v6 = kSignature;
  for (std::uint8_t b : {0x21, 0x21, 0x00, 36}) v6.push_back(b);
  for (int i = 0; i < 15; ++i) v6.push_back(0);
  v6.push_back(1);  // ::1
  for (int i = 0; i < 16; ++i) v6.push_back(0);
  for (std::uint8_t b : {0x01, 0xBB, 0x1E, 0x14}) v6.push_back(b);
  auto r6 = up::scanProxyV2(v6);
  ASSERT_EQ(r6.scan, up::ProxyHeader::Scan::Done) << r6.reason;
  EXPECT_EQ(r6.source, "[::1]:443");
  // Not a header, a wrong version, a short address block.
  codecs::Bytes hello;
  up::appendHello(hello, "12345678");
  EXPECT_EQ(up::scanProxyV2(hello).scan, up::ProxyHeader::Scan::Bad);
  codecs::Bytes v1 = h;
  v1[12] = 0x11;
  EXPECT_NE(up::scanProxyV2(v1).reason.find("version 1"), std::string::npos);
  codecs::Bytes badFamily = h;
  badFamily[13] = 0x41;
  EXPECT_NE(up::scanProxyV2(badFamily).reason.find("family"), std::string::npos);
  codecs::Bytes shortBlock = kSignature;
  for (std::uint8_t b : {0x21, 0x11, 0x00, 0x04, 1, 2, 3, 4}) shortBlock.push_back(b);
  EXPECT_EQ(up::scanProxyV2(shortBlock).scan, up::ProxyHeader::Scan::Bad);
}

TEST(ProxyV2, TrustedProxyRangesOfBothFamilies) {
  EXPECT_TRUE(parseAddressRange("10.0.0.5"));
  EXPECT_TRUE(parseAddressRange("10.0.0.0/8"));
  EXPECT_TRUE(parseAddressRange("fd00::/8"));
  for (const char* bad : {"", "10.0.0.0/33", "host.example", "10.0.0.0/", "::1/129", "1.2.3"})
    EXPECT_FALSE(parseAddressRange(bad)) << bad;
  auto peer = [](const char* ip) {
    sockaddr_storage ss{};
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a->sin_addr);
    return ss;
  };
  const std::vector<AddressRange> ranges = {*parseAddressRange("10.1.0.0/16"),
                                            *parseAddressRange("192.0.2.9")};
  EXPECT_TRUE(inRanges(ranges, peer("10.1.200.3")));
  EXPECT_FALSE(inRanges(ranges, peer("10.2.0.1")));
  EXPECT_TRUE(inRanges(ranges, peer("192.0.2.9")));
  EXPECT_FALSE(inRanges(ranges, peer("192.0.2.10")));
  sockaddr_storage mapped{};
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&mapped);
  a6->sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:10.1.0.1", &a6->sin6_addr);
  EXPECT_TRUE(inRanges(ranges, mapped)) << "an IPv4-mapped peer is its IPv4 address";
  EXPECT_TRUE(inRanges({*parseAddressRange("::ffff:10.1.0.1")}, peer("10.1.0.1")))
      << "an IPv4-mapped entry is its IPv4 address";
}

class UplinkProxyTest : public testing::ListenerFixture<Listener, ListenerOptions> {
 protected:
  UplinkProxyTest() : ListenerFixture("dcgw-uplink-proxy") {}
  void SetUp() override {
    ASSERT_TRUE(
        store_->upsertDevice({"12345678", store_.depot(), "AB12CDE", dcgw::testing::kUplinkTestKey})
            .ok());
  }
  std::vector<store::RefusedIdent> refusedEventually(std::size_t n) {
    std::vector<store::RefusedIdent> refused;
    for (int i = 0; i < 200 && refused.size() < n; ++i) {
      std::this_thread::sleep_for(50ms);
      refused = store_->refusedIdents();
    }
    return refused;
  }
};

TEST_F(UplinkProxyTest, TheTrackerBehindATrustedProxyIsNamedByTheHeader) {
  options_.trustedProxies = {"127.0.0.0/8"};
  start();
  // A tracker through the proxy: header, then a normal session.
  Client c(listener_->port());
  c.send(proxyHeader({198, 51, 100, 23}, 40001));
  const up::Welcome w = c.login("12345678");
  EXPECT_EQ(w.window, 1024);
  codecs::Bytes b;
  up::appendPacket(b, 1, "", dcgw::testing::positionalUpdate(1));
  c.send(b);
  c.awaitAck(1);
  // A refused login through the proxy is recorded with the tracker's address, not the proxy's.
  Client r(listener_->port());
  codecs::Bytes h = proxyHeader({198, 51, 100, 24}, 40002);
  up::appendHello(h, "99999999");  // header and HELLO in one segment
  r.send(h);
  r.expectError(up::ErrorCode::UnknownDevice);
  auto refused = refusedEventually(1);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].address, "198.51.100.24:40002");
  // The header in pieces, the HELLO after it in another segment.
  {
    Client split(listener_->port());
    codecs::Bytes hdr = proxyHeader({198, 51, 100, 25}, 40003);
    split.send(codecs::Bytes(hdr.begin(), hdr.begin() + 7));
    std::this_thread::sleep_for(20ms);
    split.send(codecs::Bytes(hdr.begin() + 7, hdr.end()));
    std::this_thread::sleep_for(20ms);
    codecs::Bytes hello;
    up::appendHello(hello, "99999998");
    split.send(hello);
    split.expectError(up::ErrorCode::UnknownDevice);
  }
  refused = refusedEventually(2);
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[0].address, "198.51.100.25:40003") << "most recent first";
  // A health check: LOCAL, then the proxy closes; nothing is refused or recorded.
  {
    Client check(listener_->port());
    check.send(localHeader());
  }
  // Bytes that are not a header from a trusted proxy: the connection is closed, no answer.
  Client bad(listener_->port());
  codecs::Bytes hello;
  up::appendHello(hello, "12345678");
  bad.send(hello);
  EXPECT_TRUE(bad.closedByPeer());
  EXPECT_EQ(refusedEventually(2).size(), 2u);
}

TEST_F(UplinkProxyTest, AConnectionFromElsewhereSendsNoHeader) {
  options_.trustedProxies = {"192.0.2.1"};  // not loopback: these clients are trackers
  start();
  Client c(listener_->port());
  c.login("12345678");
  codecs::Bytes b;
  up::appendPacket(b, 1, "", dcgw::testing::positionalUpdate(1));
  c.send(b);
  c.awaitAck(1);
}

TEST(UplinkProxyConfig, TrustedProxiesAreCheckedInTheConfigurationFile) {
  const std::string path = ::testing::TempDir() + "dcgw-proxy-config.json";
  auto write = [&](const std::string& text) { std::ofstream(path) << text; };
  write(R"({"uplink": {"trustedProxies": ["10.0.0.5", "fd00::/8"]}})");
  auto ok = config::uplinkOptions(path);
  ASSERT_TRUE(ok) << config::errorText(ok.error());
  EXPECT_EQ(ok->trustedProxies, (std::vector<std::string>{"10.0.0.5", "fd00::/8"}));
  write(R"({"uplink": {"trustedProxies": ["haproxy.local"]}})");
  auto bad = config::uplinkOptions(path);
  ASSERT_FALSE(bad);
  EXPECT_NE(config::errorText(bad.error()).find("uplink.trustedProxies"), std::string::npos);
  write(R"({"uplink": {"trustedProxies": ["10.0.0.5"], "tls": {"certificateFile": "a", )"
        R"("privateKeyFile": "b"}}})");
  EXPECT_FALSE(config::uplinkOptions(path));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace dcgw::uplink
