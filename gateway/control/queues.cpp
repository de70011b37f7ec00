// Queue actions: each with its audit row in one transaction, then published.
#include "gateway/control/queues.hpp"

namespace dcgw::control {

namespace {

std::string target(std::int64_t id) {
  return "queue " + std::to_string(id);
}

Failure missing(std::int64_t id) {
  return Failure::notFound("no queue " + std::to_string(id));
}

}  // namespace

std::optional<std::string> Queues::view(std::int64_t id) {
  auto q = ctx_.store.queue(id);
  if (!q) return std::nullopt;
  return renderQueue(ctx_.store, status_ ? status_(id) : forward::Forwarder::Status{},
                     ctx_.clock.nowMs(), *q);
}

std::optional<Queues::Snapshot> Queues::snapshot(std::int64_t id) {
  auto q = ctx_.store.queue(id);
  if (!q) return std::nullopt;
  Snapshot s{*q, status_ ? status_(id) : forward::Forwarder::Status{}, {}};
  s.before = renderQueue(ctx_.store, s.worker, ctx_.clock.nowMs(), s.queue);
  return s;
}

template <class Apply>
std::string Queues::viewWith(const Snapshot& s, Apply apply) {
  store::QueueOverview changed = s.queue;
  apply(changed);
  return renderQueue(ctx_.store, s.worker, ctx_.clock.nowMs(), changed);
}

Outcome<Done> Queues::retry(const Actor& a, std::int64_t id) {
  {
    // Read before the transaction: the worker's status takes the forwarder's lock, which its
    // reload holds while it waits for the store.
    auto q = snapshot(id);
    if (!q) return missing(id);
    const std::string& before = q->before;
    // Rendered before the transaction too: it reads the queue's blocking entry on the store's
    // read connection, which must not be waited for while the writer is held.
    const std::string after =
        viewWith(*q, [](store::QueueOverview& o) { o.state.nextAttemptAtMs = 0; });
    auto tx = ctx_.store.begin();
    tx->retryNow(id);
    ctx_.audit(*tx, a, "queue.retry", target(id), before, after);
    tx->commit();
  }
  ctx_.publish(common::Change::queueActed(id));
  return Done{};
}

Outcome<Done> Queues::setPaused(const Actor& a, std::int64_t id, bool paused) {
  {
    // Read before the transaction: the worker's status takes the forwarder's lock, which its
    // reload holds while it waits for the store.
    auto q = snapshot(id);
    if (!q) return missing(id);
    const std::string& before = q->before;
    const std::string after = viewWith(*q, [&](store::QueueOverview& o) { o.paused = paused; });
    auto tx = ctx_.store.begin();
    // Removed since the snapshot: nothing paused, nothing audited.
    if (!tx->setPaused(id, paused)) return missing(id);
    ctx_.audit(*tx, a, paused ? "queue.pause" : "queue.resume", target(id), before, after);
    tx->commit();
  }
  ctx_.publish(common::Change::destination(id));
  return Done{};
}

Outcome<std::int64_t> Queues::skip(const Actor& a, std::int64_t id, const std::string& reason) {
  if (reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    FieldErrors e;
    e.add("reason", "a reason (why the entry is skipped)");
    return Failure::invalid(e);
  }
  std::int64_t skipped = 0;
  {
    // The worker may have sent the oldest pending rows of its run without recording them yet:
    // held between runs, it has recorded them, and the blocking entry read below is the one
    // it really is blocked on. (Held before the store is touched: a run needs the store.)
    std::shared_ptr<void> held;
    if (hold_ && !(held = hold_(id)))
      return Failure::conflict(
          "the destination's worker is still sending a packet; try the skip again in a moment");
    // Read before the transaction: the worker's status takes the forwarder's lock, which its
    // reload holds while it waits for the store.
    auto q = snapshot(id);
    if (!q) return missing(id);
    const std::string& before = q->before;
    auto tx = ctx_.store.begin();
    if (!q->queue.blockingEntryId) return Failure::conflict("the queue is empty: nothing to skip");
    skipped = *q->queue.blockingEntryId;
    if (!tx->skipBlocking(id, reason, ctx_.clock.nowMs(), skipped))
      return Failure::conflict("entry " + std::to_string(skipped) +
                               " is no longer the blocking one (delivered meanwhile); look again");
    ctx_.audit(
        *tx, a, "queue.skip", target(id), before,
        "{\"skipped\":" + std::to_string(skipped) + ",\"reason\":" + jsonString(reason) + "}");
    tx->commit();
  }
  ctx_.publish(common::Change::queueActed(id));
  return skipped;
}

Outcome<int> Queues::requeueDead(const Actor& a, std::int64_t id) {
  int n = 0;
  {
    // Read before the transaction: the worker's status takes the forwarder's lock, which its
    // reload holds while it waits for the store.
    auto q = snapshot(id);
    if (!q) return missing(id);
    const std::string& before = q->before;
    auto tx = ctx_.store.begin();
    n = tx->requeueDead(id);
    ctx_.audit(*tx, a, "queue.requeue-dead", target(id), before,
               "{\"requeued\":" + std::to_string(n) + "}");
    tx->commit();
  }
  ctx_.publish(common::Change::queueActed(id));
  return n;
}

Outcome<int> Queues::replay(const Actor& a, std::int64_t id, std::int64_t fromMs,
                            const std::string& fromText) {
  int n = 0;
  {
    // Read before the transaction: the worker's status takes the forwarder's lock, which its
    // reload holds while it waits for the store.
    auto q = snapshot(id);
    if (!q) return missing(id);
    const std::string& before = q->before;
    auto tx = ctx_.store.begin();
    n = tx->replayFrom(id, fromMs);
    ctx_.audit(*tx, a, "queue.replay", target(id), before,
               "{\"from\":" + jsonString(fromText) + ",\"replayed\":" + std::to_string(n) + "}");
    tx->commit();
  }
  ctx_.publish(common::Change::queueActed(id));
  return n;
}

}  // namespace dcgw::control
