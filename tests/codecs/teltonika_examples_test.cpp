// The worked examples printed on Teltonika's public wiki page "Teltonika Data Sending Protocols"
// (Codec 8 examples 1-3, Codec 8 Extended, Codec 16, Codec 12 command and response, Codec 13,
// UDP Codec 8 and 8 Extended), decoded byte for byte: time, position, every IO, CRC, replies.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "codecs/teltonika/frame.hpp"
#include "codecs/teltonika/udp.hpp"
#include "tests/support/hex.hpp"

namespace dcgw::codecs::teltonika {
namespace {

constexpr auto hex = &dcgw::testing::hexBytes;

FrameScan whole(const Bytes& frame) {
  FrameScan s = tryFrame(frame);
  EXPECT_EQ(s.scan, Scan::Frame) << s.error.message();
  EXPECT_EQ(s.frameBytes, frame.size());
  return s;
}

// {id, length, value} of every element in wire order.
struct Io {
  std::uint16_t id;
  std::uint16_t length;
  std::uint64_t value;
};
void expectIo(const AvlRecord& r, std::vector<Io> want) {
  ASSERT_EQ(r.io.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(r.io[i].id, want[i].id) << i;
    EXPECT_EQ(r.io[i].length, want[i].length) << i;
    EXPECT_EQ(r.io[i].value, want[i].value) << i;
  }
}
void expectNoFix(const AvlRecord& r) {
  EXPECT_EQ(r.gps.longitude, 0);
  EXPECT_EQ(r.gps.latitude, 0);
  EXPECT_EQ(r.gps.altitude, 0);
  EXPECT_EQ(r.gps.angle, 0);
  EXPECT_EQ(r.gps.satellites, 0);
  EXPECT_EQ(r.gps.speed, 0);
}

TEST(TeltonikaExamples, LoginOfTheWikiIsAcceptedAndAnswered01) {
  const Bytes login = hex("000F333536333037303432343431303133");
  const LoginScan s = tryLogin(login);
  ASSERT_EQ(s.scan, Scan::Frame) << s.error.message();
  EXPECT_EQ(s.bytes, 17u);
  EXPECT_EQ(s.imei, "356307042441013");
  EXPECT_EQ(encodeLogin("356307042441013"), login);
  Bytes reply;
  appendLoginReply(reply, true);
  appendLoginReply(reply, false);
  EXPECT_EQ(toHex(reply), "0100");
}

TEST(TeltonikaExamples, Codec8FirstExampleDecodesEveryField) {
  const Bytes f = hex(
      "000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F"
      "01F10000601A014E0000000000000000010000C7CF");
  const FrameScan s = whole(f);
  EXPECT_EQ(s.codec, kCodec8);
  EXPECT_EQ(s.crc, 0xC7CF);
  EXPECT_EQ(crc16(s.data), 0xC7CF);
  ASSERT_TRUE(s.avl.has_value());
  ASSERT_EQ(s.avl->records.size(), 1u);
  const AvlRecord& r = s.avl->records[0];
  EXPECT_EQ(r.timestampMs, 1560161086000u);  // 2019-06-10 10:04:46 UTC
  EXPECT_EQ(r.priority, 1);
  expectNoFix(r);
  EXPECT_EQ(r.eventIoId, 1);
  EXPECT_EQ(r.totalIoCount, 5);
  EXPECT_FALSE(r.generationType.has_value());
  expectIo(r, {{21, 1, 3}, {1, 1, 1}, {66, 2, 0x5E0F}, {241, 4, 0x601A}, {78, 8, 0}});
  // The raw copy is the record's 49 bytes (data field minus codec, N1 and N2).
  EXPECT_EQ(r.raw.size(), s.data.size() - 3);
  EXPECT_EQ(toHex(r.valueBytes(*r.find(241)), true), "0000601A");
  Bytes ack;
  appendRecordAck(ack, 1);
  EXPECT_EQ(toHex(ack), "00000001");
}

TEST(TeltonikaExamples, Codec8SecondExample) {
  const FrameScan s = whole(hex(
      "000000000000002808010000016B40D9AD80010000000000000000000000000000000103021503010101425E1000"
      "00010000F22A"));
  ASSERT_TRUE(s.avl.has_value());
  ASSERT_EQ(s.avl->records.size(), 1u);
  const AvlRecord& r = s.avl->records[0];
  EXPECT_EQ(s.crc, 0xF22A);
  EXPECT_EQ(r.timestampMs, 1560161136000u);
  EXPECT_EQ(r.priority, 1);
  expectNoFix(r);
  EXPECT_EQ(r.eventIoId, 1);
  EXPECT_EQ(r.totalIoCount, 3);
  expectIo(r, {{21, 1, 3}, {1, 1, 1}, {66, 2, 0x5E10}});
}

TEST(TeltonikaExamples, Codec8ThirdExampleHasTwoRecordsAndIsAcked2) {
  const FrameScan s = whole(hex(
      "000000000000004308020000016B40D57B480100000000000000000000000000000001010101000000000000016B"
      "40D5C198010000000000000000000000000000000101010101000000020000252C"));
  ASSERT_TRUE(s.avl.has_value());
  ASSERT_EQ(s.avl->records.size(), 2u);
  EXPECT_EQ(s.crc, 0x252C);
  EXPECT_EQ(s.avl->records[0].timestampMs, 1560160861000u);
  EXPECT_EQ(s.avl->records[1].timestampMs, 1560160879000u);
  for (const AvlRecord& r : s.avl->records) {
    EXPECT_EQ(r.priority, 1);
    expectNoFix(r);
    EXPECT_EQ(r.eventIoId, 1);
    EXPECT_EQ(r.totalIoCount, 1);
  }
  expectIo(s.avl->records[0], {{1, 1, 0}});
  expectIo(s.avl->records[1], {{1, 1, 1}});
  Bytes ack;
  appendRecordAck(ack, 2);
  EXPECT_EQ(toHex(ack), "00000002");
}

TEST(TeltonikaExamples, Codec8ExtendedUsesTwoByteIdsAndCounts) {
  const FrameScan s =
      whole(hex("000000000000004A8E010000016B412CEE000100000000000000000000000000000000010005000100"
                "010100010011"
                "001D00010010015E2C880002000B000000003544C87A000E000000001DD7E06A00000100002994"));
  EXPECT_EQ(s.codec, kCodec8Extended);
  EXPECT_EQ(s.crc, 0x2994);
  ASSERT_TRUE(s.avl.has_value());
  ASSERT_EQ(s.avl->records.size(), 1u);
  const AvlRecord& r = s.avl->records[0];
  EXPECT_EQ(r.timestampMs, 1560166592000u);
  EXPECT_EQ(r.priority, 1);
  expectNoFix(r);
  EXPECT_EQ(r.eventIoId, 1);
  EXPECT_EQ(r.totalIoCount, 5);
  expectIo(
      r, {{1, 1, 1}, {17, 2, 0x1D}, {16, 4, 0x015E2C88}, {11, 8, 0x3544C87A}, {14, 8, 0x1DD7E06A}});
}

TEST(TeltonikaExamples, Codec16CarriesTheGenerationType) {
  const FrameScan s = whole(hex(
      "000000000000005F10020000016BDBC7833000000000000000000000000000000000000B05040200010000030002"
      "000B00270042563A00000000016BDBC7871800000000000000000000000000000000000B05040200010000030002"
      "000B00260042563A00000200005FB3"));
  EXPECT_EQ(s.codec, kCodec16);
  EXPECT_EQ(s.crc, 0x5FB3);
  ASSERT_TRUE(s.avl.has_value());
  ASSERT_EQ(s.avl->records.size(), 2u);
  const std::uint64_t times[] = {1562760414000u, 1562760415000u};
  const std::uint64_t io11[] = {0x27, 0x26};
  for (std::size_t i = 0; i < 2; ++i) {
    const AvlRecord& r = s.avl->records[i];
    EXPECT_EQ(r.timestampMs, times[i]);
    EXPECT_EQ(r.priority, 0);
    expectNoFix(r);
    EXPECT_EQ(r.eventIoId, 11);
    EXPECT_EQ(r.generationType, std::optional<std::uint8_t>(5));  // on change
    EXPECT_EQ(r.totalIoCount, 4);
    expectIo(r, {{1, 1, 0}, {3, 1, 0}, {11, 2, io11[i]}, {66, 2, 0x563A}});
  }
}

TEST(TeltonikaExamples, Codec12GetinfoCommandIsEncodedByteForByte) {
  const Bytes wiki = hex("000000000000000F0C010500000007676574696E666F0100004312");
  EXPECT_EQ(encodeCommand("getinfo"), wiki);
  const FrameScan s = whole(wiki);
  ASSERT_TRUE(s.command.has_value());
  EXPECT_EQ(s.command->type, kCommandType);
  EXPECT_EQ(s.command->text(), "getinfo");
  EXPECT_EQ(s.crc, 0x4312);
}

TEST(TeltonikaExamples, Codec12GetinfoResponseDecodes) {
  const FrameScan s =
      whole(hex("00000000000000900C010600000088494E493A323031392F372F323220373A3232205254433A323031"
                "392F372F3232"
                "20373A3533205253543A32204552523A312053523A302042523A302043463A302046473A3020464C3A"
                "302054553A30"
                "2F302055543A3020534D533A30204E4F4750533A303A3330204750533A31205341543A302052533A33"
                "2052463A3635"
                "2053463A31204D443A30010000C78F"));
  EXPECT_EQ(s.codec, kCodec12);
  EXPECT_EQ(s.crc, 0xC78F);
  ASSERT_TRUE(s.command.has_value());
  EXPECT_FALSE(s.avl.has_value());
  EXPECT_EQ(s.command->type, kResponseType);
  EXPECT_FALSE(s.command->timestamp.has_value());
  EXPECT_EQ(s.command->text(),
            "INI:2019/7/22 7:22 RTC:2019/7/22 7:53 RST:2 ERR:1 SR:0 BR:0 CF:0 FG:0 FL:0 TU:0/0 "
            "UT:0 SMS:0 NOGPS:0:30 GPS:1 SAT:0 RS:3 RF:65 SF:1 MD:0");
}

// The wiki's Codec 13 section: the command size counts the 4-byte timestamp too.
TEST(TeltonikaExamples, Codec13SizeIncludesTheTimestamp) {
  const Bytes f = hex("00000000000000130D01050000000B0A81C320676574696E666F010000ED9B");
  const FrameScan s = whole(f);
  ASSERT_TRUE(s.command.has_value());
  EXPECT_EQ(s.command->codec, kCodec13);
  EXPECT_EQ(s.command->timestamp, std::optional<std::uint32_t>(0x0A81C320));
  EXPECT_EQ(s.command->text(), "getinfo");
  EXPECT_EQ(encodeCommandFrame(*s.command), f);
}

TEST(TeltonikaExamples, UdpCodec8DatagramAndItsAck) {
  const Bytes d =
      hex("003DCAFE0105000F33353230393330383634303336353508010000016B4F815B300100000000000000000000"
          "000000"
          "00000103021503010101425DBC000001");
  const auto u = decodeUdp(d);
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->packetId, 0xCAFE);
  EXPECT_EQ(u->notUsable, 0x01);
  EXPECT_EQ(u->avlPacketId, 0x05);
  EXPECT_EQ(u->imei, "352093086403655");
  ASSERT_EQ(u->avl.records.size(), 1u);
  const AvlRecord& r = u->avl.records[0];
  EXPECT_EQ(r.timestampMs, 1560407006000u);
  EXPECT_EQ(r.priority, 1);
  expectNoFix(r);
  EXPECT_EQ(r.eventIoId, 1);
  expectIo(r, {{21, 1, 3}, {1, 1, 1}, {66, 2, 0x5DBC}});
  EXPECT_EQ(toHex(encodeUdpAck(u->packetId, u->avlPacketId, 1), true), "0005CAFE010501");
  EXPECT_EQ(encodeUdp(0xCAFE, 0x05, "352093086403655", u->data), d);
}

TEST(TeltonikaExamples, UdpCodec8ExtendedDatagramAndItsAck) {
  const auto u = decodeUdp(hex(
      "005FCAFE0107000F3335323039333038363430333635358E010000016B4F831C6801000000000000000000000000"
      "00"
      "000000010005000100010100010011009D00010010015E2C880002000B000000003544C87A000E000000001DD7E0"
      "6A000001"));
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->avlPacketId, 0x07);
  EXPECT_EQ(u->avl.codec, kCodec8Extended);
  ASSERT_EQ(u->avl.records.size(), 1u);
  EXPECT_EQ(u->avl.records[0].timestampMs, 1560407121000u);
  expectIo(
      u->avl.records[0],
      {{1, 1, 1}, {17, 2, 0x9D}, {16, 4, 0x015E2C88}, {11, 8, 0x3544C87A}, {14, 8, 0x1DD7E06A}});
  EXPECT_EQ(toHex(encodeUdpAck(0xCAFE, 0x07, 1), true), "0005CAFE010701");
}

TEST(TeltonikaExamples, Crc16IbmMatchesItsCheckValue) {
  const std::string check = "123456789";
  EXPECT_EQ(crc16(ByteView(reinterpret_cast<const std::uint8_t*>(check.data()), check.size())),
            0xBB3D);
  EXPECT_EQ(crc16(ByteView{}), 0);
}

// schema/teltonika.md section 8 annotates the first Codec 8 example line by line; its hex
// columns, joined, must be the wiki's frame.
TEST(TeltonikaExamples, TheSchemaAnnotatedExampleIsTheWikiFrame) {
  std::ifstream in(std::string(DCGW_SOURCE_DIR) + "/schema/teltonika.md");
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const std::size_t section = doc.find("## 8. Worked examples");
  ASSERT_NE(section, std::string::npos);
  const std::size_t open = doc.find("```\n", section);
  const std::size_t close = doc.find("```", open + 4);
  ASSERT_NE(close, std::string::npos);
  std::istringstream lines(doc.substr(open + 4, close - open - 4));
  std::string line, joined;
  while (std::getline(lines, line)) joined += line.substr(0, line.find("  "));
  Bytes b;
  ASSERT_TRUE(fromHex(joined, b)) << joined;
  EXPECT_EQ(toHex(b, true),
            "000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101"
            "425E0F01F10000601A014E0000000000000000010000C7CF");
  EXPECT_EQ(tryFrame(b).scan, Scan::Frame);
}

}  // namespace
}  // namespace dcgw::codecs::teltonika
