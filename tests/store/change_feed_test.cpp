// The change feed: publishers and subscribers that do not know each other.
#include "gateway/common/change_feed.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace dcgw::common {
namespace {

TEST(ChangeFeed, EverySubscriberGetsEachPublishedBatchInOrder) {
  ChangeFeed feed;
  std::vector<std::int64_t> a, b;
  auto sa = feed.subscribe([&](const std::vector<Change>& cs) {
    for (const auto& c : cs) a.push_back(c.id);
  });
  auto sb = feed.subscribe([&](const std::vector<Change>& cs) {
    for (const auto& c : cs) b.push_back(c.id);
  });
  feed.publish({Change::queueHasWork(1), Change::destination(2)});
  feed.publish(Change::queueActed(3));
  EXPECT_EQ(a, (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(b, a);
}

TEST(ChangeFeed, ADroppedSubscriptionHearsNothingMore) {
  ChangeFeed feed;
  int calls = 0;
  {
    auto s = feed.subscribe([&](const std::vector<Change>&) { ++calls; });
    feed.publish(Change::device("12345678"));
  }
  feed.publish(Change::device("12345678"));
  EXPECT_EQ(calls, 1);
  ChangeFeed::Subscription moved = feed.subscribe([&](const std::vector<Change>&) { ++calls; });
  ChangeFeed::Subscription other = std::move(moved);
  feed.publish(Change::location(1));
  EXPECT_EQ(calls, 2) << "a moved subscription is still one subscription";
  other.reset();
  feed.publish(Change::location(1));
  EXPECT_EQ(calls, 2);
}

TEST(ChangeFeed, UnsubscribingWaitsForAHandlerThatIsRunning) {
  ChangeFeed feed;
  std::atomic<bool> inside{false}, finished{false};
  auto s =
      std::make_unique<ChangeFeed::Subscription>(feed.subscribe([&](const std::vector<Change>&) {
        inside = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        finished = true;
      }));
  std::thread publisher([&] { feed.publish(Change::destination(1)); });
  while (!inside) std::this_thread::yield();
  s.reset();  // must not return while the handler still runs (it may touch its owner)
  EXPECT_TRUE(finished);
  publisher.join();
}

TEST(ChangeFeed, ASlowHandlerDoesNotHoldUpAnotherPublisher) {
  // An admin's change makes the forwarder reload (it may wait for a worker's delivery) while
  // the ingest thread publishes the queues it filled: the second must not wait for the first.
  ChangeFeed feed;
  std::atomic<bool> slowInside{false}, release{false};
  std::atomic<int> quick{0};
  auto s = feed.subscribe([&](const std::vector<Change>& cs) {
    if (cs.front().kind == Change::Kind::DestinationChanged) {
      slowInside = true;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    } else {
      ++quick;
    }
  });
  std::thread admin([&] { feed.publish(Change::destination(1)); });
  while (!slowInside) std::this_thread::yield();
  auto ingest = std::async(std::launch::async, [&] { feed.publish(Change::queueHasWork(2)); });
  EXPECT_EQ(ingest.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(quick.load(), 1);
  release = true;
  admin.join();
}

TEST(ChangeFeed, PublishingNothingCallsNoOne) {
  ChangeFeed feed;
  int calls = 0;
  auto s = feed.subscribe([&](const std::vector<Change>&) { ++calls; });
  feed.publish(std::vector<Change>{});
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace dcgw::common
