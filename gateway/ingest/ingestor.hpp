// Group commit: packets from many connections are routed (routing.hpp) and stored together in
// one transaction, and each caller learns (through its callback) when its packet is durable or
// why it was refused. A tracker is acknowledged only from that callback. After each commit the
// destinations that got rows are published on the change feed (their workers wake).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "codecs/result.hpp"
#include "gateway/common/change_feed.hpp"
#include "gateway/ingest/routing.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::ingest {

// What became of a submitted packet.
struct Outcome {
  enum class Kind {
    Stored,              // committed now
    Duplicate,           // its sequence was stored before (acknowledge it again)
    Invalid,             // the codecs refused it (error: their field, offset and reason)
    UnknownDevice,       // no device with this serial is registered
    StoreUnavailable,    // the store could not commit (category says why); nothing stored
    ShuttingDown,        // the gateway is stopping; nothing stored
    SequenceOutOfRange,  // neither new nor a resend by the device's mark (error: why); not stored
    StoreFull,           // the store is at store.maxBytes or the free-disk floor; nothing stored
  };
  Kind kind{Kind::Stored};
  codecs::Error error;  // for every kind but Stored and Duplicate
  store::ErrorCategory category{store::ErrorCategory::Internal};  // for StoreUnavailable
  bool ok() const { return kind == Kind::Stored || kind == Kind::Duplicate; }
};

class Ingestor {
 public:
  using Done = std::function<void(const Outcome&)>;
  // feed (may be null): QueueHasWork is published for the destinations with new rows after each
  // commit; configuration changes published on it refresh the routing snapshot.
  // `rules`: how sequences compare with a device's mark (store/sequence.hpp), the listener's.
  // `deriver` (may be null; must outlive the Ingestor): asked, for each item about to be
  // stored, what the gateway makes of it (gateway/derive/deriver.hpp); what it makes is stored
  // in the same transaction, around its source.
  Ingestor(store::Backend& store, common::ChangeFeed* feed, std::size_t maxBatch = 512,
           store::SequenceRules rules = {}, derive::Deriver* deriver = nullptr);
  ~Ingestor();

  // Validates the packet with the codecs first: a packet they reject is refused at once with
  // their reason (field and offset) and never stored. REQUIRES: done does not block long.
  void submit(store::IngestItem item, Done done);
  // The same for a packet the caller has already validated with codecs::decodePacket (the
  // uplink decodes to answer REJECT itself; decoding twice would be work on the hot path).
  void submitValidated(store::IngestItem item, Done done);
  // Validated items that must be committed in one transaction, all or none (a Teltonika frame's
  // packets: IngestItem::frameKey, the last with frameEnd): queued together, and a batch is never
  // cut inside them (it may exceed maxBatch for that). `done` is called once per item, in order.
  void submitGroup(std::vector<store::IngestItem> items, Done done);
  // A packet the gateway made itself for a device (a File Summary after a file upload, a New
  // Driver from a driver card file): validated by the codecs, stored without a sequence (the
  // device's mark stays), routed and filtered like the device's own, after what was submitted
  // before. Stored means committed; Duplicate means the deriver found nothing new in it (a
  // New Driver for a driver known by that name) and nothing was stored.
  void submitDerived(std::string serial, std::string registration, codecs::Bytes packet,
                     std::int64_t atMs, Done done);
  void stop();  // commits what was submitted, then returns

  std::uint64_t commits() const { return commits_; }
  std::uint64_t stored() const { return stored_; }  // items committed (duplicates included)
  // Batches the store refused to commit (their packets were refused, nothing acknowledged).
  std::uint64_t commitFailures() const { return commitFailures_; }

  // Ingest commit latency (the store's transaction, fsync included), for /metrics.
  struct CommitLatency {
    static constexpr std::array<double, 10> kBoundsSeconds{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                           0.025,  0.05,  0.1,    0.25,  1.0};
    std::array<std::atomic<std::uint64_t>, 11> buckets{};  // the last one is +Inf
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sumMicros{0};
  };
  const CommitLatency& commitLatency() const { return latency_; }

  // Asked before each commit (on the committer thread): a reason while the store is full
  // (gateway/forward/store_watch.hpp), nullopt otherwise. Then the whole batch is refused
  // StoreFull, and later items of its sessions too (as after a failed commit).
  using FullCheck = std::function<std::optional<std::string>()>;
  void setFullCheck(FullCheck check);

 private:
  void run();

  common::ChangeFeed* feed_;
  std::size_t maxBatch_;
  derive::Deriver* deriver_;
  RoutedAppender appender_;  // the committer thread's
  common::ChangeFeed::Subscription subscription_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<store::IngestItem, Done>> queue_;
  // Sessions with a refused commit, and when: a session's connection is closed once refused, so
  // an entry is only needed while that connection's last packets drain (a minute is ample);
  // older ones are dropped once there are many (trackers refused STORE_FULL for hours).
  std::unordered_map<std::uint64_t, std::chrono::steady_clock::time_point> failedSessions_;
  std::size_t failedSweepAt_{4096};
  void markFailed(std::uint64_t session);
  FullCheck fullCheck_;  // guarded by mu_
  bool stopping_{false};
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> stored_{0};
  std::atomic<std::uint64_t> commitFailures_{0};
  CommitLatency latency_;
  std::thread thread_;
};

}  // namespace dcgw::ingest
