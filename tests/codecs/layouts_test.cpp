// Byte-layout tests for every packet of seed 004 sections 7-17: vectors are built by hand from the
// seed's tables (never by the encoder) and the rendered JSON is checked field by field.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "codecs/json.hpp"
#include "codecs/packets/packet.hpp"
#include "tests/support/vector.hpp"

namespace {

using dcgw::codecs::Bytes;
using dcgw::codecs::JsonValue;
using dcgw::testing::decodeToJson;
using dcgw::testing::intOf;
using dcgw::testing::isNull;
using dcgw::testing::numOf;
using dcgw::testing::strOf;
using dcgw::testing::Vec;
using namespace std::string_view_literals;

using Keys = std::vector<std::string>;

Keys keysOf(const JsonValue& o) {
  Keys keys;
  if (!o.isObject()) return keys;
  for (const auto& [k, v] : o.asObject()) keys.push_back(k);
  return keys;
}

// Every rendered member, in order: nothing missing, nothing extra (reserved bytes stay hidden).
void expectKeys(const JsonValue& j, const Keys& expected) {
  EXPECT_EQ(keysOf(j), expected);
}

// subtype: the integer, or nullopt when JSON must say null (0x4F, 0x53).
void expectHeader(const JsonValue& j, int type, std::optional<int> subtype, const char* name) {
  EXPECT_EQ(intOf(j, "type"), type);
  if (subtype) {
    EXPECT_EQ(intOf(j, "subtype"), *subtype);
  } else {
    EXPECT_TRUE(isNull(j, "subtype"));
  }
  EXPECT_EQ(strOf(j, "name"), name);
}

Keys withExtra(Keys keys) {
  keys.push_back("extraBytes");
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Section 7: Alerts

const Keys kAlertKeys = {"type",       "subtype",   "name",         "cardNumber",
                         "alertState", "alertType", "alertSubType", "alertDatetime",
                         "title",      "alert",     "p1",           "p2",
                         "p3",         "p4",        "p5",           "p6",
                         "p7",         "p8",        "p9",           "p10"};

// Seed 004 section 7
TEST(AlertsLayout, DecodesSection7WithNulSeparatedInfo) {
  const auto info =
      "Driving time\0"
      "Continuous driving limit exceeded\0"
      "J SMITH\0"
      "4h45"sv;
  Vec v(0x61, 0x00, 23);
  v.ascii(2, "DB07522834W000", 14)
      .u8(16, 1)
      .u8(17, 12)
      .u8(18, 3)
      .u32be(19, 1709626530)
      .ascii(23, info, info.size());
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x61, 0x00, "Alerts");
  expectKeys(j, kAlertKeys);
  EXPECT_EQ(strOf(j, "cardNumber"), "DB07522834W000");
  EXPECT_EQ(intOf(j, "alertState"), 1);
  EXPECT_EQ(intOf(j, "alertType"), 12);
  EXPECT_EQ(intOf(j, "alertSubType"), 3);
  EXPECT_EQ(strOf(j, "alertDatetime"), "2024-03-05T08:15:30Z");
  EXPECT_EQ(strOf(j, "title"), "Driving time");
  EXPECT_EQ(strOf(j, "alert"), "Continuous driving limit exceeded");
  EXPECT_EQ(strOf(j, "p1"), "J SMITH");
  EXPECT_EQ(strOf(j, "p2"), "4h45");
  for (const char* k : {"p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10"})
    EXPECT_TRUE(isNull(j, k)) << k;
}

// Seed 004 section 7
TEST(AlertsLayout, RendersAbsentInfoItemsAsNull) {
  // Not in the context of a driver: the card number is blank.
  Vec v(0x61, 0x00, 23);
  v.ascii(2, "", 14).u8(16, 0).u8(17, 40).u8(18, 0).u32be(19, 1709626530);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x61, 0x00, "Alerts");
  expectKeys(j, kAlertKeys);
  EXPECT_EQ(strOf(j, "cardNumber"), "");
  EXPECT_EQ(intOf(j, "alertState"), 0);
  EXPECT_EQ(intOf(j, "alertType"), 40);
  EXPECT_EQ(intOf(j, "alertSubType"), 0);
  EXPECT_EQ(strOf(j, "alertDatetime"), "2024-03-05T08:15:30Z");
  for (const char* k :
       {"title", "alert", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10"})
    EXPECT_TRUE(isNull(j, k)) << k;
}

// Seed 004 section 7
TEST(AlertsLayout, RendersBytesAfterTenthParameterAsExtraBytes) {
  const auto info =
      "Speeding\0"
      "Vehicle exceeded the speed limit\0"
      "AB12 CDE\0"
      "96\0"
      "90\0"
      "M6\0"
      "J19\0"
      "northbound\0"
      "2 min\0"
      "DB07522834W000\0"
      "J SMITH\0"
      "end\0"
      "\x01\x02\xfe"sv;
  Vec v(0x61, 0x00, 23);
  v.ascii(2, "DB07522834W000", 14)
      .u8(16, 2)
      .u8(17, 7)
      .u8(18, 1)
      .u32be(19, 1709626530)
      .ascii(23, info, info.size());
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x61, 0x00, "Alerts");
  expectKeys(j, withExtra(kAlertKeys));
  EXPECT_EQ(intOf(j, "alertState"), 2);
  EXPECT_EQ(strOf(j, "title"), "Speeding");
  EXPECT_EQ(strOf(j, "alert"), "Vehicle exceeded the speed limit");
  EXPECT_EQ(strOf(j, "p1"), "AB12 CDE");
  EXPECT_EQ(strOf(j, "p2"), "96");
  EXPECT_EQ(strOf(j, "p3"), "90");
  EXPECT_EQ(strOf(j, "p4"), "M6");
  EXPECT_EQ(strOf(j, "p5"), "J19");
  EXPECT_EQ(strOf(j, "p6"), "northbound");
  EXPECT_EQ(strOf(j, "p7"), "2 min");
  EXPECT_EQ(strOf(j, "p8"), "DB07522834W000");
  EXPECT_EQ(strOf(j, "p9"), "J SMITH");
  EXPECT_EQ(strOf(j, "p10"), "end");
  EXPECT_EQ(strOf(j, "extraBytes"), "0102fe");
}

// ---------------------------------------------------------------------------------------------
// Section 8: New Driver notification

const Keys kNewDriverKeys = {"type", "subtype", "name", "cardNumber", "surname", "firstNames"};

// Seed 004 section 8
TEST(NewDriverLayout, DecodesSection8) {
  Vec v(0x44, 0x00, 156);
  v.ascii(2, "DB07522834W000", 14).utf16(16, u"SMITH", 70).utf16(86, u"JOHN PAUL", 70);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x44, 0x00, "New Driver notification");
  expectKeys(j, kNewDriverKeys);
  EXPECT_EQ(strOf(j, "cardNumber"), "DB07522834W000");
  EXPECT_EQ(strOf(j, "surname"), "SMITH");
  EXPECT_EQ(strOf(j, "firstNames"), "JOHN PAUL");
}

// Seed 004 section 8
TEST(NewDriverLayout, DecodesNonAsciiUtf16Names) {
  Vec v(0x44, 0x00, 156);
  v.ascii(2, "D20000123456", 14).utf16(16, u"Müller", 70).utf16(86, u"Zoë Łucja", 70);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x44, 0x00, "New Driver notification");
  expectKeys(j, kNewDriverKeys);
  EXPECT_EQ(strOf(j, "cardNumber"), "D20000123456");  // space padding trimmed
  EXPECT_EQ(strOf(j, "surname"), "M\xC3\xBCller");
  EXPECT_EQ(strOf(j, "firstNames"), "Zo\xC3\xAB \xC5\x81ucja");
}

// Seed 004 section 8
TEST(NewDriverLayout, DecodesNameFillingAllThirtyFiveCodeUnits) {
  const std::u16string full = u"Ærøskøbing-Hernández-Wojciechowskaá";  // 35 code units, no pad
  ASSERT_EQ(full.size(), 35u);
  Vec v(0x44, 0x00, 156);
  v.ascii(2, "DB07522834W000", 14).utf16(16, full, 70).utf16(86, u"Ana", 70);
  auto j = decodeToJson(v.bytes());
  expectKeys(j, kNewDriverKeys);
  EXPECT_EQ(strOf(j, "surname"), "Ærøskøbing-Hernández-Wojciechowskaá");
  EXPECT_EQ(strOf(j, "firstNames"), "Ana");
}

// Seed 004 section 8
TEST(NewDriverLayout, RendersBytesAfterLayoutAsExtraBytes) {
  Vec v(0x44, 0x00, 158);
  v.ascii(2, "DB07522834W000", 14)
      .utf16(16, u"SMITH", 70)
      .utf16(86, u"JOHN", 70)
      .raw(156, {0xCA, 0xFE});
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x44, 0x00, "New Driver notification");
  expectKeys(j, withExtra(kNewDriverKeys));
  EXPECT_EQ(strOf(j, "surname"), "SMITH");
  EXPECT_EQ(strOf(j, "firstNames"), "JOHN");
  EXPECT_EQ(strOf(j, "extraBytes"), "cafe");
}

// ---------------------------------------------------------------------------------------------
// Section 9: File Summary

const Keys kDriverCardKeys = {"type",
                              "subtype",
                              "name",
                              "downloadDate",
                              "cardNumber",
                              "surname",
                              "firstNames",
                              "cardHolderBirthDate",
                              "cardValidBegin",
                              "cardExpiryDate",
                              "cardIssuingMemberStateAlpha",
                              "drivingLicenceNumber",
                              "activityStartDate",
                              "activityEndDate"};

Vec driverCardSummary() {
  Vec v(0x66, 0x00, 199);
  v.u32be(2, 1707730200)
      .ascii(6, "DB07522834W000", 14)
      .utf16(20, u"O'Brien", 70)
      .utf16(90, u"Seán Patrick", 70)
      .raw(160, {0x19, 0x78, 0x04, 0x23})
      .u32be(164, 1590969600)
      .u32be(168, 1748735999)
      .ascii(172, "UK", 3)
      .ascii(175, "OBRIE704238SP9XY", 16)
      .u32be(191, 1702512000)
      .u32be(195, 1707730125);
  return v;
}

// Seed 004 section 9.1
TEST(DriverCardSummaryLayout, DecodesSection9_1) {
  auto j = decodeToJson(driverCardSummary().bytes());
  expectHeader(j, 0x66, 0x00, "Driver Card File");
  expectKeys(j, kDriverCardKeys);
  EXPECT_EQ(strOf(j, "downloadDate"), "2024-02-12T09:30:00Z");
  EXPECT_EQ(strOf(j, "cardNumber"), "DB07522834W000");
  EXPECT_EQ(strOf(j, "surname"), "O'Brien");
  EXPECT_EQ(strOf(j, "firstNames"), "Se\xC3\xA1n Patrick");
  EXPECT_EQ(strOf(j, "cardHolderBirthDate"), "1978-04-23");
  EXPECT_EQ(strOf(j, "cardValidBegin"), "2020-06-01T00:00:00Z");
  EXPECT_EQ(strOf(j, "cardExpiryDate"), "2025-05-31T23:59:59Z");
  EXPECT_EQ(strOf(j, "cardIssuingMemberStateAlpha"), "UK");
  EXPECT_EQ(strOf(j, "drivingLicenceNumber"), "OBRIE704238SP9XY");
  EXPECT_EQ(strOf(j, "activityStartDate"), "2023-12-14T00:00:00Z");
  EXPECT_EQ(strOf(j, "activityEndDate"), "2024-02-12T09:28:45Z");
}

// Seed 004 section 9.1
TEST(DriverCardSummaryLayout, RendersZeroBirthDateAsNull) {
  Vec v = driverCardSummary();
  v.raw(160, {0x00, 0x00, 0x00, 0x00});
  auto j = decodeToJson(v.bytes());
  expectKeys(j, kDriverCardKeys);
  EXPECT_TRUE(isNull(j, "cardHolderBirthDate"));
  EXPECT_EQ(strOf(j, "cardValidBegin"), "2020-06-01T00:00:00Z");
}

// Seed 004 section 9.1
TEST(DriverCardSummaryLayout, RejectsBadBcdBirthDateAtOffset160) {
  Vec v = driverCardSummary();
  v.raw(160, {0x19, 0x7A, 0x04, 0x23});  // 0xA is not a decimal digit
  auto p = dcgw::codecs::decodePacket(v.bytes());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().field, "cardHolderBirthDate");
  EXPECT_EQ(p.error().offset, 160u);

  v.raw(160, {0x19, 0x78, 0x13, 0x01});  // valid BCD digits, but month 13
  auto q = dcgw::codecs::decodePacket(v.bytes());
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().field, "cardHolderBirthDate");
  EXPECT_EQ(q.error().offset, 160u);
}

// Seed 004 section 9.1
TEST(DriverCardSummaryLayout, RendersBytesAfterLayoutAsExtraBytes) {
  Vec v = driverCardSummary();
  v.raw(199, {0x00, 0x7F, 0x80});
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x66, 0x00, "Driver Card File");
  expectKeys(j, withExtra(kDriverCardKeys));
  EXPECT_EQ(strOf(j, "activityEndDate"), "2024-02-12T09:28:45Z");
  EXPECT_EQ(strOf(j, "extraBytes"), "007f80");
}

// Seed 004 section 9.2
TEST(WorkshopCardSummaryLayout, DecodesSection9_2) {
  Vec v(0x66, 0x01, 311);
  v.u32be(2, 1705759510)
      .ascii(6, "PL0000451B0031", 14)
      .utf16(20, u"Kowalski", 70)
      .utf16(90, u"Jan Paweł", 70)
      .u32be(160, 1693526400)
      .u32be(164, 1725148799)
      .ascii(168, "PL", 3)
      .utf16(171, u"Tacho-Serwis Łódź", 70)
      .utf16(241, u"ul. Piotrkowska 12, 90-001 Łódź", 70);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x66, 0x01, "Workshop Card File");
  expectKeys(j, {"type", "subtype", "name", "downloadDate", "cardNumber", "surname", "firstNames",
                 "cardValidBegin", "cardExpiryDate", "cardIssuingMemberStateAlpha", "workshopName",
                 "workshopAddress"});
  EXPECT_EQ(strOf(j, "downloadDate"), "2024-01-20T14:05:10Z");
  EXPECT_EQ(strOf(j, "cardNumber"), "PL0000451B0031");
  EXPECT_EQ(strOf(j, "surname"), "Kowalski");
  EXPECT_EQ(strOf(j, "firstNames"), "Jan Pawe\xC5\x82");
  EXPECT_EQ(strOf(j, "cardValidBegin"), "2023-09-01T00:00:00Z");
  EXPECT_EQ(strOf(j, "cardExpiryDate"), "2024-08-31T23:59:59Z");
  EXPECT_EQ(strOf(j, "cardIssuingMemberStateAlpha"), "PL");
  EXPECT_EQ(strOf(j, "workshopName"), "Tacho-Serwis \xC5\x81\xC3\xB3\x64\xC5\xBA");
  EXPECT_EQ(strOf(j, "workshopAddress"), "ul. Piotrkowska 12, 90-001 \xC5\x81\xC3\xB3\x64\xC5\xBA");
}

// Seed 004 section 9.3
TEST(VehicleUnitSummaryLayout, DecodesSection9_3) {
  Vec v(0x66, 0x02, 155);
  v.u32be(2, 1706769900)
      .ascii(6, "WDB9634031L738212", 17)
      .ascii(23, "D", 3)
      .utf16(26, u"B-MX 1234", 26)
      .utf16(52, u"Continental Automotive GmbH", 70)
      .ascii(122, "1381.2053100004", 16)
      .ascii(138, "0204", 4)
      .u8(142, 90)
      .u32be(143, 1760659200)
      .u32be(147, 1698969600)
      .u32be(151, 1706769840);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x66, 0x02, "Vehicle Unit File");
  expectKeys(
      j, {"type", "subtype", "name", "downloadDate", "vin", "vehicleRegistrationNationAlpha",
          "vehicleRegistrationNumber", "vuManufacturerName", "vuPartNumber", "vuSoftwareVersion",
          "authorisedSpeed", "nextCalibrationDate", "activityStartDate", "activityEndDate"});
  EXPECT_EQ(strOf(j, "downloadDate"), "2024-02-01T06:45:00Z");
  EXPECT_EQ(strOf(j, "vin"), "WDB9634031L738212");
  EXPECT_EQ(strOf(j, "vehicleRegistrationNationAlpha"), "D");
  EXPECT_EQ(strOf(j, "vehicleRegistrationNumber"), "B-MX 1234");
  EXPECT_EQ(strOf(j, "vuManufacturerName"), "Continental Automotive GmbH");
  EXPECT_EQ(strOf(j, "vuPartNumber"), "1381.2053100004");
  EXPECT_EQ(strOf(j, "vuSoftwareVersion"), "0204");
  EXPECT_EQ(intOf(j, "authorisedSpeed"), 90);
  EXPECT_EQ(strOf(j, "nextCalibrationDate"), "2025-10-17T00:00:00Z");
  EXPECT_EQ(strOf(j, "activityStartDate"), "2023-11-03T00:00:00Z");
  EXPECT_EQ(strOf(j, "activityEndDate"), "2024-02-01T06:44:00Z");
}

// ---------------------------------------------------------------------------------------------
// Section 10: Time source comparison

const Keys kTimeSourceKeys = {"type", "subtype", "name", "timeSource", "source", "utc"};

// Seed 004 section 10
TEST(TimeSourceLayout, DecodesSection10) {
  Vec v(0x49, 0x00, 11);
  v.u32be(2, 1712026858).u8(6, 1).u32be(7, 1712026860);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x49, 0x00, "Time source comparison");
  expectKeys(j, kTimeSourceKeys);
  EXPECT_EQ(strOf(j, "timeSource"), "2024-04-02T03:00:58Z");
  EXPECT_EQ(intOf(j, "source"), 1);
  EXPECT_EQ(strOf(j, "utc"), "2024-04-02T03:01:00Z");
}

// Seed 004 section 10
TEST(TimeSourceLayout, RendersBytesAfterLayoutAsExtraBytes) {
  Vec v(0x49, 0x00, 12);
  v.u32be(2, 1712026858).u8(6, 2).u32be(7, 1712026860).u8(11, 0x0B);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x49, 0x00, "Time source comparison");
  expectKeys(j, withExtra(kTimeSourceKeys));
  EXPECT_EQ(intOf(j, "source"), 2);
  EXPECT_EQ(strOf(j, "utc"), "2024-04-02T03:01:00Z");
  EXPECT_EQ(strOf(j, "extraBytes"), "0b");
}

// ---------------------------------------------------------------------------------------------
// Section 11: Clocking

const Keys kClockingOriginalKeys = {"type",
                                    "subtype",
                                    "name",
                                    "dateTime",
                                    "cardNumber",
                                    "drivingLicenceNumber",
                                    "clockState",
                                    "recordedRest",
                                    "recordedAvailable",
                                    "recordedWork",
                                    "recordedDrive",
                                    "adjustedRest",
                                    "adjustedAvailable",
                                    "adjustedWork",
                                    "adjustedDrive"};

Vec clockingOriginal(std::size_t length) {
  Vec v(0x6B, 0x00, length);
  v.u32be(2, 1715362320)
      .ascii(6, "DB07522834W000", 14)
      .ascii(20, "SMITH701234JD9AB", 16)
      .u8(36, 1)
      .u16be(37, 612)
      .u16be(39, 25)
      .u16be(41, 95)
      .u16be(43, 518)
      .u16be(45, 600)
      .u16be(47, 30)
      .u16be(49, 100)
      .u16be(51, 520);
  return v;
}

// Seed 004 section 11.1
TEST(ClockingLayout, DecodesSection11_1OriginalDigipostpro) {
  auto j = decodeToJson(clockingOriginal(53).bytes());
  expectHeader(j, 0x6B, 0x00, "Clocking");
  expectKeys(j, kClockingOriginalKeys);
  // Note 1: the original digipostpro's local time, rendered as the TimeReal it carries.
  EXPECT_EQ(strOf(j, "dateTime"), "2024-05-10T17:32:00Z");
  EXPECT_EQ(strOf(j, "cardNumber"), "DB07522834W000");
  EXPECT_EQ(strOf(j, "drivingLicenceNumber"), "SMITH701234JD9AB");
  EXPECT_EQ(intOf(j, "clockState"), 1);
  EXPECT_EQ(intOf(j, "recordedRest"), 612);
  EXPECT_EQ(intOf(j, "recordedAvailable"), 25);
  EXPECT_EQ(intOf(j, "recordedWork"), 95);
  EXPECT_EQ(intOf(j, "recordedDrive"), 518);
  EXPECT_EQ(intOf(j, "adjustedRest"), 600);
  EXPECT_EQ(intOf(j, "adjustedAvailable"), 30);
  EXPECT_EQ(intOf(j, "adjustedWork"), 100);
  EXPECT_EQ(intOf(j, "adjustedDrive"), 520);
}

// Seed 004 section 11.2
TEST(ClockingLayout, DecodesSection11_2NewDigipostproWithoutReservedBytes) {
  Vec v(0x6B, 0x01, 194);
  v.u32be(2, 1715342475)
      .ascii(6, "CLK0000001234", 14)
      .ascii(20, "EMP-004512", 16)
      .u8(36, 3)
      .raw(37, {0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
                0xAA, 0xAA})
      .u8(53, 0)
      .utf16(54, u"Müller", 70)
      .utf16(124, u"Jürgen", 70);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x6B, 0x01, "Clocking");
  expectKeys(j, {"type", "subtype", "name", "dateTime", "cardNumber", "userReference", "clockState",
                 "fingerprintState", "surname", "firstNames"});
  EXPECT_EQ(strOf(j, "dateTime"), "2024-05-10T12:01:15Z");
  EXPECT_EQ(strOf(j, "cardNumber"), "CLK0000001234");
  EXPECT_EQ(strOf(j, "userReference"), "EMP-004512");
  EXPECT_EQ(intOf(j, "clockState"), 3);
  EXPECT_EQ(intOf(j, "fingerprintState"), 0);
  EXPECT_EQ(strOf(j, "surname"), "M\xC3\xBCller");
  EXPECT_EQ(strOf(j, "firstNames"), "J\xC3\xBCrgen");
}

// Seed 004 section 11.1
TEST(ClockingLayout, RendersBytesAfterLayoutAsExtraBytes) {
  Vec v = clockingOriginal(55);
  v.raw(53, {0x12, 0x34});
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x6B, 0x00, "Clocking");
  expectKeys(j, withExtra(kClockingOriginalKeys));
  EXPECT_EQ(intOf(j, "adjustedDrive"), 520);
  EXPECT_EQ(strOf(j, "extraBytes"), "1234");
}

// ---------------------------------------------------------------------------------------------
// Section 12: Tracking

const Keys kTrackingShortKeys = {"type",
                                 "subtype",
                                 "name",
                                 "dateTime",
                                 "latitude",
                                 "longitude",
                                 "altitude",
                                 "speed",
                                 "heading",
                                 "maxSpeed",
                                 "minimumAcceleration",
                                 "maximumAcceleration",
                                 "duration",
                                 "distance"};

Keys trackingFullKeys() {
  Keys k = kTrackingShortKeys;
  k.push_back("satellites");
  k.push_back("gpsDateTime");
  return k;
}

Vec trackingWithTrailer(std::size_t length) {
  Vec v(0x47, 0x00, length);
  v.u32be(2, 1718707325)
      .i32be(6, 30912345)  // 51.520575 N
      .i32be(10, -740700)  // 1.2345 W
      .i16be(14, 112)
      .i16be(16, 523)
      .i16be(18, 2705)
      .raw(20, {0xBE, 0xEF})  // reserved
      .i16be(22, 2712)
      .i16be(24, -185)
      .i16be(26, 142)
      .u16be(28, 60)
      .u32be(30, 162550)
      .u8(34, 9)
      .u8(35, 0x5A)  // reserved
      .u32be(36, 1718707324);
  return v;
}

// Seed 004 section 12
TEST(TrackingLayout, DecodesSection12WithGpsTrailer) {
  auto j = decodeToJson(trackingWithTrailer(40).bytes());
  expectHeader(j, 0x47, 0x00, "Tracking");
  expectKeys(j, trackingFullKeys());
  EXPECT_EQ(strOf(j, "dateTime"), "2024-06-18T10:42:05Z");
  EXPECT_DOUBLE_EQ(numOf(j, "latitude"), 51.520575);
  EXPECT_DOUBLE_EQ(numOf(j, "longitude"), -1.2345);
  EXPECT_EQ(intOf(j, "altitude"), 112);
  EXPECT_DOUBLE_EQ(numOf(j, "speed"), 52.3);
  EXPECT_DOUBLE_EQ(numOf(j, "heading"), 270.5);
  EXPECT_DOUBLE_EQ(numOf(j, "maxSpeed"), 27.12);
  EXPECT_DOUBLE_EQ(numOf(j, "minimumAcceleration"), -1.85);
  EXPECT_DOUBLE_EQ(numOf(j, "maximumAcceleration"), 1.42);
  EXPECT_EQ(intOf(j, "duration"), 60);
  EXPECT_DOUBLE_EQ(numOf(j, "distance"), 1625.5);
  EXPECT_EQ(intOf(j, "satellites"), 9);
  EXPECT_EQ(strOf(j, "gpsDateTime"), "2024-06-18T10:42:04Z");
}

// Seed 004 section 12
TEST(TrackingLayout, DecodesSection12DigiDlFormWithoutBytes34To39) {
  Vec v(0x47, 0x00, 34);
  v.u32be(2, 1718708400)
      .i32be(6, -20321280)  // 33.8688 S
      .i32be(10, 90725580)  // 151.2093 E
      .i16be(14, -3)
      .i16be(16, 0)
      .i16be(18, 3599)
      .i16be(22, 0)
      .i16be(24, 0)
      .i16be(26, 0)
      .u16be(28, 3600)
      .u32be(30, 0);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x47, 0x00, "Tracking");
  expectKeys(j, kTrackingShortKeys);  // no satellites, no gpsDateTime
  EXPECT_EQ(strOf(j, "dateTime"), "2024-06-18T11:00:00Z");
  EXPECT_DOUBLE_EQ(numOf(j, "latitude"), -33.8688);
  EXPECT_DOUBLE_EQ(numOf(j, "longitude"), 151.2093);
  EXPECT_EQ(intOf(j, "altitude"), -3);
  EXPECT_DOUBLE_EQ(numOf(j, "speed"), 0.0);
  EXPECT_DOUBLE_EQ(numOf(j, "heading"), 359.9);
  EXPECT_DOUBLE_EQ(numOf(j, "maxSpeed"), 0.0);
  EXPECT_DOUBLE_EQ(numOf(j, "minimumAcceleration"), 0.0);
  EXPECT_DOUBLE_EQ(numOf(j, "maximumAcceleration"), 0.0);
  EXPECT_EQ(intOf(j, "duration"), 3600);
  EXPECT_DOUBLE_EQ(numOf(j, "distance"), 0.0);
}

// Seed 004 section 12
TEST(TrackingLayout, RejectsPacketShorterThanDigiDlForm) {
  Vec v(0x47, 0x00, 33);
  auto p = dcgw::codecs::decodePacket(v.bytes());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().field, "distance");
  EXPECT_EQ(p.error().offset, 30u);
}

// Seed 004 section 12
TEST(TrackingLayout, RendersBytesAfterGpsTrailerAsExtraBytes) {
  Vec v = trackingWithTrailer(43);
  v.raw(40, {0x01, 0xA0, 0xFF});
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x47, 0x00, "Tracking");
  expectKeys(j, withExtra(trackingFullKeys()));
  EXPECT_EQ(intOf(j, "satellites"), 9);
  EXPECT_EQ(strOf(j, "gpsDateTime"), "2024-06-18T10:42:04Z");
  EXPECT_EQ(strOf(j, "extraBytes"), "01a0ff");
}

// Seed 004 section 12.1
TEST(PositionalUpdateLayout, DecodesSection12_1) {
  Vec v(0x47, 0x01, 24);
  v.u32be(2, 1718724030)
      .i32be(6, 30857400)  // 51.429 N
      .i32be(10, -60000)   // 0.1 W
      .i16be(14, 35)
      .i16be(16, 148)
      .i16be(18, 895)
      .u32be(20, 1718724029);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x47, 0x01, "Positional update");
  expectKeys(j, {"type", "subtype", "name", "dateTime", "latitude", "longitude", "altitude",
                 "speed", "heading", "gpsDateTime"});
  EXPECT_EQ(strOf(j, "dateTime"), "2024-06-18T15:20:30Z");
  EXPECT_DOUBLE_EQ(numOf(j, "latitude"), 51.429);
  EXPECT_DOUBLE_EQ(numOf(j, "longitude"), -0.1);
  EXPECT_EQ(intOf(j, "altitude"), 35);
  EXPECT_DOUBLE_EQ(numOf(j, "speed"), 14.8);
  EXPECT_DOUBLE_EQ(numOf(j, "heading"), 89.5);
  EXPECT_EQ(strOf(j, "gpsDateTime"), "2024-06-18T15:20:29Z");
}

// Seed 004 section 12.2
TEST(TrackingSuppressionLayout, DecodesSection12_2) {
  Vec v(0x47, 0x02, 7);
  v.u32be(2, 1718726700).u8(6, 1);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x47, 0x02, "Tracking suppression");
  expectKeys(j, {"type", "subtype", "name", "dateTime", "activated"});
  EXPECT_EQ(strOf(j, "dateTime"), "2024-06-18T16:05:00Z");
  EXPECT_EQ(intOf(j, "activated"), 1);
}

// ---------------------------------------------------------------------------------------------
// Section 13: Tachograph mode

const Keys kTachographModeKeys = {
    "type",      "subtype",         "name",      "activityStart", "slot1CardNumber",
    "slot1Mode", "slot2CardNumber", "slot2Mode", "odometer"};

Vec tachographMode(std::uint8_t type, std::size_t length) {
  Vec v(type, 0x00, length);
  v.u32be(2, 1719812880)
      .ascii(6, "DB07522834W000", 14)
      .u8(20, 3)  // driving
      .ascii(21, "DB09876543Z001", 14)
      .u8(35, 1)  // availability
      .u32be(36, 82469134);
  return v;
}

// Seed 004 section 13
TEST(TachographModeLayout, DecodesSection13WithType4D) {
  auto j = decodeToJson(tachographMode(0x4D, 40).bytes());
  expectHeader(j, 0x4D, 0x00, "Tachograph mode");
  expectKeys(j, kTachographModeKeys);
  EXPECT_EQ(strOf(j, "activityStart"), "2024-07-01T05:48:00Z");
  EXPECT_EQ(strOf(j, "slot1CardNumber"), "DB07522834W000");
  EXPECT_EQ(intOf(j, "slot1Mode"), 3);
  EXPECT_EQ(strOf(j, "slot2CardNumber"), "DB09876543Z001");
  EXPECT_EQ(intOf(j, "slot2Mode"), 1);
  EXPECT_DOUBLE_EQ(numOf(j, "odometer"), 412345.67);
}

// Seed 004 section 13
TEST(TachographModeLayout, DecodesSection13WithType6DLikeType4D) {
  Vec v = tachographMode(0x6D, 40);
  v.ascii(21, "", 14).u8(35, 0);  // no co-driver card
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x6D, 0x00, "Tachograph mode");
  expectKeys(j, kTachographModeKeys);
  EXPECT_EQ(strOf(j, "activityStart"), "2024-07-01T05:48:00Z");
  EXPECT_EQ(strOf(j, "slot1CardNumber"), "DB07522834W000");
  EXPECT_EQ(intOf(j, "slot1Mode"), 3);
  EXPECT_EQ(strOf(j, "slot2CardNumber"), "");
  EXPECT_EQ(intOf(j, "slot2Mode"), 0);
  EXPECT_DOUBLE_EQ(numOf(j, "odometer"), 412345.67);
}

// Seed 004 section 13
TEST(TachographModeLayout, RendersBytesAfterLayoutAsExtraBytes) {
  Vec v = tachographMode(0x4D, 41);
  v.u8(40, 0x99);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x4D, 0x00, "Tachograph mode");
  expectKeys(j, withExtra(kTachographModeKeys));
  EXPECT_DOUBLE_EQ(numOf(j, "odometer"), 412345.67);
  EXPECT_EQ(strOf(j, "extraBytes"), "99");
}

// ---------------------------------------------------------------------------------------------
// Section 14: Driver Decision Support

const Keys kStoneridgeKeys = {"type",
                              "subtype",
                              "name",
                              "dateTime",
                              "cardNumber",
                              "mode",
                              "duration",
                              "timeRelatedStates",
                              "timeRelatedStatesDescription",
                              "timeRelatedStatesLevel",
                              "continuousDrive",
                              "dailyDrive",
                              "weeklyDrive",
                              "twoWeekDrive",
                              "cumulativeBreak",
                              "cumulativeRest",
                              "timeLeftUntilNextDailyRest",
                              "timeLeftUntilNextWeeklyRest",
                              "minimumDurationOfNextDailyRest",
                              "minimumDurationOfNextWeeklyRest",
                              "maximumDailyDrive",
                              "extendedDriveUsed",
                              "reducedRestUsed",
                              "workingTimeDaily",
                              "workingTimeWeekly",
                              "workingTimeBreak"};

Vec stoneridgeDuo(std::size_t length) {
  Vec v(0x4D, 0x02, length);
  v.u32be(2, 1719825300)
      .ascii(6, "DB07522834W000", 14)
      .u8(20, 3)
      .u16be(21, 135)
      .u8(23, 1)
      .u16be(24, 250)
      .u16be(26, 380)
      .u16be(28, 2410)
      .u16be(30, 4380)
      .u16be(32, 30)
      .u16be(34, 0xFFFF)  // cumulative rest unavailable
      .u16be(36, 212)
      .u16be(38, 3120)
      .u16be(40, 540)
      .u16be(42, 1440)
      .u8(44, 10)
      .u8(45, 1)
      .u8(46, 0xFF)  // reduced rests used unavailable
      .u16be(47, 480)
      .u16be(49, 2650)
      .u16be(51, 45);
  return v;
}

// Seed 004 section 14.1
TEST(StoneridgeDuoLayout, DecodesSection14_1WithNullValues) {
  auto j = decodeToJson(stoneridgeDuo(53).bytes());
  expectHeader(j, 0x4D, 0x02, "Stoneridge Duo");
  expectKeys(j, kStoneridgeKeys);
  EXPECT_EQ(strOf(j, "dateTime"), "2024-07-01T09:15:00Z");
  EXPECT_EQ(strOf(j, "cardNumber"), "DB07522834W000");
  EXPECT_EQ(intOf(j, "mode"), 3);
  EXPECT_EQ(intOf(j, "duration"), 135);
  EXPECT_EQ(intOf(j, "timeRelatedStates"), 1);
  EXPECT_EQ(strOf(j, "timeRelatedStatesDescription"),
            "Continuous driving time pre-warning active (15 min before 4h30)");
  EXPECT_EQ(intOf(j, "timeRelatedStatesLevel"), 1);
  EXPECT_EQ(intOf(j, "continuousDrive"), 250);
  EXPECT_EQ(intOf(j, "dailyDrive"), 380);
  EXPECT_EQ(intOf(j, "weeklyDrive"), 2410);
  EXPECT_EQ(intOf(j, "twoWeekDrive"), 4380);
  EXPECT_EQ(intOf(j, "cumulativeBreak"), 30);
  EXPECT_TRUE(isNull(j, "cumulativeRest"));
  EXPECT_EQ(intOf(j, "timeLeftUntilNextDailyRest"), 212);
  EXPECT_EQ(intOf(j, "timeLeftUntilNextWeeklyRest"), 3120);
  EXPECT_EQ(intOf(j, "minimumDurationOfNextDailyRest"), 540);
  EXPECT_EQ(intOf(j, "minimumDurationOfNextWeeklyRest"), 1440);
  EXPECT_EQ(intOf(j, "maximumDailyDrive"), 10);
  EXPECT_EQ(intOf(j, "extendedDriveUsed"), 1);
  EXPECT_TRUE(isNull(j, "reducedRestUsed"));
  EXPECT_EQ(intOf(j, "workingTimeDaily"), 480);
  EXPECT_EQ(intOf(j, "workingTimeWeekly"), 2650);
  EXPECT_EQ(intOf(j, "workingTimeBreak"), 45);
}

// Seed 004 section 14.1
TEST(StoneridgeDuoLayout, RendersBytesAfterLayoutAsExtraBytes) {
  Vec v = stoneridgeDuo(55);
  v.raw(53, {0x00, 0x3C});
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x4D, 0x02, "Stoneridge Duo");
  expectKeys(j, withExtra(kStoneridgeKeys));
  EXPECT_EQ(intOf(j, "workingTimeBreak"), 45);
  EXPECT_EQ(strOf(j, "extraBytes"), "003c");
}

const Keys kVdoKeys = {"type",
                       "subtype",
                       "name",
                       "dateTime",
                       "cardNumber",
                       "mode",
                       "duration",
                       "timeRelatedStates",
                       "timeRelatedStatesDescription",
                       "timeRelatedStatesLevel",
                       "continuousDrive",
                       "dailyDrive",
                       "weeklyDrive",
                       "twoWeekDrive",
                       "cumulativeBreak",
                       "remainingDrive",
                       "timeLeftUntilNextRestPeriod",
                       "durationOfNextBreakRest",
                       "remainingBreakRest",
                       "timeLeftUntilNextDrivingPeriod",
                       "maximumDurationOfNextDrivingPeriod",
                       "remainingDailyDrive",
                       "timeLeftUntilNextDailyRest",
                       "minimumDurationOfNextDailyRest",
                       "remainingWeeklyDrive",
                       "timeLeftUntilNextWeeklyRest",
                       "minimumDurationOfNextWeeklyRest",
                       "bitMask",
                       "reducedRestAvailable",
                       "extendedDriveAvailable"};

Vec vdoCounter(std::uint16_t bitMask) {
  Vec v(0x4D, 0x03, 60);
  v.u32be(2, 1719825360)
      .ascii(6, "DB07522834W000", 14)
      .u8(20, 3)
      .u16be(21, 95)
      .u8(23, 2)
      .u16be(24, 272)
      .u16be(26, 0xFFFF)  // note 5: not output by some models
      .u16be(28, 0xFFFF)
      .u16be(30, 3900)
      .u16be(32, 15)
      .u16be(34, 0)
      .u16be(36, 0)
      .u16be(38, 30)
      .u16be(40, 30)
      .u16be(42, 30)
      .u16be(44, 270)
      .u16be(46, 208)
      .u16be(48, 331)
      .u16be(50, 540)
      .u16be(52, 1890)
      .u16be(54, 5012)
      .u16be(56, 2700)
      .u16be(58, bitMask);
  return v;
}

// Seed 004 section 14.2
TEST(VdoCounterLayout, DecodesSection14_2WithBitMask) {
  // uuuu uuuu uuur rudd: 0000 0000 0000 1010 -> one reduced rest, two extended drives.
  auto j = decodeToJson(vdoCounter(0x000A).bytes());
  expectHeader(j, 0x4D, 0x03, "VDO Counter");
  expectKeys(j, kVdoKeys);
  EXPECT_EQ(strOf(j, "dateTime"), "2024-07-01T09:16:00Z");
  EXPECT_EQ(strOf(j, "cardNumber"), "DB07522834W000");
  EXPECT_EQ(intOf(j, "mode"), 3);
  EXPECT_EQ(intOf(j, "duration"), 95);
  EXPECT_EQ(intOf(j, "timeRelatedStates"), 2);
  EXPECT_EQ(strOf(j, "timeRelatedStatesDescription"),
            "Continuous driving time warning active (4h30 exceeded)");
  EXPECT_EQ(intOf(j, "timeRelatedStatesLevel"), 2);
  EXPECT_EQ(intOf(j, "continuousDrive"), 272);
  EXPECT_TRUE(isNull(j, "dailyDrive"));
  EXPECT_TRUE(isNull(j, "weeklyDrive"));
  EXPECT_EQ(intOf(j, "twoWeekDrive"), 3900);
  EXPECT_EQ(intOf(j, "cumulativeBreak"), 15);
  EXPECT_EQ(intOf(j, "remainingDrive"), 0);
  EXPECT_EQ(intOf(j, "timeLeftUntilNextRestPeriod"), 0);
  EXPECT_EQ(intOf(j, "durationOfNextBreakRest"), 30);
  EXPECT_EQ(intOf(j, "remainingBreakRest"), 30);
  EXPECT_EQ(intOf(j, "timeLeftUntilNextDrivingPeriod"), 30);
  EXPECT_EQ(intOf(j, "maximumDurationOfNextDrivingPeriod"), 270);
  EXPECT_EQ(intOf(j, "remainingDailyDrive"), 208);
  EXPECT_EQ(intOf(j, "timeLeftUntilNextDailyRest"), 331);
  EXPECT_EQ(intOf(j, "minimumDurationOfNextDailyRest"), 540);
  EXPECT_EQ(intOf(j, "remainingWeeklyDrive"), 1890);
  EXPECT_EQ(intOf(j, "timeLeftUntilNextWeeklyRest"), 5012);
  EXPECT_EQ(intOf(j, "minimumDurationOfNextWeeklyRest"), 2700);
  EXPECT_EQ(intOf(j, "bitMask"), 0x000A);
  EXPECT_EQ(intOf(j, "reducedRestAvailable"), (0x000A >> 3) & 3);
  EXPECT_EQ(intOf(j, "reducedRestAvailable"), 1);
  EXPECT_EQ(intOf(j, "extendedDriveAvailable"), 0x000A & 3);
  EXPECT_EQ(intOf(j, "extendedDriveAvailable"), 2);
}

// Seed 004 section 14.2
TEST(VdoCounterLayout, BitMaskIgnoresUnusedBits) {
  // 1111 1111 1110 0101: every u bit set, r = 00, d = 01.
  auto j = decodeToJson(vdoCounter(0xFFE5).bytes());
  expectKeys(j, kVdoKeys);
  EXPECT_EQ(intOf(j, "bitMask"), 0xFFE5);
  EXPECT_EQ(intOf(j, "reducedRestAvailable"), 0);
  EXPECT_EQ(intOf(j, "extendedDriveAvailable"), 1);
  // r = 11, d = 00.
  auto k = decodeToJson(vdoCounter(0x0018).bytes());
  EXPECT_EQ(intOf(k, "reducedRestAvailable"), 3);
  EXPECT_EQ(intOf(k, "extendedDriveAvailable"), 0);
}

// Seed 004 section 14.3 (subtype 0x04 per the section 4 table, see DESIGN.md)
TEST(IntellicICounterLayout, DecodesSection14_3AsSubtype04WithNullValues) {
  Vec v(0x4D, 0x04, 43);
  v.u32be(2, 1719825420)
      .ascii(6, "DB07522834W000", 14)
      .u8(20, 2)
      .u16be(21, 12)
      .u8(23, 0)
      .u16be(24, 130)
      .u16be(26, 300)
      .u16be(28, 1500)
      .u16be(30, 3300)
      .u16be(32, 45)
      .u16be(34, 420)
      .u16be(36, 0xFFFF)  // unavailable
      .u16be(38, 660)
      .u16be(40, 2700)
      .u8(42, 0xFF);  // unavailable
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x4D, 0x04, "Intellic iCounter");
  expectKeys(j, {"type",
                 "subtype",
                 "name",
                 "dateTime",
                 "cardNumber",
                 "mode",
                 "duration",
                 "timeRelatedStates",
                 "timeRelatedStatesDescription",
                 "timeRelatedStatesLevel",
                 "continuousDrive",
                 "dailyDrive",
                 "weeklyDrive",
                 "twoWeekDrive",
                 "cumulativeBreak",
                 "timeLeftUntilNextDailyRest",
                 "timeLeftUntilNextWeeklyRest",
                 "minimumDurationOfNextDailyRest",
                 "minimumDurationOfNextWeeklyRest",
                 "extendedDriveUsed"});
  EXPECT_EQ(strOf(j, "dateTime"), "2024-07-01T09:17:00Z");
  EXPECT_EQ(strOf(j, "cardNumber"), "DB07522834W000");
  EXPECT_EQ(intOf(j, "mode"), 2);
  EXPECT_EQ(intOf(j, "duration"), 12);
  EXPECT_EQ(intOf(j, "timeRelatedStates"), 0);
  EXPECT_EQ(strOf(j, "timeRelatedStatesDescription"), "No time related warning active");
  EXPECT_EQ(intOf(j, "timeRelatedStatesLevel"), 0);
  EXPECT_EQ(intOf(j, "continuousDrive"), 130);
  EXPECT_EQ(intOf(j, "dailyDrive"), 300);
  EXPECT_EQ(intOf(j, "weeklyDrive"), 1500);
  EXPECT_EQ(intOf(j, "twoWeekDrive"), 3300);
  EXPECT_EQ(intOf(j, "cumulativeBreak"), 45);
  EXPECT_EQ(intOf(j, "timeLeftUntilNextDailyRest"), 420);
  EXPECT_TRUE(isNull(j, "timeLeftUntilNextWeeklyRest"));
  EXPECT_EQ(intOf(j, "minimumDurationOfNextDailyRest"), 660);
  EXPECT_EQ(intOf(j, "minimumDurationOfNextWeeklyRest"), 2700);
  EXPECT_TRUE(isNull(j, "extendedDriveUsed"));
}

// Seed 004 section 14.4
TEST(ConsolidatedDdsLayout, DecodesSection14_4WithNullValues) {
  Vec v(0x4D, 0x0C, 66);
  v.u32be(2, 1719825301)
      .ascii(6, "DB07522834W000", 14)
      .u8(20, 3)
      .u16be(21, 135)
      .u8(23, 1)
      .u8(24, 1)
      .u16be(25, 250)
      .u16be(27, 380)
      .u16be(29, 2410)
      .u16be(31, 4380)
      .u8(33, 10)
      .u8(34, 56)
      .u8(35, 0xFF)  // unavailable
      .u16be(36, 20)
      .u16be(38, 45)
      .u8(40, 1)
      .u16be(41, 30)
      .u16be(43, 45)
      .u16be(45, 270)
      .u8(47, 3)
      .u32be(48, 1719865800)
      .u32be(52, 0xFFFFFFFF)  // unavailable
      .u16be(56, 540)
      .u16be(58, 2700)
      .u16be(60, 480)
      .u16be(62, 2650)
      .u16be(64, 0xFFFF);  // unavailable
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x4D, 0x0C, "Consolidated DDS");
  expectKeys(j, {"type",
                 "subtype",
                 "name",
                 "dateTime",
                 "cardNumber",
                 "mode",
                 "duration",
                 "timeRelatedStates",
                 "timeRelatedStatesDescription",
                 "timeRelatedStatesLevel",
                 "timeRelatedLevel",
                 "continuousDrive",
                 "dailyDrive",
                 "weeklyDrive",
                 "twoWeekDrive",
                 "maximumDailyDrive",
                 "maximumWeeklyDrive",
                 "maximumTwoWeekDrive",
                 "remainingDrive",
                 "durationOfNextBreakRest",
                 "extendedDriveAvailable",
                 "breakRestTaken",
                 "requiredBreakRest",
                 "maximumDurationOfNextDrivingPeriod",
                 "reducedRestAvailable",
                 "nextDailyRestDue",
                 "nextWeeklyRestDue",
                 "minimumDurationOfNextDailyRest",
                 "minimumDurationOfNextWeeklyRest",
                 "workingTimeDaily",
                 "workingTimeWeekly",
                 "workingTimeBreakTaken"});
  EXPECT_EQ(strOf(j, "dateTime"), "2024-07-01T09:15:01Z");
  EXPECT_EQ(strOf(j, "cardNumber"), "DB07522834W000");
  EXPECT_EQ(intOf(j, "mode"), 3);
  EXPECT_EQ(intOf(j, "duration"), 135);
  EXPECT_EQ(intOf(j, "timeRelatedStates"), 1);
  EXPECT_EQ(strOf(j, "timeRelatedStatesDescription"),
            "Continuous driving time pre-warning active (15 min before 4h30)");
  EXPECT_EQ(intOf(j, "timeRelatedStatesLevel"), 1);
  EXPECT_EQ(intOf(j, "timeRelatedLevel"), 1);
  EXPECT_EQ(intOf(j, "continuousDrive"), 250);
  EXPECT_EQ(intOf(j, "dailyDrive"), 380);
  EXPECT_EQ(intOf(j, "weeklyDrive"), 2410);
  EXPECT_EQ(intOf(j, "twoWeekDrive"), 4380);
  EXPECT_EQ(intOf(j, "maximumDailyDrive"), 10);
  EXPECT_EQ(intOf(j, "maximumWeeklyDrive"), 56);
  EXPECT_TRUE(isNull(j, "maximumTwoWeekDrive"));
  EXPECT_EQ(intOf(j, "remainingDrive"), 20);
  EXPECT_EQ(intOf(j, "durationOfNextBreakRest"), 45);
  EXPECT_EQ(intOf(j, "extendedDriveAvailable"), 1);
  EXPECT_EQ(intOf(j, "breakRestTaken"), 30);
  EXPECT_EQ(intOf(j, "requiredBreakRest"), 45);
  EXPECT_EQ(intOf(j, "maximumDurationOfNextDrivingPeriod"), 270);
  EXPECT_EQ(intOf(j, "reducedRestAvailable"), 3);
  EXPECT_EQ(strOf(j, "nextDailyRestDue"), "2024-07-01T20:30:00Z");
  EXPECT_TRUE(isNull(j, "nextWeeklyRestDue"));
  EXPECT_EQ(intOf(j, "minimumDurationOfNextDailyRest"), 540);
  EXPECT_EQ(intOf(j, "minimumDurationOfNextWeeklyRest"), 2700);
  EXPECT_EQ(intOf(j, "workingTimeDaily"), 480);
  EXPECT_EQ(intOf(j, "workingTimeWeekly"), 2650);
  EXPECT_TRUE(isNull(j, "workingTimeBreakTaken"));
}

// Seed 004 section 14.4: the note under the table ("Values of 0xFF or 0xFFFF should be treated
// as NULL") has no footnote mark, so it covers every field of the table, Mode included.
TEST(ConsolidatedDdsLayout, ModeOfAllBitsSetIsNull) {
  Vec v(0x4D, 0x0C, 66);
  v.u32be(2, 1719825301).ascii(6, "DB07522834W000", 14).u8(20, 0xFF);
  const Bytes packet = v.bytes();
  auto j = decodeToJson(packet);
  EXPECT_TRUE(isNull(j, "mode")) << "0xFF is unavailable in the original feed, not activity 255";
  // And back: the encoder writes null as 0xFF, so the bytes forwarded and the JSON agree.
  auto encoded = dcgw::codecs::encodePacket(j);
  ASSERT_TRUE(encoded.ok()) << encoded.error().message();
  EXPECT_EQ(*encoded, packet);
  // A real activity is still a number.
  v.u8(20, 3);
  EXPECT_EQ(intOf(decodeToJson(v.bytes()), "mode"), 3);
}

// ---------------------------------------------------------------------------------------------
// Section 14.5: Time Related States

// Seed 004 section 14.5
TEST(TimeRelatedStates, MapsAllFourteenValuesOfSection14_5) {
  struct Row {
    const char* description;
    int level;
  };
  const Row table[] = {
      {"No time related warning active", 0},
      {"Continuous driving time pre-warning active (15 min before 4h30)", 1},
      {"Continuous driving time warning active (4h30 exceeded)", 2},
      {"Daily driving time pre-warning active", 1},
      {"Daily driving time warning active", 2},
      {"Daily/weekly rest pre-warning active", 1},
      {"Daily/weekly rest warning active", 2},
      {"Weekly driving time pre-warning active", 1},
      {"Weekly driving time warning active", 2},
      {"Two week driving time pre-warning active", 1},
      {"Two week driving time warning active", 2},
      {"Card expiry warning active", 1},
      {"Next mandatory driver card download warning active", 1},
      {"other", 0},
  };
  for (std::uint8_t value = 0; value < 14; ++value) {
    auto s = dcgw::codecs::timeRelatedState(value);
    EXPECT_STREQ(s.description, table[value].description) << int{value};
    EXPECT_EQ(s.level, table[value].level) << int{value};
    // And as rendered in a Stoneridge Duo packet.
    Vec v = stoneridgeDuo(53);
    v.u8(23, value);
    auto j = decodeToJson(v.bytes());
    EXPECT_EQ(intOf(j, "timeRelatedStates"), value);
    EXPECT_EQ(strOf(j, "timeRelatedStatesDescription"), table[value].description);
    EXPECT_EQ(intOf(j, "timeRelatedStatesLevel"), table[value].level);
  }
}

// Seed 004 section 14.5
TEST(TimeRelatedStates, UnknownValueHasUnknownDescriptionAndNullLevel) {
  auto s = dcgw::codecs::timeRelatedState(14);
  EXPECT_STREQ(s.description, "unknown");
  EXPECT_EQ(s.level, -1);
  Vec v = stoneridgeDuo(53);
  v.u8(23, 14);
  auto j = decodeToJson(v.bytes());
  EXPECT_EQ(intOf(j, "timeRelatedStates"), 14);
  EXPECT_EQ(strOf(j, "timeRelatedStatesDescription"), "unknown");
  EXPECT_TRUE(isNull(j, "timeRelatedStatesLevel"));
}

// ---------------------------------------------------------------------------------------------
// Section 15: Vehicle CAN data (little-endian multi-byte integers)

// Seed 004 section 15.1
TEST(VehicleCanLayout, DecodesSection15_1Initialisation) {
  Vec v(0x46, 0x80, 11);
  v.u32be(2, 1723435212).u8(6, 0x05).ascii(7, "0302", 4);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x46, 0x80, "Vehicle CAN data - FMS Initialisation");
  expectKeys(j, {"type", "subtype", "name", "dateTime", "requestsDiagnosticsSupported",
                 "requestsSupported", "diagnosticsSupported", "softwareVersion"});
  EXPECT_EQ(strOf(j, "dateTime"), "2024-08-12T04:00:12Z");
  EXPECT_EQ(intOf(j, "requestsDiagnosticsSupported"), 5);
  // FMS-Standard FMS1: bits 3-4 requests supported, bits 1-2 diagnostics supported (01 = yes).
  EXPECT_EQ(intOf(j, "requestsSupported"), 1);
  EXPECT_EQ(intOf(j, "diagnosticsSupported"), 1);
  EXPECT_EQ(strOf(j, "softwareVersion"), "03.02");
}

const Keys kEngineOnKeys = {
    "type",           "subtype",   "name",     "dateTime",          "cardNumber",
    "totalFuelUsed",  "fuelLevel", "odometer", "engineTemperature", "ambientTemperature",
    "serviceDistance"};

Vec engineOn(std::size_t length) {
  Vec v(0x46, 0x81, length);
  v.u32be(2, 1723435800)
      .ascii(6, "DB07522834W000", 14)
      .u32le(20, 123456789)
      .u8(24, 200)
      .u32le(25, 82469134)
      .u8(29, 125)
      .u16le(30, 9296)
      .u16le(32, 33127);
  return v;
}

// Seed 004 section 15.2
TEST(VehicleCanLayout, DecodesSection15_2EngineOn) {
  auto j = decodeToJson(engineOn(34).bytes());
  expectHeader(j, 0x46, 0x81, "Vehicle CAN data - Engine on");
  expectKeys(j, kEngineOnKeys);
  EXPECT_EQ(strOf(j, "dateTime"), "2024-08-12T04:10:00Z");
  EXPECT_EQ(strOf(j, "cardNumber"), "DB07522834W000");
  EXPECT_DOUBLE_EQ(numOf(j, "totalFuelUsed"), 123456.789);
  EXPECT_DOUBLE_EQ(numOf(j, "fuelLevel"), 80.0);
  EXPECT_DOUBLE_EQ(numOf(j, "odometer"), 412345.67);
  EXPECT_DOUBLE_EQ(numOf(j, "engineTemperature"), 85.0);
  EXPECT_DOUBLE_EQ(numOf(j, "ambientTemperature"), 17.5);
  EXPECT_DOUBLE_EQ(numOf(j, "serviceDistance"), 5000.0);
}

// Seed 004 section 15.2
TEST(VehicleCanLayout, RendersBytesAfterLayoutAsExtraBytesAndNegativeCalculations) {
  Vec v = engineOn(36);
  v.u8(29, 20)           // 20 - 40 = -20 degrees C
      .u16le(30, 8000)   // 8000 * 0.03125 - 273 = -23 degrees C
      .u16le(32, 30000)  // 30000 * 5 - 160635 = -10635 km: service overdue
      .raw(34, {0xAB, 0xCD});
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x46, 0x81, "Vehicle CAN data - Engine on");
  expectKeys(j, withExtra(kEngineOnKeys));
  EXPECT_DOUBLE_EQ(numOf(j, "engineTemperature"), -20.0);
  EXPECT_DOUBLE_EQ(numOf(j, "ambientTemperature"), -23.0);
  EXPECT_DOUBLE_EQ(numOf(j, "serviceDistance"), -10635.0);
  EXPECT_EQ(strOf(j, "extraBytes"), "abcd");
}

// Seed 004 section 15.3 (offsets 54-60 little-endian too, per DESIGN.md)
TEST(VehicleCanLayout, DecodesSection15_3EngineOff) {
  Vec v(0x46, 0x83, 62);
  v.u32be(2, 1723444823)
      .u32le(6, 123460321)
      .u8(10, 187)
      .u32le(11, 82481234)
      .u8(15, 128)
      .u16le(16, 9312)
      .u16le(18, 5423)
      .u24le(20, 31245)
      .u24le(23, 24213)
      .u16le(26, 1820)
      .u16le(28, 9876)
      .u16le(30, 412)
      .u16le(32, 389)
      .u16le(34, 258)
      .u16le(36, 517)
      .u16le(38, 283)
      .u16le(40, 2)
      .u16le(42, 4)
      .u16le(44, 3)
      .u16le(46, 7)
      .u16le(48, 341)
      .u8(50, 3)
      .u8(51, 1)
      .u16le(52, 305)
      .u16le(54, 260)
      .u16le(56, 290)
      .u16le(58, 265)
      .u16le(60, 17600);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x46, 0x83, "Vehicle CAN data - Engine off");
  expectKeys(j, {"type",
                 "subtype",
                 "name",
                 "dateTime",
                 "totalFuelUsed",
                 "fuelLevel",
                 "odometer",
                 "engineTemperature",
                 "ambientTemperature",
                 "journeyDuration",
                 "journeyFuelUsed",
                 "journeyDistance",
                 "cruiseControlDuration",
                 "cruiseControlFuelUsed",
                 "idleDuration",
                 "fuelUsedInIdle",
                 "ptoDuration",
                 "fuelUsedInPto",
                 "numberOfBrakePresses",
                 "numberOfHarshBrakingEvents",
                 "durationOfHarshBraking",
                 "numberOfHarshAccelerationEvents",
                 "durationOfHarshAcceleration",
                 "numberOfClutchPresses",
                 "numberOfShortIdleEvents",
                 "numberOfLongIdleEvents",
                 "durationOfHighEnginePower",
                 "numberOfHighPowerEvents",
                 "durationOfHighEngineSpeed",
                 "numberOfHighSpeedEvents",
                 "currentMaxEngineSpeed"});
  EXPECT_EQ(strOf(j, "dateTime"), "2024-08-12T06:40:23Z");
  EXPECT_DOUBLE_EQ(numOf(j, "totalFuelUsed"), 123460.321);
  EXPECT_DOUBLE_EQ(numOf(j, "fuelLevel"), 74.8);
  EXPECT_DOUBLE_EQ(numOf(j, "odometer"), 412406.17);
  EXPECT_DOUBLE_EQ(numOf(j, "engineTemperature"), 88.0);
  EXPECT_DOUBLE_EQ(numOf(j, "ambientTemperature"), 18.0);
  EXPECT_EQ(intOf(j, "journeyDuration"), 5423);
  EXPECT_DOUBLE_EQ(numOf(j, "journeyFuelUsed"), 31.245);
  EXPECT_DOUBLE_EQ(numOf(j, "journeyDistance"), 121.065);
  EXPECT_EQ(intOf(j, "cruiseControlDuration"), 1820);
  EXPECT_DOUBLE_EQ(numOf(j, "cruiseControlFuelUsed"), 9.876);
  EXPECT_EQ(intOf(j, "idleDuration"), 412);
  EXPECT_DOUBLE_EQ(numOf(j, "fuelUsedInIdle"), 0.389);
  EXPECT_EQ(intOf(j, "ptoDuration"), 258);
  EXPECT_DOUBLE_EQ(numOf(j, "fuelUsedInPto"), 0.517);
  EXPECT_EQ(intOf(j, "numberOfBrakePresses"), 283);
  EXPECT_EQ(intOf(j, "numberOfHarshBrakingEvents"), 2);
  EXPECT_EQ(intOf(j, "durationOfHarshBraking"), 4);
  EXPECT_EQ(intOf(j, "numberOfHarshAccelerationEvents"), 3);
  EXPECT_EQ(intOf(j, "durationOfHarshAcceleration"), 7);
  EXPECT_EQ(intOf(j, "numberOfClutchPresses"), 341);
  EXPECT_EQ(intOf(j, "numberOfShortIdleEvents"), 3);
  EXPECT_EQ(intOf(j, "numberOfLongIdleEvents"), 1);
  EXPECT_EQ(intOf(j, "durationOfHighEnginePower"), 305);
  EXPECT_EQ(intOf(j, "numberOfHighPowerEvents"), 260);
  EXPECT_EQ(intOf(j, "durationOfHighEngineSpeed"), 290);
  EXPECT_EQ(intOf(j, "numberOfHighSpeedEvents"), 265);
  EXPECT_DOUBLE_EQ(numOf(j, "currentMaxEngineSpeed"), 2200.0);
}

// Seed 004 section 15.4
TEST(VehicleCanLayout, DecodesSection15_4InJourney) {
  Vec v(0x46, 0x82, 32);
  v.u32be(2, 1723439460)
      .u32le(6, 123458012)
      .u8(10, 195)
      .u32le(11, 82475000)
      .u8(15, 126)
      .u16le(16, 9304)
      .u16le(18, 60)
      .u16le(20, 412)
      .u16le(22, 287)
      .u16le(24, 22144)
      .u16le(26, 10800)
      .u16le(28, 23040)
      .u16le(30, 13000);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x46, 0x82, "Vehicle CAN data - In journey");
  expectKeys(j, {"type", "subtype", "name", "dateTime", "totalFuelUsed", "fuelLevel", "odometer",
                 "engineTemperature", "ambientTemperature", "durationSinceLastLog",
                 "fuelUsedSinceLastLog", "distanceTravelledSinceLastLog", "averageVehicleSpeed",
                 "averageEngineSpeed", "maximumVehicleSpeed", "maximumEngineSpeed"});
  EXPECT_EQ(strOf(j, "dateTime"), "2024-08-12T05:11:00Z");
  EXPECT_DOUBLE_EQ(numOf(j, "totalFuelUsed"), 123458.012);
  EXPECT_DOUBLE_EQ(numOf(j, "fuelLevel"), 78.0);
  EXPECT_DOUBLE_EQ(numOf(j, "odometer"), 412375.0);
  EXPECT_DOUBLE_EQ(numOf(j, "engineTemperature"), 86.0);
  EXPECT_DOUBLE_EQ(numOf(j, "ambientTemperature"), 17.75);
  EXPECT_EQ(intOf(j, "durationSinceLastLog"), 60);
  EXPECT_DOUBLE_EQ(numOf(j, "fuelUsedSinceLastLog"), 0.412);
  EXPECT_DOUBLE_EQ(numOf(j, "distanceTravelledSinceLastLog"), 1.435);
  EXPECT_DOUBLE_EQ(numOf(j, "averageVehicleSpeed"), 86.5);
  EXPECT_DOUBLE_EQ(numOf(j, "averageEngineSpeed"), 1350.0);
  EXPECT_DOUBLE_EQ(numOf(j, "maximumVehicleSpeed"), 90.0);
  EXPECT_DOUBLE_EQ(numOf(j, "maximumEngineSpeed"), 1625.0);
}

// Seed 004 section 15.5
TEST(VehicleCanLayout, DecodesSection15_5OnChange) {
  Vec v(0x46, 0x84, 47);
  v.u32be(2, 1723440645)
      .raw(6, {0x00, 0x01, 0x10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
               0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x0F, 0xF0, 0x12, 0x34,
               0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF1, 0x00, 0x00, 0x5A, 0xA5})
      .raw(38, {0x41})
      .raw(39, {0x00, 0x10, 0x00, 0x00, 0x44, 0x00, 0x03, 0xC0});
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x46, 0x84, "Vehicle CAN data - On change");
  expectKeys(j,
             {"type", "subtype", "name", "dateTime", "tellTale", "doorControl1", "doorControl2"});
  EXPECT_EQ(strOf(j, "dateTime"), "2024-08-12T05:30:45Z");
  EXPECT_EQ(strOf(j, "tellTale"),
            "0001101122334455667788"
            "99aabbccddeeff0ff01234"
            "56789abcdef100005aa5");
  EXPECT_EQ(strOf(j, "doorControl1"), "41");
  EXPECT_EQ(strOf(j, "doorControl2"), "00100000440003c0");
}

// ---------------------------------------------------------------------------------------------
// Section 16: Sensors (the second byte is the sensor number; subtype renders null)

// Seed 004 section 16.1
TEST(SensorsLayout, DecodesSection16_1SwitchBySensorNumber) {
  Vec v(0x53, 0x02, 7);
  v.u32be(2, 1725346801).u8(6, 1);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x53, std::nullopt, "Sensors");
  EXPECT_EQ(strOf(j, "sensorKind"), "Switch");
  expectKeys(j, {"type", "subtype", "name", "sensorKind", "sensorNumber", "dateTime", "value"});
  EXPECT_EQ(intOf(j, "sensorNumber"), 2);
  EXPECT_EQ(strOf(j, "dateTime"), "2024-09-03T07:00:01Z");
  EXPECT_EQ(intOf(j, "value"), 1);
}

// Seed 004 section 16.2
TEST(SensorsLayout, DecodesSection16_2AnalogueBySensorNumber) {
  Vec v(0x53, 0x05, 8);
  v.u32be(2, 1725347100).u16be(6, 2748);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x53, std::nullopt, "Sensors");
  EXPECT_EQ(strOf(j, "sensorKind"), "Analogue");
  expectKeys(j, {"type", "subtype", "name", "sensorKind", "sensorNumber", "dateTime", "value"});
  EXPECT_EQ(intOf(j, "sensorNumber"), 5);
  EXPECT_EQ(strOf(j, "dateTime"), "2024-09-03T07:05:00Z");
  EXPECT_EQ(intOf(j, "value"), 2748);
}

// Seed 004 section 16.3
TEST(SensorsLayout, DecodesSection16_3AccelerometerBySensorNumber) {
  Vec v(0x53, 0x06, 10);
  v.u32be(2, 1725347553).u16be(6, 1250).u16be(8, 35);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x53, std::nullopt, "Sensors");
  EXPECT_EQ(strOf(j, "sensorKind"), "Accelerometer");
  expectKeys(j, {"type", "subtype", "name", "sensorKind", "sensorNumber", "dateTime", "value",
                 "duration"});
  EXPECT_EQ(intOf(j, "sensorNumber"), 6);
  EXPECT_EQ(strOf(j, "dateTime"), "2024-09-03T07:12:33Z");
  EXPECT_DOUBLE_EQ(numOf(j, "value"), 1.25);    // g
  EXPECT_DOUBLE_EQ(numOf(j, "duration"), 3.5);  // seconds
}

// Seed 004 section 16.4
TEST(SensorsLayout, DecodesSection16_4OneWireProbeBySensorNumber) {
  Vec v(0x53, 0x11, 16);
  v.u32be(2, 1725348000).i16be(6, -160).raw(8, {0x28, 0xFF, 0x4C, 0x3A, 0x61, 0x16, 0x04, 0x9E});
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x53, std::nullopt, "Sensors");
  EXPECT_EQ(strOf(j, "sensorKind"), "1-Wire Temperature Probe");
  expectKeys(
      j, {"type", "subtype", "name", "sensorKind", "sensorNumber", "dateTime", "value", "probeId"});
  EXPECT_EQ(intOf(j, "sensorNumber"), 0x11);
  EXPECT_EQ(strOf(j, "dateTime"), "2024-09-03T07:20:00Z");
  EXPECT_DOUBLE_EQ(numOf(j, "value"), -10.0);
  EXPECT_EQ(strOf(j, "probeId"), "28ff4c3a6116049e");

  Vec warm(0x53, 0x19, 16);
  warm.u32be(2, 1725348000).i16be(6, 401).raw(8, {0x28, 0, 0, 0, 0, 0, 0, 0x01});
  auto k = decodeToJson(warm.bytes());
  EXPECT_EQ(intOf(k, "sensorNumber"), 0x19);
  EXPECT_DOUBLE_EQ(numOf(k, "value"), 25.0625);
  EXPECT_EQ(strOf(k, "probeId"), "2800000000000001");
}

// Seed 004 section 16.5
TEST(SensorsLayout, DecodesSection16_5PassengerCounterBySensorNumber) {
  Vec v(0x53, 0x20, 10);
  v.u32be(2, 1725348670).u8(6, 1).u8(7, 0x7F).u8(8, 12).u8(9, 7);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x53, std::nullopt, "Sensors");
  EXPECT_EQ(strOf(j, "sensorKind"), "Passenger Counter");
  expectKeys(j, {"type", "subtype", "name", "sensorKind", "sensorNumber", "dateTime",
                 "doorOpenShut", "passengerEntryCount", "passengerExitCount"});  // RFU not rendered
  EXPECT_EQ(intOf(j, "sensorNumber"), 0x20);
  EXPECT_EQ(strOf(j, "dateTime"), "2024-09-03T07:31:10Z");
  EXPECT_EQ(intOf(j, "doorOpenShut"), 1);
  EXPECT_EQ(intOf(j, "passengerEntryCount"), 12);
  EXPECT_EQ(intOf(j, "passengerExitCount"), 7);
}

// Seed 004 section 16.2
TEST(SensorsLayout, RendersBytesAfterLayoutAsExtraBytes) {
  Vec v(0x53, 0x04, 10);
  v.u32be(2, 1725347100).u16be(6, 512).raw(8, {0xEE, 0x01});
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x53, std::nullopt, "Sensors");
  EXPECT_EQ(strOf(j, "sensorKind"), "Analogue");
  expectKeys(j, {"type", "subtype", "name", "sensorKind", "sensorNumber", "dateTime", "value",
                 "extraBytes"});
  EXPECT_EQ(intOf(j, "sensorNumber"), 4);
  EXPECT_EQ(intOf(j, "value"), 512);
  EXPECT_EQ(strOf(j, "extraBytes"), "ee01");
}

// ---------------------------------------------------------------------------------------------
// Section 17: Odometer (the second byte is Journey Start/End; subtype renders null)

const Keys kOdometerKeys = {"type",     "subtype", "name",     "journeyStartEnd",
                            "dateTime", "vin",     "odometer", "source"};

// Seed 004 section 17
TEST(OdometerLayout, DecodesSection17JourneyStartFromTheTachograph) {
  Vec v(0x4F, 0x01, 28);  // Source (offset 27) is the last field
  v.u32be(2, 1727762520).ascii(6, "WDB9634031L738212", 17).u32be(23, 82469134).u8(27, 0);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x4F, std::nullopt, "Odometer");
  expectKeys(j, kOdometerKeys);
  EXPECT_EQ(intOf(j, "journeyStartEnd"), 1);
  EXPECT_EQ(strOf(j, "dateTime"), "2024-10-01T06:02:00Z");
  EXPECT_EQ(strOf(j, "vin"), "WDB9634031L738212");
  EXPECT_DOUBLE_EQ(numOf(j, "odometer"), 412345.67);
  EXPECT_EQ(intOf(j, "source"), 0);
}

// Seed 004 section 17
TEST(OdometerLayout, DecodesSection17JourneyEndFromASimulator) {
  Vec v(0x4F, 0x00, 28);
  v.u32be(2, 1727808450).ascii(6, "WDB9634031L738212", 17).u32be(23, 82512345).u8(27, 1);
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x4F, std::nullopt, "Odometer");
  expectKeys(j, kOdometerKeys);
  EXPECT_EQ(intOf(j, "journeyStartEnd"), 0);
  EXPECT_EQ(strOf(j, "dateTime"), "2024-10-01T18:47:30Z");
  EXPECT_DOUBLE_EQ(numOf(j, "odometer"), 412561.725);
  EXPECT_EQ(intOf(j, "source"), 1);
}

// Seed 004 section 17
TEST(OdometerLayout, RejectsAPacketWithoutSource) {
  Vec v(0x4F, 0x01, 27);
  auto p = dcgw::codecs::decodePacket(v.bytes());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().field, "source");
  EXPECT_EQ(p.error().offset, 27u);
}

// Seed 004 section 17
TEST(OdometerLayout, RendersBytesAfterLayoutAsExtraBytes) {
  Vec v(0x4F, 0x01, 30);
  v.u32be(2, 1727762520)
      .ascii(6, "WDB9634031L738212", 17)
      .u32be(23, 82469134)
      .u8(27, 1)
      .raw(28, {0x02, 0x03});
  auto j = decodeToJson(v.bytes());
  expectHeader(j, 0x4F, std::nullopt, "Odometer");
  expectKeys(j, withExtra(kOdometerKeys));
  EXPECT_EQ(intOf(j, "source"), 1);
  EXPECT_EQ(strOf(j, "extraBytes"), "0203");
}

// ---------------------------------------------------------------------------------------------
// Section 4 kinds without a layout, and unknown types (section 5: allow for new packet types)

void expectRaw(const Bytes& bytes, int type, std::optional<int> subtype, const char* name,
               const char* hex) {
  auto j = decodeToJson(bytes);
  expectHeader(j, type, subtype, name);
  expectKeys(j, {"type", "subtype", "name", "raw"});
  EXPECT_EQ(strOf(j, "raw"), hex);
}

// Seed 004 section 4
TEST(OpaquePacket, AlcoholLockDecodesToNameAndRawHex) {
  Vec v(0x41, 0x00, 6);
  v.raw(2, {0x01, 0x02, 0xA3, 0xFF});
  expectRaw(v.bytes(), 0x41, 0x00, "Alcohol lock", "41000102a3ff");
}

// Seed 004 section 4
TEST(OpaquePacket, CanLoggingDecodesToNameAndRawHex) {
  Vec v(0x43, 0x00, 5);
  v.raw(2, {0x18, 0xFE, 0xF1});
  expectRaw(v.bytes(), 0x43, 0x00, "CAN Logging", "430018fef1");
}

// Seed 004 section 4
TEST(OpaquePacket, DeviceConfigurationDecodesToNameAndRawHex) {
  Vec v(0x64, 0x00, 2);
  v.ascii(2, "poll=60", 7);
  expectRaw(v.bytes(), 0x64, 0x00, "Device configuration", "6400706f6c6c3d3630");
}

// Seed 004 sections 4 and 5
TEST(UnknownPacket, UnknownTypeDecodesToNameAndRawHex) {
  Vec v(0x99, 0x07, 4);
  v.raw(2, {0xDE, 0xAD});
  expectRaw(v.bytes(), 0x99, 0x07, "unknown", "9907dead");
}

// Seed 004 sections 4 and 5
TEST(UnknownPacket, SingleByteUnknownTypeHasNullSubtype) {
  expectRaw(Bytes{0x99}, 0x99, std::nullopt, "unknown", "99");
}

// Seed 004 sections 4 and 5
TEST(UnknownPacket, UnknownSubtypeOfKnownTypeDecodesToRawHex) {
  Vec v(0x47, 0x07, 4);
  v.raw(2, {0x01, 0x02});
  expectRaw(v.bytes(), 0x47, 0x07, "unknown", "47070102");
}

// Seed 004 sections 5 and 16
TEST(UnknownPacket, UndefinedSensorNumberDecodesToRawSensorPacket) {
  Vec v(0x53, 0x08, 7);
  v.u32be(2, 1725346801).u8(6, 1);
  expectRaw(v.bytes(), 0x53, std::nullopt, "Sensors", "530866d6b3f101");
}

}  // namespace
