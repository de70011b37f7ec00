// The file worker: spool writes coalesced into one fsync and one FILE_ACK per upload per turn,
// and the end of an upload (hash, content in place, analysis, index row, FILE_RESULT).
#include "gateway/files/upload_worker.hpp"

#include <openssl/sha.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <system_error>
#include <vector>

#include "gateway/common/thread_priority.hpp"

namespace dcgw::files {

namespace up = codecs::uplink;
using Status = up::FileStatus;

UploadWorker::UploadWorker(WorkerContext& ctx) : c_(ctx) {}

UploadWorker::~UploadWorker() {
  stop();
}

void UploadWorker::adopt(const store::FileUploadRecord& rec) {
  Upload u;
  u.rec = rec;
  const std::string path = c_.disk.spoolPath(rec.serial, rec.uploadId);
  u.touchedMs = modifiedAtMs(path);
  if (u.touchedMs == 0) u.touchedMs = rec.begunAtMs;
  try {
    u.file = SpoolFile(path, false);
    u.length = u.synced = u.file.size();
    // Bytes past the size are not the device's (a crash mid-write of a file system that
    // extends before it writes): the digest check would refuse them anyway.
    if (u.length > static_cast<std::uint64_t>(rec.size)) {
      u.file.truncate(0);
      u.length = u.synced = 0;
    }
  } catch (const std::exception& e) {
    spdlog::warn("files: device {} upload {}: spool not readable, resumes from 0: {}", rec.serial,
                 rec.uploadId, e.what());
  }
  uploads_[{rec.serial, rec.uploadId}] = std::move(u);
}

void UploadWorker::start() {
  thread_ = std::thread([this] {
    // Hashing and copying megabytes is bulk work: it must not take the CPU from the threads
    // that acknowledge packets (issue 13: uploads must not stall ingest).
    common::lowerThisThreadsPriority("files: a file worker");
    run();
  });
}

void UploadWorker::push(Task t) {
  {
    std::lock_guard l(mu_);
    // A file already waiting to be processed is not queued twice (a maintenance pass while the
    // previous one's tasks still wait).
    if (t.type == Task::Type::Process && !processQueued_.insert(t.fileId).second) return;
    queue_.push_back(std::move(t));
  }
  cv_.notify_one();
}

void UploadWorker::stop() {
  if (!thread_.joinable()) return;
  push(Task{});  // Stop
  thread_.join();
}

void UploadWorker::run() {
  std::deque<Task> batch;
  for (;;) {
    {
      std::unique_lock l(mu_);
      cv_.wait(l, [&] { return !queue_.empty(); });
      batch.swap(queue_);
    }
    bool stopping = false;
    // Processing files again is left to the next start when stopping: it must not delay it.
    const bool stopAfter = std::any_of(batch.begin(), batch.end(),
                                       [](const Task& t) { return t.type == Task::Type::Stop; });
    for (Task& t : batch) {
      if (t.type == Task::Type::Stop) {
        stopping = true;
        break;
      }
      if (t.type == Task::Type::Process) {
        {
          std::lock_guard l(mu_);
          processQueued_.erase(t.fileId);
        }
        if (stopAfter) continue;
      }
      // Anything but a begin sees the uploads begun before it in the index; anything but a
      // write sees every byte before it durable (a Begin's offset, a Finish).
      if (t.type != Task::Type::Begin) commitBegins();
      if (t.type != Task::Type::Write) flush();
      handle(t);
    }
    commitBegins();
    flush();
    batch.clear();
    if (stopping) return;
  }
}

void UploadWorker::handle(Task& t) {
  try {
    switch (t.type) {
      case Task::Type::Begin:
        return begin(t);
      case Task::Type::Write:
        return write(t);
      case Task::Type::Finish:
        return finish(t);
      case Task::Type::Sweep:
        return sweep(t.cutoffMs);
      case Task::Type::Process:
        return processStored(t.fileId);
      case Task::Type::Stop:
        return;
    }
  } catch (const std::exception& e) {
    ++c_.stats.failures;
    spdlog::error("files: device {} upload {}: {}", t.serial, t.upload, e.what());
    result(t, Status::StoreFailed,
           std::string("the gateway could not store the upload: ") + e.what());
  }
}

void UploadWorker::result(const Task& t, Status s, const std::string& text, std::uint64_t fileId) {
  Reply r;
  r.connection = t.connection;
  r.upload = t.upload;
  r.type = Reply::Type::Result;
  r.status = s;
  r.fileId = fileId;
  r.text = text;
  c_.reply(std::move(r));
}

void UploadWorker::begin(Task& t) {
  if (t.shuttingDown) return result(t, Status::ShuttingDown, "the gateway is stopping");
  const up::FileBegin& b = t.begin;
  const std::string sha = codecs::toHex(codecs::ByteView(b.sha256.data(), b.sha256.size()));
  const std::string kind = up::uploadFileKindName(b.kind);
  const Key key{t.serial, t.upload};
  // The same upload begun again in this turn: its first row is committed before it is read.
  if (std::find(pendingBegins_.begin(), pendingBegins_.end(), key) != pendingBegins_.end())
    commitBegins();
  auto it = uploads_.find(key);
  // Stored already: the device lost its FILE_RESULT (or the packets made from the file failed;
  // they are made now).
  if (auto f = c_.index.fileOfUpload(t.serial, t.upload, sha); f && f->size == b.size) {
    if (it != uploads_.end()) discard(it);
    std::string why;
    if (!f->processedAtMs && !process(*f, c_.disk.read(f->sha256), why))
      return notProcessed(t, f->id, why);
    return result(t, Status::Ok, "already stored as file " + std::to_string(f->id), f->id);
  }
  if (it != uploads_.end() && it->second.ackTo != t.connection && !stillStored(it->second)) {
    // Changed elsewhere since this node held it: forgotten here, its spool file and row left
    // as the other node made them.
    spdlog::info("files: device {} upload {}: changed on another node, read again", t.serial,
                 t.upload);
    it->second.file.close();
    uploads_.erase(it);
    it = uploads_.end();
  }
  if (it == uploads_.end()) {
    // Begun on another node of the same database whose file store this node shares
    // (files.dir on a shared file system): its row is in the store and its spool file here, so
    // it resumes where it stopped instead of at 0.
    const std::string path = c_.disk.spoolPath(t.serial, t.upload);
    if (std::filesystem::exists(path))
      for (const auto& rec : c_.index.uploads())
        if (rec.serial == t.serial && rec.uploadId == t.upload) {
          adopt(rec);
          it = uploads_.find(key);
          break;
        }
  }
  const bool same = it != uploads_.end() && it->second.rec.size == b.size &&
                    it->second.rec.sha256 == sha && it->second.rec.announcedKind == kind;
  if (it != uploads_.end() && !same) {
    spdlog::info("files: device {} upload {}: begun again for another file, restarts at 0",
                 t.serial, t.upload);
    discard(it);
    it = uploads_.end();
  }
  if (it == uploads_.end()) {
    Upload u;
    const std::int64_t now = c_.clock.nowMs();
    u.rec = {t.serial,       t.upload, kind, b.size, sha, std::int64_t{b.downloadedAt} * 1000,
             b.registration, now};
    u.file = SpoolFile(c_.disk.spoolPath(t.serial, t.upload), true);
    u.touchedMs = now;
    u.ackTo = t.connection;
    uploads_.emplace(key, std::move(u));
    pendingBegins_.push_back(key);
    ++c_.stats.begun;
    return;  // acknowledged by commitBegins()
  }
  Upload& u = it->second;
  if (!u.file.isOpen() || u.ackTo != t.connection) {
    // A new connection: what the spool file holds counts, not what this node last wrote (on a
    // shared file store another node may have taken the upload further, or begun it again,
    // meanwhile). Opened again by its path, made durable, then measured.
    u.file = SpoolFile(c_.disk.spoolPath(t.serial, t.upload), false);
    u.file.sync();
    u.length = u.synced = u.file.size();
    if (u.length > static_cast<std::uint64_t>(u.rec.size)) {
      u.file.truncate(0);
      u.length = u.synced = 0;
    }
  }
  u.ackTo = t.connection;
  ++c_.stats.begun;
  if (u.synced > 0) ++c_.stats.resumed;
  Reply r;
  r.connection = t.connection;
  r.upload = t.upload;
  r.type = Reply::Type::BeginAck;
  r.offset = static_cast<std::uint32_t>(u.synced);
  c_.reply(std::move(r));
}

void UploadWorker::commitBegins() {
  if (pendingBegins_.empty()) return;
  std::vector<Key> keys;
  keys.swap(pendingBegins_);
  std::vector<store::FileUploadRecord> rows;
  for (const Key& k : keys) rows.push_back(uploads_.at(k).rec);
  try {
    syncDirectory(c_.disk.spoolDir());  // the spool files just created
    c_.index.beginUploads(rows);
  } catch (const std::exception& e) {
    ++c_.stats.failures;
    const std::string text = std::string("the gateway could not store the upload: ") + e.what();
    for (const Key& k : keys) {
      spdlog::error("files: device {} upload {}: {}", k.first, k.second, e.what());
      auto it = uploads_.find(k);
      Task t;
      t.connection = it->second.ackTo;
      t.serial = k.first;
      t.upload = k.second;
      try {
        discard(it);
      } catch (const std::exception&) {
        uploads_.erase(it);  // the row was not written; the spool file is truncated when begun
      }
      result(t, Status::StoreFailed, text);
    }
    return;
  }
  for (const Key& k : keys) {
    Reply r;
    r.connection = uploads_.at(k).ackTo;
    r.upload = k.second;
    r.type = Reply::Type::BeginAck;
    r.offset = 0;
    c_.reply(std::move(r));
  }
}

bool UploadWorker::process(const store::FileRecord& f, codecs::ByteView bytes, std::string& why) {
  try {
    if (c_.onStored) c_.onStored(f, bytes);
    c_.index.markFileProcessed(f.id, c_.clock.nowMs());
    return true;
  } catch (const std::exception& e) {
    ++c_.stats.failures;
    why = e.what();
    spdlog::error(
        "files: device {} file {}: what is made from it is not committed, it is "
        "tried again: {}",
        f.serial, f.id, why);
    return false;
  }
}

void UploadWorker::notProcessed(const Task& t, std::int64_t fileId, const std::string& why) {
  result(t, Status::StoreFailed,
         "stored as file " + std::to_string(fileId) +
             ", but the packets made from it are not committed (" + why +
             "): send FILE_BEGIN again later");
}

void UploadWorker::processStored(std::int64_t fileId) {
  auto f = c_.index.file(fileId);
  if (!f || f->processedAtMs) return;  // pruned, or processed meanwhile
  // What retrying cannot mend ends the retries: a device removed since (its packets have no
  // location to go to), a content gone from the disk.
  std::string terminal;
  codecs::Bytes bytes;
  if (!c_.config.device(f->serial)) {
    terminal = "device " + f->serial + " was removed";
  } else {
    try {
      bytes = c_.disk.read(f->sha256);
    } catch (const std::system_error& e) {
      if (e.code() != std::errc::no_such_file_or_directory) throw;
      terminal = std::string("its content is gone: ") + e.what();
    }
  }
  if (!terminal.empty()) {
    spdlog::error("files: device {} file {}: its packets are not made: {}", f->serial, f->id,
                  terminal);
    c_.index.markFileProcessed(f->id, c_.clock.nowMs());
    return;
  }
  std::string why;
  if (process(*f, bytes, why))
    spdlog::info("files: device {} file {}: processed after the fact", f->serial, f->id);
}

void UploadWorker::write(Task& t) {
  auto it = uploads_.find({t.serial, t.upload});
  // Not where the upload is: a chunk of an upload discarded or failed meanwhile.
  if (it == uploads_.end() || it->second.length != t.offset ||
      t.offset + t.bytes.size() > static_cast<std::uint64_t>(it->second.rec.size))
    return;
  Upload& u = it->second;
  try {
    u.file.write(t.offset, t.bytes);
  } catch (...) {
    try {
      u.file.truncate(u.length);
    } catch (...) {
    }
    throw;
  }
  u.length += t.bytes.size();
  u.ackTo = t.connection;
  u.touchedMs = c_.clock.nowMs();
  c_.stats.bytes += t.bytes.size();
}

void UploadWorker::flush() {
  for (auto& [key, u] : uploads_) {
    if (u.synced == u.length) continue;
    Task t;
    t.connection = u.ackTo;
    t.serial = key.first;
    t.upload = key.second;
    try {
      u.file.sync();
      u.synced = u.length;
    } catch (const std::exception& e) {
      ++c_.stats.failures;
      spdlog::error("files: device {} upload {}: {}", key.first, key.second, e.what());
      // Unknown what reached the disk: go back to what is known to be there.
      try {
        u.file.truncate(u.synced);
      } catch (...) {
      }
      u.length = u.synced;
      result(t, Status::StoreFailed,
             std::string("the gateway could not store the upload: ") + e.what());
      continue;
    }
    Reply r;
    r.connection = u.ackTo;
    r.upload = key.second;
    r.type = Reply::Type::WriteAck;
    r.offset = static_cast<std::uint32_t>(u.synced);
    c_.reply(std::move(r));
  }
}

void UploadWorker::discard(std::map<Key, Upload>::iterator it) {
  it->second.file.close();
  ::unlink(c_.disk.spoolPath(it->first.first, it->first.second).c_str());
  c_.index.endUpload(it->first.first, it->first.second);
  uploads_.erase(it);
}

void UploadWorker::finish(Task& t) {
  if (t.shuttingDown) return result(t, Status::ShuttingDown, "the gateway is stopping");
  auto it = uploads_.find({t.serial, t.upload});
  if (it == uploads_.end() || it->second.synced != static_cast<std::uint64_t>(it->second.rec.size))
    return result(t, Status::UnknownUpload,
                  "upload " + std::to_string(t.upload) + " is not held whole: send FILE_BEGIN");
  Upload& u = it->second;
  const codecs::Bytes bytes = u.file.readAll();
  std::array<std::uint8_t, 32> digest{};
  SHA256(bytes.data(), bytes.size(), digest.data());
  const std::string sha = codecs::toHex(codecs::ByteView(digest.data(), digest.size()));
  if (sha != u.rec.sha256 || bytes.size() != static_cast<std::uint64_t>(u.rec.size)) {
    ++c_.stats.digestMismatches;
    const std::string text = "the " + std::to_string(bytes.size()) + " bytes have SHA-256 " + sha +
                             ", not " + u.rec.sha256 + " as announced: discarded, upload again";
    spdlog::warn("files: device {} upload {}: {}", t.serial, t.upload, text);
    discard(it);
    return result(t, Status::DigestMismatch, text);
  }
  const std::int64_t now = c_.clock.nowMs();
  FileContext ctx;
  ctx.serial = t.serial;
  ctx.registration = u.rec.registration;
  if (auto d = c_.config.device(t.serial)) {
    if (ctx.registration.empty()) ctx.registration = d->registration;
    ctx.locationId = d->locationId;
  }
  ctx.receivedAtMs = now;
  ctx.downloadedAtMs = u.rec.downloadedAtMs > 0 ? u.rec.downloadedAtMs : now;
  ctx.announcedKind = u.rec.announcedKind;
  Analysis a;
  try {
    a = c_.analyzer ? c_.analyzer(bytes, ctx) : notParsed(bytes, ctx);
  } catch (const std::exception& e) {
    a = notParsed(bytes, ctx);
    a.error = std::string("analysis failed: ") + e.what();
  }
  store::FileRecord f;
  f.serial = t.serial;
  f.uploadId = t.upload;
  f.receivedAtMs = now;
  f.downloadedAtMs = ctx.downloadedAtMs;
  f.registration = ctx.registration;
  f.locationId = ctx.locationId;
  f.announcedKind = u.rec.announcedKind;
  f.kind = a.kind;
  f.generation = a.generation;
  f.size = u.rec.size;
  f.sha256 = sha;
  f.summaryJson = a.summaryJson;
  f.warnings = a.warnings;
  f.error = a.error;
  f.name = a.name;
  {
    // The bytes in place and the row that names them, with no retention run in between.
    std::lock_guard l(c_.contentMu);
    c_.disk.put(sha, bytes);
    f.id = c_.index.recordFile(f);  // ends the upload's row too
  }
  u.file.close();
  ::unlink(c_.disk.spoolPath(t.serial, t.upload).c_str());
  uploads_.erase(it);
  ++c_.stats.stored;
  spdlog::info("files: device {} upload {}: stored as file {} ({} bytes, {}, {})", t.serial,
               t.upload, f.id, f.size, f.kind, f.name);
  std::string why;
  if (!process(f, bytes, why)) return notProcessed(t, f.id, why);
  result(t, Status::Ok, "stored as file " + std::to_string(f.id), static_cast<std::uint64_t>(f.id));
}

bool UploadWorker::stillStored(const Upload& u) {
  for (const auto& r : c_.index.uploads())
    if (r.serial == u.rec.serial && r.uploadId == u.rec.uploadId)
      return r.size == u.rec.size && r.sha256 == u.rec.sha256 &&
             r.announcedKind == u.rec.announcedKind && r.begunAtMs == u.rec.begunAtMs;
  return false;
}

void UploadWorker::sweep(std::int64_t cutoffMs) {
  for (auto it = uploads_.begin(); it != uploads_.end();) {
    auto next = std::next(it);
    if (it->second.touchedMs < cutoffMs) {
      // Written to since by another node sharing the file store, or no longer the upload the
      // store names: not this node's to discard.
      const std::int64_t modified =
          modifiedAtMs(c_.disk.spoolPath(it->first.first, it->first.second));
      if (modified >= cutoffMs) {
        it->second.touchedMs = modified;
        it = next;
        continue;
      }
      if (!stillStored(it->second)) {
        it->second.file.close();
        uploads_.erase(it);
        it = next;
        continue;
      }
      spdlog::info("files: device {} upload {}: abandoned ({} of {} bytes), discarded",
                   it->first.first, it->first.second, it->second.synced, it->second.rec.size);
      ++c_.stats.abandoned;
      discard(it);
    }
    it = next;
  }
}

}  // namespace dcgw::files
