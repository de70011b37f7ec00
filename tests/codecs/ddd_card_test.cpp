// Card files (codecs/ddd/card.cpp) on files generated from Annex 1C's layouts by
// tests/support/ddd_card_builder.hpp; each case names the section its bytes follow.
#include <gtest/gtest.h>

#include "codecs/ddd/card_activity.hpp"
#include "codecs/ddd/parsers.hpp"
#include "tests/support/ddd_card_builder.hpp"

namespace dcgw::codecs::ddd {
namespace {

using testing::CardGeneration;
using testing::CardSpec;
using testing::CardType;
using testing::dayStart;

ParsedFile parse(const Bytes& file) {
  return parseCard(ByteView(file.data(), file.size()));
}

// True when some warning contains `needle`.
bool warned(const ParsedFile& f, const std::string& needle) {
  for (const Warning& w : f.warnings)
    if (w.text.find(needle) != std::string::npos) return true;
  return false;
}

std::string allWarnings(const ParsedFile& f) {
  std::string s;
  for (const Warning& w : f.warnings) s += "@" + std::to_string(w.offset) + " " + w.text + "\n";
  return s;
}

// Appendix 7 section 3.4.2 (TLV with FID + appendix 00/01), Appendix 2 TCS_150 (Gen1 driver
// card EFs), data dictionary 2.24 CardIdentification, 2.62 DriverCardHolderIdentification,
// 2.18 CardDrivingLicenceInformation, 2.17 CardDriverActivity.
TEST(DddCard, Gen1DriverCardFieldByField) {
  const ParsedFile f =
      parse(testing::buildCardFile(testing::sampleDriverCard(CardGeneration::Gen1)));
  EXPECT_EQ(f.kind, FileKind::DriverCard);
  EXPECT_EQ(f.generation, Generation::Gen1);
  EXPECT_EQ(f.error, "");
  EXPECT_TRUE(f.warnings.empty()) << allWarnings(f);
  ASSERT_TRUE(f.card);
  const CardSummary& c = *f.card;
  EXPECT_EQ(c.cardNumber, "D0000TEST0000101");
  EXPECT_EQ(c.issuingNation, 0x0D);
  EXPECT_EQ(c.issuingNationAlpha, "D");
  EXPECT_EQ(c.surname, "M\xC3\xBCller-Beispiel");  // code page 1 (ISO/IEC 8859-1) to UTF-8
  EXPECT_EQ(c.firstNames, "J\xC3\xB6rg Testfahrer");
  ASSERT_TRUE(c.birthDate);
  EXPECT_EQ(formatDate(*c.birthDate), "1980-02-29");
  EXPECT_EQ(c.validityBegin, dayStart("2024-08-08"));
  EXPECT_EQ(c.expiryDate, dayStart("2029-08-07"));
  EXPECT_EQ(c.drivingLicenceNumber, "TESTLIC000000001");
  EXPECT_EQ(c.drivingLicenceIssuingAuthority, "Fahrerlaubnisbeh\xC3\xB6rde Musterkreis");
  EXPECT_EQ(c.workshopName, "");
  EXPECT_EQ(c.workshopAddress, "");
  EXPECT_EQ(c.activityFirstDay, dayStart("2025-03-01"));
  EXPECT_EQ(c.activityLastDay, dayStart("2025-03-10"));
}

// The same file as schema/files.md's summary JSON (toJson).
TEST(DddCard, Gen1DriverCardSummaryJson) {
  const ParsedFile f =
      parse(testing::buildCardFile(testing::sampleDriverCard(CardGeneration::Gen1)));
  EXPECT_EQ(
      toJson(f),
      R"({"kind":"driverCard","generation":"gen1","card":{"cardNumber":"D0000TEST0000101",)"
      R"("issuingNation":13,"issuingNationAlpha":"D","surname":"Müller-Beispiel",)"
      R"("firstNames":"Jörg Testfahrer","birthDate":"1980-02-29",)"
      R"("validityBegin":"2024-08-08T00:00:00Z","expiryDate":"2029-08-07T00:00:00Z",)"
      R"("drivingLicenceNumber":"TESTLIC000000001",)"
      R"("drivingLicenceIssuingAuthority":"Fahrerlaubnisbehörde Musterkreis",)"
      R"("workshopName":null,"workshopAddress":null,)"
      R"("activityFirstDay":"2025-03-01T00:00:00Z","activityLastDay":"2025-03-10T00:00:00Z"},)"
      R"("vehicleUnit":null,"warnings":[],"error":null})");
}

// Appendix 7 section 3.4.2 (appendix 02/03 for the Tachograph_G2 DF), TCS_154: a Gen2 card
// carries both DFs; the Gen2 DF's larger buffer (13776 bytes) still holds days the Gen1 DF's
// (5544 bytes) has overwritten, so the first day shows which DF was read.
TEST(DddCard, Gen2DriverCardPrefersTheGen2Data) {
  CardSpec s = testing::sampleDriverCard(CardGeneration::Gen2v1);
  s.days = testing::consecutiveDays("2025-01-01", 40, 100);  // 212 bytes a day
  const Bytes file = testing::buildCardFile(s);
  ASSERT_NE(testing::findCardBlock(file, 0x0504, 0x00), SIZE_MAX);
  ASSERT_NE(testing::findCardBlock(file, 0x0504, 0x02), SIZE_MAX);
  testing::ActivityLayout gen1, gen2;
  testing::driverActivityEf(s, testing::activityBufferSize(s, false), &gen1);
  testing::driverActivityEf(s, testing::activityBufferSize(s, true), &gen2);
  ASSERT_EQ(gen2.keptDays, 40u);
  ASSERT_EQ(gen1.keptDays, 26u);  // 5544 / 212

  const ParsedFile f = parse(file);
  EXPECT_EQ(f.kind, FileKind::DriverCard);
  EXPECT_EQ(f.generation, Generation::Gen2v1);
  EXPECT_TRUE(f.warnings.empty()) << allWarnings(f);
  ASSERT_TRUE(f.card);
  EXPECT_EQ(f.card->cardNumber, "D0000TEST0000101");
  EXPECT_EQ(f.card->drivingLicenceNumber, "TESTLIC000000001");
  EXPECT_EQ(f.card->activityFirstDay, dayStart("2025-01-01"));
  EXPECT_EQ(f.card->activityLastDay, dayStart("2025-02-09"));
}

// TCS_152 notes / data dictionary 2.36: cardStructureVersion {01 01} and EF
// Application_Identification_V2 (0525) mark version 2 of a Gen2 card.
TEST(DddCard, Gen2v2FromStructureVersionOrTheV2Ef) {
  Bytes file = testing::buildCardFile(testing::sampleDriverCard(CardGeneration::Gen2v2));
  EXPECT_EQ(parse(file).generation, Generation::Gen2v2);
  // Without the Gen2 application identification, EF Application_Identification_V2 still tells.
  testing::removeCardBlock(file, 0x0501, 0x02);
  ParsedFile f = parse(file);
  EXPECT_EQ(f.generation, Generation::Gen2v2);
  EXPECT_EQ(f.kind, FileKind::DriverCard);  // from the Gen1 application identification
  // With neither, nothing tells version 2 from 1: gen2v1.
  testing::removeCardBlock(file, 0x0525, 0x02);
  EXPECT_EQ(parse(file).generation, Generation::Gen2v1);
}

// TCS_154 EF Identification is 143 bytes; a 20-byte Gen2 block cannot hold CardIdentification
// (2.24, 65 bytes): the Gen1 DF's block is read and the warning names the damaged tag.
TEST(DddCard, DamagedGen2IdentificationFallsBackToGen1) {
  Bytes file = testing::buildCardFile(testing::sampleDriverCard(CardGeneration::Gen2v1));
  testing::replaceCardBlockValue(file, 0x0520, 0x02, Bytes(20, 0x41));
  const ParsedFile f = parse(file);
  EXPECT_EQ(f.error, "");
  ASSERT_TRUE(f.card);
  EXPECT_EQ(f.card->cardNumber, "D0000TEST0000101");
  EXPECT_EQ(f.card->surname, "M\xC3\xBCller-Beispiel");
  EXPECT_TRUE(warned(f, "tag 05 20 02 (EF Identification, Tachograph_G2 DF): 20 bytes"))
      << allWarnings(f);
  EXPECT_TRUE(warned(f, "the Gen1 block is read instead"));
  EXPECT_EQ(f.warnings.at(0).offset, testing::findCardBlock(file, 0x0520, 0x02));
}

// 2.17: a Gen2 buffer whose newest pointer is past its end yields no day; the Gen1 DF's buffer
// is walked instead.
TEST(DddCard, DamagedGen2ActivityFallsBackToGen1) {
  Bytes file = testing::buildCardFile(testing::sampleDriverCard(CardGeneration::Gen2v1));
  Bytes ef(4 + 13776, 0);
  ef[2] = 0xFF;  // activityPointerNewestRecord 0xFF00
  testing::replaceCardBlockValue(file, 0x0504, 0x02, ef);
  const ParsedFile f = parse(file);
  ASSERT_TRUE(f.card);
  EXPECT_EQ(f.card->activityFirstDay, dayStart("2025-03-01"));
  EXPECT_EQ(f.card->activityLastDay, dayStart("2025-03-10"));
  EXPECT_TRUE(warned(f, "activityPointerNewestRecord 65280 is past the buffer")) << allWarnings(f);
  EXPECT_TRUE(warned(f, "tag 05 04 00 (EF Driver_Activity_Data, Tachograph DF): read because"));
}

// TCS_158 / 2.237 WorkshopCardHolderIdentification: workshopName, workshopAddress, then the
// holder's name; no birth date or licence on a workshop card.
TEST(DddCard, WorkshopCardNameAddressAndHolder) {
  for (CardGeneration gen : {CardGeneration::Gen1, CardGeneration::Gen2v1}) {
    const ParsedFile f = parse(testing::buildCardFile(testing::sampleWorkshopCard(gen)));
    EXPECT_EQ(f.kind, FileKind::WorkshopCard);
    EXPECT_EQ(f.generation, gen == CardGeneration::Gen1 ? Generation::Gen1 : Generation::Gen2v1);
    EXPECT_TRUE(f.warnings.empty()) << allWarnings(f);
    ASSERT_TRUE(f.card);
    EXPECT_EQ(f.card->cardNumber, "D0000WKSTEST0101");
    EXPECT_EQ(f.card->workshopName, "Musterwerkstatt Probe GmbH");
    EXPECT_EQ(f.card->workshopAddress, "Beispielweg 7, 99999 Musterstadt");
    EXPECT_EQ(f.card->surname, "Schrauber");
    EXPECT_EQ(f.card->firstNames, "Erika Werkprobe");
    EXPECT_FALSE(f.card->birthDate);
    EXPECT_EQ(f.card->drivingLicenceNumber, "");
    EXPECT_EQ(f.card->activityFirstDay, dayStart("2025-04-10"));
    EXPECT_EQ(f.card->activityLastDay, dayStart("2025-04-11"));
  }
}

// TCS_148/156: without EF Application_Identification the EFs only one card type has decide
// (EF Calibration 050A: workshop; EF Driving_Licence_Info 0521: driver).
TEST(DddCard, CardTypeFromTheEfsWhenApplicationIdentificationIsMissing) {
  Bytes workshop = testing::buildCardFile(testing::sampleWorkshopCard(CardGeneration::Gen1));
  testing::removeCardBlock(workshop, 0x0501, 0x00);
  EXPECT_EQ(parse(workshop).kind, FileKind::WorkshopCard);
  EXPECT_EQ(parse(workshop).card->workshopName, "Musterwerkstatt Probe GmbH");
  Bytes driver = testing::buildCardFile(testing::sampleDriverCard(CardGeneration::Gen1));
  testing::removeCardBlock(driver, 0x0501, 0x00);
  EXPECT_EQ(parse(driver).kind, FileKind::DriverCard);
  EXPECT_EQ(parse(driver).card->surname, "M\xC3\xBCller-Beispiel");
}

// TCS_166 / 2.52 ControlCardHolderIdentification (body name and address, then the holder);
// TCS_174 / 2.49 CompanyCardHolderIdentification (no person's name).
TEST(DddCard, ControlAndCompanyCards) {
  CardSpec control = testing::sampleWorkshopCard(CardGeneration::Gen1);
  control.type = CardType::Control;
  ParsedFile f = parse(testing::buildCardFile(control));
  EXPECT_EQ(f.kind, FileKind::ControlCard);
  ASSERT_TRUE(f.card);
  EXPECT_EQ(f.card->surname, "Schrauber");
  EXPECT_EQ(f.card->workshopName, "");  // a control body is no workshop
  CardSpec company = control;
  company.type = CardType::Company;
  f = parse(testing::buildCardFile(company));
  EXPECT_EQ(f.kind, FileKind::CompanyCard);
  ASSERT_TRUE(f.card);
  EXPECT_EQ(f.card->cardNumber, "D0000WKSTEST0101");
  EXPECT_EQ(f.card->surname, "");
  EXPECT_TRUE(f.warnings.empty()) << allWarnings(f);
}

// 2.17: a card never used has both pointers 0 and an all-zero buffer: no days, no warning.
TEST(DddCard, EmptyCardHasNoActivityAndNoWarning) {
  CardSpec s = testing::sampleDriverCard(CardGeneration::Gen2v1);
  s.days.clear();
  const ParsedFile f = parse(testing::buildCardFile(s));
  ASSERT_TRUE(f.card);
  EXPECT_FALSE(f.card->activityFirstDay);
  EXPECT_FALSE(f.card->activityLastDay);
  EXPECT_TRUE(f.warnings.empty()) << allWarnings(f);
}

// 2.17: "when the string is full, storing continues at the first byte of the string
// independently of a break being inside a data element". 20 records of 32 bytes into 300 bytes
// from offset 150: the oldest 11 are overwritten and a kept record runs across the end.
TEST(DddCard, WrappedBufferWithARecordStraddlingTheEnd) {
  CardSpec s = testing::sampleDriverCard(CardGeneration::Gen1);
  s.days = testing::consecutiveDays("2025-01-06", 20, 10);
  s.gen1ActivitySize = 300;
  s.activityStart = 150;
  testing::ActivityLayout layout;
  testing::driverActivityEf(s, 300, &layout);
  ASSERT_TRUE(layout.straddles);
  ASSERT_EQ(layout.keptDays, 9u);           // 9 * 32 = 288 <= 300 < 320
  ASSERT_GT(layout.oldest, layout.newest);  // the chain runs back across the buffer's start

  const ParsedFile f = parse(testing::buildCardFile(s));
  EXPECT_TRUE(f.warnings.empty()) << allWarnings(f);
  ASSERT_TRUE(f.card);
  EXPECT_EQ(f.card->activityFirstDay, dayStart("2025-01-17"));  // day 12 of 20
  EXPECT_EQ(f.card->activityLastDay, dayStart("2025-01-25"));
}

// 2.9 / 2.17: here the 8 header bytes themselves (previous length, length, date) are split by
// the end: 5 records of 20 bytes in 100 bytes from offset 95.
TEST(DddCard, RecordHeaderSplitByTheBufferEnd) {
  CardSpec s = testing::sampleDriverCard(CardGeneration::Gen1);
  s.days = testing::consecutiveDays("2025-06-01", 5, 4);
  s.gen1ActivitySize = 100;
  s.activityStart = 95;
  testing::ActivityLayout layout;
  testing::driverActivityEf(s, 100, &layout);
  ASSERT_EQ(layout.oldest, 95u);  // its header is bytes 95..99 and 0..2
  ASSERT_EQ(layout.keptDays, 5u);
  const ParsedFile f = parse(testing::buildCardFile(s));
  EXPECT_TRUE(f.warnings.empty()) << allWarnings(f);
  EXPECT_EQ(f.card->activityFirstDay, dayStart("2025-06-01"));
  EXPECT_EQ(f.card->activityLastDay, dayStart("2025-06-05"));
}

// Appendix 7 section 3.4.2: tags are FIDs of Appendix 2 with appendix 00-03; anything else is
// skipped with a warning naming the tag, and the blocks after it are still read.
TEST(DddCard, UnknownTagsAreSkippedWithAWarning) {
  Bytes file = testing::buildCardFile(testing::sampleDriverCard(CardGeneration::Gen1));
  const std::size_t at = testing::findCardBlock(file, 0x0520, 0x00);
  Bytes junk = testing::cardBlock(0x7777, 0x00, Bytes(9, 0xEE));
  const Bytes badAppendix = testing::cardBlock(0x0520, 0x07, Bytes(143, 0x20));
  junk.insert(junk.end(), badAppendix.begin(), badAppendix.end());
  file.insert(file.begin() + static_cast<std::ptrdiff_t>(at), junk.begin(), junk.end());
  const ParsedFile f = parse(file);
  ASSERT_TRUE(f.card);
  EXPECT_EQ(f.card->cardNumber, "D0000TEST0000101");
  EXPECT_EQ(f.card->activityLastDay, dayStart("2025-03-10"));
  ASSERT_EQ(f.warnings.size(), 2u) << allWarnings(f);
  EXPECT_EQ(f.warnings[0].offset, at);
  EXPECT_EQ(f.warnings[0].text, "unknown tag 77 77 00 (length 9): skipped");
  EXPECT_EQ(f.warnings[1].offset, at + 14);
  EXPECT_EQ(f.warnings[1].text, "unknown tag 05 20 07 (length 143): skipped");
}

// A file of junk blocks stays a short report: 50 skips listed, then one line for the rest.
TEST(DddCard, SkippedBlocksListedUpToFifty) {
  Bytes file = testing::buildCardFile(testing::sampleDriverCard(CardGeneration::Gen1));
  for (int i = 0; i < 70; ++i) {
    const Bytes junk = testing::cardBlock(0x7000, 0x00, Bytes{});
    file.insert(file.end(), junk.begin(), junk.end());
  }
  const ParsedFile f = parse(file);
  ASSERT_TRUE(f.card);
  ASSERT_EQ(f.warnings.size(), 51u);
  EXPECT_EQ(f.warnings[49].text, "unknown tag 70 00 00 (length 0): skipped");
  EXPECT_EQ(f.warnings[50].offset, file.size());
  EXPECT_EQ(f.warnings[50].text, "20 more blocks skipped (unknown or repeated tags), not listed");
}

// A second block with the same tag: the first is kept.
TEST(DddCard, DuplicateBlockKeepsTheFirst) {
  Bytes file = testing::buildCardFile(testing::sampleDriverCard(CardGeneration::Gen1));
  CardSpec other = testing::sampleDriverCard(CardGeneration::Gen1);
  other.cardNumber = "D0000OTHER000101";
  const Bytes dup = testing::cardBlock(0x0520, 0x00, testing::cardIdentificationEf(other));
  file.insert(file.end(), dup.begin(), dup.end());
  const ParsedFile f = parse(file);
  EXPECT_EQ(f.card->cardNumber, "D0000TEST0000101");
  EXPECT_TRUE(warned(f, "tag 05 20 00 (EF Identification, Tachograph DF): a second block"));
}

// DDP_044: a length runs past the end of a truncated download: warning and stop; what came
// before is kept.
TEST(DddCard, TruncatedInsideTheActivityBlock) {
  Bytes file = testing::buildCardFile(testing::sampleDriverCard(CardGeneration::Gen1));
  const std::size_t at = testing::findCardBlock(file, 0x0504, 0x00);
  file.resize(at + 5 + 100);
  const ParsedFile f = parse(file);
  EXPECT_EQ(f.error, "");
  ASSERT_TRUE(f.card);
  EXPECT_EQ(f.card->cardNumber, "D0000TEST0000101");
  EXPECT_FALSE(f.card->activityFirstDay);
  ASSERT_EQ(f.warnings.size(), 1u) << allWarnings(f);
  EXPECT_EQ(f.warnings[0].offset, at);
  EXPECT_EQ(f.warnings[0].text,
            "tag 05 04 00 (EF Driver_Activity_Data, Tachograph DF): length 5548 runs past the end "
            "of the file (100 bytes left); the rest of the file is not read");
}

TEST(DddCard, TruncatedInsideABlockHeader) {
  Bytes file = testing::buildCardFile(testing::sampleDriverCard(CardGeneration::Gen1));
  const std::size_t at = testing::findCardBlock(file, 0x0504, 0x00);
  file.resize(at + 3);
  const ParsedFile f = parse(file);
  ASSERT_TRUE(f.card);
  ASSERT_EQ(f.warnings.size(), 1u) << allWarnings(f);
  EXPECT_EQ(f.warnings[0].offset, at);
  EXPECT_TRUE(warned(f, "3 bytes at the end are too few for a block header"));
}

// DDP_035: EF Identification is mandatory; a file cut before it has no summary, the error names
// the missing EF and the kind read from EF Application_Identification stays.
TEST(DddCard, NoIdentificationIsTheError) {
  Bytes file = testing::buildCardFile(testing::sampleWorkshopCard(CardGeneration::Gen1));
  file.resize(testing::findCardBlock(file, 0x0520, 0x00) + 40);
  const ParsedFile f = parse(file);
  EXPECT_FALSE(f.card);
  EXPECT_FALSE(f.hasSummary());
  EXPECT_EQ(f.kind, FileKind::WorkshopCard);
  EXPECT_EQ(f.generation, Generation::Gen1);
  EXPECT_EQ(f.error, "no EF Identification block (tag 05 20 00 or 05 20 02)");

  Bytes shortId = testing::buildCardFile(testing::sampleDriverCard(CardGeneration::Gen1));
  testing::replaceCardBlockValue(shortId, 0x0520, 0x00, Bytes(64, 0x20));
  const ParsedFile g = parse(shortId);
  EXPECT_FALSE(g.card);
  EXPECT_EQ(g.kind, FileKind::DriverCard);
  EXPECT_NE(g.error.find("shorter than the 65 bytes of CardIdentification"), std::string::npos);
}

TEST(DddCard, NotACardFile) {
  const ParsedFile empty = parse(Bytes{});
  EXPECT_EQ(empty.kind, FileKind::Unknown);
  EXPECT_EQ(empty.generation, Generation::Unknown);
  EXPECT_NE(empty.error.find("not a card file"), std::string::npos);
  // A vehicle-unit file's first bytes (76 01 ...: Appendix 7 section 2.2.6) are no card tag.
  const ParsedFile vu = parse(Bytes{0x76, 0x01, 0x00, 0x00, 0x02, 0xAA, 0xBB});
  EXPECT_EQ(vu.kind, FileKind::Unknown);
  EXPECT_FALSE(vu.error.empty());
  EXPECT_TRUE(warned(vu, "unknown tag 76 01 00"));
}

// Chapter 4 code pages: a Name's first byte picks the page (2: ISO/IEC 8859-2); a byte the page
// does not map becomes U+FFFD with a warning naming the field.
TEST(DddCard, NamesFollowTheirCodePage) {
  CardSpec s = testing::sampleDriverCard(CardGeneration::Gen1);
  s.codePage = 2;
  s.surname = "\xA3\xF3\x64ka";  // Łódka
  ParsedFile f = parse(testing::buildCardFile(s));
  EXPECT_EQ(f.card->surname, "\xC5\x81\xC3\xB3\x64ka");
  EXPECT_TRUE(f.warnings.empty()) << allWarnings(f);
  s.codePage = 3;
  s.surname = "A\xA5";  // 0xA5 has no character in ISO/IEC 8859-3
  f = parse(testing::buildCardFile(s));
  EXPECT_EQ(f.card->surname, "A\xEF\xBF\xBD");
  EXPECT_TRUE(warned(f, "holderSurname: bytes code page 3 does not map"));
}

// 2.57: Datef 00000000 is "no date"; other non-BCD bytes are a warning.
TEST(DddCard, BirthDateNoneOrDamaged) {
  CardSpec s = testing::sampleDriverCard(CardGeneration::Gen1);
  s.birthDate = "";
  ParsedFile f = parse(testing::buildCardFile(s));
  EXPECT_FALSE(f.card->birthDate);
  EXPECT_TRUE(f.warnings.empty()) << allWarnings(f);
  Bytes file = testing::buildCardFile(testing::sampleDriverCard(CardGeneration::Gen1));
  Bytes id = testing::cardIdentificationEf(testing::sampleDriverCard(CardGeneration::Gen1));
  id[137] = 0x1A;  // cardHolderBirthDate's first byte: A is no decimal digit
  testing::replaceCardBlockValue(file, 0x0520, 0x00, id);
  f = parse(file);
  EXPECT_FALSE(f.card->birthDate);
  EXPECT_TRUE(warned(f, "cardHolderBirthDate is not a BCD date"));
  EXPECT_EQ(f.warnings.at(0).offset, testing::findCardBlock(file, 0x0520, 0x00) + 5 + 137);
}

// A CardDriverActivity value (2.17) with daily-record headers (2.9) placed by hand.
class ActivityEf {
 public:
  ActivityEf(std::uint16_t oldest, std::uint16_t newest, std::size_t size) : ef_(4 + size, 0) {
    put(0, oldest >> 8), put(1, oldest & 0xFF), put(2, newest >> 8), put(3, newest & 0xFF);
  }
  ActivityEf& record(std::size_t pos, std::uint16_t previous, std::uint16_t length,
                     std::uint32_t date) {
    const std::uint8_t h[8] = {
        static_cast<std::uint8_t>(previous >> 8), static_cast<std::uint8_t>(previous),
        static_cast<std::uint8_t>(length >> 8),   static_cast<std::uint8_t>(length),
        static_cast<std::uint8_t>(date >> 24),    static_cast<std::uint8_t>(date >> 16),
        static_cast<std::uint8_t>(date >> 8),     static_cast<std::uint8_t>(date)};
    for (std::size_t i = 0; i < 8; ++i) put(4 + (pos + i) % (ef_.size() - 4), h[i]);
    return *this;
  }
  ActivityDays walk(std::vector<Warning>& w) const {
    return walkActivity(ByteView(ef_.data(), ef_.size()), 1000, "tag 05 04 00", w);
  }

 private:
  void put(std::size_t i, unsigned v) { ef_[i] = static_cast<std::uint8_t>(v); }
  Bytes ef_;
};

const std::uint32_t kDay1 = 1735689600;  // 2025-01-01T00:00:00Z
const std::uint32_t kDay2 = kDay1 + 86400;

// 2.17: a chain of previous lengths that comes back to a record already visited stops there.
TEST(DddCardActivity, LoopStopsWithAWarning) {
  std::vector<Warning> w;
  const ActivityDays d = ActivityEf(50, 0, 100)
                             .record(0, 20, 20, kDay2)   // previous: 0 - 20 -> 80
                             .record(80, 80, 20, kDay1)  // previous: 80 - 80 -> 0 again
                             .walk(w);
  EXPECT_EQ(d.records, 2u);
  EXPECT_TRUE(d.damaged);
  EXPECT_EQ(d.firstDay, kDay1);
  EXPECT_EQ(d.lastDay, kDay2);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].offset, 1000u + 4 + 80);
  EXPECT_EQ(w[0].text,
            "tag 05 04 00: daily record at buffer offset 80: activityPreviousRecordLength 80 "
            "leads back to buffer offset 0, already visited; walk stopped");
}

// 2.9: activityRecordLength 0 with a date, or past the buffer, or differing from the newer
// record's activityPreviousRecordLength, stops the walk.
TEST(DddCardActivity, BadLengthsStopWithAWarning) {
  std::vector<Warning> w;
  ActivityDays d = ActivityEf(0, 0, 100).record(0, 0, 0, kDay1).walk(w);
  EXPECT_TRUE(d.damaged);
  EXPECT_FALSE(d.firstDay);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].text.find("activityRecordLength 0 is outside 14..100"), std::string::npos);

  w.clear();
  d = ActivityEf(0, 0, 100).record(0, 0, 500, kDay1).walk(w);
  EXPECT_TRUE(d.damaged);
  EXPECT_NE(w.at(0).text.find("activityRecordLength 500 is outside 14..100"), std::string::npos);

  w.clear();
  d = ActivityEf(0, 40, 100).record(0, 0, 0, 0).record(40, 500, 20, kDay2).walk(w);
  EXPECT_EQ(d.records, 1u);
  EXPECT_EQ(d.lastDay, kDay2);
  EXPECT_NE(w.at(0).text.find("activityPreviousRecordLength 500 is outside"), std::string::npos);

  w.clear();  // the newer record says 40 bytes back, the one there says it is 0 bytes long
  d = ActivityEf(0, 40, 100).record(0, 0, 0, 0).record(40, 40, 20, kDay2).walk(w);
  EXPECT_EQ(d.records, 1u);
  EXPECT_NE(w.at(0).text.find("activityRecordLength 0 differs from the newer record's "
                              "activityPreviousRecordLength 40"),
            std::string::npos);
}

TEST(DddCardActivity, PointersOrDatesOutOfPlace) {
  std::vector<Warning> w;
  ActivityDays d = ActivityEf(0, 0, 100).record(0, 0, 20, 0).walk(w);  // date 0: no value
  EXPECT_TRUE(d.damaged);
  EXPECT_NE(w.at(0).text.find("activityRecordDate has no value"), std::string::npos);

  w.clear();  // a chain that ends (previous length 0) before the oldest-day pointer
  d = ActivityEf(10, 40, 100).record(40, 0, 20, kDay2).walk(w);
  EXPECT_FALSE(d.damaged);
  EXPECT_EQ(d.firstDay, kDay2);
  EXPECT_NE(
      w.at(0).text.find("has activityPreviousRecordLength 0 but the oldest-day pointer is 10"),
      std::string::npos);

  w.clear();  // an oldest pointer past the buffer: walked back to the record with none before
  d = ActivityEf(300, 20, 100).record(0, 0, 20, kDay1).record(20, 20, 20, kDay2).walk(w);
  EXPECT_EQ(d.records, 2u);
  EXPECT_EQ(d.firstDay, kDay1);
  EXPECT_NE(w.at(0).text.find("activityPointerOldestDayRecord 300 is past the buffer"),
            std::string::npos);

  w.clear();
  const Bytes tiny{0, 0, 0};
  d = walkActivity(ByteView(tiny.data(), tiny.size()), 7, "tag 05 04 02", w);
  EXPECT_TRUE(d.damaged);
  EXPECT_EQ(w.at(0).offset, 7u);
  EXPECT_EQ(w.at(0).text, "tag 05 04 02: 3 bytes, too short for the activity pointers");
}

}  // namespace
}  // namespace dcgw::codecs::ddd
