// Teltonika records through encoder and decoder (8, 8 Extended with NX values, 16), and the IO id
// tables per family (schema/teltonika.md section 7): an FMX6 record read as FMX6 and as FMBxxx.
#include <gtest/gtest.h>

#include <set>

#include "codecs/teltonika/frame.hpp"
#include "codecs/teltonika/io_map.hpp"
#include "codecs/teltonika/udp.hpp"

namespace dcgw::codecs::teltonika {
namespace {

RecordOut sample(std::uint64_t ts) {
  RecordOut r;
  r.timestampMs = ts;
  r.priority = 1;
  r.gps = {-36844120, 481523066, -12, 198, 15, 83};  // 3.6844120 W, 48.1523066 N, -12 m
  r.eventIoId = 239;
  r.generationType = 7;
  r.io = {ioValue(239, 1, 1), ioValue(66, 24010, 2), ioValue(16, 123456789, 4),
          ioValue(78, 0x0102030405060708ULL, 8)};
  return r;
}

AvlData roundTrip(std::uint8_t codec, const std::vector<RecordOut>& records) {
  auto data = encodeAvlData(codec, records);
  EXPECT_TRUE(data.ok()) << data.error().message();
  const Bytes frame = wrapFrame(*data);
  FrameScan s = tryFrame(frame);
  EXPECT_EQ(s.scan, Scan::Frame) << s.error.message();
  EXPECT_TRUE(s.avl.has_value());
  return s.avl ? *s.avl : AvlData{};
}

TEST(TeltonikaRecords, EachAvlCodecRoundTripsSignedPositionsAndAllGroups) {
  for (std::uint8_t codec : {kCodec8, kCodec8Extended, kCodec16}) {
    const AvlData d = roundTrip(codec, {sample(1700000000123), sample(1700000001123)});
    ASSERT_EQ(d.records.size(), 2u) << codecName(codec);
    const AvlRecord& r = d.records[1];
    EXPECT_EQ(r.codec, codec);
    EXPECT_EQ(r.timestampMs, 1700000001123u);
    EXPECT_EQ(r.gps.longitude, -36844120);
    EXPECT_EQ(r.gps.latitude, 481523066);
    EXPECT_EQ(r.gps.altitude, -12);
    EXPECT_EQ(r.gps.angle, 198);
    EXPECT_EQ(r.gps.satellites, 15);
    EXPECT_EQ(r.gps.speed, 83);
    EXPECT_EQ(r.eventIoId, 239);
    EXPECT_EQ(r.totalIoCount, 4);
    EXPECT_EQ(r.generationType.has_value(), codec == kCodec16);
    ASSERT_NE(r.find(78), nullptr);
    EXPECT_EQ(r.find(78)->value, 0x0102030405060708ULL);
    EXPECT_EQ(r.find(16)->value, 123456789u);
    // 24 fixed bytes + the IO header + 4 ids + 1 + 2 + 4 + 8 value bytes.
    const std::size_t expected = codec == kCodec8    ? 24 + 6 + 4 + 15
                                 : codec == kCodec16 ? 24 + 8 + 8 + 15
                                                     : 24 + 14 + 8 + 15;
    EXPECT_EQ(r.raw.size(), expected);
    EXPECT_EQ(minRecordBytes(codec), codec == kCodec8 ? 30u : codec == kCodec16 ? 32u : 38u);
  }
}

TEST(TeltonikaRecords, RawBytesAreTheRecordAsSent) {
  auto data = encodeAvlData(kCodec8, {sample(5)});
  ASSERT_TRUE(data.ok());
  const AvlData d = roundTrip(kCodec8, {sample(5)});
  ASSERT_EQ(d.records.size(), 1u);
  EXPECT_EQ(d.records[0].raw, Bytes(data->begin() + 2, data->end() - 1));
}

TEST(TeltonikaRecords, NxValuesOfAnyLengthIncludingEmpty) {
  RecordOut r = sample(7);
  const std::string vin = "WDB9634031L123456";
  r.io.push_back({256, Bytes(vin.begin(), vin.end())});
  r.io.push_back({281, Bytes{}});
  r.io.push_back({385, Bytes{0xAA, 0xBB, 0xCC}});
  const AvlData d = roundTrip(kCodec8Extended, {r});
  ASSERT_EQ(d.records.size(), 1u);
  const AvlRecord& rec = d.records[0];
  const IoElement* e = rec.find(256);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->variable);
  const ByteView v = rec.valueBytes(*e);
  EXPECT_EQ(std::string(v.begin(), v.end()), vin);
  EXPECT_EQ(rec.find(281)->length, 0);
  EXPECT_EQ(rec.find(385)->length, 3);
  EXPECT_EQ(rec.valueBytes(*rec.find(385))[2], 0xCC);
  // Codec 8 and 16 have no NX group: the encoder says so instead of writing a wrong record.
  EXPECT_FALSE(encodeAvlData(kCodec8, {r}).ok());
  EXPECT_FALSE(encodeAvlData(kCodec16, {r}).ok());
}

TEST(TeltonikaRecords, UdpRoundTripAndAck) {
  auto data = encodeAvlData(kCodec16, {sample(9)});
  ASSERT_TRUE(data.ok());
  const Bytes d = encodeUdp(0x1234, 0x42, "356307042441013", *data);
  const auto u = decodeUdp(d);
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->packetId, 0x1234);
  EXPECT_EQ(u->avlPacketId, 0x42);
  EXPECT_EQ(u->imei, "356307042441013");
  ASSERT_EQ(u->avl.records.size(), 1u);
  EXPECT_EQ(u->avl.records[0].generationType, std::optional<std::uint8_t>(7));
  EXPECT_EQ(toHex(encodeUdpAck(0x1234, 0x42, 1)),
            "0005123401420"
            "1");
}

// An FMX6 (FMC650-like) record with the ids of the tachograph table; the card halves are the
// public example values of the Metatavu FMC650 receiver (io195 = "10696193", io196 = "35000001").
RecordOut fmx6Record() {
  RecordOut r;
  r.timestampMs = 1700000000000;
  r.io = {ioValue(239, 1, 1),
          ioValue(240, 1, 1),
          ioValue(71, 1, 1),
          ioValue(22, 0, 1),
          ioValue(66, 27500, 2),
          ioValue(184, 3, 1),
          ioValue(185, 2, 1),
          ioValue(187, 1, 1),
          ioValue(188, 0, 1),
          ioValue(191, 82, 2),
          ioValue(192, 123456789, 4),
          ioValue(195, 3544392526090811699ULL, 8),
          ioValue(196, 3689908453225017393ULL, 8),
          ioValue(88, 1450, 2),
          ioValue(16, 1000, 4)};
  return r;
}

TEST(TeltonikaIoMap, Fmx6RecordReadsAsTheTachographTableSays) {
  const AvlData d = roundTrip(kCodec8Extended, {fmx6Record()});
  ASSERT_EQ(d.records.size(), 1u);
  const AvlRecord& r = d.records[0];
  const Family f = Family::FMX6;
  EXPECT_EQ(ignition(r, f), std::optional<bool>(true));
  EXPECT_EQ(movement(r, f), std::optional<bool>(true));
  EXPECT_EQ(gnssStatus(r, f), std::optional<std::uint8_t>(1));
  EXPECT_EQ(dataMode(r, f), std::optional<std::uint8_t>(0));
  EXPECT_EQ(externalVoltageMv(r, f), std::optional<std::uint32_t>(27500));
  EXPECT_EQ(driverWorkingState(r, f, 1), std::optional<std::uint8_t>(3));
  EXPECT_EQ(driverWorkingState(r, f, 2), std::optional<std::uint8_t>(2));
  EXPECT_EQ(driverCardPresent(r, f, 1), std::optional<bool>(true));
  EXPECT_EQ(driverCardPresent(r, f, 2), std::optional<bool>(false));
  EXPECT_EQ(tachoSpeedKmh(r, f), std::optional<std::uint16_t>(82));
  EXPECT_EQ(tachoOdometerM(r, f), std::optional<std::uint32_t>(123456789));
  EXPECT_EQ(driver1CardNumber(r, f), std::optional<std::string>("1069619335000001"));
  EXPECT_EQ(engineSpeedRpm(r, f), std::optional<std::uint32_t>(1450));
  EXPECT_EQ(totalOdometerM(r, f), std::optional<std::uint32_t>(1000));
  EXPECT_EQ(tripOdometerM(r, f), std::nullopt);  // absent from the record
}

TEST(TeltonikaIoMap, TheSameRecordReadAsFmbxxxUsesOtherIds) {
  const AvlData d = roundTrip(kCodec8Extended, {fmx6Record()});
  const AvlRecord& r = d.records[0];
  const Family f = Family::FMBxxx;
  EXPECT_EQ(ignition(r, f), std::optional<bool>(true));  // 239 in both families
  EXPECT_EQ(gnssStatus(r, f), std::nullopt);             // 69 on FMBxxx, absent
  EXPECT_EQ(dataMode(r, f), std::nullopt);               // 80 on FMBxxx, absent
  EXPECT_EQ(driverWorkingState(r, f, 1), std::nullopt);  // 10159 on FMx150
  EXPECT_EQ(driver1CardNumber(r, f), std::nullopt);      // no published id
  EXPECT_EQ(engineSpeedRpm(r, f), std::nullopt);         // 85 on FMBxxx, absent
}

TEST(TeltonikaIoMap, AValueOfAnotherLengthIsNotReadAsTheQuantity) {
  RecordOut out;
  out.io = {ioValue(71, 1, 2)};  // GNSS status sent in two bytes: another meaning of the id
  const AvlData d = roundTrip(kCodec8, {out});
  EXPECT_EQ(gnssStatus(d.records[0], Family::FMX6), std::nullopt);
}

TEST(TeltonikaIoMap, NoCardIsAnEmptyCardNumber) {
  RecordOut out;
  out.io = {ioValue(195, 0, 8), ioValue(196, 0, 8)};
  const AvlData d = roundTrip(kCodec8Extended, {out});
  EXPECT_EQ(driver1CardNumber(d.records[0], Family::FMX6), std::optional<std::string>(""));
}

TEST(TeltonikaIoMap, Driver2CardAndCoolantTemperatureReadPerFamily) {
  RecordOut out;
  out.io = {ioValue(197, 0x4430303030303030ULL, 8), ioValue(198, 0x3030303030303132ULL, 8),
            ioValue(127, 0xF6, 1), ioValue(115, 0xFF9C, 2)};  // -10 C (FMX6), -10.0 C (FMBxxx)
  const AvlData d = roundTrip(kCodec8Extended, {out});
  EXPECT_EQ(driverCardNumber(d.records[0], Family::FMX6, 2),
            std::optional<std::string>("D000000000000012"));
  EXPECT_EQ(driverCardNumber(d.records[0], Family::FMX6, 1), std::nullopt);
  EXPECT_EQ(driverCardNumber(d.records[0], Family::FMBxxx, 2), std::nullopt);
  EXPECT_EQ(engineCoolantDeciC(d.records[0], Family::FMX6), std::optional<std::int32_t>(-100));
  EXPECT_EQ(engineCoolantDeciC(d.records[0], Family::FMBxxx), std::optional<std::int32_t>(-100));
}

TEST(TeltonikaIoMap, TablesHaveOneRowPerQuantityAndASourceEach) {
  for (Family f : {Family::FMBxxx, Family::FMX6}) {
    std::set<Quantity> seen;
    for (const IoMapping& m : ioTable(f)) {
      EXPECT_TRUE(seen.insert(m.quantity).second) << familyName(f) << " id " << m.id;
      EXPECT_NE(std::string(m.source), "");
      EXPECT_TRUE(m.bytes == 1 || m.bytes == 2 || m.bytes == 4 || m.bytes == 8);
    }
  }
  EXPECT_EQ(ioMapping(Family::FMBxxx, Quantity::DataMode)->id, 80);
  EXPECT_EQ(ioMapping(Family::FMX6, Quantity::DataMode)->id, 22);
  EXPECT_EQ(ioMapping(Family::FMBxxx, Quantity::GnssStatus)->id, 69);
  EXPECT_EQ(ioMapping(Family::FMX6, Quantity::GnssStatus)->id, 71);
  EXPECT_EQ(ioMapping(Family::FMBxxx, Quantity::Driver1IdMsb), nullptr);
  EXPECT_EQ(parseFamily("fmx6"), std::optional<Family>(Family::FMX6));
  EXPECT_EQ(parseFamily("FMBxxx"), std::optional<Family>(Family::FMBxxx));
  EXPECT_EQ(parseFamily("FMB640"), std::nullopt);
}

}  // namespace
}  // namespace dcgw::codecs::teltonika
