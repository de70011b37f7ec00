// End to end, real processes on loopback: a Teltonika FMX6 tracker played by the test with
// hand-built Codec 8 Extended frames (schema/teltonika.md sections 1-3) drives, changes activity
// and card, and stops against `dcgw serve --teltonika-port 0`; the destinations of its location
// (`dcgw receive`, REST and binary) receive exactly the seed 004 packets of schema/teltonika.md
// section 9, in order and byte for byte, and a resent frame only once. The expected bytes are
// written here from the seed's layouts, not made by the gateway's deriver.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "codecs/json.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/e2e.hpp"
#include "tests/support/process.hpp"
#include "tests/support/teltonika_device.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dcgw::codecs::Bytes;
using dcgw::testing::Process;
namespace tt = dcgw::testing::teltonika;
using tt::Io;
using tt::Pkt;

constexpr const char* kImei = "356307042441013";
// 2025-12-01 00:00:00 UTC; record i is 30 s after record i - 1, each 500 ms past the second
// (dropped in every TimeReal field, schema/teltonika.md 9.0).
constexpr std::uint32_t kT0 = 1764547200;
std::uint64_t recordMs(int i) {
  return (std::uint64_t{kT0} + 30u * static_cast<unsigned>(i)) * 1000 + 500;
}
std::uint32_t at(int i) {
  return kT0 + 30u * static_cast<unsigned>(i);
}

// The drive (FMX6 ids of schema/teltonika.md section 7). Odometers in metres, fuel in litres.
std::vector<Bytes> drive() {
  const auto u = tt::be;
  const auto odo = [&](std::uint32_t m) { return std::vector<Io>{{16, u(m, 4)}, {192, u(m, 4)}}; };
  auto with = [](std::vector<Io> a, const std::vector<Io>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  const std::vector<Io> noCard{{195, u(0, 8)}, {196, u(0, 8)}};
  const std::vector<Io> card1{{195, tt::ascii("10696193")}, {196, tt::ascii("35000001")}};
  const std::vector<Io> card2{{195, tt::ascii("10696193")}, {196, tt::ascii("36000002")}};
  std::vector<Bytes> r;
  // 0: parked, ignition off, no card, driver 1 resting; the FMS interface and its values.
  r.push_back(tt::record(recordMs(0), -1000000, 515000000, 50, 0, 9, 0, 239,
                         with(with({{239, u(0, 1)},
                                    {240, u(0, 1)},
                                    {184, u(0, 1)},
                                    {185, u(7, 1)},
                                    {187, u(0, 1)},
                                    {188, u(0, 1)},
                                    {87, u(50, 1)},
                                    {127, u(20, 1)},
                                    {110, u(3, 1)},
                                    {191, u(0, 2)},
                                    {128, u(10, 2)},
                                    {86, u(5000, 4)},
                                    {113, u(5000, 4)},
                                    {109, tt::ascii("0300")}},
                                   odo(120000000)),
                              noCard)));
  // 1: ignition on, engine idling.
  r.push_back(tt::record(recordMs(1), -1000000, 515000000, 50, 0, 9, 0, 239,
                         with({{239, u(1, 1)}, {240, u(0, 1)}, {88, u(800, 2)}}, odo(120000000))));
  // 2: driver card inserted, driver 1 working; DDS times.
  r.push_back(tt::record(recordMs(2), -1000000, 515000000, 50, 0, 9, 0, 187,
                         with(with({{239, u(1, 1)},
                                    {187, u(1, 1)},
                                    {184, u(2, 1)},
                                    {88, u(850, 2)},
                                    {56, u(0, 2)},
                                    {58, u(45, 2)},
                                    {60, u(0, 2)},
                                    {69, u(120, 2)},
                                    {189, u(0, 1)}},
                                   odo(120000000)),
                              card1)));
  // 3: driving east at 50 km/h; a continuous driving pre-warning.
  r.push_back(tt::record(recordMs(3), -994000, 515000000, 50, 90, 9, 50, 184,
                         with({{239, u(1, 1)},
                               {240, u(1, 1)},
                               {184, u(3, 1)},
                               {191, u(50, 2)},
                               {88, u(1500, 2)},
                               {86, u(5001, 4)},
                               {56, u(0, 2)},
                               {58, u(45, 2)},
                               {60, u(0, 2)},
                               {69, u(120, 2)},
                               {189, u(1, 1)}},
                              odo(120000400))));
  // 4: 80 km/h, still driving (no tachograph change).
  r.push_back(tt::record(
      recordMs(4), -985000, 515000000, 50, 90, 9, 80, 0,
      with({{239, u(1, 1)}, {240, u(1, 1)}, {184, u(3, 1)}, {191, u(80, 2)}, {88, u(1800, 2)}},
           odo(120001000))));
  // 5: 60 km/h with 3 satellites: no Tracking point; DDS times a minute later.
  r.push_back(tt::record(recordMs(5), -978000, 515000000, 50, 90, 3, 60, 0,
                         with({{239, u(1, 1)},
                               {240, u(1, 1)},
                               {191, u(60, 2)},
                               {88, u(1700, 2)},
                               {86, u(5003, 4)},
                               {56, u(1, 2)},
                               {58, u(45, 2)},
                               {60, u(1, 2)},
                               {69, u(121, 2)},
                               {189, u(1, 1)}},
                              odo(120001500))));
  // 6: stopped, ignition off, driver 1 available.
  r.push_back(tt::record(recordMs(6), -975000, 515000000, 50, 0, 8, 0, 239,
                         with({{239, u(0, 1)},
                               {240, u(0, 1)},
                               {184, u(1, 1)},
                               {191, u(0, 2)},
                               {88, u(0, 2)},
                               {86, u(5004, 4)}},
                              odo(120001800))));
  // 7: another driver's card, resting.
  r.push_back(tt::record(
      recordMs(7), -975000, 515000000, 50, 0, 8, 0, 187,
      with(with({{239, u(0, 1)}, {187, u(1, 1)}, {184, u(0, 1)}}, odo(120001800)), card2)));
  return r;
}

// Tracking (seed 004 section 12; schema/teltonika.md 9.1), 40 bytes, big-endian.
std::string tracking(std::uint32_t t, std::int32_t lat, std::int32_t lon, std::uint16_t speed,
                     std::uint16_t heading, std::uint16_t maxSpeed, std::int16_t minAcc,
                     std::int16_t maxAcc, std::uint16_t duration, std::uint32_t distance,
                     std::uint8_t sats) {
  return Pkt{0x47, 0x00}
      .be(t, 4)
      .be(static_cast<std::uint32_t>(lat), 4)
      .be(static_cast<std::uint32_t>(lon), 4)
      .be(50, 2)
      .be(speed, 2)
      .be(heading, 2)
      .zero(2)
      .be(maxSpeed, 2)
      .be(static_cast<std::uint16_t>(minAcc), 2)
      .be(static_cast<std::uint16_t>(maxAcc), 2)
      .be(duration, 2)
      .be(distance, 4)
      .u8(sats)
      .zero(1)
      .be(t, 4)
      .hex(40);
}

// Tachograph mode (seed 004 section 13; 9.2), 40 bytes: slot 2 never had a card, state 7 (FF).
std::string tachoMode(std::uint32_t t, const std::string& card, std::uint8_t mode,
                      std::uint32_t odo) {
  return Pkt{0x4D, 0x00}.be(t, 4).text(card, 14).u8(mode).text("", 14).u8(0xFF).be(odo, 4).hex(40);
}

// Consolidated DDS (seed 004 section 14.4; 9.6), 66 bytes, fields the FMX6 ids do not give NULL.
std::string dds(std::uint32_t t, std::uint8_t mode, std::uint16_t duration, std::uint8_t trs,
                std::uint8_t level, std::uint16_t continuous, std::uint16_t daily,
                std::uint16_t breakTaken) {
  return Pkt{0x4D, 0x0C}
      .be(t, 4)
      .text("10696193350000", 14)
      .u8(mode)
      .be(duration, 2)
      .u8(trs)
      .u8(level)
      .be(continuous, 2)
      .be(daily, 2)
      .ff(41 - 29)  // WeeklyDrive .. ExtendedDriveAvailable
      .be(breakTaken, 2)
      .ff(66 - 43)  // RequiredBreakRest .. WorkingTimeBreakTaken
      .hex(66);
}

// Odometer (seed 004 section 17; 9.3), 28 bytes: no VIN, the tachograph's odometer (source 00).
std::string odometer(std::uint8_t startEnd, std::uint32_t t, std::uint32_t odo) {
  return Pkt{0x4F, startEnd}.be(t, 4).text("", 17).be(odo, 4).u8(0x00).hex(28);
}

std::string newDriver(const std::string& card) {
  return Pkt{0x44, 0x00}.text(card, 14).zero(140).hex(156);  // seed 004 section 8; 9.4
}

// In journey (seed 004 section 15.4; 9.5), 32 bytes, little-endian but DateTime. FMS values as
// record 0 gave them: level 50 % = 125, coolant 20 C = 60, ambient 10 C = (10 + 273) * 32.
std::string inJourney(std::uint32_t t, std::uint32_t fuelMl, std::uint32_t odo,
                      std::uint16_t fuelSince, std::uint16_t distSince, std::uint16_t avgSpeed,
                      std::uint16_t avgRpm, std::uint16_t maxSpeed, std::uint16_t maxRpm) {
  return Pkt{0x46, 0x82}
      .be(t, 4)
      .le(fuelMl, 4)
      .u8(125)
      .le(odo, 4)
      .u8(60)
      .le(9056, 2)
      .le(60, 2)  // a minute since the last log
      .le(fuelSince, 2)
      .le(distSince, 2)
      .le(avgSpeed, 2)
      .le(avgRpm, 2)
      .le(maxSpeed, 2)
      .le(maxRpm, 2)
      .hex(32);
}

std::vector<std::string> expectedPackets() {
  const std::string card1 = "10696193350000", card2 = "10696193360000";
  // Positions: 51.5 N = 515000000 * 3 / 50 = 30900000 / 600000 degrees; longitudes likewise.
  const std::int32_t lat = 30900000;
  return {
      // Record 0: the first point; the first tachograph values (no card; slot 2 state 7).
      tracking(at(0), lat, -60000, 0, 0, 0, 0, 0, 0, 0, 9),
      tachoMode(at(0), "", 0, 24000000),  // 120000000 m in 5 m units
      // Record 1: ignition on: Odometer start, FMS Initialisation, Engine on.
      tracking(at(1), lat, -60000, 0, 0, 0, 0, 0, 30, 0, 9),
      odometer(0x01, at(1), 24000000),
      Pkt{0x46, 0x80}.be(at(1), 4).u8(3).text("0300", 4).hex(11),
      Pkt{0x46, 0x81}
          .be(at(1), 4)
          .text("", 14)     // no card yet
          .le(5000000, 4)   // 5000 l in ml
          .u8(125)          // 50 % / 0.4
          .le(24000000, 4)  // odometer
          .u8(60)           // 20 C + 40
          .le(9056, 2)      // (10 + 273) * 32
          .le(33127, 2)     // (5000 + 160635) / 5
          .hex(34),
      // Record 2: a card: New Driver first; working; the first DDS.
      newDriver(card1),
      tracking(at(2), lat, -60000, 0, 0, 0, 0, 0, 30, 0, 9),
      tachoMode(at(2), card1, 2, 24000000),
      dds(at(2), 2, 0, 0, 0, 0, 120, 45),
      // Record 3: 50 km/h = 270 tenths of a knot, 1389 cm/s; 0 -> 50 km/h in 30 s = 46 cm/s2;
      // 400 m; a minute after Engine on: In journey over records 2 and 3 (850 and 1500 rpm).
      tracking(at(3), lat, -59640, 270, 900, 1389, 46, 46, 30, 40000, 9),
      tachoMode(at(3), card1, 3, 24000080),
      inJourney(at(3), 5001000, 24000080, 1000, 80, 6144, 9400, 50 * 256, 1500 * 8),
      dds(at(3), 3, 0, 1, 1, 0, 120, 45),
      // Record 4: 80 km/h = 432, 2222 cm/s; 50 -> 80 km/h in 30 s = 28 cm/s2; 600 m.
      tracking(at(4), lat, -59100, 432, 900, 2222, 28, 28, 30, 60000, 9),
      // Record 5 (3 satellites, no point): In journey over records 4 and 5, 1100 m in 60 s
      // (66 km/h * 256 = 16896); DDS a minute after the last.
      inJourney(at(5), 5003000, 24000300, 2000, 220, 16896, 14000, 80 * 256, 1800 * 8),
      dds(at(5), 3, 1, 1, 1, 1, 121, 45),
      // Record 6: 60 s and 800 m after record 4; max 60 km/h (record 5) = 1667 cm/s;
      // accelerations 80 -> 60 (-19) and 60 -> 0 (-56); ignition off: Engine off, Odometer end.
      tracking(at(6), lat, -58500, 0, 0, 1667, -56, -19, 60, 80000, 8),
      tachoMode(at(6), card1, 1, 24000360),
      Pkt{0x46, 0x83}
          .be(at(6), 4)
          .le(5004000, 4)
          .u8(125)
          .le(24000360, 4)
          .u8(60)
          .le(9056, 2)
          .le(150, 2)  // journey: records 1 .. 6
          .le(4000, 3)
          .le(360, 3)       // 1800 m
          .ff(60 - 26)      // cruise control .. high speed events: no Teltonika id
          .le(1800 * 8, 2)  // the journey's highest engine speed
          .hex(62),
      odometer(0x00, at(6), 24000360),
      // Record 7: another card.
      newDriver(card2),
      tracking(at(7), lat, -58500, 0, 0, 0, 0, 0, 30, 0, 8),
      tachoMode(at(7), card2, 0, 24000360),
  };
}

TEST(EndToEnd, ATeltonikaTrackersDriveReachesTheDestinationsAsSeed004PacketsInOrder) {
  namespace e2e = dcgw::testing::e2e;
  const fs::path dir = e2e::freshDir("e2e-teltonika");
  const std::string bin = DCGW_BINARY;
  auto rest = e2e::restReceiver(dir);
  ASSERT_FALSE(rest.port.empty());
  Process binary({bin, "receive", "--binary", "0"}, dir / "binary.out", dir / "binary.err");
  const std::string binaryPort = binary.awaitStderr(R"(binary listening on [0-9.]+:(\d+))");
  ASSERT_FALSE(binaryPort.empty());
  std::ofstream(dir / "dcgw.json") << R"({
  "destinations": [
    {"name": "rest", "method": "rest", "host": ")"
                                   << rest.url() << R"("},
    {"name": "binary", "method": "binary", "host": "127.0.0.1", "port": )"
                                   << binaryPort << R"(}
  ],
  "locations": [{"name": "Depot", "destinations": ["rest", "binary"]}],
  "devices": [{"serial": ")" << kImei
                                   << R"(", "location": "Depot", "registration": "TK 001",
               "protocol": "teltonika", "family": "FMX6"}]
})";
  const std::string db = (dir / "dcgw.db").string();
  Process serve(
      {bin, "serve", "--db", db, "--config", (dir / "dcgw.json").string(), "--uplink-port", "0",
       "--admin-port", "0", "--teltonika-port", "0", "--stats-seconds", "0"},
      dir / "serve.out", dir / "serve.err");
  const std::string port = serve.awaitStderr(R"(teltonika listening on [0-9.]+:(\d+))");
  ASSERT_FALSE(port.empty());

  // The tracker: login, then its frames, each answered with its record count.
  const std::vector<Bytes> r = drive();
  tt::Device device(static_cast<std::uint16_t>(std::stoi(port)));
  device.send(tt::login(kImei));
  ASSERT_EQ(device.read(1), Bytes{0x01}) << "login not accepted";
  device.send(tt::frame({r[0], r[1]}));
  EXPECT_EQ(device.ack(), 2u);
  device.send(tt::frame({r[2]}));
  EXPECT_EQ(device.ack(), 1u);
  const Bytes moving = tt::frame({r[3], r[4], r[5]});
  device.send(moving);
  EXPECT_EQ(device.ack(), 3u);
  // The acknowledgement "got lost": the same frame again is acknowledged, stored no second time.
  device.send(moving);
  EXPECT_EQ(device.ack(), 3u);
  device.send(Bytes{0xFF});  // a ping between frames: no answer
  device.send(tt::frame({r[6], r[7]}));
  EXPECT_EQ(device.ack(), 2u);

  const std::vector<std::string> expected = expectedPackets();
  // Everything the gateway stored for the tracker: exactly these, once.
  {
    dcgw::store::SqliteStore store(db);
    auto s = store.db().prepare("SELECT hex(data) FROM packets WHERE serial = ? ORDER BY id");
    s.bind(1, std::string(kImei));
    std::vector<std::string> stored;
    while (s.step()) stored.push_back(tt::lower(s.text(0)));
    EXPECT_EQ(stored, expected) << "stored packets differ";
  }

  // Each destination receives them in that order, byte for byte, and nothing else.
  auto received = [](const Process& p) {
    std::vector<std::string> out;
    for (const auto& l : p.stdoutLines()) {
      auto j = dcgw::codecs::parseJson(l);
      EXPECT_TRUE(j.ok()) << l;
      if (!j.ok()) continue;
      EXPECT_TRUE(j->find("errors")->asArray().empty()) << l;
      EXPECT_EQ(j->find("deviceSerialNumber")->asString(), "42441013") << l;  // the last 8 digits
      out.push_back(tt::lower(j->find("data")->asString()));
    }
    return out;
  };
  const auto until = std::chrono::steady_clock::now() + 20s;
  while ((rest.process->stdoutLines().size() < expected.size() ||
          binary.stdoutLines().size() < expected.size()) &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(100ms);
  std::this_thread::sleep_for(300ms);  // a duplicate would come now
  for (const auto& [name, process] : std::vector<std::pair<std::string, const Process*>>{
           {"rest", rest.process.get()}, {"binary", &binary}}) {
    const auto got = received(*process);
    EXPECT_EQ(got.size(), expected.size()) << name << ": how many arrived";
    for (std::size_t i = 0; i < std::min(got.size(), expected.size()); ++i)
      EXPECT_EQ(got[i], expected[i]) << name << ": packet " << i;
  }
  EXPECT_EQ(serve.stop(), 0);
  rest.process->stop();
  binary.stop();
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
