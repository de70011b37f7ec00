// SQLite connection, statements and migrations.
#include "gateway/store/sqlite/db.hpp"

#include <set>

namespace dcgw::store::sqlite {

ErrorCategory categoryOf(int code) {
  switch (code & 0xFF) {
    case SQLITE_FULL:
      return ErrorCategory::Full;
    case SQLITE_CONSTRAINT:
      return ErrorCategory::Conflict;
    case SQLITE_NOTFOUND:
      return ErrorCategory::NotFound;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return ErrorCategory::Unavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorCategory::Corrupt;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCategory::Busy;
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return ErrorCategory::Invalid;
    default:
      return ErrorCategory::Internal;
  }
}

namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  throw SqliteError(rc & 0xFF,
                    std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

}  // namespace

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &s_, nullptr);
  if (rc != SQLITE_OK) fail(db, rc, "prepare " + std::string(sql.substr(0, 60)));
}

Stmt::~Stmt() {
  sqlite3_finalize(s_);
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  if (int rc = sqlite3_bind_int64(s_, i, v); rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view t) {
  if (int rc = sqlite3_bind_text(s_, i, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
      rc != SQLITE_OK)
    fail(db_, rc, "bind");
  return *this;
}
Stmt& Stmt::bindBlob(int i, const void* data, std::size_t size) {
  if (int rc = sqlite3_bind_blob(s_, i, data, static_cast<int>(size), SQLITE_TRANSIENT);
      rc != SQLITE_OK)
    fail(db_, rc, "bind");
  return *this;
}
Stmt& Stmt::bindNull(int i) {
  if (int rc = sqlite3_bind_null(s_, i); rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}

bool Stmt::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(s_);
  fail(db_, rc, "step");
}

void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

std::string Stmt::text(int col) const {
  const auto* p = sqlite3_column_text(s_, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
           : std::string();
}

std::vector<std::uint8_t> Stmt::blob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, col));
  return p ? std::vector<std::uint8_t>(p, p + sqlite3_column_bytes(s_, col))
           : std::vector<std::uint8_t>();
}

Db::Db(const std::string& path) {
  int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    throw SqliteError(rc, "cannot open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL");
  // FULL: a commit is on disk before the tracker is acknowledged (kill -9 and power loss).
  exec("PRAGMA synchronous=FULL");
  exec("PRAGMA foreign_keys=ON");
  migrate();
}

Db::Db(const std::string& path, ReadOnly) {
  const int rc =
      sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    throw SqliteError(rc, "cannot open " + path + " read-only: " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
}

std::vector<int> missingMigrations(Db& db) {
  std::set<int> applied;
  {
    Stmt t = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'");
    if (t.step()) {
      Stmt s = db.prepare("SELECT version FROM schema_version");
      while (s.step()) applied.insert(static_cast<int>(s.integer(0)));
    }
  }
  std::vector<int> missing;
  for (const Migration& m : migrations())
    if (applied.count(m.version) == 0) missing.push_back(m.version);
  return missing;
}

Db::~Db() {
  sqlite3_close_v2(db_);
}

void Db::exec(std::string_view sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqliteError(rc & 0xFF, msg);
  }
}

int Db::schemaVersion() {
  exec(
      "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT "
      "NULL)");
  Stmt s(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
  s.step();
  return static_cast<int>(s.integer(0));
}

// Every embedded migration not recorded yet, in order, not only those above the highest: numbers
// may land out of order (a database that has 11 may still lack 10), and skipping one would leave
// a table or column missing that every later statement needs.
void Db::migrate() {
  schemaVersion();  // creates the table
  std::set<int> applied;
  {
    Stmt s(db_, "SELECT version FROM schema_version");
    while (s.step()) applied.insert(static_cast<int>(s.integer(0)));
  }
  for (const Migration& m : migrations()) {
    if (applied.count(m.version) != 0) continue;
    Transaction tx(*this);
    exec(m.sql);
    Stmt s(db_, "INSERT INTO schema_version (version, applied_at) VALUES (?, datetime('now'))");
    s.bind(1, m.version).run();
    tx.commit();
  }
}

}  // namespace dcgw::store::sqlite
