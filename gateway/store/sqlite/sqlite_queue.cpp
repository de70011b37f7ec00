// The SQLite backend's ingest log and delivery queues: routed packets appended with their
// delivery rows in one transaction, each destination's queue read and worked in order, the
// admin's queue actions, and pruning.

// GCC 12 reports a false maybe-uninitialized inside std::optional<std::vector> moves.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <array>
#include <map>
#include <unordered_map>

#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/delivered_runs.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::store {
using sqlite::Db;
using sqlite::Stmt;
using sqlite::Transaction;

namespace {
using Lock = std::lock_guard<std::recursive_mutex>;
}  // namespace

std::optional<std::vector<AppendOutcome>> SqliteStore::append(const std::vector<RoutedItem>& items,
                                                              std::int64_t configVersion,
                                                              const SequenceRules& rules) {
  verifyFiles(false);
  Lock lock(mu_);
  // Set before every ingest transaction (delivery records lower it): an acknowledgement is
  // never given on a weaker setting than configured.
  db_->exec(durability_ == Durability::Full ? "PRAGMA synchronous=FULL"
                                            : "PRAGMA synchronous=NORMAL");
  Transaction tx(*db_);
  {
    Stmt v = db_->prepare("SELECT version FROM config_version WHERE id = 1");
    if (!v.step() || v.integer(0) != configVersion) return std::nullopt;  // rolled back
  }
  std::vector<AppendOutcome> out;
  out.reserve(items.size());
  Stmt device = db_->prepare("SELECT last_sequence, frame_key FROM devices WHERE serial=?");
  Stmt packet = db_->prepare(
      "INSERT INTO packets (received_at, serial, registration, type, filter_key, data, origin, "
      "unrouted, first_delivery, delivery_span) VALUES (?,?,?,?,?,?,?,?,?,?)");
  // A packet's delivery rows take consecutive ids, recorded in the packet (migration 015): the
  // ids go on from the highest of any destination, in its rows or in its runs (migration 016),
  // read once per transaction.
  Stmt delivery =
      db_->prepare("INSERT INTO deliveries (destination_id, id, packet_id) VALUES (?,?,?)");
  std::int64_t nextDelivery = 1;
  {
    Stmt top = db_->prepare(
        "SELECT MAX(MAX(COALESCE((SELECT MAX(id) FROM deliveries WHERE destination_id = d.id), "
        "0), COALESCE((SELECT last_id FROM delivered_runs WHERE destination_id = d.id ORDER BY "
        "first_id DESC LIMIT 1), 0))) FROM destinations d");
    if (top.step() && !top.isNull(0)) nextDelivery = top.integer(0) + 1;
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
  std::vector<std::uint64_t> refusedSessions;  // a connection's later items follow its refusal
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> counts;  // queued, filtered
  // One packet and its delivery rows; a derived packet takes its source's serial and time.
  auto storeRow = [&](const RoutedItem& r) {
    const IngestItem& item = *r.item;
    packet.bind(1, item.receivedAtMs).bind(2, item.serial).bind(3, r.registration);
    packet.bind(4, std::int64_t{r.type});
    if (r.filterKey) {
      packet.bind(5, r.filterKey);
    } else {
      packet.bindNull(5);
    }
    packet.bindBlob(6, item.packet.data(), item.packet.size());
    if (item.origin.empty()) {
      packet.bindNull(7);
    } else {
      packet.bindBlob(7, item.origin.data(), item.origin.size());
    }
    if (r.deliverTo.empty()) {
      packet.bind(8, std::int64_t{1}).bindNull(9).bindNull(10);
    } else {
      packet.bindNull(8).bind(9, nextDelivery);
      packet.bind(10, static_cast<std::int64_t>(r.deliverTo.size()));
    }
    packet.run();
    const std::int64_t packetId = db_->lastInsertId();
    for (std::int64_t d : r.deliverTo) {
      delivery.bind(1, d).bind(2, nextDelivery++).bind(3, packetId).run();
      ++counts[d].first;
    }
    for (std::int64_t d : r.filteredOut) ++counts[d].second;
  };
  for (const RoutedItem& r : items) {
    const IngestItem& item = *r.item;
    if (item.location) {  // the gateway's own packet for a location: no device, no mark
      storeRow(r);
      out.push_back(AppendOutcome::Stored);
      continue;
    }
    auto it = marks.find(item.serial);
    if (it == marks.end()) {
      Mark m;
      if (device.bind(1, item.serial).step()) {
        m.known = true;
        m.lastSequence = static_cast<std::uint32_t>(device.integer(0));
        m.frameKey = device.integer(1);
      }
      device.reset();
      it = marks.emplace(item.serial, m).first;
    }
    Mark& mark = it->second;
    if (!mark.known) {
      out.push_back(AppendOutcome::UnknownDevice);
      continue;
    }
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
    for (const RoutedItem& d : r.before) storeRow(d);
    storeRow(r);
    for (const RoutedItem& d : r.after) storeRow(d);
    if (!r.drivers.empty()) recordDriversIn(r.drivers);
    if (item.frameEnd && item.frameKey != 0) {
      mark.frameKey = item.frameKey;
      mark.frameRaised = true;
    }
    out.push_back(AppendOutcome::Stored);
  }
  Stmt counters = db_->prepare(
      "UPDATE destination_state SET queued = queued + ?, filtered = filtered + ? "
      "WHERE destination_id=?");
  for (const auto& [dest, c] : counts)
    counters.bind(1, c.first).bind(2, c.second).bind(3, dest).run();
  // One statement per device of the batch: its marks (when raised) and its last packet time.
  Stmt sequence = db_->prepare(
      "UPDATE devices SET last_sequence = CASE WHEN ?1 THEN ?2 ELSE last_sequence END, "
      "last_packet_at = MAX(COALESCE(last_packet_at, 0), ?3), "
      "frame_key = CASE WHEN ?5 THEN ?6 ELSE frame_key END WHERE serial = ?4");
  for (const auto& [serial, m] : marks)
    if (m.known)
      sequence.bind(1, std::int64_t{m.raised})
          .bind(2, std::int64_t{m.lastSequence})
          .bind(3, m.lastPacketAt)
          .bind(4, serial)
          .bind(5, std::int64_t{m.frameRaised})
          .bind(6, m.frameKey)
          .run();
  tx.commit();
  // Committed, but to the files opened: if they are no longer the path's, the batch is lost at
  // the next start, and must not be acknowledged (the callers refuse it all).
  verifyFiles(true);
  return out;
}

std::vector<PendingDelivery> SqliteStore::pendingBatch(std::int64_t destinationId, int limit) {
  verifyFiles(false);  // a worker stops forwarding from a lost store
  Lock lock(mu_);
  Stmt s = db_->prepare(
      "SELECT d.id, d.packet_id, d.attempts, p.serial, p.registration, p.data, p.received_at "
      "FROM deliveries d INDEXED BY deliveries_pending JOIN packets p ON p.id = d.packet_id "
      "WHERE d.destination_id=? AND d.state=0 ORDER BY d.id LIMIT ?");
  s.bind(1, destinationId).bind(2, limit);
  std::vector<PendingDelivery> out;
  while (s.step()) {
    PendingDelivery p;
    p.id = s.integer(0);
    p.packetId = s.integer(1);
    p.attempts = static_cast<int>(s.integer(2));
    p.serial = s.text(3);
    p.registration = s.text(4);
    p.packet = s.blob(5);
    p.receivedAtMs = s.integer(6);
    out.push_back(std::move(p));
  }
  return out;
}

void SqliteStore::recordAttempts(std::int64_t destinationId, const std::vector<Attempt>& attempts,
                                 const DestinationState& after) {
  if (attempts.empty()) return;
  verifyFiles(false);
  Lock lock(mu_);
  // A delivery record lost to a power cut only means the packet is sent again (at-least-once),
  // so these commits skip the fsync that ingest commits need (WAL keeps them crash-safe).
  db_->exec("PRAGMA synchronous=NORMAL");  // append() sets its own level before each commit
  Transaction tx(*db_);
  recordAttemptsIn(destinationId, attempts, after);
  tx.commit();
}

void SqliteStore::recordAttemptsIn(std::int64_t destinationId, const std::vector<Attempt>& attempts,
                                   const DestinationState& after) {
  // Only for a row there is (attempts has no foreign key since migration 015): a dead letter
  // pruned to make room while it was being sent has no history left to add to.
  Stmt attempt = db_->prepare(
      "INSERT INTO attempts (delivery_id, at, outcome, reason, duration_us) SELECT ?1,?2,?3,?4,?5 "
      "WHERE EXISTS (SELECT 1 FROM deliveries WHERE destination_id=?6 AND id=?1)");
  // Only rows still pending change state: an admin may have skipped the row meanwhile.
  // A successful attempt is kept in the row itself (finished_at, duration_us), not as an
  // attempt row (schema/sqlite/README.md, migration 014).
  Stmt delivered = db_->prepare(
      "UPDATE deliveries SET state=1, attempts=attempts+1, finished_at=?, duration_us=? "
      "WHERE destination_id=? AND id=? AND state=0");
  Stmt dead = db_->prepare(
      "UPDATE deliveries SET state=2, attempts=attempts+1, finished_at=?, reason=? "
      "WHERE destination_id=? AND id=? AND state=0");
  // A failure only backs the destination off if its row is still pending: an admin may have
  // skipped it while it was being sent, and the skip already cleared the backoff.
  Stmt failed = db_->prepare(
      "UPDATE deliveries SET attempts=attempts+1 WHERE destination_id=? AND id=? AND state=0");
  Stmt lateSuccess = db_->prepare(
      "INSERT INTO attempts (delivery_id, at, outcome, reason, duration_us) "
      "SELECT id, ?, 'delivered', '', ? FROM deliveries WHERE destination_id=? AND id=? "
      "AND state=2");
  // A row delivered at its first attempt leaves deliveries for the destination's newest run
  // (migration 016): its history is that one attempt, which the run's entry keeps.
  // (No attempt at all: a row dead-lettered with its destination's removal and put back has
  // attempts 0 but may have attempt rows.)
  Stmt fresh = db_->prepare(
      "SELECT packet_id, attempts FROM deliveries INDEXED BY deliveries_pending "
      "WHERE destination_id=?1 AND id=?2 AND state=0 AND NOT EXISTS (SELECT 1 FROM attempts "
      "WHERE delivery_id=?2)");
  Stmt leave = db_->prepare("DELETE FROM deliveries WHERE destination_id=? AND id=?");
  std::optional<sqlite::Run> run;  // the newest run, once read
  bool runRead = false;
  bool runChanged = false;
  std::int64_t runFloor = 0;  // entries go in ascending id order, after every stored one
  auto intoRun = [&](const Attempt& a) {
    fresh.bind(1, destinationId).bind(2, a.deliveryId);
    const bool first = fresh.step() && fresh.integer(1) == 0;
    const std::int64_t packetId = first ? fresh.integer(0) : 0;
    fresh.reset();
    if (!first) return false;
    if (!runRead) {
      runRead = true;
      run = sqlite::lastRun(*db_, destinationId);
      if (run) runFloor = run->lastId();
    }
    if (a.deliveryId <= runFloor) return false;  // out of order: it stays a row
    if (run && run->entries.size() >= sqlite::kRunEntries) {
      if (runChanged) sqlite::saveRun(*db_, *run);
      run.reset();
    }
    if (!run) {
      run.emplace();
      run->destinationId = destinationId;
    }
    leave.bind(1, destinationId).bind(2, a.deliveryId).run();
    run->entries.push_back({a.deliveryId, packetId, a.atMs, a.result.durationUs});
    runFloor = a.deliveryId;
    runChanged = true;
    return true;
  };
  std::int64_t nDelivered = 0, nDead = 0;
  bool failure = false;
  std::string lastReason;
  std::int64_t lastAt = 0;
  for (const Attempt& a : attempts) {
    const auto& r = a.result;
    if (r.outcome != AttemptResult::Outcome::Delivered)
      attempt.bind(1, a.deliveryId)
          .bind(2, a.atMs)
          .bind(3, outcomeName(r.outcome))
          .bind(4, r.reason)
          .bind(5, r.durationUs)
          .bind(6, destinationId)
          .run();
    switch (r.outcome) {
      case AttemptResult::Outcome::Delivered:
        if (intoRun(a)) {
          ++nDelivered;
          break;
        }
        delivered.bind(1, a.atMs).bind(2, r.durationUs).bind(3, destinationId);
        delivered.bind(4, a.deliveryId).run();
        if (db_->changes() > 0) {
          ++nDelivered;
        } else {
          // Skipped or dead-lettered by an admin while it was being sent: the row stays as the
          // admin left it, and its history says that the third party got it all the same
          // (unless the row is gone: a dead letter pruned to make room meanwhile).
          lateSuccess.bind(1, a.atMs).bind(2, r.durationUs).bind(3, destinationId);
          lateSuccess.bind(4, a.deliveryId).run();
        }
        break;
      case AttemptResult::Outcome::Never:
        dead.bind(1, a.atMs).bind(2, r.reason).bind(3, destinationId).bind(4, a.deliveryId).run();
        nDead += db_->changes();
        break;
      case AttemptResult::Outcome::Retry:
        failed.bind(1, destinationId).bind(2, a.deliveryId).run();
        failure = db_->changes() > 0;
        lastReason = r.reason;
        lastAt = a.atMs;
        break;
    }
  }
  if (runChanged) sqlite::saveRun(*db_, *run);
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

DestinationState SqliteStore::state(std::int64_t destinationId) {
  Lock lock(mu_);
  Stmt s = db_->prepare(
      "SELECT consecutive_failures, next_attempt_at, last_error FROM destination_state "
      "WHERE destination_id=?");
  s.bind(1, destinationId);
  if (!s.step()) return {};
  return {static_cast<int>(s.integer(0)), s.integer(1), s.text(2)};
}

DestinationCounters SqliteStore::counters(std::int64_t destinationId) {
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
  Stmt depth = db_->prepare(
      "SELECT COUNT(*), MIN(p.received_at) FROM deliveries d INDEXED BY deliveries_pending "
      "JOIN packets p ON p.id=d.packet_id WHERE d.destination_id=? AND d.state=0");
  depth.bind(1, destinationId).step();
  c.depth = depth.integer(0);
  if (!depth.isNull(1)) c.oldestPendingReceivedAtMs = depth.integer(1);
  return c;
}

bool SqliteStore::hasPending(std::int64_t destinationId) {
  Lock lock(mu_);
  Stmt s = db_->prepare(
      "SELECT 1 FROM deliveries INDEXED BY deliveries_pending "
      "WHERE destination_id=? AND state=0 LIMIT 1");
  return s.bind(1, destinationId).step();
}

std::vector<std::int64_t> SqliteStore::deliveryIds(std::int64_t destinationId, DeliveryState st) {
  Lock lock(mu_);
  std::vector<std::int64_t> out;
  // The state written into the statement, so that pending rows and dead letters are found by
  // their partial indexes.
  Stmt s =
      db_->prepare("SELECT d.id, d.packet_id FROM " + sqlite::deliveriesOfState(st) +
                   " WHERE d.destination_id=? AND d.state=" + std::to_string(static_cast<int>(st)) +
                   " ORDER BY d.id");
  s.bind(1, destinationId);
  std::vector<std::pair<std::int64_t, std::int64_t>> rows;  // id, packet
  while (s.step()) rows.emplace_back(s.integer(0), s.integer(1));
  if (st == DeliveryState::Delivered) {
    sqlite::forEachRun(*db_, destinationId, 0, [&](sqlite::Run& r) {
      for (const auto& e : r.entries) rows.emplace_back(e.id, e.packetId);
      return true;
    });
    std::sort(rows.begin(), rows.end());
  }
  for (const auto& row : rows) out.push_back(row.second);
  return out;
}

std::optional<PendingDelivery> SqliteStore::nextPendingOn(Db& db, std::int64_t destinationId) {
  Stmt s = db.prepare(
      "SELECT id FROM deliveries INDEXED BY deliveries_pending WHERE destination_id=? "
      "AND state=0 ORDER BY id LIMIT 1");
  if (!s.bind(1, destinationId).step()) return std::nullopt;
  PendingDelivery p;
  p.id = s.integer(0);
  return p;
}

bool SqliteStore::skipBlockingIn(std::int64_t destinationId, const std::string& reason,
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
  db_->prepare("UPDATE attempts SET outcome='skipped' WHERE id=(SELECT MAX(id) FROM attempts)")
      .run();
  db_->prepare(
         "UPDATE destination_state SET consecutive_failures=0, next_attempt_at=0 "
         "WHERE destination_id=?")
      .bind(1, destinationId)
      .run();
  return true;
}

// Entries put back in the queue count as queued again, so queued stays the sum of what was
// delivered, dead-lettered and is pending.
void SqliteStore::countRequeuedIn(std::int64_t destinationId, int n) {
  db_->prepare("UPDATE destination_state SET queued = queued + ? WHERE destination_id=?")
      .bind(1, n)
      .bind(2, destinationId)
      .run();
}

int SqliteStore::requeueDeadIn(std::int64_t destinationId) {
  db_->prepare(
         "UPDATE deliveries INDEXED BY deliveries_dead SET state=0, finished_at=NULL, reason=NULL "
         "WHERE destination_id=? AND state=2")
      .bind(1, destinationId)
      .run();
  const int n = db_->changes();
  countRequeuedIn(destinationId, n);
  return n;
}

int SqliteStore::replayFromIn(std::int64_t destinationId, std::int64_t fromMs) {
  // The successful attempt kept in each row becomes an attempt row, so the history still shows
  // it once the row is pending again.
  db_->prepare(
         "INSERT INTO attempts (delivery_id, at, outcome, reason, duration_us) "
         "SELECT id, finished_at, 'delivered', '', duration_us FROM deliveries INDEXED BY "
         "deliveries_delivered WHERE destination_id=? AND state=1 AND duration_us IS NOT NULL "
         "AND packet_id IN (SELECT id FROM packets WHERE received_at >= ?) ORDER BY id")
      .bind(1, destinationId)
      .bind(2, fromMs)
      .run();
  db_->prepare(
         "UPDATE deliveries INDEXED BY deliveries_delivered SET state=0, finished_at=NULL, "
         "duration_us=NULL WHERE destination_id=? AND state=1 "
         "AND packet_id IN (SELECT id FROM packets WHERE received_at >= ?)")
      .bind(1, destinationId)
      .bind(2, fromMs)
      .run();
  int n = db_->changes();
  // Run entries of packets received since fromMs become rows again, pending, their successful
  // attempt an attempt row. A destination's packets and delivery ids ascend together, so the
  // runs are read newest first and the walk stops at the first whose packets are all older
  // than the oldest packet received since fromMs.
  Stmt oldest = db_->prepare("SELECT MIN(id) FROM packets WHERE received_at >= ?");
  oldest.bind(1, fromMs).step();
  if (!oldest.isNull(0)) {
    const std::int64_t firstPacket = oldest.integer(0);
    std::vector<sqlite::Run> runs;  // read first, changed after
    sqlite::forEachRunNewestFirst(*db_, destinationId, [&](sqlite::Run& r) {
      std::int64_t top = 0;
      for (const auto& e : r.entries) top = std::max(top, e.packetId);
      if (top < firstPacket) return false;
      runs.push_back(std::move(r));
      return true;
    });
    Stmt received = db_->prepare("SELECT received_at FROM packets WHERE id=?");
    Stmt pending = db_->prepare(
        "INSERT INTO deliveries (destination_id, id, packet_id, state, attempts) "
        "VALUES (?,?,?,0,1)");
    Stmt kept = db_->prepare(
        "INSERT INTO attempts (delivery_id, at, outcome, reason, duration_us) "
        "VALUES (?,?,'delivered','',?)");
    for (sqlite::Run& r : runs) {
      std::vector<sqlite::RunEntry> stay;
      for (const auto& e : r.entries) {
        bool again = false;
        if (e.packetId >= firstPacket) {
          received.bind(1, e.packetId);
          again = received.step() && received.integer(0) >= fromMs;
          received.reset();
        }
        if (!again) {
          stay.push_back(e);
          continue;
        }
        kept.bind(1, e.id).bind(2, e.finishedAtMs).bind(3, e.durationUs).run();
        pending.bind(1, destinationId).bind(2, e.id).bind(3, e.packetId).run();
        ++n;
      }
      if (stay.size() == r.entries.size()) continue;
      r.entries = std::move(stay);
      sqlite::saveRun(*db_, r);
    }
  }
  countRequeuedIn(destinationId, n);
  return n;
}

void SqliteStore::retryNowIn(std::int64_t destinationId) {
  db_->prepare("UPDATE destination_state SET next_attempt_at=0 WHERE destination_id=?")
      .bind(1, destinationId)
      .run();
}

// Each destination's delivered rows are walked in id order (the table's own order: only delivered
// rows are read), the destinations merged by id, which is the order the packets arrived in (a
// packet's rows are inserted with it): so the oldest history goes first, a packet's rows for
// every destination together, and its packet right after them. Rows finished after the
// cutoff (a row a replay or a requeue delivered again later, a destination that was days
// behind) are passed over; a run of kNewerRun of them ends that destination's pass. The walk
// goes on from where the previous call stopped (rows deleted meanwhile are gone, rows passed
// over were newer then), so each row is read once per pass; once every destination's pass
// has ended, the next call starts a new one from the oldest rows. Packets stored with no
// delivery row at all (packets.unrouted) go by their own small index.
int SqliteStore::prune(std::int64_t olderThanMs, int batch) {
  verifyFiles(false);
  Lock lock(mu_);
  Transaction tx(*db_);
  constexpr int kNewerRun = 64;
  PruneCursor c = pruneCursor_;                                     // kept only once committed
  const std::vector<std::int64_t> destinations = destinationIds();  // removed ones too
  // Two walks per destination: its delivered rows (key d) and its run entries (key -d, each
  // entry taken or passed over as a row is; a run loses the entries pruned).
  std::vector<std::int64_t> keys;
  for (std::int64_t d : destinations) {
    keys.push_back(d);
    keys.push_back(-d);
  }
  Stmt walkRows = db_->prepare(
      "SELECT id, finished_at, packet_id FROM deliveries INDEXED BY deliveries_delivered "
      "WHERE destination_id=? AND state=1 AND id > ? ORDER BY id LIMIT ?");
  Stmt removeRow = db_->prepare("DELETE FROM deliveries WHERE destination_id=? AND id=?");
  Stmt history = db_->prepare("DELETE FROM attempts WHERE delivery_id=?");
  int n = 0;
  std::vector<std::int64_t> packets;
  std::map<std::int64_t, std::vector<std::int64_t>> fromRuns;  // destination -> entry ids
  while (n < batch) {
    // The next rows and runs of every walk still in its pass, merged by id.
    struct Item {
      std::int64_t id, finished, packet, key;
    };
    std::vector<Item> items;
    const std::int64_t want = batch - n + kNewerRun;
    bool any = false;
    for (std::int64_t key : keys) {
      PruneCursor::Walk& w = c.walks[key];
      if (w.done) continue;
      any = true;
      std::int64_t got = 0;
      if (key > 0) {
        walkRows.bind(1, key).bind(2, w.after).bind(3, want);
        while (walkRows.step()) {
          items.push_back({walkRows.integer(0), walkRows.integer(1), walkRows.integer(2), key});
          ++got;
        }
        walkRows.reset();
      } else {
        sqlite::forEachRun(*db_, -key, w.after, [&](sqlite::Run& r) {
          for (const sqlite::RunEntry& e : r.entries) {
            if (e.id <= w.after) continue;
            if (got == want) return false;
            items.push_back({e.id, e.finishedAtMs, e.packetId, key});
            ++got;
          }
          return true;
        });
      }
      if (got < want)
        w.last = got == 0 ? w.after : items.back().id;  // its end, for now
      else
        w.last = -1;
    }
    if (!any) break;
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.id < b.id; });
    for (const Item& it : items) {
      PruneCursor::Walk& w = c.walks[it.key];
      if (w.done) continue;
      w.after = it.id;
      if (it.finished < olderThanMs) {
        if (it.key > 0) {
          removeRow.bind(1, it.key).bind(2, it.id).run();
          history.bind(1, it.id).run();
        } else {
          fromRuns[-it.key].push_back(it.id);
        }
        packets.push_back(it.packet);
        w.newer = 0;
        if (++n == batch) break;
      } else if (++w.newer == kNewerRun) {
        w.done = true;
      }
    }
    // The runs lose the entries taken (a run of none left goes).
    for (auto& [dest, ids] : fromRuns) {
      std::sort(ids.begin(), ids.end());
      std::size_t at = 0;
      while (at < ids.size()) {
        auto r = sqlite::runHolding(*db_, dest, ids[at]);
        if (!r) {
          ++at;
          continue;
        }
        const std::int64_t end = r->lastId();
        std::vector<sqlite::RunEntry> stay;
        for (const sqlite::RunEntry& e : r->entries) {
          while (at < ids.size() && ids[at] < e.id) ++at;
          if (at < ids.size() && ids[at] == e.id)
            ++at;
          else
            stay.push_back(e);
        }
        while (at < ids.size() && ids[at] <= end) ++at;
        r->entries = std::move(stay);
        sqlite::saveRun(*db_, *r);
      }
    }
    fromRuns.clear();
    // A walk whose items ran out before `want` and were all read has ended its pass.
    bool progressed = false;
    for (std::int64_t key : keys) {
      PruneCursor::Walk& w = c.walks[key];
      if (w.done) continue;
      if (w.last >= 0 && w.after >= w.last)
        w.done = true;
      else
        progressed = true;
    }
    if (!progressed) break;
  }
  bool passOver = true;
  for (std::int64_t key : keys)
    if (!c.walks[key].done) passOver = false;
  if (passOver) c.walks.clear();  // the next call starts a new pass from the oldest rows
  std::sort(packets.begin(), packets.end());
  deleteOrphanPackets(packets);
  if (n < batch) {
    db_->prepare(
           "DELETE FROM packets WHERE id IN (SELECT id FROM packets WHERE unrouted=1 AND "
           "received_at < ? ORDER BY received_at LIMIT ?)")
        .bind(1, olderThanMs)
        .bind(2, static_cast<std::int64_t>(batch - n))
        .run();
    n += db_->changes();
  }
  tx.commit();
  pruneCursor_ = std::move(c);
  return n;
}

std::vector<std::int64_t> SqliteStore::destinationIds() {
  std::vector<std::int64_t> out;
  Stmt d = db_->prepare("SELECT id FROM destinations ORDER BY id");
  while (d.step()) out.push_back(d.integer(0));
  return out;
}

// A packet's rows are in its span of ids (migration 015), under any destination, removed ones
// included: one probe of the primary key per destination.
void SqliteStore::deleteOrphanPackets(const std::vector<std::int64_t>& packets) {
  Stmt span = db_->prepare("SELECT first_delivery, delivery_span FROM packets WHERE id=?");
  Stmt row = db_->prepare(
      "SELECT 1 FROM deliveries d WHERE d.destination_id IN (SELECT id FROM destinations) AND "
      "d.id BETWEEN ?1 AND ?2 AND d.packet_id=?3 LIMIT 1");
  Stmt runs = db_->prepare(
      "SELECT first_id, count, entries, last_id FROM delivered_runs WHERE destination_id=? "
      "AND first_id<=? ORDER BY first_id DESC LIMIT 1");
  Stmt orphan = db_->prepare("DELETE FROM packets WHERE id=?");
  const std::vector<std::int64_t> destinations = destinationIds();
  // The runs read for one packet are mostly the next packet's too.
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<sqlite::RunEntry>> decoded;
  auto inRuns = [&](std::int64_t packet, std::int64_t first, std::int64_t last) {
    for (std::int64_t d : destinations) {
      runs.bind(1, d).bind(2, last);
      if (!runs.step() || runs.integer(3) < first) {
        runs.reset();
        continue;
      }
      const auto key = std::make_pair(d, runs.integer(0));
      auto it = decoded.find(key);
      if (it == decoded.end()) {
        if (decoded.size() > 64) decoded.clear();
        it = decoded.emplace(key, sqlite::decodeRun(d, key.second, runs.integer(1), runs.blob(2)))
                 .first;
      }
      runs.reset();
      for (const auto& e : it->second)
        if (e.id >= first && e.id <= last && e.packetId == packet) return true;
    }
    return false;
  };
  std::int64_t previous = -1;
  for (std::int64_t p : packets) {
    if (p == previous) continue;  // a packet's rows come together
    previous = p;
    span.bind(1, p);
    if (!span.step()) {  // gone already
      span.reset();
      continue;
    }
    const bool none = span.isNull(0) || span.isNull(1);
    const std::int64_t first = none ? 0 : span.integer(0);
    const std::int64_t last = none ? -1 : first + span.integer(1) - 1;
    span.reset();
    if (!none) {
      row.bind(1, first).bind(2, last).bind(3, p);
      const bool held = row.step();
      row.reset();
      if (held || inRuns(p, first, last)) continue;
    }
    orphan.bind(1, p).run();
  }
}

int SqliteStore::pruneDeadLetters(std::int64_t olderThanMs, int batch) {
  verifyFiles(false);
  Lock lock(mu_);
  Transaction tx(*db_);
  // Each destination's oldest dead letters (deliveries_dead), merged: the oldest `batch`.
  const std::vector<std::int64_t> destinations = destinationIds();
  Stmt oldest = db_->prepare(
      "SELECT id, packet_id FROM deliveries INDEXED BY deliveries_dead WHERE destination_id=? "
      "AND state=2 AND "
      "finished_at < ? ORDER BY id LIMIT ?");
  struct Row {
    std::int64_t id, packet, destination;
    bool operator<(const Row& o) const { return id < o.id; }
  };
  std::vector<Row> rows;
  for (std::int64_t dest : destinations) {
    oldest.bind(1, dest).bind(2, olderThanMs).bind(3, static_cast<std::int64_t>(batch));
    while (oldest.step()) rows.push_back({oldest.integer(0), oldest.integer(1), dest});
    oldest.reset();
  }
  std::sort(rows.begin(), rows.end());
  if (rows.size() > static_cast<std::size_t>(batch)) rows.resize(static_cast<std::size_t>(batch));
  Stmt remove = db_->prepare("DELETE FROM deliveries WHERE destination_id=? AND id=?");
  Stmt history = db_->prepare("DELETE FROM attempts WHERE delivery_id=?");
  std::vector<std::int64_t> packets;
  for (const Row& r : rows) {
    remove.bind(1, r.destination).bind(2, r.id).run();
    history.bind(1, r.id).run();
    packets.push_back(r.packet);
  }
  std::sort(packets.begin(), packets.end());
  deleteOrphanPackets(packets);
  tx.commit();
  return static_cast<int>(rows.size());
}

}  // namespace dcgw::store
