// The SQLite backend notices when its files are gone: a database file deleted or replaced while
// open keeps working through the open descriptors, so commits would go on succeeding into a
// file nobody will ever open again and be lost at the next start. The path's files are compared
// with the ones opened (device and inode): at most once a second on the queue's and the
// admin's operations, and after every ingest commit, before anything is acknowledged.
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <chrono>

#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::store {
namespace {

constexpr const char* kSuffixes[] = {"", "-wal", "-shm"};
constexpr const char* kNames[] = {"database file", "write-ahead log", "shared-memory file"};

std::int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void SqliteStore::rememberFiles() {
  std::lock_guard lock(filesMu_);
  if (path_.empty() || path_ == ":memory:") return;  // nothing on disk to lose
  for (std::size_t i = 0; i < files_.size(); ++i) {
    struct stat st {};
    if (::stat((path_ + kSuffixes[i]).c_str(), &st) != 0) continue;  // -wal, -shm: maybe later
    files_[i] = {true, static_cast<std::uint64_t>(st.st_dev),
                 static_cast<std::uint64_t>(st.st_ino)};
  }
}

void SqliteStore::verifyFiles(bool now) {
  if (!lost_.load(std::memory_order_acquire)) {
    const std::int64_t t = steadyNs();
    if (!now && t - lastFileCheckNs_.load(std::memory_order_relaxed) < 1'000'000'000) return;
    lastFileCheckNs_.store(t, std::memory_order_relaxed);
    std::lock_guard lock(filesMu_);
    if (!files_[0].known) return;  // in memory, or a path that never was a file
    for (std::size_t i = 0; i < files_.size() && !lost_; ++i) {
      const std::string file = path_ + kSuffixes[i];
      struct stat st {};
      const bool exists = ::stat(file.c_str(), &st) == 0;
      if (!exists && errno != ENOENT) continue;  // cannot tell (EACCES...): not proof of a loss
      FileId& f = files_[i];
      if (!f.known) {
        if (exists)
          f = {true, static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
        continue;
      }
      std::string what;
      if (!exists)
        what = "was deleted";
      else if (static_cast<std::uint64_t>(st.st_dev) != f.device ||
               static_cast<std::uint64_t>(st.st_ino) != f.inode)
        what = "was replaced by another file";
      if (what.empty()) continue;
      lostReason_ = std::string("the ") + kNames[i] + " " + file + " " + what +
                    " while the store had it open: what it commits would be lost, so it accepts "
                    "nothing more; restart the gateway (it opens the database at " +
                    path_ + " again)";
      lost_.store(true, std::memory_order_release);
    }
    if (!lost_) return;
  }
  std::lock_guard lock(filesMu_);
  throw StoreError(ErrorCategory::Unavailable, lostReason_);
}

Health SqliteStore::health() {
  try {
    verifyFiles(true);
  } catch (const StoreError& e) {
    return Health{false, e.what()};
  }
  return Health{};
}

}  // namespace dcgw::store

namespace dcgw::store {

StoreSize SqliteStore::size() {
  StoreSize s;
  std::lock_guard lock(readerMu_);
  auto one = [this](const char* sql) {
    sqlite::Stmt st = reader_->prepare(sql);
    return st.step() && !st.isNull(0) ? st.integer(0) : std::int64_t{0};
  };
  const std::int64_t page = one("PRAGMA page_size");
  const std::int64_t pages = one("PRAGMA page_count");
  s.fileBytes = pages * page;
  s.usedBytes = (pages - one("PRAGMA freelist_count")) * page;
  sqlite::Stmt ids = reader_->prepare("SELECT MAX(id) - MIN(id) + 1 FROM packets");
  if (ids.step() && !ids.isNull(0)) s.packets = ids.integer(0);
  if (path_.empty() || path_ == ":memory:") return s;
  struct stat st {};
  if (::stat((path_ + "-wal").c_str(), &st) == 0) s.walBytes = st.st_size;
  const auto slash = path_.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) == 0)
    s.freeDiskBytes =
        static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize);
  return s;
}

}  // namespace dcgw::store
