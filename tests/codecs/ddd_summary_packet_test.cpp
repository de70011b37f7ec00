// File Summary packets made from a parsed file (seed 004 section 9), read back by the decoder.
#include "codecs/ddd/summary_packet.hpp"

#include <gtest/gtest.h>

#include "tests/support/vector.hpp"

namespace dcgw::codecs::ddd {
namespace {

using dcgw::testing::decodeToJson;
using dcgw::testing::intOf;
using dcgw::testing::isNull;
using dcgw::testing::strOf;

constexpr std::uint32_t kDownload = 1723120080;  // 2024-08-08T12:28:00Z

ParsedFile driverFile() {
  ParsedFile f;
  f.kind = FileKind::DriverCard;
  CardSummary c;
  c.cardNumber = "DB07522834W00010";  // 16 characters: the packet takes the first 14
  c.issuingNationAlpha = "UK";
  c.surname = "O'Brien";
  c.firstNames = "Se\xC3\xA1n Patrick";
  c.birthDate = CivilDate{1978, 4, 23};
  c.validityBegin = 1590969600;
  c.expiryDate = 1748735999;
  c.drivingLicenceNumber = "OBRIE704238SP9XY";
  c.activityFirstDay = 1702512000;
  c.activityLastDay = 1707696000;
  f.card = c;
  return f;
}

// Seed 004 section 9.1: offsets 2, 6, 20, 90, 160, 164, 168, 172, 175, 191, 195; 199 bytes.
TEST(FileSummaryPacket, DriverCardBytesReadBackBySection9_1) {
  auto p = fileSummaryPacket(driverFile(), kDownload);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 199u);
  EXPECT_EQ((*p)[0], 0x66);
  EXPECT_EQ((*p)[1], 0x00);
  EXPECT_EQ((*p)[20], 'O');  // UTF-16LE: low byte first
  EXPECT_EQ((*p)[21], 0x00);
  EXPECT_EQ((*p)[160], 0x19);  // Datef BCD 1978-04-23
  EXPECT_EQ((*p)[163], 0x23);
  EXPECT_EQ((*p)[174], ' ');  // NationAlpha "UK" space-padded to 3
  auto j = decodeToJson(*p);
  EXPECT_EQ(strOf(j, "downloadDate"), "2024-08-08T12:28:00Z");
  EXPECT_EQ(strOf(j, "cardNumber"), "DB07522834W000");
  EXPECT_EQ(strOf(j, "surname"), "O'Brien");
  EXPECT_EQ(strOf(j, "firstNames"), "Se\xC3\xA1n Patrick");
  EXPECT_EQ(strOf(j, "cardHolderBirthDate"), "1978-04-23");
  EXPECT_EQ(strOf(j, "cardValidBegin"), "2020-06-01T00:00:00Z");
  EXPECT_EQ(strOf(j, "cardExpiryDate"), "2025-05-31T23:59:59Z");
  EXPECT_EQ(strOf(j, "cardIssuingMemberStateAlpha"), "UK");
  EXPECT_EQ(strOf(j, "drivingLicenceNumber"), "OBRIE704238SP9XY");
  EXPECT_EQ(strOf(j, "activityStartDate"), "2023-12-14T00:00:00Z");
  EXPECT_EQ(strOf(j, "activityEndDate"), "2024-02-12T00:00:00Z");
}

// Seed 004 section 9.1: what the file did not give is NULL (all ones), a birth date 00000000.
TEST(FileSummaryPacket, AbsentValuesAreNull) {
  ParsedFile f = driverFile();
  f.card->birthDate.reset();
  f.card->activityFirstDay.reset();
  f.card->activityLastDay.reset();
  f.card->expiryDate.reset();
  auto p = fileSummaryPacket(f, kDownload);
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)[191], 0xFF);
  auto j = decodeToJson(*p);
  EXPECT_TRUE(isNull(j, "cardHolderBirthDate"));
  EXPECT_TRUE(isNull(j, "cardExpiryDate"));
  EXPECT_TRUE(isNull(j, "activityStartDate"));
  EXPECT_TRUE(isNull(j, "activityEndDate"));
}

// Seed 004 section 9.2: no birth date; workshop name and address at 171 and 241; 311 bytes.
TEST(FileSummaryPacket, WorkshopCardBytesReadBackBySection9_2) {
  ParsedFile f;
  f.kind = FileKind::WorkshopCard;
  CardSummary c;
  c.cardNumber = "D1234567890123";
  c.issuingNationAlpha = "D";
  c.surname =
      "Schr\xC3\xB6"
      "der";
  c.firstNames = "Jan";
  c.validityBegin = 1704067200;
  c.expiryDate = 1798761599;
  c.workshopName = "Werkstatt Nord GmbH";
  c.workshopAddress =
      "Hafenstra\xC3\x9F"
      "e 1, Kiel";
  f.card = c;
  auto p = fileSummaryPacket(f, kDownload);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 311u);
  EXPECT_EQ((*p)[1], 0x01);
  auto j = decodeToJson(*p);
  EXPECT_EQ(strOf(j, "surname"),
            "Schr\xC3\xB6"
            "der");
  EXPECT_EQ(strOf(j, "cardValidBegin"), "2024-01-01T00:00:00Z");
  EXPECT_EQ(strOf(j, "cardIssuingMemberStateAlpha"), "D");
  EXPECT_EQ(strOf(j, "workshopName"), "Werkstatt Nord GmbH");
  EXPECT_EQ(strOf(j, "workshopAddress"),
            "Hafenstra\xC3\x9F"
            "e 1, Kiel");
}

// Seed 004 section 9.3: 155 bytes; registration number 26 bytes = 13 UTF-16 code units.
TEST(FileSummaryPacket, VehicleUnitBytesReadBackBySection9_3) {
  ParsedFile f;
  f.kind = FileKind::VehicleUnit;
  VehicleUnitSummary v;
  v.vin = "WDB9634031L123456";
  v.registrationNationAlpha = "D";
  v.registrationNumber = "HH-AB 1234 EXTRA LONG";  // cut to 13 characters
  v.manufacturerName = "Continental Automotive";
  v.partNumber = "1381.2052000001";
  v.softwareVersion = "0304";
  v.authorisedSpeed = 90;
  v.nextCalibrationDate = 1798761599;
  v.downloadablePeriodBegin = 1700000000;
  v.downloadablePeriodEnd = 1723120000;
  f.vu = v;
  auto p = fileSummaryPacket(f, kDownload);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 155u);
  auto j = decodeToJson(*p);
  EXPECT_EQ(strOf(j, "vin"), "WDB9634031L123456");
  EXPECT_EQ(strOf(j, "vehicleRegistrationNationAlpha"), "D");
  EXPECT_EQ(strOf(j, "vehicleRegistrationNumber"), "HH-AB 1234 EX");
  EXPECT_EQ(strOf(j, "vuManufacturerName"), "Continental Automotive");
  EXPECT_EQ(strOf(j, "vuPartNumber"), "1381.2052000001");
  EXPECT_EQ(strOf(j, "vuSoftwareVersion"), "0304");
  EXPECT_EQ(intOf(j, "authorisedSpeed"), 90);
  EXPECT_EQ(strOf(j, "nextCalibrationDate"), "2026-12-31T23:59:59Z");
  EXPECT_EQ(strOf(j, "activityStartDate"), "2023-11-14T22:13:20Z");
  v.authorisedSpeed.reset();
  f.vu = v;
  EXPECT_TRUE(isNull(decodeToJson(*fileSummaryPacket(f, kDownload)), "authorisedSpeed"));
}

TEST(FileSummaryPacket, UnicodeFieldsCutAtAWholeCharacter) {
  Bytes out(8, 0);
  putUtf16Field(out, 0, "ab\xF0\x9F\x9A\x9A", 6);  // a surrogate pair does not fit in 2 bytes
  EXPECT_EQ(out, (Bytes{'a', 0, 'b', 0, 0, 0, 0, 0}));
  putUtf16Field(out, 0, "\xF0\x9F\x9A\x9A", 8);
  EXPECT_EQ(out, (Bytes{0x3D, 0xD8, 0x9A, 0xDE, 0, 0, 0, 0}));
}

TEST(FileSummaryPacket, NoPacketForKindsSection9DoesNotCover) {
  ParsedFile f = driverFile();
  f.kind = FileKind::CompanyCard;
  EXPECT_FALSE(fileSummaryPacket(f, kDownload));
  ParsedFile empty;
  empty.kind = FileKind::VehicleUnit;
  EXPECT_FALSE(fileSummaryPacket(empty, kDownload));
}

}  // namespace
}  // namespace dcgw::codecs::ddd
