// ByteReader/ByteWriter bounds and byte order; hex and base64 text forms.
#include <gtest/gtest.h>

#include "codecs/bytes.hpp"

namespace dcgw::codecs {
namespace {

TEST(ByteReader, ReadsEachByteOrder) {
  const Bytes b{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D};
  ByteReader r(b);
  std::uint16_t u16;
  std::uint32_t u32;
  ASSERT_TRUE(r.readU16BE(u16));
  EXPECT_EQ(u16, 0x0102);
  ASSERT_TRUE(r.readU16LE(u16));
  EXPECT_EQ(u16, 0x0403);
  ASSERT_TRUE(r.readU32BE(u32));
  EXPECT_EQ(u32, 0x05060708u);
  ASSERT_TRUE(r.readU24LE(u32));
  EXPECT_EQ(u32, 0x0B0A09u);
  EXPECT_EQ(r.position(), 11u);
  EXPECT_EQ(r.remaining(), 2u);
}

TEST(ByteReader, RefusesToReadPastTheEndAndKeepsPosition) {
  const Bytes b{0xFF, 0xFE, 0xFD};
  ByteReader r(b);
  std::uint32_t u32 = 7;
  EXPECT_FALSE(r.readU32BE(u32));
  EXPECT_EQ(u32, 7u);
  EXPECT_EQ(r.position(), 0u);
  std::int16_t i16;
  ASSERT_TRUE(r.readI16BE(i16));
  EXPECT_EQ(i16, -2);
  ByteView v;
  EXPECT_FALSE(r.readBytes(2, v));
  EXPECT_TRUE(r.readBytes(1, v));
  EXPECT_FALSE(r.skip(1));
  EXPECT_FALSE(r.seek(4));
}

TEST(ByteWriter, WritesEachByteOrder) {
  Bytes out;
  ByteWriter w(out);
  w.writeU16BE(0x0102);
  w.writeU16LE(0x0304);
  w.writeU24LE(0x050607);
  w.writeU32LE(0x08090A0B);
  w.writeI32BE(-2);
  EXPECT_EQ(toHex(out), "010204030706050b0a0908fffffffe");
}

TEST(Hex, RoundTripsAndReportsTheBadCharacter) {
  Bytes b;
  ASSERT_TRUE(fromHex("47 00 aB ff", b));
  EXPECT_EQ(toHex(b), "4700abff");
  EXPECT_EQ(toHex(b, true), "4700ABFF");
  std::size_t bad = 0;
  EXPECT_FALSE(fromHex("47x0", b, &bad));
  EXPECT_EQ(bad, 2u);
  EXPECT_FALSE(fromHex("470", b, &bad));
  EXPECT_EQ(bad, 2u);
}

TEST(Base64, MatchesRfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {{"", ""},
                                                       {"f", "Zg=="},
                                                       {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},
                                                       {"foob", "Zm9vYg=="},
                                                       {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : cases) {
    Bytes in(plain, plain + std::char_traits<char>::length(plain));
    EXPECT_EQ(toBase64(in), encoded);
    Bytes back;
    ASSERT_TRUE(fromBase64(encoded, back)) << encoded;
    EXPECT_EQ(back, in);
  }
  Bytes out;
  std::size_t bad = 0;
  EXPECT_FALSE(fromBase64("Zm9v!", out, &bad));
  EXPECT_EQ(bad, 4u);
  EXPECT_FALSE(fromBase64("Z", out));
  EXPECT_FALSE(fromBase64("Zg==Zg", out));
}

// The rules kept when decoding moved to OpenSSL, whose own decoders differ (EVP_DecodeBlock
// strips leading blanks and trailing '-' or control characters and counts padding as bytes;
// EVP_DecodeUpdate stops at '-').
TEST(Base64, KeepsItsOwnRulesOverOpenSsl) {
  Bytes out;
  std::size_t bad = 0;
  ASSERT_TRUE(fromBase64(" Zm9v\r\nYm Fy\t", out));
  EXPECT_EQ(out, (Bytes{'f', 'o', 'o', 'b', 'a', 'r'}));
  for (const char* same : {"Zg", "Zg=", "Zg==", "Zg===", "Zh==", " Zg = = "}) {
    ASSERT_TRUE(fromBase64(same, out)) << same;
    EXPECT_EQ(out, Bytes{'f'}) << same;
  }
  ASSERT_TRUE(fromBase64("Zm9v=", out));
  EXPECT_EQ(out.size(), 3u);
  ASSERT_TRUE(fromBase64("=", out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(fromBase64("Zm9v-", out, &bad));
  EXPECT_EQ(bad, 4u);
  EXPECT_FALSE(fromBase64("Zm9vY\x01", out, &bad));
  EXPECT_EQ(bad, 5u);
  EXPECT_FALSE(fromBase64("Z===", out, &bad));
  EXPECT_EQ(bad, 4u);
  EXPECT_FALSE(fromBase64("Zm9vY", out, &bad));
  EXPECT_EQ(bad, 5u);
  EXPECT_FALSE(fromBase64("Zg=g", out, &bad));
  EXPECT_EQ(bad, 3u);
  EXPECT_FALSE(fromBase64("Zm-9", out, &bad));
  EXPECT_EQ(bad, 2u);
  Bytes big(3 * 1000 + 1, 0xA5);
  ASSERT_TRUE(fromBase64(toBase64(big), out));
  EXPECT_EQ(out, big);
}

}  // namespace
}  // namespace dcgw::codecs
