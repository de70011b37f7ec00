// The PostgreSQL backend under the conformance suite: the test process starts its own server
// from Debian's postgresql package (initdb into a temp folder, as a non-root user since initdb
// refuses root; listening only on a Unix socket in that folder), a fresh database per test, and
// stops and removes it all at exit. A full disk is real: when the tests run as root, each
// database lives in a tablespace on a small tmpfs that fillDisk fills up (PostgreSQL then fails
// to extend a table with "No space left on device", SQLSTATE 53100); without root there is no
// tmpfs and the full-disk test is skipped, saying so. A lost storage is the database dropped
// under the open store.
#include <fcntl.h>
#include <pwd.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>

#include "gateway/store/postgres/postgres_store.hpp"
#include "tests/store/conformance.hpp"
#include "tests/store/postgres_server.hpp"
#include "tests/support/postgres_server.hpp"

namespace dcgw::testing {
namespace {

namespace fs = std::filesystem;

Server& server() {
  static Server s;  // started by the first test, stopped at exit
  return s;
}

std::string& currentDatabase() {
  static std::string name;
  return name;
}

std::string fillerPath() {
  return server().tmpfs() + "/filler";
}

BackendHarness postgresHarness() {
  BackendHarness h;
  h.name = "Postgres";
  h.create = [](const std::string& test) {
    static int n = 0;
    currentDatabase() = "dcgw_conformance_" + std::to_string(++n);
    server().sql("DROP DATABASE IF EXISTS " + currentDatabase() + " WITH (FORCE)");
    server().sql("CREATE DATABASE " + currentDatabase() +
                 (server().canFillDisk() ? " TABLESPACE small" : ""));
    // The store is still opened (SetUp goes on) and dropped by destroy().
    if (test.find("FullDisk") != std::string::npos && !server().canFillDisk())
      GTEST_SKIP() << "a full disk needs a tablespace on a small tmpfs, which only root can "
                      "mount: run the tests as root to cover it on PostgreSQL";
  };
  h.open = [] { return std::make_unique<store::PostgresStore>(server().url(currentDatabase())); };
  h.fillDisk = [](store::Backend&) {
    // Every byte the tmpfs has left goes to one file: the next page a table needs is refused.
    const int fd = ::open(fillerPath().c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    std::vector<char> chunk(1 << 16, 'x');
    std::size_t size = chunk.size();
    while (size > 0) {
      const ssize_t n = ::write(fd, chunk.data(), size);
      if (n < 0) {
        if (size == 1) break;  // not one byte more: full
        size /= 2;
        continue;
      }
    }
    ::close(fd);
    struct statvfs st {};
    ASSERT_EQ(::statvfs(server().tmpfs().c_str(), &st), 0);
    ASSERT_EQ(st.f_bavail, 0u) << "the tmpfs is not full";
  };
  h.freeDisk = [](store::Backend&) { fs::remove(fillerPath()); };
  h.loseStorage = [](store::Backend&) {
    server().sql("DROP DATABASE " + currentDatabase() + " WITH (FORCE)");
  };
  h.destroy = [] {
    if (currentDatabase().empty()) return;
    fs::remove(fillerPath());
    server().sql("DROP DATABASE IF EXISTS " + currentDatabase() + " WITH (FORCE)");
  };
  return h;
}

}  // namespace

std::string pgFreshDatabase(const std::string& name) {
  server().sql("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  server().sql("CREATE DATABASE " + name);
  return server().url(name);
}

void pgDropDatabase(const std::string& name) {
  server().sql("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformance, ::testing::Values(postgresHarness()),
                         [](const auto& info) { return info.param.name; });

// Behaviours of the PostgreSQL backend beyond the interfaces.

TEST(PostgresStore, TwoNodesOpeningAFreshDatabaseAtOnceApplyTheMigrationsOnce) {
  // Without the advisory lock both would create the tables and one would fail.
  server().sql("DROP DATABASE IF EXISTS dcgw_migration_race WITH (FORCE)");
  server().sql("CREATE DATABASE dcgw_migration_race");
  const std::string url = server().url("dcgw_migration_race");
  for (int round = 0; round < 2; ++round) {  // a fresh database, then one already migrated
    auto open = [&url] { return std::make_unique<store::PostgresStore>(url); };
    auto a = std::async(std::launch::async, open);
    auto b = std::async(std::launch::async, open);
    const auto first = a.get();
    const auto second = b.get();
    EXPECT_GT(first->schemaVersion(), 0);
    EXPECT_EQ(first->schemaVersion(), second->schemaVersion());
    EXPECT_TRUE(first->empty());
  }
  server().sql("DROP DATABASE dcgw_migration_race WITH (FORCE)");
}

TEST(PostgresStore, AServerRestartIsReportedThenTheStoreReconnectsByItself) {
  server().sql("DROP DATABASE IF EXISTS dcgw_restart WITH (FORCE)");
  server().sql("CREATE DATABASE dcgw_restart");
  {
    store::PostgresStore db(server().url("dcgw_restart"));
    ASSERT_TRUE(db.createLocation({0, "Depot", "", {}}).ok());
    ASSERT_TRUE(db.health().ok);
    server().restart();
    // Every connection was closed: each is opened again on its next use.
    const store::Health h = db.health();
    EXPECT_TRUE(h.ok) << h.reason;
    EXPECT_EQ(db.locations().size(), 1u);
    EXPECT_TRUE(db.createLocation({0, "Yard", "", {}}).ok());
    EXPECT_EQ(db.routingTable().routes.size(), 0u);
    EXPECT_EQ(db.queueOverview().size(), 0u);
    EXPECT_FALSE(db.deviceAuth("12345678"));
  }
  server().sql("DROP DATABASE dcgw_restart WITH (FORCE)");
}

TEST(PostgresStore, AnUnreachableDatabaseMakesHealthNotOkWithAReason) {
  server().sql("DROP DATABASE IF EXISTS dcgw_gone WITH (FORCE)");
  server().sql("CREATE DATABASE dcgw_gone");
  store::PostgresStore db(server().url("dcgw_gone"));
  server().sql("DROP DATABASE dcgw_gone WITH (FORCE)");
  const store::Health h = db.health();
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.reason.find("cannot be reached"), std::string::npos) << h.reason;
  EXPECT_NE(h.reason.find("dcgw_gone"), std::string::npos) << "names the database: " << h.reason;
  try {
    db.createLocation({0, "Depot", "", {}});
    FAIL() << "a change into a database that is gone";
  } catch (const store::StoreError& e) {
    EXPECT_EQ(e.category(), store::ErrorCategory::Unavailable) << e.what();
  }
}

}  // namespace dcgw::testing
