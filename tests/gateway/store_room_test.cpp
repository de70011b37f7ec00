// The store's room (issue 17): store.maxBytes keeps the store under its limit by pruning the
// oldest delivered history first and never a pending row; pending rows alone at the limit
// make ingest refuse STORE_FULL, with nothing acknowledged lost, until there is room again.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "gateway/common/clock.hpp"
#include "gateway/forward/store_watch.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/ingest/routing.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::forward {
namespace {

constexpr std::int64_t kMax = 2LL << 20;  // small, so a test fills it in a moment

class StoreRoom : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("dcgw-room-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
    cleanup();
    store_ = std::make_unique<store::SqliteStore>(path_, store::Durability::Normal);
    store::DestinationConfig d;
    d.settings.name = "d";
    d.settings.method = "binary";
    d.settings.host = "127.0.0.1";
    d.settings.port = 9;
    dest_ = *store_->createDestination(d, clock_.nowMs());
    auto l = store_->createLocation({0, "Depot", "", {dest_}});
    ASSERT_TRUE(store_->upsertDevice({"12345678", *l, "AB12CDE", std::nullopt}).ok());
  }
  void TearDown() override {
    store_.reset();
    cleanup();
  }
  void cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }

  // 500 packets received now, pending.
  void appendBatch() {
    std::vector<store::IngestItem> items;
    for (int i = 0; i < 500; ++i, ++n_)
      items.push_back({"12345678",
                       "",
                       {0x47, 0x02, 0x6A, static_cast<std::uint8_t>(n_ >> 16),
                        static_cast<std::uint8_t>(n_ >> 8), static_cast<std::uint8_t>(n_), 0x01},
                       clock_.nowMs()});
    std::vector<std::int64_t> touched;
    ingest::RoutedAppender appender(*store_, *store_);
    for (const auto& s : appender.append(items, touched))
      ASSERT_EQ(s, store::AppendOutcome::Stored);
  }
  // Every pending row delivered now, in runs of 64 as the worker does.
  void deliverAll() {
    for (;;) {
      auto run = store_->pendingBatch(dest_, 64);
      if (run.empty()) return;
      std::vector<store::DeliveryQueue::Attempt> a;
      for (auto& r : run)
        a.push_back({r.id, {store::AttemptResult::Outcome::Delivered, "", 900}, clock_.nowMs()});
      store_->recordAttempts(dest_, a, {});
    }
  }
  std::int64_t used() { return store_->size().usedBytes; }
  std::size_t pending() { return store_->deliveryIds(dest_, store::DeliveryState::Pending).size(); }

  std::string path_;
  common::ManualClock clock_{1'800'000'000'000};
  std::unique_ptr<store::SqliteStore> store_;
  std::int64_t dest_{0};
  int n_{0};
};

TEST_F(StoreRoom, AtItsMaxBytesTheOldestDeliveredHistoryIsPrunedAndNoPendingRow) {
  while (used() < kMax * 6 / 10) {
    appendBatch();
    deliverAll();
  }
  clock_.advance(3'600'000);
  while (used() < kMax * 105 / 100) {
    appendBatch();
    deliverAll();
  }
  appendBatch();  // 500 pending
  const auto deliveredBefore = store_->deliveryIds(dest_, store::DeliveryState::Delivered);
  clock_.advance(1000);
  StoreWatch watch(*store_, clock_, {kMax, 0}, 7LL * 24 * 3600 * 1000);
  EXPECT_FALSE(watch.checkOnce()) << "delivered history could make room";
  EXPECT_FALSE(watch.fullReason());
  EXPECT_LE(used(), kMax * 90 / 100);
  EXPECT_EQ(pending(), 500u) << "pending rows are never pruned";
  const auto deliveredAfter = store_->deliveryIds(dest_, store::DeliveryState::Delivered);
  ASSERT_FALSE(deliveredAfter.empty()) << "only what made room went";
  ASSERT_LT(deliveredAfter.size(), deliveredBefore.size());
  // What is left is the newest history: the tail of what was there.
  EXPECT_TRUE(
      std::equal(deliveredAfter.begin(), deliveredAfter.end(),
                 deliveredBefore.end() - static_cast<std::ptrdiff_t>(deliveredAfter.size())));
  EXPECT_EQ(watch.prunedRows(), deliveredBefore.size() - deliveredAfter.size());
  EXPECT_EQ(watch.lastSize().usedBytes, used());
  // Within its room, the next check leaves everything as it is.
  EXPECT_FALSE(watch.checkOnce());
  EXPECT_EQ(store_->deliveryIds(dest_, store::DeliveryState::Delivered).size(),
            deliveredAfter.size());
}

TEST_F(StoreRoom, PendingRowsAloneAtTheLimitAreRefusedStoreFullAndNothingAcknowledgedIsLost) {
  StoreWatch watch(*store_, clock_, {kMax, 0}, 7LL * 24 * 3600 * 1000);
  while (used() < kMax * 99 / 100) appendBatch();
  const std::size_t held = pending();
  ASSERT_TRUE(watch.checkOnce()) << "nothing delivered to prune";
  ASSERT_TRUE(watch.fullReason());
  EXPECT_NE(watch.fullReason()->find("store.maxBytes"), std::string::npos) << *watch.fullReason();

  ingest::Ingestor ingestor(*store_, nullptr, 64);
  ingestor.setFullCheck([&watch] { return watch.fullReason(); });
  auto submit = [&](std::uint8_t marker) {
    std::promise<ingest::Outcome> done;
    ingestor.submit({"12345678", "", {0x47, 0x02, 0x6A, 0xFF, 0xFF, marker, 0x01}, clock_.nowMs()},
                    [&done](const ingest::Outcome& o) { done.set_value(o); });
    return done.get_future().get();
  };
  const ingest::Outcome refused = submit(1);
  EXPECT_EQ(refused.kind, ingest::Outcome::Kind::StoreFull);
  EXPECT_FALSE(refused.ok()) << "never acknowledged";
  EXPECT_NE(refused.error.message().find("full"), std::string::npos) << refused.error.message();
  EXPECT_EQ(pending(), held) << "nothing stored, nothing lost";

  // The destination delivers: its history makes room, and packets are accepted again.
  deliverAll();
  clock_.advance(1000);
  EXPECT_FALSE(watch.checkOnce());
  EXPECT_FALSE(watch.fullReason());
  EXPECT_LE(used(), kMax * 90 / 100);
  EXPECT_EQ(submit(2).kind, ingest::Outcome::Kind::Stored);
  EXPECT_EQ(pending(), 1u);
  ingestor.stop();
}

// The way out of a full store when a destination will never take its queue: removing it makes
// its queue dead letters, which the watch prunes, oldest first, once no delivered history is
// left, so packets are accepted again.
TEST_F(StoreRoom, RemovingAStuckDestinationMakesRoomFromItsDeadLettersOldestFirst) {
  StoreWatch watch(*store_, clock_, {kMax, 0}, 7LL * 24 * 3600 * 1000);
  while (used() < kMax * 99 / 100) appendBatch();
  ASSERT_TRUE(watch.checkOnce());
  ASSERT_TRUE(store_->removeDestination(dest_, clock_.nowMs()).ok());
  const auto dead = store_->deliveryIds(dest_, store::DeliveryState::Dead);
  ASSERT_GT(dead.size(), 1000u);
  clock_.advance(1000);
  EXPECT_FALSE(watch.checkOnce()) << "its dead letters made room";
  EXPECT_LE(used(), kMax * 90 / 100);
  const auto left = store_->deliveryIds(dest_, store::DeliveryState::Dead);
  ASSERT_FALSE(left.empty()) << "only what made room went";
  EXPECT_TRUE(
      std::equal(left.begin(), left.end(), dead.end() - static_cast<std::ptrdiff_t>(left.size())))
      << "the oldest went first";
}

}  // namespace
}  // namespace dcgw::forward
