// Online backup, checked restore and read-only inspection of the SQLite store.
#include "gateway/store/sqlite/backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "gateway/store/sqlite/db.hpp"

namespace dcgw::store::sqlite {
namespace {

std::string sysError(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// One connection opened without the Db class: no migrations, no pragmas that write.
class Conn {
 public:
  Conn(const std::string& path, int flags) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw SqliteError(rc & 0xFF, "cannot open " + path + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~Conn() { sqlite3_close_v2(db_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  sqlite3* get() const { return db_; }

  void exec(const std::string& sql, const std::string& path) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw SqliteError(rc & 0xFF, path + ": " + msg);
    }
  }
  // The first column of the first row as an integer (0 when there is no row).
  std::int64_t integer(const std::string& sql) {
    Stmt s(db_, sql);
    return s.step() ? s.integer(0) : 0;
  }
  bool hasTable(const char* name) {
    Stmt s(db_, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?");
    s.bind(1, std::string_view(name));
    return s.step();
  }

 private:
  sqlite3* db_{nullptr};
};

// The backup handle, finished on every path.
class BackupHandle {
 public:
  BackupHandle(sqlite3* to, sqlite3* from) : b_(sqlite3_backup_init(to, "main", from, "main")) {}
  ~BackupHandle() {
    if (b_) sqlite3_backup_finish(b_);
  }
  BackupHandle(const BackupHandle&) = delete;
  BackupHandle& operator=(const BackupHandle&) = delete;
  sqlite3_backup* get() const { return b_; }
  int finish() {
    const int rc = sqlite3_backup_finish(b_);
    b_ = nullptr;
    return rc;
  }

 private:
  sqlite3_backup* b_;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// The directory part of a path ("." when it has none).
std::string directoryOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

void fsyncPath(const std::string& path, int flags) {
  Fd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (fd.get() < 0) throw StoreError(ErrorCategory::Unavailable, sysError("cannot open", path));
  if (::fsync(fd.get()) != 0)
    throw StoreError(ErrorCategory::Unavailable, sysError("cannot fsync", path));
}

// Removes a temporary file unless dismissed (the rename took it).
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() {
    if (path_.empty()) return;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) ::unlink((path_ + suffix).c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  void dismiss() { path_.clear(); }

 private:
  std::string path_;
};

// Copies `source` (an open connection) into the temporary file `tmp`, which must exist empty.
// The source's read transaction is held across the steps, so the pages copied all belong to one
// snapshot and the backup never restarts when another process commits.
CopyReport copyInto(Conn& from, const std::string& sourcePath, const std::string& tmp,
                    int pagesPerStep) {
  CopyReport r;
  {
    Conn to(tmp, SQLITE_OPEN_READWRITE);
    from.exec("BEGIN", sourcePath);
    // The read transaction starts at the first read: the snapshot is taken here.
    from.integer("SELECT COUNT(*) FROM sqlite_schema");
    {
      BackupHandle b(to.get(), from.get());
      if (!b.get())
        throw SqliteError(sqlite3_errcode(to.get()) & 0xFF,
                          tmp + ": cannot start the copy: " + sqlite3_errmsg(to.get()));
      for (;;) {
        const int rc = sqlite3_backup_step(b.get(), std::max(1, pagesPerStep));
        if (rc == SQLITE_DONE) break;
        if (rc == SQLITE_OK) continue;
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
          sqlite3_sleep(20);
          continue;
        }
        throw SqliteError(rc & 0xFF,
                          "copying " + sourcePath + " into " + tmp + ": " + sqlite3_errstr(rc));
      }
      r.pages = sqlite3_backup_pagecount(b.get());
      if (const int rc = b.finish(); rc != SQLITE_OK)
        throw SqliteError(
            rc & 0xFF, "copying " + sourcePath + " into " + tmp + ": " + sqlite3_errmsg(to.get()));
    }
    from.exec("COMMIT", sourcePath);
    // A WAL source's header makes the copy a WAL database: make it one self-contained file.
    to.exec("PRAGMA journal_mode=DELETE", tmp);
    r.pageSize = to.integer("PRAGMA page_size");
    if (to.hasTable("schema_version"))
      r.schemaVersion = static_cast<int>(to.integer("SELECT MAX(version) FROM schema_version"));
    if (to.hasTable("packets")) r.packets = to.integer("SELECT COUNT(*) FROM packets");
  }
  fsyncPath(tmp, O_RDONLY);
  struct stat st {};
  if (::stat(tmp.c_str(), &st) == 0) r.bytes = st.st_size;
  return r;
}

// An empty file of mode 0600 beside `target`, for the copy.
std::string makeTempBeside(const std::string& target, const char* what) {
  std::string tmp = target + "." + what + "-" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  Fd fd(::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
  if (fd.get() < 0) throw StoreError(ErrorCategory::Unavailable, sysError("cannot create", tmp));
  return tmp;
}

void renameInto(const std::string& tmp, const std::string& target) {
  if (::rename(tmp.c_str(), target.c_str()) != 0)
    throw StoreError(ErrorCategory::Unavailable, sysError("cannot rename " + tmp + " to", target));
  fsyncPath(directoryOf(target), O_RDONLY | O_DIRECTORY);
}

// A failed SQLite call names the file it was about (Stmt's messages name only the statement).
[[noreturn]] void rethrowNaming(const std::string& path, const SqliteError& e) {
  const std::string what = e.what();
  if (what.find(path) != std::string::npos) throw;
  throw SqliteError(e.code(), path + ": " + what);
}

std::string lockPathOf(const std::string& databasePath) {
  return databasePath + ".lock";
}

// Root restoring (or first locking) the database of a gateway that runs as its own user (the
// package's `dcgw`): what root makes takes the owner of `reference` (the database it replaces,
// else its folder), or that gateway could not open it.
void adoptOwner(int fd, const std::string& path, const std::string& reference) {
  if (::geteuid() != 0) return;
  struct stat ref {};
  if (::stat(reference.c_str(), &ref) != 0 && ::stat(directoryOf(reference).c_str(), &ref) != 0)
    return;
  if (ref.st_uid == 0 && ref.st_gid == 0) return;
  const int rc = fd >= 0 ? ::fchown(fd, ref.st_uid, ref.st_gid)
                         : ::chown(path.c_str(), ref.st_uid, ref.st_gid);
  if (rc != 0)
    throw StoreError(ErrorCategory::Unavailable,
                     sysError("cannot give the owner of " + reference + " to", path));
}

// Whether `path` exists; a path that cannot be looked at (permissions) is an error naming it.
bool existsOrThrow(const std::string& path) {
  std::error_code ec;
  const bool there = std::filesystem::exists(path, ec);
  if (ec)
    throw StoreError(
        ErrorCategory::Unavailable,
        "cannot look at " + path + ": " + ec.message() +
            (ec == std::errc::permission_denied ? " (run as the gateway's user)" : ""));
  return there;
}

}  // namespace

int supportedSchemaVersion() {
  int v = 0;
  for (const Migration& m : migrations()) v = std::max(v, m.version);
  return v;
}

CopyReport backupDatabase(const std::string& source, const std::string& target, int pagesPerStep) {
  if (!existsOrThrow(source))
    throw StoreError(ErrorCategory::NotFound, source + ": no such database file");
  std::error_code ec;
  if (std::filesystem::equivalent(source, target, ec))
    throw StoreError(ErrorCategory::Invalid,
                     target + " is the database itself: give the backup another path");
  // Read-write without create: a reader of a WAL database may need to make the -shm file; the
  // copy writes nothing to the source.
  Conn from(source, SQLITE_OPEN_READWRITE);
  TempFile tmp(makeTempBeside(target, "backup"));
  CopyReport r;
  try {
    r = copyInto(from, source, tmp.path(), pagesPerStep);
  } catch (const SqliteError& e) {
    rethrowNaming(source, e);
  }
  renameInto(tmp.path(), target);
  tmp.dismiss();
  return r;
}

Inspection inspectDatabase(const std::string& path, bool full) {
  if (!existsOrThrow(path))
    throw StoreError(ErrorCategory::NotFound, path + ": no such database file");
  Conn c(path, SQLITE_OPEN_READONLY);
  Inspection in;
  try {
    // The first read of a file that is not a database fails here, with SQLITE_NOTADB.
    in.pageSize = c.integer("PRAGMA page_size");
    in.pages = c.integer("PRAGMA page_count");
    in.freePages = c.integer("PRAGMA freelist_count");
    {
      Stmt s(c.get(), full ? "PRAGMA integrity_check(20)" : "PRAGMA quick_check(20)");
      std::string detail;
      while (s.step()) {
        if (!detail.empty()) detail += "; ";
        detail += s.text(0);
      }
      in.integrityOk = detail == "ok";
      in.integrityDetail = detail.empty() ? "no answer" : detail;
    }
    in.isStore = c.hasTable("schema_version") && c.hasTable("packets");
    if (in.isStore) {
      in.schemaVersion =
          static_cast<int>(c.integer("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
      in.packets = c.integer("SELECT COUNT(*) FROM packets");
    }
  } catch (const SqliteError& e) {
    rethrowNaming(path, e);
  }
  return in;
}

DatabaseLock::~DatabaseLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the record lock
}

Result<DatabaseLock> DatabaseLock::acquire(const std::string& databasePath, Mode mode) {
  // An in-memory database or a URI has no file beside which a lock could sit, nor anything to
  // restore over.
  if (databasePath.empty() || databasePath == ":memory:" || databasePath.rfind("file:", 0) == 0)
    return DatabaseLock(-1, "");
  const std::string path = lockPathOf(databasePath);
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (fd.get() < 0)
    return Error{ErrorCategory::Unavailable, "lock", sysError("cannot open the lock file", path)};
  try {
    adoptOwner(fd.get(), path, databasePath);
  } catch (const StoreError& e) {
    return Error{e.category(), "lock", e.what()};
  }
  struct flock fl {};
  fl.l_type = mode == Mode::Shared ? F_RDLCK : F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (::fcntl(fd.get(), F_SETLK, &fl) != 0) {
    if (errno != EACCES && errno != EAGAIN)
      return Error{ErrorCategory::Unavailable, "lock", sysError("cannot lock", path)};
    struct flock who {};
    who.l_type = F_WRLCK;
    who.l_whence = SEEK_SET;
    std::string holder = "another process";
    if (::fcntl(fd.get(), F_GETLK, &who) == 0 && who.l_type != F_UNLCK)
      holder = "process " + std::to_string(who.l_pid);
    return Error{ErrorCategory::Busy, "lock",
                 holder + " holds " + path +
                     (mode == Mode::Shared ? " (a restore is replacing this database)"
                                           : " (a dcgw gateway is running on this database)")};
  }
  // The pid for people reading the file; several shared holders each write theirs.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) == 0) (void)!::pwrite(fd.get(), pid.data(), pid.size(), 0);
  return DatabaseLock(fd.release(), path);
}

std::optional<pid_t> lockHolder(const std::string& databasePath) {
  const std::string path = lockPathOf(databasePath);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::nullopt;
  struct flock who {};
  who.l_type = F_WRLCK;
  who.l_whence = SEEK_SET;
  if (::fcntl(fd.get(), F_GETLK, &who) != 0 || who.l_type == F_UNLCK) return std::nullopt;
  return who.l_pid;
}

Result<RestoreReport> restoreDatabase(const std::string& backupFile, const std::string& target) {
  RestoreReport report;
  std::error_code ec;
  if (std::filesystem::equivalent(backupFile, target, ec))
    return Error{ErrorCategory::Invalid, "backup", backupFile + " is the database itself"};
  try {
    report.backup = inspectDatabase(backupFile, true);
  } catch (const StoreError& e) {
    return Error{e.category(), "backup", e.what()};
  }
  const Inspection& b = report.backup;
  if (!b.integrityOk)
    return Error{ErrorCategory::Corrupt, "backup",
                 backupFile + " fails SQLite's integrity check: " + b.integrityDetail};
  if (!b.isStore)
    return Error{ErrorCategory::Invalid, "backup",
                 backupFile +
                     " is an SQLite database but not a dcgw store (no schema_version "
                     "and packets tables)"};
  if (b.schemaVersion > supportedSchemaVersion())
    return Error{ErrorCategory::Invalid, "backup",
                 backupFile + " has schema version " + std::to_string(b.schemaVersion) +
                     ", newer than this dcgw knows (" + std::to_string(supportedSchemaVersion()) +
                     "): restore it with the dcgw that made it"};
  auto lock = DatabaseLock::acquire(target, DatabaseLock::Mode::Exclusive);
  if (!lock) return Error{lock.error().category, "target", lock.error().message};
  report.lockFile = lock->path();
  {
    Conn from(backupFile, SQLITE_OPEN_READONLY);
    TempFile tmp(makeTempBeside(target, "restore"));
    report.copied = copyInto(from, backupFile, tmp.path(), 4096);
    // The old database's write-ahead log would be replayed into the restored file: removed
    // first, while the lock keeps every gateway away.
    for (const char* suffix : {"-wal", "-shm", "-journal"}) {
      const std::string stale = target + suffix;
      if (::unlink(stale.c_str()) != 0 && errno != ENOENT)
        throw StoreError(ErrorCategory::Unavailable, sysError("cannot remove", stale));
    }
    adoptOwner(-1, tmp.path(), target);
    renameInto(tmp.path(), target);
    tmp.dismiss();
  }
  return report;
}

}  // namespace dcgw::store::sqlite
