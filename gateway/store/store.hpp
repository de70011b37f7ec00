// The durable model: configuration (destinations, locations, devices), packets, and one
// delivery row per (packet, destination whose filter takes it), which is each destination's
// queue. One SQLite connection, serialised by a mutex; every state change is one transaction.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/adapter.hpp"
#include "codecs/bytes.hpp"
#include "codecs/result.hpp"
#include "gateway/store/db.hpp"

namespace dcgw::store {

struct DestinationConfig {
  std::int64_t id{0};
  adapters::DestinationSettings settings;
  // nullopt: every packet (including types not known yet); else the registry's filter keys.
  std::optional<std::vector<std::string>> filter;
  bool enabled{true};
  bool paused{false};
};

struct LocationConfig {
  std::int64_t id{0};
  std::string name;
  std::string description;
  std::vector<std::int64_t> destinationIds;
};

struct DeviceConfig {
  std::string serial;
  std::optional<std::int64_t> locationId;
  std::string registration;
  // nullopt: keep the key the device has (none for a new device); a key is 16 to 64 bytes.
  std::optional<codecs::Bytes> key;
};

// What the uplink login needs to know of a device.
struct DeviceAuth {
  codecs::Bytes key;  // empty: the device has no key and cannot log in
  std::uint32_t lastSequence{0};
};

// A login the listener refused (schema/uplink.md section 4).
struct RefusedIdent {
  std::string serial;
  std::string address;
  std::string reason;
  std::int64_t atMs{0};
  // Read back only:
  std::int64_t firstAtMs{0};
  std::int64_t attempts{0};
};

struct IngestItem {
  std::string serial;
  std::string registration;  // empty: the device's registration
  codecs::Bytes packet;
  std::int64_t receivedAtMs{0};
  // Uplink sequence number; 0 for none. A packet whose sequence is not above the device's
  // last stored one is a duplicate: reported Ok and not stored again.
  std::uint32_t sequence{0};
  // The uplink connection (0: none). After a failed commit, the Ingestor refuses every later
  // item of the same session: a later packet committing first would raise the device's last
  // sequence over the failed one, which the resend would then find "duplicate".
  std::uint64_t session{0};
};

struct PendingDelivery {
  std::int64_t id{0};
  std::int64_t packetId{0};
  adapters::Envelope envelope;
  int attempts{0};
  std::int64_t receivedAtMs{0};
};

enum class DeliveryState : int { Pending = 0, Delivered = 1, Dead = 2 };

// How far an acknowledged packet is safe. Full: on disk before the tracker is acknowledged
// (survives power loss; an fsync per group commit). Normal: in the WAL, safe against a crash
// of the process (kill -9) but the last commits may be lost with power.
enum class Durability { Full, Normal };

struct DestinationState {
  int consecutiveFailures{0};
  std::int64_t nextAttemptAtMs{0};
  std::string lastError;
};

struct DestinationCounters {
  std::int64_t queued{0}, delivered{0}, failedAttempts{0}, deadLetters{0}, filtered{0};
  std::int64_t depth{0};
  std::optional<std::int64_t> oldestPendingReceivedAtMs;
};

// ---- the admin API's views (schema/openapi.yaml) ----
struct QueueOverview {
  std::int64_t destinationId{0};
  std::string name;
  std::string method;
  bool enabled{true};
  bool paused{false};
  DestinationState state;
  std::optional<std::int64_t> lastErrorAtMs;
  DestinationCounters counters;  // depth and oldest pending included
  std::optional<std::int64_t> blockingEntryId;
};

struct AttemptRecord {
  std::int64_t atMs{0};
  std::string outcome;
  std::string reason;
  std::int64_t durationUs{0};
};

struct QueueEntry {
  std::int64_t id{0};
  std::int64_t destinationId{0};
  std::int64_t packetId{0};
  DeliveryState state{DeliveryState::Pending};
  int attempts{0};
  std::int64_t receivedAtMs{0};
  std::optional<std::int64_t> finishedAtMs;
  std::optional<std::string> reason;
  std::string serial;
  std::string registration;
  int type{0};
  std::optional<std::string> filterKey;
  codecs::Bytes data;
  std::vector<AttemptRecord> history;
};

struct EntryFilter {
  std::optional<DeliveryState> state;
  std::optional<int> type;
  std::optional<std::string> serial;
  std::optional<std::int64_t> fromMs, toMs;
  std::int64_t afterId{0};
  int limit{50};
};

struct DeviceRecord {
  std::string serial;
  std::optional<std::int64_t> locationId;
  std::string registration;
  bool hasKey{false};
  std::uint32_t lastSequence{0};
};

struct TokenRecord {
  std::int64_t id{0};
  std::string name;
  std::string role;  // admin | auditor
  std::int64_t createdAtMs{0};
  std::optional<std::int64_t> lastUsedAtMs;
};

struct AuditRecord {
  std::int64_t id{0};
  std::int64_t atMs{0};
  std::string actor, role, action, target;
  std::optional<std::string> before, after;  // JSON text
};

class Store {
 public:
  explicit Store(const std::string& path, Durability durability = Durability::Full);

  // ---- configuration; invalid settings are refused with the field and the reason ----
  codecs::Result<std::int64_t> createDestination(const DestinationConfig& d, std::int64_t nowMs);
  codecs::Status updateDestination(const DestinationConfig& d, std::int64_t nowMs);
  // Keeps the destination's history readable; it leaves every location.
  codecs::Status removeDestination(std::int64_t id, std::int64_t nowMs);
  std::vector<DestinationConfig> destinations();  // not removed
  std::optional<DestinationConfig> destination(std::int64_t id);
  codecs::Status setPaused(std::int64_t id, bool paused);

  codecs::Result<std::int64_t> createLocation(const LocationConfig& l);
  codecs::Status updateLocation(const LocationConfig& l);
  std::vector<LocationConfig> locations();
  codecs::Status upsertDevice(const DeviceConfig& d);
  // Read on a connection of its own, so a login never waits for an ingest commit.
  std::optional<DeviceAuth> deviceAuth(const std::string& serial);
  // One row per serial: the last address and reason, first and last time, a count.
  void recordRefusedIdents(const std::vector<RefusedIdent>& idents);
  std::vector<RefusedIdent> refusedIdents();  // most recent first
  bool empty();  // no destination, location or device yet (a fresh database)

  // ---- ingest ----
  // Stores every item and its delivery rows in ONE transaction (group commit). Returns one
  // status per item (an unknown device is refused, the rest go on). Throws StoreError when the
  // transaction cannot commit (disk full, read-only...): then nothing of the batch is stored.
  // `touched` receives the destinations that got new rows.
  std::vector<codecs::Status> ingest(const std::vector<IngestItem>& items,
                                     std::vector<std::int64_t>& touched);

  // ---- the queue of one destination ----
  std::optional<PendingDelivery> nextPending(std::int64_t destinationId);
  // The oldest `limit` pending rows, in order (the worker sends them one by one).
  std::vector<PendingDelivery> pendingBatch(std::int64_t destinationId, int limit);
  // Records an attempt and its effect in one transaction: delivered or dead rows leave the
  // queue; a failure stores the backoff state.
  void recordAttempt(std::int64_t destinationId, std::int64_t deliveryId,
                     const adapters::DeliveryResult& r, std::int64_t nowMs,
                     const DestinationState& after);
  // Several attempts of one destination in one transaction, in order; `after` applies to a
  // failure (only the last attempt can be one: a failure ends the worker's run).
  struct Attempt {
    std::int64_t deliveryId;
    adapters::DeliveryResult result;
    std::int64_t atMs;
  };
  void recordAttempts(std::int64_t destinationId, const std::vector<Attempt>& attempts,
                      const DestinationState& after);
  DestinationState state(std::int64_t destinationId);
  DestinationCounters counters(std::int64_t destinationId);
  bool hasPending(std::int64_t destinationId);  // cheap, unlike counters().depth
  std::vector<std::int64_t> deliveryIds(std::int64_t destinationId, DeliveryState s);

  // ---- admin actions ----
  // Dead-letters the oldest pending row with the reason; false when the queue is empty.
  // With expectedId: only if that entry is still the blocking one.
  bool skipBlocking(std::int64_t destinationId, const std::string& reason, std::int64_t nowMs,
                    std::optional<std::int64_t> expectedId = std::nullopt);
  int requeueDead(std::int64_t destinationId);
  // Delivered rows of packets received at or after fromMs go back in the queue.
  int replayFrom(std::int64_t destinationId, std::int64_t fromMs);
  void retryNow(std::int64_t destinationId);
  // Deletes delivered rows finished before olderThanMs, at most `batch` at a time, and the
  // packets left without rows. Returns how many delivery rows went.
  int prune(std::int64_t olderThanMs, int batch);

  // ---- admin API (store_admin.cpp); reads use the read connection ----
  std::vector<QueueOverview> queueOverview();
  std::optional<QueueOverview> queue(std::int64_t destinationId);
  std::vector<QueueEntry> entries(std::int64_t destinationId, const EntryFilter& f);
  std::optional<QueueEntry> entry(std::int64_t destinationId, std::int64_t entryId);
  std::vector<std::int64_t> locationsOf(std::int64_t destinationId);
  std::optional<LocationConfig> location(std::int64_t id);
  std::int64_t deviceCount(std::int64_t locationId);
  codecs::Status removeLocation(std::int64_t id);
  std::vector<DeviceRecord> devices();
  std::optional<DeviceRecord> device(const std::string& serial);
  codecs::Status removeDevice(const std::string& serial);
  bool removeRefusedIdent(const std::string& serial);
  // Tokens: the secret is returned once; only its SHA-256 is stored.
  std::pair<TokenRecord, std::string> createToken(const std::string& name, const std::string& role,
                                                  std::int64_t nowMs);
  std::optional<TokenRecord> authenticate(const std::string& secret, std::int64_t nowMs);
  std::vector<TokenRecord> tokens();
  bool revokeToken(std::int64_t id, std::int64_t nowMs);
  void appendAudit(const AuditRecord& r);
  std::vector<AuditRecord> audit(std::int64_t beforeId, int limit);  // newest first
  // The plan SQLite chooses for the queue overview's statements (for the benchmark's report).
  std::vector<std::string> overviewQueryPlan();

  Db& db() { return db_; }                                  // tests only
  std::uint64_t duplicates() const { return duplicates_; }  // resent packets dropped

 private:
  codecs::Status validate(const DestinationConfig& d);
  // REQUIRES: inside a transaction.
  codecs::Status linkDestinations(std::int64_t location,
                                  const std::vector<std::int64_t>& destinations);
  std::optional<DestinationConfig> readDestination(Stmt& s);
  // Every queue, or the one of `destinationId`, read in one transaction.
  std::vector<QueueOverview> overview(std::optional<std::int64_t> destinationId);
  // REQUIRES: inside a transaction.
  void countRequeued(std::int64_t destinationId, int n);

  std::recursive_mutex mu_;
  Db db_;
  Durability durability_;
  std::mutex readerMu_;
  std::unique_ptr<Db> reader_;  // read-only queries that must not queue behind a commit
  // The listener's logins only: an admin's long audit query must not hold up a login.
  std::mutex authMu_;
  std::unique_ptr<Db> authReader_;
  std::atomic<std::uint64_t> duplicates_{0};
};

}  // namespace dcgw::store
