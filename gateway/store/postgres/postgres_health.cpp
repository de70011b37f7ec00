// The PostgreSQL backend's health: whether the database can still be reached and written. A
// lost connection is re-established when it can be (a restarted server, a short partition);
// while it cannot, every operation throws StoreError(Unavailable) and health() says why.
#include "gateway/store/postgres/pg.hpp"
#include "gateway/store/postgres/postgres_store.hpp"

namespace dcgw::store {

Health PostgresStore::health() {
  std::lock_guard lock(healthMu_);
  std::string error;
  // Twice: the first try may only find out that the connection broke since the last call.
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      health_->ensureConnected();
      postgres::Stmt s = health_->prepare("SELECT pg_is_in_recovery()");
      s.step();
      if (s.integer(0) != 0)
        return Health{false, "the PostgreSQL server at " + where_ +
                                 " is a standby (read-only, in recovery): nothing can be "
                                 "stored; point the gateway at the primary"};
      return Health{};
    } catch (const StoreError& e) {
      error = e.what();
    }
  }
  return Health{false, "the PostgreSQL database at " + where_ +
                           " cannot be reached, so the gateway accepts nothing it would have to "
                           "store: " +
                           error + " (check that the server runs and the database exists)"};
}

StoreSize PostgresStore::size() {
  std::lock_guard lock(healthMu_);
  StoreSize out;
  try {
    health_->ensureConnected();
    postgres::Stmt s = health_->prepare(
        "SELECT pg_database_size(current_database()), "
        "(SELECT COALESCE(MAX(id) - MIN(id) + 1, 0) FROM packets)");
    if (s.step()) {
      out.usedBytes = out.fileBytes = s.integer(0);
      out.packets = s.integer(1);
    }
  } catch (const StoreError&) {
    // health() says why; the size is unknown until the server answers again.
  }
  return out;
}

}  // namespace dcgw::store
