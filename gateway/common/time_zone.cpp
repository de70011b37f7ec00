// TZif (RFC 8536) version 2+: the 64-bit data block after the version 1 block, then the footer.
#include "gateway/common/time_zone.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "codecs/bytes.hpp"

namespace dcgw::common {
namespace {

using codecs::ByteReader;
using codecs::Bytes;

codecs::Error bad(std::string_view name, std::string what) {
  return codecs::makeError(
      "timeZone", 0,
      "a time zone of the system's tz database ('" + std::string(name) + "': " + what + ")");
}

// "[+-]hh[:mm[:ss]]" of a POSIX TZ string; POSIX offsets are west-positive.
bool parseClock(std::string_view& s, std::int32_t& out) {
  int sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  std::int32_t parts[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    if (s.empty() || s[0] < '0' || s[0] > '9') return i > 0;
    std::int32_t v = 0;
    while (!s.empty() && s[0] >= '0' && s[0] <= '9') {
      v = v * 10 + (s[0] - '0');
      s.remove_prefix(1);
      if (v > 167) return false;
    }
    parts[i] = v;
    out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    if (s.empty() || s[0] != ':') return true;
    s.remove_prefix(1);
  }
  return true;
}

bool skipName(std::string_view& s) {
  if (!s.empty() && s[0] == '<') {
    auto end = s.find('>');
    if (end == std::string_view::npos) return false;
    s.remove_prefix(end + 1);
    return true;
  }
  std::size_t n = 0;
  while (n < s.size() && ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z'))) ++n;
  s.remove_prefix(n);
  return n >= 3;
}

bool parseDate(std::string_view& s, int& month, int& week, int& day, std::int32_t& time) {
  if (s.size() < 6 || s[0] != ',' || s[1] != 'M') return false;
  s.remove_prefix(2);
  int* fields[3] = {&month, &week, &day};
  for (int i = 0; i < 3; ++i) {
    int v = 0;
    if (s.empty() || s[0] < '0' || s[0] > '9') return false;
    while (!s.empty() && s[0] >= '0' && s[0] <= '9') {
      v = v * 10 + (s[0] - '0');
      s.remove_prefix(1);
    }
    *fields[i] = v;
    if (i < 2) {
      if (s.empty() || s[0] != '.') return false;
      s.remove_prefix(1);
    }
  }
  time = 7200;
  if (!s.empty() && s[0] == '/') {
    s.remove_prefix(1);
    if (!parseClock(s, time)) return false;
  }
  return month >= 1 && month <= 12 && week >= 1 && week <= 5 && day >= 0 && day <= 6;
}

bool parseRule(std::string_view s, TimeZone::Rule& r) {
  std::int32_t west = 0;
  if (!skipName(s) || !parseClock(s, west)) return false;
  r.stdOffset = -west;
  if (s.empty()) return true;
  if (!skipName(s)) return false;
  r.hasDst = true;
  r.dstOffset = r.stdOffset + 3600;
  if (!s.empty() && s[0] != ',') {
    if (!parseClock(s, west)) return false;
    r.dstOffset = -west;
  }
  return parseDate(s, r.startMonth, r.startWeek, r.startDay, r.startTime) &&
         parseDate(s, r.endMonth, r.endWeek, r.endDay, r.endTime) && s.empty();
}

std::int64_t daysFromCivil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

std::int64_t yearOf(std::int64_t seconds) {
  std::int64_t days = (seconds >= 0 ? seconds : seconds - 86399) / 86400 + 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  return yoe + era * 400 + (mp >= 10 ? 1 : 0);
}

// Local midnight (as seconds of the local wall clock) of "week w, weekday d of month m" in year y.
std::int64_t ruleDay(std::int64_t y, int m, int w, int d) {
  const std::int64_t first = daysFromCivil(y, m, 1);
  const int firstWeekday = static_cast<int>(((first % 7) + 11) % 7);  // 1970-01-01 was Thursday
  std::int64_t day = first + (d - firstWeekday + 7) % 7 + 7 * (w - 1);
  const std::int64_t nextMonth = m == 12 ? daysFromCivil(y + 1, 1, 1) : daysFromCivil(y, m + 1, 1);
  while (day >= nextMonth) day -= 7;  // week 5 = the last such weekday
  return day * 86400;
}

}  // namespace

bool plausibleZoneName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.find("..") != std::string_view::npos ||
      name[0] == '/' || name.back() == '/')
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '-' || c == '+';
  });
}

TimeZone TimeZone::utc() {
  TimeZone z;
  z.name_ = "UTC";
  return z;
}

codecs::Result<TimeZone> TimeZone::load(std::string_view name, const std::string& dir) {
  if (name == "UTC") return utc();
  if (!plausibleZoneName(name)) return bad(name, "not a zone name such as Europe/Paris");
  std::ifstream f(dir + "/" + std::string(name), std::ios::binary);
  if (!f.is_open()) return bad(name, "no such zone in " + dir);
  Bytes data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (data.size() > 1 << 20) return bad(name, "the file is too large");
  ByteReader r(codecs::ByteView(data.data(), data.size()));
  auto header = [&](std::uint32_t counts[6], std::uint8_t& version) {
    std::uint8_t magic[4];
    for (auto& b : magic)
      if (!r.readU8(b)) return false;
    if (magic[0] != 'T' || magic[1] != 'Z' || magic[2] != 'i' || magic[3] != 'f') return false;
    if (!r.readU8(version) || !r.skip(15)) return false;
    for (int i = 0; i < 6; ++i)
      if (!r.readU32BE(counts[i])) return false;
    return true;
  };
  std::uint32_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  std::uint8_t version = 0;
  if (!header(c, version)) return bad(name, "not a TZif file");
  if (version < '2') return bad(name, "a TZif version 1 file (version 2 or later needed)");
  if (!r.skip(std::size_t{c[3]} * 5 + std::size_t{c[4]} * 6 + c[5] + std::size_t{c[2]} * 8 + c[1] +
              c[0]) ||
      !header(c, version))
    return bad(name, "a truncated TZif file");
  const std::uint32_t timecnt = c[3], typecnt = c[4];
  if (typecnt == 0 || typecnt > 256 || timecnt > 100000) return bad(name, "a damaged TZif file");
  TimeZone z;
  z.name_ = std::string(name);
  z.transitions_.resize(timecnt);
  for (auto& t : z.transitions_) {
    std::uint32_t hi, lo;
    if (!r.readU32BE(hi) || !r.readU32BE(lo)) return bad(name, "a truncated TZif file");
    t = static_cast<std::int64_t>(std::uint64_t{hi} << 32 | lo);
  }
  std::vector<std::uint8_t> index(timecnt);
  for (auto& i : index)
    if (!r.readU8(i) || i >= typecnt) return bad(name, "a damaged TZif file");
  std::vector<std::int32_t> types(typecnt);
  for (auto& t : types) {
    std::uint32_t off;
    if (!r.readU32BE(off) || !r.skip(2)) return bad(name, "a truncated TZif file");
    t = static_cast<std::int32_t>(off);
  }
  if (!r.skip(c[5] + std::size_t{c[2]} * 12 + c[1] + c[0])) return bad(name, "a truncated TZif");
  z.initialOffset_ = types[0];
  for (std::uint8_t i : index) z.offsets_.push_back(types[i]);
  // Footer: "\nTZ-string\n".
  std::string footer;
  std::uint8_t b = 0;
  if (r.readU8(b) && b == '\n') {
    while (r.readU8(b) && b != '\n') footer += static_cast<char>(b);
    z.hasRule_ = !footer.empty() && parseRule(footer, z.rule_);
  }
  return z;
}

std::int32_t TimeZone::offsetAt(std::int64_t utcSeconds) const {
  if (transitions_.empty() && !hasRule_) return initialOffset_;
  if (!transitions_.empty() && utcSeconds < transitions_.front()) return initialOffset_;
  if (transitions_.empty() || utcSeconds >= transitions_.back()) {
    if (!hasRule_) return offsets_.empty() ? initialOffset_ : offsets_.back();
    if (!rule_.hasDst) return rule_.stdOffset;
    const std::int64_t y = yearOf(utcSeconds + rule_.stdOffset);
    // Transition moments in UTC: the start is given in standard time, the end in DST.
    const std::int64_t start = ruleDay(y, rule_.startMonth, rule_.startWeek, rule_.startDay) +
                               rule_.startTime - rule_.stdOffset;
    const std::int64_t end =
        ruleDay(y, rule_.endMonth, rule_.endWeek, rule_.endDay) + rule_.endTime - rule_.dstOffset;
    const bool dst = start < end ? (utcSeconds >= start && utcSeconds < end)
                                 : (utcSeconds >= start || utcSeconds < end);  // southern
    return dst ? rule_.dstOffset : rule_.stdOffset;
  }
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utcSeconds);
  return offsets_[static_cast<std::size_t>(it - transitions_.begin()) - 1];
}

}  // namespace dcgw::common
