// The console's in-memory queue history: two ring-like deques per destination.
#include "gateway/admin/queue_history.hpp"

#include <set>

namespace dcgw::admin {

QueueHistory::QueueHistory(std::int64_t fineStepMs)
    : hour_{fineStepMs, 3'600'000}, day_{fineStepMs * 6, 86'400'000} {}

void QueueHistory::add(std::deque<QueueSample>& s, const Resolution& r, const QueueSample& x) {
  if (!s.empty() && x.atMs - s.back().atMs < r.stepMs - r.stepMs / 50) return;
  s.push_back(x);
  while (!s.empty() && s.front().atMs < x.atMs - r.spanMs) s.pop_front();
}

void QueueHistory::record(std::int64_t nowMs, const std::vector<store::QueueOverview>& queues) {
  std::lock_guard l(mu_);
  std::set<std::int64_t> present;
  for (const auto& q : queues) {
    present.insert(q.destinationId);
    const QueueSample x{nowMs, q.counters.depth, q.counters.delivered};
    Series& s = series_[q.destinationId];
    add(s.hour, hour_, x);
    add(s.day, day_, x);
  }
  std::erase_if(series_, [&](const auto& kv) { return !present.count(kv.first); });
}

std::vector<QueueSample> QueueHistory::samples(std::int64_t destinationId, Range r) const {
  std::lock_guard l(mu_);
  auto it = series_.find(destinationId);
  if (it == series_.end()) return {};
  const auto& d = r == Range::Hour ? it->second.hour : it->second.day;
  return {d.begin(), d.end()};
}

}  // namespace dcgw::admin
