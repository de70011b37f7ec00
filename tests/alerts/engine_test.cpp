// The alert engine over a real SQLite store and a real Ingestor, on a manual clock: alert
// packets are routed to the location's destinations through their filters, their state
// survives a restart (no repeat, no forgotten clear), DDS packets feed the time warnings.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <thread>

#include "gateway/alerts/engine.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::alerts {
namespace {

constexpr std::int64_t kT0 = 1'722'000'000'000;
constexpr std::int64_t kHourMs = 3'600'000;

class Engine : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("dcgw-alerts-" + std::to_string(getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
    clean();
    open();
    store::DestinationConfig all, tracking;
    all.settings.name = "all";
    all.settings.host = "http://127.0.0.1:9/a";
    tracking.settings.name = "tracking-only";
    tracking.settings.host = "http://127.0.0.1:9/t";
    tracking.filter = std::vector<std::string>{"Tracking"};
    all_ = *store_->createDestination(all, kT0);
    trackingOnly_ = *store_->createDestination(tracking, kT0);
    location_ = *store_->createLocation({0, "depot", "", {all_, trackingOnly_}});
    ASSERT_TRUE(store_->upsertDevice({"12345678", location_, "AB12CDE", std::nullopt}).ok());
  }
  void TearDown() override {
    engine_.reset();
    ingestor_.reset();
    store_.reset();
    clean();
  }
  void clean() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + s);
  }
  void open() {
    store_ = std::make_unique<store::SqliteStore>(path_);
    ingestor_ = std::make_unique<ingest::Ingestor>(*store_, nullptr);
    engine_ = std::make_unique<AlertEngine>(*store_, *ingestor_, clock_, nullptr, nullptr,
                                            AlertEngine::Options{});
  }
  void restart() {
    engine_.reset();
    ingestor_.reset();
    store_.reset();
    open();
  }
  void setRules(std::vector<store::AlertRuleSetting> rules, std::string language = "en") {
    auto tx = store_->begin();
    ASSERT_TRUE(tx->setAlertSettings({location_, std::move(language), std::move(rules)}).ok());
    tx->commit();
  }
  // A packet from the device itself, through the Ingestor.
  void deviceSends(codecs::Bytes packet) {
    std::promise<ingest::Outcome> p;
    auto f = p.get_future();
    store::IngestItem item;
    item.serial = "12345678";
    item.packet = std::move(packet);
    item.receivedAtMs = clock_.nowMs();
    ingestor_->submit(std::move(item), [&p](const ingest::Outcome& o) { p.set_value(o); });
    ASSERT_TRUE(f.get().ok());
  }
  std::vector<store::PendingDelivery> alertsQueued(std::int64_t destination) {
    std::vector<store::PendingDelivery> out;
    for (auto& d : store_->pendingBatch(destination, 100))
      if (d.packet[0] == 0x61) out.push_back(std::move(d));
    return out;
  }
  static codecs::Bytes tracking() { return {0x47, 0x02, 0x6A, 0x00, 0x00, 0x01, 0x01}; }

  std::string path_;
  common::ManualClock clock_{kT0};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<ingest::Ingestor> ingestor_;
  std::unique_ptr<AlertEngine> engine_;
  std::int64_t all_{0}, trackingOnly_{0}, location_{0};
};

TEST_F(Engine, TheStoreKnowsWhenEachDeviceLastSentAndAlertsDoNotCount) {
  EXPECT_FALSE(store_->device("12345678")->lastPacketAtMs);
  deviceSends(tracking());
  EXPECT_EQ(store_->device("12345678")->lastPacketAtMs, kT0);
  setRules({{"device-silent", 3600}});
  clock_.advance(2 * kHourMs);
  ASSERT_EQ(engine_->runOnce(), 1);
  EXPECT_EQ(store_->device("12345678")->lastPacketAtMs, kT0) << "its alert is not its packet";
}

TEST_F(Engine, ASilentDevicesAlertIsQueuedThroughTheFiltersOnceAcrossARestartThenCleared) {
  deviceSends(tracking());
  setRules({{"device-silent", 3600}}, "de");
  clock_.advance(kHourMs);
  EXPECT_EQ(engine_->runOnce(), 0) << "exactly N hours";
  clock_.advance(1000);
  const std::int64_t filteredBefore = store_->counters(trackingOnly_).filtered;
  EXPECT_EQ(engine_->runOnce(), 1);
  auto queued = alertsQueued(all_);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].serial, "12345678");
  EXPECT_EQ(queued[0].registration, "AB12CDE");
  EXPECT_EQ(queued[0].packet[16], 1) << "AlertState alert";
  EXPECT_TRUE(alertsQueued(trackingOnly_).empty()) << "its filter has no \"Notifications\"";
  EXPECT_EQ(store_->counters(trackingOnly_).filtered, filteredBefore + 1);
  auto conditions = store_->alertConditions();
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_TRUE(conditions[0].raisedAtMs);

  restart();
  clock_.advance(kHourMs);
  EXPECT_EQ(engine_->runOnce(), 0) << "a restart does not repeat it";
  deviceSends(tracking());
  clock_.advance(1000);
  EXPECT_EQ(engine_->runOnce(), 1);
  queued = alertsQueued(all_);
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_EQ(queued[1].packet[16], 0) << "AlertState clear";
  EXPECT_TRUE(store_->alertConditions().empty());
  restart();
  EXPECT_EQ(engine_->runOnce(), 0) << "cleared once";
}

TEST_F(Engine, AFailingDestinationsAlertGoesWithSerialZerosToTheLocationsDestinations) {
  setRules({{"destination-failing", 60}});
  deviceSends(tracking());
  const std::int64_t row = store_->pendingBatch(all_, 1).at(0).id;
  store_->recordAttempt(all_, row, {store::AttemptResult::Outcome::Retry, "refused", 0}, kT0,
                        {2, kT0 + 60'000, "refused"});
  EXPECT_EQ(engine_->runOnce(), 0);  // first seen failing
  restart();                         // "since" survives the restart
  clock_.advance(61'000);
  EXPECT_EQ(engine_->runOnce(), 1);
  auto queued = alertsQueued(all_);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].serial, "00000000");
  EXPECT_EQ(queued[0].packet[17], kTypeForwarding);
}

// Seed 004 section 14.1 (Stoneridge Duo, 0x4D 0x02): CardNumber at 6, TimeRelatedStates at 23.
codecs::Bytes ddsWarning(std::uint8_t value) {
  codecs::Bytes dds(53, 0xFF);
  dds[0] = 0x4D, dds[1] = 0x02;
  const std::string card = "DB123456789012";
  std::copy(card.begin(), card.end(), dds.begin() + 6);
  dds[23] = value;
  return dds;
}

TEST_F(Engine, ADdsPacketWithALevel2WarningRaisesAndTheNextWithoutClears) {
  setRules({{"time-warning", 0}});
  codecs::Bytes dds = ddsWarning(0x04);  // daily driving time warning, level 2
  engine_->onPacket("12345678", dds);
  engine_->onPacket("12345678", tracking());  // not a DDS packet: ignored
  EXPECT_EQ(engine_->runOnce(), 1);
  auto queued = alertsQueued(all_);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].packet[18], 0x04);
  dds[23] = 0x03;  // a pre-warning, level 1
  engine_->onPacket("12345678", dds);
  EXPECT_EQ(engine_->runOnce(), 1);
  EXPECT_EQ(alertsQueued(all_).back().packet[16], 0);
}

// Several nodes: the DDS packet reaches a node that does not evaluate the rules; the node that
// does (the leader) raises the warning from what the first recorded in the store. A restart
// does not forget it either.
TEST_F(Engine, AWarningReceivedByAnotherNodeIsRaisedByTheOneThatEvaluates) {
  setRules({{"time-warning", 0}});
  const codecs::Bytes dds = ddsWarning(0x04);  // daily driving time warning, level 2
  {
    AlertEngine receiver(*store_, *ingestor_, clock_, nullptr, nullptr,
                         AlertEngine::Options{30'000, 1'000, [] { return false; }});
    receiver.onPacket("12345678", dds);
  }
  restart();  // the evaluating engine never saw the packet
  EXPECT_EQ(engine_->runOnce(), 1);
  auto queued = alertsQueued(all_);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].packet[18], 0x04);
  EXPECT_EQ(engine_->runOnce(), 0) << "raised once";
}

TEST_F(Engine, TheThreadEvaluatesOnItsIntervalAndStops) {
  deviceSends(tracking());
  setRules({{"device-silent", 3600}});
  engine_ = std::make_unique<AlertEngine>(*store_, *ingestor_, clock_, nullptr, nullptr,
                                          AlertEngine::Options{1000});
  engine_->start();
  clock_.advance(2 * kHourMs);
  for (int i = 0; i < 1000 && engine_->raised() == 0; ++i) {  // 10 s: a loaded CI
    clock_.advance(1000);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(engine_->raised(), 1u);
  engine_->stop();
}

}  // namespace
}  // namespace dcgw::alerts
