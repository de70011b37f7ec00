// Time as a seam: schedulers ask the clock for "now" and wait through it, so backoff and
// timeouts are tested with a manual clock in milliseconds of real time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace dcgw::common {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t nowMs() = 0;  // milliseconds since the epoch
  // Waits on cv (lock held) until notified or `ms` of this clock have passed.
  virtual void waitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                       std::int64_t ms) = 0;
  // Registers a wake-up (keyed by its owner) so a manual clock can wake waiters when it
  // advances. REQUIRES: the owner calls removeAdvance before it is destroyed.
  virtual void onAdvance(const void* owner, std::function<void()> wake) {
    (void)owner;
    (void)wake;
  }
  virtual void removeAdvance(const void* owner) { (void)owner; }
};

class SystemClock : public Clock {
 public:
  std::int64_t nowMs() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void waitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
               std::int64_t ms) override {
    cv.wait_for(lock, std::chrono::milliseconds(ms));
  }
};

// Advances only when told to; waiters are woken on every advance.
class ManualClock : public Clock {
 public:
  explicit ManualClock(std::int64_t startMs) : now_(startMs) {}
  std::int64_t nowMs() override {
    std::lock_guard l(mu_);
    return now_;
  }
  void waitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
               std::int64_t) override {
    cv.wait_for(lock, std::chrono::milliseconds(20));  // re-check; advance() also wakes
  }
  void onAdvance(const void* owner, std::function<void()> wake) override {
    std::lock_guard l(mu_);
    wakers_.emplace_back(owner, std::move(wake));
  }
  void removeAdvance(const void* owner) override {
    std::lock_guard l(wakeMu_);  // waits for an advance() that is calling it
    std::lock_guard l2(mu_);
    std::erase_if(wakers_, [owner](const auto& w) { return w.first == owner; });
  }
  void advance(std::int64_t ms) {
    std::lock_guard wake(wakeMu_);
    std::vector<std::pair<const void*, std::function<void()>>> w;
    {
      std::lock_guard l(mu_);
      now_ += ms;
      w = wakers_;
    }
    for (auto& [owner, f] : w) f();
  }

 private:
  std::mutex mu_;
  std::int64_t now_;
  std::mutex wakeMu_;  // held while wake-ups run, so removeAdvance never races one
  std::vector<std::pair<const void*, std::function<void()>>> wakers_;
};

}  // namespace dcgw::common
