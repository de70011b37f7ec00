// The store as its callers see it: narrow interfaces named after what each caller needs. A
// backend (gateway/store/sqlite, later PostgreSQL) implements all of them and is judged by one
// conformance suite (tests/store/conformance_test.cpp). Failures of the database as a whole are
// thrown as StoreError with a category; refusals of a request are returned as values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/store/errors.hpp"
#include "gateway/store/sequence.hpp"
#include "gateway/store/types.hpp"

namespace dcgw::store {

// Reads of the configuration (destinations, locations, devices).
class ConfigReader {
 public:
  virtual ~ConfigReader() = default;
  virtual std::vector<DestinationConfig> destinations() = 0;  // not removed
  // Removed ones too (their history stays readable).
  virtual std::optional<DestinationConfig> destination(std::int64_t id) = 0;
  virtual std::vector<LocationConfig> locations() = 0;
  virtual std::optional<LocationConfig> location(std::int64_t id) = 0;
  virtual std::vector<std::int64_t> locationsOf(std::int64_t destinationId) = 0;
  virtual std::int64_t deviceCount(std::int64_t locationId) = 0;
  virtual std::vector<DeviceRecord> devices() = 0;
  virtual std::optional<DeviceRecord> device(const std::string& serial) = 0;
  virtual bool empty() = 0;  // no destination, location or device yet (a fresh database)
  // The card relay's registry (issue 12).
  virtual std::vector<CompanyCardConfig> companyCards() = 0;  // by number
  virtual std::optional<CompanyCardConfig> companyCard(const std::string& number) = 0;
  virtual std::vector<CardBridgeRecord> cardBridges() = 0;  // by ident
  virtual std::optional<CardBridgeRecord> cardBridge(const std::string& ident) = 0;
  // A location's alert settings (language "en" and no rule on when it has none).
  virtual AlertSettings alertSettings(std::int64_t locationId) = 0;
  virtual std::vector<AlertSettings> allAlertSettings() = 0;  // every location's, by id
};

// One change of the configuration or one admin action, with its audit row, in one transaction:
// nothing is kept unless commit() is called. Reads see the transaction's own writes. Shapes are
// validated by the caller (gateway/control); the store refuses only what breaks its integrity
// (a taken name: Conflict; a missing object: NotFound).
class AdminTransaction : public ConfigReader {
 public:
  virtual Result<std::int64_t> createDestination(const DestinationConfig& d,
                                                 std::int64_t nowMs) = 0;
  virtual Status updateDestination(const DestinationConfig& d, std::int64_t nowMs) = 0;
  // It leaves every location; what it had queued becomes dead letters ("destination removed").
  virtual Status removeDestination(std::int64_t id, std::int64_t nowMs) = 0;
  virtual Status setPaused(std::int64_t id, bool paused) = 0;
  virtual Result<std::int64_t> createLocation(const LocationConfig& l) = 0;
  virtual Status updateLocation(const LocationConfig& l) = 0;
  virtual Status removeLocation(std::int64_t id) = 0;
  virtual Status upsertDevice(const DeviceConfig& d) = 0;
  virtual Status removeDevice(const std::string& serial) = 0;
  // Sets the device's sequence mark (an admin's reset; 0: nothing stored, the next sequence is
  // taken as it comes). NotFound when there is no such device.
  virtual Status setLastSequence(const std::string& serial, std::uint32_t lastSequence) = 0;
  virtual bool removeRefusedIdent(const std::string& serial) = 0;

  // Company cards and card bridges. upsertCompanyCard: NotFound (field "locationIds") when a
  // location does not exist. removeCompanyCard: NotFound; Conflict while a device names it
  // (its companyCard). upsertDevice: NotFound (field "companyCard") for a card not registered.
  // A location that is removed leaves every card's locationIds.
  virtual Status upsertCompanyCard(const CompanyCardConfig& c) = 0;
  virtual Status removeCompanyCard(const std::string& number) = 0;
  virtual Status upsertCardBridge(const CardBridgeConfig& b) = 0;
  virtual Status removeCardBridge(const std::string& ident) = 0;  // NotFound
  // Replaces the location's alert settings; NotFound when the location does not exist.
  virtual Status setAlertSettings(const AlertSettings& s) = 0;

  // Queue actions. skipBlocking dead-letters the oldest pending row with the reason (only if it
  // is still expectedId, when given); false when there is none.
  virtual bool skipBlocking(std::int64_t destinationId, const std::string& reason,
                            std::int64_t nowMs, std::optional<std::int64_t> expectedId) = 0;
  virtual int requeueDead(std::int64_t destinationId) = 0;
  // Delivered rows of packets received at or after fromMs go back in the queue.
  virtual int replayFrom(std::int64_t destinationId, std::int64_t fromMs) = 0;
  virtual void retryNow(std::int64_t destinationId) = 0;

  // Tokens: the secret is returned once; only its SHA-256 is stored.
  virtual std::pair<TokenRecord, std::string> createToken(const std::string& name,
                                                          const std::string& role,
                                                          std::int64_t nowMs) = 0;
  virtual bool revokeToken(std::int64_t id, std::int64_t nowMs) = 0;

  virtual void appendAudit(const AuditRecord& r) = 0;
  // Makes every change of the transaction durable and releases the writer. REQUIRES: nothing
  // else is called on the transaction afterwards (publish the change, then drop it).
  virtual void commit() = 0;
};

// The configuration: reads, and changes through a transaction. The one-call helpers below run
// one change in a transaction of its own, without an audit row (the configuration loader's and
// the tests' way; the admin control layer audits every change).
class ConfigStore : public ConfigReader {
 public:
  // Takes the writer; REQUIRES: one transaction at a time per thread.
  virtual std::unique_ptr<AdminTransaction> begin() = 0;
  // The snapshot routing reads (devices, locations' enabled destinations, filters, version).
  virtual RoutingTable routingTable() = 0;

  Result<std::int64_t> createDestination(const DestinationConfig& d, std::int64_t nowMs);
  Status updateDestination(const DestinationConfig& d, std::int64_t nowMs);
  Status removeDestination(std::int64_t id, std::int64_t nowMs);
  Status setPaused(std::int64_t id, bool paused);
  Result<std::int64_t> createLocation(const LocationConfig& l);
  Status updateLocation(const LocationConfig& l);
  Status removeLocation(std::int64_t id);
  Status upsertDevice(const DeviceConfig& d);
  Status removeDevice(const std::string& serial);
  std::pair<TokenRecord, std::string> createToken(const std::string& name, const std::string& role,
                                                  std::int64_t nowMs);
  bool revokeToken(std::int64_t id, std::int64_t nowMs);
  bool removeRefusedIdent(const std::string& serial);
  bool skipBlocking(std::int64_t destinationId, const std::string& reason, std::int64_t nowMs,
                    std::optional<std::int64_t> expectedId = std::nullopt);
  int requeueDead(std::int64_t destinationId);
  int replayFrom(std::int64_t destinationId, std::int64_t fromMs);
  void retryNow(std::int64_t destinationId);
  void appendAudit(const AuditRecord& r);
};

// What the uplink's logins need, read on a connection of their own so a login never waits for
// an ingest commit; and the logins it refused.
class DeviceDirectory {
 public:
  virtual ~DeviceDirectory() = default;
  virtual std::optional<DeviceAuth> deviceAuth(const std::string& serial) = 0;
  // One row per serial: the last address and reason, first and last time, a count; the 10,000
  // most recent serials are kept.
  virtual void recordRefusedIdents(const std::vector<RefusedIdent>& idents) = 0;
  virtual std::vector<RefusedIdent> refusedIdents() = 0;  // most recent first
};

// The ingest log: packets and their delivery rows, appended atomically.
class IngestLog {
 public:
  virtual ~IngestLog() = default;
  // In ONE transaction: for each item with a sequence, classifies it against the device's
  // mark by `rules` (sequence.hpp: classify, the one rule) and raises the mark on New; stores
  // New (and sequence-less) packets with one delivery row per deliverTo and counts filteredOut.
  // A Stored item's derived packets (RoutedItem::before/after) are stored around it and its
  // drivers recorded, in the same transaction; nothing of them for any other outcome.
  // Once an item is SequenceOutOfRange, the later items of its session (IngestItem::session,
  // when not 0) in the batch are too: nothing after a refused packet of a connection is stored.
  // Teltonika frames (IngestItem::frameKey, frameEnd): an item with a frameKey != 0 equal to the
  // device's current frame key (the stored one, as raised by the earlier items of the batch) is
  // Duplicate (not stored, nothing derived); a Stored item with frameEnd sets the device's frame
  // key to its frameKey. So a frame committed whole makes its resend a duplicate, and a frame
  // split over two batches stores its first part before the key is raised. Each stored packet
  // keeps its IngestItem::origin (QueueEntry::origin; empty: none).
  // Returns one outcome per item. Returns nullopt, storing nothing, when the configuration
  // changed since `configVersion` (re-route with a fresh routingTable() and append again).
  // Throws StoreError when the transaction cannot commit: then nothing of the batch is stored.
  virtual std::optional<std::vector<AppendOutcome>> append(const std::vector<RoutedItem>& items,
                                                           std::int64_t configVersion,
                                                           const SequenceRules& rules) = 0;
  virtual std::uint64_t duplicates() const = 0;  // resent packets dropped, since start
};

// Each destination's queue as its worker reads and works it, strictly in order.
class DeliveryQueue {
 public:
  virtual ~DeliveryQueue() = default;
  // The oldest `limit` pending rows, in order.
  virtual std::vector<PendingDelivery> pendingBatch(std::int64_t destinationId, int limit) = 0;
  struct Attempt {
    std::int64_t deliveryId;
    AttemptResult result;
    std::int64_t atMs;
  };
  // Records attempts of one destination in one transaction, in order: delivered or dead rows
  // leave the queue; `after` is the destination's backoff state once they are recorded (only
  // the last attempt can be a failure: a failure ends the worker's run). An attempt on a row no
  // longer pending (an admin skipped it meanwhile) is not recorded.
  virtual void recordAttempts(std::int64_t destinationId, const std::vector<Attempt>& attempts,
                              const DestinationState& after) = 0;
  virtual DestinationState state(std::int64_t destinationId) = 0;
  virtual DestinationCounters counters(std::int64_t destinationId) = 0;
  virtual bool hasPending(std::int64_t destinationId) = 0;  // cheap, unlike counters().depth
  virtual std::vector<std::int64_t> deliveryIds(std::int64_t destinationId, DeliveryState s) = 0;
  // Deletes delivered rows finished before olderThanMs, oldest packets first, at most `batch`
  // at a time, and the packets left without rows. Returns how many rows went (delivery rows,
  // and packets received before olderThanMs that had none, such as a device's without a
  // location): a caller prunes again while it returns `batch`.
  virtual int prune(std::int64_t olderThanMs, int batch) = 0;
  // Deletes dead-letter rows finished before olderThanMs, oldest first, at most `batch`, with
  // their attempts and the packets left without rows; returns how many delivery rows went.
  // Dead letters are otherwise kept; only the store's room (store.maxBytes, the free-disk
  // floor) calls this, once no delivered history is left to prune.
  virtual int pruneDeadLetters(std::int64_t olderThanMs, int batch) = 0;

  // Convenience: the oldest pending row, and one attempt.
  std::optional<PendingDelivery> nextPending(std::int64_t destinationId);
  void recordAttempt(std::int64_t destinationId, std::int64_t deliveryId, const AttemptResult& r,
                     std::int64_t nowMs, const DestinationState& after);
};

// The admin's views of every queue, read without waiting for a commit.
class QueueViews {
 public:
  virtual ~QueueViews() = default;
  virtual std::vector<QueueOverview> queueOverview() = 0;
  virtual std::optional<QueueOverview> queue(std::int64_t destinationId) = 0;
  virtual std::vector<QueueEntry> entries(std::int64_t destinationId, const EntryFilter& f) = 0;
  virtual std::optional<QueueEntry> entry(std::int64_t destinationId, std::int64_t entryId) = 0;
  // The plan the database chooses for the overview's statements (for the benchmark's report).
  virtual std::vector<std::string> overviewQueryPlan() = 0;
};

// Tokens and the audit log, as the admin API reads them.
class AccessLog {
 public:
  virtual ~AccessLog() = default;
  // The token of this secret, if any and not revoked. Its last use is recorded best-effort.
  virtual std::optional<TokenRecord> authenticate(const std::string& secret,
                                                  std::int64_t nowMs) = 0;
  virtual std::vector<TokenRecord> tokens() = 0;
  virtual std::vector<AuditRecord> audit(std::int64_t beforeId, int limit) = 0;  // newest first
};

// The card relay's log and the bridges' logins (issue 12), on a connection of their own like
// DeviceDirectory: a relay step never waits for an ingest commit.
class CardLog {
 public:
  virtual ~CardLog() = default;
  // The bridge's key; nullopt when there is no such bridge, or it has no key.
  virtual std::optional<codecs::Bytes> cardBridgeKey(const std::string& ident) = 0;
  // Appends in one transaction, ids ascending in the given order; the 100,000 newest events
  // are kept.
  virtual void recordCardEvents(const std::vector<CardEventRecord>& events) = 0;
  virtual std::vector<CardEventRecord> cardEvents(const CardEventFilter& f) = 0;  // newest first
  // The 10,000 newest sessions are kept.
  virtual void recordCardSessions(const std::vector<CardSessionRecord>& sessions) = 0;
  // Newest first (by endedAtMs, then id); "" card or serial: any.
  virtual std::vector<CardSessionRecord> cardSessions(const std::string& card,
                                                      const std::string& serial, int limit) = 0;
};

// The newest download per vehicle unit and per driver card (issue 13): what download compliance
// and the alerts read, without parsing stored files again.
class DownloadLog {
 public:
  virtual ~DownloadLog() = default;
  // Keeps the record unless one for the same kind and subject is newer (downloadedAtMs, then
  // fileId): files may be stored out of their download order.
  virtual void recordDownload(const TachoDownloadRecord& r) = 0;
  // Every subject's newest download, by kind then subject; a location id: only the subjects last
  // downloaded by a device of that location.
  virtual std::vector<TachoDownloadRecord> downloads(std::optional<std::int64_t> locationId) = 0;
};

// The index of stored tachograph files (issue 13) and the uploads in progress. The bytes are in
// the file store (gateway/files); the index names them by digest. Durable at return: a stored
// file is acknowledged to its device only after recordFile returned.
class FileIndex {
 public:
  virtual ~FileIndex() = default;
  // In ONE transaction: adds the file (a new id, ascending) and ends the device's upload
  // (serial, uploadId), if any. Returns the id.
  virtual std::int64_t recordFile(const FileRecord& f) = 0;
  // Newest first (by id); f.serial "" for every device.
  virtual std::vector<FileRecord> files(const FileFilter& f) = 0;
  virtual std::optional<FileRecord> file(std::int64_t id) = 0;
  // The file this device's upload with this id and digest became, if it was stored (a device
  // whose FILE_RESULT was lost asks again). The newest such file.
  virtual std::optional<FileRecord> fileOfUpload(const std::string& serial, std::uint32_t uploadId,
                                                 const std::string& sha256) = 0;
  // Whether any file row names this digest.
  virtual bool digestReferenced(const std::string& sha256) = 0;
  // Marks the file processed at atMs (FileRecord::processedAtMs).
  virtual void markFileProcessed(std::int64_t id, std::int64_t atMs) = 0;
  // Files not processed yet, oldest first, at most `limit`.
  virtual std::vector<FileRecord> unprocessedFiles(int limit) = 0;
  // In ONE transaction: begins (or replaces) each upload (serial, uploadId). A burst of devices
  // beginning at once costs one commit, not one each.
  virtual void beginUploads(const std::vector<FileUploadRecord>& uploads) = 0;
  void beginUpload(const FileUploadRecord& u) { beginUploads({u}); }
  virtual void endUpload(const std::string& serial, std::uint32_t uploadId) = 0;
  virtual std::vector<FileUploadRecord> uploads() = 0;  // by serial, then id
  // Deletes the file rows received before olderThanMs, at most `batch`, and says which digests
  // no row names any more.
  virtual FilePrune pruneFiles(std::int64_t olderThanMs, int batch) = 0;
};

// The drivers the gateway has seen with a name (schema/derived-packets.md section 3): who is new
// decides the New Driver notification (0x44). IngestLog::append records them too, with the
// packet that revealed them.
class DriverRegistry {
 public:
  virtual ~DriverRegistry() = default;
  // `cardNumber` as recorded (trimmed); nullopt for a card never recorded.
  virtual std::optional<DriverRecord> driver(const std::string& cardNumber) = 0;
  virtual std::vector<DriverRecord> drivers() = 0;  // by card number
  // In one transaction, in order: a card not known yet is added with firstSeenAtMs =
  // lastSeenAtMs; a known one keeps its first sighting and takes the names, lastSeenAtMs and
  // lastSerial given. REQUIRES: cardNumber not empty.
  virtual void recordDrivers(const std::vector<DriverRecord>& drivers) = 0;
};

// The state of the alert conditions (gateway/alerts), one writer: the alert engine. A condition
// is put when first seen and when raised, and removed when it ends.
class AlertLog {
 public:
  virtual ~AlertLog() = default;
  virtual std::vector<AlertCondition> alertConditions() = 0;    // by location, rule, subject
  virtual void putAlertCondition(const AlertCondition& c) = 0;  // inserts or replaces
  virtual void removeAlertCondition(std::int64_t locationId, const std::string& rule,
                                    const std::string& subject) = 0;
  // A device's newest time-related warning, kept with the device (dropped with it): recorded by
  // the node whose tracker sent it, read by whichever node evaluates the rules (the cluster's
  // leader), so the warning is raised whatever node the tracker is connected to. Replaces the
  // device's earlier one; an unknown serial records nothing.
  virtual void recordTimeWarning(const TimeWarningRecord& w) = 0;
  virtual std::vector<TimeWarningRecord> timeWarnings() = 0;  // by serial
};

// A node of a multi-node installation (Cluster::clusterNodes()).
struct ClusterNodeRecord {
  std::int64_t id{0};
  std::string name;
  std::string adminUrl;
  std::int64_t startedAtMs{0};
  std::int64_t heartbeatAtMs{0};
};

// The forwarding owner of a destination (Cluster::destinationOwners()).
struct DestinationOwner {
  std::int64_t destinationId{0};
  std::int64_t nodeId{0};
  std::int64_t epoch{0};
  std::int64_t sinceMs{0};
};

// A company card online at a node's card-bridge listener (Cluster::publishCards()).
struct CardPresence {
  std::string card;
  std::int64_t nodeId{0};
  std::string link;  // host:port of that node's card-bridge listener (its node links)
  std::string bridge;
  std::string reader;
  std::int64_t sinceMs{0};
};

// Several gateway nodes on one database (issue 14; schema/postgres/README.md, "Nodes and
// ownership"): liveness, one forwarding owner per destination, and hints between nodes. A
// backend that is one node by nature (SQLite) has none (Backend::cluster() is null).
class Cluster {
 public:
  virtual ~Cluster() = default;
  // Joins as a new node: a row of its own and its liveness lock, held on a connection of its
  // own (the lock connection) until leaveCluster() or the end of the process. Returns the
  // node's id. From then on recordAttempts() is fenced: it records only for a destination this
  // node acquired, while the database still names this node's epoch for it (else it throws
  // StoreError(Fenced) and records nothing). Throws StoreError.
  virtual std::int64_t joinCluster(const std::string& name, const std::string& adminUrl) = 0;
  // Refreshes the heartbeat. Throws StoreError(Unavailable) once the lock connection was lost:
  // every lock of the node went with it, so it owns nothing any more; join again (a new id).
  virtual void heartbeat() = 0;
  // The live nodes, by id: those holding their liveness lock with a heartbeat younger than
  // staleMs. A node whose lock is held but whose heartbeat is older (stopped, or cut off while
  // its connection lingers) has its lock connection terminated, so its locks are freed.
  virtual std::vector<ClusterNodeRecord> clusterNodes(std::int64_t staleMs) = 0;
  // Takes the destination's forwarding lock when it is free, then raises its epoch and records
  // this node as its owner. nullopt: another node holds it.
  virtual std::optional<std::int64_t> acquireDestination(std::int64_t destinationId) = 0;
  // Stops recording for it and frees its lock. REQUIRES: its worker has stopped.
  virtual void releaseDestination(std::int64_t destinationId) = 0;
  virtual std::vector<DestinationOwner> destinationOwners() = 0;  // by destination
  // Hints between nodes (PostgreSQL: NOTIFY on channel dcgw_hints; a hint only: a lost one is
  // made up for by polling). listenHints() (re)connects the listening connection; waitHints()
  // returns the payloads received within timeoutMs (also this node's own) and throws
  // StoreError(Unavailable) when that connection was lost.
  virtual void sendHint(const std::string& payload) = 0;
  virtual void listenHints() = 0;
  virtual std::vector<std::string> waitHints(int timeoutMs) = 0;
  // The cluster's leader lock (one node runs what must run once, the alert rules' evaluation):
  // taken when free, and whether this node holds it, as the server says now (a node stopped
  // and resumed after the others ended its lock connection learns here that it lost it).
  // Throws StoreError(Unavailable) once the lock connection was lost.
  virtual bool holdLeadership() = 0;
  // Card sessions whichever node a tracker lands on (schema/postgres/README.md, "Card sessions
  // across nodes"): this node's cards online (`card`, `link`, `bridge`, `reader` of each; the
  // rest is filled in) replace what it published before. Throws StoreError.
  virtual void publishCards(const std::vector<CardPresence>& cards) = 0;
  // The cards online at live nodes (their liveness lock held, their heartbeat younger than
  // staleMs), this node's included, by card and then by since.
  virtual std::vector<CardPresence> cardPresence(std::int64_t staleMs) = 0;
  // The key the nodes' links prove themselves with: 32 random bytes made by the first node that
  // asks, the same for every node of the database. Throws StoreError.
  virtual std::vector<std::uint8_t> clusterKey() = 0;
  // Frees every lock, withdraws the node's cards and marks it stopped.
  virtual void leaveCluster() = 0;
};

// Whether a backend can still keep what it is given (Backend::health()).
struct Health {
  bool ok{true};
  std::string reason;  // for people, when !ok: what was lost and what to do
};

// How much room the store takes (issue 17), as `dcgw serve` watches it against store.maxBytes
// and the free-disk floor, and /metrics shows it.
struct StoreSize {
  std::int64_t usedBytes{0};       // what the rows take (SQLite: pages in use)
  std::int64_t fileBytes{0};       // the database on disk (SQLite: the file, free pages included)
  std::int64_t walBytes{0};        // SQLite's write-ahead log; 0 for PostgreSQL
  std::int64_t freeDiskBytes{-1};  // free space where the database is; -1: not known here
  std::int64_t packets{0};         // packets held (an estimate from their ids)
};

// A whole backend.
class Backend : public ConfigStore,
                public DeviceDirectory,
                public IngestLog,
                public DeliveryQueue,
                public QueueViews,
                public AccessLog,
                public CardLog,
                public DownloadLog,
                public FileIndex,
                public DriverRegistry,
                public AlertLog {
 public:
  ~Backend() override = default;
  virtual int schemaVersion() = 0;
  // The multi-node seam; nullptr for a backend that is one node (SQLite).
  virtual Cluster* cluster() { return nullptr; }
  // Cheap (callers poll it: dcgw serve every second, GET /healthz on each request). Not ok once
  // the backend knows that what it commits no longer reaches durable storage (SQLite: the
  // database file or its -wal/-shm was deleted or replaced while open). That is final for this
  // instance: from then on append() throws StoreError(Unavailable) -- also for a batch whose
  // commit went to the lost storage, so nothing of it is acknowledged --, as do begin(),
  // deviceAuth() (a login must not trust sequence marks of lost storage), pendingBatch(),
  // recordAttempts() and prune(). Reopen the store (restart) to go on.
  virtual Health health() = 0;
  // Read without waiting for a commit; cheap enough to call every second.
  virtual StoreSize size() = 0;
};

}  // namespace dcgw::store
