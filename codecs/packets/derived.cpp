// Consolidated DDS from the three DDS feeds, and the New Driver packet from text. Every rule
// used here is named in schema/derived-packets.md; keep the two in step.
#include "codecs/packets/derived.hpp"

#include <algorithm>
#include <initializer_list>
#include <optional>

#include "codecs/json.hpp"
#include "codecs/packets/packet.hpp"

namespace dcgw::codecs {
namespace {

using Opt = std::optional<std::int64_t>;

// Regulation (EC) No 561/2006, in minutes unless named otherwise.
constexpr std::int64_t kContinuousDrive = 270;    // Art. 7: 4h30 before a break
constexpr std::int64_t kBreak = 45;               // Art. 7: the break
constexpr std::int64_t kBreakFirstPart = 15;      // Art. 7: a split break, 15 then 30
constexpr std::int64_t kBreakSecondPart = 30;     //
constexpr std::int64_t kDailyDriveHours = 9;      // Art. 6(1)
constexpr std::int64_t kExtendedDailyHours = 10;  // Art. 6(1): at most twice in a week
constexpr std::int64_t kExtensionsPerWeek = 2;    //
constexpr std::int64_t kWeeklyDriveHours = 56;    // Art. 6(2)
constexpr std::int64_t kTwoWeekDriveHours = 90;   // Art. 6(3)
constexpr std::int64_t kReducedRestsBetween = 3;  // Art. 8(4): 11 h reducible to 9 h, 3 times

enum Feed : std::uint8_t { kStoneridge = 0x02, kVdo = 0x03, kIntellic = 0x04 };

std::size_t feedLength(std::uint8_t subtype) {
  switch (subtype) {
    case kStoneridge:
      return 53;  // seed 004 section 14.1
    case kVdo:
      return 60;  // 14.2
    case kIntellic:
      return 43;  // 14.3
    default:
      return 0;
  }
}

class FeedReader {
 public:
  explicit FeedReader(ByteView b) : b_(b) {}
  std::uint32_t u32(std::size_t at) const {
    return std::uint32_t{b_[at]} << 24 | std::uint32_t{b_[at + 1]} << 16 |
           std::uint32_t{b_[at + 2]} << 8 | b_[at + 3];
  }
  std::uint16_t raw16(std::size_t at) const {
    return static_cast<std::uint16_t>(b_[at] << 8 | b_[at + 1]);
  }
  Opt u8(std::size_t at) const { return b_[at] == 0xFF ? Opt{} : Opt{b_[at]}; }
  Opt u16(std::size_t at) const { return raw16(at) == 0xFFFF ? Opt{} : Opt{raw16(at)}; }
  ByteView bytes(std::size_t at, std::size_t n) const { return b_.subspan(at, n); }

 private:
  ByteView b_;
};

// Computed values never collide with NULL: they are clamped below it.
void put8(ByteWriter& w, Opt v) {
  w.writeU8(v ? static_cast<std::uint8_t>(std::clamp<std::int64_t>(*v, 0, 0xFE)) : 0xFF);
}
void put16(ByteWriter& w, Opt v) {
  w.writeU16BE(v ? static_cast<std::uint16_t>(std::clamp<std::int64_t>(*v, 0, 0xFFFE)) : 0xFFFF);
}
void put32(ByteWriter& w, Opt v) {
  w.writeU32BE(v ? static_cast<std::uint32_t>(std::clamp<std::int64_t>(*v, 0, 0xFFFFFFFE))
                 : 0xFFFFFFFF);
}

// A value computed from others is NULL when any of them is.
bool all(std::initializer_list<Opt> inputs) {
  return std::all_of(inputs.begin(), inputs.end(), [](const Opt& o) { return o.has_value(); });
}

// The minutes of driving left under 561/2006 Art. 6 and 7 (continuous, daily, weekly,
// two-week), each at least 0; `continuous` nullopt leaves the continuous term out.
Opt driveLeft(Opt continuous, Opt daily, Opt weekly, Opt twoWeek, Opt maxDailyHours,
              bool withContinuous) {
  if (!all({daily, weekly, twoWeek, maxDailyHours}) || (withContinuous && !continuous)) return {};
  std::int64_t left = std::min({*maxDailyHours * 60 - *daily, kWeeklyDriveHours * 60 - *weekly,
                                kTwoWeekDriveHours * 60 - *twoWeek});
  left = std::min(left, withContinuous ? kContinuousDrive - *continuous : kContinuousDrive);
  return std::max<std::int64_t>(left, 0);
}

// The next break under Art. 7: 45 min, or its 30 min second part once a 15 min part is taken.
Opt nextBreak(Opt taken) {
  if (!taken) return {};
  return *taken >= kBreakFirstPart && *taken < kBreak ? kBreakSecondPart : kBreak;
}
Opt breakStillRequired(Opt taken) {
  if (!taken) return {};
  if (*taken >= kBreak) return 0;
  return *taken >= kBreakFirstPart ? kBreakSecondPart : kBreak;
}

Opt remainingOf(Opt used, std::int64_t allowed) {
  if (!used) return {};
  return std::max<std::int64_t>(allowed - *used, 0);
}

// Art. 6(1): 10 h while an extension is left this week, else 9 h.
Opt maxDailyFromAvailable(Opt extensionsAvailable) {
  if (!extensionsAvailable) return {};
  return *extensionsAvailable > 0 ? kExtendedDailyHours : kDailyDriveHours;
}

Opt dueAt(std::uint32_t dateTime, Opt minutesLeft) {
  if (!minutesLeft) return {};
  return std::int64_t{dateTime} + *minutesLeft * 60;
}

}  // namespace

bool isDdsFeed(ByteView p) {
  return p.size() >= 2 && (p[0] == 0x4D || p[0] == 0x6D) && feedLength(p[1]) != 0;
}

Result<Bytes> consolidatedDds(ByteView feed) {
  if (!isDdsFeed(feed))
    return makeError("type", 0,
                     "a DDS feed packet (0x4D/0x6D with subtype 0x02, 0x03 or 0x04, seed 004 "
                     "sections 14.1-14.3)");
  const std::uint8_t sub = feed[1];
  if (feed.size() < feedLength(sub))
    return makeError("length", feed.size(),
                     std::to_string(feedLength(sub)) + " bytes for this feed, not " +
                         std::to_string(feed.size()));
  const FeedReader r(feed);
  // Offsets 2-34 are common to the three feeds (14.1-14.3): DateTime to CumulativeBreak.
  const std::uint32_t dateTime = r.u32(2);
  const Opt continuous = r.u16(24), daily = r.u16(26), weekly = r.u16(28), twoWeek = r.u16(30);
  const Opt cumulativeBreak = r.u16(32);
  const std::uint8_t states = feed[23];
  Opt level;
  if (states != 0xFF) {
    const int l = timeRelatedState(states).level;  // section 14.5's table
    if (l >= 0) level = l;
  }

  Opt maxDaily, remainingDrive, nextBreakRest, extendedAvailable, breakRequired, nextDrivingPeriod,
      reducedAvailable, timeToDailyRest, timeToWeeklyRest, minDailyRest, minWeeklyRest, workDaily,
      workWeekly, workBreak;
  switch (sub) {
    case kStoneridge: {
      maxDaily = r.u8(44);
      extendedAvailable = remainingOf(r.u8(45), kExtensionsPerWeek);
      reducedAvailable = remainingOf(r.u8(46), kReducedRestsBetween);
      remainingDrive = driveLeft(continuous, daily, weekly, twoWeek, maxDaily, true);
      nextDrivingPeriod = driveLeft(continuous, daily, weekly, twoWeek, maxDaily, false);
      nextBreakRest = nextBreak(cumulativeBreak);
      breakRequired = breakStillRequired(cumulativeBreak);
      timeToDailyRest = r.u16(36);
      timeToWeeklyRest = r.u16(38);
      minDailyRest = r.u16(40);
      minWeeklyRest = r.u16(42);
      workDaily = r.u16(47);
      workWeekly = r.u16(49);
      workBreak = r.u16(51);
      break;
    }
    case kVdo: {
      const std::uint16_t mask = r.raw16(58);
      if (mask != 0xFFFF) {
        extendedAvailable = mask & 0x3;        // "dd", bits 0-1
        reducedAvailable = (mask >> 3) & 0x3;  // "rr", bits 3-4
      }
      maxDaily = maxDailyFromAvailable(extendedAvailable);
      remainingDrive = r.u16(34);
      nextBreakRest = r.u16(38);
      breakRequired = r.u16(40);
      nextDrivingPeriod = r.u16(44);
      timeToDailyRest = r.u16(48);
      minDailyRest = r.u16(50);
      timeToWeeklyRest = r.u16(54);
      minWeeklyRest = r.u16(56);
      break;
    }
    case kIntellic: {
      extendedAvailable = remainingOf(r.u8(42), kExtensionsPerWeek);
      maxDaily = maxDailyFromAvailable(extendedAvailable);
      remainingDrive = driveLeft(continuous, daily, weekly, twoWeek, maxDaily, true);
      nextDrivingPeriod = driveLeft(continuous, daily, weekly, twoWeek, maxDaily, false);
      nextBreakRest = nextBreak(cumulativeBreak);
      breakRequired = breakStillRequired(cumulativeBreak);
      timeToDailyRest = r.u16(34);
      timeToWeeklyRest = r.u16(36);
      minDailyRest = r.u16(38);
      minWeeklyRest = r.u16(40);
      break;
    }
    default:
      break;
  }

  Bytes out;
  out.reserve(66);
  ByteWriter w(out);
  w.writeU8(0x4D);  // section 14.4: 0x4D only, whichever of 0x4D/0x6D the feed came as
  w.writeU8(0x0C);
  w.writeBytes(r.bytes(2, 4));   // DateTime
  w.writeBytes(r.bytes(6, 14));  // CardNumber
  w.writeU8(feed[20]);           // Mode
  w.writeBytes(r.bytes(21, 2));  // Duration (0xFFFF stays NULL)
  w.writeU8(states);             // TimeRelatedStates
  put8(w, level);                // TimeRelatedLevel
  put16(w, continuous);
  put16(w, daily);
  put16(w, weekly);
  put16(w, twoWeek);
  put8(w, maxDaily);
  put8(w, kWeeklyDriveHours);
  put8(w, kTwoWeekDriveHours);
  put16(w, remainingDrive);
  put16(w, nextBreakRest);
  put8(w, extendedAvailable);
  put16(w, cumulativeBreak);  // BreakRestTaken
  put16(w, breakRequired);
  put16(w, nextDrivingPeriod);
  put8(w, reducedAvailable);
  put32(w, dueAt(dateTime, timeToDailyRest));
  put32(w, dueAt(dateTime, timeToWeeklyRest));
  put16(w, minDailyRest);
  put16(w, minWeeklyRest);
  put16(w, workDaily);
  put16(w, workWeekly);
  put16(w, workBreak);
  return out;
}

Result<Bytes> newDriverPacket(std::string_view cardNumber, std::string_view surname,
                              std::string_view firstNames) {
  if (cardNumber.empty() || cardNumber.size() > 14)
    return makeError("cardNumber", 2,
                     "1 to 14 characters, not " + std::to_string(cardNumber.size()));
  for (char c : cardNumber)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E)
      return makeError("cardNumber", 2, "printable ASCII characters");
  // The layout's own encoder (UTF-8 checks, UTF-16 surrogates, the 35-unit limit, padding).
  std::string text;
  JsonWriter w(text);
  w.beginObject();
  w.key("type");
  w.integer(0x44);
  w.key("subtype");
  w.integer(0);
  w.key("cardNumber");
  w.string(cardNumber);
  w.key("surname");
  w.string(surname);
  w.key("firstNames");
  w.string(firstNames);
  w.endObject();
  auto parsed = parseJson(text);
  if (!parsed) return parsed.error();
  return encodePacket(*parsed);
}

std::optional<NamedDriver> driverNamedIn(ByteView packet) {
  const bool clocking = packet.size() >= 2 && packet[0] == 0x6B && packet[1] == 0x01;
  const bool newDriver = packet.size() >= 2 && packet[0] == 0x44 && packet[1] == 0x00;
  if (!clocking && !newDriver) return std::nullopt;
  // The codec's own rendering: the same trimming and UTF-16 handling as the JSON receivers see.
  Packet p;
  if (!decodePacket(packet, p)) return std::nullopt;
  auto json = parseJson(renderPacketJson(p));
  if (!json) return std::nullopt;
  auto text = [&](const char* key) {
    const JsonValue* v = json->find(key);
    return v && v->isString() ? v->asString() : std::string();
  };
  NamedDriver d{text("cardNumber"), text("surname"), text("firstNames")};
  if (d.cardNumber.empty() || (d.surname.empty() && d.firstNames.empty())) return std::nullopt;
  return d;
}

}  // namespace dcgw::codecs
