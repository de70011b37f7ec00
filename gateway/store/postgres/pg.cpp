// libpq connection, statements, transactions and migrations.
#include "gateway/store/postgres/pg.hpp"

#include <poll.h>

#include <cstdlib>
#include <set>

namespace dcgw::store::postgres {

ErrorCategory categoryOf(std::string_view s) {
  if (s == "53100") return ErrorCategory::Full;  // disk_full
  // Connection failures, the server shutting down or starting, a database dropped or renamed,
  // a read-only standby after a failover, refused credentials: nothing can be written now.
  if (s.substr(0, 2) == "08" || s.substr(0, 3) == "57P" || s == "3D000" || s == "25006" ||
      s == "53300" || s.substr(0, 2) == "28")
    return ErrorCategory::Unavailable;
  // Serialization failures, deadlocks, a lock not available: another writer won this time.
  if (s == "40001" || s == "40P01" || s == "55P03") return ErrorCategory::Busy;
  if (s.substr(0, 2) == "23") return ErrorCategory::Conflict;
  if (s.substr(0, 2) == "22") return ErrorCategory::Invalid;
  if (s == "XX001" || s == "XX002") return ErrorCategory::Corrupt;
  return ErrorCategory::Internal;
}

namespace {

// Serialises a migration run between nodes starting at once ("dcgw" and 1).
constexpr std::int64_t kMigrationLock = 0x6463677700000001;

std::string trimmed(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// SQLite's ? and ?N as PostgreSQL's $N, outside quoted text.
std::string dollarParameters(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'') quoted = !quoted;
    if (c != '?' || quoted) {
      out += c;
      continue;
    }
    std::size_t j = i + 1;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') ++j;
    if (j > i + 1) {
      out += '$';
      out.append(sql.substr(i + 1, j - i - 1));
      i = j - 1;
    } else {
      out += '$' + std::to_string(++next);
    }
  }
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

}  // namespace

Conn::Conn(std::string conninfo) : conninfo_(std::move(conninfo)) {
  // Defaults first, then the URL or conninfo (expanded as dbname), whose values win. A server
  // that stops answering (a partition) is noticed within about 25 s on an idle connection (the
  // keepalives) and within 10 s on one waiting for an answer (tcp_user_timeout: data sent and
  // not acknowledged), so a node cut off from the database finds out it lost its locks.
  const char* keys[] = {"connect_timeout",
                        "fallback_application_name",
                        "keepalives",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "tcp_user_timeout",
                        "dbname",
                        nullptr};
  const char* values[] = {"10", "dcgw", "1", "10", "5", "3", "10000", conninfo_.c_str(), nullptr};
  c_.reset(PQconnectdbParams(keys, values, 1));
  if (!c_ || PQstatus(c_.get()) != CONNECTION_OK) {
    lastError_ = c_ ? trimmed(PQerrorMessage(c_.get())) : "out of memory";
    throw PgError(ErrorCategory::Unavailable, "cannot connect to PostgreSQL: " + lastError_);
  }
  // Notices (NOTICE: relation already exists, ...) are not for the gateway's output.
  PQsetNoticeProcessor(
      c_.get(), [](void*, const char*) {}, nullptr);
}

void Conn::ensureConnected() {
  if (PQstatus(c_.get()) == CONNECTION_OK) return;
  if (inTx_)
    throw PgError(ErrorCategory::Unavailable,
                  "the connection to PostgreSQL was lost in a transaction: " + lastError_);
  PQreset(c_.get());
  prepared_.clear();  // a new session knows none of them
  if (PQstatus(c_.get()) != CONNECTION_OK) {
    lastError_ = trimmed(PQerrorMessage(c_.get()));
    throw PgError(ErrorCategory::Unavailable, "cannot reconnect to PostgreSQL: " + lastError_);
  }
  ++session_;
  PQsetNoticeProcessor(
      c_.get(), [](void*, const char*) {}, nullptr);
}

std::vector<std::string> Conn::notifications(int timeoutMs) {
  std::vector<std::string> out;
  auto drain = [&] {
    if (!PQconsumeInput(c_.get()) || PQstatus(c_.get()) != CONNECTION_OK) {
      lastError_ = trimmed(PQerrorMessage(c_.get()));
      throw PgError(ErrorCategory::Unavailable,
                    "the listening connection to PostgreSQL was lost: " + lastError_);
    }
    while (PGnotify* n = PQnotifies(c_.get())) {
      out.emplace_back(n->extra ? n->extra : "");
      PQfreemem(n);
    }
  };
  drain();
  if (!out.empty() || timeoutMs <= 0) return out;
  pollfd p{PQsocket(c_.get()), POLLIN, 0};
  if (p.fd < 0)
    throw PgError(ErrorCategory::Unavailable, "the listening connection to PostgreSQL is closed");
  if (::poll(&p, 1, timeoutMs) > 0) drain();
  return out;
}

void Conn::fail(PGresult* r, std::string_view what) {
  ResultPtr owned(r);
  std::string state;
  if (r) {
    const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (s) state = s;
  }
  lastError_ = trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(c_.get()));
  if (lastError_.empty()) lastError_ = trimmed(PQerrorMessage(c_.get()));
  const std::string message = std::string(what) + ": " + lastError_;
  if (PQstatus(c_.get()) != CONNECTION_OK)
    throw PgError(ErrorCategory::Unavailable,
                  message.empty() ? "the connection to PostgreSQL was lost" : message);
  throw PgError(state, message);
}

ResultPtr Conn::check(PGresult* r, std::string_view what) {
  const auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(r, what);
  const char* n = PQcmdTuples(r);
  changes_ = (n && *n) ? std::atoi(n) : 0;
  return ResultPtr(r);
}

// Outside a transaction a statement that finds the connection closed under it (a server
// restart, an idle timeout) is sent again once on a new connection: it was never executed. In a
// transaction the transaction is lost with the connection, and so is the statement.
template <class F>
auto Conn::reconnecting(F&& f) -> decltype(f()) {
  ensureConnected();
  if (inTx_) return f();
  try {
    return f();
  } catch (const PgError&) {
    if (PQstatus(c_.get()) == CONNECTION_OK) throw;
    ensureConnected();
    return f();
  }
}

void Conn::exec(std::string_view sql) {
  const std::string text(sql);
  reconnecting([&] { return check(PQexec(c_.get(), text.c_str()), text.substr(0, 60)); });
}

Stmt Conn::prepare(std::string_view sql) {
  return Stmt(*this, sql);
}

ResultPtr Conn::run(const std::string& sql, const std::vector<std::optional<std::string>>& values,
                    const std::vector<int>& formats) {
  return reconnecting([&] { return runOnce(sql, values, formats); });
}

ResultPtr Conn::runOnce(const std::string& sql,
                        const std::vector<std::optional<std::string>>& values,
                        const std::vector<int>& formats) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    const std::string name = "s" + std::to_string(prepared_.size() + 1);
    check(PQprepare(c_.get(), name.c_str(), sql.c_str(), 0, nullptr),
          "prepare " + sql.substr(0, 60));
    it = prepared_.emplace(sql, name).first;
  }
  std::vector<const char*> v(values.size());
  std::vector<int> lengths(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    v[i] = values[i] ? values[i]->data() : nullptr;
    lengths[i] = values[i] ? static_cast<int>(values[i]->size()) : 0;
  }
  return check(PQexecPrepared(c_.get(), it->second.c_str(), static_cast<int>(values.size()),
                              v.data(), lengths.data(), formats.data(), 0),
               sql.substr(0, 60));
}

int Conn::schemaVersion() {
  Stmt s(*this, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
  s.step();
  return static_cast<int>(s.integer(0));
}

// Every embedded migration not recorded yet, in order, in one transaction under an advisory
// lock: two nodes starting at once do not both apply one, and a failed migration leaves nothing.
void Conn::migrate() {
  Transaction tx(*this);
  prepare("SELECT pg_advisory_xact_lock(?)").bind(1, kMigrationLock).run();
  exec(
      "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
      "applied_at timestamptz NOT NULL DEFAULT now())");
  std::set<int> applied;
  {
    Stmt s(*this, "SELECT version FROM schema_version");
    while (s.step()) applied.insert(static_cast<int>(s.integer(0)));
  }
  // A newer dcgw migrated this database: this one would write without what the newer
  // migrations require of every node (the destination id lock of 005, for one).
  const int known = migrations().empty() ? 0 : migrations().back().version;
  if (!applied.empty() && *applied.rbegin() > known)
    throw PgError(ErrorCategory::Invalid,
                  "the database's schema is at version " + std::to_string(*applied.rbegin()) +
                      ", newer than this dcgw knows (" + std::to_string(known) +
                      "): it was migrated by a newer dcgw; run that one on every node");
  for (const Migration& m : migrations()) {
    if (applied.count(m.version) != 0) continue;
    exec(m.sql);
    prepare("INSERT INTO schema_version (version) VALUES (?)").bind(1, m.version).run();
  }
  tx.commit();
}

// ---------------------------------------------------------------- statements

Stmt::Stmt(Conn& conn, std::string_view sql) : conn_(conn), sql_(dollarParameters(sql)) {}

void Stmt::set(int i, std::optional<std::string> v, int format) {
  if (static_cast<std::size_t>(i) > values_.size()) {
    values_.resize(i);
    formats_.resize(i, 0);
  }
  values_[i - 1] = std::move(v);
  formats_[i - 1] = format;
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  set(i, std::to_string(v), 0);
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view t) {
  set(i, std::string(t), 0);
  return *this;
}
Stmt& Stmt::bindBlob(int i, const void* data, std::size_t size) {
  set(i, std::string(static_cast<const char*>(data), size), 1);
  return *this;
}
Stmt& Stmt::bindNull(int i) {
  set(i, std::nullopt, 0);
  return *this;
}

bool Stmt::step() {
  if (!result_) {
    result_ = conn_.run(sql_, values_, formats_);
    row_ = -1;
  }
  ++row_;
  return row_ < PQntuples(result_.get());
}

void Stmt::reset() {
  result_.reset();
  row_ = -1;
  values_.clear();
  formats_.clear();
}

bool Stmt::isNull(int col) const {
  return PQgetisnull(result_.get(), row_, col) != 0;
}

std::int64_t Stmt::integer(int col) const {
  const char* v = PQgetvalue(result_.get(), row_, col);
  if (!v || !*v) return 0;
  if (v[0] == 't') return 1;
  if (v[0] == 'f') return 0;
  return std::strtoll(v, nullptr, 10);
}

std::string Stmt::text(int col) const {
  return std::string(PQgetvalue(result_.get(), row_, col),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row_, col)));
}

// bytea in text format is "\x" and two hex digits a byte.
std::vector<std::uint8_t> Stmt::blob(int col) const {
  std::vector<std::uint8_t> out;
  if (isNull(col)) return out;
  const char* v = PQgetvalue(result_.get(), row_, col);
  const int n = PQgetlength(result_.get(), row_, col);
  if (n < 2 || v[0] != '\\' || v[1] != 'x') return out;
  out.reserve(static_cast<std::size_t>(n - 2) / 2);
  for (int i = 2; i + 1 < n; i += 2)
    out.push_back(static_cast<std::uint8_t>(hexValue(v[i]) << 4 | hexValue(v[i + 1])));
  return out;
}

// ---------------------------------------------------------------- transactions

Transaction::Transaction(Conn& c, Mode mode) : c_(c) {
  c_.ensureConnected();
  switch (mode) {
    case Mode::Durable:
      c_.exec("BEGIN");
      break;
    case Mode::Fast:
      // What such a commit holds is re-done if lost (a delivery sent again, a log line): it
      // need not wait for its WAL flush. A crash of the server may lose the last ones.
      c_.exec("BEGIN; SET LOCAL synchronous_commit = off");
      break;
    case Mode::Snapshot:
      c_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      break;
  }
  c_.inTx_ = true;
}

Transaction::~Transaction() {
  if (done_) return;
  c_.inTx_ = false;
  if (!c_.ok()) return;  // lost with the connection
  try {
    c_.exec("ROLLBACK");
  } catch (...) {
  }
}

void Transaction::commit() {
  done_ = true;
  c_.inTx_ = false;
  c_.ensureConnected();
  ResultPtr r = c_.check(PQexec(c_.c_.get(), "COMMIT"), "COMMIT");
  // A transaction that failed earlier answers COMMIT with ROLLBACK, not with an error.
  if (std::string_view(PQcmdStatus(r.get())) == "ROLLBACK")
    throw PgError(ErrorCategory::Internal, "the transaction had failed and was rolled back");
}

}  // namespace dcgw::store::postgres
