// The committer thread: takes everything queued, one transaction, then the callbacks.
#include "gateway/ingest/ingestor.hpp"

#include "codecs/packets/packet.hpp"
#include "gateway/ingest/routing.hpp"

namespace dcgw::ingest {
namespace {

Outcome refused(Outcome::Kind kind, codecs::Error e) {
  Outcome o;
  o.kind = kind;
  o.error = std::move(e);
  return o;
}

}  // namespace

Ingestor::Ingestor(store::Backend& store, common::ChangeFeed* feed, std::size_t maxBatch,
                   store::SequenceRules rules, derive::Deriver* deriver)
    : feed_(feed), maxBatch_(maxBatch), deriver_(deriver), appender_(store, store, rules) {
  if (feed_) {
    subscription_ = feed_->subscribe([this](const std::vector<common::Change>& changes) {
      for (const auto& c : changes)
        if (c.kind == common::Change::Kind::DestinationChanged ||
            c.kind == common::Change::Kind::LocationChanged ||
            c.kind == common::Change::Kind::DeviceChanged)
          appender_.invalidate();
    });
  }
  thread_ = std::thread([this] { run(); });
}

Ingestor::~Ingestor() {
  stop();
}

void Ingestor::submit(store::IngestItem item, Done done) {
  codecs::Packet p;
  if (codecs::Status s = codecs::decodePacket(item.packet, p); !s) {
    done(refused(Outcome::Kind::Invalid, s.error()));
    return;
  }
  submitValidated(std::move(item), std::move(done));
}

void Ingestor::submitValidated(store::IngestItem item, Done done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      done(refused(Outcome::Kind::ShuttingDown,
                   codecs::makeError("gateway", 0, "a running gateway (it is stopping)")));
      return;
    }
    queue_.emplace_back(std::move(item), std::move(done));
  }
  cv_.notify_one();
}

void Ingestor::submitGroup(std::vector<store::IngestItem> items, Done done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      for (std::size_t i = 0; i < items.size(); ++i)
        done(refused(Outcome::Kind::ShuttingDown,
                     codecs::makeError("gateway", 0, "a running gateway (it is stopping)")));
      return;
    }
    for (store::IngestItem& item : items) queue_.emplace_back(std::move(item), done);
  }
  cv_.notify_one();
}

void Ingestor::submitDerived(std::string serial, std::string registration, codecs::Bytes packet,
                             std::int64_t atMs, Done done) {
  store::IngestItem item;
  item.serial = std::move(serial);
  item.registration = std::move(registration);
  item.packet = std::move(packet);
  item.receivedAtMs = atMs;
  item.gatewayMade = true;
  submit(std::move(item), std::move(done));
}

void Ingestor::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Ingestor::markFailed(std::uint64_t session) {
  if (session == 0) return;
  const auto now = std::chrono::steady_clock::now();
  // Swept when it has doubled since the last sweep, so the sweeps cost O(1) per refusal.
  if (failedSessions_.size() >= failedSweepAt_) {
    std::erase_if(failedSessions_,
                  [now](const auto& e) { return now - e.second > std::chrono::minutes(1); });
    failedSweepAt_ = std::max<std::size_t>(4096, 2 * failedSessions_.size());
  }
  failedSessions_[session] = now;
}

void Ingestor::setFullCheck(FullCheck check) {
  std::lock_guard lock(mu_);
  fullCheck_ = std::move(check);
}

void Ingestor::run() {
  FullCheck fullCheck;
  std::vector<std::pair<store::IngestItem, Done>> batch;
  std::vector<store::IngestItem> items;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      // Gather for up to a millisecond: each commit waits for the disk (fsync), and fewer,
      // larger commits leave the store to the forwarding workers most of the time.
      cv_.wait_for(lock, std::chrono::milliseconds(1),
                   [&] { return stopping_ || queue_.size() >= maxBatch_; });
      std::size_t n = std::min(queue_.size(), maxBatch_);
      // Never between the packets of one frame (submitGroup): a frame commits whole or not at
      // all, so its resend is either a duplicate as a whole or stored as a whole.
      while (n < queue_.size() && queue_[n - 1].first.frameKey != 0 &&
             !queue_[n - 1].first.frameEnd)
        ++n;
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      fullCheck = fullCheck_;
    }
    // Items of a session whose earlier packet failed to commit are refused too (see
    // IngestItem::session): the tracker resends them all, in order, on a new connection.
    if (!failedSessions_.empty()) {
      std::vector<std::pair<store::IngestItem, Done>> keep;
      for (auto& entry : batch) {
        if (entry.first.session != 0 && failedSessions_.count(entry.first.session)) {
          entry.second(refused(
              Outcome::Kind::StoreUnavailable,
              codecs::makeError("store", 0,
                                "the store to accept packets (an earlier packet of this connection "
                                "could not be stored; resend from it)")));
        } else {
          keep.push_back(std::move(entry));
        }
      }
      batch.swap(keep);
      if (batch.empty()) continue;
    }
    if (fullCheck) {
      if (auto why = fullCheck()) {
        Outcome o = refused(Outcome::Kind::StoreFull, codecs::makeError("store", 0, *why));
        for (auto& [item, done] : batch) {
          markFailed(item.session);
          done(o);
        }
        batch.clear();
        continue;
      }
    }
    items.clear();
    for (auto& [item, done] : batch) items.push_back(std::move(item));
    std::vector<std::int64_t> touched;
    std::vector<store::AppendOutcome> results;
    std::vector<DerivedItems> derived;
    const auto began = std::chrono::steady_clock::now();
    try {
      if (deriver_) {
        derived.reserve(items.size());
        for (const auto& item : items)
          derived.push_back(DerivedItems::of(item, deriver_->derive(item)));
      }
      results = appender_.append(items, touched, deriver_ ? &derived : nullptr);
      if (deriver_) {
        std::vector<bool> stored(items.size());
        for (std::size_t i = 0; i < items.size(); ++i)
          stored[i] = results[i] == store::AppendOutcome::Stored && !derived[i].drop;
        deriver_->settle(true, stored);
      }
    } catch (const store::StoreError& e) {
      ++commitFailures_;
      if (deriver_) deriver_->settle(false, {});
      // Nothing of the batch is stored: every caller is refused, so no tracker is acknowledged
      // and they keep their packets.
      Outcome o =
          refused(Outcome::Kind::StoreUnavailable,
                  codecs::makeError("store", 0,
                                    std::string("the store to accept packets (") + e.what() +
                                        (e.category() == store::ErrorCategory::Full
                                             ? "; the disk or database is full"
                                             : "") +
                                        ")"));
      o.category = e.category();
      for (auto& [item, done] : batch) {
        markFailed(item.session);
        done(o);
      }
      batch.clear();
      continue;
    }
    ++commits_;
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - began)
                            .count();
    std::size_t bucket = 0;
    while (bucket < CommitLatency::kBoundsSeconds.size() &&
           static_cast<double>(micros) / 1e6 > CommitLatency::kBoundsSeconds[bucket])
      ++bucket;
    ++latency_.buckets[bucket];
    ++latency_.count;
    latency_.sumMicros += static_cast<std::uint64_t>(micros);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Outcome o;
      switch (results[i]) {
        case store::AppendOutcome::Stored:
          o.kind = Outcome::Kind::Stored;
          break;
        case store::AppendOutcome::Duplicate:
          o.kind = Outcome::Kind::Duplicate;
          break;
        case store::AppendOutcome::UnknownDevice:
          o = refused(
              Outcome::Kind::UnknownDevice,
              codecs::makeError("serial", 0, "a registered device, not '" + items[i].serial + "'"));
          break;
        case store::AppendOutcome::SequenceOutOfRange:
          // Nothing later of that connection may commit past it (it is closed unacknowledged).
          markFailed(items[i].session);
          o = refused(Outcome::Kind::SequenceOutOfRange,
                      codecs::makeError("sequence", 0,
                                        "a sequence just after the device's stored mark, not " +
                                            std::to_string(items[i].sequence) +
                                            " (the mark changed since the login: log in again and "
                                            "continue from WELCOME's lastSequence + 1)"));
          break;
      }
      if (o.ok()) ++stored_;
      batch[i].second(o);
    }
    batch.clear();
    if (!touched.empty() && feed_) {
      std::vector<common::Change> changes;
      changes.reserve(touched.size());
      for (std::int64_t d : touched) changes.push_back(common::Change::queueHasWork(d));
      feed_->publish(changes);
    }
  }
}

}  // namespace dcgw::ingest
