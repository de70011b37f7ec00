// The uplink's sequence rules (schema/uplink.md section 5) as ONE pure function: how a packet's
// sequence number compares with its device's mark (the last sequence stored). The uplink's
// per-connection fast path and every store backend's ingest transaction both call classify(),
// so they never disagree. Serial-number arithmetic (RFC 1982) on uint32: after 4,294,967,295 a
// tracker continues at 1 (0 is not a sequence on the wire).
#pragma once

#include <cstdint>
#include <string>

namespace dcgw::store {

struct SequenceRules {
  // How far behind the mark a sequence is still a resend (acknowledged, not stored again).
  // At least the uplink's window (the most packets a tracker may resend after a drop).
  std::uint32_t duplicateWindow{65536};
  // How far ahead of the mark a sequence may jump (a gap: the tracker dropped data).
  std::uint32_t maxJump{1'000'000};

  // The largest duplicateWindow + maxJump: half the number space (RFC 1982), so "ahead" and
  // "behind" never overlap.
  static constexpr std::uint64_t kMaxSpan = std::uint64_t{1} << 31;
};

enum class SequenceClass : std::uint8_t {
  New,         // store it; it becomes the mark
  Duplicate,   // stored (or rejected) before: acknowledge it, do not store it again
  OutOfRange,  // neither: refused (ERROR SEQUENCE_OUT_OF_RANGE), never acknowledged
};

// mark 0: nothing stored yet for the device, every sequence is New. REQUIRES: sequence != 0.
constexpr SequenceClass classify(std::uint32_t mark, std::uint32_t sequence,
                                 const SequenceRules& rules) {
  if (mark == 0) return SequenceClass::New;
  const std::uint32_t ahead = sequence - mark;  // mod 2^32
  const std::uint32_t behind = mark - sequence;
  if (ahead == 0) return SequenceClass::Duplicate;
  if (ahead <= rules.maxJump) return SequenceClass::New;
  if (behind <= rules.duplicateWindow) return SequenceClass::Duplicate;
  return SequenceClass::OutOfRange;
}

// The first and last sequence that classify() takes as New after `mark` (mark 0: any).
constexpr std::uint32_t firstNew(std::uint32_t mark) {
  return mark == 0xFFFF'FFFFu ? 1u : mark + 1;
}
constexpr std::uint32_t lastNew(std::uint32_t mark, const SequenceRules& rules) {
  std::uint32_t last = mark + rules.maxJump;  // mod 2^32; 0 is skipped, never sent
  return last == 0 ? 0xFFFF'FFFFu : last;
}

// The text of an OutOfRange refusal: the sequence, the mark and what would have been accepted.
inline std::string describeOutOfRange(std::uint32_t mark, std::uint32_t sequence,
                                      const SequenceRules& rules) {
  return "sequence " + std::to_string(sequence) + " is out of range: the last sequence stored is " +
         std::to_string(mark) + ", so new packets are " + std::to_string(firstNew(mark)) + " to " +
         std::to_string(lastNew(mark, rules)) + " (at most " + std::to_string(rules.maxJump) +
         " ahead) and resends at most " + std::to_string(rules.duplicateWindow) +
         " behind; log in again and continue from WELCOME's lastSequence + 1, or have an admin "
         "reset the device's sequence";
}

// Why a set of rules is unusable ("" when it is fine); `window` is the uplink's.
inline std::string sequenceRulesError(const SequenceRules& r, std::uint32_t window) {
  if (r.maxJump < 1) return "uplink.sequence.maxJump must be at least 1";
  if (r.duplicateWindow < window)
    return "uplink.sequence.duplicateWindow must be at least uplink.window (" +
           std::to_string(window) + "): a tracker resends up to a window of packets, not " +
           std::to_string(r.duplicateWindow);
  if (std::uint64_t{r.maxJump} + r.duplicateWindow > SequenceRules::kMaxSpan)
    return "uplink.sequence.maxJump + uplink.sequence.duplicateWindow must be at most "
           "2147483648 (half the sequence space), not " +
           std::to_string(std::uint64_t{r.maxJump} + r.duplicateWindow);
  return {};
}

}  // namespace dcgw::store
