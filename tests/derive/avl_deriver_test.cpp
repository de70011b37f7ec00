// The Teltonika AVL deriver (schema/teltonika.md section 9): records built with the codec's
// encoder and decoder, the packets compared byte for byte with layouts written here at the seed
// 004 offsets (sections 8, 12, 13, 14.4, 15, 17), each packet also valid for decodePacket.
#include "gateway/derive/avl_deriver.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "codecs/packets/packet.hpp"
#include "codecs/teltonika/avl.hpp"
#include "tests/support/vector.hpp"

namespace dcgw::testing {
namespace {

using codecs::Bytes;
using codecs::teltonika::AvlRecord;
using codecs::teltonika::Family;
using codecs::teltonika::IoOut;
using codecs::teltonika::ioValue;
using codecs::teltonika::RecordOut;
using derive::AvlDeriver;
using derive::AvlPacket;

constexpr std::uint32_t T0 = 1'780'000'000;
constexpr std::int32_t kLat0 = 547000000, kLat1 = 547100000, kLon = 253000000;  // 1e-7 degrees
const char* const kCard = "1069619335000001";

// 8 ASCII characters as the big-endian value of an 8-byte IO element.
std::uint64_t ascii8(std::string_view s) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<std::uint8_t>(s[i]);
  return v;
}
std::vector<IoOut> card1(std::string_view c) {  // FMX6 195/196, 16 zero bytes for no card
  return {ioValue(195, c.empty() ? 0 : ascii8(c.substr(0, 8)), 8),
          ioValue(196, c.empty() ? 0 : ascii8(c.substr(8, 8)), 8)};
}

RecordOut rec(std::uint32_t sec, std::uint8_t sats, std::uint16_t kmh, std::int32_t lat,
              std::vector<IoOut> io, std::uint16_t angle = 0) {
  RecordOut r;
  r.timestampMs = std::uint64_t{sec} * 1000 + 250;  // the deriver keeps whole seconds
  r.gps = {kLon, lat, 120, angle, sats, kmh};
  r.io = std::move(io);
  return r;
}

std::vector<AvlRecord> records(const std::vector<RecordOut>& in) {
  auto data = codecs::teltonika::encodeAvlData(codecs::teltonika::kCodec8Extended, in);
  EXPECT_TRUE(data.ok()) << data.error().message();
  auto avl = codecs::teltonika::decodeAvlData(*data);
  EXPECT_TRUE(avl.ok()) << avl.error().message();
  return avl.ok() ? avl->records : std::vector<AvlRecord>{};
}

// Derives and checks that every packet is a valid seed 004 packet of its full layout.
std::vector<AvlPacket> run(AvlDeriver& d, const std::vector<AvlRecord>& rs) {
  std::vector<AvlPacket> out = d.derive(rs);
  for (const AvlPacket& p : out) {
    auto decoded = codecs::decodePacket(codecs::ByteView(p.packet));
    EXPECT_TRUE(decoded.ok()) << decoded.error().message();
    if (decoded.ok()) {
      EXPECT_TRUE(decoded->extra().empty());
    }
  }
  return out;
}

std::string hex(const Bytes& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto c : b) s += {d[c >> 4], d[c & 15]};
  return s;
}
void expectPackets(const std::vector<AvlPacket>& got,
                   const std::vector<std::pair<Bytes, std::size_t>>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(hex(got[i].packet), hex(want[i].first)) << "packet " << i;
    EXPECT_EQ(got[i].record, want[i].second) << "packet " << i;
  }
}

// Section 12 (Tracking, 40 bytes with the satellites/GPS DateTime tail).
Bytes tracking(std::uint32_t t, std::int32_t lat, std::uint32_t speed, std::uint32_t heading,
               std::uint32_t maxSpeed, std::int32_t minAcc, std::int32_t maxAcc,
               std::uint32_t duration, std::uint32_t distance, std::uint32_t sats) {
  Vec v(0x47, 0x00, 40);
  v.u32be(2, t).i32be(6, lat).i32be(10, 15180000).i16be(14, 120).u16be(16, speed);
  v.u16be(18, heading).u16be(22, maxSpeed).i16be(24, minAcc).i16be(26, maxAcc);
  v.u16be(28, duration).u32be(30, distance).u8(34, sats).u32be(36, t);
  return v.bytes();
}
// Section 13 (Tachograph mode).
Bytes tachoMode(std::uint32_t t, std::string_view c1, std::uint32_t m1, std::string_view c2,
                std::uint32_t m2, std::uint32_t odo) {
  Vec v(0x4D, 0x00, 40);
  v.u32be(2, t).ascii(6, c1, 14).u8(20, m1).ascii(21, c2, 14).u8(35, m2).u32be(36, odo);
  return v.bytes();
}
// Section 17 (Odometer, Source included).
Bytes odometer(std::uint32_t startEnd, std::uint32_t t, std::uint32_t odo, std::uint32_t source) {
  Vec v(0x4F, startEnd, 28);
  v.u32be(2, t).ascii(6, "", 17).u32be(23, odo).u8(27, source);
  return v.bytes();
}
// Section 8 (New Driver; Teltonika gives no names).
Bytes newDriver(std::string_view card) {
  Vec v(0x44, 0x00, 156);
  v.ascii(2, card, 14);
  return v.bytes();
}

// A drive on an FMX6 with FMS and tachograph: parked, ignition on, a point with 2 satellites,
// moving, stopped with ignition off. Every kind of packet, byte for byte, in order.
TEST(AvlDeriver, ADriveMakesEachPacketInOrderByteForByte) {
  const std::vector<IoOut> tacho0 = {ioValue(184, 0, 1), ioValue(185, 7, 1), ioValue(187, 1, 1),
                                     ioValue(188, 0, 1), ioValue(197, 0, 8), ioValue(198, 0, 8)};
  auto io = [](std::vector<IoOut> a, const std::vector<IoOut>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  const auto rs = records({
      rec(T0, 0, 0, kLat0,
          io(io({ioValue(239, 0, 1), ioValue(16, 1'000'000, 4), ioValue(192, 2'000'000, 4)},
                tacho0),
             card1(kCard))),
      rec(T0 + 10, 8, 0, kLat0,
          {ioValue(239, 1, 1), ioValue(16, 1'000'000, 4), ioValue(192, 2'000'000, 4),
           ioValue(184, 2, 1), ioValue(86, 5000, 4), ioValue(87, 50, 1), ioValue(88, 800, 2),
           ioValue(127, 70, 1), ioValue(128, 20, 2), ioValue(113, 1000, 4),
           ioValue(109, ascii8("0300    ") >> 32, 4), ioValue(110, 3, 1)}),
      rec(T0 + 40, 2, 50, kLat0, {ioValue(239, 1, 1)}),
      rec(T0 + 70, 9, 36, kLat1,
          {ioValue(239, 1, 1), ioValue(16, 1'001'200, 4), ioValue(192, 2'001'200, 4),
           ioValue(184, 3, 1), ioValue(86, 5002, 4), ioValue(87, 49, 1), ioValue(88, 1500, 2),
           ioValue(127, 80, 1)},
          90),
      rec(T0 + 100, 7, 0, kLat1,
          {ioValue(239, 0, 1), ioValue(16, 1'001'200, 4), ioValue(192, 2'001'200, 4),
           ioValue(184, 1, 1), ioValue(86, 5003, 4), ioValue(88, 0, 2)},
          90),
  });
  AvlDeriver d(Family::FMX6);
  const std::string c14 = "10696193350000";

  // Section 15.1 / 15.2 / 15.4 / 15.3: little-endian multi-byte values.
  Vec init(0x46, 0x80, 11);
  init.u32be(2, T0 + 10).u8(6, 3).ascii(7, "0300", 4);
  Vec on(0x46, 0x81, 34);
  on.u32be(2, T0 + 10).ascii(6, c14, 14).u32le(20, 5'000'000).u8(24, 125).u32le(25, 400'000);
  on.u8(29, 110).u16le(30, (273 + 20) * 32).u16le(32, (1000 + 160635) / 5);
  Vec journey(0x46, 0x82, 32);
  journey.u32be(2, T0 + 70).u32le(6, 5'002'000).u8(10, 123).u32le(11, 400'240).u8(15, 120);
  journey.u16le(16, 9376).u16le(18, 60).u16le(20, 2000).u16le(22, 240);
  journey.u16le(24, 72 * 256).u16le(26, 1500 * 8).u16le(28, 50 * 256).u16le(30, 1500 * 8);
  Vec off(0x46, 0x83, 62);
  off.u32be(2, T0 + 100).u32le(6, 5'003'000).u8(10, 123).u32le(11, 400'240).u8(15, 120);
  off.u16le(16, 9376).u16le(18, 90).u24le(20, 3000).u24le(23, 240);
  for (std::size_t o = 26; o < 60; ++o) off.u8(o, 0xFF);  // not in Teltonika records
  off.u16le(60, 1500 * 8);

  expectPackets(run(d, rs),
                {
                    {newDriver(c14), 0},
                    {tachoMode(T0, c14, 0, "", 0xFF, 400'000), 0},
                    {tracking(T0 + 10, 32820000, 0, 0, 0, 0, 0, 0, 0, 8), 1},
                    {tachoMode(T0 + 10, c14, 2, "", 0xFF, 400'000), 1},
                    {odometer(1, T0 + 10, 400'000, 0), 1},
                    {init.bytes(), 1},
                    {on.bytes(), 1},
                    // 36 km/h = 194 tenths of a knot; max speed 50 km/h (the 2-satellite point) =
                    // 1389; accelerations 0->50 km/h in 30 s = 0.46 m/s2, 50->36 in 30 s = -0.13
                    // m/s2; distance from the odometer, 1200 m.
                    {tracking(T0 + 70, 32826000, 194, 900, 1389, -13, 46, 60, 120'000, 9), 3},
                    {tachoMode(T0 + 70, c14, 3, "", 0xFF, 400'240), 3},
                    {journey.bytes(), 3},
                    {tracking(T0 + 100, 32826000, 0, 900, 0, -33, -33, 30, 0, 7), 4},
                    {tachoMode(T0 + 100, c14, 1, "", 0xFF, 400'240), 4},
                    {off.bytes(), 4},
                    {odometer(0, T0 + 100, 400'240, 0), 4},
                });
}

// Section 12: a point with fewer than 4 satellites is no Tracking point, but its speed is the
// next point's Max Speed; without an odometer the distance is the great circle.
TEST(AvlDeriver, FewSatellitesAreSkippedButCountIntoMaxSpeedAndDistanceIsGreatCircle) {
  AvlDeriver d(Family::FMBxxx);
  const auto out = run(d, records({rec(T0, 5, 0, kLat0, {}), rec(T0 + 20, 3, 90, kLat0, {}),
                                   rec(T0 + 40, 5, 10, kLat1, {})}));
  // 0.01 degree of latitude on a 6371 km sphere: 1111.949 m. Accelerations 0->90 in 20 s
  // (1.25 m/s2) and 90->10 in 20 s (-1.11 m/s2).
  expectPackets(out, {{tracking(T0, 32820000, 0, 0, 0, 0, 0, 0, 0, 5), 0},
                      {tracking(T0 + 40, 32826000, 54, 0, 2500, -111, 125, 40, 111195, 5), 2}});
}

// Section 13: sent for the first record with tachograph values and on every change of a
// working state, a card presence or a card number; 6/7 (error, not available) are 0xFF.
TEST(AvlDeriver, TachographModeOnActivityChangeCardInsertAndWithdraw) {
  auto tacho = [](std::uint8_t ws1, std::uint8_t ws2, std::uint8_t cp1, std::string_view c) {
    std::vector<IoOut> io = {ioValue(184, ws1, 1), ioValue(185, ws2, 1), ioValue(187, cp1, 1)};
    for (auto& e : card1(c)) io.push_back(e);
    return io;
  };
  AvlDeriver d(Family::FMX6);
  const std::string c14 = "10696193350000";
  const auto out = run(d, records({
                              rec(T0, 0, 0, kLat0, tacho(0, 6, 0, "")),
                              rec(T0 + 1, 0, 0, kLat0, tacho(0, 6, 1, kCard)),  // insert
                              rec(T0 + 2, 0, 0, kLat0, tacho(0, 6, 1, kCard)),  // no change
                              rec(T0 + 3, 0, 0, kLat0, tacho(3, 0, 1, kCard)),  // activities
                              rec(T0 + 4, 0, 0, kLat0, tacho(1, 0, 0, "")),     // withdraw
                              rec(T0 + 5, 0, 0, kLat0, tacho(1, 0, 1, kCard)),  // again
                              rec(T0 + 6, 0, 0, kLat0, {ioValue(239, 1, 1)}),   // no tacho ids
                          }));
  expectPackets(out, {{tachoMode(T0, "", 0, "", 0xFF, 0xFFFFFFFF), 0},
                      {newDriver(c14), 1},
                      {tachoMode(T0 + 1, c14, 0, "", 0xFF, 0xFFFFFFFF), 1},
                      {tachoMode(T0 + 3, c14, 3, "", 0, 0xFFFFFFFF), 3},
                      {tachoMode(T0 + 4, "", 1, "", 0, 0xFFFFFFFF), 4},
                      {tachoMode(T0 + 5, c14, 1, "", 0, 0xFFFFFFFF), 5}});
}

// Section 8: one New Driver per card number; the deriver remembers the last 16 cards.
TEST(AvlDeriver, NewDriverOncePerCardWithABoundedMemory) {
  auto card = [](int n) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "DRV%011d01", n);
    return std::string(buf);
  };
  AvlDeriver d(Family::FMX6);
  std::vector<RecordOut> in;
  for (int n = 0; n <= 16; ++n) in.push_back(rec(T0 + n, 0, 0, kLat0, card1(card(n))));
  in.push_back(rec(T0 + 17, 0, 0, kLat0, card1(card(5))));  // still remembered
  in.push_back(rec(T0 + 18, 0, 0, kLat0, card1(card(0))));  // forgotten: the 17th back
  std::vector<std::string> drivers;
  for (const AvlPacket& p : run(d, records(in)))
    if (p.packet[0] == 0x44) drivers.emplace_back(p.packet.begin() + 2, p.packet.begin() + 16);
  ASSERT_EQ(drivers.size(), 18u);
  EXPECT_EQ(drivers[5], card(5).substr(0, 14));
  EXPECT_EQ(drivers[17], card(0).substr(0, 14));
  EXPECT_EQ(hex(d.derive(records({rec(T0 + 19, 0, 0, kLat0, card1(card(16)))}))[0].packet).size(),
            80u);  // a Tachograph mode (40 bytes), no New Driver
}

// Section 14.4: from the FMX6 driver times, once a minute while a card is in slot 1, at once on
// a mode change; the fields Teltonika does not give are NULL.
TEST(AvlDeriver, ConsolidatedDdsFromTachographDriverTimes) {
  auto times = [](std::uint8_t ws, std::uint16_t cont) {
    std::vector<IoOut> io = {ioValue(184, ws, 1), ioValue(187, 1, 1), ioValue(56, cont, 2),
                             ioValue(58, 20, 2),  ioValue(60, 15, 2), ioValue(69, 300, 2),
                             ioValue(189, 1, 1)};
    for (auto& e : card1(kCard)) io.push_back(e);
    return io;
  };
  AvlDeriver d(Family::FMX6);
  std::vector<Bytes> dds;
  for (const AvlPacket& p : run(d, records({rec(T0, 0, 0, kLat0, times(3, 100)),
                                            rec(T0 + 30, 0, 0, kLat0, times(3, 100)),
                                            rec(T0 + 60, 0, 0, kLat0, times(3, 101)),
                                            rec(T0 + 70, 0, 0, kLat0, times(0, 101))})))
    if (p.packet[0] == 0x4D && p.packet[1] == 0x0C) dds.push_back(p.packet);
  ASSERT_EQ(dds.size(), 3u);
  Vec v(0x4D, 0x0C, 66);
  for (std::size_t o = 20; o < 66; ++o) v.u8(o, 0xFF);
  v.u32be(2, T0 + 60).ascii(6, "10696193350000", 14).u8(20, 3).u16be(21, 15).u8(23, 1).u8(24, 1);
  v.u16be(25, 101).u16be(27, 300).u16be(41, 20);
  EXPECT_EQ(hex(dds[1]), hex(v.bytes()));
  EXPECT_EQ(dds[2][20], 0);  // the mode change, 10 s later
}

TEST(AvlDeriver, FmbRecordsWithoutTachographIdsMakeNoTachographMode) {
  AvlDeriver d(Family::FMBxxx);
  // An FMX6 record's tachograph ids mean nothing to an FMBxxx device.
  std::vector<IoOut> io = {ioValue(239, 1, 1), ioValue(184, 3, 1), ioValue(187, 1, 1)};
  for (auto& e : card1(kCard)) io.push_back(e);
  for (const AvlPacket& p : run(d, records({rec(T0, 6, 10, kLat0, io)})))
    EXPECT_NE(p.packet[0], 0x4D) << hex(p.packet);
}

std::vector<RecordOut> driveRecords() {
  std::vector<RecordOut> in;
  for (std::uint32_t i = 0; i < 8; ++i) {
    std::vector<IoOut> io = {ioValue(239, i >= 2 && i < 7, 1), ioValue(16, 5000 + 400 * i, 4),
                             ioValue(184, i % 4, 1), ioValue(187, 1, 1)};
    for (auto& e : card1(kCard)) io.push_back(e);
    in.push_back(rec(T0 + 30 * i, i == 4 ? 2 : 9, static_cast<std::uint16_t>(20 * (i % 3)),
                     kLat0 + 1000 * static_cast<std::int32_t>(i), io));
  }
  return in;
}

// Records arrive in any order; they are derived in timestamp order, and each packet names the
// record it came from by its index in the span given.
TEST(AvlDeriver, UnsortedRecordsAreDerivedInTimestampOrder) {
  const auto sorted = records(driveRecords());
  std::vector<std::size_t> perm = {5, 0, 7, 2, 6, 1, 4, 3};
  std::vector<AvlRecord> shuffled;
  for (std::size_t i : perm) shuffled.push_back(sorted[i]);
  AvlDeriver a(Family::FMX6), b(Family::FMX6);
  const auto want = run(a, sorted);
  const auto got = run(b, shuffled);
  ASSERT_EQ(got.size(), want.size());
  ASSERT_GT(want.size(), 10u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].packet, want[i].packet) << i;
    EXPECT_EQ(perm[got[i].record], want[i].record) << i;
  }
}

// The listener's retry: copy before a frame, put the copy back when its packets fail to
// commit, derive the resent frame again: the same packets.
TEST(AvlDeriver, ACopyRestoredDerivesTheSameFrameToTheSameBytes) {
  const auto all = records(driveRecords());
  const std::vector<AvlRecord> first(all.begin(), all.begin() + 3);
  const std::vector<AvlRecord> second(all.begin() + 3, all.end());
  AvlDeriver d(Family::FMX6);
  run(d, first);
  const AvlDeriver saved = d;
  const auto once = run(d, second);
  d = saved;
  const auto again = run(d, second);
  ASSERT_FALSE(once.empty());
  ASSERT_EQ(again.size(), once.size());
  for (std::size_t i = 0; i < once.size(); ++i) EXPECT_EQ(again[i].packet, once[i].packet) << i;
  // Without the restore the resent frame derives differently (its points are no longer new).
  std::vector<Bytes> a, b;
  for (const AvlPacket& p : once) a.push_back(p.packet);
  for (const AvlPacket& p : run(d, second)) b.push_back(p.packet);
  EXPECT_NE(a, b);
  EXPECT_EQ(d.family(), Family::FMX6);
}

}  // namespace
}  // namespace dcgw::testing
