// Which backend a store location opens, and how a location is shown in messages (its password
// hidden): gateway/store/open_backend.hpp.
#include "gateway/store/open_backend.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace dcgw::store {
namespace {

TEST(OpenBackend, OnlyPostgresqlUrlsNameThePostgresqlBackend) {
  EXPECT_TRUE(isPostgresUrl("postgresql://dcgw@db/dcgw"));
  EXPECT_TRUE(isPostgresUrl("postgres:///dcgw?host=/run/postgresql"));
  EXPECT_FALSE(isPostgresUrl("dcgw.db"));
  EXPECT_FALSE(isPostgresUrl("/var/lib/dcgw/postgresql://x"));
}

TEST(OpenBackend, APathOpensASqliteDatabaseWithItsMigrations) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("dcgw-open-backend-" + std::to_string(getpid()) + ".db"))
                               .string();
  {
    const auto store = openBackend(path);
    EXPECT_GT(store->schemaVersion(), 0);
    EXPECT_TRUE(store->health().ok);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

TEST(OpenBackend, AnUnreachableServerIsUnavailable) {
  // A Unix socket folder with no server in it: refused at once, nothing waits.
  try {
    openBackend("postgresql:///dcgw?host=/nonexistent-dcgw-socket-dir&connect_timeout=2");
    FAIL() << "opened a store without a server";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Unavailable) << e.what();
  }
}

TEST(OpenBackend, MessagesShowALocationWithoutItsPassword) {
  EXPECT_EQ(displayLocation("postgresql://dcgw:s3cret@db.example:5432/dcgw"),
            "postgresql://dcgw:***@db.example:5432/dcgw");
  EXPECT_EQ(
      displayLocation("postgresql://db.example/dcgw?user=dcgw&password=s3cret&sslmode=require"),
      "postgresql://db.example/dcgw?user=dcgw&password=***&sslmode=require");
  EXPECT_EQ(displayLocation("postgresql://dcgw@db.example/dcgw"),
            "postgresql://dcgw@db.example/dcgw");
  EXPECT_EQ(displayLocation("data/dcgw.db"), "data/dcgw.db");
}

}  // namespace
}  // namespace dcgw::store
