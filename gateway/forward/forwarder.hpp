// One worker per enabled destination delivers its queue strictly in ingest order; a failure
// stops the destination until its backoff (1, 2, 4 ... 60 minutes, seed 004 section 3.6) ends.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "adapters/adapter.hpp"
#include "gateway/common/change_feed.hpp"
#include "gateway/common/clock.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::forward {

struct BackoffPolicy {
  std::int64_t baseMs{60'000};    // first retry after 1 minute
  std::int64_t capMs{3'600'000};  // at most 1 hour
  // The wait after `failures` consecutive failures (>= 1): base, 2 base, 4 base ..., cap.
  std::int64_t delayMs(int failures) const;
};

using AdapterFactory = std::function<codecs::Result<std::unique_ptr<adapters::Adapter>>(
    const adapters::DestinationSettings&)>;

class Forwarder {
 public:
  // feed (may be null): the forwarder subscribes to it. QueueHasWork wakes that destination's
  // worker; DestinationChanged starts or stops workers and makes the destination's worker
  // re-read its settings; QueueActed (an admin's retry, skip, requeue, replay) makes it re-read
  // its queue and state.
  Forwarder(store::Backend& store, common::Clock& clock, BackoffPolicy backoff,
            AdapterFactory factory = adapters::makeAdapter, common::ChangeFeed* feed = nullptr);
  ~Forwarder();

  // Several nodes on one database (gateway/cluster): a worker runs only for the destinations
  // `owns` says this node forwards (called under the forwarder's lock: it must not call back).
  // Unset: every enabled destination. Call reload() when its answers change. status() of an
  // enabled destination without a worker here is then read from the store (its owner's record).
  void setOwnership(std::function<bool(std::int64_t)> owns);
  // Starts a worker for every enabled destination (and reconciles after config changes).
  void start();
  void reload();
  // Stops the workers of destinations this node no longer owns (setOwnership), without
  // reading the store (it may be out of reach), and returns once they ended.
  void dropUnowned();
  void stop();
  // New rows for these destinations were committed: wake their workers (no polling).
  void notify(const std::vector<std::int64_t>& destinations);
  // Admin actions that change what a worker should do next.
  void wake(std::int64_t destination);

  enum class State { Delivering, Idle, BackingOff, Paused, Disabled };
  struct Status {
    State state{State::Idle};
    std::int64_t nextAttemptAtMs{0};
    int consecutiveFailures{0};
    std::string lastError;
    // Set while the store cannot record this worker's deliveries (a full disk): the worker then
    // backs off on its own (nextAttemptAtMs) and this is the reason, also in lastError.
    std::string storeError;
  };
  Status status(std::int64_t destination);

  // Holds the destination's worker between two runs, for an admin action that must see the
  // queue as the worker left it (a skip of the blocking entry: within a run of 64 the worker
  // may have sent the oldest pending rows without having recorded them yet). The worker is
  // asked to end its run after the packet it is sending, records what it sent, and starts no
  // new run until the returned handle is dropped. nullptr when the run did not end within
  // `limit` (a slow delivery); a non-null handle holding nothing when no worker runs.
  std::shared_ptr<void> hold(std::int64_t destination, std::chrono::milliseconds limit);

 private:
  // Between the worker's runs and the admins holding it (see hold()); shared, so a worker
  // stopped meanwhile does not take it away from a holder.
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool running{false};  // from reading the queue to recording the attempts
    int holders{0};
  };
  class Running;
  struct Worker {
    std::int64_t id;
    std::thread thread;
    bool stop{false};                 // guarded by mu
    std::atomic<bool> exited{false};  // the thread returned (destination disabled or gone)
    std::mutex mu;
    std::condition_variable cv;
    bool pendingHint{true};
    bool interrupt{false};  // an admin action wants the worker to re-read its configuration
    Status status;
    std::shared_ptr<Gate> gate{std::make_shared<Gate>()};
  };
  void reconcile(bool readStore);
  void run(Worker& w);
  void runLoop(Worker& w);
  void onChanges(const std::vector<common::Change>& changes);

  store::Backend& store_;
  common::Clock& clock_;
  BackoffPolicy backoff_;
  AdapterFactory factory_;
  std::mutex mu_;
  std::map<std::int64_t, std::unique_ptr<Worker>> workers_;
  bool stopped_{false};                     // after stop(), reload() starts nothing
  std::function<bool(std::int64_t)> owns_;  // guarded by mu_; empty: this node owns all
  std::multiset<std::int64_t> stopping_;    // workers a reload() is joining; guarded by mu_
  std::condition_variable stoppedCv_;       // stopping_ got smaller
  common::ChangeFeed::Subscription subscription_;
};

}  // namespace dcgw::forward

namespace dcgw::forward {

// Keeps delivered rows for `retentionMs` (default 7 days) for audit and replay, then deletes
// them in small batches, one short transaction each, so ingest never waits long for the store.
class Pruner {
 public:
  Pruner(store::DeliveryQueue& store, common::Clock& clock,
         std::int64_t retentionMs = 7LL * 24 * 3600 * 1000, std::int64_t intervalMs = 60'000,
         int batch = 500);
  ~Pruner();
  // One pass: prunes until nothing older is left; returns how many rows went.
  int runOnce();

 private:
  store::DeliveryQueue& store_;
  common::Clock& clock_;
  std::int64_t retentionMs_, intervalMs_;
  int batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_{false};
  std::thread thread_;
};

}  // namespace dcgw::forward
