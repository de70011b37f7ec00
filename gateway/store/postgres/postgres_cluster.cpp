// The PostgreSQL backend's cluster seam (issue 14; schema/postgres/README.md, "Nodes and
// ownership"): a node's liveness lock and heartbeat, one forwarding owner per destination by
// advisory lock and epoch, the fence on recording deliveries, and hints between nodes by
// LISTEN/NOTIFY. Locks live on the lock connection, which is never silently replaced: a session
// that is not the one that joined holds none of them, so the node is told it lost them.
#include <openssl/rand.h>

#include <algorithm>
#include <limits>

#include "gateway/store/postgres/pg.hpp"
#include "gateway/store/postgres/postgres_store.hpp"

namespace dcgw::store {
using postgres::Conn;
using postgres::Stmt;
using postgres::Transaction;

namespace {
// Advisory lock classes (the first of two int4 keys): "dc" then 1 for a node's liveness, 2 for
// a destination's forwarding.
constexpr std::int64_t kNodeLockClass = 0x64630001;
constexpr std::int64_t kDestinationLockClass = 0x64630002;
// The leader lock: class 3, key 1 (advisory locks are per database: one leader per cluster).
constexpr std::int64_t kLeaderLockClass = 0x64630003;
// The server's clock in milliseconds since the epoch: every node compares heartbeats on it.
constexpr const char* kNowMs = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

// Node `n` is live: not stopped, a heartbeat younger than ?1 ms, and its liveness lock held
// (?2: kNodeLockClass). A node killed frees its lock at once, whatever its heartbeat says.
constexpr const char* kLiveNode =
    "n.stopped_at IS NULL AND n.heartbeat_at >= NOW_MS - ?1 AND EXISTS (SELECT 1 FROM pg_locks "
    "l WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = ?2 AND l.objid::bigint "
    "= n.id AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = "
    "current_database()))";

std::string withNow(std::string sql) {
  for (std::size_t at; (at = sql.find("NOW_MS")) != std::string::npos;) sql.replace(at, 6, kNowMs);
  return sql;
}

void checkKey(std::int64_t id, const char* what) {
  if (id <= 0 || id > std::numeric_limits<std::int32_t>::max())
    throw StoreError(ErrorCategory::Invalid,
                     std::string(what) + " id " + std::to_string(id) +
                         " is outside the advisory lock's key range (1 .. 2^31-1)");
}
}  // namespace

void PostgresStore::checkLockSession() {
  // A session that is not the one that joined (the connection reconnected inside a statement)
  // may have taken a lock the others freed with the old one, the leader lock for one: it is
  // closed at once, so that lock is free again rather than held by a session nobody uses.
  if (lock_ && lock_->ok() && lock_->backendPid() != lockPid_) lock_.reset();
  if (!lock_ || !lock_->ok() || lock_->backendPid() != lockPid_)
    throw StoreError(ErrorCategory::Unavailable,
                     "this node's lock connection to PostgreSQL was lost, and every lock it "
                     "held with it (node " +
                         std::to_string(nodeId_) + " at " + where_ + ")");
}

std::int64_t PostgresStore::joinCluster(const std::string& name, const std::string& adminUrl) {
  std::lock_guard l(clusterMu_);
  {
    // Joined once, fenced until leaveCluster(): while a join again fails, nothing is recorded.
    std::lock_guard f(fenceMu_);
    fences_.clear();
  }
  lock_.reset();  // an earlier session's locks end with it
  lock_ = std::make_unique<Conn>(conninfo_);
  lockPid_ = lock_->backendPid();
  // Rows of nodes gone for a day are history nobody reads.
  lock_->prepare(withNow("DELETE FROM nodes WHERE heartbeat_at < NOW_MS - 86400000")).run();
  Stmt ins = lock_->prepare(
      withNow("INSERT INTO nodes (name, admin_url, lock_pid, started_at, heartbeat_at) "
              "VALUES (?, ?, pg_backend_pid(), NOW_MS, NOW_MS) RETURNING id"));
  ins.bind(1, name).bind(2, adminUrl);
  ins.step();
  nodeId_ = ins.integer(0);
  checkKey(nodeId_, "node");
  Stmt lk = lock_->prepare("SELECT pg_try_advisory_lock(?::integer, ?::integer)");
  lk.bind(1, kNodeLockClass).bind(2, nodeId_);
  if (!lk.step() || lk.integer(0) == 0)
    throw StoreError(ErrorCategory::Internal,
                     "node " + std::to_string(nodeId_) + ": its liveness lock is taken");
  checkLockSession();
  std::lock_guard f(fenceMu_);
  joined_ = true;
  return nodeId_;
}

void PostgresStore::heartbeat() {
  std::lock_guard l(clusterMu_);
  checkLockSession();
  Stmt up = lock_->prepare(withNow("UPDATE nodes SET heartbeat_at = NOW_MS WHERE id = ?"));
  up.bind(1, nodeId_).run();
  checkLockSession();  // a reconnect inside the statement is a new session without the locks
  if (lock_->changes() != 1)
    throw StoreError(ErrorCategory::Unavailable,
                     "node " + std::to_string(nodeId_) + " is no longer in the nodes table");
}

std::vector<ClusterNodeRecord> PostgresStore::clusterNodes(std::int64_t staleMs) {
  std::lock_guard l(clusterMu_);
  checkLockSession();
  // Nodes that hold their lock but stopped beating (SIGSTOP, a partition the server has not
  // noticed yet): their lock connection is ended, which frees every lock they hold.
  Stmt stale = lock_->prepare(
      withNow("SELECT pg_terminate_backend(l.pid) FROM nodes n JOIN pg_locks l ON l.locktype = "
              "'advisory' AND l.granted AND l.classid::bigint = ? AND l.objid::bigint = n.id AND "
              "l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = "
              "current_database()) WHERE n.stopped_at IS NULL AND n.id <> ? AND n.heartbeat_at < "
              "NOW_MS - ?"));
  stale.bind(1, kNodeLockClass).bind(2, nodeId_).bind(3, staleMs);
  while (stale.step()) {
  }
  Stmt q = lock_->prepare(withNow(
      std::string("SELECT n.id, n.name, n.admin_url, n.started_at, n.heartbeat_at FROM nodes n "
                  "WHERE ") +
      kLiveNode + " ORDER BY n.id"));
  q.bind(1, staleMs).bind(2, kNodeLockClass);
  std::vector<ClusterNodeRecord> out;
  while (q.step()) out.push_back({q.integer(0), q.text(1), q.text(2), q.integer(3), q.integer(4)});
  checkLockSession();
  return out;
}

std::optional<std::int64_t> PostgresStore::acquireDestination(std::int64_t destinationId) {
  checkKey(destinationId, "destination");
  std::lock_guard l(clusterMu_);
  checkLockSession();
  Stmt lk = lock_->prepare("SELECT pg_try_advisory_lock(?::integer, ?::integer)");
  lk.bind(1, kDestinationLockClass).bind(2, destinationId);
  if (!lk.step() || lk.integer(0) == 0) return std::nullopt;
  lk.reset();
  Stmt own = lock_->prepare(
      withNow("INSERT INTO destination_owners (destination_id, node_id, epoch, since) "
              "VALUES (?, ?, 1, NOW_MS) ON CONFLICT (destination_id) DO UPDATE SET node_id = "
              "EXCLUDED.node_id, epoch = destination_owners.epoch + 1, since = EXCLUDED.since "
              "RETURNING epoch"));
  own.bind(1, destinationId).bind(2, nodeId_);
  own.step();
  const std::int64_t epoch = own.integer(0);
  checkLockSession();
  std::lock_guard f(fenceMu_);
  fences_[destinationId] = epoch;
  return epoch;
}

bool PostgresStore::holdLeadership() {
  std::lock_guard l(clusterMu_);
  checkLockSession();
  // Taken again only when not held: a session's advisory locks stack.
  Stmt lk = lock_->prepare(
      "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
      "AND pid = pg_backend_pid() AND classid::bigint = ?1 AND objid::bigint = 1 AND objsubid = "
      "2) THEN true ELSE pg_try_advisory_lock(?1::integer, 1) END");
  lk.bind(1, kLeaderLockClass);
  const bool held = lk.step() && lk.integer(0) != 0;
  checkLockSession();  // a reconnect inside the statement is a new session without the locks
  return held;
}

void PostgresStore::releaseDestination(std::int64_t destinationId) {
  {
    std::lock_guard f(fenceMu_);
    fences_.erase(destinationId);
  }
  std::lock_guard l(clusterMu_);
  if (!lock_ || !lock_->ok() || lock_->backendPid() != lockPid_) return;  // gone with it
  try {
    Stmt un = lock_->prepare("SELECT pg_advisory_unlock(?::integer, ?::integer)");
    un.bind(1, kDestinationLockClass).bind(2, destinationId).run();
  } catch (const StoreError&) {
    // A lost connection freed it.
  }
}

std::vector<DestinationOwner> PostgresStore::destinationOwners() {
  std::lock_guard lock(readerMu_);
  Stmt q = reader_->prepare(
      "SELECT destination_id, node_id, epoch, since FROM destination_owners "
      "ORDER BY destination_id");
  std::vector<DestinationOwner> out;
  while (q.step()) out.push_back({q.integer(0), q.integer(1), q.integer(2), q.integer(3)});
  return out;
}

std::optional<std::int64_t> PostgresStore::fenceOf(std::int64_t destinationId) {
  std::lock_guard f(fenceMu_);
  if (!joined_) return std::nullopt;
  auto it = fences_.find(destinationId);
  if (it == fences_.end())
    throw StoreError(ErrorCategory::Fenced, "destination " + std::to_string(destinationId) +
                                                " is not forwarded by this node (node " +
                                                std::to_string(nodeId_) + ")");
  return it->second;
}

void PostgresStore::sendHint(const std::string& payload) {
  std::lock_guard l(clusterMu_);
  if (!lock_) throw StoreError(ErrorCategory::Unavailable, "this node has not joined");
  lock_->prepare("SELECT pg_notify('dcgw_hints', ?)").bind(1, payload).run();
}

void PostgresStore::listenHints() {
  std::lock_guard l(listenMu_);
  listen_.reset();
  listen_ = std::make_unique<Conn>(conninfo_);
  listen_->exec("LISTEN dcgw_hints");
}

std::vector<std::string> PostgresStore::waitHints(int timeoutMs) {
  std::lock_guard l(listenMu_);
  if (!listen_) throw StoreError(ErrorCategory::Unavailable, "not listening for hints");
  return listen_->notifications(timeoutMs);
}

void PostgresStore::publishCards(const std::vector<CardPresence>& cards) {
  std::int64_t node = 0;
  {
    std::lock_guard l(clusterMu_);
    node = nodeId_;
  }
  if (node == 0) return;  // not joined: nobody routes to it
  std::lock_guard<std::recursive_mutex> lock(mu_);
  // Lost to a crash of the server, the node publishes again at its next change or join.
  Transaction tx(*db_, Transaction::Mode::Fast);
  // A card still online keeps its row and its `since` (the node that reported it first is the
  // one the others relay to); the cards gone are withdrawn.
  std::vector<std::string> gone;
  {
    Stmt cur = db_->prepare("SELECT card FROM card_presence WHERE node_id = ?");
    cur.bind(1, node);
    while (cur.step())
      if (std::none_of(cards.begin(), cards.end(),
                       [&](const CardPresence& c) { return c.card == cur.text(0); }))
        gone.push_back(cur.text(0));
  }
  for (const std::string& card : gone)
    db_->prepare("DELETE FROM card_presence WHERE node_id = ? AND card = ?")
        .bind(1, node)
        .bind(2, card)
        .run();
  for (const CardPresence& c : cards)
    db_->prepare(withNow("INSERT INTO card_presence (card, node_id, link, bridge, reader, since) "
                         "VALUES (?, ?, ?, ?, ?, NOW_MS) ON CONFLICT (card, node_id) DO UPDATE "
                         "SET link = EXCLUDED.link, bridge = EXCLUDED.bridge, "
                         "reader = EXCLUDED.reader"))
        .bind(1, c.card)
        .bind(2, node)
        .bind(3, c.link)
        .bind(4, c.bridge)
        .bind(5, c.reader)
        .run();
  tx.commit();
}

std::vector<CardPresence> PostgresStore::cardPresence(std::int64_t staleMs) {
  std::lock_guard lock(readerMu_);
  // Live as clusterNodes() says: a node killed frees its liveness lock at once, so its cards
  // are gone from here in milliseconds, not after staleMs.
  Stmt q = reader_->prepare(
      withNow(std::string("SELECT p.card, p.node_id, p.link, p.bridge, p.reader, p.since FROM "
                          "card_presence p JOIN nodes n ON n.id = p.node_id WHERE ") +
              kLiveNode + " ORDER BY p.card, p.since, p.node_id"));
  q.bind(1, staleMs).bind(2, kNodeLockClass);
  std::vector<CardPresence> out;
  while (q.step())
    out.push_back({q.text(0), q.integer(1), q.text(2), q.text(3), q.text(4), q.integer(5)});
  return out;
}

std::vector<std::uint8_t> PostgresStore::clusterKey() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  unsigned char fresh[32];
  if (RAND_bytes(fresh, sizeof fresh) != 1)
    throw StoreError(ErrorCategory::Internal, "OpenSSL RAND_bytes failed: no cluster key");
  // The first node's key stays: the others' inserts do nothing.
  Transaction tx(*db_);
  db_->prepare("INSERT INTO cluster_key (id, key) VALUES (1, ?) ON CONFLICT (id) DO NOTHING")
      .bindBlob(1, fresh, sizeof fresh)
      .run();
  Stmt q = db_->prepare("SELECT key FROM cluster_key WHERE id = 1");
  if (!q.step()) throw StoreError(ErrorCategory::Internal, "the cluster key could not be read");
  std::vector<std::uint8_t> key = q.blob(0);
  q.reset();
  tx.commit();
  if (key.size() < 16)
    throw StoreError(ErrorCategory::Invalid, "the cluster key in table cluster_key has " +
                                                 std::to_string(key.size()) +
                                                 " bytes; it needs 16 or more");
  return key;
}

void PostgresStore::leaveCluster() {
  {
    std::lock_guard f(fenceMu_);
    joined_ = false;
    fences_.clear();
  }
  std::lock_guard l(clusterMu_);
  if (!lock_) return;
  try {
    if (lock_->ok() && lock_->backendPid() == lockPid_) {
      lock_->prepare(withNow("UPDATE nodes SET stopped_at = NOW_MS WHERE id = ?"))
          .bind(1, nodeId_)
          .run();
      lock_->prepare("DELETE FROM card_presence WHERE node_id = ?").bind(1, nodeId_).run();
      lock_->exec("SELECT pg_advisory_unlock_all()");
    }
  } catch (const StoreError&) {
    // Closing the connection below frees the locks anyway.
  }
  lock_.reset();
  std::lock_guard ll(listenMu_);
  listen_.reset();
}

}  // namespace dcgw::store
