// Conventional file names (seed 000, "Parsing tachograph data files"; schema/files.md "Names").
#include "codecs/ddd/naming.hpp"

#include <gtest/gtest.h>

namespace dcgw::codecs::ddd {
namespace {

constexpr std::int64_t k20240808_1228 = 1723120080;  // 2024-08-08T12:28:00 local
constexpr std::int64_t k20250801_1406 = 1754057160;  // 2025-08-01T14:06:00 local

ParsedFile driverCard(std::string surname, std::string firstNames, std::string number) {
  ParsedFile f;
  f.kind = FileKind::DriverCard;
  CardSummary c;
  c.cardNumber = std::move(number);
  c.surname = std::move(surname);
  c.firstNames = std::move(firstNames);
  c.issuingNationAlpha = "E";
  f.card = c;
  return f;
}

ParsedFile vehicleUnit(std::string registration, std::string vin, std::string nation) {
  ParsedFile f;
  f.kind = FileKind::VehicleUnit;
  VehicleUnitSummary v;
  v.registrationNumber = std::move(registration);
  v.vin = std::move(vin);
  v.registrationNationAlpha = std::move(nation);
  f.vu = v;
  return f;
}

// Seed 000: "C_20240808_1228_E_Smith1407_1200000000110200.DDD".
TEST(DddNaming, EuDriverCardAsTheSeedsExample) {
  auto f = driverCard("Smith1407", "Emma", "1200000000110200");
  EXPECT_EQ(conventionalName(f, NamingConvention::Eu, {k20240808_1228, "", ""}),
            "C_20240808_1228_E_Smith1407_1200000000110200.DDD");
}

// Seed 000: "M_20250801_1406_LT01STR_VINNUMBER00001001.DDD".
TEST(DddNaming, EuVehicleUnitAsTheSeedsExample) {
  auto f = vehicleUnit("LT01STR", "VINNUMBER00001001", "LT");
  EXPECT_EQ(conventionalName(f, NamingConvention::Eu, {k20250801_1406, "", ""}),
            "M_20250801_1406_LT01STR_VINNUMBER00001001.DDD");
}

// Seed 000: "FXX-NNN-ZZ2508011746.V1B" and ".C1B" (the registration, then YYMMDDHHMM).
TEST(DddNaming, FranceUsesTheRegistrationForBothKinds) {
  constexpr std::int64_t k20250801_1746 = 1754070360;
  auto vu = vehicleUnit("XX-NNN-ZZ", "VF1234567890ABCDE", "F");
  EXPECT_EQ(conventionalName(vu, NamingConvention::France, {k20250801_1746, "", ""}),
            "FXX-NNN-ZZ2508011746.V1B");
  auto card = driverCard("Martin", "Luc", "F100000012345600");
  EXPECT_EQ(conventionalName(card, NamingConvention::France, {k20250801_1746, "XX-NNN-ZZ", "F"}),
            "FXX-NNN-ZZ2508011746.C1B");
}

// Seed 000: "V_1234ABC_E_20250801_1745.TGD" and "C_1200000000110200_E_20250801_1745.TGD".
TEST(DddNaming, SpainPutsTheNationBeforeTheDate) {
  constexpr std::int64_t k20250801_1745 = 1754070300;
  auto vu = vehicleUnit("1234ABC", "VSS1234567890ABCD", "E");
  EXPECT_EQ(conventionalName(vu, NamingConvention::Spain, {k20250801_1745, "", ""}),
            "V_1234ABC_E_20250801_1745.TGD");
  auto card = driverCard("Garcia", "Ana", "1200000000110200");
  EXPECT_EQ(conventionalName(card, NamingConvention::Spain, {k20250801_1745, "", ""}),
            "C_1200000000110200_E_20250801_1745.TGD");
}

TEST(DddNaming, OddCharactersAreFoldedOrDropped) {
  auto f = driverCard("M\xC3\xBCller-L\xC3\xBC\x64\x65nscheid / \xC3\x98stergaard", "\xC3\x89lise",
                      "D 000/..\\001");
  EXPECT_EQ(conventionalName(f, NamingConvention::Eu, {k20240808_1228, "", ""}),
            "C_20240808_1228_E_Muller-LudenscheidOstergaard_D000001.DDD");
  // Greek has no ASCII folding here: the part is UNKNOWN, never empty.
  auto g = driverCard("\xCE\x91\xCE\xB8\xCE\xB1\xCE\xBD", "", "GR12");
  EXPECT_EQ(conventionalName(g, NamingConvention::Eu, {k20240808_1228, "", ""}),
            "C_20240808_1228_X_UNKNOWN_GR12.DDD");
  EXPECT_EQ(fileNameSafe("\xC3\x9F\xC5\x93\xC4\xB3"), "ssoeij");
  EXPECT_EQ(fileNameSafe("a\xFF\xC3"), "a");  // malformed UTF-8 is dropped
}

TEST(DddNaming, VehicleUnitWithoutRegistrationUsesTheDevicesAndUnknownFilesAreNamedToo) {
  auto f = vehicleUnit("", "", "");
  EXPECT_EQ(conventionalName(f, NamingConvention::Eu, {k20250801_1406, "AB 12 CD", ""}),
            "M_20250801_1406_AB12CD_UNKNOWN.DDD");
  ParsedFile unknown;
  EXPECT_EQ(conventionalName(unknown, NamingConvention::France, {k20250801_1406, "AB-12", ""}),
            "U_20250801_1406_AB-12.DDD");
}

TEST(DddNaming, ConventionNamesRoundTrip) {
  for (auto c : {NamingConvention::Eu, NamingConvention::France, NamingConvention::Spain})
    EXPECT_EQ(parseNamingConvention(namingConventionName(c)), c);
  EXPECT_FALSE(parseNamingConvention("de"));
}

}  // namespace
}  // namespace dcgw::codecs::ddd
