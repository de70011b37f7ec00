// Group commit: packets from many connections are stored together in one transaction, and each
// caller learns (through its callback) when its packet is durable or why it was refused. A
// tracker is acknowledged only from that callback.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "codecs/result.hpp"
#include "gateway/store/store.hpp"

namespace dcgw::ingest {

class Ingestor {
 public:
  using Done = std::function<void(const codecs::Status&)>;
  // onCommitted: destinations with new rows, after each commit (wakes their workers).
  Ingestor(store::Store& store, std::function<void(const std::vector<std::int64_t>&)> onCommitted,
           std::size_t maxBatch = 512);
  ~Ingestor();

  // Validates the packet with the codecs first: a packet they reject is refused at once with
  // their reason (field and offset) and never stored. REQUIRES: done does not block long.
  void submit(store::IngestItem item, Done done);
  void stop();  // commits what was submitted, then returns

  std::uint64_t commits() const { return commits_; }

 private:
  void run();

  store::Store& store_;
  std::function<void(const std::vector<std::int64_t>&)> onCommitted_;
  std::size_t maxBatch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<store::IngestItem, Done>> queue_;
  bool stopping_{false};
  std::atomic<std::uint64_t> commits_{0};
  std::thread thread_;
};

}  // namespace dcgw::ingest
