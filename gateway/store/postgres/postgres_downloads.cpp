// The PostgreSQL backend's DownloadLog: one row per vehicle unit and driver card, its newest
// download.
#include "gateway/store/postgres/pg.hpp"
#include "gateway/store/postgres/postgres_store.hpp"

namespace dcgw::store {
using postgres::Stmt;
using postgres::Transaction;

void PostgresStore::recordDownload(const TachoDownloadRecord& r) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Transaction tx(*db_, Transaction::Mode::Fast);
  // An older download (a file uploaded late) never replaces a newer one.
  db_->prepare(
         "INSERT INTO tacho_downloads (kind, subject, serial, location_id, registration, surname, "
         "first_names, card_expiry_ms, file_id, downloaded_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?) "
         "ON CONFLICT (kind, subject) DO UPDATE SET serial=excluded.serial, "
         "location_id=excluded.location_id, registration=excluded.registration, "
         "surname=excluded.surname, first_names=excluded.first_names, "
         "card_expiry_ms=excluded.card_expiry_ms, file_id=excluded.file_id, "
         "downloaded_at_ms=excluded.downloaded_at_ms "
         "WHERE (excluded.downloaded_at_ms, excluded.file_id) > "
         "(tacho_downloads.downloaded_at_ms, tacho_downloads.file_id)")
      .bind(1, std::int64_t{static_cast<int>(r.kind)})
      .bind(2, r.subject)
      .bind(3, r.serial)
      .bind(4, r.locationId)
      .bind(5, r.registration)
      .bind(6, r.surname)
      .bind(7, r.firstNames)
      .bind(8, r.cardExpiryMs)
      .bind(9, r.fileId)
      .bind(10, r.downloadedAtMs)
      .run();
  tx.commit();
}

std::vector<TachoDownloadRecord> PostgresStore::downloads(std::optional<std::int64_t> locationId) {
  std::string sql =
      "SELECT kind, subject, serial, location_id, registration, surname, first_names, "
      "card_expiry_ms, file_id, downloaded_at_ms FROM tacho_downloads";
  if (locationId) sql += " WHERE location_id = ?";
  sql += " ORDER BY kind, subject";
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(sql);
  if (locationId) s.bind(1, *locationId);
  std::vector<TachoDownloadRecord> out;
  while (s.step()) {
    TachoDownloadRecord r;
    r.kind = s.integer(0) == 1 ? TachoDownloadRecord::Kind::DriverCard
                               : TachoDownloadRecord::Kind::VehicleUnit;
    r.subject = s.text(1);
    r.serial = s.text(2);
    if (!s.isNull(3)) r.locationId = s.integer(3);
    r.registration = s.text(4);
    r.surname = s.text(5);
    r.firstNames = s.text(6);
    if (!s.isNull(7)) r.cardExpiryMs = s.integer(7);
    r.fileId = s.integer(8);
    r.downloadedAtMs = s.integer(9);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace dcgw::store
