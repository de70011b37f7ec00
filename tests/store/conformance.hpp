// The store backend conformance suite: the behaviours the engine relies on, written once against
// gateway/store/interfaces.hpp. A backend passes it by providing a harness and instantiating the
// suite (see sqlite_harness.cpp); a second backend is judged by the same tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "gateway/ingest/routing.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::testing {

struct BackendHarness {
  std::string name;
  // A fresh, empty store of its own for one test (named after it).
  std::function<void(const std::string& test)> create;
  // Opens the store made by create(); called again after the previous instance was destroyed,
  // it must see everything committed before (a restart).
  std::function<std::unique_ptr<store::Backend>()> open;
  // Makes the store's next growth fail as a full disk would; freeDisk undoes it.
  std::function<void(store::Backend&)> fillDisk;
  std::function<void(store::Backend&)> freeDisk;
  // Takes the storage away from under the open store, as an operator deleting the database
  // would (SQLite: rm of the file, its -wal and -shm).
  std::function<void(store::Backend&)> loseStorage;
  // Removes what create() made.
  std::function<void()> destroy;
};

inline void PrintTo(const BackendHarness& h, std::ostream* os) {
  *os << h.name;
}

// The suite's fixture; its tests are TEST_P(StoreConformance, ...) in conformance_test.cpp and
// conformance_health_test.cpp, and
// a backend instantiates them: INSTANTIATE_TEST_SUITE_P(Name, StoreConformance, Values(h)).
class StoreConformance : public ::testing::TestWithParam<BackendHarness> {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    GetParam().create(std::string(info->name()));
    db_ = GetParam().open();
  }
  void TearDown() override {
    db_.reset();
    GetParam().destroy();
  }
  void restart() {
    db_.reset();
    db_ = GetParam().open();
  }

  std::int64_t destination(const std::string& name,
                           std::optional<std::vector<std::string>> filter = std::nullopt) {
    store::DestinationConfig d;
    d.settings.name = name;
    d.settings.method = "rest";
    d.settings.host = "http://127.0.0.1:9/" + name;
    d.filter = std::move(filter);
    auto id = db_->createDestination(d, 1000);
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : 0;
  }
  std::int64_t location(const std::string& name, std::vector<std::int64_t> destinations) {
    auto id = db_->createLocation({0, name, "", std::move(destinations)});
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : 0;
  }
  void device(const std::string& serial, std::optional<std::int64_t> loc,
              const std::string& registration = "AB12CDE") {
    ASSERT_TRUE(db_->upsertDevice({serial, loc, registration, std::nullopt}).ok());
  }
  // A Tracking suppression packet (seed 004 section 12.3); n marks it.
  static codecs::Bytes tracking(std::uint8_t n) { return {0x47, 0x02, 0x6A, 0x00, 0x00, n, 0x01}; }
  // A sensor packet: another filter key.
  static codecs::Bytes sensor(std::uint8_t n) { return {0x53, 0x02, 0x6A, 0x00, 0x00, n, 0x01}; }

  static store::IngestItem item(codecs::Bytes p, std::uint32_t sequence = 0,
                                std::int64_t atMs = 5000, const std::string& serial = "12345678") {
    store::IngestItem i;
    i.serial = serial;
    i.packet = std::move(p);
    i.receivedAtMs = atMs;
    i.sequence = sequence;
    return i;
  }
  std::vector<store::AppendOutcome> append(const std::vector<store::IngestItem>& items) {
    std::vector<std::int64_t> touched;
    return ingest::RoutedAppender(*db_, *db_).append(items, touched);
  }
  // The packets pending in a destination's queue, by their marker byte, in queue order.
  std::vector<int> pendingMarks(std::int64_t dest) {
    std::vector<int> out;
    for (const auto& p : db_->pendingBatch(dest, 1000)) out.push_back(p.packet.at(5));
    return out;
  }
  void deliverAll(std::int64_t dest, std::int64_t atMs) {
    std::vector<store::DeliveryQueue::Attempt> attempts;
    for (const auto& p : db_->pendingBatch(dest, 1000))
      attempts.push_back(
          {p.id, store::AttemptResult{store::AttemptResult::Outcome::Delivered, "", 10}, atMs});
    db_->recordAttempts(dest, attempts, {});
  }

  std::unique_ptr<store::Backend> db_;
};

}  // namespace dcgw::testing
