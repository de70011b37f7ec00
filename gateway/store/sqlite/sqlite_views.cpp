// The SQLite backend's views for the admin: the queue overview, entries with their attempt
// history, and the audit log. Reads go through the read connection, so an audit never waits for
// an ingest commit.
#include <algorithm>
#include <iterator>
#include <limits>

#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/delivered_runs.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::store {
using sqlite::Stmt;

namespace {

// Statements of the queue overview, shared by the query and its EXPLAIN QUERY PLAN.
constexpr const char* kOverviewDestinations =
    "SELECT d.id, d.name, d.method, d.enabled, d.paused, s.consecutive_failures, "
    "s.next_attempt_at, s.last_error, s.last_error_at, s.queued, s.delivered, "
    "s.failed_attempts, s.dead_letters, s.filtered FROM destinations d "
    "LEFT JOIN destination_state s ON s.destination_id = d.id "
    "WHERE d.removed_at IS NULL AND (?1 IS NULL OR d.id = ?1) ORDER BY d.id";
// Depth and the blocking entry from the pending rows' index alone (deliveries_pending).
constexpr const char* kOverviewDepth =
    "SELECT COUNT(*), MIN(id) FROM deliveries INDEXED BY deliveries_pending "
    "WHERE destination_id = ? AND state = 0";
constexpr const char* kOverviewOldest =
    "SELECT p.received_at FROM deliveries d JOIN packets p ON p.id = d.packet_id "
    "WHERE d.destination_id = ? AND d.id = ?";

std::optional<std::int64_t> optionalInteger(const Stmt& s, int col) {
  if (s.isNull(col)) return std::nullopt;
  return s.integer(col);
}

std::optional<std::string> optionalText(const Stmt& s, int col) {
  if (s.isNull(col)) return std::nullopt;
  return s.text(col);
}

}  // namespace

std::vector<QueueOverview> SqliteStore::queueOverview() {
  return overview(std::nullopt);
}

std::optional<QueueOverview> SqliteStore::queue(std::int64_t destinationId) {
  auto one = overview(destinationId);
  if (one.empty()) return std::nullopt;
  return std::move(one.front());
}

std::vector<QueueOverview> SqliteStore::overview(std::optional<std::int64_t> destinationId) {
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
        if (oldest.bind(1, q.destinationId).bind(2, *q.blockingEntryId).step())
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

std::vector<std::string> SqliteStore::overviewQueryPlan() {
  std::lock_guard lock(readerMu_);
  std::vector<std::string> out;
  for (const char* sql : {kOverviewDestinations, kOverviewDepth, kOverviewOldest}) {
    out.push_back(std::string("-- ") + sql);
    Stmt s = reader_->prepare(std::string("EXPLAIN QUERY PLAN ") + sql);
    while (s.step()) out.push_back("   " + s.text(3));
  }
  return out;
}

std::vector<QueueEntry> SqliteStore::entries(std::int64_t destinationId, const EntryFilter& f) {
  std::lock_guard lock(readerMu_);
  // One read transaction: a row that becomes a run entry meanwhile is read once.
  reader_->exec("BEGIN");
  std::vector<QueueEntry> out;
  try {
    out = entriesIn(destinationId, f);
  } catch (...) {
    reader_->exec("ROLLBACK");
    throw;
  }
  reader_->exec("COMMIT");
  return out;
}

std::vector<QueueEntry> SqliteStore::entriesIn(std::int64_t destinationId, const EntryFilter& f) {
  // Built from the filters given, so each query gets the plan of its own shape: the table's own
  // order (destination_id, id) serves the order and the cursor; a state is written into the
  // statement, so that pending rows and dead letters are read from their partial indexes.
  std::string sql =
      "SELECT d.id, d.destination_id, d.packet_id, d.state, d.attempts, p.received_at, "
      "d.finished_at, d.reason, p.serial, p.registration, p.type, p.filter_key, p.data, "
      "p.origin, d.duration_us FROM " +
      (f.state ? sqlite::deliveriesOfState(*f.state) : std::string("deliveries d")) +
      " JOIN packets p ON p.id = d.packet_id WHERE d.destination_id = ?1 AND d.id > ?2";
  if (f.state) sql += " AND d.state = " + std::to_string(static_cast<int>(*f.state));
  if (f.type) sql += " AND p.type = ?4";
  if (f.serial) sql += " AND p.serial = ?5";
  if (f.fromMs) sql += " AND p.received_at >= ?6";
  if (f.toMs) sql += " AND p.received_at < ?7";
  sql += " ORDER BY d.id LIMIT ?8";
  Stmt s = reader_->prepare(sql);
  s.bind(1, destinationId).bind(2, f.afterId);
  if (f.type) s.bind(4, static_cast<std::int64_t>(*f.type));
  if (f.serial) s.bind(5, *f.serial);
  if (f.fromMs) s.bind(6, *f.fromMs);
  if (f.toMs) s.bind(7, *f.toMs);
  s.bind(8, static_cast<std::int64_t>(f.limit));
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
  if ((f.state && *f.state != DeliveryState::Delivered) || f.limit <= 0) return out;
  // Deliveries kept as run entries (migration 016), merged in by id: those before the last row
  // read (or any, when fewer rows than the limit were), through the same filters.
  const std::int64_t bound = out.size() == static_cast<std::size_t>(f.limit)
                                 ? out.back().id
                                 : std::numeric_limits<std::int64_t>::max();
  Stmt packet = reader_->prepare(
      "SELECT received_at, serial, registration, type, filter_key, data, origin FROM packets "
      "WHERE id = ?");
  std::vector<QueueEntry> more;
  sqlite::forEachRun(*reader_, destinationId, f.afterId, [&](sqlite::Run& r) {
    for (const sqlite::RunEntry& x : r.entries) {
      if (x.id <= f.afterId) continue;
      if (x.id >= bound || more.size() >= static_cast<std::size_t>(f.limit)) return false;
      packet.bind(1, x.packetId);
      if (!packet.step()) {
        packet.reset();
        continue;
      }
      QueueEntry e;
      e.id = x.id;
      e.destinationId = destinationId;
      e.packetId = x.packetId;
      e.state = DeliveryState::Delivered;
      e.attempts = 1;
      e.receivedAtMs = packet.integer(0);
      e.finishedAtMs = x.finishedAtMs;
      e.serial = packet.text(1);
      e.registration = packet.text(2);
      e.type = static_cast<int>(packet.integer(3));
      e.filterKey = optionalText(packet, 4);
      e.data = packet.blob(5);
      e.origin = packet.blob(6);
      packet.reset();
      if ((f.type && e.type != *f.type) || (f.serial && e.serial != *f.serial) ||
          (f.fromMs && e.receivedAtMs < *f.fromMs) || (f.toMs && e.receivedAtMs >= *f.toMs))
        continue;
      e.history.push_back({x.finishedAtMs, "delivered", "", x.durationUs});
      more.push_back(std::move(e));
    }
    return true;
  });
  if (more.empty()) return out;
  std::vector<QueueEntry> merged;
  merged.reserve(out.size() + more.size());
  std::merge(std::make_move_iterator(out.begin()), std::make_move_iterator(out.end()),
             std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()),
             std::back_inserter(merged),
             [](const QueueEntry& a, const QueueEntry& b) { return a.id < b.id; });
  if (merged.size() > static_cast<std::size_t>(f.limit))
    merged.resize(static_cast<std::size_t>(f.limit));
  return merged;
}

std::optional<QueueEntry> SqliteStore::entry(std::int64_t destinationId, std::int64_t entryId) {
  EntryFilter f;
  f.afterId = entryId - 1;
  f.limit = 1;
  auto page = entries(destinationId, f);
  if (page.empty() || page.front().id != entryId) return std::nullopt;
  return std::move(page.front());
}

std::vector<AuditRecord> SqliteStore::audit(std::int64_t beforeId, int limit) {
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
