// The admin API's side of the store: queue audit views, devices, tokens and the audit log.
// Reads go through the read connection, so an audit never waits for an ingest commit.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "gateway/store/store.hpp"

namespace dcgw::store {
namespace {

using Lock = std::lock_guard<std::recursive_mutex>;

// Statements of the queue overview, shared by the query and its EXPLAIN QUERY PLAN.
constexpr const char* kOverviewDestinations =
    "SELECT d.id, d.name, d.method, d.enabled, d.paused, s.consecutive_failures, "
    "s.next_attempt_at, s.last_error, s.last_error_at, s.queued, s.delivered, "
    "s.failed_attempts, s.dead_letters, s.filtered FROM destinations d "
    "LEFT JOIN destination_state s ON s.destination_id = d.id "
    "WHERE d.removed_at IS NULL AND (?1 IS NULL OR d.id = ?1) ORDER BY d.id";
// Depth and the blocking entry from the queue index alone (deliveries_queue covers it).
constexpr const char* kOverviewDepth =
    "SELECT COUNT(*), MIN(id) FROM deliveries WHERE destination_id = ? AND state = 0";
constexpr const char* kOverviewOldest =
    "SELECT p.received_at FROM deliveries d JOIN packets p ON p.id = d.packet_id WHERE d.id = ?";

std::string sha256(const std::string& text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), out, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::optional<std::int64_t> optionalInteger(const Stmt& s, int col) {
  if (s.isNull(col)) return std::nullopt;
  return s.integer(col);
}

std::optional<std::string> optionalText(const Stmt& s, int col) {
  if (s.isNull(col)) return std::nullopt;
  return s.text(col);
}

constexpr const char* kDeviceColumns =
    "SELECT serial, location_id, registration, device_key IS NOT NULL, last_sequence "
    "FROM devices";

// A row of kDeviceColumns (the key itself is never read here, only whether there is one).
DeviceRecord readDevice(const Stmt& s) {
  return DeviceRecord{s.text(0), optionalInteger(s, 1), s.text(2), s.integer(3) != 0,
                      static_cast<std::uint32_t>(s.integer(4))};
}

}  // namespace

std::vector<QueueOverview> Store::queueOverview() {
  return overview(std::nullopt);
}

std::optional<QueueOverview> Store::queue(std::int64_t destinationId) {
  auto one = overview(destinationId);
  if (one.empty()) return std::nullopt;
  return std::move(one.front());
}

std::vector<QueueOverview> Store::overview(std::optional<std::int64_t> destinationId) {
  std::lock_guard lock(readerMu_);
  // One read transaction: every figure of the overview is from the same moment.
  reader_->exec("BEGIN");
  std::vector<QueueOverview> out;
  try {
    Stmt s = reader_->prepare(kOverviewDestinations);
    s.bind(1, destinationId);
    while (s.step()) {
      QueueOverview q;
      q.destinationId = s.integer(0);
      q.name = s.text(1);
      q.method = s.text(2);
      q.enabled = s.integer(3) != 0;
      q.paused = s.integer(4) != 0;
      q.state.consecutiveFailures = static_cast<int>(s.integer(5));
      q.state.nextAttemptAtMs = s.integer(6);
      q.state.lastError = s.text(7);
      q.lastErrorAtMs = optionalInteger(s, 8);
      q.counters.queued = s.integer(9);
      q.counters.delivered = s.integer(10);
      q.counters.failedAttempts = s.integer(11);
      q.counters.deadLetters = s.integer(12);
      q.counters.filtered = s.integer(13);
      out.push_back(std::move(q));
    }
    Stmt depth = reader_->prepare(kOverviewDepth);
    Stmt oldest = reader_->prepare(kOverviewOldest);
    for (auto& q : out) {
      depth.bind(1, q.destinationId).step();
      q.counters.depth = depth.integer(0);
      if (!depth.isNull(1)) {
        q.blockingEntryId = depth.integer(1);
        if (oldest.bind(1, *q.blockingEntryId).step())
          q.counters.oldestPendingReceivedAtMs = oldest.integer(0);
        oldest.reset();
      }
      depth.reset();
    }
  } catch (...) {
    reader_->exec("ROLLBACK");
    throw;
  }
  reader_->exec("COMMIT");
  return out;
}

std::vector<std::string> Store::overviewQueryPlan() {
  std::lock_guard lock(readerMu_);
  std::vector<std::string> out;
  for (const char* sql : {kOverviewDestinations, kOverviewDepth, kOverviewOldest}) {
    out.push_back(std::string("-- ") + sql);
    Stmt s = reader_->prepare(std::string("EXPLAIN QUERY PLAN ") + sql);
    while (s.step()) out.push_back("   " + s.text(3));
  }
  return out;
}

std::vector<QueueEntry> Store::entries(std::int64_t destinationId, const EntryFilter& f) {
  // Built from the filters given, so each query gets the plan of its own shape: with a state,
  // deliveries_queue (destination_id, state, id) serves the order and the cursor directly.
  std::string sql =
      "SELECT d.id, d.destination_id, d.packet_id, d.state, d.attempts, p.received_at, "
      "d.finished_at, d.reason, p.serial, p.registration, p.type, p.filter_key, p.data "
      "FROM deliveries d JOIN packets p ON p.id = d.packet_id "
      "WHERE d.destination_id = ?1 AND d.id > ?2";
  if (f.state) sql += " AND d.state = ?3";
  if (f.type) sql += " AND p.type = ?4";
  if (f.serial) sql += " AND p.serial = ?5";
  if (f.fromMs) sql += " AND p.received_at >= ?6";
  if (f.toMs) sql += " AND p.received_at < ?7";
  sql += " ORDER BY d.id LIMIT ?8";
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(sql);
  s.bind(1, destinationId).bind(2, f.afterId);
  if (f.state) s.bind(3, static_cast<std::int64_t>(*f.state));
  if (f.type) s.bind(4, static_cast<std::int64_t>(*f.type));
  if (f.serial) s.bind(5, *f.serial);
  if (f.fromMs) s.bind(6, *f.fromMs);
  if (f.toMs) s.bind(7, *f.toMs);
  s.bind(8, static_cast<std::int64_t>(f.limit));
  std::vector<QueueEntry> out;
  while (s.step()) {
    QueueEntry e;
    e.id = s.integer(0);
    e.destinationId = s.integer(1);
    e.packetId = s.integer(2);
    e.state = static_cast<DeliveryState>(s.integer(3));
    e.attempts = static_cast<int>(s.integer(4));
    e.receivedAtMs = s.integer(5);
    e.finishedAtMs = optionalInteger(s, 6);
    e.reason = optionalText(s, 7);
    e.serial = s.text(8);
    e.registration = s.text(9);
    e.type = static_cast<int>(s.integer(10));
    e.filterKey = optionalText(s, 11);
    e.data = s.blob(12);
    out.push_back(std::move(e));
  }
  Stmt h = reader_->prepare(
      "SELECT at, outcome, reason, duration_us FROM attempts WHERE delivery_id = ? ORDER BY id");
  for (auto& e : out) {
    h.bind(1, e.id);
    while (h.step()) e.history.push_back({h.integer(0), h.text(1), h.text(2), h.integer(3)});
    h.reset();
  }
  return out;
}

std::optional<QueueEntry> Store::entry(std::int64_t destinationId, std::int64_t entryId) {
  EntryFilter f;
  f.afterId = entryId - 1;
  f.limit = 1;
  auto page = entries(destinationId, f);
  if (page.empty() || page.front().id != entryId) return std::nullopt;
  return std::move(page.front());
}

std::vector<std::int64_t> Store::locationsOf(std::int64_t destinationId) {
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(
      "SELECT location_id FROM location_destinations WHERE destination_id = ? ORDER BY 1");
  s.bind(1, destinationId);
  std::vector<std::int64_t> out;
  while (s.step()) out.push_back(s.integer(0));
  return out;
}

std::optional<LocationConfig> Store::location(std::int64_t id) {
  for (auto& l : locations())
    if (l.id == id) return l;
  return std::nullopt;
}

std::int64_t Store::deviceCount(std::int64_t locationId) {
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare("SELECT COUNT(*) FROM devices WHERE location_id = ?");
  s.bind(1, locationId).step();
  return s.integer(0);
}

codecs::Status Store::removeLocation(std::int64_t id) {
  Lock lock(mu_);
  Transaction tx(db_);
  db_.prepare("UPDATE devices SET location_id = NULL WHERE location_id = ?").bind(1, id).run();
  db_.prepare("DELETE FROM location_destinations WHERE location_id = ?").bind(1, id).run();
  db_.prepare("DELETE FROM locations WHERE id = ?").bind(1, id).run();
  if (db_.changes() == 0) return codecs::makeError("id", 0, "an existing location");
  tx.commit();
  return codecs::Ok{};
}

std::vector<DeviceRecord> Store::devices() {
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(std::string(kDeviceColumns) + " ORDER BY serial");
  std::vector<DeviceRecord> out;
  while (s.step()) out.push_back(readDevice(s));
  return out;
}

std::optional<DeviceRecord> Store::device(const std::string& serial) {
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(std::string(kDeviceColumns) + " WHERE serial = ?");
  if (!s.bind(1, serial).step()) return std::nullopt;
  return readDevice(s);
}

codecs::Status Store::removeDevice(const std::string& serial) {
  Lock lock(mu_);
  db_.prepare("DELETE FROM devices WHERE serial = ?").bind(1, serial).run();
  if (db_.changes() == 0) return codecs::makeError("serial", 0, "a registered device");
  return codecs::Ok{};
}

bool Store::removeRefusedIdent(const std::string& serial) {
  Lock lock(mu_);
  db_.prepare("DELETE FROM refused_idents WHERE serial = ?").bind(1, serial).run();
  return db_.changes() > 0;
}

std::pair<TokenRecord, std::string> Store::createToken(const std::string& name,
                                                       const std::string& role,
                                                       std::int64_t nowMs) {
  if (role != "admin" && role != "auditor")
    throw std::invalid_argument("role must be admin or auditor, not '" + role + "'");
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1)
    throw std::runtime_error("OpenSSL RAND_bytes failed: no token");
  const std::string secret = "dcgw_" + codecs::toHex(codecs::ByteView(random, sizeof random));
  const std::string hash = sha256(secret);
  Lock lock(mu_);
  db_.prepare("INSERT INTO api_tokens (name, role, hash, created_at) VALUES (?,?,?,?)")
      .bind(1, name)
      .bind(2, role)
      .bindBlob(3, hash.data(), hash.size())
      .bind(4, nowMs)
      .run();
  return {TokenRecord{db_.lastInsertId(), name, role, nowMs, std::nullopt}, secret};
}

std::optional<TokenRecord> Store::authenticate(const std::string& secret, std::int64_t nowMs) {
  const std::string hash = sha256(secret);
  std::optional<TokenRecord> t;
  {
    std::lock_guard lock(readerMu_);
    Stmt s = reader_->prepare(
        "SELECT id, name, role, created_at, last_used_at FROM api_tokens "
        "WHERE hash = ? AND revoked_at IS NULL");
    if (!s.bindBlob(1, hash.data(), hash.size()).step()) return std::nullopt;
    t = TokenRecord{s.integer(0), s.text(1), s.text(2), s.integer(3), optionalInteger(s, 4)};
  }
  // Last use to the minute: a write per request would make every audit read a write.
  if (!t->lastUsedAtMs || nowMs - *t->lastUsedAtMs > 60'000) {
    Lock lock(mu_);
    db_.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
        .bind(1, nowMs)
        .bind(2, t->id)
        .run();
  }
  return t;
}

std::vector<TokenRecord> Store::tokens() {
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(
      "SELECT id, name, role, created_at, last_used_at FROM api_tokens WHERE revoked_at IS NULL "
      "ORDER BY id");
  std::vector<TokenRecord> out;
  while (s.step())
    out.push_back({s.integer(0), s.text(1), s.text(2), s.integer(3), optionalInteger(s, 4)});
  return out;
}

bool Store::revokeToken(std::int64_t id, std::int64_t nowMs) {
  Lock lock(mu_);
  db_.prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
      .bind(1, nowMs)
      .bind(2, id)
      .run();
  return db_.changes() > 0;
}

void Store::appendAudit(const AuditRecord& r) {
  Lock lock(mu_);
  Stmt s = db_.prepare(
      "INSERT INTO audit_log (at, actor, role, action, target, before, after) "
      "VALUES (?,?,?,?,?,?,?)");
  s.bind(1, r.atMs).bind(2, r.actor).bind(3, r.role).bind(4, r.action).bind(5, r.target);
  if (r.before) {
    s.bind(6, *r.before);
  } else {
    s.bindNull(6);
  }
  if (r.after) {
    s.bind(7, *r.after);
  } else {
    s.bindNull(7);
  }
  s.run();
}

std::vector<AuditRecord> Store::audit(std::int64_t beforeId, int limit) {
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(
      "SELECT id, at, actor, role, action, target, before, after FROM audit_log "
      "WHERE id < ? ORDER BY id DESC LIMIT ?");
  s.bind(1, beforeId).bind(2, static_cast<std::int64_t>(limit));
  std::vector<AuditRecord> out;
  while (s.step())
    out.push_back({s.integer(0), s.integer(1), s.text(2), s.text(3), s.text(4), s.text(5),
                   optionalText(s, 6), optionalText(s, 7)});
  return out;
}

}  // namespace dcgw::store
