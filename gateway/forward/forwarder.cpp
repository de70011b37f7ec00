// The forwarding workers: next pending row, deliver, record, back off on failure.
#include "gateway/forward/forwarder.hpp"

#include <algorithm>

namespace dcgw::forward {
namespace {

bool sameSettings(const adapters::DestinationSettings& a, const adapters::DestinationSettings& b) {
  return a.method == b.method && a.host == b.host && a.port == b.port && a.format == b.format &&
         a.customTags == b.customTags && a.tlsVerify == b.tlsVerify && a.tlsCaFile == b.tlsCaFile &&
         a.connectTimeout == b.connectTimeout && a.timeout == b.timeout &&
         a.replyTimeout == b.replyTimeout;
}

}  // namespace

std::int64_t BackoffPolicy::delayMs(int failures) const {
  std::int64_t d = baseMs;
  for (int i = 1; i < failures && d < capMs; ++i) d *= 2;
  return std::min(d, capMs);
}

Forwarder::Forwarder(store::Store& store, Clock& clock, BackoffPolicy backoff,
                     AdapterFactory factory)
    : store_(store), clock_(clock), backoff_(backoff), factory_(std::move(factory)) {
  clock_.onAdvance(this, [this] {
    std::lock_guard lock(mu_);
    for (auto& [id, w] : workers_) w->cv.notify_all();
  });
}

Forwarder::~Forwarder() {
  clock_.removeAdvance(this);
  stop();
}

void Forwarder::start() {
  reload();
}

void Forwarder::reload() {
  std::vector<std::unique_ptr<Worker>> stopped;
  {
    std::lock_guard lock(mu_);
    auto configs = store_.destinations();
    // Stop workers whose destination went away; settings changes restart the worker so the
    // adapter is rebuilt (what is queued goes out with the new settings).
    for (auto it = workers_.begin(); it != workers_.end();) {
      auto c = std::find_if(configs.begin(), configs.end(),
                            [&](const auto& d) { return d.id == it->first; });
      if (c == configs.end() || !c->enabled) {
        it->second->stop = true;
        it->second->cv.notify_all();
        stopped.push_back(std::move(it->second));
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& c : configs) {
      if (!c.enabled || workers_.count(c.id)) continue;
      auto w = std::make_unique<Worker>();
      w->id = c.id;
      Worker* raw = w.get();
      workers_[c.id] = std::move(w);
      raw->thread = std::thread([this, raw] { run(*raw); });
    }
  }
  for (auto& w : stopped) w->thread.join();
}

void Forwarder::stop() {
  std::map<std::int64_t, std::unique_ptr<Worker>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(workers_);
  }
  for (auto& [id, w] : all) {
    w->stop = true;
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
  std::lock_guard lock(mu_);
  auto it = workers_.find(destination);
  if (it == workers_.end()) return Status{State::Disabled, 0, 0, {}};
  std::lock_guard l(it->second->mu);
  return it->second->status;
}

void Forwarder::run(Worker& w) {
  std::unique_ptr<adapters::Adapter> adapter;
  adapters::DestinationSettings adapterSettings;
  while (!w.stop) {
    auto config = store_.destination(w.id);
    if (!config || !config->enabled) return;
    // Settings changed: what is queued goes out with the new ones.
    if (adapter && !sameSettings(adapterSettings, config->settings)) adapter.reset();
    store::DestinationState st = store_.state(w.id);
    {
      std::unique_lock lock(w.mu);
      w.status.consecutiveFailures = st.consecutiveFailures;
      w.status.nextAttemptAtMs = st.nextAttemptAtMs;
      w.status.lastError = st.lastError;
      w.interrupt = false;
      if (config->paused) {
        w.status.state = State::Paused;
        w.pendingHint = false;
        w.cv.wait(lock, [&] { return w.stop || w.pendingHint; });
        continue;
      }
      const std::int64_t now = clock_.nowMs();
      if (st.nextAttemptAtMs > now) {
        w.status.state = State::BackingOff;
        w.pendingHint = false;
        clock_.waitFor(w.cv, lock, st.nextAttemptAtMs - now);
        continue;
      }
    }
    // A run of rows at a time: configuration and backoff state are read once per run, and a
    // failure or a stop request ends the run.
    auto batch = store_.pendingBatch(w.id, 64);
    if (batch.empty()) {
      std::unique_lock lock(w.mu);
      w.status.state = State::Idle;
      if (!w.pendingHint) w.cv.wait(lock, [&] { return w.stop || w.pendingHint; });
      w.pendingHint = false;
      continue;
    }
    {
      std::lock_guard lock(w.mu);
      w.status.state = State::Delivering;
      w.pendingHint = false;
    }
    if (!adapter) {
      auto made = factory_(config->settings);
      if (!made) {
        adapters::DeliveryResult r{adapters::Outcome::Retry,
                                   "invalid destination settings: " + made.error().message(),
                                   {}};
        int failures = st.consecutiveFailures + 1;
        std::int64_t now = clock_.nowMs();
        store_.recordAttempt(w.id, batch.front().id, r, now,
                             {failures, now + backoff_.delayMs(failures), r.reason});
        continue;
      }
      adapter = std::move(*made);
      adapterSettings = config->settings;
    }
    // Attempts of the run are recorded together: one transaction per run, not per packet.
    // A crash before that record only sends those packets again (at-least-once).
    std::vector<store::Store::Attempt> attempts;
    store::DestinationState after;
    for (const store::PendingDelivery& next : batch) {
      if (w.stop) break;
      {
        std::lock_guard lock(w.mu);
        if (w.interrupt) break;  // an admin action: re-read the configuration first
      }
      adapters::DeliveryResult r = adapter->deliver(next.envelope);
      const std::int64_t now = clock_.nowMs();
      attempts.push_back({next.id, r, now});
      if (r.outcome == adapters::Outcome::Retry) {
        after.consecutiveFailures = st.consecutiveFailures + 1;
        after.nextAttemptAtMs = now + backoff_.delayMs(after.consecutiveFailures);
        after.lastError = r.reason;
        break;
      }
    }
    try {
      store_.recordAttempts(w.id, attempts, after);
    } catch (const store::StoreError&) {
      // The rows stay pending and are sent again: at-least-once.
      std::unique_lock lock(w.mu);
      clock_.waitFor(w.cv, lock, 1000);
    }
  }
}

}  // namespace dcgw::forward

namespace dcgw::forward {

Pruner::Pruner(store::Store& store, Clock& clock, std::int64_t retentionMs, std::int64_t intervalMs,
               int batch)
    : store_(store),
      clock_(clock),
      retentionMs_(retentionMs),
      intervalMs_(intervalMs),
      batch_(batch) {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      clock_.waitFor(cv_, lock, intervalMs_);
      if (stop_) break;
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
  for (;;) {
    int n = store_.prune(clock_.nowMs() - retentionMs_, batch_);
    total += n;
    if (n < batch_) return total;
    std::this_thread::yield();  // let a waiting ingest commit go first
  }
}

}  // namespace dcgw::forward
