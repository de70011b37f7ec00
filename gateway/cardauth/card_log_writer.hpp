// Keeps the relay's events and ended requests in the store (CardLog) from a thread of its own:
// the relay's callers (the uplink's and the bridges' event loops) only queue them. At most
// 100,000 wait; beyond that the oldest are dropped and counted (the log file still has them).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/cardauth/relay.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::cardauth {

class CardLogWriter {
 public:
  explicit CardLogWriter(store::CardLog& log);
  ~CardLogWriter();  // writes what is queued, then stops
  CardLogWriter(const CardLogWriter&) = delete;
  CardLogWriter& operator=(const CardLogWriter&) = delete;

  // The EventSink (service.hpp): any thread, never blocks on the store.
  void add(const std::vector<Event>& events, const std::vector<EndedSession>& ended);
  // Waits until everything added before is written (tests, shutdown).
  void flush();
  std::uint64_t dropped() const;

 private:
  void run();

  store::CardLog& log_;
  mutable std::mutex mu_;
  std::condition_variable cv_, idle_;
  std::deque<store::CardEventRecord> events_;
  std::deque<store::CardSessionRecord> sessions_;
  bool writing_{false};
  bool stopping_{false};
  std::uint64_t dropped_{0};
  std::thread thread_;
};

}  // namespace dcgw::cardauth
