// The SQLite backend under the conformance suite: a database file per test in the temp folder;
// a full disk is SQLite's max_page_count capped at the file's current size.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "gateway/ingest/routing.hpp"
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

// Migration 014 moves each delivered row's successful attempt into the row (issue 17): the
// history the API shows is the same before and after, replays included.
TEST_F(SqliteFiles, MigrationFourteenKeepsTheHistoryTheApiShows) {
  {
    // A database as version 13 left it (Db would migrate it on opening).
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    auto exec = [raw](const std::string& sql) {
      char* error = nullptr;
      ASSERT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
    };
    exec("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)");
    for (const auto& m : store::sqlite::migrations()) {
      if (m.version >= 14) continue;
      exec(m.sql);
      exec("INSERT INTO schema_version VALUES (" + std::to_string(m.version) + ", 'then')");
    }
    exec(
        "INSERT INTO destinations (id, name, method, host, created_at, updated_at) "
        "VALUES (1, 'd', 'binary', '127.0.0.1', 0, 0);"
        "INSERT INTO destination_state (destination_id) VALUES (1);"
        "INSERT INTO packets (id, received_at, serial, registration, type, data) VALUES "
        "(1, 1000, '12345678', 'AB12CDE', 71, x'47026A00000101'), "
        "(2, 1001, '12345678', 'AB12CDE', 71, x'47026A00000201'), "
        "(3, 1002, '12345678', 'AB12CDE', 71, x'47026A00000301');"
        // 1: failed, then delivered; 2: delivered, replayed, delivered again; 3: pending.
        "INSERT INTO deliveries (id, destination_id, packet_id, state, attempts, finished_at) "
        "VALUES (1, 1, 1, 1, 2, 5000), (2, 1, 2, 1, 2, 9000), (3, 1, 3, 0, 1, NULL);"
        "INSERT INTO attempts (delivery_id, at, outcome, reason, duration_us) VALUES "
        "(1, 4000, 'failed', 'HTTP 503', 10), (1, 5000, 'delivered', '', 20), "
        "(2, 6000, 'delivered', '', 30), (2, 9000, 'delivered', '', 40), "
        "(3, 7000, 'failed', 'timeout', 50)");
    sqlite3_close(raw);
  }
  store::SqliteStore db(path_);
  EXPECT_EQ(db.schemaVersion(), store::sqlite::migrations().back().version);
  store::EntryFilter f;
  f.limit = 10;
  const auto entries = db.entries(1, f);
  ASSERT_EQ(entries.size(), 3u);
  auto outcomes = [](const store::QueueEntry& e) {
    std::vector<std::string> out;
    for (const auto& h : e.history)
      out.push_back(std::to_string(h.atMs) + " " + h.outcome + " " + h.reason + " " +
                    std::to_string(h.durationUs));
    return out;
  };
  EXPECT_EQ(outcomes(entries[0]),
            (std::vector<std::string>{"4000 failed HTTP 503 10", "5000 delivered  20"}));
  EXPECT_EQ(outcomes(entries[1]),
            (std::vector<std::string>{"6000 delivered  30", "9000 delivered  40"}));
  EXPECT_EQ(outcomes(entries[2]), (std::vector<std::string>{"7000 failed timeout 50"}));
  auto rows = db.db().prepare("SELECT COUNT(*) FROM attempts");
  rows.step();
  EXPECT_EQ(rows.integer(0), 3) << "the two last successful attempts moved into their rows";
  // A replay moves the kept attempt back into the history before the row is pending again.
  ASSERT_EQ(db.replayFrom(1, 0), 2);
  const auto replayed = db.entries(1, f);
  EXPECT_EQ(outcomes(replayed[0]),
            (std::vector<std::string>{"4000 failed HTTP 503 10", "5000 delivered  20"}));
  EXPECT_EQ(replayed[0].state, store::DeliveryState::Pending);
}

// What migration 014 saves: a successful delivery writes no attempt row; a failure does.
TEST_F(SqliteFiles, ASuccessfulDeliveryIsKeptInItsRowNotAsAnAttemptRow) {
  store::SqliteStore db(path_);
  store::DestinationConfig d;
  d.settings.name = "d";
  d.settings.method = "binary";
  d.settings.host = "127.0.0.1";
  d.settings.port = 9;
  const auto dest = *db.createDestination(d, 0);
  auto loc = db.createLocation({0, "Depot", "", {dest}});
  ASSERT_TRUE(db.upsertDevice({"12345678", *loc, "AB12CDE", std::nullopt}).ok());
  std::vector<std::int64_t> touched;
  store::IngestItem item{"12345678", "", {0x47, 0x02, 0x6A, 0x00, 0x00, 0x01, 0x01}, 1000};
  ingest::RoutedAppender(db, db).append({item, item}, touched);
  const auto run = db.pendingBatch(dest, 2);
  ASSERT_EQ(run.size(), 2u);
  using Out = store::AttemptResult::Outcome;
  db.recordAttempt(dest, run[0].id, {Out::Delivered, "", 7}, 2000, {});
  auto attempts = [&] {
    auto s = db.db().prepare("SELECT COUNT(*) FROM attempts");
    s.step();
    return s.integer(0);
  };
  EXPECT_EQ(attempts(), 0);
  auto row = db.db().prepare("SELECT finished_at, duration_us FROM deliveries WHERE id=?");
  row.bind(1, run[0].id).step();
  EXPECT_EQ(row.integer(0), 2000);
  EXPECT_EQ(row.integer(1), 7);
  db.recordAttempt(dest, run[1].id, {Out::Retry, "HTTP 503", 9}, 3000, {1, 63000, "HTTP 503"});
  EXPECT_EQ(attempts(), 1);
}

// Migration 015 (issue 17) rebuilds deliveries ordered by destination and records each packet's
// span of delivery ids: the queues, the history and pruning are what they were, and new rows'
// ids go on after the highest.
TEST_F(SqliteFiles, MigrationFifteenKeepsTheQueuesAndPrunesByThePacketsSpan) {
  {
    // A database as version 14 left it: two destinations; packet 1 delivered to both (row 1
    // after a failure), packet 2 delivered to one and pending on the other, packet 3 routed
    // nowhere.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    auto exec = [raw](const std::string& sql) {
      char* error = nullptr;
      ASSERT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
    };
    exec("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)");
    for (const auto& m : store::sqlite::migrations()) {
      if (m.version >= 15) continue;
      exec(m.sql);
      exec("INSERT INTO schema_version VALUES (" + std::to_string(m.version) + ", 'then')");
    }
    exec(
        "INSERT INTO destinations (id, name, method, host, created_at, updated_at) VALUES "
        "(1, 'a', 'binary', '127.0.0.1', 0, 0), (2, 'b', 'binary', '127.0.0.1', 0, 0);"
        "INSERT INTO destination_state (destination_id) VALUES (1), (2);"
        "INSERT INTO packets (id, received_at, serial, registration, type, data, unrouted) "
        "VALUES (1, 1000, '12345678', 'AB12CDE', 71, x'47026A00000101', NULL), "
        "(2, 1001, '12345678', 'AB12CDE', 71, x'47026A00000201', NULL), "
        "(3, 1002, '12345678', 'AB12CDE', 71, x'47026A00000301', 1);"
        "INSERT INTO deliveries (id, destination_id, packet_id, state, attempts, finished_at, "
        "duration_us) VALUES (1, 1, 1, 1, 2, 5000, 20), (2, 2, 1, 1, 1, 5001, 21), "
        "(3, 1, 2, 1, 1, 6000, 22), (4, 2, 2, 0, 0, NULL, NULL);"
        "INSERT INTO attempts (delivery_id, at, outcome, reason, duration_us) VALUES "
        "(1, 4000, 'failed', 'HTTP 503', 10)");
    sqlite3_close(raw);
  }
  store::SqliteStore db(path_);
  EXPECT_EQ(db.schemaVersion(), store::sqlite::migrations().back().version);
  auto span = db.db().prepare("SELECT first_delivery, delivery_span FROM packets WHERE id=?");
  auto spanOf = [&](std::int64_t packet) {
    span.bind(1, packet).step();
    const auto out = std::make_pair(span.isNull(0) ? -1 : span.integer(0),
                                    span.isNull(1) ? -1 : span.integer(1));
    span.reset();
    return out;
  };
  EXPECT_EQ(spanOf(1), std::make_pair(std::int64_t{1}, std::int64_t{2}));
  EXPECT_EQ(spanOf(2), std::make_pair(std::int64_t{3}, std::int64_t{2}));
  EXPECT_EQ(spanOf(3), std::make_pair(std::int64_t{-1}, std::int64_t{-1}));
  store::EntryFilter f;
  f.limit = 10;
  const auto a = db.entries(1, f);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(a[0].history.size(), 2u);
  EXPECT_EQ(a[0].history[0].outcome, "failed");
  EXPECT_EQ(a[0].history[1].outcome, "delivered");
  EXPECT_EQ(db.deliveryIds(2, store::DeliveryState::Pending), (std::vector<std::int64_t>{2}));
  // A new packet's rows go on after the highest id.
  ASSERT_TRUE(db.upsertDevice({"12345678", std::nullopt, "AB12CDE", std::nullopt}).ok());
  auto loc = db.createLocation({0, "Depot", "", {1, 2}});
  ASSERT_TRUE(db.upsertDevice({"12345678", *loc, "AB12CDE", std::nullopt}).ok());
  std::vector<std::int64_t> touched;
  store::IngestItem item{"12345678", "", {0x47, 0x02, 0x6A, 0x00, 0x00, 0x04, 0x01}, 2000};
  ingest::RoutedAppender(db, db).append({item}, touched);
  EXPECT_EQ(spanOf(4), std::make_pair(std::int64_t{5}, std::int64_t{2}));
  const auto pending = db.pendingBatch(2, 10);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, 4);
  EXPECT_EQ(pending[1].id, 6);
  // Pruning everything delivered: packet 1 goes with its rows and row 1's attempt; packet 2
  // stays for its pending row; packet 3 (routed nowhere) goes.
  db.prune(1'000'000, 100);
  auto count = [&](const char* sql) {
    auto s = db.db().prepare(sql);
    s.step();
    return s.integer(0);
  };
  EXPECT_EQ(count("SELECT COUNT(*) FROM packets WHERE id IN (1, 3)"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM packets WHERE id IN (2, 4)"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM attempts"), 0);
  EXPECT_EQ(db.deliveryIds(2, store::DeliveryState::Pending), (std::vector<std::int64_t>{2, 4}));
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
