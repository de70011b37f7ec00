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
#include "gateway/store/sqlite/delivered_runs.hpp"
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
  // A database as the migrations below `version` left it (SqliteStore would migrate it on
  // opening), then `rows` in it.
  void oldDatabase(int version, const std::string& rows) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    auto exec = [raw](const std::string& sql) {
      char* error = nullptr;
      ASSERT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
    };
    exec("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)");
    for (const auto& m : store::sqlite::migrations()) {
      if (m.version >= version) continue;
      exec(m.sql);
      exec("INSERT INTO schema_version VALUES (" + std::to_string(m.version) + ", 'then')");
    }
    exec(rows);
    sqlite3_close(raw);
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
    ASSERT_NO_FATAL_FAILURE(oldDatabase(
        14,
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
        "(3, 7000, 'failed', 'timeout', 50)"));
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

// What migrations 014 and 016 save: a successful delivery writes no attempt row (a failure
// does), and one at the first attempt leaves its row for a run entry.
TEST_F(SqliteFiles, ASuccessfulDeliveryIsKeptAsARunEntryNotAsAnAttemptRow) {
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
  // Delivered at its first attempt: no row left in deliveries, an entry of a run (migration
  // 016), which the API shows as the row was shown.
  auto row = db.db().prepare("SELECT COUNT(*) FROM deliveries WHERE destination_id=? AND id=?");
  row.bind(1, dest).bind(2, run[0].id).step();
  EXPECT_EQ(row.integer(0), 0);
  auto runs = db.db().prepare("SELECT first_id, last_id, count, finished_to FROM delivered_runs");
  ASSERT_TRUE(runs.step());
  EXPECT_EQ(runs.integer(0), run[0].id);
  EXPECT_EQ(runs.integer(1), run[0].id);
  EXPECT_EQ(runs.integer(2), 1);
  EXPECT_EQ(runs.integer(3), 2000);
  const auto shown = db.entry(dest, run[0].id);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->state, store::DeliveryState::Delivered);
  EXPECT_EQ(shown->finishedAtMs, 2000);
  EXPECT_EQ(shown->attempts, 1);
  ASSERT_EQ(shown->history.size(), 1u);
  EXPECT_EQ(shown->history[0].outcome, "delivered");
  EXPECT_EQ(shown->history[0].durationUs, 7);
  db.recordAttempt(dest, run[1].id, {Out::Retry, "HTTP 503", 9}, 3000, {1, 63000, "HTTP 503"});
  EXPECT_EQ(attempts(), 1);
  // Delivered after a failure: it stays a row, its history its attempt row and then the row.
  db.recordAttempt(dest, run[1].id, {Out::Delivered, "", 11}, 4000, {});
  row.reset();
  row.bind(1, dest).bind(2, run[1].id).step();
  EXPECT_EQ(row.integer(0), 1);
  const auto second = db.entry(dest, run[1].id);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->history.size(), 2u);
  EXPECT_EQ(second->history[0].outcome, "failed");
  EXPECT_EQ(second->history[1].outcome, "delivered");
}

// Migration 015 (issue 17) rebuilds deliveries ordered by destination and records each packet's
// span of delivery ids: the queues, the history and pruning are what they were, and new rows'
// ids go on after the highest.
TEST_F(SqliteFiles, MigrationFifteenKeepsTheQueuesAndPrunesByThePacketsSpan) {
  {
    // A database as version 14 left it: two destinations; packet 1 delivered to both (row 1
    // after a failure), packet 2 delivered to one and pending on the other, packet 3 routed
    // nowhere.
    ASSERT_NO_FATAL_FAILURE(oldDatabase(
        15,
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
        "(1, 4000, 'failed', 'HTTP 503', 10)"));
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

// Migration 016: first-attempt deliveries as run entries. What the API reads (pages, filters,
// replay, pruning, a packet kept while any destination holds it) is what it was with rows.
TEST_F(SqliteFiles, RunEntriesReadReplayAndPruneAsRowsDid) {
  store::SqliteStore db(path_);
  auto destination = [&](const char* name) {
    store::DestinationConfig d;
    d.settings.name = name;
    d.settings.method = "binary";
    d.settings.host = "127.0.0.1";
    d.settings.port = 9;
    return *db.createDestination(d, 0);
  };
  const auto a = destination("a");
  const auto b = destination("b");
  auto loc = db.createLocation({0, "Depot", "", {a, b}});
  ASSERT_TRUE(db.upsertDevice({"12345678", *loc, "AB12CDE", std::nullopt}).ok());
  ASSERT_TRUE(db.upsertDevice({"87654321", *loc, "XY34FGH", std::nullopt}).ok());
  // 150 packets: every tenth from the second device, every seventh a sensor packet.
  std::vector<store::IngestItem> items;
  for (int i = 0; i < 150; ++i) {
    const std::uint8_t type = i % 7 == 0 ? 0x53 : 0x47;
    items.push_back({i % 10 == 0 ? "87654321" : "12345678",
                     "",
                     {type, 0x02, 0x6A, 0x00, static_cast<std::uint8_t>(i >> 8),
                      static_cast<std::uint8_t>(i), 0x01},
                     100'000 + i * 1000});
  }
  std::vector<std::int64_t> touched;
  ingest::RoutedAppender(db, db).append(items, touched);
  using Out = store::AttemptResult::Outcome;
  // a: delivered in calls of 40 at the first attempt, but the 50th after a failure; b: 100 of
  // them delivered, the rest pending.
  auto deliver = [&](std::int64_t dest, std::size_t count, std::int64_t at) {
    std::size_t done = 0;
    while (done < count) {
      auto run = db.pendingBatch(dest, static_cast<int>(std::min<std::size_t>(40, count - done)));
      ASSERT_FALSE(run.empty());
      std::vector<store::DeliveryQueue::Attempt> attempts;
      for (const auto& r : run) {
        if (dest == a && r.packetId == 50 && r.attempts == 0) {
          db.recordAttempt(dest, r.id, {Out::Retry, "HTTP 503", 5}, at, {1, at + 60'000, "x"});
          break;
        }
        attempts.push_back({r.id, {Out::Delivered, "", 1000 + r.packetId}, at + r.packetId});
      }
      done += attempts.size();
      db.recordAttempts(dest, attempts, {});
    }
  };
  deliver(a, 150, 500'000);
  deliver(b, 100, 600'000);
  auto count = [&](const std::string& sql) {
    auto s = db.db().prepare(sql);
    s.step();
    return s.integer(0);
  };
  EXPECT_EQ(count("SELECT COUNT(*) FROM deliveries WHERE destination_id=" + std::to_string(a)), 1)
      << "only the row delivered after a failure stays a row";
  EXPECT_EQ(count("SELECT SUM(count) FROM delivered_runs"), 149 + 100);
  EXPECT_EQ(count("SELECT MAX(count) FROM delivered_runs"), 64);
  EXPECT_EQ(db.deliveryIds(a, store::DeliveryState::Delivered).size(), 150u);
  EXPECT_EQ(db.deliveryIds(b, store::DeliveryState::Pending).size(), 50u);

  // Pages: every entry once, in id order, whatever the page size; the filters as before.
  auto page = [&](std::int64_t dest, store::EntryFilter f) {
    std::vector<store::QueueEntry> all;
    for (;;) {
      auto p = db.entries(dest, f);
      if (p.empty()) break;
      f.afterId = p.back().id;
      for (auto& e : p) all.push_back(std::move(e));
    }
    return all;
  };
  for (int limit : {1, 7, 64, 200}) {
    store::EntryFilter f;
    f.limit = limit;
    const auto all = page(a, f);
    ASSERT_EQ(all.size(), 150u) << limit;
    for (std::size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].packetId, static_cast<std::int64_t>(i + 1));
      if (i > 0) {
        EXPECT_LT(all[i - 1].id, all[i].id);
      }
      EXPECT_EQ(all[i].state, store::DeliveryState::Delivered);
      const bool failedFirst = all[i].packetId == 50;
      EXPECT_EQ(all[i].attempts, failedFirst ? 2 : 1);
      ASSERT_EQ(all[i].history.size(), failedFirst ? 2u : 1u);
      EXPECT_EQ(all[i].history.back().outcome, "delivered");
      EXPECT_EQ(all[i].history.back().durationUs, 1000 + all[i].packetId);
    }
  }
  store::EntryFilter f;
  f.limit = 5;
  f.serial = "87654321";
  EXPECT_EQ(page(a, f).size(), 15u);
  f.serial.reset();
  f.type = 0x53;
  EXPECT_EQ(page(b, f).size(), 22u);
  f.state = store::DeliveryState::Delivered;
  EXPECT_EQ(page(b, f).size(), 15u);  // i = 0, 7, ..., 98
  f.type.reset();
  f.fromMs = 100'000 + 90 * 1000;
  f.toMs = 100'000 + 110 * 1000;
  EXPECT_EQ(page(b, f).size(), 10u) << "delivered, received in [90, 100)";
  f = {};
  f.state = store::DeliveryState::Pending;
  EXPECT_EQ(page(b, f).size(), 50u);

  // Replay from the 120th packet on a: its entries become rows again, pending; the others
  // stay entries.
  EXPECT_EQ(db.replayFrom(a, 100'000 + 119 * 1000), 31);
  EXPECT_EQ(db.deliveryIds(a, store::DeliveryState::Pending).size(), 31u);
  const auto replayed = db.entry(a, db.pendingBatch(a, 1)[0].id);
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->packetId, 120);
  ASSERT_EQ(replayed->history.size(), 1u);
  EXPECT_EQ(replayed->history[0].outcome, "delivered");
  EXPECT_EQ(db.deliveryIds(a, store::DeliveryState::Delivered).size(), 119u);

  // Pruning what was delivered before packet 30's time on a (500,000 + packet id): a's entries
  // of packets 1-29 go, b's stay, so every packet stays.
  const auto packets = [&] { return count("SELECT COUNT(*) FROM packets"); };
  EXPECT_EQ(db.prune(500'000 + 30, 1000), 29);
  EXPECT_EQ(packets(), 150);
  EXPECT_EQ(page(a, store::EntryFilter{}).front().packetId, 30);
  // Then everything delivered on both: the packets a replay or b still waits for stay.
  while (db.prune(10'000'000, 7) > 0) {
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM delivered_runs"), 0);
  EXPECT_EQ(packets(), 50) << "b's 50 pending packets (a's 31 pending among them)";
  EXPECT_EQ(db.deliveryIds(a, store::DeliveryState::Pending).size(), 31u);
  EXPECT_EQ(db.deliveryIds(b, store::DeliveryState::Pending).size(), 50u);
  // New packets' rows go on after every id there was.
  const auto before = page(b, store::EntryFilter{}).back().id;
  items.resize(1);
  ingest::RoutedAppender(db, db).append(items, touched);
  store::EntryFilter last;
  last.afterId = before;
  ASSERT_EQ(page(b, last).size(), 1u);
}

// attempts has no foreign key since migration 015: an attempt recorded for a row that went
// meanwhile (skipped by an admin, then pruned to make room) adds no row that names it.
TEST_F(SqliteFiles, AnAttemptOnARowThatIsGoneLeavesNoAttemptRow) {
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
  ingest::RoutedAppender(db, db).append({item}, touched);
  const auto sent = db.pendingBatch(dest, 1);
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_TRUE(db.skipBlocking(dest, "stuck", 2000, sent[0].id));
  EXPECT_EQ(db.pruneDeadLetters(1'000'000, 10), 1);
  using Out = store::AttemptResult::Outcome;
  db.recordAttempt(dest, sent[0].id, {Out::Retry, "HTTP 503", 9}, 3000, {1, 63000, "HTTP 503"});
  db.recordAttempt(dest, sent[0].id, {Out::Delivered, "", 9}, 3001, {});
  auto attempts = db.db().prepare("SELECT COUNT(*) FROM attempts");
  attempts.step();
  EXPECT_EQ(attempts.integer(0), 0);
}

TEST(DeliveredRuns, EntriesRoundTripAndDamagedBytesAreNamed) {
  std::vector<store::sqlite::RunEntry> entries{{10, 5, 1'790'000'000'000, 1500},
                                               {13, 6, 1'790'000'000'020, 0},
                                               {14, 4, 1'789'999'999'990, 70'000'000}};
  const auto bytes = store::sqlite::encodeRun(entries);
  const auto back = store::sqlite::decodeRun(1, 10, 3, bytes);
  ASSERT_EQ(back.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back[i].id, entries[i].id);
    EXPECT_EQ(back[i].packetId, entries[i].packetId);
    EXPECT_EQ(back[i].finishedAtMs, entries[i].finishedAtMs);
    EXPECT_EQ(back[i].durationUs, entries[i].durationUs);
  }
  auto refused = [&](std::int64_t first, std::int64_t n, std::vector<std::uint8_t> b) {
    try {
      store::sqlite::decodeRun(7, first, n, b);
    } catch (const store::StoreError& e) {
      EXPECT_EQ(e.category(), store::ErrorCategory::Corrupt);
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(refused(10, 4, bytes).find("end early"), std::string::npos);
  EXPECT_NE(refused(10, 2, bytes).find("bytes after"), std::string::npos);
  EXPECT_NE(refused(10, 0, bytes).find("count"), std::string::npos);
  EXPECT_NE(refused(10, 3, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}).find("ascending"),
            std::string::npos);
  EXPECT_NE(refused(10, 9, bytes).find("destination 7, first id 10"), std::string::npos);
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
