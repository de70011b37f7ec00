// The Outbox: a device's unacknowledged packets in sequence order, resent in order after a
// reconnect.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gateway/simulate/simulator.hpp"

namespace dcgw::simulate {

void Outbox::add(std::uint32_t sequence, std::uint32_t pool, bool invalid) {
  if (size_ == ring_.size()) {
    std::vector<Entry> bigger(ring_.empty() ? 16 : ring_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = at(i);
    ring_.swap(bigger);
    head_ = 0;
  }
  Entry& e = ring_[(head_ + size_) & (ring_.size() - 1)];
  e = Entry{};
  e.sequence = sequence;
  e.pool = pool;
  e.invalid = invalid;
  ++size_;
  ++live_;
}

Outbox::Entry* Outbox::nextUnsent() {
  // A packet rejected on an earlier connection is never resent: step over it.
  while (sent_ < size_ && at(sent_).rejected) ++sent_;
  return sent_ < size_ ? &at(sent_) : nullptr;
}

bool Outbox::hasUnsent() const {
  for (std::size_t i = sent_; i < size_; ++i)
    if (!at(i).rejected) return true;
  return false;
}

bool Outbox::markSent(std::int64_t nowUs) {
  Entry& e = at(sent_++);
  const bool resend = e.everSent;
  e.everSent = true;
  e.sentAtUs = nowUs;
  ++inFlight_;
  return resend;
}

const Outbox::Entry* Outbox::reject(std::uint32_t n) {
  for (std::size_t i = 0; i < sent_; ++i) {
    Entry& e = at(i);
    if (!atOrBefore(e.sequence, n)) break;
    if (e.sequence == n && !e.rejected) {
      e.rejected = true;
      --inFlight_;
      --live_;
      return &e;
    }
  }
  return nullptr;
}

void Outbox::restart() {
  while (size_ > 0 && at(0).rejected) {
    head_ = (head_ + 1) & (ring_.size() - 1);
    --size_;
  }
  sent_ = 0;
  inFlight_ = 0;
}

void Outbox::renumber(std::uint32_t& next) {
  for (std::size_t i = 0; i < size_; ++i) {
    at(i).sequence = next;
    next = next == UINT32_MAX ? 1 : next + 1;
  }
}

}  // namespace dcgw::simulate
