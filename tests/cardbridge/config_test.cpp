// The card bridge's configuration file: what it takes, and an error naming the member for each
// mistake a person makes in it.
#include <gtest/gtest.h>

#include "gateway/cardbridge/config.hpp"

namespace dcgw::cardbridge {
namespace {

const std::string kKey(64, 'a');

std::string errorOf(const std::string& json) {
  auto c = parseBridgeConfig(json);
  return c ? std::string("accepted") : c.error();
}

TEST(CardBridgeConfig, ReadsTheDocumentedFile) {
  auto c = parseBridgeConfig(R"({"gateway": {"host": "gw.example.com", "port": 7711, "tls": true,
      "caFile": "/etc/ca.pem"}, "ident": "office-1", "key": ")" +
                             kKey + R"(",
      "cards": [{"extendedSerial": "00112233445566AA", "card": "1200000000110200", "name": "Main"}],
      "readers": ["ACS"], "logApdus": true, "retry": {"firstMs": 100, "maxMs": 1000}})");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->gateway.host, "gw.example.com");
  EXPECT_EQ(c->gateway.port, 7711);
  EXPECT_TRUE(c->gateway.tls);
  EXPECT_EQ(c->key.size(), 32u);
  EXPECT_EQ(c->cards.at("00112233445566aa"), "1200000000110200");  // serials compared lower-case
  EXPECT_EQ(c->retryMaxMs, 1000);
  auto d = parseBridgeConfig(R"({"gateway": {"host": "h"}, "ident": "i", "key": ")" + kKey +
                             R"(", "cards": []})");
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->gateway.port, 7710);
  EXPECT_EQ(d->retryFirstMs, 10'000);
  EXPECT_EQ(d->retryMaxMs, 300'000);
}

TEST(CardBridgeConfig, NamesEachMistake) {
  const std::string base = R"("ident": "i", "key": ")" + kKey + R"(", "cards": [])";
  EXPECT_EQ(errorOf("[]"), "the file must hold a JSON object");
  EXPECT_EQ(errorOf(R"({"gateway": {"host": "h", "prot": 1}, )" + base + "}"),
            "gateway.prot: unknown member");
  EXPECT_EQ(errorOf(R"({"gateway": {"host": "h", "port": 70000}, )" + base + "}"),
            "gateway.port: a port number from 1 to 65535");
  EXPECT_EQ(errorOf(R"({"gateway": {"host": "h"}, "ident": "i", "key": "abc", "cards": []})"),
            "key: the bridge key, 32 to 128 hex digits, as registered");
  EXPECT_EQ(errorOf(R"({"gateway": {"host": "h"}, "ident": "i", "key": ")" + kKey +
                    R"(", "cards": [{"extendedSerial": "0011", "card": "1"}]})"),
            "cards[0].extendedSerial: 16 hex digits (the card's extended serial number)");
  EXPECT_EQ(errorOf(R"({"gateway": {"host": "h"}, "ident": "i", "key": ")" + kKey +
                    R"(", "cards": [{"extendedSerial": "0011223344556677", "card": "1"},
                    {"extendedSerial": "0011223344556677", "card": "2"}]})"),
            "cards[1].extendedSerial: 0011223344556677 is listed twice");
  EXPECT_EQ(errorOf(R"({"gateway": {"host": "h"}, )" + base + R"(, "filtre": 1})"),
            "filtre: unknown member");
  EXPECT_NE(errorOf("{").find("not JSON"), std::string::npos);
}

}  // namespace
}  // namespace dcgw::cardbridge
