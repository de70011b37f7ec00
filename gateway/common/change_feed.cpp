// In-process change feed: handlers run on the publisher's thread.
#include "gateway/common/change_feed.hpp"

#include <algorithm>
#include <condition_variable>

namespace dcgw::common {

// Calls of one handler may overlap (two publishers at once: a slow reload on the admin's thread
// must not hold up the ingest thread's wake-ups); reset() waits until none is running.
struct ChangeFeed::Subscription::Slot {
  std::mutex mu;
  std::condition_variable idle;
  bool live{true};
  int running{0};
  Handler handler;
};

ChangeFeed::Subscription& ChangeFeed::Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    reset();
    slot_ = std::move(o.slot_);
  }
  return *this;
}

ChangeFeed::Subscription::~Subscription() {
  reset();
}

void ChangeFeed::Subscription::reset() {
  if (!slot_) return;
  {
    std::unique_lock l(slot_->mu);
    slot_->live = false;
    slot_->idle.wait(l, [&] { return slot_->running == 0; });
    slot_->handler = nullptr;
  }
  slot_.reset();
}

ChangeFeed::Subscription ChangeFeed::subscribe(Handler handler) {
  auto slot = std::make_shared<Subscription::Slot>();
  slot->handler = std::move(handler);
  std::lock_guard l(mu_);
  std::erase_if(slots_, [](const auto& w) { return w.expired(); });
  slots_.push_back(slot);
  return Subscription(std::move(slot));
}

void ChangeFeed::publish(const std::vector<Change>& changes) {
  if (changes.empty()) return;
  std::vector<std::shared_ptr<Subscription::Slot>> live;
  {
    std::lock_guard l(mu_);
    for (const auto& w : slots_)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (const auto& s : live) {
    {
      std::lock_guard l(s->mu);
      if (!s->live) continue;
      ++s->running;
    }
    try {
      s->handler(changes);
    } catch (...) {
      // A subscriber's failure is its own; the others still hear of the change.
    }
    std::lock_guard l(s->mu);
    if (--s->running == 0) s->idle.notify_all();
  }
}

}  // namespace dcgw::common
