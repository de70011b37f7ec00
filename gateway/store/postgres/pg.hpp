// RAII over libpq: a connection that reconnects when it is idle, parameterised statements (never
// a value spliced into SQL text), transactions and the numbered migrations of schema/postgres
// applied at start-up under an advisory lock. Private to the PostgreSQL backend: the only header
// of the project that includes libpq-fe.h (ctest Store.DatabaseHeadersStayInsideTheirBackend).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/store/errors.hpp"

namespace dcgw::store::postgres {

// The category of a SQLSTATE (53100 disk full -> Full, class 08 -> Unavailable, ...).
ErrorCategory categoryOf(std::string_view sqlstate);

// A failed libpq call: a StoreError of the SQLSTATE's category that keeps the code.
class PgError : public StoreError {
 public:
  PgError(std::string sqlstate, const std::string& what)
      : StoreError(categoryOf(sqlstate), what), sqlstate_(std::move(sqlstate)) {}
  PgError(ErrorCategory category, const std::string& what) : StoreError(category, what) {}
  const std::string& sqlstate() const { return sqlstate_; }  // "" when there was none

 private:
  std::string sqlstate_;
};

struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultFree>;
struct ConnFree {
  void operator()(PGconn* c) const { PQfinish(c); }
};

class Stmt;

class Conn {
 public:
  // Connects to `conninfo` (a postgresql:// URL or key=value pairs). Throws PgError.
  explicit Conn(std::string conninfo);
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Statements without parameters (several allowed: migrations).
  void exec(std::string_view sql);
  Stmt prepare(std::string_view sql);
  int changes() const { return changes_; }  // rows the last statement changed
  // Reconnects a connection that was lost, when no transaction is open on it (an open one is
  // lost with it: its statements fail). Throws PgError(Unavailable) when it cannot.
  void ensureConnected();
  bool ok() const { return PQstatus(c_.get()) == CONNECTION_OK; }
  // The server process of this session: another after a reconnect (session locks lost).
  int backendPid() const { return PQbackendPID(c_.get()); }
  // Raised at each reconnection: what was learnt of the server's state on the earlier session
  // (a crash or a failover may have lost its last commits) is to be read again.
  std::uint64_t session() const { return session_; }
  // The payloads of the notifications that arrived (LISTEN), waiting up to timeoutMs for the
  // first. Throws PgError(Unavailable) when the connection is lost (it does not reconnect).
  std::vector<std::string> notifications(int timeoutMs);
  const std::string& lastError() const { return lastError_; }
  int schemaVersion();
  void migrate();

  // Runs one parameterised statement (prepared once per connection). Throws PgError.
  ResultPtr run(const std::string& sql, const std::vector<std::optional<std::string>>& values,
                const std::vector<int>& formats);

 private:
  std::uint64_t session_{1};
  friend class Stmt;
  friend class Transaction;
  ResultPtr runOnce(const std::string& sql, const std::vector<std::optional<std::string>>& values,
                    const std::vector<int>& formats);
  template <class F>
  auto reconnecting(F&& f) -> decltype(f());
  [[noreturn]] void fail(PGresult* r, std::string_view what);
  ResultPtr check(PGresult* r, std::string_view what);

  std::string conninfo_;
  std::unique_ptr<PGconn, ConnFree> c_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
  int changes_{0};
  std::string lastError_;
  bool inTx_{false};  // a Transaction is open: a lost connection is not silently replaced
};

// One statement with SQLite's spelling of parameters (? and ?N, turned into $N), so the two
// backends' statements read alike. Values are sent as text, bytes in binary format.
class Stmt {
 public:
  Stmt(Conn& conn, std::string_view sql);

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::string_view text);
  Stmt& bindBlob(int i, const void* data, std::size_t size);
  Stmt& bindNull(int i);
  Stmt& bind(int i, std::optional<std::int64_t> v) { return v ? bind(i, *v) : bindNull(i); }
  // Executes at the first call; true while a row is available. Throws PgError.
  bool step();
  void run() {
    step();
    reset();
  }
  void reset();

  std::int64_t integer(int col) const;  // booleans read as 1 / 0
  std::string text(int col) const;
  std::vector<std::uint8_t> blob(int col) const;
  bool isNull(int col) const;

 private:
  void set(int i, std::optional<std::string> v, int format);
  Conn& conn_;
  std::string sql_;
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;
  ResultPtr result_;
  int row_{-1};
};

// BEGIN ... COMMIT, rolled back unless commit() was called.
class Transaction {
 public:
  // Durable: the commit waits for its WAL flush (an acknowledged packet is on disk). Fast: it
  // does not (what it holds is re-done if lost). Snapshot: reads of one moment, no writes.
  enum class Mode { Durable, Fast, Snapshot };
  explicit Transaction(Conn& c, Mode mode = Mode::Durable);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Conn& c_;
  bool done_{false};
};

// The migrations, in order: embedded from schema/postgres/NNN_*.sql at build time.
struct Migration {
  int version;
  const char* name;
  const char* sql;
};
const std::vector<Migration>& migrations();

}  // namespace dcgw::store::postgres
