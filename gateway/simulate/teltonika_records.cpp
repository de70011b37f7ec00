// The records a simulated Teltonika device sends: the scripted drive (--scenario drive) and the
// steady stream, with the device family's IO ids from codecs/teltonika/io_map.hpp.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "gateway/simulate/teltonika.hpp"

namespace dcgw::simulate::teltonika {
namespace {

constexpr std::uint64_t kDriveStepMs = 30'000;
constexpr double kMetresPerDegreeLatitude = 111'320;

// What one record says; the ids and widths come from the family's table.
struct State {
  bool ignition{true};
  bool moving{false};
  std::uint8_t workingState{0};  // driver 1: 0 rest, 2 work, 3 drive
  bool cardIn{false};
  std::uint16_t speedKmh{0};
  std::uint8_t satellites{9};
  tk::Quantity event{tk::Quantity::Ignition};
  bool periodic{false};  // event IO id 0
};

// The drive: ignition on, card in, work, drive along a line (one fix with 3 satellites), stop,
// work, card out, ignition off. One record per step, 30 s apart.
const std::vector<State>& driveScript() {
  using Q = tk::Quantity;
  static const std::vector<State> script = {
      {true, false, 0, false, 0, 9, Q::Ignition, false},
      {true, false, 0, true, 0, 9, Q::Driver1CardPresent, false},
      {true, false, 2, true, 0, 9, Q::Driver1WorkingState, false},
      {true, true, 3, true, 50, 9, Q::Driver1WorkingState, false},
      {true, true, 3, true, 72, 10, Q::Movement, true},
      {true, true, 3, true, 85, 11, Q::Movement, true},
      {true, true, 3, true, 80, 3, Q::Movement, true},  // too few satellites for a fix
      {true, true, 3, true, 76, 8, Q::Movement, true},
      {true, true, 3, true, 30, 9, Q::Movement, true},
      {true, false, 3, true, 0, 9, Q::Movement, false},  // the stop
      {true, false, 2, true, 0, 9, Q::Driver1WorkingState, false},
      {true, false, 2, false, 0, 9, Q::Driver1CardPresent, false},
      {false, false, 2, false, 0, 9, Q::Ignition, false},
  };
  return script;
}

std::uint64_t halfOf(const std::string& card, std::size_t from) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i)
    v = v << 8 | (card.size() >= from + 8 ? static_cast<std::uint8_t>(card[from + i]) : 0);
  return v;
}

// Moves the journey east by `metres` (heading 90 degrees).
void advance(Journey& j, double metres) {
  const double perDegree = kMetresPerDegreeLatitude * std::cos(j.latitude * M_PI / 180.0);
  j.longitude += metres / perDegree;
  j.odometerM += metres;
}

tk::RecordOut makeRecord(const Journey& j, tk::Family family, const State& s,
                         std::uint64_t timestampMs) {
  using Q = tk::Quantity;
  tk::RecordOut r;
  r.timestampMs = timestampMs;
  r.gps.latitude = static_cast<std::int32_t>(std::lround(j.latitude * 1e7));
  r.gps.longitude = static_cast<std::int32_t>(std::lround(j.longitude * 1e7));
  r.gps.altitude = 60;
  r.gps.angle = s.speedKmh > 0 ? 90 : 0;
  r.gps.satellites = s.satellites;
  r.gps.speed = s.speedKmh;
  auto put = [&](Q q, std::uint64_t value) {
    if (const tk::IoMapping* m = tk::ioMapping(family, q))
      r.io.push_back(tk::ioValue(m->id, value, m->bytes));
  };
  put(Q::Ignition, s.ignition ? 1 : 0);
  put(Q::Movement, s.moving ? 1 : 0);
  put(Q::TotalOdometerM, static_cast<std::uint64_t>(j.odometerM));
  // FMBxxx devices other than the FMx150 read no tachograph: they send no tachograph ids.
  if (family == tk::Family::FMX6) {
    put(Q::Driver1WorkingState, s.workingState);
    put(Q::Driver2WorkingState, 0);
    put(Q::Driver1CardPresent, s.cardIn ? 1 : 0);
    put(Q::Driver2CardPresent, 0);
    put(Q::TachoVehicleSpeedKmh, s.speedKmh);
    put(Q::TachoOdometerM, static_cast<std::uint64_t>(j.odometerM));
    put(Q::Driver1IdMsb, s.cardIn ? halfOf(j.card, 0) : 0);
    put(Q::Driver1IdLsb, s.cardIn ? halfOf(j.card, 8) : 0);
  }
  const tk::IoMapping* ev = s.periodic ? nullptr : tk::ioMapping(family, s.event);
  // An event the family has no id for (FMBxxx: the tachograph ones) makes a periodic record.
  r.eventIoId =
      ev && (family == tk::Family::FMX6 || s.event == Q::Ignition || s.event == Q::Movement)
          ? ev->id
          : 0;
  return r;
}

}  // namespace

std::string cardNumberFor(const std::string& imei) {
  return (imei.size() > 14 ? imei.substr(imei.size() - 14) : imei) + "01";
}

std::uint32_t driveSteps() {
  return static_cast<std::uint32_t>(driveScript().size());
}

tk::RecordOut nextDriveRecord(Journey& j, tk::Family family, std::uint64_t startMs) {
  const State& s = driveScript().at(j.step);
  // The distance covered since the previous record, at this record's speed.
  if (j.step > 0) advance(j, s.speedKmh / 3.6 * (kDriveStepMs / 1000.0));
  const std::uint64_t ts = startMs + j.step * kDriveStepMs;
  j.lastTimestampMs = ts;
  ++j.step;
  return makeRecord(j, family, s, ts);
}

tk::RecordOut nextStreamRecord(Journey& j, tk::Family family, std::uint64_t nowMs) {
  State s{true, true, 3, true, 60, 9, tk::Quantity::Movement, true};
  const std::uint64_t ts = nowMs > j.lastTimestampMs ? nowMs : j.lastTimestampMs + 1;
  if (j.lastTimestampMs != 0)
    advance(j, 60 / 3.6 * static_cast<double>(ts - j.lastTimestampMs) / 1000);
  j.lastTimestampMs = ts;
  ++j.step;
  return makeRecord(j, family, s, ts);
}

}  // namespace dcgw::simulate::teltonika
