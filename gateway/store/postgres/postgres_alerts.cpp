// The PostgreSQL backend's part of the alerts (migration 010): each location's alert settings and
// the state of every alert condition the engine has seen or raised.
#include <map>

#include "gateway/store/postgres/pg.hpp"
#include "gateway/store/postgres/postgres_store.hpp"

namespace dcgw::store {
using postgres::Conn;
using postgres::Stmt;
using postgres::Transaction;

namespace {
using Lock = std::lock_guard<std::recursive_mutex>;
}  // namespace

std::vector<AlertSettings> PostgresStore::alertSettingsOn(Conn& db,
                                                          std::optional<std::int64_t> id) {
  std::map<std::int64_t, AlertSettings> out;
  if (id) {
    out[*id].locationId = *id;
  } else {
    Stmt l = db.prepare("SELECT id FROM locations ORDER BY id");
    while (l.step()) out[l.integer(0)].locationId = l.integer(0);
  }
  Stmt lang = db.prepare(std::string("SELECT location_id, language FROM alert_settings") +
                         (id ? " WHERE location_id = ?" : ""));
  if (id) lang.bind(1, *id);
  while (lang.step())
    if (auto it = out.find(lang.integer(0)); it != out.end()) it->second.language = lang.text(1);
  Stmt rules =
      db.prepare(std::string("SELECT location_id, rule, threshold_seconds FROM alert_rules") +
                 (id ? " WHERE location_id = ?" : "") + " ORDER BY location_id, rule");
  if (id) rules.bind(1, *id);
  while (rules.step())
    if (auto it = out.find(rules.integer(0)); it != out.end())
      it->second.rules.push_back({rules.text(1), rules.integer(2)});
  std::vector<AlertSettings> list;
  for (auto& [k, v] : out) list.push_back(std::move(v));
  return list;
}

AlertSettings PostgresStore::alertSettings(std::int64_t locationId) {
  std::lock_guard lock(readerMu_);
  return alertSettingsOn(*reader_, locationId).front();
}

std::vector<AlertSettings> PostgresStore::allAlertSettings() {
  std::lock_guard lock(readerMu_);
  return alertSettingsOn(*reader_, std::nullopt);
}

Status PostgresStore::setAlertSettingsIn(const AlertSettings& a) {
  Stmt ok = db_->prepare("SELECT 1 FROM locations WHERE id = ?");
  if (!ok.bind(1, a.locationId).step()) return notFound("id", "an existing location");
  db_->prepare(
         "INSERT INTO alert_settings (location_id, language) VALUES (?,?) "
         "ON CONFLICT(location_id) DO UPDATE SET language = excluded.language")
      .bind(1, a.locationId)
      .bind(2, a.language)
      .run();
  db_->prepare("DELETE FROM alert_rules WHERE location_id = ?").bind(1, a.locationId).run();
  Stmt rule = db_->prepare(
      "INSERT INTO alert_rules (location_id, rule, threshold_seconds) VALUES (?,?,?) "
      "ON CONFLICT (location_id, rule) DO UPDATE SET threshold_seconds = "
      "excluded.threshold_seconds");
  for (const auto& r : a.rules) {
    rule.reset();
    rule.bind(1, a.locationId).bind(2, r.rule).bind(3, r.thresholdSeconds).run();
  }
  return Ok{};
}

std::vector<AlertCondition> PostgresStore::alertConditions() {
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(
      "SELECT location_id, rule, subject, since, raised_at, alert, serial FROM alert_conditions "
      "ORDER BY location_id, rule, subject");
  std::vector<AlertCondition> out;
  while (s.step()) {
    AlertCondition c;
    c.locationId = s.integer(0);
    c.rule = s.text(1);
    c.subject = s.text(2);
    c.sinceMs = s.integer(3);
    if (!s.isNull(4)) c.raisedAtMs = s.integer(4);
    c.alert = s.blob(5);
    c.serial = s.text(6);
    out.push_back(std::move(c));
  }
  return out;
}

void PostgresStore::putAlertCondition(const AlertCondition& c) {
  Lock lock(mu_);
  // The alert packet itself is committed by ingest (full durability); this mark only decides
  // whether a restart sends it again, so a lost mark costs one repeated alert at most.
  Transaction tx(*db_, Transaction::Mode::Fast);
  db_->prepare(
         "INSERT INTO alert_conditions "
         "(location_id, rule, subject, since, raised_at, alert, serial) VALUES (?,?,?,?,?,?,?) "
         "ON CONFLICT (location_id, rule, subject) DO UPDATE SET since = excluded.since, "
         "raised_at = excluded.raised_at, alert = excluded.alert, serial = excluded.serial")
      .bind(1, c.locationId)
      .bind(2, c.rule)
      .bind(3, c.subject)
      .bind(4, c.sinceMs)
      .bind(5, c.raisedAtMs)
      .bindBlob(6, c.alert.data(), c.alert.size())
      .bind(7, c.serial)
      .run();
  tx.commit();
}

void PostgresStore::recordTimeWarning(const TimeWarningRecord& w) {
  Lock lock(mu_);
  // Not older than what is recorded (another node's, for a tracker that moved). Lost to a crash
  // of the server, the device's DDS packets record it again (AlertEngine::onPacket).
  Transaction tx(*db_, Transaction::Mode::Fast);
  db_->prepare(
         "UPDATE devices SET time_warning = ?1, time_warning_card = ?2, time_warning_at = ?3 "
         "WHERE serial = ?4 AND (time_warning_at IS NULL OR time_warning_at <= ?3)")
      .bind(1, std::int64_t{w.value})
      .bind(2, w.cardNumber)
      .bind(3, w.atMs)
      .bind(4, w.serial)
      .run();
  tx.commit();
}

std::vector<TimeWarningRecord> PostgresStore::timeWarnings() {
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(
      "SELECT serial, time_warning_card, time_warning, time_warning_at FROM devices "
      "WHERE time_warning IS NOT NULL ORDER BY serial");
  std::vector<TimeWarningRecord> out;
  while (s.step())
    out.push_back({s.text(0), s.text(1), static_cast<int>(s.integer(2)), s.integer(3)});
  return out;
}

void PostgresStore::removeAlertCondition(std::int64_t locationId, const std::string& rule,
                                         const std::string& subject) {
  Lock lock(mu_);
  Transaction tx(*db_, Transaction::Mode::Fast);
  db_->prepare("DELETE FROM alert_conditions WHERE location_id=? AND rule=? AND subject=?")
      .bind(1, locationId)
      .bind(2, rule)
      .bind(3, subject)
      .run();
  tx.commit();
}

}  // namespace dcgw::store
