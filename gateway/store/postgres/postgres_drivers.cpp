// The PostgreSQL backend's driver registry: drivers seen with a name, their first and last
// sighting.
#include "gateway/store/postgres/pg.hpp"
#include "gateway/store/postgres/postgres_store.hpp"

namespace dcgw::store {
using postgres::Conn;
using postgres::Stmt;
using postgres::Transaction;

namespace {
std::vector<DriverRecord> driversOn(Conn& db, const std::string* card) {
  Stmt s = db.prepare(
      std::string("SELECT card_number, surname, first_names, first_seen_at, last_seen_at, "
                  "last_serial FROM drivers") +
      (card ? " WHERE card_number = ?" : " ORDER BY card_number"));
  if (card) s.bind(1, *card);
  std::vector<DriverRecord> out;
  while (s.step())
    out.push_back({s.text(0), s.text(1), s.text(2), s.integer(3), s.integer(4), s.text(5)});
  return out;
}
}  // namespace

std::optional<DriverRecord> PostgresStore::driver(const std::string& cardNumber) {
  std::lock_guard lock(readerMu_);
  auto one = driversOn(*reader_, &cardNumber);
  if (one.empty()) return std::nullopt;
  return std::move(one.front());
}

std::vector<DriverRecord> PostgresStore::drivers() {
  std::lock_guard lock(readerMu_);
  return driversOn(*reader_, nullptr);
}

void PostgresStore::recordDrivers(const std::vector<DriverRecord>& drivers) {
  if (drivers.empty()) return;
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Transaction tx(*db_);
  recordDriversIn(drivers);
  tx.commit();
}

void PostgresStore::recordDriversIn(const std::vector<DriverRecord>& drivers) {
  Stmt s = db_->prepare(
      "INSERT INTO drivers (card_number, surname, first_names, first_seen_at, last_seen_at, "
      "last_serial) VALUES (?1, ?2, ?3, ?4, ?4, ?5) ON CONFLICT (card_number) DO UPDATE SET "
      "surname = excluded.surname, first_names = excluded.first_names, "
      "last_seen_at = excluded.last_seen_at, last_serial = excluded.last_serial");
  for (const DriverRecord& d : drivers) {
    s.reset();
    s.bind(1, d.cardNumber)
        .bind(2, d.surname)
        .bind(3, d.firstNames)
        .bind(4, d.lastSeenAtMs)
        .bind(5, d.lastSerial)
        .run();
  }
}

}  // namespace dcgw::store
