// Test helper: a SQLite store in a temporary file of its own per test (named after the test,
// so tests running in parallel never share one), with one location, "Depot", and its files
// removed before and after.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::testing {

// <temp>/<prefix>-<pid>-<test name>.db for the test that is running.
inline std::string testDbPath(const std::string& prefix) {
  return (std::filesystem::temp_directory_path() /
          (prefix + "-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
      .string();
}

// The database file and its WAL and shared-memory files.
inline void removeDb(const std::string& path) {
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
}

// Owns the store; `*store` and `store->` reach the SqliteStore. Destroy it after whatever
// writes to it (the listener and the ingestor).
class TestStore {
 public:
  explicit TestStore(const std::string& prefix) : path_(testDbPath(prefix)) {
    removeDb(path_);
    store_ = std::make_unique<store::SqliteStore>(path_);
    auto loc = store_->createLocation({0, "Depot", "", {}});
    EXPECT_TRUE(loc.ok()) << "the Depot location of " << path_;
    if (loc.ok()) depot_ = *loc;
  }
  ~TestStore() {
    store_.reset();
    removeDb(path_);
  }
  TestStore(const TestStore&) = delete;
  TestStore& operator=(const TestStore&) = delete;

  store::SqliteStore& operator*() const { return *store_; }
  store::SqliteStore* operator->() const { return store_.get(); }
  const std::string& path() const { return path_; }
  // The id of the location "Depot".
  std::int64_t depot() const { return depot_; }

  // The first column of the first row of a query that counts.
  std::int64_t count(const std::string& sql) const {
    auto s = store_->db().prepare(sql);
    s.step();
    return s.integer(0);
  }
  std::int64_t storedPackets() const { return count("SELECT COUNT(*) FROM packets"); }

 private:
  std::string path_;
  std::unique_ptr<store::SqliteStore> store_;
  std::int64_t depot_{0};
};

}  // namespace dcgw::testing
