// In-process change feed: handlers run on the publisher's thread.
#include "gateway/common/change_feed.hpp"

#include <algorithm>

namespace dcgw::common {

struct ChangeFeed::Subscription::Slot {
  std::mutex mu;  // held while the handler runs; reset() takes it to wait for a running call
  bool live{true};
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
    std::lock_guard l(slot_->mu);
    slot_->live = false;
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
    std::lock_guard l(s->mu);
    if (s->live && s->handler) s->handler(changes);
  }
}

}  // namespace dcgw::common
