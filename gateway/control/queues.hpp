// Queue actions (retry now, pause, resume, skip the blocking entry, requeue dead letters,
// replay), each stored with its audit row in one transaction, then published: QueueActed wakes
// the worker, DestinationChanged (pause, resume) makes it re-read its configuration.
#pragma once

#include <cstdint>
#include <string>

#include "gateway/control/service.hpp"
#include "gateway/control/views.hpp"

namespace dcgw::control {

class Queues {
 public:
  // status: what each worker does (a read of the forwarder), shown in a queue's view; hold:
  // keeps the worker between runs while the blocking entry is skipped.
  Queues(Context ctx, WorkerStatus status, WorkerHold hold = {})
      : ctx_(ctx), status_(std::move(status)), hold_(std::move(hold)) {}

  // The queue as the API shows it, nullopt when there is no such queue.
  std::optional<std::string> view(std::int64_t id);

  Outcome<Done> retry(const Actor& a, std::int64_t id);
  Outcome<Done> setPaused(const Actor& a, std::int64_t id, bool paused);
  // Dead-letters the blocking entry with the reason; returns its id. The blocking entry is the
  // oldest one the worker has not sent: a run in progress ends and is recorded first (what it
  // sent is delivered, not skipped). Conflict when the queue is empty, or the worker is still
  // sending a packet after 5 seconds.
  Outcome<std::int64_t> skip(const Actor& a, std::int64_t id, const std::string& reason);
  Outcome<int> requeueDead(const Actor& a, std::int64_t id);
  // fromText: the time as given (the audit row keeps it).
  Outcome<int> replay(const Actor& a, std::int64_t id, std::int64_t fromMs,
                      const std::string& fromText);

 private:
  // The queue's view once the transaction's change is seen: the overview is read from what is
  // committed, so the change is applied to it by `apply`.
  struct Snapshot {
    store::QueueOverview queue;
    forward::Forwarder::Status worker;
    std::string before;
  };
  std::optional<Snapshot> snapshot(std::int64_t id);
  template <class Apply>
  std::string viewWith(const Snapshot& s, Apply apply);
  Context ctx_;
  WorkerStatus status_;
  WorkerHold hold_;
};

}  // namespace dcgw::control
