// The console's in-memory queue history (gateway/admin/queue_history.hpp): one sample per step
// per resolution, bounded by the span, forgotten with its destination.
#include "gateway/admin/queue_history.hpp"

#include <gtest/gtest.h>

namespace dcgw::admin {
namespace {

store::QueueOverview queue(std::int64_t id, std::int64_t depth, std::int64_t delivered) {
  store::QueueOverview q;
  q.destinationId = id;
  q.name = "d" + std::to_string(id);
  q.counters.depth = depth;
  q.counters.delivered = delivered;
  return q;
}

TEST(QueueHistory, KeepsOneSampleAStepAndTheDayAtSixTimesTheStep) {
  QueueHistory h(10'000);
  for (std::int64_t t = 0; t <= 120'000; t += 5'000) h.record(t, {queue(1, t / 1000, t / 100)});
  const auto hour = h.samples(1, QueueHistory::Range::Hour);
  ASSERT_EQ(hour.size(), 13u);  // 0, 10, ... 120 s: the 5 s samples between are left out
  EXPECT_EQ(hour.front().atMs, 0);
  EXPECT_EQ(hour.back().atMs, 120'000);
  EXPECT_EQ(hour.back().depth, 120);
  EXPECT_EQ(hour.back().delivered, 1200);
  const auto day = h.samples(1, QueueHistory::Range::Day);
  ASSERT_EQ(day.size(), 3u);  // 0, 60, 120 s
  EXPECT_EQ(day[1].atMs, 60'000);
}

TEST(QueueHistory, ASampleALittleEarlyStillCounts) {
  QueueHistory h(10'000);
  h.record(0, {queue(1, 0, 0)});
  h.record(9'950, {queue(1, 1, 0)});  // a sampler woken 50 ms early
  h.record(10'500, {queue(1, 2, 0)});
  const auto hour = h.samples(1, QueueHistory::Range::Hour);
  ASSERT_EQ(hour.size(), 2u);
  EXPECT_EQ(hour[1].depth, 1);
}

TEST(QueueHistory, MemoryIsBoundedByTheSpan) {
  QueueHistory h(10'000);
  const std::int64_t twoDays = 2 * 86'400'000;
  for (std::int64_t t = 0; t <= twoDays; t += 10'000) h.record(t, {queue(7, 1, t)});
  const auto hour = h.samples(7, QueueHistory::Range::Hour);
  const auto day = h.samples(7, QueueHistory::Range::Day);
  EXPECT_EQ(hour.size(), 361u);  // an hour of 10 s steps, both ends included
  EXPECT_EQ(hour.front().atMs, twoDays - 3'600'000);
  EXPECT_EQ(day.size(), 1441u);  // a day of 60 s steps
  EXPECT_EQ(day.front().atMs, twoDays - 86'400'000);
}

TEST(QueueHistory, ARemovedDestinationIsForgottenAndANewOneStartsEmpty) {
  QueueHistory h(10'000);
  h.record(0, {queue(1, 3, 0), queue(2, 4, 0)});
  h.record(10'000, {queue(2, 5, 0), queue(3, 6, 0)});
  EXPECT_TRUE(h.samples(1, QueueHistory::Range::Hour).empty());
  EXPECT_EQ(h.samples(2, QueueHistory::Range::Hour).size(), 2u);
  ASSERT_EQ(h.samples(3, QueueHistory::Range::Hour).size(), 1u);
  EXPECT_EQ(h.samples(3, QueueHistory::Range::Hour)[0].depth, 6);
  EXPECT_TRUE(h.samples(99, QueueHistory::Range::Day).empty());
}

}  // namespace
}  // namespace dcgw::admin
