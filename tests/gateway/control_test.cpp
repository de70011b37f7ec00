// The admin control layer against a real SQLite store: a change and its audit row commit
// together (a refused change leaves neither), the change is published after its commit, and
// validation reports every bad field at once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gateway/common/change_feed.hpp"
#include "gateway/common/clock.hpp"
#include "gateway/control/destinations.hpp"
#include "gateway/control/devices.hpp"
#include "gateway/control/locations.hpp"
#include "gateway/control/queues.hpp"
#include "gateway/control/tokens.hpp"
#include "gateway/control/validation.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::control {
namespace {

class ControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("dcgw-control-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
    removeDb();
    store_ = std::make_unique<store::SqliteStore>(path_);
    // What each publish carried, and what the store held when it was published.
    sub_ = feed_.subscribe([this](const std::vector<common::Change>& changes) {
      for (const auto& c : changes) {
        published_.push_back(c);
        auditRowsAtPublish_.push_back(store_->audit(INT64_MAX, 500).size());
      }
    });
  }
  void TearDown() override {
    sub_.reset();
    store_.reset();
    removeDb();
  }
  void removeDb() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + s);
  }

  Context ctx() { return Context{*store_, clock_, &feed_}; }
  std::vector<store::AuditRecord> audit() { return store_->audit(INT64_MAX, 500); }

  static store::DestinationConfig rest(const std::string& name, const std::string& url) {
    store::DestinationConfig d;
    d.settings.name = name;
    d.settings.method = "rest";
    d.settings.host = url;
    return d;
  }

  std::string path_;
  common::ManualClock clock_{1'800'000'000'000};
  std::unique_ptr<store::SqliteStore> store_;
  common::ChangeFeed feed_;
  common::ChangeFeed::Subscription sub_;
  std::vector<common::Change> published_;
  std::vector<std::size_t> auditRowsAtPublish_;
  const Actor alice_{"alice", "admin"};
};

TEST_F(ControlTest, ACreatedDestinationAndItsAuditRowCommitTogether) {
  Destinations destinations(ctx());
  auto created = destinations.create(alice_, rest("Receiver", "http://127.0.0.1:9/in"));
  ASSERT_TRUE(created) << created.failure().message;
  const std::int64_t id = created->config.id;
  ASSERT_TRUE(store_->destination(id));

  const auto rows = audit();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].actor, "alice");
  EXPECT_EQ(rows[0].role, "admin");
  EXPECT_EQ(rows[0].action, "destination.create");
  EXPECT_EQ(rows[0].target, "destination " + std::to_string(id));
  EXPECT_FALSE(rows[0].before);
  ASSERT_TRUE(rows[0].after);
  EXPECT_EQ(*rows[0].after, render(*created));  // the JSON the API shows
}

TEST_F(ControlTest, ARefusedChangeLeavesNeitherTheChangeNorAnAuditRow) {
  Destinations destinations(ctx());
  ASSERT_TRUE(destinations.create(alice_, rest("Receiver", "http://127.0.0.1:9/in")));
  published_.clear();
  const std::size_t before = audit().size();

  auto taken = destinations.create(alice_, rest("Receiver", "http://127.0.0.1:9/other"));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.failure().kind, Failure::Kind::Conflict);
  EXPECT_EQ(store_->destinations().size(), 1u);
  EXPECT_EQ(audit().size(), before);
  EXPECT_TRUE(published_.empty());

  Locations locations(ctx());
  auto missing = locations.remove(alice_, 4242);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.failure().kind, Failure::Kind::NotFound);
  EXPECT_EQ(missing.failure().message, "no location 4242");
  EXPECT_EQ(audit().size(), before);
  EXPECT_TRUE(published_.empty());
}

TEST_F(ControlTest, AChangeIsPublishedAfterItsCommit) {
  Destinations destinations(ctx());
  auto d = destinations.create(alice_, rest("Receiver", "http://127.0.0.1:9/in"));
  ASSERT_TRUE(d);
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].kind, common::Change::Kind::DestinationChanged);
  EXPECT_EQ(published_[0].id, d->config.id);
  // The handler ran after the commit: it already saw the change's audit row.
  EXPECT_EQ(auditRowsAtPublish_[0], 1u);

  Locations locations(ctx());
  store::LocationConfig l;
  l.name = "Depot";
  l.destinationIds = {d->config.id};
  auto loc = locations.create(alice_, l);
  ASSERT_TRUE(loc) << loc.failure().message;
  ASSERT_EQ(published_.size(), 2u);
  EXPECT_EQ(published_[1].kind, common::Change::Kind::LocationChanged);
  EXPECT_EQ(published_[1].id, loc->config.id);

  Devices devices(ctx());
  store::DeviceConfig dev;
  dev.serial = "12345678";
  dev.locationId = loc->config.id;
  ASSERT_TRUE(devices.create(alice_, dev));
  auto key = devices.rotateKey(alice_, "12345678");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), 64u);
  ASSERT_EQ(published_.size(), 4u);
  EXPECT_EQ(published_[3].kind, common::Change::Kind::DeviceChanged);
  EXPECT_EQ(published_[3].serial, "12345678");
  EXPECT_EQ(auditRowsAtPublish_[3], 4u);
  EXPECT_EQ(audit()[0].action, "device.rotate-key");

  Queues queues(ctx(), {});
  ASSERT_TRUE(queues.setPaused(alice_, d->config.id, true));
  ASSERT_EQ(published_.size(), 5u);
  EXPECT_EQ(published_[4].kind, common::Change::Kind::DestinationChanged);
  EXPECT_TRUE(store_->destination(d->config.id)->paused);
  EXPECT_EQ(audit()[0].action, "queue.pause");
  ASSERT_TRUE(queues.retry(alice_, d->config.id));
  EXPECT_EQ(published_.back().kind, common::Change::Kind::QueueActed);
  EXPECT_EQ(audit()[0].action, "queue.retry");
}

TEST_F(ControlTest, ValidationReportsEveryBadFieldAtOnce) {
  store::DestinationConfig d;
  d.settings.method = "xml-tcp";
  d.settings.host = "http://not-a-host-for-tcp";  // no port either
  const auto errors = destinationErrors(d);
  std::vector<std::string> fields;
  for (const auto& e : errors) fields.push_back(e.field);
  EXPECT_GE(fields.size(), 3u);
  EXPECT_EQ(fields.front(), "name");
  EXPECT_NE(std::find(fields.begin(), fields.end(), "host"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "port"), fields.end());
  // The config loader's check is the first of them.
  EXPECT_EQ(validateDestination(d).error().field, "name");

  Destinations destinations(ctx());
  auto refused = destinations.create(alice_, d);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.failure().kind, Failure::Kind::Invalid);
  EXPECT_EQ(refused.failure().fields.size(), errors.size());
  EXPECT_EQ(refused.failure().message,
            "the request has " + std::to_string(errors.size()) + " invalid fields");

  store::DeviceConfig dev;
  dev.serial = "much too long";
  dev.registration = "a registration too long";
  dev.locationId = 99;
  Devices devices(ctx());
  auto bad = devices.create(alice_, dev);
  ASSERT_FALSE(bad);
  std::vector<std::string> devFields;
  for (const auto& [f, r] : bad.failure().fields) devFields.push_back(f);
  EXPECT_EQ(devFields, (std::vector<std::string>{"locationId", "serial", "registration"}));
  EXPECT_TRUE(audit().empty());
  EXPECT_TRUE(published_.empty());
}

TEST_F(ControlTest, ATokenAndItsAuditRowCommitTogether) {
  Tokens tokens(ctx());
  auto bad = tokens.create(alice_, "", "root");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.failure().fields.size(), 2u);
  auto t = tokens.create(alice_, "ci", "auditor");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->secret.empty());
  ASSERT_EQ(audit().size(), 1u);
  EXPECT_EQ(audit()[0].action, "token.create");
  EXPECT_EQ(audit()[0].after->find(t->secret), std::string::npos) << "the audit shows the secret";
  ASSERT_TRUE(tokens.revoke(alice_, t->token.id));
  EXPECT_EQ(audit()[0].action, "token.revoke");
  EXPECT_FALSE(tokens.revoke(alice_, t->token.id));
  EXPECT_EQ(audit().size(), 2u);
}

}  // namespace
}  // namespace dcgw::control
