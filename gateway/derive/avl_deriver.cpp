// The AVL deriver's record loop and its position and tachograph packets: Tracking (seed 004
// section 12), Tachograph mode (13), Odometer (17) and New Driver (8), as schema/teltonika.md
// section 9 specifies them. Vehicle CAN and Consolidated DDS are in avl_can.cpp.
#include "gateway/derive/avl_deriver.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "codecs/packets/derived.hpp"
#include "gateway/derive/avl_bytes.hpp"

namespace dcgw::derive {

using codecs::teltonika::AvlRecord;
using codecs::teltonika::Family;
using codecs::teltonika::Quantity;
namespace tk = codecs::teltonika;
using avl::divRound;
using avl::Out;

namespace {

constexpr std::uint8_t kMinSatellites = 4;  // seed 004 section 12: "at least 4 satellites"
constexpr double kEarthRadiusM = 6371000.0;

std::uint32_t seconds(const AvlRecord& r) {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(r.timestampMs / 1000, 0xFFFFFFFFu));
}

std::int16_t clamp16(std::int64_t v) {
  return static_cast<std::int16_t>(std::clamp<std::int64_t>(v, -32768, 32767));
}

// 1e-7 degrees to 1/600000 degree: n * 600000 / 10^7 = n * 3 / 50, rounded half away from 0.
std::int32_t toSixHundredThousandths(std::int32_t v) {
  return static_cast<std::int32_t>(divRound(static_cast<std::int64_t>(v) * 3, 50));
}

double greatCircleM(std::int32_t lat1, std::int32_t lon1, std::int32_t lat2, std::int32_t lon2) {
  constexpr double kRad = 3.14159265358979323846 / 180.0 / 1e7;
  const double p1 = lat1 * kRad, p2 = lat2 * kRad;
  const double dp = p2 - p1, dl = (static_cast<double>(lon2) - lon1) * kRad;
  const double a = std::sin(dp / 2) * std::sin(dp / 2) +
                   std::cos(p1) * std::cos(p2) * std::sin(dl / 2) * std::sin(dl / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(a)));
}

// The slot's card number for the packets: the first 14 of its 16 characters (CardNumber.
// driverIdentification) up to a NUL; "" when absent, withdrawn or not printable ASCII.
std::string cardField(const AvlDeriver::Tacho& t, int slot) {
  if (t.present[slot] && *t.present[slot] == 0) return "";
  if (!t.card[slot]) return "";
  std::string s(t.card[slot]->data(), 14);
  if (auto nul = s.find('\0'); nul != std::string::npos) s.resize(nul);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) return "";
  return s;
}

// Working state 0 rest, 1 available, 2 work, 3 drive are ActivityChangeInfo's activity values;
// 6 error, 7 not available and anything else are sent as 0xFF (not known).
std::uint8_t activity(std::optional<std::uint8_t> state) {
  return state && *state <= 3 ? *state : 0xFF;
}

}  // namespace

std::optional<std::pair<std::uint32_t, std::uint8_t>> AvlDeriver::Latest::odometer() const {
  if (tachoOdoM) return std::pair{*tachoOdoM, std::uint8_t{0}};
  if (deviceOdoM) return std::pair{*deviceOdoM, std::uint8_t{1}};
  return std::nullopt;
}

std::string AvlDeriver::slot1Card() const {
  return cardField(tacho_, 0);
}

std::vector<AvlPacket> AvlDeriver::derive(std::span<const AvlRecord> records) {
  std::vector<std::size_t> order(records.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return records[a].timestampMs < records[b].timestampMs;
  });
  std::vector<AvlPacket> out;
  for (std::size_t i : order) deriveOne(records[i], i, out);
  return out;
}

void AvlDeriver::deriveOne(const AvlRecord& r, std::size_t index, std::vector<AvlPacket>& out) {
  const Family f = family_;
  // Remember the latest value of every quantity the packets use.
  if (auto v = tk::totalOdometerM(r, f)) latest_.deviceOdoM = v;
  if (auto v = tk::tachoOdometerM(r, f)) latest_.tachoOdoM = v;
  if (auto v = tk::ioValue(r, f, Quantity::TotalFuelUsedRaw))  // FMBxxx 0.1 l, FMX6 l
    latest_.fuelUsedMl = *v * (f == Family::FMX6 ? 1000 : 100);
  if (auto v = tk::ioValue(r, f, Quantity::FuelLevelPercent))
    latest_.fuelLevelPct = static_cast<std::uint8_t>(std::min<std::uint64_t>(*v, 255));
  if (auto v = tk::engineCoolantDeciC(r, f)) latest_.coolantDeciC = v;
  if (auto v = tk::ioValue(r, f, Quantity::AmbientAirTempC))
    latest_.ambientC = static_cast<std::int16_t>(*v);
  if (auto v = tk::ioValue(r, f, Quantity::ServiceDistanceKm))
    latest_.serviceKm = static_cast<std::int32_t>(static_cast<std::uint32_t>(*v));
  if (auto v = tk::ioValue(r, f, Quantity::FmsSoftwareVersion)) {
    std::array<char, 4> s{};
    for (std::size_t i = 0; i < 4; ++i) s[i] = static_cast<char>((*v >> (24 - 8 * i)) & 0xFF);
    fmsVersion_ = s;
  }
  if (auto v = tk::ioValue(r, f, Quantity::FmsDiagnosticsSupported))
    fmsDiagnostics_ = static_cast<std::uint8_t>(*v);

  bool tachoCarried = false;
  for (int s = 0; s < 2; ++s) {
    if (auto v = tk::driverWorkingState(r, f, s + 1)) tacho_.state[s] = v, tachoCarried = true;
    if (auto v =
            tk::ioValue(r, f, s == 0 ? Quantity::Driver1CardPresent : Quantity::Driver2CardPresent))
      tacho_.present[s] = static_cast<std::uint8_t>(*v), tachoCarried = true;
    if (auto v = tk::driverCardNumber(r, f, s + 1)) {
      std::array<char, 16> c{};  // "" (no card) stays 16 zero bytes
      std::copy_n(v->begin(), std::min<std::size_t>(v->size(), 16), c.begin());
      tacho_.card[s] = c;
      tachoCarried = true;
    }
  }

  // New Driver before the first packet that names the card (schema/derived-packets.md).
  if (const std::string card = slot1Card(); !card.empty()) {
    std::array<char, 14> padded;
    padded.fill(' ');
    std::copy(card.begin(), card.end(), padded.begin());
    const auto end = seen_.begin() + static_cast<std::ptrdiff_t>(seenCount_);
    if (std::find(seen_.begin(), end, padded) == end) {
      if (auto p = codecs::newDriverPacket(card, "", ""); p.ok())
        out.push_back({std::move(*p), index});
      if (seenCount_ == kSeenCards) {
        std::rotate(seen_.begin(), seen_.begin() + 1, seen_.end());
        seen_.back() = padded;
      } else {
        seen_[seenCount_++] = padded;
      }
    }
  }

  track(r, index, out);
  if (tachoCarried) tachoMode(r, index, out);
  ignitionEdges(r, index, out);
  dds(r, index, out);
}

void AvlDeriver::track(const AvlRecord& r, std::size_t index, std::vector<AvlPacket>& out) {
  const tk::GpsElement& g = r.gps;
  maxKmh_ = std::max(maxKmh_, g.speed);
  // Accelerations between consecutive records that have a position (satellites > 0: without a
  // fix Teltonika sends speed 0, which is not a measurement).
  if (g.satellites > 0) {
    if (lastSpeed_ && r.timestampMs > lastSpeed_->first) {
      const std::int64_t dk = static_cast<std::int64_t>(g.speed) - lastSpeed_->second;
      const std::int64_t dms = static_cast<std::int64_t>(r.timestampMs - lastSpeed_->first);
      // (dk / 3.6) m/s over dms / 1000 s, in 1/100 m/s2: dk * 250000 / (9 * dms).
      const std::int32_t a = clamp16(divRound(dk * 250000, 9 * dms));
      minAcc_ = std::min(minAcc_.value_or(a), a);
      maxAcc_ = std::max(maxAcc_.value_or(a), a);
    }
    if (!lastSpeed_ || r.timestampMs >= lastSpeed_->first) lastSpeed_ = {r.timestampMs, g.speed};
  }
  if (g.satellites < kMinSatellites) return;

  const auto deviceOdo = tk::totalOdometerM(r, family_);
  const auto tachoOdo = tk::tachoOdometerM(r, family_);
  std::uint32_t duration = 0;
  std::uint64_t distanceCm = 0;
  // A record older than the previous point (a late buffered one) has no "since" to measure.
  const bool after = lastPoint_ && r.timestampMs >= lastPoint_->ms;
  if (after) {
    const Point& p = *lastPoint_;
    duration =
        std::min<std::uint32_t>(seconds(r) - static_cast<std::uint32_t>(p.ms / 1000), 0xFFFF);
    if (deviceOdo && p.deviceOdoM && *deviceOdo >= *p.deviceOdoM)
      distanceCm = std::uint64_t{*deviceOdo - *p.deviceOdoM} * 100;
    else if (tachoOdo && p.tachoOdoM && *tachoOdo >= *p.tachoOdoM)
      distanceCm = std::uint64_t{*tachoOdo - *p.tachoOdoM} * 100;
    else
      distanceCm = static_cast<std::uint64_t>(
          std::llround(greatCircleM(p.lat, p.lon, g.latitude, g.longitude) * 100));
  }

  Out o(0x47, 0x00, 40);
  o.be(2, seconds(r), 4)
      .be(6, static_cast<std::uint32_t>(toSixHundredThousandths(g.latitude)), 4)
      .be(10, static_cast<std::uint32_t>(toSixHundredThousandths(g.longitude)), 4)
      .be(14, static_cast<std::uint16_t>(g.altitude), 2)
      // km/h to 1/10 knot: kmh * 10 / 1.852 = kmh * 5000 / 926.
      .be(16, static_cast<std::uint16_t>(clamp16(divRound(std::int64_t{g.speed} * 5000, 926))), 2)
      .be(18, std::uint32_t{g.angle} * 10 % 65536, 2)
      // km/h to 1/100 m/s: kmh * 100 / 3.6 = kmh * 250 / 9.
      .be(22, static_cast<std::uint16_t>(clamp16(divRound(std::int64_t{maxKmh_} * 250, 9))), 2)
      .be(24, static_cast<std::uint16_t>(minAcc_.value_or(0)), 2)
      .be(26, static_cast<std::uint16_t>(maxAcc_.value_or(0)), 2)
      .be(28, duration, 2)
      .be(30, static_cast<std::uint32_t>(std::min<std::uint64_t>(distanceCm, 0xFFFFFFFFu)), 4)
      .u8(34, g.satellites)
      .be(36, seconds(r), 4);
  out.push_back({o.take(), index});

  maxKmh_ = 0;
  minAcc_.reset();
  maxAcc_.reset();
  if (!lastPoint_ || after)
    lastPoint_ = Point{r.timestampMs, g.latitude, g.longitude, deviceOdo, tachoOdo};
}

void AvlDeriver::tachoMode(const AvlRecord& r, std::size_t index, std::vector<AvlPacket>& out) {
  if (sentTacho_ && *sentTacho_ == tacho_) return;
  sentTacho_ = tacho_;
  const auto odo = latest_.odometer();
  Out o(0x4D, 0x00, 40);
  o.be(2, seconds(r), 4)
      .text(6, cardField(tacho_, 0), 14)
      .u8(20, activity(tacho_.state[0]))
      .text(21, cardField(tacho_, 1), 14)
      .u8(35, activity(tacho_.state[1]))
      .be(36, odo ? static_cast<std::uint32_t>((std::uint64_t{odo->first} + 2) / 5) : 0xFFFFFFFFu,
          4);
  out.push_back({o.take(), index});
}

void AvlDeriver::ignitionEdges(const AvlRecord& r, std::size_t index, std::vector<AvlPacket>& out) {
  const auto on = tk::ignition(r, family_);
  const auto rpm = tk::engineSpeedRpm(r, family_);
  if (!on || !ignition_ || *on == *ignition_) {
    if (on) ignition_ = on;  // the first record only establishes the state
    inJourney(r, index, out);
    return;
  }
  ignition_ = on;
  const auto odo = latest_.odometer();
  auto odometer = [&](std::uint8_t startEnd) {
    Out o(0x4F, startEnd, 28);
    o.be(2, seconds(r), 4)
        .text(6, "", 17)  // no VIN id is read (section 9.3)
        .be(23, odo ? static_cast<std::uint32_t>((std::uint64_t{odo->first} + 2) / 5) : 0xFFFFFFFFu,
            4)
        .u8(27, odo ? odo->second : 0xFF);
    out.push_back({o.take(), index});
  };
  if (*on) {
    odometer(1);
    canEngineOn(r, index, out);
    journey_ = Journey{};
    journey_.open = true;
    journey_.startSec = journey_.logSec = seconds(r);
    journey_.startOdo = journey_.logOdo = odo;
    journey_.startFuelMl = journey_.logFuelMl = latest_.fuelUsedMl;
    journey_.maxRpm = rpm;
  } else {
    if (journey_.open && rpm) journey_.maxRpm = std::max(journey_.maxRpm.value_or(0), *rpm);
    canEngineOff(r, index, out);
    journey_ = Journey{};
    odometer(0);
  }
}

}  // namespace dcgw::derive
