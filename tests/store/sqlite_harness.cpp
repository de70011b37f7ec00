// The SQLite backend under the conformance suite: a database file per test in the temp folder;
// a full disk is SQLite's max_page_count capped at the file's current size.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/store/conformance.hpp"

namespace dcgw::testing {
namespace {

std::string& currentPath() {
  static std::string path;
  return path;
}

void removeDatabase() {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(currentPath() + suffix);
}

store::sqlite::Db& dbOf(store::Backend& b) {
  return dynamic_cast<store::SqliteStore&>(b).db();
}

BackendHarness sqliteHarness() {
  BackendHarness h;
  h.name = "SQLite";
  h.create = [](std::string test) {
    std::replace(test.begin(), test.end(), '/', '-');  // "Name/SQLite"
    currentPath() = (std::filesystem::temp_directory_path() /
                     ("dcgw-conformance-" + std::to_string(getpid()) + "-" + test + ".db"))
                        .string();
    removeDatabase();
  };
  h.open = [] { return std::make_unique<store::SqliteStore>(currentPath()); };
  h.fillDisk = [](store::Backend& b) {
    auto pages = dbOf(b).prepare("PRAGMA page_count");
    pages.step();
    dbOf(b).exec("PRAGMA max_page_count = " + std::to_string(pages.integer(0)));
  };
  h.freeDisk = [](store::Backend& b) { dbOf(b).exec("PRAGMA max_page_count = 1073741823"); };
  h.loseStorage = [](store::Backend&) { removeDatabase(); };
  h.destroy = removeDatabase;
  return h;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance, ::testing::Values(sqliteHarness()),
                         [](const auto& info) { return info.param.name; });

}  // namespace dcgw::testing

namespace dcgw::testing {
namespace {

// Behaviours of the SQLite backend's files, beyond the interfaces.
class SqliteFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("dcgw-sqlite-files-" + std::to_string(getpid()) + ".db"))
                .string();
    remove();
  }
  void TearDown() override { remove(); }
  void remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  std::string path_;
};

TEST_F(SqliteFiles, TheDatabaseAndItsWalAreReadableByTheOwnerOnly) {
  // They hold the device keys: another local user must not be able to pose as a tracker.
  store::SqliteStore db(path_);
  ASSERT_TRUE(db.upsertDevice({"12345678", std::nullopt, "", codecs::Bytes(32, 1)}).ok());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const auto perms = std::filesystem::status(path_ + suffix).permissions();
    EXPECT_EQ(perms & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << path_ + suffix;
  }
}

TEST_F(SqliteFiles, TokensAreCheckedWhileTheStoreCannotBeWritten) {
  // Recording a token's last use is a write; a read-only store must still answer reads.
  store::SqliteStore db(path_);
  auto [token, secret] = db.createToken("alice", "admin", 1000);
  db.db().exec("PRAGMA query_only = 1");
  const auto who = db.authenticate(secret, 1'000'000);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->name, "alice");
}

// `rm dcgw.db dcgw.db-wal dcgw.db-shm` under a running gateway: the open connections go on
// working on the unlinked files, so only a comparison with the path shows the loss.
TEST_F(SqliteFiles, ADeletedDatabaseIsNoticedAndNoCommitSucceedsAfterIt) {
  store::SqliteStore db(path_);
  ASSERT_TRUE(db.upsertDevice({"12345678", std::nullopt, "", std::nullopt}).ok());
  ASSERT_TRUE(db.health().ok);
  remove();
  store::IngestItem item;
  item.serial = "12345678";
  item.packet = {0x47, 0x02, 0x6A, 0x00, 0x00, 0x01, 0x01};
  store::RoutedItem routed;
  routed.item = &item;
  try {
    db.append({routed}, db.routingTable().version, store::SequenceRules{});
    FAIL() << "a commit into the deleted file succeeded";
  } catch (const store::StoreError& e) {
    EXPECT_EQ(e.category(), store::ErrorCategory::Unavailable);
    EXPECT_NE(std::string(e.what()).find(path_ + " was deleted"), std::string::npos) << e.what();
  }
  const store::Health h = db.health();
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.reason.find("restart"), std::string::npos) << h.reason;
}

TEST_F(SqliteFiles, AReplacedDatabaseOrWalIsNoticed) {
  for (const char* suffix : {"", "-wal"}) {
    SCOPED_TRACE(std::string("replaced: dcgw.db") + suffix);
    remove();
    store::SqliteStore db(path_);
    ASSERT_TRUE(db.upsertDevice({"12345678", std::nullopt, "", std::nullopt}).ok());
    ASSERT_TRUE(db.health().ok);
    // What a restore from a backup does: another file renamed over the path.
    const std::string file = path_ + suffix;
    std::filesystem::copy_file(file, file + ".copy");
    std::filesystem::rename(file + ".copy", file);
    const store::Health h = db.health();
    EXPECT_FALSE(h.ok);
    EXPECT_NE(h.reason.find(file + " was replaced"), std::string::npos) << h.reason;
    EXPECT_THROW(db.begin(), store::StoreError);
  }
}

// SQLite's automatic checkpoint would copy the WAL into the database (and fsync it) inside the
// commit that crosses 1,000 pages, while every tracker of that commit waits for its ACK.
TEST_F(SqliteFiles, TheWalIsCheckpointedByItsOwnThreadNotByTheCommit) {
  store::SqliteStore db(path_);
  db.db().exec("CREATE TABLE filler (b BLOB)");
  {
    store::sqlite::Transaction tx(db.db());
    for (int i = 0; i < 40; ++i) db.db().exec("INSERT INTO filler VALUES (zeroblob(131072))");
    tx.commit();  // about 1,300 pages in the WAL
  }
  for (int i = 0; i < 200 && db.walCheckpoints() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GE(db.walCheckpoints(), 1u);
  EXPECT_EQ(db.inlineWalCheckpoints(), 0u);
  // Everything was copied back: a checkpoint now finds nothing left to do.
  auto s = db.db().prepare("PRAGMA wal_checkpoint(PASSIVE)");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.integer(0), 0);             // not busy
  EXPECT_EQ(s.integer(1), s.integer(2));  // every WAL frame is in the database
}

// A checkpoint running beside continuous commits never finds the whole WAL copied back, and
// SQLite starts the WAL over only then: without the commits copying the short tail themselves
// the WAL would grow to the inline limit and stay that size on disk.
TEST_F(SqliteFiles, TheWalStaysSmallUnderContinuousCommits) {
  store::SqliteStore db(path_);
  db.db().exec("PRAGMA synchronous=OFF");  // many commits quickly; durability is not the point
  db.db().exec("CREATE TABLE filler (b BLOB)");
  std::uintmax_t largest = 0;
  auto insert = db.db().prepare("INSERT INTO filler VALUES (zeroblob(8192))");
  for (int i = 0; i < 8000; ++i) {
    insert.run();  // a commit of its own (about 3 pages)
    if (i % 100 == 0) {
      std::error_code ec;
      largest = std::max(largest, std::filesystem::file_size(path_ + "-wal", ec));
    }
  }
  // 24,000 pages went through the WAL; it never held more than a few checkpoints' worth.
  EXPECT_LT(largest, std::uintmax_t{8000} * 4096);
  EXPECT_GE(db.walCheckpoints(), 1u);
}

TEST_F(SqliteFiles, AnUntouchedDatabaseStaysHealthyAcrossReopens) {
  for (int i = 0; i < 3; ++i) {
    store::SqliteStore db(path_);
    ASSERT_TRUE(
        db.upsertDevice({"1234567" + std::to_string(i), std::nullopt, "", std::nullopt}).ok());
    const store::Health h = db.health();
    EXPECT_TRUE(h.ok) << h.reason;
  }
}

}  // namespace
}  // namespace dcgw::testing
