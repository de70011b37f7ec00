// The cyclic walk over a card's activityDailyRecords (Annex 1C data dictionary 2.9 and 2.17):
// from activityPointerNewestRecord back by activityPreviousRecordLength, across the buffer's end.
#include "codecs/ddd/card_activity.hpp"

#include "codecs/ddd/dictionary.hpp"

namespace dcgw::codecs::ddd {
namespace {

// activityPreviousRecordLength, activityRecordLength, activityRecordDate (2.9).
constexpr std::size_t kHeaderSize = 8;
// The header, activityDailyPresenceCounter, activityDayDistance and at least the one
// ActivityChangeInfo coding the status at 00:00 (2.9: SET SIZE (1..1440)).
constexpr std::size_t kMinRecordSize = 14;

// n bytes of the cyclic buffer from pos, continuing at its first byte when the record straddles
// the end (2.17: storing continues at the first byte "independently of a break being inside a
// data element").
bool readCyclic(ByteView buffer, std::size_t pos, std::size_t n, Bytes& out) {
  if (n > buffer.size() || pos >= buffer.size()) return false;
  ByteReader r(buffer);
  const std::size_t first = std::min(n, buffer.size() - pos);
  ByteView head, tail;
  if (!r.seek(pos) || !r.readBytes(first, head)) return false;
  out.assign(head.begin(), head.end());
  if (first < n) {
    if (!r.seek(0) || !r.readBytes(n - first, tail)) return false;
    out.insert(out.end(), tail.begin(), tail.end());
  }
  return true;
}

std::string at(std::size_t pos) {
  return "daily record at buffer offset " + std::to_string(pos);
}

}  // namespace

ActivityDays walkActivity(ByteView ef, std::size_t fileOffset, const std::string& label,
                          std::vector<Warning>& warnings) {
  ActivityDays days;
  auto warn = [&](std::size_t offset, const std::string& text) {
    warnings.push_back({offset, label + ": " + text});
  };
  ByteReader r(ef);
  std::uint16_t oldest = 0, newest = 0;
  if (!r.readU16BE(oldest) || !r.readU16BE(newest)) {
    warn(fileOffset, std::to_string(ef.size()) + " bytes, too short for the activity pointers");
    days.damaged = true;
    return days;
  }
  const ByteView buffer = r.rest();
  const std::size_t base = fileOffset + 4;  // file offset of activityDailyRecords' first byte
  if (buffer.size() < kMinRecordSize) {
    warn(base, "activityDailyRecords has " + std::to_string(buffer.size()) +
                   " bytes, too few for one daily record");
    days.damaged = true;
    return days;
  }
  if (newest >= buffer.size()) {
    warn(fileOffset + 2, "activityPointerNewestRecord " + std::to_string(newest) +
                             " is past the buffer's " + std::to_string(buffer.size()) + " bytes");
    days.damaged = true;
    return days;
  }
  const bool oldestValid = oldest < buffer.size();
  if (!oldestValid)
    warn(fileOffset, "activityPointerOldestDayRecord " + std::to_string(oldest) +
                         " is past the buffer; walking back to a record with no previous one");

  std::vector<bool> visited(buffer.size(), false);  // one visit per start byte: the walk ends
  std::size_t pos = newest;
  std::optional<std::uint16_t> expectedLength;  // the newer record's activityPreviousRecordLength
  for (;;) {
    Bytes header;
    if (!readCyclic(buffer, pos, kHeaderSize, header)) break;  // cannot happen: pos < size
    ByteReader h(header);
    std::uint16_t previousLength = 0, length = 0;
    std::uint32_t date = 0;
    h.readU16BE(previousLength);
    h.readU16BE(length);
    h.readU32BE(date);
    visited[pos] = true;
    if (days.records == 0 && length == 0 && date == 0) {
      days.empty = true;  // a card never used: nothing recorded yet, not damage
      return days;
    }
    if (expectedLength && length != *expectedLength) {
      warn(base + pos, at(pos) + ": activityRecordLength " + std::to_string(length) +
                           " differs from the newer record's activityPreviousRecordLength " +
                           std::to_string(*expectedLength) + "; walk stopped");
      days.damaged = true;
      break;
    }
    if (length < kMinRecordSize || length > buffer.size()) {
      warn(base + pos, at(pos) + ": activityRecordLength " + std::to_string(length) +
                           " is outside " + std::to_string(kMinRecordSize) + ".." +
                           std::to_string(buffer.size()) + "; walk stopped");
      days.damaged = true;
      break;
    }
    const std::optional<std::uint32_t> day = timeRealValue(date);
    if (!day) {
      warn(base + pos, at(pos) + ": activityRecordDate has no value; walk stopped");
      days.damaged = true;
      break;
    }
    // Dates are compared rather than taken by position so a clock set back on the vehicle unit
    // cannot make the first day later than the last.
    if (!days.firstDay || *day < *days.firstDay) days.firstDay = day;
    if (!days.lastDay || *day > *days.lastDay) days.lastDay = day;
    ++days.records;
    if (oldestValid && pos == oldest) break;  // the oldest complete day: done
    if (previousLength == 0) {
      // 2.9: only the oldest record has no previous one; the pointer should have named it.
      if (oldestValid)
        warn(base + pos, at(pos) +
                             " has activityPreviousRecordLength 0 but the oldest-day "
                             "pointer is " +
                             std::to_string(oldest));
      break;
    }
    if (previousLength < kMinRecordSize || previousLength > buffer.size()) {
      warn(base + pos, at(pos) + ": activityPreviousRecordLength " +
                           std::to_string(previousLength) + " is outside " +
                           std::to_string(kMinRecordSize) + ".." + std::to_string(buffer.size()) +
                           "; walk stopped");
      days.damaged = true;
      break;
    }
    const std::size_t previous = (pos + buffer.size() - previousLength) % buffer.size();
    if (visited[previous]) {
      warn(base + pos, at(pos) + ": activityPreviousRecordLength " +
                           std::to_string(previousLength) + " leads back to buffer offset " +
                           std::to_string(previous) + ", already visited; walk stopped");
      days.damaged = true;
      break;
    }
    expectedLength = previousLength;
    pos = previous;
  }
  return days;
}

}  // namespace dcgw::codecs::ddd
