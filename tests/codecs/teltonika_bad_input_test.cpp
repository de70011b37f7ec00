// Bad Teltonika input (issue 15 "Bad input", schema/teltonika.md section 4): lying lengths, CRC
// mismatches, N1 != N2, record counts and IO value lengths over the frame, trailing bytes, IMEIs
// that are not 15 digits, frames before the login, and every partial frame waiting for more.
#include <gtest/gtest.h>

#include <string>

#include "codecs/teltonika/frame.hpp"
#include "codecs/teltonika/udp.hpp"
#include "tests/support/hex.hpp"

namespace dcgw::codecs::teltonika {
namespace {

constexpr auto hex = &dcgw::testing::hexBytes;

// Wiki examples (Codec 8 first example, 8 Extended, 16, 12 response) as data fields and frames.
const char* const kFrames[] = {
    "000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F1"
    "0000601A014E0000000000000000010000C7CF",
    "000000000000004A8E010000016B412CEE000100000000000000000000000000000000010005000100010100010011"
    "00"
    "1D00010010015E2C880002000B000000003544C87A000E000000001DD7E06A00000100002994",
    "000000000000005F10020000016BDBC7833000000000000000000000000000000000000B050402000100000300020"
    "00B00270042563A00000000016BDBC7871800000000000000000000000000000000000B0504020001000003000200"
    "0B00260042563A00000200005FB3",
    "000000000000000F0C010500000007676574696E666F0100004312",
};

Bytes dataOf(const Bytes& frame) {
  return Bytes(frame.begin() + 8, frame.end() - 4);
}

FrameScan expectBad(const Bytes& buffer, FrameProblem p, const std::string& field,
                    std::size_t offset) {
  const FrameScan s = tryFrame(buffer);
  EXPECT_EQ(s.scan, Scan::Bad);
  EXPECT_EQ(s.problem, p) << problemName(s.problem) << ": " << s.error.message();
  EXPECT_EQ(s.error.field, field) << s.error.message();
  EXPECT_EQ(s.error.offset, offset) << s.error.message();
  EXPECT_FALSE(s.error.expected.empty());
  return s;
}

TEST(TeltonikaBadInput, EveryPrefixOfAWholeFrameWaitsForMore) {
  for (const char* h : kFrames) {
    const Bytes f = hex(h);
    for (std::size_t n = 0; n < f.size(); ++n) {
      const FrameScan s = tryFrame(ByteView(f).first(n));
      ASSERT_EQ(s.scan, Scan::NeedMore) << n << " of " << h << ": " << s.error.message();
      EXPECT_EQ(s.frameBytes, 0u);
    }
    EXPECT_EQ(tryFrame(f).scan, Scan::Frame);
  }
}

TEST(TeltonikaBadInput, EveryPrefixOfALoginWaitsForMore) {
  const Bytes login = hex("000F333536333037303432343431303133");
  for (std::size_t n = 0; n < login.size(); ++n)
    ASSERT_EQ(tryLogin(ByteView(login).first(n)).scan, Scan::NeedMore) << n;
}

TEST(TeltonikaBadInput, FramesAndPingsAreSplitOneAtATime) {
  Bytes stream = hex(kFrames[0]);
  stream.push_back(kPing);
  const Bytes second = hex(kFrames[1]);
  stream.insert(stream.end(), second.begin(), second.end());
  std::vector<Scan> seen;
  ByteView rest(stream);
  while (!rest.empty()) {
    const FrameScan s = tryFrame(rest);
    ASSERT_NE(s.scan, Scan::Bad) << s.error.message();
    ASSERT_NE(s.scan, Scan::NeedMore);
    seen.push_back(s.scan);
    rest = rest.subspan(s.frameBytes);
  }
  EXPECT_EQ(seen, (std::vector<Scan>{Scan::Frame, Scan::Ping, Scan::Frame}));
}

TEST(TeltonikaBadInput, APreambleNotZeroIsRefusedAtItsFirstByte) {
  const FrameScan s = expectBad(hex("0000"
                                    "01"),
                                FrameProblem::Preamble, "preamble", 0);
  EXPECT_FALSE(s.recoverable());
}

TEST(TeltonikaBadInput, ALyingDataLengthIsRefusedBeforeItsBytesArrive) {
  FrameScan s = expectBad(hex("0000000000000801"), FrameProblem::Length, "data field length", 4);
  EXPECT_FALSE(s.recoverable());
  expectBad(hex("0000000000000002"), FrameProblem::Length, "data field length", 4);
  // Within a listener's smaller maximum, refused too.
  Bytes f = hex(kFrames[0]);
  EXPECT_EQ(tryFrame(f, 64).scan, Scan::Frame);
  const Bytes big = wrapFrame(Bytes(100, 0x08));
  EXPECT_EQ(tryFrame(big, 64).problem, FrameProblem::Length);
}

TEST(TeltonikaBadInput, ACrcMismatchNamesBothValuesAndKeepsTheBoundary) {
  Bytes f = hex(kFrames[0]);
  f.back() ^= 0x01;
  const FrameScan s = expectBad(f, FrameProblem::Crc, "CRC", f.size() - 4);
  EXPECT_TRUE(s.recoverable());
  EXPECT_EQ(s.frameBytes, f.size());
  EXPECT_NE(s.error.expected.find("0x0000C7CF"), std::string::npos) << s.error.message();
  EXPECT_FALSE(s.avl.has_value());
  // The first two CRC bytes must be zero too.
  Bytes g = hex(kFrames[0]);
  g[g.size() - 4] = 0x01;
  expectBad(g, FrameProblem::Crc, "CRC", g.size() - 4);
  // A flipped data byte breaks the CRC as well.
  Bytes h = hex(kFrames[0]);
  h[20] ^= 0x40;
  expectBad(h, FrameProblem::Crc, "CRC", h.size() - 4);
}

TEST(TeltonikaBadInput, NumberOfData2DifferentFromNumberOfData1) {
  Bytes d = dataOf(hex(kFrames[0]));
  d.back() = 2;
  const Bytes f = wrapFrame(d);
  const FrameScan s = expectBad(f, FrameProblem::Content, "number of data 2", 8 + d.size() - 1);
  EXPECT_TRUE(s.recoverable());
  EXPECT_EQ(s.codec, kCodec8);
}

TEST(TeltonikaBadInput, ARecordCountOverTheFrame) {
  Bytes d = dataOf(hex(kFrames[0]));
  d[1] = 5;
  d.back() = 5;
  expectBad(wrapFrame(d), FrameProblem::Content, "number of data 1", 9);
  // Two records' worth of minimum size, but the second runs out of bytes mid-way.
  Bytes e = dataOf(hex(kFrames[1]));
  e[1] = 2;
  e.back() = 2;
  e.insert(e.end() - 1, 30, 0);  // passes the count check (2 x 38 bytes), then runs short
  const FrameScan s = tryFrame(wrapFrame(e));
  EXPECT_EQ(s.problem, FrameProblem::Content) << s.error.message();
  EXPECT_EQ(s.error.field.rfind("record 2 ", 0), 0u) << s.error.message();
}

TEST(TeltonikaBadInput, AnIoCountOverTheFrame) {
  Bytes d = dataOf(hex(kFrames[0]));
  // Codec 8: N8 count at offset 2+24+2+1+4+1+3+1+5 within the data field = 43.
  ASSERT_EQ(d[43], 1);
  d[43] = 3;
  const FrameScan s = tryFrame(wrapFrame(d));
  EXPECT_EQ(s.problem, FrameProblem::Content);
  EXPECT_EQ(s.error.field, "record 1 N8 element 2 of 3 id") << s.error.message();
  EXPECT_EQ(s.error.offset, 8u + 53) << s.error.message();
}

TEST(TeltonikaBadInput, AnNxValueLengthOverTheFrame) {
  RecordOut r;
  r.timestampMs = 1;
  r.io.push_back({256, Bytes(17, 'V')});
  auto d = encodeAvlData(kCodec8Extended, {r});
  ASSERT_TRUE(d.ok());
  Bytes data = *d;
  // NX length field: 2 bytes before the 17 value bytes, which end just before N2.
  const std::size_t lenAt = data.size() - 1 - 17 - 2;
  ASSERT_EQ(data[lenAt + 1], 17);
  data[lenAt] = 0x01;  // 273 bytes announced
  const FrameScan s = tryFrame(wrapFrame(data));
  EXPECT_EQ(s.problem, FrameProblem::Content);
  EXPECT_NE(s.error.field.find("NX element 1 of 1 value"), std::string::npos) << s.error.message();
  EXPECT_NE(s.error.expected.find("over the frame"), std::string::npos) << s.error.message();
  EXPECT_EQ(s.error.offset, 8 + lenAt + 2);
}

TEST(TeltonikaBadInput, TrailingBytesInTheDataField) {
  Bytes d = dataOf(hex(kFrames[0]));
  d.insert(d.end() - 1, {0xAA, 0xBB});
  const FrameScan s =
      expectBad(wrapFrame(d), FrameProblem::Content, "number of data 2", 8 + d.size() - 3);
  EXPECT_NE(s.error.expected.find("2 trailing bytes"), std::string::npos) << s.error.message();
}

TEST(TeltonikaBadInput, AnUnknownCodecIsDroppedWholeAndNamed) {
  const FrameScan s =
      expectBad(wrapFrame(hex("070000")), FrameProblem::UnknownCodec, "codec id", 8);
  EXPECT_TRUE(s.recoverable());
  EXPECT_EQ(s.codec, 0x07);
}

TEST(TeltonikaBadInput, Codec12SizesThatLie) {
  expectBad(wrapFrame(hex("0C010600000010414201")), FrameProblem::Content, "command size", 11);
  expectBad(wrapFrame(hex("0C01060000000241420101")), FrameProblem::Content, "quantity 2", 17);
  expectBad(wrapFrame(hex("0D0106000000024142FF01")), FrameProblem::Content, "command size", 11);
}

TEST(TeltonikaBadInput, ImeiThatIsNotFifteenDigits) {
  LoginScan s = tryLogin(hex("000E3335363330373034323434313031"));
  EXPECT_EQ(s.scan, Scan::Bad);
  EXPECT_EQ(s.error.field, "IMEI length");
  s = tryLogin(hex("000F3335363330373034323434313031"));  // 14 digits so far: wait
  EXPECT_EQ(s.scan, Scan::NeedMore);
  s = tryLogin(hex("000F33353633303730343234344130"));
  EXPECT_EQ(s.scan, Scan::Bad);
  EXPECT_EQ(s.error.field, "IMEI");
  EXPECT_EQ(s.error.offset, 13u);  // the 'A' is judged as soon as it arrives
  s = tryLogin(hex("0F"));
  EXPECT_EQ(s.scan, Scan::Bad);
}

TEST(TeltonikaBadInput, AnAvlFrameBeforeTheLoginIsRefused) {
  const LoginScan s = tryLogin(hex(kFrames[0]));
  EXPECT_EQ(s.scan, Scan::Bad);
  EXPECT_EQ(s.error.field, "IMEI length");
  EXPECT_NE(s.error.expected.find("before the login"), std::string::npos) << s.error.message();
}

TEST(TeltonikaBadInput, UdpDatagramsThatLie) {
  const Bytes good =
      hex("003DCAFE0105000F33353230393330383634303336353508010000016B4F815B300100000000000000000000"
          "000000"
          "00000103021503010101425DBC000001");
  ASSERT_TRUE(decodeUdp(good).ok());
  Bytes b = good;
  b[1] = 0x3E;  // length one more than the datagram holds
  EXPECT_EQ(decodeUdp(b).error().field, "length");
  b = good;
  b.pop_back();  // truncated: length no longer matches
  EXPECT_EQ(decodeUdp(b).error().field, "length");
  b = good;
  b[7] = 0x0E;
  EXPECT_EQ(decodeUdp(b).error().field, "IMEI length");
  b = good;
  b[10] = 'x';
  EXPECT_EQ(decodeUdp(b).error().field, "IMEI");
  EXPECT_EQ(decodeUdp(b).error().offset, 10u);
  b = good;
  b.back() = 2;  // N2 != N1 (UDP has no CRC to catch it)
  EXPECT_EQ(decodeUdp(b).error().field, "number of data 2");
  EXPECT_EQ(decodeUdp(b).error().offset, good.size() - 1);
  EXPECT_EQ(decodeUdp(hex("0003CAFE01")).error().field, "UDP header");
  const Bytes cmd = encodeUdp(1, 1, "352093086403655", hex("0C0106000000014101"));
  EXPECT_EQ(decodeUdp(cmd).error().field, "codec id");
}

}  // namespace
}  // namespace dcgw::codecs::teltonika
