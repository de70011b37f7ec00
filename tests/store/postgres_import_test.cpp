// `dcgw export` from SQLite and `dcgw import` into PostgreSQL (schema/export.md): the store read
// back through the interfaces is the same, ids included, new ids follow the imported ones, and a
// file cut short or a database in use imports nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

#include "gateway/ingest/routing.hpp"
#include "gateway/store/postgres/import.hpp"
#include "gateway/store/postgres/pg.hpp"
#include "gateway/store/postgres/postgres_store.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/export.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/store/postgres_server.hpp"

namespace dcgw::testing {
namespace {

namespace fs = std::filesystem;

struct Source {
  std::string path;
  std::string secret;  // an admin token's
  std::vector<std::int64_t> destinations;
};

// A SQLite store with some of everything: configuration, queues in every state, history.
Source populated(const std::string& name) {
  Source s;
  s.path = (fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".db")).string();
  for (const char* x : {"", "-wal", "-shm"}) fs::remove(s.path + x);
  store::SqliteStore db(s.path);
  for (const char* n : {"rest-a", "rest-b", "gone"}) {
    store::DestinationConfig d;
    d.settings.name = n;
    d.settings.host = std::string("http://127.0.0.1:9/") + n;
    d.settings.customTags = "accountID:\"123456\"";
    d.filter = std::string(n) == "rest-b" ? std::optional<std::vector<std::string>>(
                                                std::vector<std::string>{"Tracking suppression"})
                                          : std::nullopt;
    auto id = db.createDestination(d, 1'000);
    EXPECT_TRUE(id.ok());
    s.destinations.push_back(*id);
  }
  EXPECT_TRUE(db.removeDestination(s.destinations[2], 2'000).ok());
  auto loc = db.createLocation({0, "Depot", "The depot", {s.destinations[0], s.destinations[1]}});
  EXPECT_TRUE(loc.ok());
  codecs::Bytes key(32, 0x5A);
  EXPECT_TRUE(db.upsertDevice({"12345678", *loc, "AB12CDE", key}).ok());
  std::vector<store::IngestItem> items;
  for (std::uint8_t i = 1; i <= 5; ++i)
    items.push_back({"12345678", "", {0x47, 0x02, 0x6A, 0x00, 0x00, i, 0x01}, 10'000 + i});
  items.push_back({"12345678", "", {0x53, 0x02, 0x6A, 0x00, 0x00, 9, 0x01}, 10'010});  // sensor
  std::vector<std::int64_t> touched;
  ingest::RoutedAppender appender(db, db);
  for (auto o : appender.append(items, touched)) EXPECT_EQ(o, store::AppendOutcome::Stored);
  const auto head = db.pendingBatch(s.destinations[0], 2);
  db.recordAttempt(s.destinations[0], head[0].id,
                   {store::AttemptResult::Outcome::Delivered, "", 1200}, 20'000, {});
  db.recordAttempt(s.destinations[0], head[1].id,
                   {store::AttemptResult::Outcome::Never, "too big", 300}, 20'001, {});
  db.recordAttempt(s.destinations[1], db.pendingBatch(s.destinations[1], 1)[0].id,
                   {store::AttemptResult::Outcome::Retry, "HTTP 503", 900}, 20'002,
                   {1, 80'002, "HTTP 503"});
  s.secret = db.createToken("ops", "admin", 30'000).second;
  db.appendAudit({0, 31'000, "ops", "admin", "destination.update", "destination 1",
                  std::string("{\"a\":1}"), std::string("{\"a\":2}")});
  db.recordRefusedIdents({{"99999999", "10.0.0.9:5555", "UNKNOWN_DEVICE", 32'000, 0, 0}});
  db.recordDrivers({{"DF000000012345", "Müller", "Jürgen", 0, 33'000, "12345678"}});
  return s;
}

TEST(ExportImport, ASqliteStoreMovesToPostgresWhole) {
  const Source src = populated("dcgw-export");
  std::stringstream file;
  const auto exported = store::sqlite::exportStore(src.path, file);
  EXPECT_EQ(exported.source,
            "sqlite " + std::to_string(store::sqlite::migrations().back().version));
  const std::string url = pgFreshDatabase("dcgw_import");
  std::istringstream in(file.str());
  const auto imported = store::postgres::importStore(url, in);
  EXPECT_EQ(imported.rows, exported.rows);

  store::SqliteStore a(src.path);
  store::PostgresStore b(url);
  // Configuration.
  ASSERT_EQ(a.destinations().size(), b.destinations().size());
  for (std::int64_t id : src.destinations) {
    auto da = a.destination(id), db = b.destination(id);
    ASSERT_TRUE(da && db) << id;
    EXPECT_TRUE(da->settings == db->settings) << id;
    EXPECT_EQ(da->filter, db->filter) << id;
    EXPECT_EQ(da->enabled, db->enabled) << id;
  }
  EXPECT_EQ(a.locations().size(), b.locations().size());
  EXPECT_EQ(a.locations()[0].destinationIds, b.locations()[0].destinationIds);
  const auto devA = a.device("12345678"), devB = b.device("12345678");
  ASSERT_TRUE(devA && devB);
  EXPECT_EQ(devA->registration, devB->registration);
  EXPECT_EQ(devA->locationId, devB->locationId);
  EXPECT_TRUE(devB->hasKey);
  EXPECT_EQ(devA->lastSequence, devB->lastSequence);
  EXPECT_TRUE(b.deviceAuth("12345678")) << "the device key came along: it can log in";
  // Queues: the same entries in the same states with the same ids, and the same counters.
  for (std::int64_t id : {src.destinations[0], src.destinations[1]}) {
    store::EntryFilter all;
    all.limit = 100;
    const auto ea = a.entries(id, all), eb = b.entries(id, all);
    ASSERT_EQ(ea.size(), eb.size()) << id;
    for (std::size_t i = 0; i < ea.size(); ++i) {
      EXPECT_EQ(ea[i].id, eb[i].id);
      EXPECT_EQ(ea[i].state, eb[i].state);
      EXPECT_EQ(ea[i].attempts, eb[i].attempts);
      EXPECT_EQ(ea[i].reason, eb[i].reason);
      EXPECT_EQ(ea[i].receivedAtMs, eb[i].receivedAtMs);
      EXPECT_EQ(ea[i].finishedAtMs, eb[i].finishedAtMs);
      ASSERT_EQ(ea[i].history.size(), eb[i].history.size()) << ea[i].id;
      for (std::size_t h = 0; h < ea[i].history.size(); ++h) {
        EXPECT_EQ(ea[i].history[h].outcome, eb[i].history[h].outcome);
        EXPECT_EQ(ea[i].history[h].durationUs, eb[i].history[h].durationUs);
      }
    }
    const auto ca = a.counters(id), cb = b.counters(id);
    EXPECT_EQ(ca.depth, cb.depth);
    EXPECT_EQ(ca.delivered, cb.delivered);
    EXPECT_EQ(ca.deadLetters, cb.deadLetters);
    EXPECT_EQ(ca.filtered, cb.filtered);
    EXPECT_EQ(a.state(id).nextAttemptAtMs, b.state(id).nextAttemptAtMs);
    EXPECT_EQ(b.pendingBatch(id, 100).size(), a.pendingBatch(id, 100).size());
  }
  // History and access.
  EXPECT_TRUE(b.authenticate(src.secret, 40'000)) << "the token works on PostgreSQL";
  const auto auditA = a.audit(std::numeric_limits<std::int64_t>::max(), 10);
  const auto auditB = b.audit(std::numeric_limits<std::int64_t>::max(), 10);
  ASSERT_EQ(auditA.size(), 1u);
  ASSERT_EQ(auditB.size(), 1u);
  EXPECT_EQ(auditB[0].id, auditA[0].id);
  EXPECT_EQ(auditB[0].after, auditA[0].after);
  EXPECT_EQ(b.refusedIdents().size(), 1u);
  ASSERT_TRUE(b.driver("DF000000012345"));
  EXPECT_EQ(b.driver("DF000000012345")->surname, "Müller");
  // New rows take ids after the imported ones; the configuration version came along too.
  store::DestinationConfig d;
  d.settings.name = "new";
  d.settings.host = "http://127.0.0.1:9/new";
  auto fresh = b.createDestination(d, 50'000);
  ASSERT_TRUE(fresh.ok());
  EXPECT_GT(*fresh, src.destinations.back());
  // A second import into the database now in use is refused, changing nothing.
  std::istringstream again(file.str());
  try {
    store::postgres::importStore(url, again);
    FAIL() << "imported twice";
  } catch (const store::StoreError& e) {
    EXPECT_EQ(e.category(), store::ErrorCategory::Conflict) << e.what();
  }
  EXPECT_EQ(b.destinations().size(), 3u);
  pgDropDatabase("dcgw_import");
  for (const char* x : {"", "-wal", "-shm"}) fs::remove(src.path + x);
}

TEST(ExportImport, AFileCutShortOrDamagedImportsNothing) {
  const Source src = populated("dcgw-export-cut");
  std::stringstream file;
  store::sqlite::exportStore(src.path, file);
  const std::string whole = file.str();
  const std::string url = pgFreshDatabase("dcgw_import_cut");
  auto importing = [&](const std::string& text) -> std::string {
    std::istringstream in(text);
    try {
      store::postgres::importStore(url, in);
      return "";
    } catch (const store::StoreError& e) {
      return e.what();
    }
  };
  EXPECT_NE(importing(whole.substr(0, whole.size() / 2)).find("line"), std::string::npos);
  std::string damaged = whole;
  damaged.replace(damaged.find("\nr\t") + 3, 1, "?");
  EXPECT_NE(importing(damaged).find("row"), std::string::npos);
  EXPECT_NE(importing("not an export\n").find("not a dcgw export"), std::string::npos);
  store::PostgresStore b(url);
  EXPECT_TRUE(b.destinations().empty()) << "nothing of a failed import is kept";
  EXPECT_EQ(importing(whole), "") << "the whole file imports after the failures";
  EXPECT_EQ(b.destinations().size(), 2u);
  pgDropDatabase("dcgw_import_cut");
  for (const char* x : {"", "-wal", "-shm"}) fs::remove(src.path + x);
}

// SQLite's TEXT keeps any bytes; PostgreSQL's text keeps neither a NUL byte nor bytes that are
// not UTF-8. Such a value is named (line, column, table) and nothing is imported.
TEST(ExportImport, TextPostgresCannotKeepIsNamedAndNothingIsImported) {
  const Source src = populated("dcgw-export-text");
  const std::string url = pgFreshDatabase("dcgw_import_text");
  auto importing = [&](const std::string& sql) -> std::string {
    {
      store::SqliteStore db(src.path);
      db.db().exec(sql);
    }
    std::stringstream file;
    store::sqlite::exportStore(src.path, file);
    try {
      store::postgres::importStore(url, file);
      return "";
    } catch (const store::StoreError& e) {
      return e.what();
    }
  };
  const std::string nul = importing(
      "UPDATE devices SET registration = 'AB' || char(0) || 'CDE' WHERE serial = "
      "'12345678'");
  EXPECT_NE(nul.find("line "), std::string::npos) << nul;
  EXPECT_NE(nul.find("column registration of devices holds a NUL byte (at byte 2)"),
            std::string::npos)
      << nul;
  const std::string latin1 = importing(
      "UPDATE devices SET registration = CAST(x'4142ff' AS TEXT) WHERE serial = "
      "'12345678'");
  EXPECT_NE(latin1.find("column registration of devices is not valid UTF-8"), std::string::npos)
      << latin1;
  store::PostgresStore b(url);
  EXPECT_TRUE(b.destinations().empty()) << "nothing of a refused import is kept";
  EXPECT_EQ(importing("UPDATE devices SET registration = 'AB12CDE' WHERE serial = '12345678'"), "")
      << "the mended store imports";
  EXPECT_EQ(b.destinations().size(), 2u);
  pgDropDatabase("dcgw_import_text");
  for (const char* x : {"", "-wal", "-shm"}) fs::remove(src.path + x);
}

// Export opens the store read-only: a store that lacks a migration of this dcgw is refused,
// saying what to run, and left exactly as it was (no migration applied on the way).
TEST(ExportImport, ExportChangesNothingAndRefusesAStoreThatLacksAMigration) {
  const Source src = populated("dcgw-export-old");
  const int last = store::sqlite::migrations().back().version;
  {
    store::SqliteStore db(src.path);
    db.db().exec("DELETE FROM schema_version WHERE version = " + std::to_string(last));
    db.db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  auto bytes = [&] {
    std::ifstream f(src.path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  const std::string before = bytes();
  std::stringstream file;
  try {
    store::sqlite::exportStore(src.path, file);
    FAIL() << "a store that lacks migration " << last << " was exported";
  } catch (const store::StoreError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("lacks migration(s) " + std::to_string(last)), std::string::npos) << what;
    EXPECT_NE(what.find("dcgw migrate --db " + src.path), std::string::npos) << what;
  }
  EXPECT_EQ(bytes(), before) << "the export changed the store";
  EXPECT_FALSE(fs::exists(src.path + "-wal") && fs::file_size(src.path + "-wal") > 0)
      << "the export wrote to the store's WAL";
  for (const char* x : {"", "-wal", "-shm"}) fs::remove(src.path + x);
}

}  // namespace
}  // namespace dcgw::testing
