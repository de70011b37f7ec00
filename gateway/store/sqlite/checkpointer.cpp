// The WAL checkpoint thread of the SQLite backend (see checkpointer.hpp for why).
#include "gateway/store/sqlite/checkpointer.hpp"

#include "gateway/store/sqlite/db.hpp"

namespace dcgw::store::sqlite {

Checkpointer::Checkpointer(Db& writer, const std::string& path)
    : writer_(writer), own_(std::make_unique<Db>(path)) {
  sqlite3_wal_hook(writer_.handle(), &Checkpointer::onCommit, this);
  thread_ = std::thread([this] { run(); });
}

Checkpointer::~Checkpointer() {
  sqlite3_wal_autocheckpoint(writer_.handle(), kWakePages);  // removes our hook first
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

int Checkpointer::onCommit(void* self, ::sqlite3* db, const char* schema, int pages) {
  auto* c = static_cast<Checkpointer*>(self);
  if (pages >= kInlinePages) {
    // Best-effort, as SQLite's own automatic checkpoint: a busy database is checkpointed later.
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    std::lock_guard lock(c->mu_);
    ++c->inline_;
    return SQLITE_OK;
  }
  if (pages >= kWakePages) {
    {
      std::lock_guard lock(c->mu_);
      if (c->wanted_) return SQLITE_OK;
      c->wanted_ = true;
    }
    c->cv_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return wanted_ || stopping_; });
    if (stopping_) return;
    wanted_ = false;
    lock.unlock();
    // A failure (busy, or the files gone: the store's health check reports that) leaves the
    // pages in the WAL for the next wake-up.
    const int rc = sqlite3_wal_checkpoint_v2(own_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                             nullptr, nullptr);
    lock.lock();
    if (rc == SQLITE_OK) ++checkpoints_;
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
