// TimeReal and Datef (Annex 1B) conversions.
#include <gtest/gtest.h>

#include <cstring>

#include "codecs/timefmt.hpp"

namespace dcgw::codecs {
namespace {

TEST(TimeReal, FormatsAsIso8601Utc) {
  EXPECT_EQ(formatTimeReal(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatTimeReal(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(formatTimeReal(1795255199), "2026-11-21T09:59:59Z");
  EXPECT_EQ(formatTimeReal(0xFFFFFFFF), "2106-02-07T06:28:15Z");
}

TEST(TimeReal, ParsesWhatItFormats) {
  for (std::uint32_t t : {0u, 951782400u, 1795255199u, 0xFFFFFFFFu}) {
    auto back = parseTimeReal(formatTimeReal(t));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, t);
  }
  EXPECT_EQ(parseTimeReal("2026-11-21T09:59:59+00:00").value_or(0), 1795255199u);
}

TEST(TimeReal, RejectsMalformedOrOutOfRangeText) {
  EXPECT_FALSE(parseTimeReal("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(parseTimeReal("2026-11-21T24:00:00Z"));
  EXPECT_FALSE(parseTimeReal("2026-11-21T10:00:00+01:00"));
  EXPECT_FALSE(parseTimeReal("1969-12-31T23:59:59Z"));
  EXPECT_FALSE(parseTimeReal("2106-02-07T06:28:16Z"));
  EXPECT_FALSE(parseTimeReal("yesterday"));
}

TEST(Datef, DecodesBcd) {
  const std::uint8_t b[4] = {0x19, 0x84, 0x02, 0x29};
  CivilDate d{};
  ASSERT_TRUE(decodeDatefBcd(b, d));
  EXPECT_EQ(formatDate(d), "1984-02-29");
  std::uint8_t back[4];
  ASSERT_TRUE(parseDateToBcd("1984-02-29", back));
  EXPECT_EQ(0, std::memcmp(b, back, 4));
}

TEST(Datef, RejectsBadBcdAndImpossibleDates) {
  CivilDate d{};
  const std::uint8_t nibble[4] = {0x19, 0x8A, 0x01, 0x01};
  EXPECT_FALSE(decodeDatefBcd(nibble, d));
  const std::uint8_t month[4] = {0x20, 0x26, 0x13, 0x01};
  EXPECT_FALSE(decodeDatefBcd(month, d));
  const std::uint8_t feb29[4] = {0x20, 0x25, 0x02, 0x29};
  EXPECT_FALSE(decodeDatefBcd(feb29, d));
  const std::uint8_t none[4] = {0, 0, 0, 0};
  EXPECT_TRUE(decodeDatefBcd(none, d)) << "00000000 is 'no date'";
}

}  // namespace
}  // namespace dcgw::codecs
