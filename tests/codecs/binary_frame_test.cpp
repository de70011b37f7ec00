// Seed 004 section 3.4: the binary-mode frame and its replies.
#include <gtest/gtest.h>

#include "codecs/forwarding/binary_frame.hpp"
#include "codecs/forwarding/serial.hpp"

namespace dcgw::codecs {
namespace {

BinaryDataFrame sampleFrame() {
  BinaryDataFrame f;
  f.deviceSerialNumber = "12345678";
  f.vehicleRegistrationNumber = "AB12CDE";
  f.payload = {0x47, 0x02, 0x6A, 0x00, 0x00, 0x00, 0x01};
  f.customTags = "123456";
  return f;
}

// Seed 004 section 3.4, built by hand.
Bytes handBuiltFrame() {
  Bytes b = {0x55, 0xD7, 0x00, 8 + 13 + 1 + 7 + 1 + 6};
  for (char c : std::string("12345678")) b.push_back(static_cast<std::uint8_t>(c));
  for (char c : std::string("AB12CDE      ")) b.push_back(static_cast<std::uint8_t>(c));
  b.push_back(7);
  for (std::uint8_t x : {0x47, 0x02, 0x6A, 0x00, 0x00, 0x00, 0x01}) b.push_back(x);
  b.push_back(6);
  for (char c : std::string("123456")) b.push_back(static_cast<std::uint8_t>(c));
  unsigned sum = 0;
  for (auto x : b) sum += x;
  b.push_back(static_cast<std::uint8_t>(sum % 256));
  return b;
}

TEST(BinaryFrame, EncodesTheSection34Layout) {
  auto out = encodeBinaryDataFrame(sampleFrame());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(toHex(*out), toHex(handBuiltFrame()));
}

TEST(BinaryFrame, DecodesAWholeFrameAndConsumesExactlyIt) {
  Bytes buf = handBuiltFrame();
  buf.push_back(0x55);  // the start of the next frame
  auto r = decodeBinaryDataFrame(buf);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(r->complete);
  EXPECT_EQ(r->consumed, buf.size() - 1);
  EXPECT_EQ(r->frame.deviceSerialNumber, "12345678");
  EXPECT_EQ(r->frame.vehicleRegistrationNumber, "AB12CDE");
  EXPECT_EQ(toHex(r->frame.payload), "47026a00000001");
  EXPECT_EQ(r->frame.customTags, "123456");
}

TEST(BinaryFrame, WaitsForTheWholeFrameWithoutConsuming) {
  const Bytes whole = handBuiltFrame();
  for (std::size_t n = 0; n < whole.size(); ++n) {
    auto r = decodeBinaryDataFrame(ByteView(whole).subspan(0, n));
    ASSERT_TRUE(r.ok()) << n;
    EXPECT_FALSE(r->complete) << n;
    EXPECT_EQ(r->consumed, 0u);
  }
}

TEST(BinaryFrame, RejectsChecksumMismatch) {
  Bytes b = handBuiltFrame();
  b.back() ^= 0x01;
  auto r = decodeBinaryDataFrame(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "checksum");
  EXPECT_EQ(r.error().offset, b.size() - 1);
}

TEST(BinaryFrame, RejectsBadHeaderIdentifierAndLengths) {
  Bytes b = handBuiltFrame();
  b[0] = 0x56;
  EXPECT_EQ(decodeBinaryDataFrame(b).error().field, "header");
  b = handBuiltFrame();
  b[1] = 0xA0;
  EXPECT_EQ(decodeBinaryDataFrame(b).error().field, "identifier");
  b = handBuiltFrame();
  b[3] = 22;  // shorter than serial + registration + the two length bytes
  EXPECT_EQ(decodeBinaryDataFrame(b).error().field, "length");
  b = handBuiltFrame();
  b[2] = 0x03;  // 0x03xx: longer than any frame can be
  EXPECT_EQ(decodeBinaryDataFrame(b).error().field, "length");
  b = handBuiltFrame();
  b[25] = 200;  // payload length larger than the overall length allows
  EXPECT_EQ(decodeBinaryDataFrame(b).error().field, "payloadLength");
  b = handBuiltFrame();
  b[25] = 6;  // inner lengths no longer add up to the overall length
  EXPECT_EQ(decodeBinaryDataFrame(b).error().field, "customTagsLength");
}

TEST(BinaryFrame, RefusesWhatCannotBeFramed) {
  BinaryDataFrame f = sampleFrame();
  f.payload.assign(256, 0x47);
  auto r = encodeBinaryDataFrame(f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "payload");
  f = sampleFrame();
  f.payload.assign(255, 0x47);
  f.customTags.assign(255, 'x');
  auto max = encodeBinaryDataFrame(f);
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->size(), kBinaryMaxFrame);
  EXPECT_TRUE(decodeBinaryDataFrame(*max)->complete);
  f.customTags.assign(256, 'x');
  EXPECT_EQ(encodeBinaryDataFrame(f).error().field, "customTags");
  f = sampleFrame();
  f.customTags = "caf\xC3\xA9";
  EXPECT_EQ(encodeBinaryDataFrame(f).error().field, "customTags");
  f = sampleFrame();
  f.deviceSerialNumber = "123456789";
  EXPECT_EQ(encodeBinaryDataFrame(f).error().field, "deviceSerialNumber");
  f = sampleFrame();
  f.vehicleRegistrationNumber = "ABCDEFGHIJKLMN";
  EXPECT_EQ(encodeBinaryDataFrame(f).error().field, "vehicleRegistrationNumber");
}

TEST(BinaryReply, PositiveReplyIsTheSeedsFiveBytes) {
  EXPECT_EQ(toHex(encodeBinaryPositiveReply()), "55a00000f5");
  auto r = decodeBinaryReply(encodeBinaryPositiveReply());
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->complete);
  EXPECT_TRUE(r->frame.positive);
  EXPECT_EQ(r->consumed, 5u);
}

TEST(BinaryReply, NegativeReplyCarriesCodeAndMessage) {
  Bytes nak = encodeBinaryNegativeReply(0x0102, "busy");
  // 55 AE, length 6 (code + 4 characters), code, "busy", checksum.
  EXPECT_EQ(toHex(nak).substr(0, 16), "55ae000601026275");
  auto r = decodeBinaryReply(nak);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->complete);
  EXPECT_FALSE(r->frame.positive);
  EXPECT_EQ(r->frame.errorCode, 0x0102);
  EXPECT_EQ(r->frame.errorMessage, "busy");
  for (std::size_t n = 0; n < nak.size(); ++n)
    EXPECT_FALSE(decodeBinaryReply(ByteView(nak).subspan(0, n))->complete);
}

TEST(BinaryReply, RejectsMalformedReplies) {
  EXPECT_EQ(decodeBinaryReply(Bytes{0x55, 0xA0, 0x00, 0x00, 0xF4}).error().field, "checksum");
  EXPECT_EQ(decodeBinaryReply(Bytes{0x55, 0xA0, 0x00, 0x01, 0x00, 0xF6}).error().field, "length");
  EXPECT_EQ(decodeBinaryReply(Bytes{0x55, 0xAE, 0x00, 0x01, 0x00, 0x04}).error().field, "length");
  EXPECT_EQ(decodeBinaryReply(Bytes{0x55, 0xD7}).error().field, "identifier");
  EXPECT_EQ(decodeBinaryReply(Bytes{0xAA}).error().field, "header");
}

// Seed 004 section 3: the serial is 8 characters. A Teltonika IMEI goes out as its last 8
// digits (schema/teltonika.md 10.1) and then fits the binary frame; anything else as it is.
TEST(ForwardedSerial, AnImeiGoesOutAsItsLastEightDigitsAndOtherSerialsAsTheyAre) {
  EXPECT_EQ(forwarding::forwardedSerial("356307042441013"), "42441013");
  EXPECT_EQ(forwarding::forwardedSerial("12345678"), "12345678");
  EXPECT_EQ(forwarding::forwardedSerial("00000000"), "00000000");
  EXPECT_EQ(forwarding::forwardedSerial("35630704244101"), "35630704244101") << "14 digits";
  EXPECT_EQ(forwarding::forwardedSerial("35630704244101A"), "35630704244101A") << "not digits";
  BinaryDataFrame f = sampleFrame();
  f.deviceSerialNumber = forwarding::forwardedSerial("356307042441013");
  auto frame = encodeBinaryDataFrame(f);
  ASSERT_TRUE(frame) << frame.error().message();
  EXPECT_EQ(std::string(frame->begin() + 4, frame->begin() + 12), "42441013");
}

}  // namespace
}  // namespace dcgw::codecs
