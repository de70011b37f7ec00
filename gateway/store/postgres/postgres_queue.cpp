// The PostgreSQL backend's ingest log and delivery queues: routed packets appended with their
// delivery rows in one transaction, each destination's queue read and worked in order, the
// admin's queue actions, and pruning.

// GCC 12 reports a false maybe-uninitialized inside std::optional<std::vector> moves.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "codecs/bytes.hpp"
#include "gateway/store/postgres/pg.hpp"
#include "gateway/store/postgres/postgres_store.hpp"

namespace dcgw::store {
using postgres::Conn;
using postgres::Stmt;
using postgres::Transaction;

namespace {
using Lock = std::lock_guard<std::recursive_mutex>;
}  // namespace

std::optional<std::vector<AppendOutcome>> PostgresStore::append(
    const std::vector<RoutedItem>& items, std::int64_t configVersion, const SequenceRules& rules) {
  // A serialization failure or a deadlock with another node's batch stored nothing: the batch
  // is tried again as a whole (its sequence marks are read again too).
  for (int attempt = 1;; ++attempt) {
    const std::uint64_t duplicatesBefore = duplicates_;
    try {
      return appendOnce(items, configVersion, rules);
    } catch (const StoreError& e) {
      duplicates_ = duplicatesBefore;
      if (e.category() != ErrorCategory::Busy || attempt == 3) throw;
    }
  }
}

namespace {

// A PostgreSQL array literal, to pass a column of a batch as one parameter (text format).
class ArrayLiteral {
 public:
  void add(std::int64_t v) {
    separate();
    text_ += std::to_string(v);
  }
  void add(std::string_view v) {
    separate();
    text_ += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
  }
  void addBytes(const codecs::Bytes& b) {  // bytea's hex form, its backslash escaped
    separate();
    text_ += "\"\\\\x" + codecs::toHex(b) + '"';
  }
  void addNull() {
    separate();
    text_ += "NULL";
  }
  std::string str() const { return "{" + text_ + "}"; }

 private:
  void separate() {
    if (!text_.empty()) text_ += ',';
  }
  std::string text_;
};

}  // namespace

// The batch in a number of round trips that does not grow with its packets (statements over
// arrays): the version check, the destinations' id locks, the devices' rows, the ids, the
// packets, the delivery rows, the devices' marks; then one per destination for its counters
// and one per driver a packet revealed (both few).
std::optional<std::vector<AppendOutcome>> PostgresStore::appendOnce(
    const std::vector<RoutedItem>& items, std::int64_t configVersion, const SequenceRules& rules) {
  Lock lock(mu_);
  // Normal durability: the commit does not wait for its WAL flush (a crash of the server may
  // lose the last batches; a crash of the gateway loses nothing committed).
  Transaction tx(
      *db_, durability_ == Durability::Full ? Transaction::Mode::Durable : Transaction::Mode::Fast);
  {
    // FOR SHARE: a configuration change (which raises the version) waits for this batch, and
    // this batch for a change in progress, so nothing commits on a routing older than it.
    Stmt v = db_->prepare("SELECT version FROM config_version WHERE id = 1 FOR SHARE");
    if (!v.step() || v.integer(0) != configVersion) return std::nullopt;  // rolled back
  }
  {
    // Each destination's id lock, held to the commit, before any of its delivery rows is
    // inserted: a destination's delivery ids are taken, and become visible, in id order, which
    // the head read counts on (005_head_cursor.sql). Taken in destination order, so two batches
    // never wait for each other crosswise.
    std::set<std::int64_t> destinations;
    auto add = [&](const RoutedItem& r) {
      destinations.insert(r.deliverTo.begin(), r.deliverTo.end());
    };
    for (const RoutedItem& r : items) {
      add(r);
      for (const RoutedItem& d : r.before) add(d);
      for (const RoutedItem& d : r.after) add(d);
    }
    if (!destinations.empty()) {
      ArrayLiteral ids;
      for (std::int64_t d : destinations) ids.add(d);
      db_->prepare("SELECT pg_advisory_xact_lock(?::integer, d) FROM unnest(?::integer[]) AS d")
          .bind(1, kDestinationIdLock)
          .bind(2, ids.str())
          .run();
    }
  }
  struct Mark {
    bool known{false};
    std::uint32_t lastSequence{0};
    bool raised{false};
    std::int64_t lastPacketAt{0};
    std::int64_t frameKey{0};  // the last Teltonika frame stored whole (IngestItem::frameKey)
    bool frameRaised{false};
  };
  std::unordered_map<std::string, Mark> marks;
  {
    // The row locks, all at once and in serial order: two nodes racing for one device cannot
    // both accept a sequence, and two batches never wait for each other crosswise.
    std::set<std::string> serials;
    for (const RoutedItem& r : items)
      if (!r.item->location) serials.insert(r.item->serial);
    if (!serials.empty()) {
      ArrayLiteral list;
      for (const std::string& serial : serials) list.add(serial);
      Stmt device = db_->prepare(
          "SELECT serial, last_sequence, frame_key FROM devices WHERE serial = ANY(?::text[]) "
          "ORDER BY serial FOR UPDATE");
      device.bind(1, list.str());
      while (device.step()) {
        Mark& m = marks[device.text(0)];
        m.known = true;
        m.lastSequence = static_cast<std::uint32_t>(device.integer(1));
        m.frameKey = device.integer(2);
      }
    }
  }
  std::vector<AppendOutcome> out;
  out.reserve(items.size());
  std::vector<const RoutedItem*> rows;  // the packets to store, in order
  std::vector<DriverRecord> drivers;
  std::vector<std::uint64_t> refusedSessions;  // a connection's later items follow its refusal
  for (const RoutedItem& r : items) {
    const IngestItem& item = *r.item;
    if (item.location) {  // the gateway's own packet for a location: no device, no mark
      rows.push_back(&r);
      out.push_back(AppendOutcome::Stored);
      continue;
    }
    auto it = marks.find(item.serial);
    if (it == marks.end() || !it->second.known) {
      out.push_back(AppendOutcome::UnknownDevice);
      continue;
    }
    Mark& mark = it->second;
    // A resent packet (a duplicate) shows the device alive too; a packet the gateway made for
    // it (a File Summary, a New Driver) does not (010_alerts.sql).
    if (!item.gatewayMade) mark.lastPacketAt = std::max(mark.lastPacketAt, item.receivedAtMs);
    // A Teltonika frame stored whole raised the key in its own transaction: its resend (the
    // device never got the count) is found here, whatever connection it comes on.
    if (item.frameKey != 0 && item.frameKey == mark.frameKey) {
      ++duplicates_;
      out.push_back(AppendOutcome::Duplicate);
      continue;
    }
    if (item.sequence != 0) {
      // The check and the raise are in the transaction that stores the packet: whichever
      // connection a resent packet arrives on, and whatever crashed in between, it is stored
      // once. The rule is the uplink's own (sequence.hpp), wrap included.
      const bool afterRefusal =
          item.session != 0 && std::find(refusedSessions.begin(), refusedSessions.end(),
                                         item.session) != refusedSessions.end();
      switch (afterRefusal ? SequenceClass::OutOfRange
                           : classify(mark.lastSequence, item.sequence, rules)) {
        case SequenceClass::New:
          break;
        case SequenceClass::Duplicate:
          ++duplicates_;
          out.push_back(AppendOutcome::Duplicate);
          continue;
        case SequenceClass::OutOfRange:
          if (item.session != 0 && !afterRefusal) refusedSessions.push_back(item.session);
          out.push_back(AppendOutcome::SequenceOutOfRange);
          continue;
      }
      mark.lastSequence = item.sequence;
      mark.raised = true;
    }
    for (const RoutedItem& d : r.before) rows.push_back(&d);
    rows.push_back(&r);
    for (const RoutedItem& d : r.after) rows.push_back(&d);
    drivers.insert(drivers.end(), r.drivers.begin(), r.drivers.end());
    if (item.frameEnd && item.frameKey != 0) {
      mark.frameKey = item.frameKey;
      mark.frameRaised = true;
    }
    out.push_back(AppendOutcome::Stored);
  }
  // One packet per row and its delivery rows, ids taken in that order (under the id locks).
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> counts;  // queued, filtered
  std::size_t nDeliveries = 0;
  for (const RoutedItem* r : rows) {
    nDeliveries += r->deliverTo.size();
    for (std::int64_t d : r->deliverTo) ++counts[d].first;
    for (std::int64_t d : r->filteredOut) ++counts[d].second;
  }
  if (!rows.empty()) {
    std::vector<std::int64_t> packetIds, deliveryIds;
    {
      Stmt ids = db_->prepare(
          "SELECT 0, nextval('packets_id_seq') FROM generate_series(1, ?1::integer) "
          "UNION ALL SELECT 1, nextval('deliveries_id_seq') FROM generate_series(1, ?2::integer)");
      ids.bind(1, static_cast<std::int64_t>(rows.size()))
          .bind(2, static_cast<std::int64_t>(nDeliveries));
      while (ids.step()) (ids.integer(0) == 0 ? packetIds : deliveryIds).push_back(ids.integer(1));
      std::sort(packetIds.begin(), packetIds.end());
      std::sort(deliveryIds.begin(), deliveryIds.end());
    }
    ArrayLiteral id, at, serial, registration, type, filterKey, data, origin;
    ArrayLiteral deliveryId, deliveryDestination, deliveryPacket;
    std::size_t nextDelivery = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      // A derived packet takes its source's serial and time.
      const RoutedItem& r = *rows[i];
      const IngestItem& item = *r.item;
      id.add(packetIds.at(i));
      at.add(item.receivedAtMs);
      serial.add(item.serial);
      registration.add(r.registration);
      type.add(std::int64_t{r.type});
      if (r.filterKey) {
        filterKey.add(std::string_view(r.filterKey));
      } else {
        filterKey.addNull();
      }
      data.addBytes(item.packet);
      if (item.origin.empty()) {
        origin.addNull();
      } else {
        origin.addBytes(item.origin);
      }
      for (std::int64_t d : r.deliverTo) {
        deliveryId.add(deliveryIds.at(nextDelivery++));
        deliveryDestination.add(d);
        deliveryPacket.add(packetIds.at(i));
      }
    }
    db_->prepare(
           "INSERT INTO packets (id, received_at, serial, registration, type, filter_key, data, "
           "origin) SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], "
           "?::integer[], ?::text[], ?::bytea[], ?::bytea[])")
        .bind(1, id.str())
        .bind(2, at.str())
        .bind(3, serial.str())
        .bind(4, registration.str())
        .bind(5, type.str())
        .bind(6, filterKey.str())
        .bind(7, data.str())
        .bind(8, origin.str())
        .run();
    if (nDeliveries > 0)
      db_->prepare(
             "INSERT INTO deliveries (id, destination_id, packet_id) "
             "SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bigint[])")
          .bind(1, deliveryId.str())
          .bind(2, deliveryDestination.str())
          .bind(3, deliveryPacket.str())
          .run();
  }
  if (!drivers.empty()) recordDriversIn(drivers);
  Stmt counters = db_->prepare(
      "UPDATE destination_state SET queued = queued + ?, filtered = filtered + ? "
      "WHERE destination_id=?");
  for (const auto& [dest, c] : counts)
    counters.bind(1, c.first).bind(2, c.second).bind(3, dest).run();
  // One statement for the batch's devices: their marks (when raised) and last packet times.
  ArrayLiteral serial, raised, sequence, lastAt, frameRaised, frameKey;
  for (const auto& [s, m] : marks) {
    if (!m.known) continue;
    serial.add(s);
    raised.add(std::int64_t{m.raised});
    sequence.add(std::int64_t{m.lastSequence});
    lastAt.add(m.lastPacketAt);
    frameRaised.add(std::int64_t{m.frameRaised});
    frameKey.add(m.frameKey);
  }
  if (!marks.empty())
    db_->prepare(
           "UPDATE devices d SET "
           "last_sequence = CASE WHEN v.raised <> 0 THEN v.sequence ELSE d.last_sequence END, "
           "last_packet_at = GREATEST(COALESCE(d.last_packet_at, 0), v.at), "
           "frame_key = CASE WHEN v.frame_raised <> 0 THEN v.frame_key ELSE d.frame_key END "
           "FROM unnest(?1::text[], ?2::bigint[], ?3::bigint[], ?4::bigint[], ?5::bigint[], "
           "?6::bigint[]) AS v(serial, raised, sequence, at, frame_raised, frame_key) "
           "WHERE d.serial = v.serial AND d.serial = ANY(?1::text[])")
        .bind(1, serial.str())
        .bind(2, raised.str())
        .bind(3, sequence.str())
        .bind(4, lastAt.str())
        .bind(5, frameRaised.str())
        .bind(6, frameKey.str())
        .run();
  tx.commit();
  return out;
}

// The head read (005_head_cursor.sql): the destination's pending rows in id order, from after
// the cursor when rewinds is still the one the cursor was taken at, else from the first. One
// statement, so rewinds and the rows are of one snapshot. The destination is a range of one
// and the order is (destination_id, id): an order only the queue's indexes give, so no
// statistic can make the primary key's walk over every destination's rows look cheaper (with
// statistics taken while the queue was all pending, `destination_id = ?` and `ORDER BY id`
// got that plan: tested).
const char* const PostgresStore::kHeadSql =
    "SELECT s.rewinds, d.id, d.packet_id, d.attempts, p.serial, p.registration, p.data, "
    "p.received_at FROM (SELECT ?1::bigint AS destination_id) k "
    "LEFT JOIN destination_state s ON s.destination_id = k.destination_id "
    "LEFT JOIN LATERAL (SELECT destination_id, id, packet_id, attempts FROM deliveries "
    "WHERE destination_id >= ?1 AND destination_id <= ?1 AND state = 0 "
    "AND id > CASE WHEN s.rewinds = ?2::bigint THEN ?3::bigint ELSE 0 END "
    "ORDER BY destination_id, id LIMIT ?4) d ON true "
    "LEFT JOIN packets p ON p.id = d.packet_id ORDER BY d.id";

// A run of successes confirmed in one statement; `= ANY` as well as the join keeps it on the
// primary key whatever the statistics say of the unnest.
const char* const PostgresStore::kConfirmSql =
    "UPDATE deliveries d SET state=1, attempts=d.attempts+1, finished_at=v.at, "
    "duration_us=v.duration FROM unnest(?1::bigint[], ?2::bigint[], ?3::bigint[]) "
    "AS v(id, at, duration) WHERE d.id = v.id AND d.id = ANY(?1::bigint[]) AND d.state=0 "
    "RETURNING d.id";

std::vector<std::string> PostgresStore::forwardingQueryPlans(std::int64_t destinationId) {
  Lock lock(mu_);
  std::vector<std::string> out;
  for (const char* sql : {kHeadSql, kConfirmSql}) {
    out.push_back(std::string("-- ") + sql);
    Stmt s = db_->prepare(std::string("EXPLAIN ") + sql);
    if (sql == kHeadSql)
      s.bind(1, destinationId).bind(2, std::int64_t{0}).bind(3, std::int64_t{0}).bind(4, 64);
    else
      s.bind(1, "{1,2,3}").bind(2, "{1,2,3}").bind(3, "{1,2,3}");
    while (s.step()) out.push_back("   " + s.text(0));
  }
  return out;
}

std::vector<PendingDelivery> PostgresStore::pendingBatch(std::int64_t destinationId, int limit) {
  Lock lock(mu_);
  db_->ensureConnected();
  const std::uint64_t session = db_->session();
  auto out = headRead(destinationId, limit, session);
  // The statement was sent again on a new session (Conn::reconnecting) with a cursor of the
  // old one: read again, from the first entry (headRead drops the old session's cursors).
  if (db_->session() != session) out = headRead(destinationId, limit, db_->session());
  return out;
}

std::vector<PendingDelivery> PostgresStore::headRead(std::int64_t destinationId, int limit,
                                                     std::uint64_t session) {
  if (session != headsSession_) {
    // A new session: a crash or failover of the server may have lost commits the cursors
    // counted on (ids are then taken again below them). Every read starts from the first.
    heads_.clear();
    headsSession_ = session;
  }
  HeadCursor& cursor = heads_[destinationId];
  Stmt s = db_->prepare(kHeadSql);
  s.bind(1, destinationId).bind(2, cursor.rewinds).bind(3, cursor.after).bind(4, limit);
  std::vector<PendingDelivery> out;
  std::int64_t rewinds = -1;  // -1: no destination_state row (read from the first entry)
  while (s.step()) {
    if (!s.isNull(0)) rewinds = s.integer(0);
    if (s.isNull(1)) break;  // nothing pending
    PendingDelivery p;
    p.id = s.integer(1);
    p.packetId = s.integer(2);
    p.attempts = static_cast<int>(s.integer(3));
    p.serial = s.text(4);
    p.registration = s.text(5);
    p.packet = s.blob(6);
    p.receivedAtMs = s.integer(7);
    out.push_back(std::move(p));
  }
  if (rewinds < 0) {  // no cursor without rewinds to check it by
    heads_.erase(destinationId);
    return out;
  }
  // Rows below the first pending one were not pending in this snapshot, and commit order (the
  // destination's id lock, taken by ingest) means none of them can appear later: the next read
  // starts there.
  if (rewinds != cursor.rewinds) cursor = HeadCursor{rewinds, 0};
  if (!out.empty()) cursor.after = out.front().id - 1;
  return out;
}

void PostgresStore::recordAttempts(std::int64_t destinationId, const std::vector<Attempt>& attempts,
                                   const DestinationState& after) {
  if (attempts.empty()) return;
  const std::optional<std::int64_t> fence = fenceOf(destinationId);
  Lock lock(mu_);
  // A delivery record lost to a crash of the server only means the packet is sent again
  // (at-least-once), so these commits skip the WAL flush that ingest commits need.
  Transaction tx(*db_, Transaction::Mode::Fast);
  if (fence) {
    // The fence: recorded only while the database still names this node's epoch. FOR SHARE:
    // a node taking the destination over (which raises the epoch) waits for this commit, and
    // reads the queue after it.
    Stmt owner = db_->prepare(
        "SELECT epoch, node_id FROM destination_owners WHERE destination_id=? FOR SHARE");
    owner.bind(1, destinationId);
    const bool found = owner.step();
    if (!found || owner.integer(0) != *fence)
      throw StoreError(ErrorCategory::Fenced,
                       "destination " + std::to_string(destinationId) +
                           " is forwarded by another node now (" +
                           (found ? "node " + owner.text(1) + ", epoch " + owner.text(0)
                                  : std::string("no owner recorded")) +
                           "; this node held epoch " + std::to_string(*fence) +
                           "): its attempts are not recorded");
  }
  recordAttemptsIn(destinationId, attempts, after);
  tx.commit();
}

void PostgresStore::recordAttemptsIn(std::int64_t destinationId,
                                     const std::vector<Attempt>& attempts,
                                     const DestinationState& after) {
  Stmt attempt = db_->prepare(
      "INSERT INTO attempts (delivery_id, at, outcome, reason, duration_us) VALUES (?,?,?,?,?)");
  // Only rows still pending change state: an admin may have skipped the row meanwhile.
  // A successful attempt is kept in the row itself (finished_at, duration_us), not as an
  // attempt row (schema/postgres/003_footprint.sql).
  Stmt delivered = db_->prepare(
      "UPDATE deliveries SET state=1, attempts=attempts+1, finished_at=?, duration_us=? "
      "WHERE id=? AND state=0");
  Stmt dead = db_->prepare(
      "UPDATE deliveries SET state=2, attempts=attempts+1, finished_at=?, reason=? "
      "WHERE id=? AND state=0");
  // A failure only backs the destination off if its row is still pending: an admin may have
  // skipped it while it was being sent, and the skip already cleared the backoff.
  Stmt failed = db_->prepare("UPDATE deliveries SET attempts=attempts+1 WHERE id=? AND state=0");
  Stmt lateSuccess = db_->prepare(
      "INSERT INTO attempts (delivery_id, at, outcome, reason, duration_us) "
      "SELECT id, CAST(? AS bigint), 'delivered', '', CAST(? AS bigint) FROM deliveries "
      "WHERE id=? AND state=2");
  std::int64_t nDelivered = 0, nDead = 0;
  bool failure = false;
  std::string lastReason;
  std::int64_t lastAt = 0;
  // The common case, a run of successes: one statement for all of them instead of a round trip
  // per row (the in-order forwarding rate hangs on it). Only when each row appears once in the
  // batch, so the order of the statements cannot matter.
  std::unordered_set<std::int64_t> batched;
  {
    std::unordered_set<std::int64_t> seen;
    bool distinct = true;
    std::string ids = "{", ats = "{", durations = "{";
    for (const Attempt& a : attempts) {
      if (!seen.insert(a.deliveryId).second) distinct = false;
      if (a.result.outcome != AttemptResult::Outcome::Delivered) continue;
      const char* sep = ids.size() > 1 ? "," : "";
      ids += sep + std::to_string(a.deliveryId);
      ats += sep + std::to_string(a.atMs);
      durations += sep + std::to_string(a.result.durationUs);
    }
    if (distinct && ids.size() > 1) {
      Stmt many = db_->prepare(kConfirmSql);
      many.bind(1, ids + "}").bind(2, ats + "}").bind(3, durations + "}");
      while (many.step()) batched.insert(many.integer(0));
      nDelivered += static_cast<std::int64_t>(batched.size());
    }
  }
  for (const Attempt& a : attempts) {
    const auto& r = a.result;
    if (r.outcome == AttemptResult::Outcome::Delivered && batched.count(a.deliveryId)) continue;
    if (r.outcome != AttemptResult::Outcome::Delivered)
      attempt.bind(1, a.deliveryId)
          .bind(2, a.atMs)
          .bind(3, outcomeName(r.outcome))
          .bind(4, r.reason)
          .bind(5, r.durationUs)
          .run();
    switch (r.outcome) {
      case AttemptResult::Outcome::Delivered:
        delivered.bind(1, a.atMs).bind(2, r.durationUs).bind(3, a.deliveryId).run();
        if (db_->changes() > 0) {
          ++nDelivered;
        } else {
          // Skipped or dead-lettered by an admin while it was being sent: the row stays as the
          // admin left it, and its history says that the third party got it all the same
          // (unless the row is gone: a dead letter pruned to make room meanwhile).
          lateSuccess.bind(1, a.atMs).bind(2, r.durationUs).bind(3, a.deliveryId).run();
        }
        break;
      case AttemptResult::Outcome::Never:
        dead.bind(1, a.atMs).bind(2, r.reason).bind(3, a.deliveryId).run();
        nDead += db_->changes();
        break;
      case AttemptResult::Outcome::Retry:
        failed.bind(1, a.deliveryId).run();
        failure = db_->changes() > 0;
        lastReason = r.reason;
        lastAt = a.atMs;
        break;
    }
  }
  if (failure) {
    db_->prepare(
           "UPDATE destination_state SET delivered=delivered+?, dead_letters=dead_letters+?, "
           "failed_attempts=failed_attempts+1, consecutive_failures=?, next_attempt_at=?, "
           "last_error=?, last_error_at=? WHERE destination_id=?")
        .bind(1, nDelivered)
        .bind(2, nDead)
        .bind(3, after.consecutiveFailures)
        .bind(4, after.nextAttemptAtMs)
        .bind(5, lastReason)
        .bind(6, lastAt)
        .bind(7, destinationId)
        .run();
  } else {
    // Success resets the backoff; a dead letter alone leaves it as it was.
    db_->prepare(
           "UPDATE destination_state SET delivered=delivered+?1, dead_letters=dead_letters+?2, "
           "consecutive_failures=CASE WHEN ?1 > 0 THEN 0 ELSE consecutive_failures END, "
           "next_attempt_at=CASE WHEN ?1 > 0 THEN 0 ELSE next_attempt_at END "
           "WHERE destination_id=?3")
        .bind(1, nDelivered)
        .bind(2, nDead)
        .bind(3, destinationId)
        .run();
  }
}

DestinationState PostgresStore::state(std::int64_t destinationId) {
  Lock lock(mu_);
  Stmt s = db_->prepare(
      "SELECT consecutive_failures, next_attempt_at, last_error FROM destination_state "
      "WHERE destination_id=?");
  s.bind(1, destinationId);
  if (!s.step()) return {};
  return {static_cast<int>(s.integer(0)), s.integer(1), s.text(2)};
}

DestinationCounters PostgresStore::counters(std::int64_t destinationId) {
  Lock lock(mu_);
  DestinationCounters c;
  Stmt s = db_->prepare(
      "SELECT queued, delivered, failed_attempts, dead_letters, filtered FROM destination_state "
      "WHERE destination_id=?");
  if (s.bind(1, destinationId).step()) {
    c.queued = s.integer(0);
    c.delivered = s.integer(1);
    c.failedAttempts = s.integer(2);
    c.deadLetters = s.integer(3);
    c.filtered = s.integer(4);
  }
  // As the queue overview reads them: the oldest pending entry is the blocking one.
  Stmt depth = db_->prepare(kDepthSql);
  depth.bind(1, destinationId).step();
  c.depth = depth.integer(0);
  if (!depth.isNull(1)) {
    Stmt oldest = db_->prepare(kOldestSql);
    if (oldest.bind(1, depth.integer(1)).step()) c.oldestPendingReceivedAtMs = oldest.integer(0);
  }
  return c;
}

bool PostgresStore::hasPending(std::int64_t destinationId) {
  // The head read, from the cursor: a probe from the first entry would step over every row
  // confirmed since the last vacuum.
  return !pendingBatch(destinationId, 1).empty();
}

std::vector<std::int64_t> PostgresStore::deliveryIds(std::int64_t destinationId, DeliveryState st) {
  Lock lock(mu_);
  std::vector<std::int64_t> out;
  Stmt s = db_->prepare(
      "SELECT packet_id FROM deliveries WHERE destination_id=? AND state=? ORDER BY id");
  s.bind(1, destinationId).bind(2, static_cast<std::int64_t>(st));
  while (s.step()) out.push_back(s.integer(0));
  return out;
}

std::optional<PendingDelivery> PostgresStore::nextPendingOn(Conn& db, std::int64_t destinationId) {
  Stmt s = db.prepare(
      "SELECT id FROM deliveries WHERE destination_id=? AND state=0 ORDER BY id LIMIT 1");
  if (!s.bind(1, destinationId).step()) return std::nullopt;
  PendingDelivery p;
  p.id = s.integer(0);
  return p;
}

bool PostgresStore::skipBlockingIn(std::int64_t destinationId, const std::string& reason,
                                   std::int64_t nowMs, std::optional<std::int64_t> expectedId) {
  auto p = nextPendingOn(*db_, destinationId);
  if (!p) return false;
  // The admin saw this entry blocking; if a worker delivered it meanwhile, the next one is not
  // skipped in its place.
  if (expectedId && p->id != *expectedId) return false;
  recordAttemptsIn(
      destinationId,
      {Attempt{p->id,
               AttemptResult{AttemptResult::Outcome::Never, "skipped by an admin: " + reason, 0},
               nowMs}},
      {});
  db_->prepare(
         "UPDATE attempts SET outcome='skipped' WHERE id=(SELECT MAX(id) FROM attempts "
         "WHERE delivery_id=?)")
      .bind(1, p->id)
      .run();
  db_->prepare(
         "UPDATE destination_state SET consecutive_failures=0, next_attempt_at=0 "
         "WHERE destination_id=?")
      .bind(1, destinationId)
      .run();
  return true;
}

// Entries put back in the queue count as queued again, so queued stays the sum of what was
// delivered, dead-lettered and is pending. They have lower ids than rows already read: rewinds
// tells every head read to start from the first entry again (005_head_cursor.sql).
void PostgresStore::countRequeuedIn(std::int64_t destinationId, int n) {
  db_->prepare(
         "UPDATE destination_state SET queued = queued + ?, rewinds = rewinds + 1 "
         "WHERE destination_id=?")
      .bind(1, n)
      .bind(2, destinationId)
      .run();
}

int PostgresStore::requeueDeadIn(std::int64_t destinationId) {
  db_->prepare(
         "UPDATE deliveries SET state=0, finished_at=NULL, reason=NULL WHERE destination_id=? "
         "AND state=2")
      .bind(1, destinationId)
      .run();
  const int n = db_->changes();
  countRequeuedIn(destinationId, n);
  return n;
}

int PostgresStore::replayFromIn(std::int64_t destinationId, std::int64_t fromMs) {
  // The successful attempt kept in each row becomes an attempt row, so the history still shows
  // it once the row is pending again.
  db_->prepare(
         "INSERT INTO attempts (delivery_id, at, outcome, reason, duration_us) "
         "SELECT id, finished_at, 'delivered', '', duration_us FROM deliveries "
         "WHERE destination_id=? AND state=1 AND duration_us IS NOT NULL "
         "AND packet_id IN (SELECT id FROM packets WHERE received_at >= ?) ORDER BY id")
      .bind(1, destinationId)
      .bind(2, fromMs)
      .run();
  db_->prepare(
         "UPDATE deliveries SET state=0, finished_at=NULL, duration_us=NULL "
         "WHERE destination_id=? AND state=1 "
         "AND packet_id IN (SELECT id FROM packets WHERE received_at >= ?)")
      .bind(1, destinationId)
      .bind(2, fromMs)
      .run();
  const int n = db_->changes();
  countRequeuedIn(destinationId, n);
  return n;
}

void PostgresStore::retryNowIn(std::int64_t destinationId) {
  db_->prepare("UPDATE destination_state SET next_attempt_at=0 WHERE destination_id=?")
      .bind(1, destinationId)
      .run();
}

int PostgresStore::prune(std::int64_t olderThanMs, int batch) {
  Lock lock(mu_);
  Transaction tx(*db_);
  db_->prepare(
         "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE state=1 AND "
         "finished_at < ? ORDER BY finished_at LIMIT ?)")
      .bind(1, olderThanMs)
      .bind(2, batch)
      .run();
  int n = db_->changes();
  db_->prepare(
         "DELETE FROM packets WHERE received_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries d "
         "WHERE d.packet_id = packets.id)")
      .bind(1, olderThanMs)
      .run();
  tx.commit();
  return n;
}

int PostgresStore::pruneDeadLetters(std::int64_t olderThanMs, int batch) {
  Lock lock(mu_);
  Transaction tx(*db_);
  // The rows' packets are deleted with them when no other row names them.
  Stmt rows = db_->prepare(
      "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE state=2 AND "
      "finished_at < ? ORDER BY id LIMIT ?) RETURNING packet_id");
  rows.bind(1, olderThanMs).bind(2, static_cast<std::int64_t>(batch));
  std::vector<std::int64_t> packets;
  while (rows.step()) packets.push_back(rows.integer(0));
  rows.reset();
  const int n = static_cast<int>(packets.size());
  Stmt orphan = db_->prepare(
      "DELETE FROM packets p WHERE p.id = ? AND NOT EXISTS (SELECT 1 FROM deliveries d "
      "WHERE d.packet_id = p.id)");
  std::sort(packets.begin(), packets.end());
  packets.erase(std::unique(packets.begin(), packets.end()), packets.end());
  for (std::int64_t p : packets) orphan.bind(1, p).run();
  tx.commit();
  return n;
}

}  // namespace dcgw::store
