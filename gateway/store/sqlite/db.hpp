// RAII over SQLite: a connection, prepared statements, transactions and the numbered migrations
// of schema/sqlite applied at start-up. Private to the SQLite backend: the only header of the
// project that includes sqlite3.h (ctest Store.DatabaseHeadersStayInsideTheirBackend checks it).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/store/errors.hpp"

namespace dcgw::store::sqlite {

// The category of an SQLite primary result code (SQLITE_FULL -> Full, ...).
ErrorCategory categoryOf(int code);

// A failed SQLite call: a StoreError of the code's category that keeps the code for the backend.
class SqliteError : public StoreError {
 public:
  SqliteError(int code, const std::string& what)
      : StoreError(categoryOf(code), what), code_(code) {}
  int code() const { return code_; }  // the primary result code

 private:
  int code_;
};

class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql);
  ~Stmt();
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::string_view text);
  Stmt& bindBlob(int i, const void* data, std::size_t size);
  Stmt& bindNull(int i);
  Stmt& bind(int i, std::optional<std::int64_t> v) { return v ? bind(i, *v) : bindNull(i); }
  // true: a row is available; false: done. Throws SqliteError.
  bool step();
  void run() {  // step to completion, then reset for reuse
    while (step()) {
    }
    reset();
  }
  void reset();

  std::int64_t integer(int col) const { return sqlite3_column_int64(s_, col); }
  bool isNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  int type(int col) const { return sqlite3_column_type(s_, col); }  // SQLITE_INTEGER ...
  double real(int col) const { return sqlite3_column_double(s_, col); }
  int columns() const { return sqlite3_column_count(s_); }
  std::string text(int col) const;
  std::vector<std::uint8_t> blob(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* s_{nullptr};
};

class Db {
 public:
  // Opens (creating) the database: WAL, foreign keys on, busy timeout, then the migrations.
  explicit Db(const std::string& path);
  // Opens an existing database read-only, as it is: no pragma written, no migration (a reader
  // that must change nothing, such as `dcgw export`; missingMigrations() says what it lacks).
  struct ReadOnly {};
  Db(const std::string& path, ReadOnly);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* handle() const { return db_; }
  void exec(std::string_view sql);
  Stmt prepare(std::string_view sql) { return Stmt(db_, sql); }
  std::int64_t lastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  int schemaVersion();

 private:
  void migrate();
  sqlite3* db_{nullptr};
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!done_) {
      try {
        db_.exec("ROLLBACK");
      } catch (...) {
      }
    }
  }
  void commit() {
    db_.exec("COMMIT");
    done_ = true;
  }

 private:
  Db& db_;
  bool done_{false};
};

// The migrations, in order: embedded from schema/sqlite/NNN_*.sql at build time.
struct Migration {
  int version;
  const char* name;
  const char* sql;
};
const std::vector<Migration>& migrations();
// The versions of migrations() not applied to `db` (all of them for a file that is no store).
std::vector<int> missingMigrations(Db& db);

}  // namespace dcgw::store::sqlite
