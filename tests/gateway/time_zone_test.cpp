// IANA zones from Debian's tzdata (gateway/common/time_zone.hpp): transitions in the file, the
// footer's POSIX rule after them, and refusals that name what was wrong.
#include "gateway/common/time_zone.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace dcgw::common {
namespace {

constexpr std::int64_t kMar30_2025_0059_59Z = 1743296399;  // one second before CEST begins
constexpr std::int64_t kAug01_2025Z = 1754006400;
constexpr std::int64_t kJan15_2025Z = 1736899200;
constexpr std::int64_t kJul01_2040Z = 2224713600;  // after the file's transitions (2037)
constexpr std::int64_t kDec01_2040Z = 2237932800;
constexpr std::int64_t kJan15_2040Z = 2210198400;

TimeZone zone(const char* name) {
  auto z = TimeZone::load(name);
  EXPECT_TRUE(z.ok()) << (z.ok() ? "" : z.error().message());
  return z.ok() ? *z : TimeZone::utc();
}

TEST(TimeZone, ParisFollowsDaylightSavingFromItsTransitions) {
  TimeZone paris = zone("Europe/Paris");
  EXPECT_EQ(paris.offsetAt(kJan15_2025Z), 3600);
  EXPECT_EQ(paris.offsetAt(kAug01_2025Z), 7200);
  EXPECT_EQ(paris.offsetAt(kMar30_2025_0059_59Z), 3600);
  EXPECT_EQ(paris.offsetAt(kMar30_2025_0059_59Z + 1), 7200);
}

TEST(TimeZone, FooterRuleHoldsAfterTheLastTransition) {
  TimeZone paris = zone("Europe/Paris");
  EXPECT_EQ(paris.offsetAt(kJul01_2040Z), 7200);
  EXPECT_EQ(paris.offsetAt(kDec01_2040Z), 3600);
  TimeZone sydney = zone("Australia/Sydney");  // southern hemisphere: DST spans the new year
  EXPECT_EQ(sydney.offsetAt(kJan15_2040Z), 39600);
  EXPECT_EQ(sydney.offsetAt(kJul01_2040Z), 36000);
  TimeZone ny = zone("America/New_York");
  EXPECT_EQ(ny.offsetAt(kJul01_2040Z), -14400);
  EXPECT_EQ(ny.offsetAt(kDec01_2040Z), -18000);
  EXPECT_EQ(zone("Asia/Kolkata").offsetAt(kJul01_2040Z), 19800);  // no DST, half hours
}

TEST(TimeZone, UtcNeedsNoFile) {
  auto z = TimeZone::load("UTC", "/nonexistent");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->offsetAt(kAug01_2025Z), 0);
}

TEST(TimeZone, RefusesPathsUnknownZonesAndOtherFiles) {
  for (const char* name : {"../etc/passwd", "/etc/passwd", "Europe/", "", "Euro pe/Paris"}) {
    auto z = TimeZone::load(name);
    ASSERT_FALSE(z.ok()) << name;
    EXPECT_NE(z.error().message().find("not a zone name"), std::string::npos) << name;
  }
  auto missing = TimeZone::load("Nowhere/Atlantis");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("'Nowhere/Atlantis': no such zone"), std::string::npos);
  const std::string dir = testing::TempDir();
  std::ofstream(dir + "/Fake", std::ios::binary) << "not a tz file at all, just text";
  auto fake = TimeZone::load("Fake", dir);
  ASSERT_FALSE(fake.ok());
  EXPECT_NE(fake.error().message().find("not a TZif file"), std::string::npos);
  // A real file cut in its middle.
  std::ifstream in("/usr/share/zoneinfo/Europe/Paris", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir + "/Cut", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  auto cut = TimeZone::load("Cut", dir);
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message().find("truncated"), std::string::npos);
}

}  // namespace
}  // namespace dcgw::common
