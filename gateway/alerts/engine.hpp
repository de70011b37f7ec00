// The alert engine of `dcgw serve`: every interval (and at once after a configuration change or
// a DDS packet) it gathers what the rules read, evaluates them (rules.hpp) and carries the
// actions out: each alert packet enters through the Ingestor like a tracker's, routed to the
// location's destinations; only once it is committed is the condition marked raised (or
// removed, for a clear), so a restart neither repeats nor forgets an alert.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "codecs/bytes.hpp"
#include "gateway/alerts/rules.hpp"
#include "gateway/common/change_feed.hpp"
#include "gateway/common/clock.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::alerts {

// What the file index knows (card expiry dates, when downloads are due). The lead connects it
// to the file index; without one, those three rules see no facts.
class AlertFacts {
 public:
  virtual ~AlertFacts() = default;
  virtual std::vector<CardExpiryFact> cardExpiries() = 0;
  virtual std::vector<DownloadDueFact> downloadsDue() = 0;
};

class AlertEngine {
 public:
  struct Options {
    std::int64_t intervalMs{30'000};
    // The least time between two runs when woken (a DDS packet, a change) before the interval.
    std::int64_t minWakeGapMs{1'000};
    // Several nodes on one database (gateway/cluster): the periodic evaluation runs only while
    // this says so (the cluster's leader), so one node raises each alert. Unset: always.
    std::function<bool()> active{};
  };
  // feed (may be null): configuration changes wake the engine. facts (may be null): none.
  AlertEngine(store::Backend& store, ingest::Ingestor& ingestor, common::Clock& clock,
              common::ChangeFeed* feed, AlertFacts* facts, Options options);
  ~AlertEngine();

  void start();  // the periodic thread
  void stop();
  // One evaluation, now, on the caller's thread; returns how many alert packets were stored.
  // REQUIRES: not called while the thread runs one (tests call it without start()).
  int runOnce();

  // The ingest path calls this for every packet a device sent (after it is stored): a DDS
  // packet carrying TimeRelatedStates (0x4D/0x6D subtypes 0x02, 0x03, 0x04; seed 004 14.1-14.3)
  // updates the device's driving-time warning and wakes the engine. Other packets are ignored.
  void onPacket(const std::string& serial, codecs::ByteView packet);

  std::uint64_t raised() const { return raised_; }  // alert and info packets stored
  std::uint64_t cleared() const { return cleared_; }

 private:
  void loop();
  bool ingest(const Action& a);

  store::Backend& store_;
  ingest::Ingestor& ingestor_;
  common::Clock& clock_;
  AlertFacts* facts_;
  Options options_;
  std::mutex seenMu_;
  std::map<std::string, TimeWarningSeen> seen_;  // by serial, guarded by seenMu_
  // When this node last recorded each device's warning in the store (0: not recorded: a write
  // that failed is made again at the device's next DDS packet); guarded by seenMu_.
  std::map<std::string, std::int64_t> recordedAt_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_{false};
  bool stop_{false};
  std::mutex runMu_;  // one evaluation at a time
  std::atomic<std::uint64_t> raised_{0}, cleared_{0};
  common::ChangeFeed::Subscription subscription_;
  std::thread thread_;
};

}  // namespace dcgw::alerts
