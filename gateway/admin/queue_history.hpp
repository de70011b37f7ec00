// Each destination's queue depth and delivered count over the last hour and the last day, kept
// in memory for the console's charts (GET /api/v1/queues/history); bounded per destination.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "gateway/store/types.hpp"

namespace dcgw::admin {

struct QueueSample {
  std::int64_t atMs{0};
  std::int64_t depth{0};
  std::int64_t delivered{0};  // the destination's delivered counter (cumulative)
};

class QueueHistory {
 public:
  // A resolution keeps one sample per step over its span: at most span / (0.98 * step) + 1
  // samples per destination (a sample up to 2 % early still counts, so a sampler woken a few
  // milliseconds before its step does not skip one).
  struct Resolution {
    std::int64_t stepMs;
    std::int64_t spanMs;
  };
  enum class Range { Hour, Day };

  // fineStepMs: the last hour's step (the day's is six times it). REQUIRES: fineStepMs > 0.
  explicit QueueHistory(std::int64_t fineStepMs = 10'000);

  Resolution resolution(Range r) const { return r == Range::Hour ? hour_ : day_; }

  // A sample of every destination in `queues`, taken at nowMs: it enters each resolution whose
  // step has passed since that resolution's last sample of the destination; samples older than
  // the span leave; destinations absent from `queues` (removed) are forgotten.
  void record(std::int64_t nowMs, const std::vector<store::QueueOverview>& queues);

  // A destination's samples of one range, oldest first; empty when it has none.
  std::vector<QueueSample> samples(std::int64_t destinationId, Range r) const;

 private:
  struct Series {
    std::deque<QueueSample> hour, day;
  };
  static void add(std::deque<QueueSample>& s, const Resolution& r, const QueueSample& x);

  Resolution hour_, day_;
  mutable std::mutex mu_;
  std::map<std::int64_t, Series> series_;
};

}  // namespace dcgw::admin
