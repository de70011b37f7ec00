// IANA time zones read from the system's TZif files (Debian's tzdata, /usr/share/zoneinfo), so a
// location's local time (file names, schema/files.md) follows its daylight-saving rules.
// libstdc++ 12 has no std::chrono::tzdb; setting TZ for localtime_r is process-wide.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/result.hpp"

namespace dcgw::common {

class TimeZone {
 public:
  // "UTC" always works; anything else is read from `dir`/NAME (a TZif file, version 2 or later).
  // The error names the zone and what was wrong. REQUIRES: nothing; never throws on bad input.
  static codecs::Result<TimeZone> load(std::string_view name,
                                       const std::string& dir = "/usr/share/zoneinfo");
  static TimeZone utc();

  const std::string& name() const { return name_; }
  // Seconds to add to a UTC time to get the zone's wall clock at that moment.
  std::int32_t offsetAt(std::int64_t utcSeconds) const;

  // The POSIX TZ rule of the file's footer ("CET-1CEST,M3.5.0,M10.5.0/3"), for times after the
  // last transition; only the M (month.week.day) form is understood, else the last offset holds.
  struct Rule {
    std::int32_t stdOffset{0};  // seconds east of UTC
    std::int32_t dstOffset{0};
    bool hasDst{false};
    int startMonth{0}, startWeek{0}, startDay{0};
    std::int32_t startTime{7200};  // local seconds after midnight
    int endMonth{0}, endWeek{0}, endDay{0};
    std::int32_t endTime{7200};
  };

 private:
  std::string name_;
  std::vector<std::int64_t> transitions_;  // UTC seconds, ascending
  std::vector<std::int32_t> offsets_;      // offset from each transition on
  std::int32_t initialOffset_{0};
  bool hasRule_{false};
  Rule rule_;
};

// A zone name as an admin may give it: "UTC" or Area/Location characters only (letters, digits,
// '/', '_', '-', '+'), no "..", at most 64 characters. Checked before any file is opened.
bool plausibleZoneName(std::string_view name);

}  // namespace dcgw::common
