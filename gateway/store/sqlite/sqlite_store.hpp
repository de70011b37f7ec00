// The SQLite backend of the store interfaces: the embedded default (one file, WAL). A writer
// connection serialised by a mutex, where every state change is one transaction; a read
// connection for the admin's views and one for the uplink's logins, so neither waits for an
// ingest commit. sqlite3.h stays behind this header (see db.hpp).
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

namespace sqlite {
class Db;
class Stmt;
class Checkpointer;

// The rows of one state of a destination, as SQL (migrations 015, 016): "deliveries d", with
// the partial index of that state named, since the planner would rather walk the destination's
// whole range in the table's own order (a backlog of pending rows included).
inline std::string deliveriesOfState(DeliveryState s) {
  switch (s) {
    case DeliveryState::Pending:
      return "deliveries d INDEXED BY deliveries_pending";
    case DeliveryState::Dead:
      return "deliveries d INDEXED BY deliveries_dead";
    case DeliveryState::Delivered:
      return "deliveries d INDEXED BY deliveries_delivered";
  }
  return "deliveries d";
}
}  // namespace sqlite

class SqliteStore final : public Backend {
 public:
  // Opens (creating) the database and applies the migrations. Throws StoreError.
  explicit SqliteStore(const std::string& path, Durability durability = Durability::Full);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // DownloadLog (sqlite_downloads.cpp)
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
  // AccessLog
  std::optional<TokenRecord> authenticate(const std::string& secret, std::int64_t nowMs) override;
  std::vector<TokenRecord> tokens() override;
  std::vector<AuditRecord> audit(std::int64_t beforeId, int limit) override;
  // CardLog (sqlite_cards.cpp)
  std::optional<codecs::Bytes> cardBridgeKey(const std::string& ident) override;
  void recordCardEvents(const std::vector<CardEventRecord>& events) override;
  std::vector<CardEventRecord> cardEvents(const CardEventFilter& f) override;
  void recordCardSessions(const std::vector<CardSessionRecord>& sessions) override;
  std::vector<CardSessionRecord> cardSessions(const std::string& card, const std::string& serial,
                                              int limit) override;
  // FileIndex (sqlite_files.cpp)
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
  // DriverRegistry (sqlite_drivers.cpp)
  std::optional<DriverRecord> driver(const std::string& cardNumber) override;
  std::vector<DriverRecord> drivers() override;
  void recordDrivers(const std::vector<DriverRecord>& drivers) override;
  // AlertLog (sqlite_alerts.cpp)
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

  // The writer connection, for tests of this backend only (sqlite/db.hpp has the type).
  sqlite::Db& db() { return *db_; }
  // WAL checkpoints run by the checkpoint thread since the store was opened (see
  // sqlite/checkpointer.hpp), and by commits themselves (the short tail the thread left, so
  // the WAL starts over; or all of it when the thread fell far behind).
  std::uint64_t walCheckpoints() const;
  std::uint64_t inlineWalCheckpoints() const;

 private:
  class Tx;
  friend class Tx;

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
  std::vector<DestinationConfig> destinationsOn(sqlite::Db& db);
  std::optional<DestinationConfig> destinationOn(sqlite::Db& db, std::int64_t id);
  std::vector<LocationConfig> locationsOn(sqlite::Db& db);
  std::vector<std::int64_t> locationsOfOn(sqlite::Db& db, std::int64_t destinationId);
  std::int64_t deviceCountOn(sqlite::Db& db, std::int64_t locationId);
  std::vector<DeviceRecord> devicesOn(sqlite::Db& db, const std::string* serial);
  bool emptyOn(sqlite::Db& db);
  std::vector<CompanyCardConfig> companyCardsOn(sqlite::Db& db, const std::string* number);
  std::vector<CardBridgeRecord> cardBridgesOn(sqlite::Db& db, const std::string* ident);
  // Every location's settings, or the one of `locationId` (defaults when it has none).
  std::vector<AlertSettings> alertSettingsOn(sqlite::Db& db, std::optional<std::int64_t> id);
  std::optional<PendingDelivery> nextPendingOn(sqlite::Db& db, std::int64_t destinationId);
  // Every queue, or the one of `destinationId`, read in one transaction.
  std::vector<QueueOverview> overview(std::optional<std::int64_t> destinationId);
  // entries() inside its read transaction on the reader (readerMu_ held).
  std::vector<QueueEntry> entriesIn(std::int64_t destinationId, const EntryFilter& f);

  // ---- the files under the path are the ones opened (sqlite_health.cpp) ----
  void rememberFiles();
  // Compares the files with the ones opened, at most once a second unless `now`; throws
  // StoreError(Unavailable) once they are lost (deleted or replaced).
  void verifyFiles(bool now);

  const std::string path_;  // absolute: a later chdir does not change what is checked
  std::mutex filesMu_;
  struct FileId {
    bool known{false};  // -wal and -shm are remembered when first seen
    std::uint64_t device{0};
    std::uint64_t inode{0};
  };
  std::array<FileId, 3> files_;  // the database, -wal, -shm; guarded by filesMu_
  std::string lostReason_;       // guarded by filesMu_
  std::atomic<bool> lost_{false};
  std::atomic<std::int64_t> lastFileCheckNs_{0};

  std::recursive_mutex mu_;
  std::unique_ptr<sqlite::Db> db_;
  // prune()'s place in each destination's walk of delivered rows, kept between the calls of
  // one pass (guarded by mu_; see sqlite_queue.cpp).
  struct PruneCursor {
    struct Walk {
      std::int64_t after{0};  // the last row read
      std::int64_t last{-1};  // the last row there was when last read; -1: more
      int newer{0};           // rows finished after the cutoff in a row
      bool done{false};       // this pass is over for the destination
    };
    std::map<std::int64_t, Walk> walks;
  } pruneCursor_;
  void deleteOrphanPackets(const std::vector<std::int64_t>& packets);
  std::vector<std::int64_t> destinationIds();  // every destination, removed ones too
  Durability durability_;
  std::mutex readerMu_;
  std::unique_ptr<sqlite::Db> reader_;  // read-only queries that must not queue behind a commit
  // The listener's logins only: an admin's long audit query must not hold up a login.
  std::mutex authMu_;
  std::unique_ptr<sqlite::Db> authReader_;
  // The ingest thread's routing snapshots: never behind an admin's audit query either.
  std::mutex routingMu_;
  std::unique_ptr<sqlite::Db> routingReader_;
  // Last: its thread and the writer's WAL hook go before the connections.
  std::unique_ptr<sqlite::Checkpointer> checkpointer_;
  std::atomic<std::uint64_t> duplicates_{0};
};

}  // namespace dcgw::store
