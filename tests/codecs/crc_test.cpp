// The uplink frame's CRC-32 (ISO-HDLC, zlib's): check value, continuation, empty input.
#include <gtest/gtest.h>

#include <string_view>

#include "codecs/uplink/frame.hpp"

namespace dcgw::codecs::uplink {
namespace {

ByteView view(std::string_view s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

TEST(Crc32, MatchesTheCheckValueAndContinues) {
  EXPECT_EQ(crc32(view("123456789")), 0xCBF43926u);
  EXPECT_EQ(crc32(view("56789"), crc32(view("1234"))), 0xCBF43926u);
  EXPECT_EQ(crc32(ByteView{}), 0u);
  EXPECT_EQ(crc32(ByteView{}, 0xCBF43926u), 0xCBF43926u);
  const Bytes zeros(65536, 0);
  EXPECT_EQ(crc32(zeros), 0xD7978EEBu);
}

}  // namespace
}  // namespace dcgw::codecs::uplink
