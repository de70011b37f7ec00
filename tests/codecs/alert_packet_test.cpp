// The Alerts packet the gateway builds (seed 004 section 7), read back by the registry's decoder.
#include <gtest/gtest.h>

#include "codecs/json.hpp"
#include "codecs/packets/alert_packet.hpp"
#include "codecs/packets/packet.hpp"

namespace dcgw::codecs {
namespace {

// Seed 004 section 7: 0x61 0x00, CardNumber 14 at 2, AlertState at 16, AlertType at 17,
// AlertSubType at 18, AlertDatetime (TimeReal) at 19, then Title, Alert, P1..P10 joined by NUL.
TEST(AlertPacket, WritesTheSection7LayoutByteForByte) {
  AlertPacket a;
  a.cardNumber = "DB12345678901234";  // 16 characters: cut to driverIdentification's 14
  a.state = AlertState::Alert;
  a.type = 0x03;
  a.subType = 0x01;
  a.time = 0x66B4A1C0;
  a.title = "T";
  a.alert = "Ab";
  a.params = {"x", ""};
  auto b = encodeAlertPacket(a);
  ASSERT_TRUE(b) << b.error().expected;
  const Bytes want = {0x61, 0x00, 'D',  'B', '1', '2', '3', '4', '5', '6',
                      '7',  '8',  '9',  '0', '1', '2', 1,   3,   1,   0x66,
                      0xB4, 0xA1, 0xC0, 'T', 0,   'A', 'b', 0,   'x', 0};
  EXPECT_EQ(*b, want);
}

TEST(AlertPacket, TheRegistryDecoderReadsEveryFieldBack) {
  AlertPacket a;
  a.state = AlertState::Clear;
  a.type = 0x01;
  a.subType = 0x00;
  a.time = 1'722'000'000;
  a.title = "Gerät still";
  a.alert = "Gerät 12345678 sendet seit 5 Stunden nichts";
  a.params = {"12345678", "5", "2024-07-26T13:20:00Z"};
  auto b = encodeAlertPacket(a);
  ASSERT_TRUE(b);
  auto p = decodePacket(*b);
  ASSERT_TRUE(p) << p.error().field << " " << p.error().expected;
  auto json = parseJson(renderPacketJson(*p));
  ASSERT_TRUE(json);
  const JsonValue& o = *json;
  EXPECT_EQ(o.find("type")->asExactInteger(), 0x61);
  EXPECT_EQ(o.find("cardNumber")->asString(), "");  // all spaces: no card
  EXPECT_EQ(o.find("alertState")->asExactInteger(), 0);
  EXPECT_EQ(o.find("alertType")->asExactInteger(), 1);
  EXPECT_EQ(o.find("alertSubType")->asExactInteger(), 0);
  EXPECT_EQ(o.find("alertDatetime")->asString(), "2024-07-26T13:20:00Z");
  EXPECT_EQ(o.find("title")->asString(), "Gerät still");
  EXPECT_EQ(o.find("alert")->asString(), a.alert);
  EXPECT_EQ(o.find("p1")->asString(), "12345678");
  EXPECT_EQ(o.find("p2")->asString(), "5");
  EXPECT_EQ(o.find("p3")->asString(), "2024-07-26T13:20:00Z");
  EXPECT_TRUE(o.find("p4")->isNull());
}

TEST(AlertPacket, RefusesWhatTheLayoutCannotCarry) {
  AlertPacket a;
  a.params.assign(11, "p");
  auto tooMany = encodeAlertPacket(a);
  ASSERT_FALSE(tooMany);
  EXPECT_EQ(tooMany.error().field, "params");
  a.params.clear();
  a.title = std::string("a\0b", 3);
  auto nul = encodeAlertPacket(a);
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().field, "title");
  a.title = "t";
  a.cardNumber = "Ü";
  auto card = encodeAlertPacket(a);
  ASSERT_FALSE(card);
  EXPECT_EQ(card.error().field, "cardNumber");
}

}  // namespace
}  // namespace dcgw::codecs
