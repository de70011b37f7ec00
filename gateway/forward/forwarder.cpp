// The forwarding workers: next pending row, deliver, record, back off on failure.
#include "gateway/forward/forwarder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "codecs/forwarding/serial.hpp"
#include "gateway/common/thread_priority.hpp"
#include "gateway/forward/destination_settings.hpp"

namespace dcgw::forward {

std::int64_t BackoffPolicy::delayMs(int failures) const {
  std::int64_t d = baseMs;
  for (int i = 1; i < failures && d < capMs; ++i) d *= 2;
  return std::min(d, capMs);
}

Forwarder::Forwarder(store::Backend& store, common::Clock& clock, BackoffPolicy backoff,
                     AdapterFactory factory, common::ChangeFeed* feed)
    : store_(store), clock_(clock), backoff_(backoff), factory_(std::move(factory)) {
  clock_.onAdvance(this, [this] {
    std::lock_guard lock(mu_);
    for (auto& [id, w] : workers_) w->cv.notify_all();
  });
  if (feed) subscription_ = feed->subscribe([this](const auto& changes) { onChanges(changes); });
}

void Forwarder::onChanges(const std::vector<common::Change>& changes) {
  std::vector<std::int64_t> work;
  bool reconcile = false;
  for (const auto& c : changes) {
    switch (c.kind) {
      case common::Change::Kind::QueueHasWork:
        work.push_back(c.id);
        break;
      case common::Change::Kind::DestinationChanged:
        reconcile = true;
        break;
      default:
        break;
    }
  }
  if (!work.empty()) notify(work);
  // Workers start or stop with their destination; then each one changed or acted on re-reads
  // its configuration and state before its next attempt.
  if (reconcile) reload();
  for (const auto& c : changes)
    if (c.kind == common::Change::Kind::DestinationChanged ||
        c.kind == common::Change::Kind::QueueActed)
      wake(c.id);
}

Forwarder::~Forwarder() {
  subscription_.reset();
  clock_.removeAdvance(this);
  stop();
}

void Forwarder::start() {
  {
    std::lock_guard lock(mu_);
    stopped_ = false;
  }
  reload();
}

void Forwarder::setOwnership(std::function<bool(std::int64_t)> owns) {
  std::lock_guard lock(mu_);
  owns_ = std::move(owns);
}

void Forwarder::reload() {
  reconcile(true);
}

void Forwarder::dropUnowned() {
  reconcile(false);
}

void Forwarder::reconcile(bool readStore) {
  // Twice at most: a destination whose old worker another reload was still stopping starts
  // once that worker has ended (never two workers of one destination at a time).
  for (int pass = 0; pass < 2; ++pass) {
    bool deferred = false;
    std::vector<std::unique_ptr<Worker>> stopped;
    {
      std::lock_guard lock(mu_);
      // A store that cannot be read now still lets the workers of destinations this node no
      // longer owns stop (their locks are about to be freed); nothing starts until it can be.
      std::vector<store::DestinationConfig> configs;
      bool known = readStore;
      try {
        if (readStore) configs = store_.destinations();
      } catch (const store::StoreError&) {
        if (!owns_) throw;
        known = false;
      }
      // Stop workers whose destination went away; settings changes restart the worker so the
      // adapter is rebuilt (what is queued goes out with the new settings).
      for (auto it = workers_.begin(); it != workers_.end();) {
        auto c = std::find_if(configs.begin(), configs.end(),
                              [&](const auto& d) { return d.id == it->first; });
        const bool notOwned = owns_ && !owns_(it->first);
        if (known ? (c == configs.end() || !c->enabled || it->second->exited || notOwned)
                  : (notOwned || it->second->exited)) {
          {
            std::lock_guard l(it->second->mu);
            it->second->stop = true;
          }
          it->second->cv.notify_all();
          stopping_.insert(it->first);
          stopped.push_back(std::move(it->second));
          it = workers_.erase(it);
        } else {
          ++it;
        }
      }
      for (const auto& c : configs) {
        if (stopped_ || !c.enabled || workers_.count(c.id) || (owns_ && !owns_(c.id))) continue;
        if (stopping_.count(c.id)) {
          deferred = true;
          continue;
        }
        auto w = std::make_unique<Worker>();
        w->id = c.id;
        Worker* raw = w.get();
        workers_[c.id] = std::move(w);
        raw->thread = std::thread([this, raw] { run(*raw); });
      }
    }
    for (auto& w : stopped) w->thread.join();
    std::unique_lock lock(mu_);
    for (auto& w : stopped) stopping_.erase(stopping_.find(w->id));
    stoppedCv_.notify_all();
    // Workers another reload removed have ended too when this one returns: a caller that frees
    // a destination's lock after reload() knows no worker of this node still sends for it.
    stoppedCv_.wait(lock, [&] { return stopping_.empty(); });
    if (!deferred) return;
  }
}

void Forwarder::stop() {
  std::map<std::int64_t, std::unique_ptr<Worker>> all;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    all.swap(workers_);
  }
  for (auto& [id, w] : all) {
    {
      std::lock_guard l(w->mu);
      w->stop = true;
    }
    w->cv.notify_all();
  }
  for (auto& [id, w] : all) w->thread.join();
}

void Forwarder::notify(const std::vector<std::int64_t>& destinations) {
  std::lock_guard lock(mu_);
  for (std::int64_t id : destinations) {
    auto it = workers_.find(id);
    if (it == workers_.end()) continue;
    {
      std::lock_guard l(it->second->mu);
      it->second->pendingHint = true;
    }
    it->second->cv.notify_all();
  }
}

void Forwarder::wake(std::int64_t destination) {
  std::lock_guard lock(mu_);
  auto it = workers_.find(destination);
  if (it == workers_.end()) return;
  {
    std::lock_guard l(it->second->mu);
    it->second->pendingHint = true;
    it->second->interrupt = true;
  }
  it->second->cv.notify_all();
}

Forwarder::Status Forwarder::status(std::int64_t destination) {
  {
    std::lock_guard lock(mu_);
    auto it = workers_.find(destination);
    if (it != workers_.end()) {
      std::lock_guard l(it->second->mu);
      return it->second->status;
    }
    if (!owns_) return Status{State::Disabled, 0, 0, {}, {}};
  }
  // Another node forwards it (or this one is taking it over): its owner's record in the store.
  try {
    const store::DestinationState st = store_.state(destination);
    Status s{State::Idle, st.nextAttemptAtMs, st.consecutiveFailures, st.lastError, {}};
    if (st.nextAttemptAtMs > clock_.nowMs())
      s.state = State::BackingOff;
    else if (store_.hasPending(destination))
      s.state = State::Delivering;
    return s;
  } catch (const store::StoreError& e) {
    return Status{State::Idle, 0, 0, std::string("the store: ") + e.what(), {}};
  }
}

std::shared_ptr<void> Forwarder::hold(std::int64_t destination, std::chrono::milliseconds limit) {
  std::shared_ptr<Gate> gate;
  {
    std::lock_guard lock(mu_);
    auto it = workers_.find(destination);
    if (it == workers_.end()) return std::make_shared<int>(0);
    Worker& w = *it->second;
    gate = w.gate;
    // Held first, then interrupted: a worker the interrupt wakes from its backoff cannot begin
    // a run in between (it would send before the holder acts, and back off again after).
    {
      std::lock_guard g(gate->mu);
      ++gate->holders;
    }
    {
      std::lock_guard l(w.mu);
      w.interrupt = true;  // end the run after the packet being sent
    }
    w.cv.notify_all();
  }
  std::unique_lock g(gate->mu);
  if (!gate->cv.wait_for(g, limit, [&] { return !gate->running; })) {
    --gate->holders;
    g.unlock();
    gate->cv.notify_all();
    return nullptr;
  }
  return std::shared_ptr<void>(gate.get(), [gate](void*) {
    {
      std::lock_guard l(gate->mu);
      --gate->holders;
    }
    gate->cv.notify_all();
  });
}

// A worker's run as hold() sees it: begun only while no admin holds the worker, ended before
// the worker waits (a hold waits for a run, never for a backoff or an idle queue).
class Forwarder::Running {
 public:
  explicit Running(Gate& g) : g_(g) {
    std::unique_lock l(g_.mu);
    g_.cv.wait(l, [&] { return g_.holders == 0; });
    g_.running = true;
  }
  ~Running() { end(); }
  void end() {
    if (ended_) return;
    ended_ = true;
    {
      std::lock_guard l(g_.mu);
      g_.running = false;
    }
    g_.cv.notify_all();
  }

 private:
  Gate& g_;
  bool ended_{false};
};

void Forwarder::run(Worker& w) {
  common::lowerThisThreadsPriority("forwarding", 5);
  try {
    runLoop(w);
  } catch (...) {
    // runLoop catches what it can retry; anything else ends this worker, not the process.
  }
  w.exited = true;
}

void Forwarder::runLoop(Worker& w) {
  std::unique_ptr<adapters::Adapter> adapter;
  store::DestinationSettings adapterSettings;
  // A run the store could not record (a full disk, a read-only database) is sent again, but
  // not at once: the worker backs off as for a failed delivery. The store takes no writes, so
  // this backoff is the worker's own, shown in its status and said once in the log.
  int unrecorded = 0;  // consecutive runs not recorded
  std::int64_t unrecordedRetryAt = 0;
  std::string unrecordedReason;
  for (;;) {
    // Consume the wake-up flags BEFORE reading the store: a wake() that lands after this point
    // sets them again, and every wait below checks them under the lock, so none is lost.
    {
      std::lock_guard lock(w.mu);
      if (w.stop) return;
      if (w.interrupt) unrecordedRetryAt = 0;  // an admin's retry (or any action): try now
      w.pendingHint = false;
      w.interrupt = false;
    }
    Running running(*w.gate);
    std::optional<store::DestinationConfig> config;
    store::DestinationState st;
    std::vector<store::PendingDelivery> batch;
    try {
      config = store_.destination(w.id);
      if (!config || !config->enabled) return;
      st = store_.state(w.id);
      if (!config->paused && std::max(st.nextAttemptAtMs, unrecordedRetryAt) <= clock_.nowMs())
        batch = store_.pendingBatch(w.id, 64);
    } catch (const store::StoreError& e) {
      running.end();
      std::unique_lock lock(w.mu);
      w.status.lastError = std::string("the store: ") + e.what();  // nothing is sent meanwhile
      if (!w.stop) clock_.waitFor(w.cv, lock, 1000);  // the store is unwell: try again soon
      continue;
    }
    // Settings changed: what is queued goes out with the new ones.
    if (adapter && !(adapterSettings == config->settings)) adapter.reset();
    const std::int64_t nextAttemptAt = std::max(st.nextAttemptAtMs, unrecordedRetryAt);
    if (config->paused || nextAttemptAt > clock_.nowMs() || batch.empty()) running.end();
    {
      std::unique_lock lock(w.mu);
      w.status.consecutiveFailures = std::max(st.consecutiveFailures, unrecorded);
      w.status.nextAttemptAtMs = nextAttemptAt;
      w.status.lastError = unrecorded ? unrecordedReason : st.lastError;
      w.status.storeError = unrecorded ? unrecordedReason : std::string();
      const std::int64_t now = clock_.nowMs();
      if (config->paused) {
        w.status.state = State::Paused;
        w.cv.wait(lock, [&] { return w.stop || w.pendingHint; });
        continue;
      }
      if (nextAttemptAt > now) {
        w.status.state = State::BackingOff;
        if (!w.stop && !w.pendingHint) clock_.waitFor(w.cv, lock, nextAttemptAt - now);
        continue;
      }
      if (batch.empty()) {
        w.status.state = State::Idle;
        w.cv.wait(lock, [&] { return w.stop || w.pendingHint; });
        continue;
      }
      w.status.state = State::Delivering;
    }
    if (!adapter) {
      auto settings = toAdapterSettings(config->settings);
      auto made = settings ? factory_(*settings)
                           : codecs::Result<std::unique_ptr<adapters::Adapter>>(settings.error());
      if (!made) {
        store::AttemptResult r{store::AttemptResult::Outcome::Retry,
                               "invalid destination settings: " + made.error().message(), 0};
        const int failures = st.consecutiveFailures + 1;
        const std::int64_t now = clock_.nowMs();
        try {
          store_.recordAttempt(w.id, batch.front().id, r, now,
                               {failures, now + backoff_.delayMs(failures), r.reason});
        } catch (const store::StoreError& e) {
          if (e.category() == store::ErrorCategory::Fenced) return;  // another node has it
        }
        continue;
      }
      adapter = std::move(*made);
      adapterSettings = config->settings;
    }
    // Attempts of the run are recorded together: one transaction per run, not per packet.
    // A crash before that record only sends those packets again (at-least-once).
    std::vector<store::DeliveryQueue::Attempt> attempts;
    store::DestinationState after;
    int failuresBefore = st.consecutiveFailures;
    for (const store::PendingDelivery& next : batch) {
      {
        std::lock_guard lock(w.mu);
        if (w.stop || w.interrupt) break;  // an admin action: re-read the configuration first
      }
      const store::AttemptResult r = toAttemptResult(adapter->deliver(adapters::Envelope{
          codecs::forwarding::forwardedSerial(next.serial), next.registration, next.packet}));
      const std::int64_t now = clock_.nowMs();
      attempts.push_back({next.id, r, now});
      if (r.outcome == store::AttemptResult::Outcome::Delivered) failuresBefore = 0;  // resets
      if (r.outcome == store::AttemptResult::Outcome::Retry) {
        after.consecutiveFailures = failuresBefore + 1;
        after.nextAttemptAtMs = now + backoff_.delayMs(after.consecutiveFailures);
        after.lastError = r.reason;
        break;
      }
    }
    try {
      store_.recordAttempts(w.id, attempts, after);
    } catch (const store::StoreError& e) {
      if (e.category() == store::ErrorCategory::Fenced) {
        // Another node took the destination over: it reads the queue after its takeover, so
        // what this run sent and could not record goes out once more from there.
        spdlog::warn("destination {}: {}; this worker stops", w.id, e.what());
        return;
      }
      // The rows stay pending and are sent again after the backoff: at-least-once.
      ++unrecorded;
      unrecordedRetryAt = clock_.nowMs() + backoff_.delayMs(unrecorded);
      unrecordedReason = std::string("the store cannot record deliveries (") + e.what() +
                         "); the packets sent are sent again once it can";
      if (unrecorded == 1)
        spdlog::error(
            "destination {}: {}; retrying after {} s, then backing off as for a failed "
            "delivery",
            w.id, unrecordedReason, backoff_.delayMs(1) / 1000);
      continue;
    }
    if (unrecorded) {
      spdlog::info("destination {}: the store records deliveries again", w.id);
      unrecorded = 0;
      unrecordedRetryAt = 0;
      unrecordedReason.clear();
    }
  }
}

}  // namespace dcgw::forward

namespace dcgw::forward {

Pruner::Pruner(store::DeliveryQueue& store, common::Clock& clock, std::int64_t retentionMs,
               std::int64_t intervalMs, int batch)
    : store_(store),
      clock_(clock),
      retentionMs_(retentionMs),
      intervalMs_(intervalMs),
      batch_(batch) {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    std::int64_t next = clock_.nowMs() + intervalMs_;
    while (!stop_) {
      clock_.waitFor(cv_, lock, std::max<std::int64_t>(1, next - clock_.nowMs()));
      if (stop_) break;
      if (clock_.nowMs() < next) continue;  // woken early
      next = clock_.nowMs() + intervalMs_;
      lock.unlock();
      try {
        runOnce();
      } catch (const store::StoreError&) {
        // Tried again at the next interval.
      }
      lock.lock();
    }
  });
}

Pruner::~Pruner() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int Pruner::runOnce() {
  int total = 0;
  const std::int64_t cutoff = clock_.nowMs() - retentionMs_;  // one cutoff for the whole pass
  for (;;) {
    int n = store_.prune(cutoff, batch_);
    total += n;
    if (n < batch_) return total;
    std::this_thread::yield();  // let a waiting ingest commit go first
  }
}

}  // namespace dcgw::forward
