// The SQLite store's backup primitives (gateway/store/sqlite/backup.hpp): what a copy holds,
// what a restore refuses before it touches the target, and the lock's message.
#include "gateway/store/sqlite/backup.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/test_store.hpp"

namespace {

namespace fs = std::filesystem;
using dcgw::testing::removeDb;
using dcgw::testing::testDbPath;
namespace sq = dcgw::store::sqlite;

// A store with a destination, and `n` rows in a table of its own (its pages span several
// backup steps).
void makeStore(const std::string& path, int n) {
  removeDb(path);
  dcgw::store::SqliteStore s(path);
  dcgw::store::DestinationConfig d;
  d.settings.name = "rest";
  d.settings.host = "http://127.0.0.1:9/api";
  ASSERT_TRUE(s.createDestination(d, 0).ok());
  s.db().exec("CREATE TABLE filler (v BLOB)");
  auto ins = s.db().prepare("INSERT INTO filler VALUES (randomblob(1000))");
  for (int i = 0; i < n; ++i) ins.run();
}

TEST(StoreBackup, ACopyInSmallStepsHoldsEveryRowAndIsOnePrivateFile) {
  const std::string src = testDbPath("backup-src"), dst = testDbPath("backup-dst");
  makeStore(src, 2000);
  removeDb(dst);
  const sq::CopyReport r = sq::backupDatabase(src, dst, 7);
  EXPECT_GT(r.pages, 7 * 10) << "many steps";
  EXPECT_EQ(r.schemaVersion, sq::supportedSchemaVersion());
  EXPECT_EQ(r.bytes, r.pages * r.pageSize);
  struct stat st {};
  ASSERT_EQ(::stat(dst.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(dst + "-wal"));
  const sq::Inspection in = sq::inspectDatabase(dst, true);
  EXPECT_TRUE(in.integrityOk) << in.integrityDetail;
  EXPECT_TRUE(in.isStore);
  dcgw::store::SqliteStore copy(dst);
  auto q = copy.db().prepare("SELECT COUNT(*) FROM filler");
  q.step();
  EXPECT_EQ(q.integer(0), 2000);
  EXPECT_EQ(copy.destinations().size(), 1u);
  removeDb(src);
  removeDb(dst);
}

TEST(StoreBackup, RestoreRefusesANewerSchemaAndAForeignDatabaseLeavingTheTargetAlone) {
  const std::string newer = testDbPath("restore-newer"), target = testDbPath("restore-target");
  makeStore(newer, 1);
  {
    sq::Db db(newer);
    db.exec("INSERT INTO schema_version VALUES (100000, datetime('now'))");
  }
  makeStore(target, 3);
  auto r = sq::restoreDatabase(newer, target);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "backup");
  EXPECT_NE(r.error().message.find("newer"), std::string::npos) << r.error().message;

  const std::string foreign = testDbPath("restore-foreign");
  removeDb(foreign);
  {
    sq::Db db(foreign);  // migrated: then made foreign by dropping what marks a dcgw store
    db.exec("DROP TABLE schema_version");
  }
  r = sq::restoreDatabase(foreign, target);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a dcgw store"), std::string::npos) << r.error().message;
  dcgw::store::SqliteStore still(target);
  auto q = still.db().prepare("SELECT COUNT(*) FROM filler");
  q.step();
  EXPECT_EQ(q.integer(0), 3) << "the target is untouched";
  for (const auto& p : {newer, target, foreign}) {
    removeDb(p);
    fs::remove(p + ".lock");
  }
}

TEST(StoreBackup, InspectionOfAFileThatIsNotADatabaseThrowsCorrupt) {
  const std::string junk = testDbPath("inspect-junk");
  std::ofstream(junk) << std::string(8192, 'j');
  try {
    sq::inspectDatabase(junk, false);
    ADD_FAILURE() << "no error";
  } catch (const dcgw::store::StoreError& e) {
    EXPECT_EQ(e.category(), dcgw::store::ErrorCategory::Corrupt) << e.what();
    EXPECT_NE(std::string(e.what()).find(junk), std::string::npos) << e.what();
  }
  fs::remove(junk);
}

}  // namespace
