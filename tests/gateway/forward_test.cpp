// The store and the forwarding engine (issue #4): fan-out with filters, strict order, backoff
// schedule with an injected clock, dead letters, admin actions, restart recovery, disk full.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "gateway/config/config_file.hpp"
#include "gateway/control/validation.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/ingest/routing.hpp"
#include "gateway/store/interfaces.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::forward {
namespace {

using namespace std::chrono_literals;
using adapters::DeliveryResult;
using adapters::Outcome;

// A scripted adapter for the engine's own logic: answers from a script, records what it got.
// (The real adapters are exercised against real servers in tests/adapters.)
struct Script {
  std::mutex mu;
  std::deque<Outcome> answers;  // then Delivered
  std::vector<std::vector<std::uint8_t>> delivered;
  std::atomic<int> calls{0};
};

class ScriptedAdapter : public adapters::Adapter {
 public:
  explicit ScriptedAdapter(Script& s) : s_(s) {}
  DeliveryResult deliver(const adapters::Envelope& e) override {
    ++s_.calls;
    std::lock_guard lock(s_.mu);
    Outcome o = Outcome::Delivered;
    if (!s_.answers.empty()) {
      o = s_.answers.front();
      s_.answers.pop_front();
    }
    if (o == Outcome::Delivered) s_.delivered.push_back(e.packet);
    return {o, o == Outcome::Delivered ? "" : (o == Outcome::Never ? "too big" : "HTTP 503"), 1us};
  }
  codecs::Result<std::string> render(const adapters::Envelope&) const override {
    return std::string();
  }

 private:
  Script& s_;
};

class ForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("dcgw-forward-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
    cleanup();
    store_ = std::make_unique<store::SqliteStore>(path_);
  }
  void TearDown() override {
    forwarder_.reset();
    store_.reset();
    cleanup();
  }
  void cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }

  std::int64_t destination(const std::string& name,
                           std::optional<std::vector<std::string>> filter = std::nullopt) {
    store::DestinationConfig d;
    d.settings.name = name;
    d.settings.method = "rest";
    d.settings.host = "http://127.0.0.1:9/" + name;
    d.filter = std::move(filter);
    scripts_[name];  // created here, never by the worker threads (std::map is not thread-safe)
    auto id = store_->createDestination(d, clock_.nowMs());
    EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
    return id.ok() ? *id : 0;
  }

  void location(std::vector<std::int64_t> destinations) {
    auto l = store_->createLocation({0, "Depot", "", std::move(destinations)});
    ASSERT_TRUE(l.ok());
    ASSERT_TRUE(store_->upsertDevice({"12345678", *l, "AB12CDE", std::nullopt}).ok());
  }

  void startForwarder() {
    forwarder_ =
        std::make_unique<Forwarder>(*store_, clock_, BackoffPolicy{60'000, 3'600'000},
                                    [this](const adapters::DestinationSettings& s)
                                        -> codecs::Result<std::unique_ptr<adapters::Adapter>> {
                                      return std::unique_ptr<adapters::Adapter>(
                                          std::make_unique<ScriptedAdapter>(scripts_[s.name]));
                                    });
    forwarder_->start();
  }

  void ingest(std::vector<std::vector<std::uint8_t>> packets) {
    std::vector<store::IngestItem> items;
    for (auto& p : packets) items.push_back({"12345678", "", p, clock_.nowMs()});
    std::vector<std::int64_t> touched;
    ingest::RoutedAppender appender(*store_, *store_);
    for (const auto& s : appender.append(items, touched))
      ASSERT_EQ(s, store::AppendOutcome::Stored);
    if (forwarder_) forwarder_->notify(touched);
  }

  // Waits (real time) for a condition the workers bring about.
  static bool eventually(const std::function<bool()>& f) {
    for (int i = 0; i < 500; ++i) {
      if (f()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return f();
  }

  static std::vector<std::uint8_t> tracking(std::uint8_t n) {
    return {0x47, 0x02, 0x6A, 0x00, 0x00, n, 0x01};  // Tracking suppression, n as a marker
  }
  static std::vector<std::uint8_t> sensor(std::uint8_t n) {
    return {0x53, 0x02, 0x6A, 0x00, 0x00, n, 0x01};
  }

  std::string path_;
  common::ManualClock clock_{1'800'000'000'000};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<Forwarder> forwarder_;
  std::map<std::string, Script> scripts_;
};

TEST(Backoff, FollowsTheSeedSchedule) {
  BackoffPolicy p;  // seed 004 section 3.6 and DESIGN.md: 1, 2, 4 ... minutes, at most 60
  const std::int64_t expected[] = {1, 2, 4, 8, 16, 32, 60, 60, 60};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(p.delayMs(i + 1), expected[i] * 60'000) << i + 1;
}

TEST_F(ForwardTest, FansOutToEveryDestinationWhoseFilterTakesThePacket) {
  auto all = destination("all");
  auto trackingOnly = destination("tracking", std::vector<std::string>{"Tracking suppression"});
  location({all, trackingOnly});
  startForwarder();
  ingest({tracking(1), sensor(2), tracking(3)});
  ASSERT_TRUE(eventually([&] { return store_->counters(all).delivered == 3; }));
  ASSERT_TRUE(eventually([&] { return store_->counters(trackingOnly).delivered == 2; }));
  EXPECT_EQ(store_->counters(trackingOnly).filtered, 1);
  std::lock_guard lock(scripts_["tracking"].mu);
  EXPECT_EQ(scripts_["tracking"].delivered,
            (std::vector<std::vector<std::uint8_t>>{tracking(1), tracking(3)}));
}

TEST_F(ForwardTest, RejectsAnUnknownFilterKey) {
  store::DestinationConfig d;
  d.settings.name = "x";
  d.settings.method = "rest";
  d.settings.host = "http://127.0.0.1:9/";
  d.filter = std::vector<std::string>{"Trackin"};
  // Checked by the control layer, before the store (which keeps only its integrity).
  auto r = control::validateDestination(d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "filter");
}

TEST_F(ForwardTest, StopsOnFailureAndRetriesOnTheBackoffScheduleInOrder) {
  auto id = destination("d");
  location({id});
  for (int i = 0; i < 8; ++i) scripts_["d"].answers.push_back(Outcome::Retry);
  startForwarder();
  ingest({tracking(1), tracking(2)});
  const std::int64_t minutes[] = {1, 2, 4, 8, 16, 32, 60, 60};
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(eventually([&] { return scripts_["d"].calls == i + 1; })) << i;
    ASSERT_TRUE(eventually([&] { return store_->state(id).consecutiveFailures == i + 1; }));
    store::DestinationState st = store_->state(id);
    EXPECT_EQ(st.nextAttemptAtMs - clock_.nowMs(), minutes[i] * 60'000)
        << "after failure " << i + 1;
    EXPECT_EQ(st.lastError, "HTTP 503");
    // Nothing is tried before the wait is over, and nothing overtakes the blocked packet.
    clock_.advance(minutes[i] * 60'000 - 1);
    std::this_thread::sleep_for(30ms);
    EXPECT_EQ(scripts_["d"].calls, i + 1);
    clock_.advance(1);
  }
  ASSERT_TRUE(eventually([&] { return store_->counters(id).delivered == 2; }));
  EXPECT_EQ(store_->state(id).consecutiveFailures, 0) << "success resets the backoff";
  std::lock_guard lock(scripts_["d"].mu);
  EXPECT_EQ(scripts_["d"].delivered,
            (std::vector<std::vector<std::uint8_t>>{tracking(1), tracking(2)}));
}

TEST_F(ForwardTest, NeverCarriablePacketsBecomeDeadLettersAndTheQueueGoesOn) {
  auto id = destination("d");
  location({id});
  scripts_["d"].answers = {Outcome::Never};
  startForwarder();
  ingest({tracking(1), tracking(2)});
  ASSERT_TRUE(eventually([&] { return store_->counters(id).delivered == 1; }));
  EXPECT_EQ(store_->counters(id).deadLetters, 1);
  EXPECT_EQ(store_->deliveryIds(id, store::DeliveryState::Dead).size(), 1u);
  EXPECT_EQ(store_->requeueDead(id), 1);
  forwarder_->wake(id);
  ASSERT_TRUE(eventually([&] { return store_->counters(id).delivered == 2; }));
}

TEST_F(ForwardTest, AdminCanSkipTheBlockingPacketAndReplay) {
  auto id = destination("d");
  location({id});
  scripts_["d"].answers = {Outcome::Retry};
  startForwarder();
  ingest({tracking(1), tracking(2)});
  ASSERT_TRUE(eventually([&] { return store_->state(id).consecutiveFailures == 1; }));
  ASSERT_TRUE(store_->skipBlocking(id, "receiver rejects it", clock_.nowMs()));
  forwarder_->wake(id);
  ASSERT_TRUE(eventually([&] { return store_->counters(id).delivered == 1; }));
  EXPECT_EQ(store_->counters(id).deadLetters, 1);
  EXPECT_EQ(store_->replayFrom(id, 0), 1);
  forwarder_->wake(id);
  ASSERT_TRUE(eventually([&] { return store_->counters(id).delivered == 2; }));
}

TEST_F(ForwardTest, PausedDestinationsHoldTheirQueue) {
  auto id = destination("d");
  location({id});
  ASSERT_TRUE(store_->setPaused(id, true).ok());
  startForwarder();
  ingest({tracking(1)});
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(scripts_["d"].calls, 0);
  EXPECT_EQ(store_->counters(id).depth, 1);
  ASSERT_TRUE(store_->setPaused(id, false).ok());
  forwarder_->wake(id);
  ASSERT_TRUE(eventually([&] { return store_->counters(id).delivered == 1; }));
}

TEST_F(ForwardTest, RestartResumesWhereItStopped) {
  auto id = destination("d");
  location({id});
  ingest({tracking(1), tracking(2), tracking(3)});
  store_.reset();
  store_ = std::make_unique<store::SqliteStore>(path_);  // as after a crash: everything is on disk
  EXPECT_EQ(store_->counters(id).depth, 3);
  startForwarder();
  ASSERT_TRUE(eventually([&] { return store_->counters(id).delivered == 3; }));
}

TEST_F(ForwardTest, AFullDatabaseRefusesNewPacketsAndKeepsWhatWasCommitted) {
  auto id = destination("d");
  location({id});
  ingest({tracking(1)});
  // Cap the file at its current size: the next transaction cannot grow it.
  store::sqlite::Stmt pages = store_->db().prepare("PRAGMA page_count");
  pages.step();
  store_->db().exec("PRAGMA max_page_count = " + std::to_string(pages.integer(0)));
  std::vector<store::IngestItem> big;
  for (int i = 0; i < 200; ++i)
    big.push_back({"12345678", "", std::vector<std::uint8_t>(4000, 0x47), clock_.nowMs()});
  std::vector<std::int64_t> touched;
  try {
    ingest::RoutedAppender(*store_, *store_).append(big, touched);
    FAIL() << "the ingest should not fit";
  } catch (const store::StoreError& e) {
    EXPECT_EQ(e.category(), store::ErrorCategory::Full);
  }
  EXPECT_EQ(store_->counters(id).depth, 1) << "nothing of the failed batch, nothing lost";
  store_->db().exec("PRAGMA max_page_count = 1073741823");
  ingest({tracking(2)});
  EXPECT_EQ(store_->counters(id).depth, 2) << "recovers when space returns";
}

TEST_F(ForwardTest, PruneRemovesOldDeliveredRowsInBatches) {
  auto id = destination("d");
  location({id});
  startForwarder();
  ingest({tracking(1), tracking(2), tracking(3)});
  ASSERT_TRUE(eventually([&] { return store_->counters(id).delivered == 3; }));
  forwarder_.reset();
  EXPECT_EQ(store_->prune(clock_.nowMs() + 1, 2), 2);
  EXPECT_EQ(store_->prune(clock_.nowMs() + 1, 2), 1);
  EXPECT_EQ(store_->deliveryIds(id, store::DeliveryState::Delivered).size(), 0u);
}

TEST_F(ForwardTest, PrunerKeepsDeliveredRowsForTheRetentionTimeOnly) {
  auto id = destination("d");
  location({id});
  startForwarder();
  ingest({tracking(1), tracking(2)});
  ASSERT_TRUE(eventually([&] { return store_->counters(id).delivered == 2; }));
  Pruner pruner(*store_, clock_, 7LL * 24 * 3600 * 1000, 3'600'000, 1);
  EXPECT_EQ(pruner.runOnce(), 0) << "younger than 7 days";
  clock_.advance(7LL * 24 * 3600 * 1000 + 1);
  EXPECT_EQ(pruner.runOnce(), 2);
  store::sqlite::Stmt packets = store_->db().prepare("SELECT COUNT(*) FROM packets");
  packets.step();
  EXPECT_EQ(packets.integer(0), 0) << "packets without deliveries go too";
}

TEST_F(ForwardTest, RetryNowEndsTheBackoffAtOnce) {
  auto id = destination("d");
  location({id});
  scripts_["d"].answers = {Outcome::Retry};
  startForwarder();
  ingest({tracking(1)});
  ASSERT_TRUE(eventually([&] { return store_->state(id).consecutiveFailures == 1; }));
  EXPECT_TRUE(
      eventually([&] { return forwarder_->status(id).state == Forwarder::State::BackingOff; }));
  store_->retryNow(id);
  forwarder_->wake(id);
  ASSERT_TRUE(eventually([&] { return store_->counters(id).delivered == 1; }));
}

TEST_F(ForwardTest, NewSettingsApplyToWhatIsQueuedAndRemovalKeepsHistory) {
  auto id = destination("d");
  location({id});
  scripts_["d"].answers = {Outcome::Retry};
  startForwarder();
  ingest({tracking(1)});
  ASSERT_TRUE(eventually([&] { return store_->state(id).consecutiveFailures == 1; }));
  scripts_["renamed"];
  auto config = *store_->destination(id);
  config.settings.name = "renamed";  // the factory now builds the "renamed" script's adapter
  config.settings.host = "http://127.0.0.1:10/new";
  ASSERT_TRUE(store_->updateDestination(config, clock_.nowMs()).ok());
  store_->retryNow(id);
  forwarder_->wake(id);
  ASSERT_TRUE(eventually([&] { return scripts_["renamed"].calls == 1; }));
  ASSERT_TRUE(eventually([&] { return store_->counters(id).delivered == 1; }));
  ASSERT_TRUE(store_->removeDestination(id, clock_.nowMs()).ok());
  forwarder_->reload();
  EXPECT_TRUE(store_->destinations().empty());
  ASSERT_TRUE(store_->destination(id).has_value()) << "history stays readable";
  EXPECT_EQ(store_->counters(id).delivered, 1);
  ingest({tracking(2)});  // the location has no destination left
  EXPECT_EQ(store_->counters(id).queued, 1);
}

TEST_F(ForwardTest, DefaultConfigurationLoadsOnceIntoAnEmptyDatabase) {
  store_.reset();
  cleanup();
  store_ = std::make_unique<store::SqliteStore>(path_);
  const std::string etc = std::string(DCGW_SOURCE_DIR) + "/etc/dcgw.json";
  ASSERT_TRUE(config::loadIfEmpty(*store_, etc, 0).ok());
  ASSERT_EQ(store_->destinations().size(), 1u);
  EXPECT_EQ(store_->destinations()[0].settings.name, "Sample Destination");
  ASSERT_EQ(store_->locations().size(), 1u);
  EXPECT_EQ(store_->locations()[0].name, "Depot");
  ASSERT_TRUE(config::loadIfEmpty(*store_, etc, 0).ok());
  EXPECT_EQ(store_->destinations().size(), 1u) << "loaded once, not again";
}

TEST_F(ForwardTest, DurabilityIsReadFromTheConfigurationFile) {
  auto d = config::storeDurability(std::string(DCGW_SOURCE_DIR) + "/etc/dcgw.json");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, store::Durability::Full);
  const std::string file = path_ + ".json";
  std::ofstream(file) << R"({"store":{"synchronous":"normal","retentionDays":2}})";
  EXPECT_EQ(*config::storeDurability(file), store::Durability::Normal);
  EXPECT_EQ(*config::retentionMs(file), 2LL * 24 * 3600 * 1000);
  EXPECT_EQ(*config::retentionMs(std::string(DCGW_SOURCE_DIR) + "/etc/dcgw.json"),
            7LL * 24 * 3600 * 1000);
  std::ofstream(file) << R"({"store":{"synchronous":"sometimes"}})";
  auto bad = config::storeDurability(file);
  std::filesystem::remove(file);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "store.synchronous");
}

TEST_F(ForwardTest, InvalidConfigurationFileNamesTheEntry) {
  const std::string bad = path_ + ".json";
  std::ofstream(bad) << R"({"destinations":[{"name":"x","method":"rest","host":"www.x.com"}]})";
  auto s = config::loadIfEmpty(*store_, bad, 0);
  std::filesystem::remove(bad);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, "destinations[0].host");
}

TEST_F(ForwardTest, ConfigurationFileReadsTheSettingsOfTheMethodsTable) {
  const std::string file = path_ + ".json";
  std::ofstream(file) << R"({"destinations":[
    {"name":"b","method":"binary","host":"127.0.0.1","port":9090,"customTags":"123456",
     "replyTimeoutMs":5000},
    {"name":"r","method":"REST","host":"https://127.0.0.1/in","format":"hex","tlsVerify":false}]})";
  auto s = config::loadIfEmpty(*store_, file, 0);
  ASSERT_TRUE(s.ok()) << s.error().message();
  const auto loaded = store_->destinations();
  ASSERT_EQ(loaded.size(), 2u);
  const auto& b = loaded[0].settings;
  EXPECT_EQ(b.port, 9090);
  EXPECT_EQ(b.customTags, "123456");
  EXPECT_EQ(b.replyTimeoutMs, 5000);
  const auto& r = loaded[1].settings;
  EXPECT_EQ(r.method, "rest") << "figure 1's method name is accepted";
  EXPECT_EQ(r.format, "hex");
  EXPECT_FALSE(r.tlsVerify);
  // A setting of the wrong type names the entry and the setting.
  store_.reset();
  cleanup();
  store_ = std::make_unique<store::SqliteStore>(path_);
  std::ofstream(file) << R"({"destinations":[{"name":"b","method":"binary","host":"h","port":1,)"
                         R"("replyTimeoutMs":"slow"}]})";
  s = config::loadIfEmpty(*store_, file, 0);
  std::filesystem::remove(file);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, "destinations[0].replyTimeoutMs");
}

TEST_F(ForwardTest, MigrationsAreRecordedAndNotReapplied) {
  EXPECT_EQ(store_->db().schemaVersion(), store::sqlite::migrations().back().version);
  store_.reset();
  store_ = std::make_unique<store::SqliteStore>(path_);
  EXPECT_EQ(store_->db().schemaVersion(), store::sqlite::migrations().back().version);
}

// Migrations can land out of order (branches): a database that has a higher one but lacks a
// lower one gets the lower one at the next start, not skipped for being below the highest.
TEST_F(ForwardTest, AMigrationMissingBelowTheHighestIsAppliedAtTheNextStart) {
  const auto& all = store::sqlite::migrations();
  ASSERT_GE(all.size(), 3u);
  // Teltonika's (13): the later ones do not build on it (14 and 15 do build on each other).
  const int missing = 13;
  ASSERT_TRUE(std::any_of(all.begin(), all.end(), [&](const auto& m) { return m.version == 13; }));
  store_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    auto exec = [&](const std::string& sql) {
      char* err = nullptr;
      EXPECT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
          << (err ? err : "") << " in " << sql.substr(0, 80);
      sqlite3_free(err);
    };
    exec("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)");
    for (const auto& m : all) {
      if (m.version == missing) continue;
      exec(m.sql);
      exec("INSERT INTO schema_version VALUES (" + std::to_string(m.version) + ", 'test')");
    }
    sqlite3_close(raw);
  }
  store_ = std::make_unique<store::SqliteStore>(path_);
  auto s = store_->db().prepare("SELECT COUNT(*) FROM schema_version WHERE version = ?");
  s.bind(1, std::int64_t{missing});
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.integer(0), 1) << "migration " << missing << " was skipped";
  EXPECT_EQ(store_->db().schemaVersion(), all.back().version);
}

}  // namespace
}  // namespace dcgw::forward
