// The AVL deriver's Vehicle CAN packets (seed 004 section 15: 0x46 0x80-0x83, little-endian) and
// Consolidated DDS (14.4) from the FMS and tachograph values the records carry, as
// schema/teltonika.md sections 9.5 and 9.6 specify. Absent values are NULL (all bits set).
#include <algorithm>

#include "codecs/packets/packet.hpp"
#include "gateway/derive/avl_bytes.hpp"
#include "gateway/derive/avl_deriver.hpp"

namespace dcgw::derive {

using codecs::teltonika::AvlRecord;
using codecs::teltonika::Quantity;
namespace tk = codecs::teltonika;
using avl::divRound;
using avl::fit;
using avl::Out;

namespace {

using Odo = std::optional<std::pair<std::uint32_t, std::uint8_t>>;

constexpr std::uint32_t kLogIntervalS = 60;  // In journey and DDS: at most once a minute

std::uint32_t seconds(const AvlRecord& r) {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(r.timestampMs / 1000, 0xFFFFFFFFu));
}

std::optional<std::uint64_t> clampTo(std::int64_t v, std::int64_t hi) {
  return static_cast<std::uint64_t>(std::clamp<std::int64_t>(v, 0, hi));
}

// A difference of two readings, NULL when either is unknown, they come from different sources,
// or the counter went back.
std::optional<std::uint64_t> since(const Odo& now, const Odo& then) {
  if (!now || !then || now->second != then->second || now->first < then->first) return std::nullopt;
  return static_cast<std::uint64_t>(divRound(std::int64_t{now->first} - then->first, 5));
}
std::optional<std::uint64_t> since(std::optional<std::uint64_t> now,
                                   std::optional<std::uint64_t> then) {
  if (!now || !then || *now < *then) return std::nullopt;
  return *now - *then;
}

// Total Fuel Used, Fuel Level, Odometer, Engine Temperature, Ambient Temperature: the run of
// fields 0x81, 0x82 and 0x83 share, from `base` (the offset of Total Fuel Used).
void fmsBlock(Out& o, std::size_t base, const AvlDeriver::Latest& l) {
  const Odo odo = l.odometer();
  std::optional<std::uint64_t> level, temp, ambient;
  if (l.fuelLevelPct) level = divRound(std::int64_t{*l.fuelLevelPct} * 5, 2);   // n * 0.4 %
  if (l.coolantDeciC) temp = clampTo(divRound(*l.coolantDeciC, 10) + 40, 254);  // n - 40 C
  if (l.ambientC) ambient = clampTo((std::int64_t{*l.ambientC} + 273) * 32, 0xFFFE);
  o.leOr(base, fit(l.fuelUsedMl, 4), 4)
      .leOr(base + 4, fit(level, 1), 1)
      .leOr(base + 5, odo ? fit((std::uint64_t{odo->first} + 2) / 5, 4) : std::nullopt, 4)
      .leOr(base + 9, fit(temp, 1), 1)
      .leOr(base + 10, fit(ambient, 2), 2);
}

std::array<char, 14> padded(std::string_view card) {
  std::array<char, 14> a;
  a.fill(' ');
  std::copy_n(card.begin(), std::min<std::size_t>(card.size(), 14), a.begin());
  return a;
}

}  // namespace

void AvlDeriver::canEngineOn(const AvlRecord& r, std::size_t index, std::vector<AvlPacket>& out) {
  // FMS Initialisation once per deriver, when the device reports its FMS interface.
  if (!fmsInitSent_ && (fmsVersion_ || fmsDiagnostics_)) {
    fmsInitSent_ = true;
    Out o(0x46, 0x80, 11);
    o.be(2, seconds(r), 4)
        .u8(6, fmsDiagnostics_.value_or(0xFF))
        .text(7, fmsVersion_ ? std::string_view(fmsVersion_->data(), 4) : "", 4);
    out.push_back({o.take(), index});
  }
  Out o(0x46, 0x81, 34);
  o.be(2, seconds(r), 4).text(6, slot1Card(), 14);
  fmsBlock(o, 20, latest_);
  // Engine On has Service Distance where the others have Ambient Temperature's neighbours.
  std::optional<std::uint64_t> service;
  if (latest_.serviceKm) service = clampTo(divRound(*latest_.serviceKm + 160635, 5), 0xFFFE);
  o.leOr(32, fit(service, 2), 2);
  out.push_back({o.take(), index});
}

void AvlDeriver::canEngineOff(const AvlRecord& r, std::size_t index, std::vector<AvlPacket>& out) {
  const std::uint32_t now = seconds(r);
  const Journey& j = journey_;
  Out o(0x46, 0x83, 62);
  o.be(2, now, 4);
  fmsBlock(o, 6, latest_);
  std::optional<std::uint64_t> duration, fuel, distance, maxRpm;
  if (j.open) {
    if (now >= j.startSec) duration = now - j.startSec;
    fuel = since(latest_.fuelUsedMl, j.startFuelMl);
    distance = since(latest_.odometer(), j.startOdo);
    if (j.maxRpm) maxRpm = std::uint64_t{*j.maxRpm} * 8;  // n * 0.125 rpm
  }
  o.leOr(18, fit(duration, 2), 2).leOr(20, fit(fuel, 3), 3).leOr(23, fit(distance, 3), 3);
  // Cruise control, idle, PTO, brake, harsh events, clutch, idle events, engine power and
  // speed events: no Teltonika id gives them (section 9.5).
  for (std::size_t off = 26; off <= 48; off += 2) o.leOr(off, std::nullopt, 2);
  o.leOr(50, std::nullopt, 1).leOr(51, std::nullopt, 1);
  for (std::size_t off = 52; off <= 58; off += 2) o.leOr(off, std::nullopt, 2);
  o.leOr(60, fit(maxRpm, 2), 2);
  out.push_back({o.take(), index});
}

void AvlDeriver::inJourney(const AvlRecord& r, std::size_t index, std::vector<AvlPacket>& out) {
  if (!journey_.open) return;
  Journey& j = journey_;
  if (auto rpm = tk::engineSpeedRpm(r, family_)) {
    j.rpmSum += *rpm;
    ++j.rpmCount;
    j.logMaxRpm = std::max(j.logMaxRpm.value_or(0), *rpm);
    j.maxRpm = std::max(j.maxRpm.value_or(0), *rpm);
  }
  j.logMaxKmh = std::max(j.logMaxKmh, r.gps.speed);
  const std::uint32_t now = seconds(r);
  if (now < j.logSec + kLogIntervalS) return;

  const std::uint32_t duration = now - j.logSec;
  const Odo odo = latest_.odometer();
  const auto distance = since(odo, j.logOdo);  // in 0.005 km
  std::optional<std::uint64_t> avgSpeed, avgRpm, maxRpm;
  // n / 256 km/h from metres per second: (5 * d) m / duration s * 3.6 * 256.
  if (distance) avgSpeed = divRound(static_cast<std::int64_t>(*distance) * 5 * 9216, 10 * duration);
  if (j.rpmCount > 0) avgRpm = divRound(static_cast<std::int64_t>(j.rpmSum) * 8, j.rpmCount);
  if (j.logMaxRpm) maxRpm = std::uint64_t{*j.logMaxRpm} * 8;
  Out o(0x46, 0x82, 32);
  o.be(2, now, 4);
  fmsBlock(o, 6, latest_);
  o.leOr(18, fit(duration, 2), 2)
      .leOr(20, fit(since(latest_.fuelUsedMl, j.logFuelMl), 2), 2)
      .leOr(22, fit(distance, 2), 2)
      .leOr(24, fit(avgSpeed, 2), 2)
      .leOr(26, fit(avgRpm, 2), 2)
      .leOr(28, fit(std::uint64_t{j.logMaxKmh} * 256, 2), 2)
      .leOr(30, fit(maxRpm, 2), 2);
  out.push_back({o.take(), index});

  j.logSec = now;
  j.logOdo = odo;
  j.logFuelMl = latest_.fuelUsedMl;
  j.rpmSum = 0;
  j.rpmCount = 0;
  j.logMaxRpm.reset();
  j.logMaxKmh = 0;
}

void AvlDeriver::dds(const AvlRecord& r, std::size_t index, std::vector<AvlPacket>& out) {
  static constexpr Quantity kMinutes[4] = {
      Quantity::Driver1ContinuousDrivingMin, Quantity::Driver1CumulativeBreakMin,
      Quantity::Driver1ActivityDurationMin, Quantity::Driver1CumulativeDrivingMin};
  bool carried = false;
  for (std::size_t i = 0; i < 4; ++i)
    if (auto v = tk::ioValue(r, family_, kMinutes[i]))
      ddsMin_[i] = static_cast<std::uint16_t>(*v), carried = true;
  if (auto v = tk::ioValue(r, family_, Quantity::Driver1TimeRelatedStates))
    trs_ = static_cast<std::uint8_t>(*v), carried = true;
  const std::string card = slot1Card();
  if (!carried || card.empty()) return;  // DDS is a slot-1 driver's (seed 004 section 14)

  const std::uint32_t now = seconds(r);
  const std::uint8_t mode = tacho_.state[0] && *tacho_.state[0] <= 3 ? *tacho_.state[0] : 0xFF;
  const bool due = !lastDdsSec_ || now >= *lastDdsSec_ + kLogIntervalS || mode != sentDdsMode_ ||
                   padded(card) != sentDdsCard_;
  if (!due) return;
  lastDdsSec_ = now;
  sentDdsMode_ = mode;
  sentDdsCard_ = padded(card);

  auto minutes = [&](std::size_t i) -> std::uint32_t { return ddsMin_[i].value_or(0xFFFF); };
  std::uint8_t level = 0xFF;
  if (trs_) {
    const int l = codecs::timeRelatedState(*trs_).level;
    if (l >= 0) level = static_cast<std::uint8_t>(l);
  }
  Out o(0x4D, 0x0C, 66);
  // Every field NULL first, then the ones the records give.
  for (std::size_t off = 20; off < 66; ++off) o.u8(off, 0xFF);
  o.be(2, now, 4)
      .text(6, card, 14)
      .u8(20, mode)
      .be(21, minutes(2), 2)
      .u8(23, trs_.value_or(0xFF))
      .u8(24, level)
      .be(25, minutes(0), 2)
      .be(27, minutes(3), 2)
      .be(41, minutes(1), 2);
  out.push_back({o.take(), index});
}

}  // namespace dcgw::derive
