// Opens the backend a store location names (open_backend.hpp).
#include "gateway/store/open_backend.hpp"

#include "gateway/store/postgres/postgres_store.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::store {

bool isPostgresUrl(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::unique_ptr<Backend> openBackend(const std::string& location, Durability durability) {
  if (isPostgresUrl(location)) return std::make_unique<PostgresStore>(location, durability);
  return std::make_unique<SqliteStore>(location, durability);
}

std::string displayLocation(const std::string& location) {
  std::string s = location;
  // A URL's ?password=... or a conninfo's password=...
  if (const auto pw = s.find("password="); pw != std::string::npos) {
    auto end = s.find_first_of("& ", pw);
    if (end == std::string::npos) end = s.size();
    s.replace(pw + 9, end - pw - 9, "***");
  }
  if (!isPostgresUrl(s)) return s;
  // postgresql://user:secret@host/db -> postgresql://user:***@host/db
  const auto scheme = s.find("://") + 3;
  const auto at = s.find('@', scheme);
  const auto slash = s.find('/', scheme);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    const auto colon = s.find(':', scheme);
    if (colon != std::string::npos && colon < at) s.replace(colon + 1, at - colon - 1, "***");
  }
  return s;
}

}  // namespace dcgw::store
