// The store's room (see store_watch.hpp).
#include "gateway/forward/store_watch.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace dcgw::forward {
namespace {

// Free pages the database file should hold when the disk is at its floor, so the next minutes
// of ingest reuse them instead of growing the file; below kRoomLow with the disk at its floor,
// the store is full.
constexpr std::int64_t kRoom = 16LL << 20;
constexpr std::int64_t kRoomLow = 1LL << 20;

std::string mib(std::int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

}  // namespace

StoreWatch::StoreWatch(store::Backend& store, common::Clock& clock, StoreLimits limits,
                       std::int64_t retentionMs, std::int64_t intervalMs, int batch)
    : store_(store),
      clock_(clock),
      limits_(limits),
      retentionMs_(retentionMs),
      intervalMs_(intervalMs),
      batch_(batch) {}

void StoreWatch::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      try {
        checkOnce();
      } catch (const store::StoreError& e) {
        spdlog::warn("store room: cannot measure or prune the store: {}", e.what());
      }
      lock.lock();
      if (stop_) break;
      clock_.waitFor(cv_, lock, intervalMs_);
    }
  });
}

StoreWatch::~StoreWatch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// Over the room when the rows take more than `percent` of maxBytes, or when the disk is below
// its floor and the database file has less than `room` bytes of free pages of its own.
bool StoreWatch::over(const store::StoreSize& s, int percent, std::int64_t room) const {
  if (limits_.maxBytes > 0 && s.usedBytes > limits_.maxBytes / 100 * percent) return true;
  return limits_.minFreeBytes > 0 && s.freeDiskBytes >= 0 &&
         s.freeDiskBytes < limits_.minFreeBytes && s.fileBytes - s.usedBytes < room;
}

bool StoreWatch::pressure(const store::StoreSize& s) const {
  return over(s, 95, kRoom);
}
bool StoreWatch::relieved(const store::StoreSize& s) const {
  return !over(s, 90, 2 * kRoom);
}
bool StoreWatch::fullNow(const store::StoreSize& s) const {
  return over(s, 98, kRoomLow);
}

std::string StoreWatch::describe(const store::StoreSize& s) const {
  std::string out = "its rows take " + mib(s.usedBytes);
  if (limits_.maxBytes > 0) out += " of store.maxBytes " + mib(limits_.maxBytes);
  if (limits_.minFreeBytes > 0 && s.freeDiskBytes >= 0)
    out += ", the disk has " + mib(s.freeDiskBytes) + " free (store.minFreeBytes " +
           mib(limits_.minFreeBytes) + ")";
  return out;
}

bool StoreWatch::checkOnce() {
  store::StoreSize s = store_.size();
  const bool wasFull = full();
  std::uint64_t pruned = 0;
  if (pressure(s)) {
    {
      std::lock_guard lock(mu_);
      if (!pruning_)
        spdlog::warn("store room: {}: pruning delivered history, oldest first", describe(s));
      pruning_ = true;
    }
    // Delivered history first, oldest packets first (prune walks the rows in the order their
    // packets arrived), then, with none left, dead letters, oldest first. Each call is one
    // short transaction; ingest and the workers' commits go between them.
    const std::int64_t now = clock_.nowMs();
    for (auto prune : {&store::DeliveryQueue::prune, &store::DeliveryQueue::pruneDeadLetters}) {
      while (!relieved(s)) {
        {
          std::lock_guard lock(mu_);
          if (stop_) break;
        }
        const int n = (store_.*prune)(now, batch_);
        pruned += static_cast<std::uint64_t>(n);
        s = store_.size();
        if (n == 0) break;  // nothing of this kind is left to prune
        std::this_thread::yield();
      }
    }
  } else {
    std::lock_guard lock(mu_);
    if (pruning_ && !wasFull) spdlog::info("store room: {}: back within its limits", describe(s));
    pruning_ = false;
  }
  std::optional<std::string> reason;
  if (fullNow(s) || (wasFull && pressure(s)))
    reason = limits_.maxBytes > 0 && s.usedBytes >= limits_.maxBytes / 100 * 95
                 ? "the gateway's store is full (store.maxBytes) with packets not yet delivered"
                 : "the gateway's disk is full (store.minFreeBytes) with packets not yet "
                   "delivered";
  std::lock_guard lock(mu_);
  if (reason && !full_)
    spdlog::error(
        "store room: {}: nothing delivered is left to prune, so every packet is refused "
        "STORE_FULL until there is room (the destinations take their queues; skip or remove a "
        "destination that never will: its queue becomes dead letters, which are pruned when "
        "room is needed; or raise store.maxBytes)",
        describe(s));
  if (!reason && full_) spdlog::info("store room: {}: packets are accepted again", describe(s));
  full_ = std::move(reason);
  last_ = s;
  pruned_ += pruned;
  return full_.has_value();
}

std::optional<std::string> StoreWatch::fullReason() const {
  std::lock_guard lock(mu_);
  return full_;
}

store::StoreSize StoreWatch::lastSize() const {
  std::lock_guard lock(mu_);
  return last_;
}

std::uint64_t StoreWatch::prunedRows() const {
  std::lock_guard lock(mu_);
  return pruned_;
}

}  // namespace dcgw::forward
