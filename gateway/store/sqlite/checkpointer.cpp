// The WAL checkpoint thread of the SQLite backend (see checkpointer.hpp for why).
#include "gateway/store/sqlite/checkpointer.hpp"

#include <chrono>

#include "gateway/store/sqlite/db.hpp"

namespace dcgw::store::sqlite {

Checkpointer::Checkpointer(Db& writer, const std::string& path)
    : writer_(writer), own_(std::make_unique<Db>(path)) {
  writer_.exec("PRAGMA journal_size_limit=" + std::to_string(kWalLimitBytes));
  sqlite3_wal_hook(writer_.handle(), &Checkpointer::onCommit, this);
  thread_ = std::thread([this] { run(); });
}

Checkpointer::~Checkpointer() {
  sqlite3_wal_autocheckpoint(writer_.handle(), kWakePages);  // removes our hook first
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int Checkpointer::onCommit(void* self, ::sqlite3* db, const char* schema, int pages) {
  auto* c = static_cast<Checkpointer*>(self);
  bool tail = false;
  bool wake = false;
  {
    std::lock_guard lock(c->mu_);
    if (pages >= kInlinePages || (c->tailReady_ && pages >= kWakePages)) {
      tail = true;
      c->tailReady_ = false;
    } else if (pages >= kWakePages && !c->wanted_) {
      c->wanted_ = true;
      wake = true;
    }
  }
  if (wake) c->cv_.notify_all();
  if (!tail) return SQLITE_OK;
  // Best-effort, as SQLite's own automatic checkpoint: a busy database is checkpointed later.
  int log = 0;
  int copied = 0;
  int rc = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  if (rc == SQLITE_BUSY && pages >= kInlinePages) {
    // The thread is in the middle of a checkpoint (on a loaded machine it may not run again
    // for a while, and its fsync can be slow): wait for it, so the WAL stays bounded, then
    // copy what is left. Only this writer commits, so the WAL does not grow meanwhile.
    {
      std::unique_lock lock(c->mu_);
      // At most a second: the commit holds the store's writer lock meanwhile.
      c->cv_.wait_for(lock, std::chrono::seconds(1), [c] { return !c->running_; });
    }
    rc = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  }
  std::lock_guard lock(c->mu_);
  if (rc == SQLITE_OK) ++c->inline_;
  return SQLITE_OK;
}

void Checkpointer::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return wanted_ || stopping_; });
    if (stopping_) return;
    running_ = true;
    lock.unlock();
    // A failure (busy, or the files gone: the store's health check reports that) leaves the
    // pages in the WAL for the next wake-up.
    int log = 0;
    int copied = 0;
    const int rc = sqlite3_wal_checkpoint_v2(own_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                             &log, &copied);
    lock.lock();
    running_ = false;
    cv_.notify_all();  // a commit waiting to copy the WAL back itself
    wanted_ = false;
    if (rc == SQLITE_OK) {
      ++checkpoints_;
      // The commits made meanwhile are the tail: the next commit copies it back and the WAL
      // starts over at the write after it.
      tailReady_ = log - copied <= kTailPages;
    }
  }
}

std::uint64_t Checkpointer::checkpoints() const {
  std::lock_guard lock(mu_);
  return checkpoints_;
}

std::uint64_t Checkpointer::inlineCheckpoints() const {
  std::lock_guard lock(mu_);
  return inline_;
}

}  // namespace dcgw::store::sqlite
