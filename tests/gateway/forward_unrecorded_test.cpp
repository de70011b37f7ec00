// When the store cannot record a run's attempts (a full disk; here a read-only writer, which is
// deterministic), the worker must not send the run again once a second: it backs off as for a
// failed delivery (1 minute, doubling), says so once in the log and in the queue's view, and
// records the run once the store takes writes again.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <sstream>
#include <thread>

#include "codecs/json.hpp"
#include "gateway/control/queues.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/ingest/routing.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::forward {
namespace {

using namespace std::chrono_literals;

// Delivers everything, counting.
class CountingAdapter : public adapters::Adapter {
 public:
  explicit CountingAdapter(std::atomic<int>& calls) : calls_(calls) {}
  adapters::DeliveryResult deliver(const adapters::Envelope&) override {
    ++calls_;
    return {adapters::Outcome::Delivered, "", 1us};
  }
  codecs::Result<std::string> render(const adapters::Envelope&) const override {
    return std::string();
  }

 private:
  std::atomic<int>& calls_;
};

bool eventually(const std::function<bool()>& f) {
  for (int i = 0; i < 3000 && !f(); ++i) std::this_thread::sleep_for(10ms);  // 30 s: a loaded CI
  return f();
}

TEST(ForwardUnrecorded, AStoreThatCannotRecordIsRetriedWithBackoffNotOnceASecond) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("dcgw-unrecorded-" + std::to_string(::getpid()) + ".db"))
                               .string();
  auto cleanup = [&] {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  };
  cleanup();
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  {
    store::SqliteStore store(path);
    common::ManualClock clock(1'800'000'000'000);
    store::DestinationConfig d;
    d.settings.name = "d";
    d.settings.method = "rest";
    d.settings.host = "http://127.0.0.1:9/in";
    const std::int64_t dest = *store.createDestination(d, clock.nowMs());
    ASSERT_TRUE(
        store.upsertDevice({"12345678", *store.createLocation({0, "Depot", "", {dest}}), "", {}})
            .ok());
    std::vector<store::IngestItem> items;
    for (std::uint8_t n = 1; n <= 3; ++n)
      items.push_back({"12345678", "", {0x47, 0x02, 0x6A, 0x00, 0x00, n, 0x01}, clock.nowMs()});
    std::vector<std::int64_t> touched;
    ingest::RoutedAppender(store, store).append(items, touched);

    store.db().exec("PRAGMA query_only = 1");  // from here no write succeeds
    std::atomic<int> calls{0};
    Forwarder forwarder(
        store, clock, BackoffPolicy{60'000, 3'600'000},
        [&](const adapters::DestinationSettings&)
            -> codecs::Result<std::unique_ptr<adapters::Adapter>> {
          return std::unique_ptr<adapters::Adapter>(std::make_unique<CountingAdapter>(calls));
        });
    forwarder.start();
    ASSERT_TRUE(eventually([&] { return calls >= 3; }));
    std::this_thread::sleep_for(1500ms);  // real time: the old worker re-sent every second
    EXPECT_EQ(calls, 3) << "the unrecorded run was sent again before its backoff";
    // The worker records the failure after the adapter's calls: on a loaded CI, later still.
    ASSERT_TRUE(
        eventually([&] { return forwarder.status(dest).state == Forwarder::State::BackingOff; }));
    auto st = forwarder.status(dest);
    EXPECT_EQ(st.nextAttemptAtMs, clock.nowMs() + 60'000);
    EXPECT_EQ(st.lastError.rfind("the store cannot record deliveries (", 0), 0u) << st.lastError;

    // The queue's view says so.
    control::Queues queues(control::Context{store, clock, nullptr},
                           [&](std::int64_t id) { return forwarder.status(id); });
    auto view = codecs::parseJson(*queues.view(dest));
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(view->find("state")->asString(), "backing-off");
    EXPECT_EQ(view->find("lastError")->asString().rfind("the store cannot record", 0), 0u)
        << view->find("lastError")->asString();
    EXPECT_FALSE(view->find("nextRetryAt")->isNull());

    // Due: sent again, still not recorded: the wait doubles.
    clock.advance(60'000);
    ASSERT_TRUE(eventually([&] { return calls >= 6; }));
    ASSERT_TRUE(eventually([&] { return forwarder.status(dest).nextAttemptAtMs > clock.nowMs(); }));
    EXPECT_EQ(forwarder.status(dest).nextAttemptAtMs, clock.nowMs() + 120'000);
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(calls, 6);

    // Space returns: the next run is recorded and the queue drains.
    {
      // Held between runs, the worker does not use the writer connection meanwhile.
      auto held = forwarder.hold(dest, 5s);
      ASSERT_TRUE(held);
      store.db().exec("PRAGMA query_only = 0");
    }
    clock.advance(120'000);
    ASSERT_TRUE(eventually([&] { return !store.hasPending(dest); }));
    EXPECT_EQ(calls, 9);
    EXPECT_EQ(store.counters(dest).delivered, 3);
    ASSERT_TRUE(eventually([&] { return forwarder.status(dest).state == Forwarder::State::Idle; }));
    EXPECT_TRUE(forwarder.status(dest).storeError.empty());
    forwarder.stop();
  }
  spdlog::set_default_logger(previous);
  const std::string text = log.str();
  std::size_t said = 0;
  for (auto at = text.find("cannot record deliveries"); at != std::string::npos;
       at = text.find("cannot record deliveries", at + 1))
    ++said;
  EXPECT_EQ(said, 1u) << "said once, not at every retry:\n" << text;
  EXPECT_NE(text.find("records deliveries again"), std::string::npos) << text;
  cleanup();
}

}  // namespace
}  // namespace dcgw::forward
