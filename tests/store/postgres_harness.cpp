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

namespace dcgw::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUser = "dcgw-test";  // the server's OS user when the tests run as root

std::string shellQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The newest /usr/lib/postgresql/N/bin with initdb (DCGW_PG_BINDIR overrides it).
std::string binDir() {
  if (const char* d = std::getenv("DCGW_PG_BINDIR")) return d;
  std::string best;
  int bestVersion = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const int v = std::atoi(e.path().filename().c_str());
    if (v > bestVersion && fs::exists(e.path() / "bin" / "initdb")) {
      bestVersion = v;
      best = (e.path() / "bin").string();
    }
  }
  if (best.empty())
    throw std::runtime_error(
        "no PostgreSQL server found under /usr/lib/postgresql (install Debian's postgresql "
        "package: ./dev.sh test does)");
  return best;
}

class Server {
 public:
  Server() : bin_(binDir()) {
    char tmpl[] = "/tmp/dcgw-pg-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    if (::geteuid() == 0) {
      // initdb refuses root: the server runs as a system user of its own.
      run("id -u " + std::string(kUser) + " >/dev/null 2>&1 || useradd --system --no-create-home " +
          "--shell /usr/sbin/nologin " + kUser);
      const passwd* pw = ::getpwnam(kUser);
      if (!pw) throw std::runtime_error(std::string("no user ") + kUser);
      if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        throw std::runtime_error("chown " + dir_ + " failed");
      as_ = "runuser -u " + std::string(kUser) + " -- ";
      const std::string ts = dir_ + "/ts";
      fs::create_directory(ts);
      const std::string options = "size=64m,mode=0700,uid=" + std::to_string(pw->pw_uid) +
                                  ",gid=" + std::to_string(pw->pw_gid);
      if (::mount("tmpfs", ts.c_str(), "tmpfs", 0, options.c_str()) == 0) tmpfs_ = ts;
    }
    run(as_ + shellQuoted(bin_ + "/initdb") + " -D " + shellQuoted(dir_ + "/data") +
        " -U dcgw -A trust -E UTF8 --no-locale -N > " + shellQuoted(dir_ + "/initdb.log") +
        " 2>&1");
    run(as_ + shellQuoted(bin_ + "/pg_ctl") + " -D " + shellQuoted(dir_ + "/data") + " -l " +
        shellQuoted(dir_ + "/server.log") + " -w -o " +
        shellQuoted("-c listen_addresses='' -k " + dir_ + " -c max_connections=60") + " start" +
        " > /dev/null");
    started_ = true;
    if (!tmpfs_.empty()) sql("CREATE TABLESPACE small LOCATION " + quotedLiteral(tmpfs_));
  }

  ~Server() {
    if (started_)
      std::system((as_ + shellQuoted(bin_ + "/pg_ctl") + " -D " + shellQuoted(dir_ + "/data") +
                   " -m immediate stop > /dev/null 2>&1")
                      .c_str());
    if (!tmpfs_.empty()) ::umount2(tmpfs_.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs SQL on the server's postgres database as its superuser (psql, not the store).
  void sql(const std::string& statement) {
    run("PGOPTIONS='-c client_min_messages=warning' " + shellQuoted(bin_ + "/psql") +
        " -X -q -v ON_ERROR_STOP=1 -h " + shellQuoted(dir_) + " -U dcgw -d postgres -c " +
        shellQuoted(statement) + " > /dev/null");
  }

  std::string url(const std::string& database) const {
    return "postgresql:///" + database + "?host=" + dir_ + "&user=dcgw";
  }
  bool canFillDisk() const { return !tmpfs_.empty(); }
  // Stops the server (fast: every connection is closed) and starts it again.
  void restart() {
    run(as_ + shellQuoted(bin_ + "/pg_ctl") + " -D " + shellQuoted(dir_ + "/data") +
        " -m fast -w restart" + " > /dev/null");
  }
  const std::string& tmpfs() const { return tmpfs_; }

 private:
  static std::string quotedLiteral(const std::string& s) { return "'" + s + "'"; }
  static void run(const std::string& command) {
    if (std::system(command.c_str()) != 0)
      throw std::runtime_error("failed (see its log in the temp folder): " + command);
  }

  std::string bin_, dir_, as_, tmpfs_;
  bool started_{false};
};

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
