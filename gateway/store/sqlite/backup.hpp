// Copies of the SQLite store for `dcgw backup`, `dcgw restore` and `dcgw doctor`: an online,
// consistent copy of a database that a gateway may be writing, a checked restore into place, a
// read-only inspection, and the lock a running gateway holds on its database. sqlite3.h stays
// in backup.cpp (ctest Store.DatabaseHeadersStayInsideTheirBackend).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "gateway/store/errors.hpp"

namespace dcgw::store::sqlite {

// The highest schema version (schema/sqlite/NNN_*.sql) this binary knows.
int supportedSchemaVersion();

// What a copy holds, read from the copy itself once it is complete.
struct CopyReport {
  std::int64_t pages{0};
  std::int64_t pageSize{0};
  std::int64_t bytes{0};  // the copy's file size
  int schemaVersion{0};
  std::int64_t packets{0};
};

// Copies the database at `source` into `target` with SQLite's online backup API, `pagesPerStep`
// pages at a time inside one read transaction of the source: the copy is the database as it was
// when the copy began (a WAL reader's snapshot), and writers of the source, a running gateway's
// ingest, keep committing meanwhile. The copy is written to a temporary file beside `target`
// (mode 0600: the store holds device keys), made a single file (no -wal), fsynced, and renamed
// over `target`, so `target` is either the old file or the whole copy. Throws StoreError naming
// the path that failed (the source missing or not a database, the target's directory not
// writable, the disk full).
CopyReport backupDatabase(const std::string& source, const std::string& target,
                          int pagesPerStep = 1024);

// What `dcgw doctor` and `dcgw restore` learn of a database file, opened read-only.
struct Inspection {
  bool integrityOk{false};
  std::string integrityDetail;  // "ok", or the first problems SQLite found
  bool isStore{false};          // it has dcgw's schema_version and packets tables
  int schemaVersion{0};
  std::int64_t packets{0};
  std::int64_t pageSize{0};
  std::int64_t pages{0};
  std::int64_t freePages{0};
};

// Opens `path` read-only (never creating it, never migrating it) and checks it: PRAGMA
// integrity_check when `full`, PRAGMA quick_check otherwise. Throws StoreError when the file
// cannot be opened or read at all (missing, not a database: category Corrupt or Unavailable).
Inspection inspectDatabase(const std::string& path, bool full);

// The lock a gateway holds on its database while it runs: a POSIX record lock on "PATH.lock"
// (the file holds the holder's pid, for people). `dcgw serve` holds it shared (several processes
// may share one database); `dcgw restore` takes it exclusively, so it never replaces a database a
// gateway has open, and a gateway cannot start on a database being restored. Released when the
// object is destroyed or the process ends (even by SIGKILL).
class DatabaseLock {
 public:
  enum class Mode { Shared, Exclusive };
  DatabaseLock(DatabaseLock&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  DatabaseLock(const DatabaseLock&) = delete;
  DatabaseLock& operator=(const DatabaseLock&) = delete;
  DatabaseLock& operator=(DatabaseLock&&) = delete;
  ~DatabaseLock();

  // The lock of the database at `databasePath`, or a refusal: Busy naming the lock file and the
  // pid of a process holding it when another process holds it in a conflicting mode,
  // Unavailable when the lock file cannot be made.
  static Result<DatabaseLock> acquire(const std::string& databasePath, Mode mode);
  const std::string& path() const { return path_; }

 private:
  DatabaseLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_{-1};
  std::string path_;
};

// The pid of a process holding the database's lock (any mode), or nullopt when none does.
std::optional<pid_t> lockHolder(const std::string& databasePath);

// What `dcgw restore` put in place.
struct RestoreReport {
  Inspection backup;
  CopyReport copied;
  std::string lockFile;
};

// Restores the backup `backupFile` as the database at `target`: checks the backup
// (integrity_check, a dcgw store, a schema version this binary knows), takes the target's lock
// exclusively (refused while a gateway runs on it), copies the backup beside the target (0600,
// fsynced), removes the target's stale -wal and -shm and renames the copy into place. Returns an
// Error (field "backup" or "target") saying what was refused; throws StoreError when the copy
// itself fails.
Result<RestoreReport> restoreDatabase(const std::string& backupFile, const std::string& target);

}  // namespace dcgw::store::sqlite
