// The PostgreSQL backend's part of the card relay (issue 12): company cards, card bridges, the
// bridges' keys for their logins, and the relay's events and ended sessions.
#include <limits>

#include "gateway/store/postgres/pg.hpp"
#include "gateway/store/postgres/postgres_store.hpp"

namespace dcgw::store {
using postgres::Conn;
using postgres::Stmt;
using postgres::Transaction;

namespace {
using Lock = std::lock_guard<std::recursive_mutex>;
constexpr int kEventsKept = 100'000;
constexpr int kSessionsKept = 10'000;
}  // namespace

// ---------------------------------------------------------------- reads

std::vector<CompanyCardConfig> PostgresStore::companyCardsOn(Conn& db, const std::string* number) {
  Stmt s = db.prepare(std::string("SELECT number, name, expires_on FROM company_cards") +
                      (number ? " WHERE number = ?" : " ORDER BY number"));
  if (number) s.bind(1, *number);
  std::vector<CompanyCardConfig> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), {}, s.text(2)});
  Stmt l = db.prepare(
      "SELECT location_id FROM company_card_locations WHERE card_number = ? ORDER BY location_id");
  for (auto& c : out) {
    l.reset();
    l.bind(1, c.number);
    while (l.step()) c.locationIds.push_back(l.integer(0));
  }
  return out;
}

std::vector<CardBridgeRecord> PostgresStore::cardBridgesOn(Conn& db, const std::string* ident) {
  Stmt s = db.prepare(
      std::string("SELECT ident, description, bridge_key IS NOT NULL FROM card_bridges") +
      (ident ? " WHERE ident = ?" : " ORDER BY ident"));
  if (ident) s.bind(1, *ident);
  std::vector<CardBridgeRecord> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.integer(2) != 0});
  return out;
}

std::vector<CompanyCardConfig> PostgresStore::companyCards() {
  std::lock_guard lock(readerMu_);
  return companyCardsOn(*reader_, nullptr);
}

std::optional<CompanyCardConfig> PostgresStore::companyCard(const std::string& number) {
  std::lock_guard lock(readerMu_);
  auto one = companyCardsOn(*reader_, &number);
  if (one.empty()) return std::nullopt;
  return std::move(one.front());
}

std::vector<CardBridgeRecord> PostgresStore::cardBridges() {
  std::lock_guard lock(readerMu_);
  return cardBridgesOn(*reader_, nullptr);
}

std::optional<CardBridgeRecord> PostgresStore::cardBridge(const std::string& ident) {
  std::lock_guard lock(readerMu_);
  auto one = cardBridgesOn(*reader_, &ident);
  if (one.empty()) return std::nullopt;
  return std::move(one.front());
}

// ---------------------------------------------------------------- changes (in a transaction)

Status PostgresStore::upsertCompanyCardIn(const CompanyCardConfig& c) {
  Stmt ok = db_->prepare("SELECT 1 FROM locations WHERE id = ?");
  for (std::int64_t id : c.locationIds) {
    ok.reset();
    if (!ok.bind(1, id).step())
      return notFound("locationIds", "existing locations (" + std::to_string(id) + " is not one)");
  }
  db_->prepare(
         "INSERT INTO company_cards (number, name, expires_on) VALUES (?,?,?) "
         "ON CONFLICT(number) DO UPDATE SET name = excluded.name, "
         "expires_on = excluded.expires_on")
      .bind(1, c.number)
      .bind(2, c.name)
      .bind(3, c.expiresOn)
      .run();
  db_->prepare("DELETE FROM company_card_locations WHERE card_number = ?").bind(1, c.number).run();
  Stmt link = db_->prepare(
      "INSERT INTO company_card_locations (card_number, location_id) VALUES (?,?) "
      "ON CONFLICT DO NOTHING");
  for (std::int64_t id : c.locationIds) {
    link.reset();
    link.bind(1, c.number).bind(2, id).run();
  }
  return Ok{};
}

Status PostgresStore::removeCompanyCardIn(const std::string& number) {
  Stmt users =
      db_->prepare("SELECT serial FROM devices WHERE company_card = ? ORDER BY serial LIMIT 6");
  users.bind(1, number);
  std::vector<std::string> serials;
  while (users.step()) serials.push_back(users.text(0));
  if (!serials.empty()) {
    std::string list;
    for (std::size_t i = 0; i < serials.size() && i < 5; ++i) list += (i ? ", " : "") + serials[i];
    if (serials.size() > 5) list += ", ...";
    return conflict("number", "a card no device uses (devices " + list +
                                  " use it: give them another card first)");
  }
  db_->prepare("DELETE FROM company_cards WHERE number = ?").bind(1, number).run();
  if (db_->changes() == 0) return notFound("number", "a registered company card");
  return Ok{};
}

Status PostgresStore::upsertCardBridgeIn(const CardBridgeConfig& b) {
  Stmt s = db_->prepare(
      "INSERT INTO card_bridges (ident, description, bridge_key) VALUES (?,?,?) "
      "ON CONFLICT(ident) DO UPDATE SET description = excluded.description, "
      "bridge_key = COALESCE(excluded.bridge_key, card_bridges.bridge_key)");
  s.bind(1, b.ident).bind(2, b.description);
  if (b.key) {
    s.bindBlob(3, b.key->data(), b.key->size());
  } else {
    s.bindNull(3);
  }
  s.run();
  return Ok{};
}

Status PostgresStore::removeCardBridgeIn(const std::string& ident) {
  db_->prepare("DELETE FROM card_bridges WHERE ident = ?").bind(1, ident).run();
  if (db_->changes() == 0) return notFound("ident", "a registered card bridge");
  return Ok{};
}

// ---------------------------------------------------------------- the relay's log

std::optional<codecs::Bytes> PostgresStore::cardBridgeKey(const std::string& ident) {
  std::lock_guard lock(authMu_);
  Stmt s = authReader_->prepare("SELECT bridge_key FROM card_bridges WHERE ident = ?");
  if (!s.bind(1, ident).step() || s.isNull(0)) return std::nullopt;
  return s.blob(0);
}

void PostgresStore::recordCardEvents(const std::vector<CardEventRecord>& events) {
  if (events.empty()) return;
  Lock lock(mu_);
  Transaction tx(*db_, Transaction::Mode::Fast);
  Stmt s = db_->prepare(
      "INSERT INTO card_events (at, card, serial, bridge, code, text) VALUES (?,?,?,?,?,?)");
  for (const auto& e : events) {
    s.reset();
    s.bind(1, e.atMs).bind(2, e.card).bind(3, e.serial).bind(4, e.bridge).bind(5, e.code);
    s.bind(6, e.text).run();
  }
  db_->prepare("DELETE FROM card_events WHERE id <= (SELECT MAX(id) FROM card_events) - ?")
      .bind(1, std::int64_t{kEventsKept})
      .run();
  tx.commit();
}

std::vector<CardEventRecord> PostgresStore::cardEvents(const CardEventFilter& f) {
  std::string sql = "SELECT id, at, card, serial, bridge, code, text FROM card_events WHERE id < ?";
  if (f.card) sql += " AND card = ?";
  if (f.serial) sql += " AND serial = ?";
  sql += " ORDER BY id DESC LIMIT ?";
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(sql);
  int i = 1;
  s.bind(i++, f.beforeId > 0 ? f.beforeId : std::numeric_limits<std::int64_t>::max());
  if (f.card) s.bind(i++, *f.card);
  if (f.serial) s.bind(i++, *f.serial);
  s.bind(i, std::int64_t{f.limit});
  std::vector<CardEventRecord> out;
  while (s.step())
    out.push_back(
        {s.integer(0), s.integer(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6)});
  return out;
}

void PostgresStore::recordCardSessions(const std::vector<CardSessionRecord>& sessions) {
  if (sessions.empty()) return;
  Lock lock(mu_);
  Transaction tx(*db_, Transaction::Mode::Fast);
  Stmt s = db_->prepare(
      "INSERT INTO card_sessions (card, serial, bridge, requested_at, started_at, ended_at, "
      "outcome, apdus) VALUES (?,?,?,?,?,?,?,?)");
  for (const auto& r : sessions) {
    s.reset();
    s.bind(1, r.card).bind(2, r.serial).bind(3, r.bridge).bind(4, r.requestedAtMs);
    s.bind(5, r.startedAtMs).bind(6, r.endedAtMs).bind(7, r.outcome).bind(8, r.apdus).run();
  }
  db_->prepare("DELETE FROM card_sessions WHERE id <= (SELECT MAX(id) FROM card_sessions) - ?")
      .bind(1, std::int64_t{kSessionsKept})
      .run();
  tx.commit();
}

std::vector<CardSessionRecord> PostgresStore::cardSessions(const std::string& card,
                                                           const std::string& serial, int limit) {
  std::string sql =
      "SELECT id, card, serial, bridge, requested_at, started_at, ended_at, outcome, apdus "
      "FROM card_sessions WHERE true";
  if (!card.empty()) sql += " AND card = ?";
  if (!serial.empty()) sql += " AND serial = ?";
  sql += " ORDER BY ended_at DESC, id DESC LIMIT ?";
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(sql);
  int i = 1;
  if (!card.empty()) s.bind(i++, card);
  if (!serial.empty()) s.bind(i++, serial);
  s.bind(i, std::int64_t{limit});
  std::vector<CardSessionRecord> out;
  while (s.step()) {
    CardSessionRecord r;
    r.id = s.integer(0);
    r.card = s.text(1);
    r.serial = s.text(2);
    r.bridge = s.text(3);
    r.requestedAtMs = s.integer(4);
    if (!s.isNull(5)) r.startedAtMs = s.integer(5);
    r.endedAtMs = s.integer(6);
    r.outcome = s.text(7);
    r.apdus = s.integer(8);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace dcgw::store
