// Vehicle-unit files (codecs/ddd/parsers.hpp parseVehicleUnit) on synthetic downloads built from
// Annex 1C Appendix 7 section 2.2.6 (tests/support/ddd_vu_builder.hpp).
#include <gtest/gtest.h>

#include <algorithm>

#include "codecs/ddd/parsers.hpp"
#include "tests/support/ddd_vu_builder.hpp"

namespace dcgw::codecs::ddd {
namespace {

using testing::buildSampleVehicleUnit;
using testing::buildVehicleUnit;
using testing::sampleVuSpec;
using testing::VuSpec;

ParsedFile parse(const Bytes& b) {
  return parseVehicleUnit(ByteView(b.data(), b.size()));
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::string warningsOf(const ParsedFile& f) {
  std::string s;
  for (const Warning& w : f.warnings) s += std::to_string(w.offset) + ": " + w.text + "\n";
  return s;
}

// Fields every generation's sample shares (ddd_vu_builder.cpp sampleVuSpec).
void expectSampleIdentity(const ParsedFile& f, const char* tag) {
  ASSERT_TRUE(f.vu.has_value()) << f.error;
  const VehicleUnitSummary& v = *f.vu;
  // DDP_033 VuIdentification (2.205): Name in code page 2, IA5 part number and version,
  // ExtendedSerialNumber (2.72) serial 1234567x, BCD month/year 04 19, type 0A, manufacturer 41.
  EXPECT_EQ(v.manufacturerName,
            "\xC5\x81\xC3\xB3"
            "d\xC5\xBA Tacho Works");  // Łódź
  EXPECT_EQ(v.manufacturerAddress, "ul. Testowa 1, 90-001");
  EXPECT_EQ(v.partNumber, std::string("PN-SYN-") + tag + "0042");
  EXPECT_EQ(v.softwareVersion, std::string("V") + tag + ".2");
  EXPECT_EQ(v.serialNumber, std::string("1234567") + tag + " 04/19 type 0x0A manufacturer 0x41");
  // DDP_029 VuDownloadablePeriod (2.193): 2025-01-10 and 2025-11-29T23:46:40Z.
  EXPECT_EQ(v.downloadablePeriodBegin, 1736467200u);
  EXPECT_EQ(v.downloadablePeriodEnd, 1764460000u);
  // VuCalibrationRecord (2.174) of 2025-06-15, the second of three: 85 km/h, next 2027-06-15.
  EXPECT_EQ(v.authorisedSpeed, 85);
  EXPECT_EQ(v.nextCalibrationDate, 1813017600u);
  // VehicleIdentificationNumber (2.164) and the registration "M-ÜB 123" from code page 1.
  EXPECT_EQ(v.vin, std::string("SYNTHVIN0000000") + tag + "7");
  EXPECT_EQ(v.registrationNumber, std::string("M-\xC3\x9C"
                                              "B ") +
                                      tag + "23");
  EXPECT_EQ(v.registrationNation, 0x0D);
  EXPECT_EQ(v.registrationNationAlpha, "D");
}

TEST(DddVu, Gen1DownloadYieldsEverySummaryField) {
  // TREPs 01, 02 (two days), 03, 04, 05: section 2.2.6.2-2.2.6.6, generation 1 tables.
  const ParsedFile f = parse(buildSampleVehicleUnit(Generation::Gen1));
  EXPECT_EQ(f.kind, FileKind::VehicleUnit);
  EXPECT_EQ(f.generation, Generation::Gen1);
  EXPECT_TRUE(f.error.empty()) << f.error;
  EXPECT_TRUE(f.warnings.empty()) << warningsOf(f);
  expectSampleIdentity(f, "1");
}

TEST(DddVu, Gen2v1RecordArraysAndNationFromTheLatestCalibration) {
  // TREPs 21-25: record arrays (section 2.2.6 remark). The version 1 overview has only
  // VehicleRegistrationNumberRecordArray (2.168, type 0B): the nation comes from the latest
  // calibration's vehicleRegistrationIdentification, whose number is the same.
  const ParsedFile f = parse(buildSampleVehicleUnit(Generation::Gen2v1));
  EXPECT_EQ(f.kind, FileKind::VehicleUnit);
  EXPECT_EQ(f.generation, Generation::Gen2v1);
  EXPECT_TRUE(f.warnings.empty()) << warningsOf(f);
  expectSampleIdentity(f, "2");
}

TEST(DddVu, Gen2v1NationNotBorrowedFromACalibrationOfAnotherRegistration) {
  VuSpec s = sampleVuSpec(Generation::Gen2v1);
  for (auto& c : s.calibrations) c.registrationNumber = "OLD 1";
  const ParsedFile f = parse(buildVehicleUnit(s));
  ASSERT_TRUE(f.vu);
  EXPECT_EQ(f.vu->registrationNumber,
            "M-\xC3\x9C"
            "B 223");
  EXPECT_EQ(f.vu->registrationNation, 0xFF);
  EXPECT_EQ(f.vu->registrationNationAlpha, "");
}

TEST(DddVu, Gen2v2WithDownloadInterfaceVersion) {
  // TREP 00 (DDP_028a, 02 02), then 31, 32 x2, 33, 24 (DDP_032: the one Gen2 speed TREP), 35;
  // the overview's VehicleRegistrationIdentificationRecordArray (2.166a, type 24) has the nation.
  const Bytes b = buildSampleVehicleUnit(Generation::Gen2v2);
  ASSERT_EQ(b[1], 0x00);
  const ParsedFile f = parse(b);
  EXPECT_EQ(f.generation, Generation::Gen2v2);
  EXPECT_TRUE(f.warnings.empty()) << warningsOf(f);
  expectSampleIdentity(f, "3");
}

TEST(DddVu, LatestCalibrationIsChosenByItsNewTimeNotItsPosition) {
  for (Generation gen : {Generation::Gen1, Generation::Gen2v1, Generation::Gen2v2}) {
    VuSpec s = sampleVuSpec(gen);
    // Every order of the three records yields the 2025-06-15 one (85 km/h).
    std::sort(s.calibrations.begin(), s.calibrations.end(),
              [](auto& a, auto& b) { return a.authorisedSpeed < b.authorisedSpeed; });
    do {
      const ParsedFile f = parse(buildVehicleUnit(s));
      ASSERT_TRUE(f.vu) << f.error;
      EXPECT_EQ(f.vu->authorisedSpeed, 85) << generationName(gen);
      EXPECT_EQ(f.vu->nextCalibrationDate, 1813017600u);
    } while (std::next_permutation(
        s.calibrations.begin(), s.calibrations.end(),
        [](auto& a, auto& b) { return a.authorisedSpeed < b.authorisedSpeed; }));
  }
}

TEST(DddVu, NoCalibrationRecordsLeavesSpeedAndDateAbsent) {
  VuSpec s = sampleVuSpec(Generation::Gen1);
  s.calibrations.clear();
  const ParsedFile f = parse(buildVehicleUnit(s));
  ASSERT_TRUE(f.vu);
  EXPECT_FALSE(f.vu->authorisedSpeed);
  EXPECT_FALSE(f.vu->nextCalibrationDate);
  EXPECT_EQ(f.vu->partNumber, "PN-SYN-10042");
}

TEST(DddVu, UnknownTrepStopsTheWalkAndKeepsWhatWasRead) {
  // TREP 07 is not in section 2.2.6: with no length in TV, nothing after it can be found.
  const VuSpec s = sampleVuSpec(Generation::Gen1);
  const Bytes head = cat({testing::overviewBlock(s), testing::activitiesBlock(s, s.firstDay)});
  const Bytes b = cat({head, Bytes{0x76, 0x07, 1, 2, 3}, testing::technicalDataBlock(s)});
  const ParsedFile f = parse(b);
  ASSERT_TRUE(f.vu) << f.error;
  EXPECT_EQ(f.vu->vin, "SYNTHVIN000000017");
  EXPECT_FALSE(f.vu->authorisedSpeed);  // technical data after the unknown block is not read
  EXPECT_EQ(f.vu->partNumber, "");
  ASSERT_EQ(f.warnings.size(), 1u) << warningsOf(f);
  EXPECT_EQ(f.warnings[0].offset, head.size());
  EXPECT_NE(f.warnings[0].text.find("76 07"), std::string::npos) << f.warnings[0].text;
  EXPECT_NE(f.warnings[0].text.find("not read"), std::string::npos);
}

TEST(DddVu, EveryTruncationIsAWarningOrTheErrorNeverACrash) {
  for (Generation gen : {Generation::Gen1, Generation::Gen2v1, Generation::Gen2v2}) {
    const VuSpec s = sampleVuSpec(gen);
    std::vector<Bytes> blocks = {testing::overviewBlock(s), testing::activitiesBlock(s, s.firstDay),
                                 testing::eventsAndFaultsBlock(s), testing::detailedSpeedBlock(s),
                                 testing::technicalDataBlock(s)};
    Bytes full;
    std::vector<std::size_t> ends;  // a cut at a block's end leaves a whole, shorter download
    for (const Bytes& b : blocks) {
      full.insert(full.end(), b.begin(), b.end());
      ends.push_back(full.size());
    }
    for (std::size_t n = 0; n < full.size(); ++n) {
      const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      const ParsedFile f = parse(cut);
      const bool atBlockEnd = std::find(ends.begin(), ends.end(), n) != ends.end();
      // Either a summary (with the reason it stopped early), or none with the reason why.
      if (f.vu) {
        EXPECT_TRUE(f.error.empty());
        EXPECT_EQ(f.warnings.empty(), atBlockEnd) << n << warningsOf(f);
        EXPECT_EQ(f.vu->vin, s.vin);
      } else {
        EXPECT_FALSE(f.error.empty()) << n;
        EXPECT_LT(n, ends[0]);
      }
    }
  }
}

TEST(DddVu, TruncatedTechnicalDataKeepsTheCalibrationsBeforeTheCut) {
  // Gen1 TREP 05 (DDP_033): VuIdentification 116, SensorPaired 20, count, records of 167 bytes.
  // Cut inside the third record: the first two (90 and 85 km/h) were read, 85 is the latest.
  const VuSpec s = sampleVuSpec(Generation::Gen1);
  const Bytes head = cat({testing::overviewBlock(s), testing::eventsAndFaultsBlock(s)});
  const Bytes tech = testing::technicalDataBlock(s);
  const Bytes b = cat({head, Bytes(tech.begin(), tech.begin() + 2 + 116 + 20 + 1 + 167 * 2 + 50)});
  const ParsedFile f = parse(b);
  ASSERT_TRUE(f.vu) << f.error;
  EXPECT_EQ(f.vu->authorisedSpeed, 85);
  EXPECT_EQ(f.vu->manufacturerAddress, "ul. Testowa 1, 90-001");
  ASSERT_EQ(f.warnings.size(), 1u) << warningsOf(f);
  EXPECT_EQ(f.warnings[0].offset, head.size());
  EXPECT_NE(f.warnings[0].text.find("TREP 05 (technical data)"), std::string::npos);
  EXPECT_NE(f.warnings[0].text.find("VuCalibrationData"), std::string::npos) << f.warnings[0].text;
}

TEST(DddVu, OverviewCutBeforeItsVinIsTheError) {
  const Bytes full = buildSampleVehicleUnit(Generation::Gen1);
  const ParsedFile f = parse(Bytes(full.begin(), full.begin() + 2 + 194 + 100));
  EXPECT_FALSE(f.vu);
  EXPECT_EQ(f.kind, FileKind::VehicleUnit);
  EXPECT_NE(f.error.find("VehicleIdentificationNumber"), std::string::npos) << f.error;
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_NE(f.warnings[0].text.find("VUCertificate"), std::string::npos) << f.warnings[0].text;
}

TEST(DddVu, NoOverviewIsTheErrorEvenWithTechnicalData) {
  const VuSpec s = sampleVuSpec(Generation::Gen2v1);
  const ParsedFile f = parse(cat({testing::detailedSpeedBlock(s), testing::technicalDataBlock(s)}));
  EXPECT_EQ(f.kind, FileKind::VehicleUnit);
  EXPECT_EQ(f.generation, Generation::Gen2v1);
  EXPECT_FALSE(f.vu);
  EXPECT_NE(f.error.find("no overview"), std::string::npos) << f.error;
  EXPECT_TRUE(f.warnings.empty()) << warningsOf(f);
  // DDP_028a's interface version alone tells no generation of data.
  const ParsedFile version = parse(Bytes{0x76, 0x00, 0x02, 0x02});
  EXPECT_EQ(version.kind, FileKind::VehicleUnit);
  EXPECT_EQ(version.generation, Generation::Unknown);
  EXPECT_NE(version.error.find("no overview"), std::string::npos);
}

TEST(DddVu, BytesThatAreNoTrepAreNotAVehicleUnit) {
  EXPECT_EQ(parse(Bytes{}).error, "empty file");
  const ParsedFile f = parse(Bytes{0x00, 0x02, 0x00, 0x19});  // a card file's EF_ICC tag
  EXPECT_EQ(f.kind, FileKind::Unknown);
  EXPECT_NE(f.error.find("not a vehicle-unit file"), std::string::npos);
}

// Gen2 record array headers (section 2.2.6 remark) as a TREP 25 would carry them.
Bytes arrayHeader(std::uint8_t type, std::uint16_t size, std::uint16_t count) {
  return Bytes{type, static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size),
               static_cast<std::uint8_t>(count >> 8), static_cast<std::uint8_t>(count)};
}

TEST(DddVu, Gen2ArrayLongerThanTheFileStopsWithItsCounts) {
  const VuSpec s = sampleVuSpec(Generation::Gen2v1);
  const Bytes overview = testing::overviewBlock(s);
  const Bytes b = cat({overview, Bytes{0x76, 0x25}, arrayHeader(0x0C, 212, 40), Bytes(300, 0)});
  const ParsedFile f = parse(b);
  ASSERT_TRUE(f.vu);
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_EQ(f.warnings[0].offset, overview.size());
  EXPECT_NE(f.warnings[0].text.find("40 records of 212 bytes, only 300 bytes left"),
            std::string::npos)
      << f.warnings[0].text;
}

TEST(DddVu, Gen2UnassignedRecordTypeStopsTheWalk) {
  const VuSpec s = sampleVuSpec(Generation::Gen2v2);
  const Bytes overview = testing::overviewBlock(s);
  const Bytes b = cat({overview, Bytes{0x76, 0x35}, arrayHeader(0x19, 0, 0),
                       arrayHeader(0x55, 4, 1), Bytes(4, 0), testing::technicalDataBlock(s)});
  const ParsedFile f = parse(b);
  ASSERT_TRUE(f.vu);
  EXPECT_FALSE(f.vu->authorisedSpeed);
  ASSERT_EQ(f.warnings.size(), 1u) << warningsOf(f);
  EXPECT_NE(
      f.warnings[0].text.find("record type 55 at offset " + std::to_string(overview.size() + 7)),
      std::string::npos)
      << f.warnings[0].text;
}

TEST(DddVu, Gen2TrepWithoutSignatureNamesTheNextSid) {
  const VuSpec s = sampleVuSpec(Generation::Gen2v1);
  Bytes speed = testing::detailedSpeedBlock(s);
  speed.resize(speed.size() - 5 - 64);  // drop the SignatureRecordArray
  const ParsedFile f =
      parse(cat({testing::overviewBlock(s), speed, testing::technicalDataBlock(s)}));
  ASSERT_TRUE(f.vu);
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_NE(f.warnings[0].text.find("TREP 24 (detailed speed)"), std::string::npos);
  EXPECT_NE(f.warnings[0].text.find("no SignatureRecordArray"), std::string::npos)
      << f.warnings[0].text;
}

TEST(DddVu, Gen2ArrayOutOfPlaceIsSkippedBySizeWithAWarning) {
  // A VIN array inside technical data (DDP_033 lists none): skipped, the walk goes on.
  const VuSpec s = sampleVuSpec(Generation::Gen2v1);
  Bytes tech = testing::technicalDataBlock(s);
  const Bytes vin = cat({arrayHeader(0x0A, 17, 1), Bytes(17, 'Z')});
  tech.insert(tech.begin() + 2, vin.begin(), vin.end());
  const Bytes overview = testing::overviewBlock(s);
  const ParsedFile f = parse(cat({overview, tech}));
  ASSERT_TRUE(f.vu);
  EXPECT_EQ(f.vu->vin, "SYNTHVIN000000027");
  EXPECT_EQ(f.vu->authorisedSpeed, 85);
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_EQ(f.warnings[0].offset, overview.size() + 2);
  EXPECT_NE(f.warnings[0].text.find("does not belong in TREP 25"), std::string::npos);
}

TEST(DddVu, Gen2RecordTooSmallForItsFieldsIsSkippedWithAWarning) {
  // A VuIdentification array (2.206) of 50-byte records cannot hold the 108 bytes read from it.
  const VuSpec s = sampleVuSpec(Generation::Gen2v2);
  Bytes tech = testing::technicalDataBlock(s);
  const std::size_t idSize = 138;  // Gen2v2 VuIdentification
  ASSERT_EQ(tech[2], 0x19);
  tech.erase(tech.begin() + 2, tech.begin() + 2 + 5 + static_cast<std::ptrdiff_t>(idSize));
  const Bytes small = cat({arrayHeader(0x19, 50, 1), Bytes(50, 'x')});
  tech.insert(tech.begin() + 2, small.begin(), small.end());
  const Bytes overview = testing::overviewBlock(s);
  const ParsedFile f = parse(cat({Bytes{0x76, 0x00, 0x02, 0x02}, overview, tech}));
  ASSERT_TRUE(f.vu);
  EXPECT_EQ(f.vu->partNumber, "");
  EXPECT_EQ(f.vu->authorisedSpeed, 85);  // the walk went on to the calibrations
  ASSERT_EQ(f.warnings.size(), 1u) << warningsOf(f);
  EXPECT_EQ(f.warnings[0].offset, 4 + overview.size() + 2);
  EXPECT_NE(f.warnings[0].text.find("records of 50 bytes, at least 108 expected"),
            std::string::npos)
      << f.warnings[0].text;
}

TEST(DddVu, TextOutsideItsCodePageIsAWarningNamingTheField) {
  // VehicleRegistrationNumber (2.167) under code page 42, which chapter 4 does not define: read
  // as ISO/IEC 8859-1, with a warning.
  VuSpec s = sampleVuSpec(Generation::Gen1);
  s.registrationCodePage = 42;
  const Bytes overview = testing::overviewBlock(s);
  const ParsedFile f = parse(overview);
  ASSERT_TRUE(f.vu);
  EXPECT_EQ(f.vu->registrationNumber,
            "M-\xC3\x9C"
            "B 123");
  ASSERT_EQ(f.warnings.size(), 1u) << warningsOf(f);
  EXPECT_EQ(f.warnings[0].offset, 2 + 194 + 194 + 17 + 1);  // the codePage byte
  EXPECT_NE(f.warnings[0].text.find("VehicleRegistrationNumber"), std::string::npos);
}

TEST(DddVu, MixedGenerationsAndASecondOverviewAreWarnings) {
  VuSpec gen1 = sampleVuSpec(Generation::Gen1);
  VuSpec other = sampleVuSpec(Generation::Gen2v1);
  other.vin = "OTHERVIN000000000";
  const ParsedFile f = parse(cat({testing::overviewBlock(gen1), testing::overviewBlock(other)}));
  ASSERT_TRUE(f.vu);
  EXPECT_EQ(f.vu->vin, "SYNTHVIN000000017");
  EXPECT_EQ(f.generation, Generation::Gen1);
  ASSERT_EQ(f.warnings.size(), 2u) << warningsOf(f);
  EXPECT_NE(f.warnings[0].text.find("another generation"), std::string::npos);
  EXPECT_NE(f.warnings[1].text.find("second overview"), std::string::npos);
}

TEST(DddVu, LargeDownloadParsesWhole) {
  const Bytes b = testing::buildLargeVehicleUnit(Generation::Gen2v2);
  EXPECT_GE(b.size(), 1u << 20);
  const ParsedFile f = parse(b);
  EXPECT_TRUE(f.warnings.empty()) << warningsOf(f);
  expectSampleIdentity(f, "3");
}

TEST(DddVu, SummaryJson) {
  // schema/files.md "Summary JSON": TimeReal values as ISO-8601, UTF-8 text.
  EXPECT_EQ(
      toJson(parse(buildSampleVehicleUnit(Generation::Gen1))),
      R"({"kind":"vehicleUnit","generation":"gen1","card":null,"vehicleUnit":{)"
      R"("vin":"SYNTHVIN000000017","registrationNation":13,"registrationNationAlpha":"D",)"
      "\"registrationNumber\":\"M-\xC3\x9C"
      "B 123\","
      "\"manufacturerName\":\"\xC5\x81\xC3\xB3"
      "d\xC5\xBA Tacho Works\","
      R"("manufacturerAddress":"ul. Testowa 1, 90-001","partNumber":"PN-SYN-10042",)"
      R"("softwareVersion":"V1.2","serialNumber":"12345671 04/19 type 0x0A manufacturer 0x41",)"
      R"("authorisedSpeed":85,"nextCalibrationDate":"2027-06-15T00:00:00Z",)"
      R"("downloadablePeriodBegin":"2025-01-10T00:00:00Z",)"
      R"("downloadablePeriodEnd":"2025-11-29T23:46:40Z"},"warnings":[],"error":null})");
}

}  // namespace
}  // namespace dcgw::codecs::ddd
