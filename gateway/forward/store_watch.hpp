// Keeps the store within its room (issue 17): store.maxBytes and the free-disk floor.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "gateway/common/clock.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::forward {

struct StoreLimits {
  std::int64_t maxBytes{0};      // store.maxBytes: the rows' room; 0: none
  std::int64_t minFreeBytes{0};  // store.minFreeBytes: free disk kept beside the database; 0: none
};

// Every interval it measures the store (Backend::size()). Under pressure -- the rows take more
// than 95% of maxBytes, or the disk has less than minFreeBytes free and the database file has
// under 16 MiB of free pages of its own (so it would have to grow) -- it prunes delivered
// history, oldest packets first, whatever their age, until the rows take at most 90% of
// maxBytes and the file has 32 MiB of free pages again; with no delivered history left, dead
// letters, oldest first. Pending rows are never pruned. If the pressure stays with nothing left
// to prune (the pending rows, and what is not history, fill the room), the store is full:
// fullReason() says so, ingest refuses every packet with STORE_FULL (never an ACK), and the log
// says so once, until the pressure goes (the destinations deliver, an admin skips or removes a
// stuck destination, whose queue becomes dead letters, or raises the limit).
class StoreWatch {
 public:
  // The thread is started only by start(); checkOnce() can run without it (tests).
  StoreWatch(store::Backend& store, common::Clock& clock, StoreLimits limits,
             std::int64_t retentionMs, std::int64_t intervalMs = 1000, int batch = 500);
  ~StoreWatch();
  StoreWatch(const StoreWatch&) = delete;
  StoreWatch& operator=(const StoreWatch&) = delete;

  void start();
  // One measurement and, under pressure, pruning. Returns whether the store is full now.
  bool checkOnce();

  std::optional<std::string> fullReason() const;
  bool full() const { return fullReason().has_value(); }
  store::StoreSize lastSize() const;
  std::uint64_t prunedRows() const;  // by size, since start
  const StoreLimits& limits() const { return limits_; }

 private:
  bool over(const store::StoreSize& s, int percent, std::int64_t room) const;
  bool pressure(const store::StoreSize& s) const;
  bool relieved(const store::StoreSize& s) const;
  bool fullNow(const store::StoreSize& s) const;
  std::string describe(const store::StoreSize& s) const;

  store::Backend& store_;
  common::Clock& clock_;
  const StoreLimits limits_;
  const std::int64_t retentionMs_, intervalMs_;
  const int batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_{false};
  bool started_{false};
  bool pruning_{false};  // an episode of pressure was logged
  std::optional<std::string> full_;
  store::StoreSize last_;
  std::uint64_t pruned_{0};
  std::thread thread_;
};

}  // namespace dcgw::forward
