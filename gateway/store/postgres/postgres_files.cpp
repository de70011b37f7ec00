// The PostgreSQL backend's index of tachograph files (issue 13): stored files and the uploads in
// progress. Every change waits for its WAL flush: a device hears "stored" only after.
#include <algorithm>
#include <limits>

#include "codecs/json.hpp"
#include "gateway/store/postgres/pg.hpp"
#include "gateway/store/postgres/postgres_store.hpp"

namespace dcgw::store {
using postgres::Conn;
using postgres::Stmt;
using postgres::Transaction;

namespace {
using Lock = std::lock_guard<std::recursive_mutex>;

constexpr const char* kColumns =
    "id, serial, upload_id, received_at, downloaded_at, registration, location_id, "
    "announced_kind, kind, generation, size, sha256, summary, warnings, error, name, processed_at";

std::string warningsJson(const std::vector<std::string>& warnings) {
  std::string out = "[";
  for (std::size_t i = 0; i < warnings.size(); ++i) {
    if (i) out += ',';
    codecs::appendJsonString(out, warnings[i]);
  }
  return out + "]";
}

std::vector<std::string> warningsOf(const std::string& json) {
  std::vector<std::string> out;
  auto v = codecs::parseJson(json);
  if (!v || !v->isArray()) return out;
  for (const auto& w : v->asArray())
    if (w.isString()) out.push_back(w.asString());
  return out;
}

FileRecord fileOf(const Stmt& s) {
  FileRecord f;
  f.id = s.integer(0);
  f.serial = s.text(1);
  f.uploadId = static_cast<std::uint32_t>(s.integer(2));
  f.receivedAtMs = s.integer(3);
  f.downloadedAtMs = s.integer(4);
  f.registration = s.text(5);
  if (!s.isNull(6)) f.locationId = s.integer(6);
  f.announcedKind = s.text(7);
  f.kind = s.text(8);
  f.generation = s.text(9);
  f.size = s.integer(10);
  f.sha256 = s.text(11);
  f.summaryJson = s.text(12);
  f.warnings = warningsOf(s.text(13));
  f.error = s.text(14);
  f.name = s.text(15);
  if (!s.isNull(16)) f.processedAtMs = s.integer(16);
  return f;
}
}  // namespace

std::int64_t PostgresStore::recordFile(const FileRecord& f) {
  Lock lock(mu_);
  Transaction tx(*db_);
  Stmt insert = db_->prepare(
      "INSERT INTO files (serial, upload_id, received_at, downloaded_at, registration, "
      "location_id, announced_kind, kind, generation, size, sha256, summary, warnings, error, "
      "name) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id");
  insert.bind(1, f.serial)
      .bind(2, std::int64_t{f.uploadId})
      .bind(3, f.receivedAtMs)
      .bind(4, f.downloadedAtMs)
      .bind(5, f.registration)
      .bind(6, f.locationId)
      .bind(7, f.announcedKind)
      .bind(8, f.kind)
      .bind(9, f.generation)
      .bind(10, f.size)
      .bind(11, f.sha256)
      .bind(12, f.summaryJson.empty() ? std::string("{}") : f.summaryJson)
      .bind(13, warningsJson(f.warnings))
      .bind(14, f.error)
      .bind(15, f.name)
      .step();
  const std::int64_t id = insert.integer(0);
  db_->prepare("DELETE FROM file_uploads WHERE serial = ? AND upload_id = ?")
      .bind(1, f.serial)
      .bind(2, std::int64_t{f.uploadId})
      .run();
  tx.commit();
  return id;
}

std::vector<FileRecord> PostgresStore::files(const FileFilter& f) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM files WHERE id < ?";
  if (!f.serial.empty()) sql += " AND serial = ?";
  sql += " ORDER BY id DESC LIMIT ?";
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(sql);
  int i = 1;
  s.bind(i++, f.beforeId > 0 ? f.beforeId : std::numeric_limits<std::int64_t>::max());
  if (!f.serial.empty()) s.bind(i++, f.serial);
  s.bind(i, std::int64_t{f.limit});
  std::vector<FileRecord> out;
  while (s.step()) out.push_back(fileOf(s));
  return out;
}

std::optional<FileRecord> PostgresStore::file(std::int64_t id) {
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(std::string("SELECT ") + kColumns + " FROM files WHERE id = ?");
  if (!s.bind(1, id).step()) return std::nullopt;
  return fileOf(s);
}

std::optional<FileRecord> PostgresStore::fileOfUpload(const std::string& serial,
                                                      std::uint32_t uploadId,
                                                      const std::string& sha256) {
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(std::string("SELECT ") + kColumns +
                            " FROM files WHERE serial = ? AND upload_id = ? AND sha256 = ? "
                            "ORDER BY id DESC LIMIT 1");
  if (!s.bind(1, serial).bind(2, std::int64_t{uploadId}).bind(3, sha256).step())
    return std::nullopt;
  return fileOf(s);
}

bool PostgresStore::digestReferenced(const std::string& sha256) {
  std::lock_guard lock(readerMu_);
  return reader_->prepare("SELECT 1 FROM files WHERE sha256 = ? LIMIT 1").bind(1, sha256).step();
}

void PostgresStore::beginUploads(const std::vector<FileUploadRecord>& uploads) {
  if (uploads.empty()) return;
  Lock lock(mu_);
  Transaction tx(*db_);
  Stmt s = db_->prepare(
      "INSERT INTO file_uploads (serial, upload_id, announced_kind, size, sha256, "
      "downloaded_at, registration, begun_at) VALUES (?,?,?,?,?,?,?,?) "
      "ON CONFLICT (serial, upload_id) DO UPDATE SET announced_kind = excluded.announced_kind, "
      "size = excluded.size, sha256 = excluded.sha256, downloaded_at = excluded.downloaded_at, "
      "registration = excluded.registration, begun_at = excluded.begun_at");
  for (const auto& u : uploads) {
    s.bind(1, u.serial)
        .bind(2, std::int64_t{u.uploadId})
        .bind(3, u.announcedKind)
        .bind(4, u.size)
        .bind(5, u.sha256)
        .bind(6, u.downloadedAtMs)
        .bind(7, u.registration)
        .bind(8, u.begunAtMs)
        .run();
  }
  tx.commit();
}

void PostgresStore::markFileProcessed(std::int64_t id, std::int64_t atMs) {
  Lock lock(mu_);
  // A mark lost to a crash only makes the file's packets again (at least once): no fsync.
  Transaction tx(*db_, Transaction::Mode::Fast);
  db_->prepare("UPDATE files SET processed_at = ? WHERE id = ?").bind(1, atMs).bind(2, id).run();
  tx.commit();
}

std::vector<FileRecord> PostgresStore::unprocessedFiles(int limit) {
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(std::string("SELECT ") + kColumns +
                            " FROM files WHERE processed_at IS NULL ORDER BY id LIMIT ?");
  s.bind(1, std::int64_t{limit});
  std::vector<FileRecord> out;
  while (s.step()) out.push_back(fileOf(s));
  return out;
}

void PostgresStore::endUpload(const std::string& serial, std::uint32_t uploadId) {
  Lock lock(mu_);
  Transaction tx(*db_);
  db_->prepare("DELETE FROM file_uploads WHERE serial = ? AND upload_id = ?")
      .bind(1, serial)
      .bind(2, std::int64_t{uploadId})
      .run();
  tx.commit();
}

std::vector<FileUploadRecord> PostgresStore::uploads() {
  std::lock_guard lock(readerMu_);
  Stmt s = reader_->prepare(
      "SELECT serial, upload_id, announced_kind, size, sha256, downloaded_at, registration, "
      "begun_at FROM file_uploads ORDER BY serial, upload_id");
  std::vector<FileUploadRecord> out;
  while (s.step())
    out.push_back({s.text(0), static_cast<std::uint32_t>(s.integer(1)), s.text(2), s.integer(3),
                   s.text(4), s.integer(5), s.text(6), s.integer(7)});
  return out;
}

FilePrune PostgresStore::pruneFiles(std::int64_t olderThanMs, int batch) {
  Lock lock(mu_);
  Transaction tx(*db_);
  Stmt pick = db_->prepare(
      "SELECT id, sha256 FROM files WHERE received_at < ? ORDER BY received_at, id LIMIT ?");
  pick.bind(1, olderThanMs).bind(2, std::int64_t{batch});
  std::vector<std::pair<std::int64_t, std::string>> rows;
  while (pick.step()) rows.emplace_back(pick.integer(0), pick.text(1));
  FilePrune out;
  Stmt del = db_->prepare("DELETE FROM files WHERE id = ?");
  for (const auto& [id, sha] : rows) {
    del.reset();
    del.bind(1, id).run();
    ++out.rows;
  }
  Stmt still = db_->prepare("SELECT 1 FROM files WHERE sha256 = ? LIMIT 1");
  for (const auto& [id, sha] : rows) {
    still.reset();
    if (!still.bind(1, sha).step() &&
        std::find(out.unreferenced.begin(), out.unreferenced.end(), sha) == out.unreferenced.end())
      out.unreferenced.push_back(sha);
  }
  tx.commit();
  return out;
}

}  // namespace dcgw::store
