// WAL checkpoints off the commit path: the writer connection's commits only append to the WAL,
// and a thread with a connection of its own copies the WAL back into the database.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;  // sqlite3.h stays in db.hpp

namespace dcgw::store::sqlite {

class Db;

// SQLite's automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL pages, on the
// committing connection: that commit (and every tracker waiting for its ACK) waits for the pages
// to be copied and the database file to be fsynced, tens of milliseconds under load. Here the
// writer's WAL hook only wakes a thread that runs PASSIVE checkpoints on its own connection
// (PASSIVE never blocks the writer or the readers). Should the thread fall far behind (a reader
// pinning an old snapshot keeps a checkpoint from finishing, or the thread is not scheduled for
// a while on a loaded machine while commits go on), the hook checkpoints inline once the WAL
// reaches kInlinePages, so the WAL stays bounded as with SQLite's default. That threshold is low
// enough (16 MB) to be reached in a fraction of a second of fast commits, which a CI run on two
// busy cores showed: at 64 MB the WAL grew past 32 MB before the thread ran again. When the
// thread is in the middle of a checkpoint then (its connection holds SQLite's checkpoint lock,
// perhaps through a slow fsync), that commit waits for it and then copies the rest.
// SQLite starts the WAL file over only when a write begins with every frame of it copied back,
// which a checkpoint running beside continuous commits never sees (commits land while it
// fsyncs). So once the thread's checkpoint has left only a short tail (kTailPages), the next
// commit copies that tail itself (a few pages, one fsync) and the WAL starts over after it;
// journal_size_limit gives the file's space back once it has.
class Checkpointer {
 public:
  static constexpr int kWakePages = 1000;     // SQLite's default auto-checkpoint threshold
  static constexpr int kTailPages = 200;      // what a commit may copy back itself
  static constexpr int kInlinePages = 4'000;  // about 16 MB at 4 KiB pages
  static constexpr long long kWalLimitBytes = 64LL << 20;

  // Installs the WAL hook on `writer` (replacing SQLite's automatic checkpoint) and starts the
  // thread on a connection of its own to `path`. Throws StoreError when it cannot open it.
  Checkpointer(Db& writer, const std::string& path);
  ~Checkpointer();  // stops the thread and restores the automatic checkpoint on the writer
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  std::uint64_t checkpoints() const;  // run by the thread, since start
  std::uint64_t inlineCheckpoints() const;

 private:
  static int onCommit(void* self, ::sqlite3* db, const char* schema, int pages);
  void run();

  Db& writer_;
  std::unique_ptr<Db> own_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_{false};
  bool tailReady_{false};  // the thread's last checkpoint left at most kTailPages
  bool stopping_{false};
  bool running_{false};  // the thread is in a checkpoint
  std::uint64_t checkpoints_{0};
  std::uint64_t inline_{0};
  std::thread thread_;
};

}  // namespace dcgw::store::sqlite
