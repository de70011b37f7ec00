// Consolidated DDS (seed 004 section 14.4) from each feed (14.1 Stoneridge Duo, 14.2 VDO Counter,
// 14.3 Intellic iCounter) and the New Driver packet (section 8), byte by byte. Inputs and expected
// outputs are built by hand at the seed's offsets; the rules are schema/derived-packets.md's.
#include <gtest/gtest.h>

#include "codecs/packets/derived.hpp"
#include "codecs/packets/packet.hpp"
#include "tests/support/vector.hpp"

namespace {

using dcgw::codecs::Bytes;
using dcgw::codecs::consolidatedDds;
using dcgw::codecs::isDdsFeed;
using dcgw::codecs::newDriverPacket;
using dcgw::codecs::toHex;
using dcgw::testing::Vec;

constexpr std::uint32_t kAt = 1'780'000'000;

// Section 14.4's header: DateTime, CardNumber, Mode, Duration, TimeRelatedStates, Level.
Vec consolidatedHead(std::uint8_t states, std::uint8_t level) {
  Vec v(0x4D, 0x0C, 66);
  v.u32be(2, kAt)
      .ascii(6, "DRV0000000001A", 14)
      .u8(20, 3)
      .u16be(21, 42)
      .u8(23, states)
      .u8(24, level);
  return v;
}

// The feeds' shared head (14.1-14.3 offsets 2-34).
Vec feedHead(std::uint8_t type, std::uint8_t sub, std::size_t len, std::uint8_t states) {
  Vec v(type, sub, len);
  v.u32be(2, kAt).ascii(6, "DRV0000000001A", 14).u8(20, 3).u16be(21, 42).u8(23, states);
  v.u16be(24, 200).u16be(26, 400).u16be(28, 2000).u16be(30, 4000).u16be(32, 20);
  return v;
}

void expectBytes(const Bytes& got, const Bytes& want) {
  ASSERT_EQ(got.size(), 66u);
  EXPECT_EQ(toHex(got), toHex(want));
  dcgw::codecs::Packet p;
  EXPECT_TRUE(dcgw::codecs::decodePacket(got, p).ok()) << "the 14.4 codec reads it back";
}

TEST(ConsolidatedDds, StoneridgeDuoCopiesItsCountersAndDerivesTheRest) {
  // 14.1: MaximumDailyDrive 10 h, 1 extension and 2 reduced rests used, working time given.
  Vec feed = feedHead(0x4D, 0x02, 53, 0x03);
  feed.u16be(34, 30).u16be(36, 300).u16be(38, 3000).u16be(40, 660).u16be(42, 2700);
  feed.u8(44, 10).u8(45, 1).u8(46, 2).u16be(47, 480).u16be(49, 2400).u16be(51, 50);
  auto out = consolidatedDds(feed.bytes());
  ASSERT_TRUE(out.ok()) << out.error().message();
  Vec want = consolidatedHead(0x03, 1);  // 14.5: 0011 is a level 1 pre-warning
  want.u16be(25, 200).u16be(27, 400).u16be(29, 2000).u16be(31, 4000);
  want.u8(33, 10).u8(34, 56).u8(35, 90);
  // RemainingDrive: min(270-200, 600-400, 3360-2000, 5400-4000) = 70.
  want.u16be(36, 70);
  want.u16be(38, 30);  // 20 min of break taken (>= 15): the 30 min second part is next
  want.u8(40, 1);      // 2 - 1 extensions
  want.u16be(41, 20).u16be(43, 30);
  want.u16be(45, 200);  // min(270, 600-400, ...) = 200
  want.u8(47, 1);       // 3 - 2 reduced rests
  want.u32be(48, kAt + 300 * 60).u32be(52, kAt + 3000 * 60);
  want.u16be(56, 660).u16be(58, 2700).u16be(60, 480).u16be(62, 2400).u16be(64, 50);
  expectBytes(*out, want.bytes());
}

TEST(ConsolidatedDds, StoneridgeBeforeVersion74GivesNullsForWhatItLacks) {
  // 14.1 note B: DailyDrive, WeeklyDrive, CumulativeRest and the B2/C fields are 0xFF(FF).
  Vec feed = feedHead(0x6D, 0x02, 53, 0x01);
  feed.u16be(26, 0xFFFF).u16be(28, 0xFFFF).u16be(32, 0);
  for (std::size_t off = 34; off < 44; off += 2) feed.u16be(off, 0xFFFF);
  feed.u8(44, 0xFF).u8(45, 0xFF).u8(46, 0xFF);
  for (std::size_t off = 47; off < 53; off += 2) feed.u16be(off, 0xFFFF);
  auto out = consolidatedDds(feed.bytes());
  ASSERT_TRUE(out.ok());
  Vec want = consolidatedHead(0x01, 1);
  want.u16be(25, 200).u16be(27, 0xFFFF).u16be(29, 0xFFFF).u16be(31, 4000);
  want.u8(33, 0xFF).u8(34, 56).u8(35, 90);
  want.u16be(36, 0xFFFF);  // needs DailyDrive and MaximumDailyDrive
  want.u16be(38, 45);      // no qualifying break yet: the full 45
  want.u8(40, 0xFF);
  want.u16be(41, 0).u16be(43, 45).u16be(45, 0xFFFF).u8(47, 0xFF);
  want.u32be(48, 0xFFFFFFFF).u32be(52, 0xFFFFFFFF);
  for (std::size_t off = 56; off < 66; off += 2) want.u16be(off, 0xFFFF);
  expectBytes(*out, want.bytes());
  EXPECT_EQ((*out)[0], 0x4D) << "14.4 is type 0x4D whichever type the feed came as";
}

TEST(ConsolidatedDds, VdoCounterCopiesItsRemainingValuesAndReadsTheBitMask) {
  Vec feed = feedHead(0x4D, 0x03, 60, 0x02);
  feed.u16be(34, 70).u16be(36, 75).u16be(38, 45).u16be(40, 25).u16be(42, 80).u16be(44, 260);
  feed.u16be(46, 200).u16be(48, 320).u16be(50, 540).u16be(52, 1360).u16be(54, 3100);
  feed.u16be(56, 1440).u16be(58, 0b1'0010);  // rr = 2 reduced rests, dd = 2 extensions
  auto out = consolidatedDds(feed.bytes());
  ASSERT_TRUE(out.ok());
  Vec want = consolidatedHead(0x02, 2);
  want.u16be(25, 200).u16be(27, 400).u16be(29, 2000).u16be(31, 4000);
  want.u8(33, 10).u8(34, 56).u8(35, 90);  // an extension is available: 10 h
  want.u16be(36, 70).u16be(38, 45).u8(40, 2).u16be(41, 20).u16be(43, 25).u16be(45, 260);
  want.u8(47, 2).u32be(48, kAt + 320 * 60).u32be(52, kAt + 3100 * 60);
  want.u16be(56, 540).u16be(58, 1440);
  want.u16be(60, 0xFFFF).u16be(62, 0xFFFF).u16be(64, 0xFFFF);  // VDO has no working time
  expectBytes(*out, want.bytes());
}

TEST(ConsolidatedDds, VdoCounterTurnedOffGivesNullsNotZeros) {
  // 14.2 note 3: without VDO Counter the fields from offset 34 are 0xFFFF.
  Vec feed = feedHead(0x4D, 0x03, 60, 0x00);
  for (std::size_t off = 34; off < 60; off += 2) feed.u16be(off, 0xFFFF);
  auto out = consolidatedDds(feed.bytes());
  ASSERT_TRUE(out.ok());
  Vec want = consolidatedHead(0x00, 0);
  want.u16be(25, 200).u16be(27, 400).u16be(29, 2000).u16be(31, 4000);
  want.u8(33, 0xFF).u8(34, 56).u8(35, 90).u16be(36, 0xFFFF).u16be(38, 0xFFFF).u8(40, 0xFF);
  want.u16be(41, 20).u16be(43, 0xFFFF).u16be(45, 0xFFFF).u8(47, 0xFF);
  want.u32be(48, 0xFFFFFFFF).u32be(52, 0xFFFFFFFF);
  for (std::size_t off = 56; off < 66; off += 2) want.u16be(off, 0xFFFF);
  expectBytes(*out, want.bytes());
}

TEST(ConsolidatedDds, IntellicICounterDerivesFromUsedTimes) {
  // 14.3 (subtype 0x04, DESIGN.md): both extensions used, so 9 h; no reduced rest count.
  Vec feed = feedHead(0x4D, 0x04, 43, 0x07);
  feed.u16be(24, 280).u16be(26, 500).u16be(32, 50);
  feed.u16be(34, 40).u16be(36, 2000).u16be(38, 540).u16be(40, 2700).u8(42, 2);
  auto out = consolidatedDds(feed.bytes());
  ASSERT_TRUE(out.ok());
  Vec want = consolidatedHead(0x07, 1);
  want.u16be(25, 280).u16be(27, 500).u16be(29, 2000).u16be(31, 4000);
  want.u8(33, 9).u8(34, 56).u8(35, 90);
  want.u16be(36, 0);   // 4h30 exceeded: nothing left, never negative
  want.u16be(38, 45);  // a 45 min break taken ends the cycle: the next one is 45 again
  want.u8(40, 0).u16be(41, 50).u16be(43, 0);
  want.u16be(45, 40);  // min(270, 540-500, 3360-2000, 5400-4000)
  want.u8(47, 0xFF).u32be(48, kAt + 40 * 60).u32be(52, kAt + 2000 * 60);
  want.u16be(56, 540).u16be(58, 2700);
  want.u16be(60, 0xFFFF).u16be(62, 0xFFFF).u16be(64, 0xFFFF);
  expectBytes(*out, want.bytes());
}

TEST(ConsolidatedDds, TimeRelatedLevelIsNullForNullOrUnknownStates) {
  Vec feed = feedHead(0x4D, 0x04, 43, 0xFF);
  auto out = consolidatedDds(feed.bytes());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[23], 0xFF);
  EXPECT_EQ((*out)[24], 0xFF);
  feed = feedHead(0x4D, 0x04, 43, 0x0E);  // not in section 14.5's table
  out = consolidatedDds(feed.bytes());
  EXPECT_EQ((*out)[23], 0x0E);
  EXPECT_EQ((*out)[24], 0xFF);
  feed = feedHead(0x4D, 0x04, 43, 0x0D);  // 1101 "other": level 0
  out = consolidatedDds(feed.bytes());
  EXPECT_EQ((*out)[24], 0x00);
}

TEST(ConsolidatedDds, RefusesWhatIsNotAFeedOrTooShort) {
  Vec tacho(0x4D, 0x00, 40);
  EXPECT_FALSE(isDdsFeed(tacho.bytes()));
  auto e = consolidatedDds(tacho.bytes());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().field, "type");
  Vec consolidated(0x4D, 0x0C, 66);
  EXPECT_FALSE(isDdsFeed(consolidated.bytes())) << "never derived from itself";
  Vec shortVdo(0x4D, 0x03, 59);
  e = consolidatedDds(shortVdo.bytes());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().field, "length");
  EXPECT_EQ(e.error().offset, 59u);
}

TEST(NewDriverPacket, LaysOutSection8) {
  auto p = newDriverPacket("DRV0000000001A", "M\xC3\xBCller", "Anna Maria");
  ASSERT_TRUE(p.ok()) << p.error().message();
  Vec want(0x44, 0x00, 156);
  want.ascii(2, "DRV0000000001A", 14).utf16(16, u"M\u00fcller", 70).utf16(86, u"Anna Maria", 70);
  EXPECT_EQ(toHex(*p), toHex(want.bytes()));
  auto shortCard = newDriverPacket("D12", "A", "B");
  ASSERT_TRUE(shortCard.ok());
  EXPECT_EQ(toHex(Bytes(shortCard->begin() + 2, shortCard->begin() + 16)),
            "4431322020202020202020202020");
}

TEST(NewDriverPacket, RefusesAnEmptyOrLongCardAndAnOverlongName) {
  EXPECT_EQ(newDriverPacket("", "A", "B").error().field, "cardNumber");
  EXPECT_EQ(newDriverPacket("123456789012345", "A", "B").error().field, "cardNumber");
  EXPECT_EQ(newDriverPacket("12\n4", "A", "B").error().field, "cardNumber");
  EXPECT_FALSE(newDriverPacket("1", std::string(36, 'x'), "B").ok());
}

}  // namespace
