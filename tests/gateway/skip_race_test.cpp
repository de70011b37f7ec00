// An admin's skip racing a worker in the middle of a run: the worker sends up to 64 pending rows
// before it records them, so the oldest pending row in the store may already be at the
// receiver. The skip must never dead-letter a row that was delivered, and must take the entry
// the worker is really blocked on. A real REST receiver on loopback, real adapters, real time.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "gateway/common/change_feed.hpp"
#include "gateway/control/queues.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/ingest/routing.hpp"
#include "gateway/receive/receiver.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::forward {
namespace {

using namespace std::chrono_literals;

std::string hex(const codecs::Bytes& b) {
  std::string s;
  for (auto c : b) s += "0123456789abcdef"[c >> 4], s += "0123456789abcdef"[c & 15];
  return s;
}

// Tracking suppression (seed 004 section 12.3) whose DateTime is the packet's number.
codecs::Bytes packet(std::uint32_t n) {
  return {0x47,
          0x02,
          static_cast<std::uint8_t>(n >> 24),
          static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8),
          static_cast<std::uint8_t>(n),
          0x01};
}

TEST(SkipRace, ASkipNeverDeadLettersADeliveredRowAndTakesTheRealHead) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("dcgw-skip-race-" + std::to_string(::getpid()) + ".db"))
                               .string();
  auto cleanup = [&] {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  };
  cleanup();
  std::mutex mu;
  std::multiset<std::string> received;  // packet hex, as the receiver got it
  receive::Receiver::Options ro;
  ro.rest = 0;
  receive::Receiver receiver(ro, [&](const std::string& line) {
    auto j = codecs::parseJson(line);
    ASSERT_TRUE(j.ok());
    std::lock_guard lock(mu);
    received.insert(j->find("data")->asString());
  });
  receiver.start();

  {
    store::SqliteStore store(path);
    common::SystemClock clock;
    common::ChangeFeed feed;
    store::DestinationConfig d;
    d.settings.name = "r";
    d.settings.method = "rest";
    d.settings.host =
        "http://127.0.0.1:" + std::to_string(receiver.port(receive::Method::Rest)) + "/in";
    const std::int64_t dest = *store.createDestination(d, clock.nowMs());
    const auto loc = store.createLocation({0, "Depot", "", {dest}});
    ASSERT_TRUE(store.upsertDevice({"12345678", *loc, "AB12CDE", std::nullopt}).ok());
    Forwarder forwarder(store, clock, BackoffPolicy{}, adapters::makeAdapter, &feed);
    control::Queues queues(
        control::Context{store, clock, &feed},
        [&](std::int64_t id) { return forwarder.status(id); },
        [&](std::int64_t id) { return forwarder.hold(id, 5s); });
    forwarder.start();

    std::mt19937 rng(12345);
    std::uint32_t next = 1;
    std::set<std::int64_t> skipped;
    for (int round = 0; round < 8; ++round) {
      std::vector<store::IngestItem> items;
      for (int i = 0; i < 200; ++i) items.push_back({"12345678", "", packet(next++), 1000});
      std::vector<std::int64_t> touched;
      ingest::RoutedAppender(store, store).append(items, touched);
      forwarder.notify(touched);
      // Skips at random moments while the worker works through its runs of 64.
      for (int k = 0; k < 6 && store.hasPending(dest); ++k) {
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 4000));
        auto s = queues.skip({"alice", "admin"}, dest, "race");
        if (s.ok()) skipped.insert(*s);
      }
      const auto until = std::chrono::steady_clock::now() + 30s;
      while (store.hasPending(dest) && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(5ms);
      ASSERT_FALSE(store.hasPending(dest)) << "the queue did not drain";
    }
    forwarder.stop();
    EXPECT_GE(skipped.size(), 8u) << "too few skips to race anything";

    // Every row: delivered (and at the receiver, once) or skipped (and never at the receiver).
    // Read as the API reads them: rows and the run entries of first-attempt deliveries.
    std::vector<store::QueueEntry> rows;
    for (store::EntryFilter f;;) {
      f.limit = 500;
      auto page = store.entries(dest, f);
      if (page.empty()) break;
      f.afterId = page.back().id;
      for (auto& e : page) rows.push_back(std::move(e));
    }
    std::lock_guard lock(mu);
    int delivered = 0;
    for (const store::QueueEntry& row : rows) {
      const std::int64_t id = row.id;
      const auto state = row.state;
      const std::string data = hex(row.data);
      if (state == store::DeliveryState::Delivered) {
        ++delivered;
        EXPECT_EQ(received.count(data), 1u) << "row " << id;
        EXPECT_FALSE(skipped.count(id)) << "row " << id << " was skipped and recorded delivered";
      } else {
        EXPECT_EQ(state, store::DeliveryState::Dead) << "row " << id;
        EXPECT_TRUE(skipped.count(id)) << "row " << id << ": " << row.reason.value_or("");
        EXPECT_EQ(received.count(data), 0u)
            << "row " << id << " was skipped as the blocking entry, but the worker had sent it";
      }
    }
    EXPECT_EQ(delivered + static_cast<int>(skipped.size()), static_cast<int>(next - 1));
    EXPECT_EQ(received.size(), static_cast<std::size_t>(delivered));
  }
  receiver.stop();
  cleanup();
}

}  // namespace
}  // namespace dcgw::forward
