// The PostgreSQL backend's views for the admin: the queue overview, entries with their attempt
// history, and the audit log. Reads go through the read connection, so an audit never waits for
// an ingest commit.
#include "gateway/store/postgres/pg.hpp"
#include "gateway/store/postgres/postgres_store.hpp"

namespace dcgw::store {
using postgres::Stmt;
using postgres::Transaction;

namespace {

// Statements of the queue overview, shared by the query and its EXPLAIN QUERY PLAN.
constexpr const char* kOverviewDestinations =
    "SELECT d.id, d.name, d.method, d.enabled, d.paused, s.consecutive_failures, "
    "s.next_attempt_at, s.last_error, s.last_error_at, s.queued, s.delivered, "
    "s.failed_attempts, s.dead_letters, s.filtered FROM destinations d "
    "LEFT JOIN destination_state s ON s.destination_id = d.id "
    "WHERE d.removed_at IS NULL AND (?1::bigint IS NULL OR d.id = ?1) ORDER BY d.id";
std::optional<std::int64_t> optionalInteger(const Stmt& s, int col) {
  if (s.isNull(col)) return std::nullopt;
  return s.integer(col);
}

std::optional<std::string> optionalText(const Stmt& s, int col) {
  if (s.isNull(col)) return std::nullopt;
  return s.text(col);
}

}  // namespace

// Depth and the blocking entry from the pending rows' partial index alone (a join with the
// packets over every pending row is a hash join over the whole queue: 50 ms at 100,000).
const char* const PostgresStore::kDepthSql =
    "SELECT COUNT(*), MIN(id) FROM deliveries WHERE destination_id = ? AND state = 0";
const char* const PostgresStore::kOldestSql =
    "SELECT p.received_at FROM deliveries d JOIN packets p ON p.id = d.packet_id WHERE d.id = ?";

std::vector<QueueOverview> PostgresStore::queueOverview() {
  return overview(std::nullopt);
}

std::optional<QueueOverview> PostgresStore::queue(std::int64_t destinationId) {
  auto one = overview(destinationId);
  if (one.empty()) return std::nullopt;
  return std::move(one.front());
}

std::vector<QueueOverview> PostgresStore::overview(std::optional<std::int64_t> destinationId) {
  std::lock_guard lock(readerMu_);
  // One snapshot: every figure of the overview is from the same moment.
  Transaction tx(*reader_, Transaction::Mode::Snapshot);
  std::vector<QueueOverview> out;
  {
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
    Stmt depth = reader_->prepare(kDepthSql);
    Stmt oldest = reader_->prepare(kOldestSql);
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
  }
  tx.commit();
  return out;
}

std::vector<std::string> PostgresStore::overviewQueryPlan() {
  std::lock_guard lock(readerMu_);
  std::vector<std::string> out;
  for (const char* sql : {kOverviewDestinations, kDepthSql, kOldestSql}) {
    out.push_back(std::string("-- ") + sql);
    Stmt s = reader_->prepare(std::string("EXPLAIN ") + sql);
    if (sql == kOverviewDestinations)
      s.bindNull(1);
    else
      s.bind(1, std::int64_t{0});
    while (s.step()) out.push_back("   " + s.text(0));
  }
  return out;
}

std::vector<QueueEntry> PostgresStore::entries(std::int64_t destinationId, const EntryFilter& f) {
  // Built from the filters given, so each query gets the plan of its own shape: with a state,
  // deliveries_queue (destination_id, state, id) serves the order and the cursor directly.
  // Parameters are numbered in the order they appear: PostgreSQL types each one it sees.
  std::string sql =
      "SELECT d.id, d.destination_id, d.packet_id, d.state, d.attempts, p.received_at, "
      "d.finished_at, d.reason, p.serial, p.registration, p.type, p.filter_key, p.data, "
      "p.origin, d.duration_us FROM deliveries d JOIN packets p ON p.id = d.packet_id "
      "WHERE d.destination_id = ? AND d.id > ?";
  if (f.state) sql += " AND d.state = ?";
  if (f.type) sql += " AND p.type = ?";
  if (f.serial) sql += " AND p.serial = ?";
  if (f.fromMs) sql += " AND p.received_at >= ?";
  if (f.toMs) sql += " AND p.received_at < ?";
  sql += " ORDER BY d.id LIMIT ?";
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(sql);
  int i = 1;
  s.bind(i++, destinationId);
  s.bind(i++, f.afterId);
  if (f.state) s.bind(i++, static_cast<std::int64_t>(*f.state));
  if (f.type) s.bind(i++, static_cast<std::int64_t>(*f.type));
  if (f.serial) s.bind(i++, *f.serial);
  if (f.fromMs) s.bind(i++, *f.fromMs);
  if (f.toMs) s.bind(i++, *f.toMs);
  s.bind(i, static_cast<std::int64_t>(f.limit));
  std::vector<QueueEntry> out;
  std::vector<std::optional<std::int64_t>> kept;  // the successful attempt kept in the row
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
    e.origin = s.blob(13);  // empty for NULL
    kept.push_back(optionalInteger(s, 14));
    out.push_back(std::move(e));
  }
  Stmt h = reader_->prepare(
      "SELECT at, outcome, reason, duration_us FROM attempts WHERE delivery_id = ? ORDER BY id");
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto& e = out[i];
    h.bind(1, e.id);
    while (h.step()) e.history.push_back({h.integer(0), h.text(1), h.text(2), h.integer(3)});
    h.reset();
    if (e.state == DeliveryState::Delivered && kept[i] && e.finishedAtMs)
      e.history.push_back({*e.finishedAtMs, "delivered", "", *kept[i]});
  }
  return out;
}

std::optional<QueueEntry> PostgresStore::entry(std::int64_t destinationId, std::int64_t entryId) {
  EntryFilter f;
  f.afterId = entryId - 1;
  f.limit = 1;
  auto page = entries(destinationId, f);
  if (page.empty() || page.front().id != entryId) return std::nullopt;
  return std::move(page.front());
}

std::vector<AuditRecord> PostgresStore::audit(std::int64_t beforeId, int limit) {
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
