// The PostgreSQL backend of the store interfaces (issue 14): the store of an installation that
// outgrows one machine. Like the SQLite backend, a writer connection serialised by a mutex where
// every state change is one transaction, a read connection for the admin's views, one for the
// uplink's logins and one for routing snapshots, so none of them waits for an ingest commit.
// libpq-fe.h stays behind this header (see pg.hpp).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/store/interfaces.hpp"

namespace dcgw::store {

namespace postgres {
class Conn;
class Stmt;
}  // namespace postgres

class PostgresStore final : public Backend, public Cluster {
 public:
  // Opens (creating) the database and applies the migrations. Throws StoreError.
  explicit PostgresStore(const std::string& path, Durability durability = Durability::Full);
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  // DownloadLog (postgres_downloads.cpp)
  void recordDownload(const TachoDownloadRecord& r) override;
  std::vector<TachoDownloadRecord> downloads(std::optional<std::int64_t> locationId) override;

  // ConfigReader
  std::vector<DestinationConfig> destinations() override;
  std::optional<DestinationConfig> destination(std::int64_t id) override;
  std::vector<LocationConfig> locations() override;
  std::optional<LocationConfig> location(std::int64_t id) override;
  std::vector<std::int64_t> locationsOf(std::int64_t destinationId) override;
  std::int64_t deviceCount(std::int64_t locationId) override;
  std::vector<DeviceRecord> devices() override;
  std::optional<DeviceRecord> device(const std::string& serial) override;
  bool empty() override;
  std::vector<CompanyCardConfig> companyCards() override;
  std::optional<CompanyCardConfig> companyCard(const std::string& number) override;
  std::vector<CardBridgeRecord> cardBridges() override;
  std::optional<CardBridgeRecord> cardBridge(const std::string& ident) override;
  AlertSettings alertSettings(std::int64_t locationId) override;
  std::vector<AlertSettings> allAlertSettings() override;
  // ConfigStore
  std::unique_ptr<AdminTransaction> begin() override;
  RoutingTable routingTable() override;
  // DeviceDirectory
  std::optional<DeviceAuth> deviceAuth(const std::string& serial) override;
  void recordRefusedIdents(const std::vector<RefusedIdent>& idents) override;
  std::vector<RefusedIdent> refusedIdents() override;
  // IngestLog
  std::optional<std::vector<AppendOutcome>> append(const std::vector<RoutedItem>& items,
                                                   std::int64_t configVersion,
                                                   const SequenceRules& rules) override;
  std::uint64_t duplicates() const override { return duplicates_; }
  // DeliveryQueue
  std::vector<PendingDelivery> pendingBatch(std::int64_t destinationId, int limit) override;
  void recordAttempts(std::int64_t destinationId, const std::vector<Attempt>& attempts,
                      const DestinationState& after) override;
  DestinationState state(std::int64_t destinationId) override;
  DestinationCounters counters(std::int64_t destinationId) override;
  bool hasPending(std::int64_t destinationId) override;
  std::vector<std::int64_t> deliveryIds(std::int64_t destinationId, DeliveryState s) override;
  int prune(std::int64_t olderThanMs, int batch) override;
  int pruneDeadLetters(std::int64_t olderThanMs, int batch) override;
  // QueueViews
  std::vector<QueueOverview> queueOverview() override;
  std::optional<QueueOverview> queue(std::int64_t destinationId) override;
  std::vector<QueueEntry> entries(std::int64_t destinationId, const EntryFilter& f) override;
  std::optional<QueueEntry> entry(std::int64_t destinationId, std::int64_t entryId) override;
  std::vector<std::string> overviewQueryPlan() override;
  // EXPLAIN of the forwarding worker's head read and of its confirmation of a run of successes
  // (their plans must stay on the indexes whatever the statistics say: tested).
  std::vector<std::string> forwardingQueryPlans(std::int64_t destinationId);
  // AccessLog
  std::optional<TokenRecord> authenticate(const std::string& secret, std::int64_t nowMs) override;
  std::vector<TokenRecord> tokens() override;
  std::vector<AuditRecord> audit(std::int64_t beforeId, int limit) override;
  // CardLog (postgres_cards.cpp)
  std::optional<codecs::Bytes> cardBridgeKey(const std::string& ident) override;
  void recordCardEvents(const std::vector<CardEventRecord>& events) override;
  std::vector<CardEventRecord> cardEvents(const CardEventFilter& f) override;
  void recordCardSessions(const std::vector<CardSessionRecord>& sessions) override;
  std::vector<CardSessionRecord> cardSessions(const std::string& card, const std::string& serial,
                                              int limit) override;
  // FileIndex (postgres_files.cpp)
  std::int64_t recordFile(const FileRecord& f) override;
  std::vector<FileRecord> files(const FileFilter& f) override;
  std::optional<FileRecord> file(std::int64_t id) override;
  std::optional<FileRecord> fileOfUpload(const std::string& serial, std::uint32_t uploadId,
                                         const std::string& sha256) override;
  bool digestReferenced(const std::string& sha256) override;
  void markFileProcessed(std::int64_t id, std::int64_t atMs) override;
  std::vector<FileRecord> unprocessedFiles(int limit) override;
  void beginUploads(const std::vector<FileUploadRecord>& uploads) override;
  void endUpload(const std::string& serial, std::uint32_t uploadId) override;
  std::vector<FileUploadRecord> uploads() override;
  FilePrune pruneFiles(std::int64_t olderThanMs, int batch) override;
  // DriverRegistry (postgres_drivers.cpp)
  std::optional<DriverRecord> driver(const std::string& cardNumber) override;
  std::vector<DriverRecord> drivers() override;
  void recordDrivers(const std::vector<DriverRecord>& drivers) override;
  // AlertLog (postgres_alerts.cpp)
  std::vector<AlertCondition> alertConditions() override;
  void putAlertCondition(const AlertCondition& c) override;
  void removeAlertCondition(std::int64_t locationId, const std::string& rule,
                            const std::string& subject) override;
  void recordTimeWarning(const TimeWarningRecord& w) override;
  std::vector<TimeWarningRecord> timeWarnings() override;
  // Backend
  int schemaVersion() override;
  Health health() override;
  StoreSize size() override;
  Cluster* cluster() override { return this; }
  // Cluster (postgres_cluster.cpp)
  std::int64_t joinCluster(const std::string& name, const std::string& adminUrl) override;
  void heartbeat() override;
  std::vector<ClusterNodeRecord> clusterNodes(std::int64_t staleMs) override;
  std::optional<std::int64_t> acquireDestination(std::int64_t destinationId) override;
  void releaseDestination(std::int64_t destinationId) override;
  std::vector<DestinationOwner> destinationOwners() override;
  void sendHint(const std::string& payload) override;
  void listenHints() override;
  std::vector<std::string> waitHints(int timeoutMs) override;
  bool holdLeadership() override;
  void publishCards(const std::vector<CardPresence>& cards) override;
  std::vector<CardPresence> cardPresence(std::int64_t staleMs) override;
  std::vector<std::uint8_t> clusterKey() override;
  void leaveCluster() override;

  // The writer connection, for tests of this backend only (postgres/pg.hpp has the type).
  postgres::Conn& db() { return *db_; }
  // The connection string without its password, for messages.
  const std::string& where() const { return where_; }

 private:
  class Tx;
  friend class Tx;

  std::optional<std::vector<AppendOutcome>> appendOnce(const std::vector<RoutedItem>& items,
                                                       std::int64_t configVersion,
                                                       const SequenceRules& rules);

  // ---- work on the writer connection; REQUIRES: mu_ held and inside a transaction ----
  Result<std::int64_t> createDestinationIn(const DestinationConfig& d, std::int64_t nowMs);
  Status updateDestinationIn(const DestinationConfig& d, std::int64_t nowMs);
  Status removeDestinationIn(std::int64_t id, std::int64_t nowMs);
  Status setPausedIn(std::int64_t id, bool paused);
  Result<std::int64_t> createLocationIn(const LocationConfig& l);
  Status updateLocationIn(const LocationConfig& l);
  Status removeLocationIn(std::int64_t id);
  Status linkDestinationsIn(std::int64_t location, const std::vector<std::int64_t>& destinations);
  Status upsertDeviceIn(const DeviceConfig& d);
  Status removeDeviceIn(const std::string& serial);
  Status setLastSequenceIn(const std::string& serial, std::uint32_t lastSequence);
  bool removeRefusedIdentIn(const std::string& serial);
  Status upsertCompanyCardIn(const CompanyCardConfig& c);
  Status removeCompanyCardIn(const std::string& number);
  Status upsertCardBridgeIn(const CardBridgeConfig& b);
  Status removeCardBridgeIn(const std::string& ident);
  Status setAlertSettingsIn(const AlertSettings& s);
  bool skipBlockingIn(std::int64_t destinationId, const std::string& reason, std::int64_t nowMs,
                      std::optional<std::int64_t> expectedId);
  int requeueDeadIn(std::int64_t destinationId);
  int replayFromIn(std::int64_t destinationId, std::int64_t fromMs);
  void retryNowIn(std::int64_t destinationId);
  std::pair<TokenRecord, std::string> createTokenIn(const std::string& name,
                                                    const std::string& role, std::int64_t nowMs);
  bool revokeTokenIn(std::int64_t id, std::int64_t nowMs);
  void appendAuditIn(const AuditRecord& r);
  void recordAttemptsIn(std::int64_t destinationId, const std::vector<Attempt>& attempts,
                        const DestinationState& after);
  void countRequeuedIn(std::int64_t destinationId, int n);
  void raiseConfigVersionIn();
  void recordDriversIn(const std::vector<DriverRecord>& drivers);

  // ---- reads on a given connection (the writer's inside a transaction, else the reader) ----
  std::vector<DestinationConfig> destinationsOn(postgres::Conn& db);
  std::optional<DestinationConfig> destinationOn(postgres::Conn& db, std::int64_t id);
  std::vector<LocationConfig> locationsOn(postgres::Conn& db);
  std::vector<std::int64_t> locationsOfOn(postgres::Conn& db, std::int64_t destinationId);
  std::int64_t deviceCountOn(postgres::Conn& db, std::int64_t locationId);
  std::vector<DeviceRecord> devicesOn(postgres::Conn& db, const std::string* serial);
  bool emptyOn(postgres::Conn& db);
  std::vector<CompanyCardConfig> companyCardsOn(postgres::Conn& db, const std::string* number);
  std::vector<CardBridgeRecord> cardBridgesOn(postgres::Conn& db, const std::string* ident);
  // Every location's settings, or the one of `locationId` (defaults when it has none).
  std::vector<AlertSettings> alertSettingsOn(postgres::Conn& db, std::optional<std::int64_t> id);
  std::optional<PendingDelivery> nextPendingOn(postgres::Conn& db, std::int64_t destinationId);
  // Every queue, or the one of `destinationId`, read in one transaction.
  std::vector<QueueOverview> overview(std::optional<std::int64_t> destinationId);
  // A queue's depth and blocking entry (its lowest pending id), then that entry's packet time:
  // read by the overview and counters() alike (postgres_views.cpp).
  static const char* const kDepthSql;
  static const char* const kOldestSql;
  // The forwarding worker's in-order head read (postgres_queue.cpp).
  static const char* const kHeadSql;
  static const char* const kConfirmSql;
  // The advisory lock class ingest holds per destination while it takes delivery ids
  // (0x64630004; schema/postgres/README.md lists every class).
  static constexpr std::int64_t kDestinationIdLock = 0x64630004;

  const std::string conninfo_;
  const std::string where_;
  std::mutex healthMu_;
  std::unique_ptr<postgres::Conn> health_;  // health()'s own: it never waits for a commit

  std::recursive_mutex mu_;
  std::unique_ptr<postgres::Conn> db_;
  // Where each destination's head read starts (005_head_cursor.sql): every row of it with an id
  // up to `after` was not pending when `rewinds` was read, and cannot become pending again
  // before rewinds changes. Guarded by mu_.
  struct HeadCursor {
    std::int64_t rewinds{-1};
    std::int64_t after{0};
  };
  std::map<std::int64_t, HeadCursor> heads_;
  std::uint64_t headsSession_{0};  // the writer's session the cursors were learnt on
  // pendingBatch's read on the writer's `session`. REQUIRES: mu_ held.
  std::vector<PendingDelivery> headRead(std::int64_t destinationId, int limit,
                                        std::uint64_t session);
  Durability durability_;
  std::mutex readerMu_;
  std::unique_ptr<postgres::Conn> reader_;  // read-only queries that must not queue behind a commit
  // The listener's logins only: an admin's long audit query must not hold up a login.
  std::mutex authMu_;
  std::unique_ptr<postgres::Conn> authReader_;
  // The ingest thread's routing snapshots: never behind an admin's audit query either.
  std::mutex routingMu_;
  std::unique_ptr<postgres::Conn> routingReader_;
  std::atomic<std::uint64_t> duplicates_{0};

  // ---- the cluster (postgres_cluster.cpp) ----
  // The epoch this node holds for `destinationId`, when it joined a cluster (nullopt: not
  // joined, nothing is fenced). Throws StoreError(Fenced) when joined and not its owner.
  std::optional<std::int64_t> fenceOf(std::int64_t destinationId);
  // Throws StoreError(Unavailable) when the lock connection is not the session that joined.
  void checkLockSession();
  std::mutex clusterMu_;                  // the lock connection
  std::unique_ptr<postgres::Conn> lock_;  // node and destination locks, heartbeats, hints
  int lockPid_{0};
  std::int64_t nodeId_{0};
  std::mutex listenMu_;
  std::unique_ptr<postgres::Conn> listen_;  // LISTEN dcgw_hints
  std::mutex fenceMu_;
  bool joined_{false};                           // guarded by fenceMu_
  std::map<std::int64_t, std::int64_t> fences_;  // destination -> epoch; guarded by fenceMu_
};

}  // namespace dcgw::store
