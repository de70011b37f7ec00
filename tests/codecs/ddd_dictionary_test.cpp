// Annex 1C chapter 4 code pages, NationAlpha and IA5 strings (codecs/ddd/dictionary.hpp).
#include "codecs/ddd/dictionary.hpp"

#include <gtest/gtest.h>

#include "codecs/ddd/summary.hpp"

namespace dcgw::codecs::ddd {
namespace {

ByteView view(const Bytes& b) {
  return ByteView(b.data(), b.size());
}

TEST(DddCodePage, Latin1NameWithPaddingTrimmed) {
  // "Müller" in ISO/IEC 8859-1 (code page 1), padded with spaces as a Name's 35 bytes are.
  Bytes b{'M', 0xFC, 'l', 'l', 'e', 'r', ' ', ' ', ' '};
  bool ok = true;
  EXPECT_EQ(decodeCodePage(1, view(b), &ok), "M\xC3\xBCller");
  EXPECT_TRUE(ok);
}

TEST(DddCodePage, Latin2AndGreekAndKoi8R) {
  bool ok = true;
  // 0xA3 is Ł in 8859-2 (U+0141), 0xC1 is Α (U+0391) in 8859-7, 0xC1 is а (U+0430) in KOI8-R.
  EXPECT_EQ(decodeCodePage(2, view(Bytes{0xA3, 'o', 'd', 'z'}), &ok), "\xC5\x81odz");
  EXPECT_EQ(decodeCodePage(7, view(Bytes{0xC1}), &ok), "\xCE\x91");
  EXPECT_EQ(decodeCodePage(80, view(Bytes{0xC1}), &ok), "\xD0\xB0");
  EXPECT_TRUE(ok);
}

TEST(DddCodePage, AnUnmappedByteIsReplacedAndAnUnknownCodePageReadAsLatin1) {
  bool ok = true;
  // 0xA5 has no character in ISO/IEC 8859-3.
  EXPECT_EQ(decodeCodePage(3, view(Bytes{'a', 0xA5}), &ok), "a\xEF\xBF\xBD");
  EXPECT_FALSE(ok);
  ok = true;
  // Code page 42 is not in chapter 4's list: ISO/IEC 8859-1 (0xE9 is U+00E9), reported.
  EXPECT_EQ(decodeCodePage(42, view(Bytes{'a', 0xE9}), &ok), "a\xC3\xA9");
  EXPECT_FALSE(ok);
  ok = true;
  EXPECT_EQ(decodeCodePage(0, view(Bytes{'a', 0x85}), &ok), "a\xEF\xBF\xBD");  // a C1 control
  EXPECT_FALSE(ok);
  ok = true;
  EXPECT_EQ(decodeCodePage(42, view(Bytes{'a', 'b'}), &ok), "ab");  // ASCII reads under any
  EXPECT_TRUE(ok);
}

TEST(DddCodePage, PaddingIsTrimmedAtBothEnds) {
  bool ok = true;
  EXPECT_EQ(decodeCodePage(1, view(Bytes{' ', ' ', 'S', 'M', 'I', 'T', 'H', ' ', 0x00, 0xFF}), &ok),
            "SMITH");
  // An identifier keeps its start (a key of the download log).
  EXPECT_EQ(decodeIa5(view(Bytes{' ', '1', '2', ' ', 0xFF}), &ok), " 12");
  EXPECT_EQ(decodeCodePage(1, view(Bytes{'A', ' ', 'B'}), &ok), "A B");  // inner spaces kept
  EXPECT_TRUE(ok);
}

TEST(DddCodePage, AllPaddingIsEmptyAndFine) {
  bool ok = true;
  EXPECT_EQ(decodeCodePage(1, view(Bytes(35, 0xFF)), &ok), "");
  EXPECT_EQ(decodeCodePage(1, view(Bytes(35, 0x00)), &ok), "");
  EXPECT_TRUE(ok);
}

TEST(DddIa5, TrimsPaddingAndMarksNonAscii) {
  bool ok = true;
  EXPECT_EQ(decodeIa5(view(Bytes{'D', 'F', '1', ' ', 0}), &ok), "DF1");
  EXPECT_TRUE(ok);
  EXPECT_EQ(decodeIa5(view(Bytes{'A', 0x07, 0xE9, 'B'}), &ok), "A??B");
  EXPECT_FALSE(ok);
}

TEST(DddNation, AlphaOfNumericCodes) {
  EXPECT_STREQ(nationAlpha(0x0D), "D");
  EXPECT_STREQ(nationAlpha(0x11), "F");
  EXPECT_STREQ(nationAlpha(0x0F), "E");
  EXPECT_STREQ(nationAlpha(0x15), "UK");
  EXPECT_STREQ(nationAlpha(0x1F), "LT");
  EXPECT_STREQ(nationAlpha(0xFD), "EC");
  EXPECT_STREQ(nationAlpha(0xFF), "WLD");
  EXPECT_STREQ(nationAlpha(0x00), "");
  EXPECT_STREQ(nationAlpha(0x80), "");
}

TEST(DddSummaryJson, CardSummaryWithNullsForAbsentValues) {
  ParsedFile f;
  f.kind = FileKind::DriverCard;
  f.generation = Generation::Gen1;
  CardSummary c;
  c.cardNumber = "DF00000000000100";
  c.issuingNation = 0x11;
  c.issuingNationAlpha = "F";
  c.surname = "M\xC3\xBCller";
  c.birthDate = CivilDate{1980, 2, 29};
  c.expiryDate = 1893456000;  // 2030-01-01
  f.card = c;
  f.warnings.push_back({42, "tag 0x0522: unknown, skipped"});
  EXPECT_EQ(toJson(f),
            R"({"kind":"driverCard","generation":"gen1","card":{"cardNumber":"DF00000000000100",)"
            R"("issuingNation":17,"issuingNationAlpha":"F","surname":"Müller","firstNames":null,)"
            R"("birthDate":"1980-02-29","validityBegin":null,"expiryDate":"2030-01-01T00:00:00Z",)"
            R"("drivingLicenceNumber":null,"drivingLicenceIssuingAuthority":null,)"
            R"("workshopName":null,"workshopAddress":null,"activityFirstDay":null,)"
            R"("activityLastDay":null},"vehicleUnit":null,"warnings":[{"offset":42,)"
            R"("text":"tag 0x0522: unknown, skipped"}],"error":null})");
}

}  // namespace
}  // namespace dcgw::codecs::ddd
