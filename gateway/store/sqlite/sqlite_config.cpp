// The SQLite backend's configuration: destinations, locations, devices, the admin's
// transactions (a change and its audit row together), the routing snapshot and the device
// directory of the uplink's logins.
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "gateway/store/sqlite/checkpointer.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::store {
using sqlite::Db;
using sqlite::SqliteError;
using sqlite::Stmt;
using sqlite::Transaction;

namespace {

using Lock = std::lock_guard<std::recursive_mutex>;

std::string joinLines(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

std::vector<std::string> splitLines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

// Parameters 1-12 of the destination INSERT and UPDATE, in column order.
void bindSettings(Stmt& s, const DestinationConfig& d) {
  const auto& st = d.settings;
  s.bind(1, st.name).bind(2, st.method).bind(3, st.host).bind(4, std::int64_t{st.port});
  s.bind(5, st.format).bind(6, st.customTags);
  if (d.filter) {
    s.bind(7, joinLines(*d.filter));
  } else {
    s.bindNull(7);
  }
  s.bind(8, d.enabled ? 1 : 0).bind(9, d.paused ? 1 : 0).bind(10, st.tlsVerify ? 1 : 0);
  s.bind(11, st.tlsCaFile).bind(12, st.replyTimeoutMs);
}

constexpr const char* kDestinationColumns =
    "id, name, method, host, port, format, custom_tags, filter, enabled, paused, tls_verify, "
    "tls_ca_file, reply_timeout_ms";

std::optional<DestinationConfig> readDestination(Stmt& s) {
  if (!s.step()) return std::nullopt;
  DestinationConfig d;
  d.id = s.integer(0);
  d.settings.name = s.text(1);
  d.settings.method = s.text(2);
  d.settings.host = s.text(3);
  d.settings.port = static_cast<std::uint16_t>(s.integer(4));
  d.settings.format = s.text(5);
  d.settings.customTags = s.text(6);
  if (!s.isNull(7)) d.filter = splitLines(s.text(7));
  d.enabled = s.integer(8) != 0;
  d.paused = s.integer(9) != 0;
  d.settings.tlsVerify = s.integer(10) != 0;
  d.settings.tlsCaFile = s.text(11);
  d.settings.replyTimeoutMs = s.integer(12);
  return d;
}

std::optional<std::int64_t> optionalInteger(const Stmt& s, int col) {
  if (s.isNull(col)) return std::nullopt;
  return s.integer(col);
}

constexpr const char* kDeviceColumns =
    "SELECT serial, location_id, registration, device_key IS NOT NULL, last_sequence, "
    "company_card, protocol, family, last_packet_at FROM devices";

// A row of kDeviceColumns (the key itself is never read here, only whether there is one).
DeviceRecord readDevice(const Stmt& s) {
  return DeviceRecord{s.text(0),
                      optionalInteger(s, 1),
                      s.text(2),
                      s.integer(3) != 0,
                      static_cast<std::uint32_t>(s.integer(4)),
                      s.text(5),
                      s.text(6),
                      s.text(7),
                      optionalInteger(s, 8)};
}

std::string sha256(const std::string& text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), out, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

bool isConstraint(const SqliteError& e) {
  return e.category() == ErrorCategory::Conflict;
}

}  // namespace

// ---------------------------------------------------------------- the admin's transaction

class SqliteStore::Tx final : public AdminTransaction {
 public:
  explicit Tx(SqliteStore& s) : s_(s), lock_(s.mu_), tx_(begin(s)) {}

  std::vector<DestinationConfig> destinations() override { return s_.destinationsOn(*s_.db_); }
  std::optional<DestinationConfig> destination(std::int64_t id) override {
    return s_.destinationOn(*s_.db_, id);
  }
  std::vector<LocationConfig> locations() override { return s_.locationsOn(*s_.db_); }
  std::optional<LocationConfig> location(std::int64_t id) override {
    for (auto& l : s_.locationsOn(*s_.db_))
      if (l.id == id) return l;
    return std::nullopt;
  }
  std::vector<std::int64_t> locationsOf(std::int64_t destinationId) override {
    return s_.locationsOfOn(*s_.db_, destinationId);
  }
  std::int64_t deviceCount(std::int64_t locationId) override {
    return s_.deviceCountOn(*s_.db_, locationId);
  }
  std::vector<DeviceRecord> devices() override { return s_.devicesOn(*s_.db_, nullptr); }
  std::optional<DeviceRecord> device(const std::string& serial) override {
    auto one = s_.devicesOn(*s_.db_, &serial);
    if (one.empty()) return std::nullopt;
    return std::move(one.front());
  }
  bool empty() override { return s_.emptyOn(*s_.db_); }
  std::vector<CompanyCardConfig> companyCards() override {
    return s_.companyCardsOn(*s_.db_, nullptr);
  }
  std::optional<CompanyCardConfig> companyCard(const std::string& number) override {
    auto one = s_.companyCardsOn(*s_.db_, &number);
    if (one.empty()) return std::nullopt;
    return std::move(one.front());
  }
  std::vector<CardBridgeRecord> cardBridges() override {
    return s_.cardBridgesOn(*s_.db_, nullptr);
  }
  std::optional<CardBridgeRecord> cardBridge(const std::string& ident) override {
    auto one = s_.cardBridgesOn(*s_.db_, &ident);
    if (one.empty()) return std::nullopt;
    return std::move(one.front());
  }
  AlertSettings alertSettings(std::int64_t locationId) override {
    return s_.alertSettingsOn(*s_.db_, locationId).front();
  }
  std::vector<AlertSettings> allAlertSettings() override {
    return s_.alertSettingsOn(*s_.db_, std::nullopt);
  }
  // Alert settings are not routing's configuration either: the version stays.
  Status setAlertSettings(const AlertSettings& a) override { return s_.setAlertSettingsIn(a); }
  // The card registry is not routing's configuration: the version stays.
  Status upsertCompanyCard(const CompanyCardConfig& c) override {
    return s_.upsertCompanyCardIn(c);
  }
  Status removeCompanyCard(const std::string& number) override {
    return s_.removeCompanyCardIn(number);
  }
  Status upsertCardBridge(const CardBridgeConfig& b) override { return s_.upsertCardBridgeIn(b); }
  Status removeCardBridge(const std::string& ident) override {
    return s_.removeCardBridgeIn(ident);
  }

  Result<std::int64_t> createDestination(const DestinationConfig& d, std::int64_t nowMs) override {
    return config(s_.createDestinationIn(d, nowMs));
  }
  Status updateDestination(const DestinationConfig& d, std::int64_t nowMs) override {
    return config(s_.updateDestinationIn(d, nowMs));
  }
  Status removeDestination(std::int64_t id, std::int64_t nowMs) override {
    return config(s_.removeDestinationIn(id, nowMs));
  }
  Status setPaused(std::int64_t id, bool paused) override {
    return config(s_.setPausedIn(id, paused));
  }
  Result<std::int64_t> createLocation(const LocationConfig& l) override {
    return config(s_.createLocationIn(l));
  }
  Status updateLocation(const LocationConfig& l) override { return config(s_.updateLocationIn(l)); }
  Status removeLocation(std::int64_t id) override { return config(s_.removeLocationIn(id)); }
  Status upsertDevice(const DeviceConfig& d) override { return config(s_.upsertDeviceIn(d)); }
  Status removeDevice(const std::string& serial) override {
    return config(s_.removeDeviceIn(serial));
  }
  // Not a configuration change (routing does not read the mark): the version stays.
  Status setLastSequence(const std::string& serial, std::uint32_t lastSequence) override {
    return s_.setLastSequenceIn(serial, lastSequence);
  }
  bool removeRefusedIdent(const std::string& serial) override {
    return s_.removeRefusedIdentIn(serial);
  }
  bool skipBlocking(std::int64_t destinationId, const std::string& reason, std::int64_t nowMs,
                    std::optional<std::int64_t> expectedId) override {
    return s_.skipBlockingIn(destinationId, reason, nowMs, expectedId);
  }
  int requeueDead(std::int64_t destinationId) override { return s_.requeueDeadIn(destinationId); }
  int replayFrom(std::int64_t destinationId, std::int64_t fromMs) override {
    return s_.replayFromIn(destinationId, fromMs);
  }
  void retryNow(std::int64_t destinationId) override { s_.retryNowIn(destinationId); }
  std::pair<TokenRecord, std::string> createToken(const std::string& name, const std::string& role,
                                                  std::int64_t nowMs) override {
    return s_.createTokenIn(name, role, nowMs);
  }
  bool revokeToken(std::int64_t id, std::int64_t nowMs) override {
    return s_.revokeTokenIn(id, nowMs);
  }
  void appendAudit(const AuditRecord& r) override { s_.appendAuditIn(r); }
  void commit() override {
    if (configChanged_) s_.raiseConfigVersionIn();
    tx_.commit();
    // The writer is free from here: whoever acts on the published change (a worker reloading
    // its destination) may need it while this object still lives.
    lock_.unlock();
  }

 private:
  static Db& begin(SqliteStore& s) {
    // A configuration change is on disk before the admin is told it is done.
    s.db_->exec("PRAGMA synchronous=FULL");
    return *s.db_;
  }
  // A change that went through raises the configuration's version at commit.
  template <class R>
  R config(R r) {
    if (r.ok()) configChanged_ = true;
    return r;
  }

  SqliteStore& s_;
  std::unique_lock<std::recursive_mutex> lock_;
  Transaction tx_;
  bool configChanged_{false};
};

// ---------------------------------------------------------------- opening

// The database holds device keys: a file this process creates is readable by its owner only
// (SQLite gives the -wal and -shm files the database file's permissions).
static const std::string& createPrivately(const std::string& path) {
  if (!path.empty() && path != ":memory:") {
    const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
  }
  return path;
}

static std::string absolutePath(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) return path;
  std::error_code ec;
  auto p = std::filesystem::absolute(path, ec);
  return ec ? path : p.string();
}

SqliteStore::SqliteStore(const std::string& path, Durability durability)
    : path_(absolutePath(path)),
      db_(std::make_unique<Db>(createPrivately(path))),
      durability_(durability),
      reader_(std::make_unique<Db>(path)),
      authReader_(std::make_unique<Db>(path)),
      routingReader_(std::make_unique<Db>(path)) {
  rememberFiles();
  if (path_ != ":memory:" && path_.rfind("file:", 0) != 0)
    checkpointer_ = std::make_unique<sqlite::Checkpointer>(*db_, path_);
}

SqliteStore::~SqliteStore() = default;

std::uint64_t SqliteStore::walCheckpoints() const {
  return checkpointer_ ? checkpointer_->checkpoints() : 0;
}

std::uint64_t SqliteStore::inlineWalCheckpoints() const {
  return checkpointer_ ? checkpointer_->inlineCheckpoints() : 0;
}

int SqliteStore::schemaVersion() {
  Lock lock(mu_);
  return db_->schemaVersion();
}

std::unique_ptr<AdminTransaction> SqliteStore::begin() {
  verifyFiles(false);  // a change the store would lose is refused
  return std::make_unique<Tx>(*this);
}

void SqliteStore::raiseConfigVersionIn() {
  db_->exec("UPDATE config_version SET version = version + 1 WHERE id = 1");
}

// ---------------------------------------------------------------- reads

std::vector<DestinationConfig> SqliteStore::destinationsOn(Db& db) {
  Stmt s = db.prepare(std::string("SELECT ") + kDestinationColumns +
                      " FROM destinations WHERE removed_at IS NULL ORDER BY id");
  std::vector<DestinationConfig> out;
  while (auto d = readDestination(s)) out.push_back(std::move(*d));
  return out;
}

std::optional<DestinationConfig> SqliteStore::destinationOn(Db& db, std::int64_t id) {
  Stmt s =
      db.prepare(std::string("SELECT ") + kDestinationColumns + " FROM destinations WHERE id = ?");
  s.bind(1, id);
  return readDestination(s);
}

std::vector<LocationConfig> SqliteStore::locationsOn(Db& db) {
  std::vector<LocationConfig> out;
  Stmt s = db.prepare(
      "SELECT id, name, description, file_naming, time_zone, vu_download_days, "
      "card_download_days FROM locations ORDER BY id");
  while (s.step())
    out.push_back({s.integer(0),
                   s.text(1),
                   s.text(2),
                   {},
                   LocationFiles{s.text(3), s.text(4), static_cast<int>(s.integer(5)),
                                 static_cast<int>(s.integer(6))}});
  Stmt d =
      db.prepare("SELECT destination_id FROM location_destinations WHERE location_id=? ORDER BY 1");
  for (auto& l : out) {
    d.bind(1, l.id);
    while (d.step()) l.destinationIds.push_back(d.integer(0));
    d.reset();
  }
  return out;
}

std::vector<std::int64_t> SqliteStore::locationsOfOn(Db& db, std::int64_t destinationId) {
  Stmt s = db.prepare(
      "SELECT location_id FROM location_destinations WHERE destination_id = ? ORDER BY 1");
  s.bind(1, destinationId);
  std::vector<std::int64_t> out;
  while (s.step()) out.push_back(s.integer(0));
  return out;
}

std::int64_t SqliteStore::deviceCountOn(Db& db, std::int64_t locationId) {
  Stmt s = db.prepare("SELECT COUNT(*) FROM devices WHERE location_id = ?");
  s.bind(1, locationId).step();
  return s.integer(0);
}

std::vector<DeviceRecord> SqliteStore::devicesOn(Db& db, const std::string* serial) {
  Stmt s =
      db.prepare(std::string(kDeviceColumns) + (serial ? " WHERE serial = ?" : " ORDER BY serial"));
  if (serial) s.bind(1, *serial);
  std::vector<DeviceRecord> out;
  while (s.step()) out.push_back(readDevice(s));
  return out;
}

bool SqliteStore::emptyOn(Db& db) {
  Stmt s = db.prepare(
      "SELECT (SELECT COUNT(*) FROM destinations) + (SELECT COUNT(*) FROM locations) + "
      "(SELECT COUNT(*) FROM devices)");
  s.step();
  return s.integer(0) == 0;
}

std::vector<DestinationConfig> SqliteStore::destinations() {
  Lock lock(mu_);
  return destinationsOn(*db_);
}

std::optional<DestinationConfig> SqliteStore::destination(std::int64_t id) {
  Lock lock(mu_);
  return destinationOn(*db_, id);
}

std::vector<LocationConfig> SqliteStore::locations() {
  Lock lock(mu_);
  return locationsOn(*db_);
}

std::optional<LocationConfig> SqliteStore::location(std::int64_t id) {
  for (auto& l : locations())
    if (l.id == id) return l;
  return std::nullopt;
}

std::vector<std::int64_t> SqliteStore::locationsOf(std::int64_t destinationId) {
  std::lock_guard lock(readerMu_);
  return locationsOfOn(*reader_, destinationId);
}

std::int64_t SqliteStore::deviceCount(std::int64_t locationId) {
  std::lock_guard lock(readerMu_);
  return deviceCountOn(*reader_, locationId);
}

std::vector<DeviceRecord> SqliteStore::devices() {
  std::lock_guard lock(readerMu_);
  return devicesOn(*reader_, nullptr);
}

std::optional<DeviceRecord> SqliteStore::device(const std::string& serial) {
  std::lock_guard lock(readerMu_);
  auto one = devicesOn(*reader_, &serial);
  if (one.empty()) return std::nullopt;
  return std::move(one.front());
}

bool SqliteStore::empty() {
  Lock lock(mu_);
  return emptyOn(*db_);
}

RoutingTable SqliteStore::routingTable() {
  std::lock_guard lock(routingMu_);
  // One read transaction: the version and the rows are of the same moment.
  routingReader_->exec("BEGIN");
  RoutingTable t;
  try {
    Stmt v = routingReader_->prepare("SELECT version FROM config_version WHERE id = 1");
    if (v.step()) t.version = v.integer(0);
    Stmt d = routingReader_->prepare("SELECT serial, location_id, registration FROM devices");
    while (d.step())
      t.devices.emplace(d.text(0), RoutingTable::Device{optionalInteger(d, 1), d.text(2)});
    Stmt r = routingReader_->prepare(
        "SELECT ld.location_id, d.id, d.filter FROM location_destinations ld JOIN destinations d "
        "ON d.id = ld.destination_id WHERE d.removed_at IS NULL AND d.enabled = 1 "
        "ORDER BY ld.location_id, d.id");
    while (r.step()) {
      RoutingTable::Route route{r.integer(1), std::nullopt};
      if (!r.isNull(2)) route.filter = splitLines(r.text(2));
      t.routes[r.integer(0)].push_back(std::move(route));
    }
  } catch (...) {
    routingReader_->exec("ROLLBACK");
    throw;
  }
  routingReader_->exec("COMMIT");
  return t;
}

// ---------------------------------------------------------------- changes

Result<std::int64_t> SqliteStore::createDestinationIn(const DestinationConfig& d,
                                                      std::int64_t nowMs) {
  Stmt dup = db_->prepare("SELECT 1 FROM destinations WHERE name = ? AND removed_at IS NULL");
  if (dup.bind(1, d.settings.name).step())
    return conflict("name", "a name no other destination has");
  Stmt s = db_->prepare(
      "INSERT INTO destinations (name, method, host, port, format, custom_tags, filter, enabled, "
      "paused, tls_verify, tls_ca_file, reply_timeout_ms, created_at, updated_at) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  bindSettings(s, d);
  s.bind(13, nowMs).bind(14, nowMs);
  s.run();
  std::int64_t id = db_->lastInsertId();
  db_->prepare("INSERT INTO destination_state (destination_id) VALUES (?)").bind(1, id).run();
  return id;
}

Status SqliteStore::updateDestinationIn(const DestinationConfig& d, std::int64_t nowMs) {
  Stmt s = db_->prepare(
      "UPDATE destinations SET name=?, method=?, host=?, port=?, format=?, custom_tags=?, "
      "filter=?, enabled=?, paused=?, tls_verify=?, tls_ca_file=?, reply_timeout_ms=?, "
      "updated_at=? WHERE id=? AND removed_at IS NULL");
  bindSettings(s, d);
  s.bind(13, nowMs).bind(14, d.id);
  try {
    s.run();
  } catch (const SqliteError& e) {
    if (isConstraint(e)) return conflict("name", "a name no other destination has");
    throw;
  }
  if (db_->changes() == 0) return notFound("id", "an existing destination");
  return Ok{};
}

Status SqliteStore::removeDestinationIn(std::int64_t id, std::int64_t nowMs) {
  db_->prepare("UPDATE destinations SET removed_at=?, enabled=0 WHERE id=? AND removed_at IS NULL")
      .bind(1, nowMs)
      .bind(2, id)
      .run();
  if (db_->changes() == 0) return notFound("id", "an existing destination");
  db_->prepare("DELETE FROM location_destinations WHERE destination_id=?").bind(1, id).run();
  // What it still had queued is kept, readable, as dead letters (and pruned like the rest).
  db_->prepare(
         "UPDATE deliveries INDEXED BY deliveries_pending SET state=2, finished_at=?, "
         "reason='destination removed' WHERE destination_id=? AND state=0")
      .bind(1, nowMs)
      .bind(2, id)
      .run();
  return Ok{};
}

Status SqliteStore::setPausedIn(std::int64_t id, bool paused) {
  db_->prepare("UPDATE destinations SET paused=? WHERE id=? AND removed_at IS NULL")
      .bind(1, paused ? 1 : 0)
      .bind(2, id)
      .run();
  if (db_->changes() == 0) return notFound("id", "an existing destination");
  return Ok{};
}

Result<std::int64_t> SqliteStore::createLocationIn(const LocationConfig& l) {
  try {
    const LocationFiles files = l.files.value_or(LocationFiles{});
    db_->prepare(
           "INSERT INTO locations (name, description, file_naming, time_zone, vu_download_days, "
           "card_download_days) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(1, l.name)
        .bind(2, l.description)
        .bind(3, files.naming)
        .bind(4, files.timeZone)
        .bind(5, std::int64_t{files.vehicleUnitDownloadDays})
        .bind(6, std::int64_t{files.driverCardDownloadDays})
        .run();
  } catch (const SqliteError& e) {
    if (isConstraint(e)) return conflict("name", "a name no other location has");
    throw;
  }
  std::int64_t id = db_->lastInsertId();
  if (Status s = linkDestinationsIn(id, l.destinationIds); !s) return s.error();
  return id;
}

Status SqliteStore::linkDestinationsIn(std::int64_t location,
                                       const std::vector<std::int64_t>& destinations) {
  Stmt ok = db_->prepare("SELECT 1 FROM destinations WHERE id=? AND removed_at IS NULL");
  Stmt link = db_->prepare("INSERT OR IGNORE INTO location_destinations VALUES (?, ?)");
  for (std::int64_t d : destinations) {
    const bool exists = ok.bind(1, d).step();
    ok.reset();
    if (!exists)
      return notFound("destinationIds", "existing destinations (" + std::to_string(d) + ")");
    link.bind(1, location).bind(2, d).run();
  }
  return Ok{};
}

Status SqliteStore::updateLocationIn(const LocationConfig& l) {
  try {
    db_->prepare("UPDATE locations SET name=?, description=? WHERE id=?")
        .bind(1, l.name)
        .bind(2, l.description)
        .bind(3, l.id)
        .run();
  } catch (const SqliteError& e) {
    if (isConstraint(e)) return conflict("name", "a name no other location has");
    throw;
  }
  if (db_->changes() == 0) return notFound("id", "an existing location");
  if (l.files)
    db_->prepare(
           "UPDATE locations SET file_naming=?, time_zone=?, vu_download_days=?, "
           "card_download_days=? WHERE id=?")
        .bind(1, l.files->naming)
        .bind(2, l.files->timeZone)
        .bind(3, std::int64_t{l.files->vehicleUnitDownloadDays})
        .bind(4, std::int64_t{l.files->driverCardDownloadDays})
        .bind(5, l.id)
        .run();
  db_->prepare("DELETE FROM location_destinations WHERE location_id=?").bind(1, l.id).run();
  return linkDestinationsIn(l.id, l.destinationIds);
}

Status SqliteStore::removeLocationIn(std::int64_t id) {
  db_->prepare("UPDATE devices SET location_id = NULL WHERE location_id = ?").bind(1, id).run();
  db_->prepare("DELETE FROM location_destinations WHERE location_id = ?").bind(1, id).run();
  db_->prepare("DELETE FROM locations WHERE id = ?").bind(1, id).run();
  if (db_->changes() == 0) return notFound("id", "an existing location");
  return Ok{};
}

Status SqliteStore::upsertDeviceIn(const DeviceConfig& d) {
  if (d.locationId) {
    Stmt ok = db_->prepare("SELECT 1 FROM locations WHERE id=?");
    if (!ok.bind(1, *d.locationId).step()) return notFound("locationId", "an existing location");
  }
  if (d.companyCard && !d.companyCard->empty()) {
    Stmt ok = db_->prepare("SELECT 1 FROM company_cards WHERE number=?");
    if (!ok.bind(1, *d.companyCard).step())
      return notFound("companyCard", "a registered company card");
  }
  Stmt s = db_->prepare(
      "INSERT INTO devices (serial, location_id, registration, device_key) VALUES (?,?,?,?) "
      "ON CONFLICT(serial) DO UPDATE SET location_id=excluded.location_id, "
      "registration=excluded.registration, "
      "device_key=COALESCE(excluded.device_key, devices.device_key)");
  s.bind(1, d.serial).bind(2, d.locationId).bind(3, d.registration);
  if (d.key) {
    s.bindBlob(4, d.key->data(), d.key->size());
  } else {
    s.bindNull(4);
  }
  s.run();
  if (d.companyCard)
    db_->prepare("UPDATE devices SET company_card = ? WHERE serial = ?")
        .bind(1, *d.companyCard)
        .bind(2, d.serial)
        .run();
  if (d.protocol)
    db_->prepare("UPDATE devices SET protocol = ? WHERE serial = ?")
        .bind(1, *d.protocol)
        .bind(2, d.serial)
        .run();
  if (d.family)
    db_->prepare("UPDATE devices SET family = ? WHERE serial = ?")
        .bind(1, *d.family)
        .bind(2, d.serial)
        .run();
  return Ok{};
}

Status SqliteStore::removeDeviceIn(const std::string& serial) {
  db_->prepare("DELETE FROM devices WHERE serial = ?").bind(1, serial).run();
  if (db_->changes() == 0) return notFound("serial", "a registered device");
  return Ok{};
}

Status SqliteStore::setLastSequenceIn(const std::string& serial, std::uint32_t lastSequence) {
  db_->prepare("UPDATE devices SET last_sequence = ? WHERE serial = ?")
      .bind(1, std::int64_t{lastSequence})
      .bind(2, serial)
      .run();
  if (db_->changes() == 0) return notFound("serial", "a registered device");
  return Ok{};
}

bool SqliteStore::removeRefusedIdentIn(const std::string& serial) {
  db_->prepare("DELETE FROM refused_idents WHERE serial = ?").bind(1, serial).run();
  return db_->changes() > 0;
}

std::pair<TokenRecord, std::string> SqliteStore::createTokenIn(const std::string& name,
                                                               const std::string& role,
                                                               std::int64_t nowMs) {
  if (role != "admin" && role != "auditor")
    throw std::invalid_argument("role must be admin or auditor, not '" + role + "'");
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1)
    throw std::runtime_error("OpenSSL RAND_bytes failed: no token");
  const std::string secret = "dcgw_" + codecs::toHex(codecs::ByteView(random, sizeof random));
  const std::string hash = sha256(secret);
  db_->prepare("INSERT INTO api_tokens (name, role, hash, created_at) VALUES (?,?,?,?)")
      .bind(1, name)
      .bind(2, role)
      .bindBlob(3, hash.data(), hash.size())
      .bind(4, nowMs)
      .run();
  return {TokenRecord{db_->lastInsertId(), name, role, nowMs, std::nullopt}, secret};
}

bool SqliteStore::revokeTokenIn(std::int64_t id, std::int64_t nowMs) {
  db_->prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
      .bind(1, nowMs)
      .bind(2, id)
      .run();
  return db_->changes() > 0;
}

void SqliteStore::appendAuditIn(const AuditRecord& r) {
  Stmt s = db_->prepare(
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

// ---------------------------------------------------------------- tokens (reads)

std::optional<TokenRecord> SqliteStore::authenticate(const std::string& secret,
                                                     std::int64_t nowMs) {
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
  // Best-effort: reads must keep working while the store cannot be written (read-only, full).
  if (!t->lastUsedAtMs || nowMs - *t->lastUsedAtMs > 60'000) {
    try {
      Lock lock(mu_);
      db_->prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
          .bind(1, nowMs)
          .bind(2, t->id)
          .run();
    } catch (const StoreError&) {
    }
  }
  return t;
}

std::vector<TokenRecord> SqliteStore::tokens() {
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(
      "SELECT id, name, role, created_at, last_used_at FROM api_tokens WHERE revoked_at IS NULL "
      "ORDER BY id");
  std::vector<TokenRecord> out;
  while (s.step())
    out.push_back({s.integer(0), s.text(1), s.text(2), s.integer(3), optionalInteger(s, 4)});
  return out;
}

// ---------------------------------------------------------------- the uplink's logins

std::optional<DeviceAuth> SqliteStore::deviceAuth(const std::string& serial) {
  // A lost database still answers from the files left open, and its sequence marks may hold
  // packets committed to them and never acknowledged: a login must not rely on them.
  verifyFiles(false);
  std::lock_guard lock(authMu_);
  Stmt s = authReader_->prepare(
      "SELECT device_key, last_sequence, protocol, family, frame_key FROM devices WHERE serial=?");
  if (!s.bind(1, serial).step()) return std::nullopt;
  DeviceAuth a;
  if (!s.isNull(0)) a.key = s.blob(0);
  a.lastSequence = static_cast<std::uint32_t>(s.integer(1));
  a.protocol = s.text(2);
  a.family = s.text(3);
  a.frameKey = s.integer(4);
  return a;
}

void SqliteStore::recordRefusedIdents(const std::vector<RefusedIdent>& idents) {
  if (idents.empty()) return;
  Lock lock(mu_);
  db_->exec("PRAGMA synchronous=NORMAL");
  Transaction tx(*db_);
  Stmt s = db_->prepare(
      "INSERT INTO refused_idents (serial, address, reason, first_at, last_at) "
      "VALUES (?,?,?,?,?) ON CONFLICT(serial) DO UPDATE SET address=excluded.address, "
      "reason=excluded.reason, last_at=excluded.last_at, attempts=attempts+1");
  for (const auto& r : idents)
    s.bind(1, r.serial).bind(2, r.address).bind(3, r.reason).bind(4, r.atMs).bind(5, r.atMs).run();
  // Serials are chosen by whoever connects: keep the most recent 10,000 only.
  db_->exec(
      "DELETE FROM refused_idents WHERE serial IN (SELECT serial FROM refused_idents "
      "ORDER BY last_at DESC LIMIT -1 OFFSET 10000)");
  tx.commit();
}

std::vector<RefusedIdent> SqliteStore::refusedIdents() {
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(
      "SELECT serial, address, reason, last_at, first_at, attempts FROM refused_idents "
      "ORDER BY last_at DESC");
  std::vector<RefusedIdent> out;
  while (s.step())
    out.push_back(
        RefusedIdent{s.text(0), s.text(1), s.text(2), s.integer(3), s.integer(4), s.integer(5)});
  return out;
}

}  // namespace dcgw::store
