// Configuration, ingest with fan-out and filters, and the per-destination queues in SQLite.
#include "gateway/store/store.hpp"

// GCC 12 reports a false maybe-uninitialized inside std::variant when a vector of Status grows.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <map>
#include <sstream>

#include "codecs/packets/registry.hpp"

namespace dcgw::store {
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
  s.bind(1, st.name).bind(2, adapters::methodName(st.method)).bind(3, st.host).bind(4, st.port);
  s.bind(5, adapters::dataFormatName(st.format)).bind(6, st.customTags);
  if (d.filter) {
    s.bind(7, joinLines(*d.filter));
  } else {
    s.bindNull(7);
  }
  s.bind(8, d.enabled ? 1 : 0).bind(9, d.paused ? 1 : 0).bind(10, st.tlsVerify ? 1 : 0);
  s.bind(11, st.tlsCaFile).bind(12, st.replyTimeout.count());
}

constexpr const char* kDestinationColumns =
    "id, name, method, host, port, format, custom_tags, filter, enabled, paused, tls_verify, "
    "tls_ca_file, reply_timeout_ms";

}  // namespace

Store::Store(const std::string& path, Durability durability)
    : db_(path),
      durability_(durability),
      reader_(std::make_unique<Db>(path)),
      authReader_(std::make_unique<Db>(path)) {}

codecs::Status Store::validate(const DestinationConfig& d) {
  if (d.settings.name.empty()) return codecs::makeError("name", 0, "a name");
  if (codecs::Status s = adapters::validateDestination(d.settings); !s) return s;
  if (d.filter)
    for (const std::string& k : *d.filter)
      if (!codecs::isFilterKey(k.c_str(), k.size()))
        return codecs::makeError("filter", 0,
                                 "filter keys of the packet registry, not '" + k + "'");
  return codecs::Ok{};
}

codecs::Result<std::int64_t> Store::createDestination(const DestinationConfig& d,
                                                      std::int64_t nowMs) {
  if (codecs::Status s = validate(d); !s) return s.error();
  Lock lock(mu_);
  Stmt dup = db_.prepare("SELECT 1 FROM destinations WHERE name = ? AND removed_at IS NULL");
  if (dup.bind(1, d.settings.name).step())
    return codecs::makeError("name", 0, "a name no other destination has");
  Transaction tx(db_);
  Stmt s = db_.prepare(
      "INSERT INTO destinations (name, method, host, port, format, custom_tags, filter, enabled, "
      "paused, tls_verify, tls_ca_file, reply_timeout_ms, created_at, updated_at) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  bindSettings(s, d);
  s.bind(13, nowMs).bind(14, nowMs);
  s.run();
  std::int64_t id = db_.lastInsertId();
  db_.prepare("INSERT INTO destination_state (destination_id) VALUES (?)").bind(1, id).run();
  tx.commit();
  return id;
}

codecs::Status Store::updateDestination(const DestinationConfig& d, std::int64_t nowMs) {
  if (codecs::Status s = validate(d); !s) return s;
  Lock lock(mu_);
  Stmt s = db_.prepare(
      "UPDATE destinations SET name=?, method=?, host=?, port=?, format=?, custom_tags=?, "
      "filter=?, enabled=?, paused=?, tls_verify=?, tls_ca_file=?, reply_timeout_ms=?, "
      "updated_at=? WHERE id=? AND removed_at IS NULL");
  bindSettings(s, d);
  s.bind(13, nowMs).bind(14, d.id);
  try {
    s.run();
  } catch (const StoreError& e) {
    if (e.code() == SQLITE_CONSTRAINT)
      return codecs::makeError("name", 0, "a name no other destination has");
    throw;
  }
  if (db_.changes() == 0) return codecs::makeError("id", 0, "an existing destination");
  return codecs::Ok{};
}

codecs::Status Store::removeDestination(std::int64_t id, std::int64_t nowMs) {
  Lock lock(mu_);
  Transaction tx(db_);
  db_.prepare("UPDATE destinations SET removed_at=?, enabled=0 WHERE id=? AND removed_at IS NULL")
      .bind(1, nowMs)
      .bind(2, id)
      .run();
  if (db_.changes() == 0) return codecs::makeError("id", 0, "an existing destination");
  db_.prepare("DELETE FROM location_destinations WHERE destination_id=?").bind(1, id).run();
  // What it still had queued is kept, readable, as dead letters (and pruned like the rest).
  db_.prepare(
         "UPDATE deliveries SET state=2, finished_at=?, reason='destination removed' "
         "WHERE destination_id=? AND state=0")
      .bind(1, nowMs)
      .bind(2, id)
      .run();
  tx.commit();
  return codecs::Ok{};
}

std::optional<DestinationConfig> Store::readDestination(Stmt& s) {
  if (!s.step()) return std::nullopt;
  DestinationConfig d;
  d.id = s.integer(0);
  d.settings.name = s.text(1);
  d.settings.method = adapters::parseMethod(s.text(2)).value_or(adapters::Method::Rest);
  d.settings.host = s.text(3);
  d.settings.port = static_cast<std::uint16_t>(s.integer(4));
  d.settings.format =
      adapters::parseDataFormat(s.text(5)).value_or(adapters::DataFormat::Base64Binary);
  d.settings.customTags = s.text(6);
  if (!s.isNull(7)) d.filter = splitLines(s.text(7));
  d.enabled = s.integer(8) != 0;
  d.paused = s.integer(9) != 0;
  d.settings.tlsVerify = s.integer(10) != 0;
  d.settings.tlsCaFile = s.text(11);
  d.settings.replyTimeout = std::chrono::milliseconds(s.integer(12));
  return d;
}

std::vector<DestinationConfig> Store::destinations() {
  Lock lock(mu_);
  Stmt s = db_.prepare(std::string("SELECT ") + kDestinationColumns +
                       " FROM destinations WHERE removed_at IS NULL ORDER BY id");
  std::vector<DestinationConfig> out;
  while (auto d = readDestination(s)) out.push_back(std::move(*d));
  return out;
}

std::optional<DestinationConfig> Store::destination(std::int64_t id) {
  Lock lock(mu_);
  Stmt s =
      db_.prepare(std::string("SELECT ") + kDestinationColumns + " FROM destinations WHERE id = ?");
  s.bind(1, id);
  return readDestination(s);
}

codecs::Status Store::setPaused(std::int64_t id, bool paused) {
  Lock lock(mu_);
  db_.prepare("UPDATE destinations SET paused=? WHERE id=? AND removed_at IS NULL")
      .bind(1, paused ? 1 : 0)
      .bind(2, id)
      .run();
  if (db_.changes() == 0) return codecs::makeError("id", 0, "an existing destination");
  return codecs::Ok{};
}

codecs::Result<std::int64_t> Store::createLocation(const LocationConfig& l) {
  if (l.name.empty()) return codecs::makeError("name", 0, "a name");
  Lock lock(mu_);
  Transaction tx(db_);
  try {
    db_.prepare("INSERT INTO locations (name, description) VALUES (?, ?)")
        .bind(1, l.name)
        .bind(2, l.description)
        .run();
  } catch (const StoreError& e) {
    if (e.code() == SQLITE_CONSTRAINT)
      return codecs::makeError("name", 0, "a name no other location has");
    throw;
  }
  std::int64_t id = db_.lastInsertId();
  if (codecs::Status s = linkDestinations(id, l.destinationIds); !s) return s.error();
  tx.commit();
  return id;
}

codecs::Status Store::linkDestinations(std::int64_t location,
                                       const std::vector<std::int64_t>& destinations) {
  for (std::int64_t d : destinations) {
    Stmt ok = db_.prepare("SELECT 1 FROM destinations WHERE id=? AND removed_at IS NULL");
    if (!ok.bind(1, d).step())
      return codecs::makeError("destinationIds", 0,
                               "existing destinations (" + std::to_string(d) + ")");
    db_.prepare("INSERT OR IGNORE INTO location_destinations VALUES (?, ?)")
        .bind(1, location)
        .bind(2, d)
        .run();
  }
  return codecs::Ok{};
}

codecs::Status Store::updateLocation(const LocationConfig& l) {
  Lock lock(mu_);
  Transaction tx(db_);
  try {
    db_.prepare("UPDATE locations SET name=?, description=? WHERE id=?")
        .bind(1, l.name)
        .bind(2, l.description)
        .bind(3, l.id)
        .run();
  } catch (const StoreError& e) {
    if (e.code() == SQLITE_CONSTRAINT)
      return codecs::makeError("name", 0, "a name no other location has");
    throw;
  }
  if (db_.changes() == 0) return codecs::makeError("id", 0, "an existing location");
  db_.prepare("DELETE FROM location_destinations WHERE location_id=?").bind(1, l.id).run();
  if (codecs::Status s = linkDestinations(l.id, l.destinationIds); !s) return s;
  tx.commit();
  return codecs::Ok{};
}

std::vector<LocationConfig> Store::locations() {
  Lock lock(mu_);
  std::vector<LocationConfig> out;
  Stmt s = db_.prepare("SELECT id, name, description FROM locations ORDER BY id");
  while (s.step()) out.push_back({s.integer(0), s.text(1), s.text(2), {}});
  for (auto& l : out) {
    Stmt d = db_.prepare(
        "SELECT destination_id FROM location_destinations WHERE location_id=? ORDER BY 1");
    d.bind(1, l.id);
    while (d.step()) l.destinationIds.push_back(d.integer(0));
  }
  return out;
}

codecs::Status Store::upsertDevice(const DeviceConfig& d) {
  if (d.serial.empty() || d.serial.size() > 8)
    return codecs::makeError("serial", 0, "a serial number of 1 to 8 characters");
  for (unsigned char c : d.serial)
    if (c < 0x21 || c > 0x7E)
      return codecs::makeError("serial", 0, "printable ASCII characters without spaces");
  if (d.registration.size() > 13)
    return codecs::makeError("registration", 0, "at most 13 characters");
  if (d.key && (d.key->size() < 16 || d.key->size() > 64))
    return codecs::makeError("key", 0, "a device key of 16 to 64 bytes");
  Lock lock(mu_);
  if (d.locationId) {
    Stmt ok = db_.prepare("SELECT 1 FROM locations WHERE id=?");
    if (!ok.bind(1, *d.locationId).step())
      return codecs::makeError("locationId", 0, "an existing location");
  }
  Stmt s = db_.prepare(
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
  return codecs::Ok{};
}

std::optional<DeviceAuth> Store::deviceAuth(const std::string& serial) {
  std::lock_guard lock(authMu_);
  Stmt s = authReader_->prepare("SELECT device_key, last_sequence FROM devices WHERE serial=?");
  if (!s.bind(1, serial).step()) return std::nullopt;
  DeviceAuth a;
  if (!s.isNull(0)) a.key = s.blob(0);
  a.lastSequence = static_cast<std::uint32_t>(s.integer(1));
  return a;
}

void Store::recordRefusedIdents(const std::vector<RefusedIdent>& idents) {
  if (idents.empty()) return;
  Lock lock(mu_);
  db_.exec("PRAGMA synchronous=NORMAL");
  Transaction tx(db_);
  Stmt s = db_.prepare(
      "INSERT INTO refused_idents (serial, address, reason, first_at, last_at) "
      "VALUES (?,?,?,?,?) ON CONFLICT(serial) DO UPDATE SET address=excluded.address, "
      "reason=excluded.reason, last_at=excluded.last_at, attempts=attempts+1");
  for (const auto& r : idents)
    s.bind(1, r.serial).bind(2, r.address).bind(3, r.reason).bind(4, r.atMs).bind(5, r.atMs).run();
  // Serials are chosen by whoever connects: keep the most recent 10,000 only.
  db_.exec(
      "DELETE FROM refused_idents WHERE serial IN (SELECT serial FROM refused_idents "
      "ORDER BY last_at DESC LIMIT -1 OFFSET 10000)");
  tx.commit();
}

std::vector<RefusedIdent> Store::refusedIdents() {
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

bool Store::empty() {
  Lock lock(mu_);
  Stmt s = db_.prepare(
      "SELECT (SELECT COUNT(*) FROM destinations) + (SELECT COUNT(*) FROM locations) + "
      "(SELECT COUNT(*) FROM devices)");
  s.step();
  return s.integer(0) == 0;
}

std::vector<codecs::Status> Store::ingest(const std::vector<IngestItem>& items,
                                          std::vector<std::int64_t>& touched) {
  Lock lock(mu_);
  // Set before every ingest transaction (delivery records lower it): an acknowledgement is
  // never given on a weaker setting than configured.
  db_.exec(durability_ == Durability::Full ? "PRAGMA synchronous=FULL"
                                           : "PRAGMA synchronous=NORMAL");
  std::vector<codecs::Status> out;
  out.reserve(items.size());
  Transaction tx(db_);
  Stmt device =
      db_.prepare("SELECT location_id, registration, last_sequence FROM devices WHERE serial=?");
  Stmt routes = db_.prepare(
      "SELECT d.id, d.filter FROM location_destinations ld JOIN destinations d "
      "ON d.id = ld.destination_id WHERE ld.location_id=? AND d.removed_at IS NULL "
      "AND d.enabled = 1 ORDER BY d.id");
  Stmt packet = db_.prepare(
      "INSERT INTO packets (received_at, serial, registration, type, filter_key, data) "
      "VALUES (?,?,?,?,?,?)");
  Stmt delivery = db_.prepare("INSERT INTO deliveries (destination_id, packet_id) VALUES (?,?)");
  // Within one transaction a device's routes cannot change: look each device up once.
  struct Route {
    std::int64_t destination;
    std::optional<std::vector<std::string>> filter;
  };
  struct Device {
    bool known{false};
    std::string registration;
    std::vector<Route> routes;
    std::uint32_t lastSequence{0};
    bool sequenceRaised{false};
  };
  std::map<std::string, Device> devices;
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> counts;  // queued, filtered
  for (const IngestItem& item : items) {
    auto it = devices.find(item.serial);
    if (it == devices.end()) {
      Device d;
      device.bind(1, item.serial);
      if (device.step()) {
        d.known = true;
        d.registration = device.text(1);
        d.lastSequence = static_cast<std::uint32_t>(device.integer(2));
        if (!device.isNull(0)) {
          routes.bind(1, device.integer(0));
          while (routes.step()) {
            Route r{routes.integer(0), std::nullopt};
            if (!routes.isNull(1)) r.filter = splitLines(routes.text(1));
            d.routes.push_back(std::move(r));
          }
          routes.reset();
        }
      }
      device.reset();
      it = devices.emplace(item.serial, std::move(d)).first;
    }
    Device& dev = it->second;
    if (!dev.known) {
      out.push_back(
          codecs::makeError("serial", 0, "a registered device, not '" + item.serial + "'"));
      continue;
    }
    if (item.sequence != 0) {
      // The check and the raise are in the transaction that stores the packet: whichever
      // connection a resent packet arrives on, and whatever crashed in between, it is stored
      // once.
      if (item.sequence <= dev.lastSequence) {
        ++duplicates_;
        out.push_back(codecs::Ok{});
        continue;
      }
      dev.lastSequence = item.sequence;
      dev.sequenceRaised = true;
    }
    const codecs::PacketKind* kind = codecs::findPacketKind(
        item.packet.empty() ? 0 : item.packet[0], item.packet.size() > 1 ? item.packet[1] : 0);
    packet.bind(1, item.receivedAtMs)
        .bind(2, item.serial)
        .bind(3, item.registration.empty() ? dev.registration : item.registration);
    packet.bind(4, item.packet.empty() ? 0 : item.packet[0]);
    if (kind->filterKey) {
      packet.bind(5, kind->filterKey);
    } else {
      packet.bindNull(5);
    }
    packet.bindBlob(6, item.packet.data(), item.packet.size()).run();
    const std::int64_t packetId = db_.lastInsertId();
    for (const Route& r : dev.routes) {
      const bool take =
          !r.filter || (kind->filterKey && std::find(r.filter->begin(), r.filter->end(),
                                                     kind->filterKey) != r.filter->end());
      if (take) {
        delivery.bind(1, r.destination).bind(2, packetId).run();
        ++counts[r.destination].first;
        if (std::find(touched.begin(), touched.end(), r.destination) == touched.end())
          touched.push_back(r.destination);
      } else {
        ++counts[r.destination].second;
      }
    }
    out.push_back(codecs::Ok{});
  }
  Stmt counters = db_.prepare(
      "UPDATE destination_state SET queued = queued + ?, filtered = filtered + ? "
      "WHERE destination_id=?");
  for (const auto& [dest, c] : counts)
    counters.bind(1, c.first).bind(2, c.second).bind(3, dest).run();
  Stmt sequence = db_.prepare("UPDATE devices SET last_sequence=? WHERE serial=?");
  for (const auto& [serial, dev] : devices)
    if (dev.sequenceRaised) sequence.bind(1, std::int64_t{dev.lastSequence}).bind(2, serial).run();
  tx.commit();
  return out;
}

std::vector<PendingDelivery> Store::pendingBatch(std::int64_t destinationId, int limit) {
  Lock lock(mu_);
  Stmt s = db_.prepare(
      "SELECT d.id, d.packet_id, d.attempts, p.serial, p.registration, p.data, p.received_at "
      "FROM deliveries d JOIN packets p ON p.id = d.packet_id "
      "WHERE d.destination_id=? AND d.state=0 ORDER BY d.id LIMIT ?");
  s.bind(1, destinationId).bind(2, limit);
  std::vector<PendingDelivery> out;
  while (s.step()) {
    PendingDelivery p;
    p.id = s.integer(0);
    p.packetId = s.integer(1);
    p.attempts = static_cast<int>(s.integer(2));
    p.envelope = adapters::Envelope{s.text(3), s.text(4), s.blob(5)};
    p.receivedAtMs = s.integer(6);
    out.push_back(std::move(p));
  }
  return out;
}

std::optional<PendingDelivery> Store::nextPending(std::int64_t destinationId) {
  auto batch = pendingBatch(destinationId, 1);
  if (batch.empty()) return std::nullopt;
  return std::move(batch.front());
}

void Store::recordAttempt(std::int64_t destinationId, std::int64_t deliveryId,
                          const adapters::DeliveryResult& r, std::int64_t nowMs,
                          const DestinationState& after) {
  recordAttempts(destinationId, {Attempt{deliveryId, r, nowMs}}, after);
}

void Store::recordAttempts(std::int64_t destinationId, const std::vector<Attempt>& attempts,
                           const DestinationState& after) {
  if (attempts.empty()) return;
  Lock lock(mu_);
  // A delivery record lost to a power cut only means the packet is sent again (at-least-once),
  // so these commits skip the fsync that ingest commits need (WAL keeps them crash-safe).
  db_.exec("PRAGMA synchronous=NORMAL");  // ingest() sets its own level before each commit
  Transaction tx(db_);
  Stmt attempt = db_.prepare(
      "INSERT INTO attempts (delivery_id, at, outcome, reason, duration_us) VALUES (?,?,?,?,?)");
  // Only rows still pending change state: an admin may have skipped the row meanwhile.
  Stmt delivered = db_.prepare(
      "UPDATE deliveries SET state=1, attempts=attempts+1, finished_at=? WHERE id=? AND state=0");
  Stmt dead = db_.prepare(
      "UPDATE deliveries SET state=2, attempts=attempts+1, finished_at=?, reason=? "
      "WHERE id=? AND state=0");
  // A failure only backs the destination off if its row is still pending: an admin may have
  // skipped it while it was being sent, and the skip already cleared the backoff.
  Stmt failed = db_.prepare("UPDATE deliveries SET attempts=attempts+1 WHERE id=? AND state=0");
  std::int64_t nDelivered = 0, nDead = 0;
  bool failure = false;
  std::string lastReason;
  std::int64_t lastAt = 0;
  for (const Attempt& a : attempts) {
    const auto& r = a.result;
    attempt.bind(1, a.deliveryId)
        .bind(2, a.atMs)
        .bind(3, adapters::outcomeName(r.outcome))
        .bind(4, r.reason)
        .bind(5, r.duration.count())
        .run();
    switch (r.outcome) {
      case adapters::Outcome::Delivered:
        delivered.bind(1, a.atMs).bind(2, a.deliveryId).run();
        nDelivered += db_.changes();
        break;
      case adapters::Outcome::Never:
        dead.bind(1, a.atMs).bind(2, r.reason).bind(3, a.deliveryId).run();
        nDead += db_.changes();
        break;
      case adapters::Outcome::Retry:
        failed.bind(1, a.deliveryId).run();
        failure = db_.changes() > 0;
        lastReason = r.reason;
        lastAt = a.atMs;
        break;
    }
  }
  if (failure) {
    db_.prepare(
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
    db_.prepare(
           "UPDATE destination_state SET delivered=delivered+?1, dead_letters=dead_letters+?2, "
           "consecutive_failures=CASE WHEN ?1 > 0 THEN 0 ELSE consecutive_failures END, "
           "next_attempt_at=CASE WHEN ?1 > 0 THEN 0 ELSE next_attempt_at END "
           "WHERE destination_id=?3")
        .bind(1, nDelivered)
        .bind(2, nDead)
        .bind(3, destinationId)
        .run();
  }
  tx.commit();
}

DestinationState Store::state(std::int64_t destinationId) {
  Lock lock(mu_);
  Stmt s = db_.prepare(
      "SELECT consecutive_failures, next_attempt_at, last_error FROM destination_state "
      "WHERE destination_id=?");
  s.bind(1, destinationId);
  if (!s.step()) return {};
  return {static_cast<int>(s.integer(0)), s.integer(1), s.text(2)};
}

DestinationCounters Store::counters(std::int64_t destinationId) {
  Lock lock(mu_);
  DestinationCounters c;
  Stmt s = db_.prepare(
      "SELECT queued, delivered, failed_attempts, dead_letters, filtered FROM destination_state "
      "WHERE destination_id=?");
  if (s.bind(1, destinationId).step()) {
    c.queued = s.integer(0);
    c.delivered = s.integer(1);
    c.failedAttempts = s.integer(2);
    c.deadLetters = s.integer(3);
    c.filtered = s.integer(4);
  }
  Stmt depth = db_.prepare(
      "SELECT COUNT(*), MIN(p.received_at) FROM deliveries d JOIN packets p ON p.id=d.packet_id "
      "WHERE d.destination_id=? AND d.state=0");
  depth.bind(1, destinationId).step();
  c.depth = depth.integer(0);
  if (!depth.isNull(1)) c.oldestPendingReceivedAtMs = depth.integer(1);
  return c;
}

bool Store::hasPending(std::int64_t destinationId) {
  Lock lock(mu_);
  Stmt s = db_.prepare("SELECT 1 FROM deliveries WHERE destination_id=? AND state=0 LIMIT 1");
  return s.bind(1, destinationId).step();
}

std::vector<std::int64_t> Store::deliveryIds(std::int64_t destinationId, DeliveryState st) {
  Lock lock(mu_);
  std::vector<std::int64_t> out;
  Stmt s = db_.prepare(
      "SELECT packet_id FROM deliveries WHERE destination_id=? AND state=? ORDER BY id");
  s.bind(1, destinationId).bind(2, static_cast<int>(st));
  while (s.step()) out.push_back(s.integer(0));
  return out;
}

bool Store::skipBlocking(std::int64_t destinationId, const std::string& reason, std::int64_t nowMs,
                         std::optional<std::int64_t> expectedId) {
  Lock lock(mu_);
  auto p = nextPending(destinationId);
  if (!p) return false;
  // The admin saw this entry blocking; if a worker delivered it meanwhile, the next one is not
  // skipped in its place.
  if (expectedId && p->id != *expectedId) return false;
  recordAttempt(
      destinationId, p->id,
      adapters::DeliveryResult{adapters::Outcome::Never, "skipped by an admin: " + reason, {}},
      nowMs, {});
  db_.prepare("UPDATE attempts SET outcome='skipped' WHERE id=(SELECT MAX(id) FROM attempts)")
      .run();
  db_.prepare(
         "UPDATE destination_state SET consecutive_failures=0, next_attempt_at=0 "
         "WHERE destination_id=?")
      .bind(1, destinationId)
      .run();
  return true;
}

// Entries put back in the queue count as queued again, so queued stays the sum of what was
// delivered, dead-lettered and is pending.
void Store::countRequeued(std::int64_t destinationId, int n) {
  db_.prepare("UPDATE destination_state SET queued = queued + ? WHERE destination_id=?")
      .bind(1, n)
      .bind(2, destinationId)
      .run();
}

int Store::requeueDead(std::int64_t destinationId) {
  Lock lock(mu_);
  Transaction tx(db_);
  db_.prepare(
         "UPDATE deliveries SET state=0, finished_at=NULL, reason=NULL WHERE destination_id=? "
         "AND state=2")
      .bind(1, destinationId)
      .run();
  const int n = db_.changes();
  countRequeued(destinationId, n);
  tx.commit();
  return n;
}

int Store::replayFrom(std::int64_t destinationId, std::int64_t fromMs) {
  Lock lock(mu_);
  Transaction tx(db_);
  db_.prepare(
         "UPDATE deliveries SET state=0, finished_at=NULL WHERE destination_id=? AND state=1 "
         "AND packet_id IN (SELECT id FROM packets WHERE received_at >= ?)")
      .bind(1, destinationId)
      .bind(2, fromMs)
      .run();
  const int n = db_.changes();
  countRequeued(destinationId, n);
  tx.commit();
  return n;
}

void Store::retryNow(std::int64_t destinationId) {
  Lock lock(mu_);
  db_.prepare("UPDATE destination_state SET next_attempt_at=0 WHERE destination_id=?")
      .bind(1, destinationId)
      .run();
}

int Store::prune(std::int64_t olderThanMs, int batch) {
  Lock lock(mu_);
  Transaction tx(db_);
  db_.prepare(
         "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE state=1 AND "
         "finished_at < ? LIMIT ?)")
      .bind(1, olderThanMs)
      .bind(2, batch)
      .run();
  int n = db_.changes();
  db_.prepare(
         "DELETE FROM packets WHERE received_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries d "
         "WHERE d.packet_id = packets.id)")
      .bind(1, olderThanMs)
      .run();
  tx.commit();
  return n;
}

}  // namespace dcgw::store
