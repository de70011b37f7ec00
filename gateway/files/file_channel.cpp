// FileChannel: the upload frames on the event thread, the workers' answers, the maintenance.
#include "gateway/files/file_channel.hpp"

#include <spdlog/spdlog.h>

#include <functional>

#include "gateway/uplink/outbox.hpp"

namespace dcgw::files {

namespace up = codecs::uplink;
using Status = up::FileStatus;

namespace {
std::string spoolOf(const FilesOptions& o) {
  return o.spoolDir.empty() ? o.dir + "/spool" : o.spoolDir;
}
}  // namespace

FileChannel::FileChannel(store::Backend& store, common::Clock& clock, FilesOptions options,
                         Analyzer analyzer, StoredHook onStored)
    : store_(store),
      clock_(clock),
      o_(std::move(options)),
      disk_(o_.dir, spoolOf(o_)),
      ctx_{disk_,
           store,
           store,
           clock,
           o_,
           stats_,
           std::move(analyzer),
           std::move(onStored),
           [this](Reply r) { deliver(std::move(r)); },
           {}} {
  if (o_.workers == 0) o_.workers = 1;
  for (std::size_t i = 0; i < o_.workers; ++i)
    workers_.push_back(std::make_unique<UploadWorker>(ctx_));
}

FileChannel::~FileChannel() {
  stop();
}

void FileChannel::start(std::shared_ptr<uplink::Outbox> trackers) {
  trackers_ = std::move(trackers);
  for (const auto& u : store_.uploads()) workerFor(u.serial, u.uploadId).adopt(u);
  for (auto& w : workers_) w->start();
  processUnprocessed();
  maintenance_ = std::thread([this] { maintenanceLoop(); });
  started_ = true;
}

void FileChannel::stop() {
  stopping_ = true;
  {
    std::lock_guard l(maintMu_);
    maintStop_ = true;
  }
  maintCv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  for (auto& w : workers_) w->stop();
}

UploadWorker& FileChannel::workerFor(const std::string& serial, std::uint32_t upload) {
  const std::size_t h = std::hash<std::string>{}(serial)*31 + upload;
  return *workers_[h % workers_.size()];
}

void FileChannel::processUnprocessed() {
  try {
    for (const auto& f : store_.unprocessedFiles(1000)) {
      Task t;
      t.type = Task::Type::Process;
      t.serial = f.serial;
      t.upload = f.uploadId;
      t.fileId = f.id;
      workerFor(f.serial, f.uploadId).push(std::move(t));
    }
  } catch (const std::exception& e) {
    spdlog::error("files: the files not processed yet could not be read: {}", e.what());
  }
}

int FileChannel::maintain() {
  const std::int64_t now = clock_.nowMs();
  processUnprocessed();
  for (auto& w : workers_) {
    Task t;
    t.type = Task::Type::Sweep;
    t.cutoffMs = now - o_.abandonedUploadMs;
    w->push(std::move(t));
  }
  int rows = 0;
  for (;;) {
    std::lock_guard l(ctx_.contentMu);
    const store::FilePrune p = store_.pruneFiles(now - o_.retentionMs, 500);
    rows += p.rows;
    for (const auto& sha : p.unreferenced) disk_.remove(sha);
    if (p.rows < 500) break;
  }
  stats_.pruned += static_cast<std::uint64_t>(rows);
  if (rows > 0) spdlog::info("files: {} files past their retention removed from the index", rows);
  return rows;
}

void FileChannel::maintenanceLoop() {
  std::unique_lock l(maintMu_);
  while (!maintStop_) {
    clock_.waitFor(maintCv_, l, o_.maintenanceMs);
    if (maintStop_) break;
    l.unlock();
    try {
      maintain();
    } catch (const std::exception& e) {
      spdlog::error("files: maintenance: {}", e.what());
    }
    l.lock();
  }
}

// ---------------------------------------------------------------- the event thread

void FileChannel::onFrame(uplink::Session& s, std::uint8_t kind, codecs::ByteView body) {
  switch (static_cast<up::FileFrameKind>(kind)) {
    case up::FileFrameKind::FileBegin:
      return onBegin(s, body);
    case up::FileFrameKind::FileChunk:
      return onChunk(s, body);
    case up::FileFrameKind::FileEnd:
      return onEnd(s, body);
    case up::FileFrameKind::FileAck:
    case up::FileFrameKind::FileResult:
      return s.fail(up::ErrorCode::UnexpectedFrame, std::string(up::fileFrameKindName(kind)) +
                                                        " is sent by the gateway, not a device");
    default:  // 0x45-0x4F: reserved for later file frames (schema/uplink.md section 3)
      up::appendError(s.out(), up::ErrorCode::NotSupported,
                      "kind " + std::to_string(kind) +
                          " is reserved for file upload, not implemented by this gateway "
                          "(uplink version 1)");
      s.wantWrite();
      return;
  }
}

void FileChannel::answer(uplink::Session& s, std::uint32_t upload, Status status,
                         const std::string& text) {
  up::appendFileResult(s.out(), upload, status, 0, text);
  s.wantWrite();
}

void FileChannel::onBegin(uplink::Session& s, codecs::ByteView body) {
  auto b = up::parseFileBegin(body);
  if (!b) return s.fail(up::ErrorCode::MalformedFrame, b.error().message());
  if (stopping_) return answer(s, b->upload, Status::ShuttingDown, "the gateway is stopping");
  if (b->size > o_.maxFileBytes)
    return answer(s, b->upload, Status::TooLarge,
                  "size " + std::to_string(b->size) + " is over this gateway's limit of " +
                      std::to_string(o_.maxFileBytes) + " bytes");
  Conn& c = conns_[s.id()];
  c.serial = s.serial();
  auto it = c.uploads.find(b->upload);
  if (it == c.uploads.end()) {
    std::size_t& mine = openPerDevice_[s.serial()];
    if (mine >= o_.maxUploadsPerDevice || openTotal_ >= o_.maxUploads) {
      if (mine == 0) openPerDevice_.erase(s.serial());
      if (c.uploads.empty()) conns_.erase(s.id());
      return answer(s, b->upload, Status::TooManyUploads,
                    mine >= o_.maxUploadsPerDevice
                        ? "this device has " + std::to_string(mine) +
                              " uploads open, the most allowed: finish one first"
                        : "the gateway has its maximum of " + std::to_string(o_.maxUploads) +
                              " uploads open: retry later");
    }
    ++mine;
    ++openTotal_;
    it = c.uploads.emplace(b->upload, Open{}).first;
  }
  it->second = Open{};  // a FILE_BEGIN again asks for the offset anew
  it->second.size = b->size;
  Task t;
  t.type = Task::Type::Begin;
  t.connection = s.id();
  t.serial = s.serial();
  t.upload = b->upload;
  t.begin = *b;
  workerFor(t.serial, t.upload).push(std::move(t));
}

void FileChannel::onChunk(uplink::Session& s, codecs::ByteView body) {
  auto ch = up::parseFileChunk(body);
  if (!ch) return s.fail(up::ErrorCode::MalformedFrame, ch.error().message());
  auto c = conns_.find(s.id());
  Open* u = nullptr;
  if (c != conns_.end())
    if (auto it = c->second.uploads.find(ch->upload); it != c->second.uploads.end())
      u = &it->second;
  if (!u || u->phase == Phase::Opening)
    return answer(s, ch->upload, Status::UnknownUpload,
                  "upload " + std::to_string(ch->upload) +
                      " was not begun on this connection (or its FILE_ACK is not out yet): send "
                      "FILE_BEGIN and wait for its answer");
  if (u->phase == Phase::Paused || stopping_) return;  // until the next FILE_BEGIN
  const std::uint64_t end = std::uint64_t{ch->offset} + ch->bytes.size();
  if (ch->offset != u->expected || end > u->size) {
    const std::string text = ch->offset != u->expected
                                 ? "chunk at offset " + std::to_string(ch->offset) + ", expected " +
                                       std::to_string(u->expected) + ": send FILE_BEGIN to continue"
                                 : "chunk ends at " + std::to_string(end) + ", past the size " +
                                       std::to_string(u->size) + ": send FILE_BEGIN to continue";
    if (u->phase == Phase::Receiving) u->phase = Phase::Paused;
    return answer(s, ch->upload, Status::BadOffset, text);
  }
  if (end > std::uint64_t{u->acked} + o_.windowBytes)
    return s.fail(up::ErrorCode::WindowExceeded,
                  "upload " + std::to_string(ch->upload) + ": chunk ends at " +
                      std::to_string(end) + ", past the acknowledged offset " +
                      std::to_string(u->acked) + " + window " + std::to_string(o_.windowBytes));
  u->expected = static_cast<std::uint32_t>(end);
  Task t;
  t.type = Task::Type::Write;
  t.connection = s.id();
  t.serial = s.serial();
  t.upload = ch->upload;
  t.offset = ch->offset;
  t.bytes.assign(ch->bytes.begin(), ch->bytes.end());
  workerFor(t.serial, t.upload).push(std::move(t));
}

void FileChannel::onEnd(uplink::Session& s, codecs::ByteView body) {
  auto upload = up::parseFileEnd(body);
  if (!upload) return s.fail(up::ErrorCode::MalformedFrame, upload.error().message());
  if (stopping_) return answer(s, *upload, Status::ShuttingDown, "the gateway is stopping");
  auto c = conns_.find(s.id());
  Open* u = nullptr;
  if (c != conns_.end())
    if (auto it = c->second.uploads.find(*upload); it != c->second.uploads.end()) u = &it->second;
  if (!u || u->phase == Phase::Opening)
    return answer(s, *upload, Status::UnknownUpload,
                  "upload " + std::to_string(*upload) + " was not begun on this connection");
  if (u->phase == Phase::Ending) return;  // its FILE_RESULT is coming
  if (u->expected != u->size || u->phase == Phase::Paused)
    return answer(s, *upload, Status::Incomplete,
                  std::to_string(u->acked) + " of " + std::to_string(u->size) +
                      " bytes held: send the rest, then FILE_END");
  u->phase = Phase::Ending;
  Task t;
  t.type = Task::Type::Finish;
  t.connection = s.id();
  t.serial = s.serial();
  t.upload = *upload;
  workerFor(t.serial, t.upload).push(std::move(t));
}

void FileChannel::forget(uplink::ConnectionId id, std::uint32_t upload) {
  auto c = conns_.find(id);
  if (c == conns_.end()) return;
  if (c->second.uploads.erase(upload) == 0) return;
  auto d = openPerDevice_.find(c->second.serial);
  if (d != openPerDevice_.end() && --d->second == 0) openPerDevice_.erase(d);
  --openTotal_;
  if (c->second.uploads.empty()) conns_.erase(c);
}

void FileChannel::onClose(uplink::Session& s) {
  auto c = conns_.find(s.id());
  if (c == conns_.end()) return;
  std::vector<std::uint32_t> ids;
  for (const auto& [id, u] : c->second.uploads) ids.push_back(id);
  for (std::uint32_t id : ids) forget(s.id(), id);
}

void FileChannel::deliver(Reply r) {
  if (!trackers_) return;
  const uplink::ConnectionId conn = r.connection;
  trackers_->post(conn, [this, r = std::move(r)](uplink::Session& s) { onReply(s, r); });
}

void FileChannel::onReply(uplink::Session& s, const Reply& r) {
  auto c = conns_.find(s.id());
  Open* u = nullptr;
  if (c != conns_.end())
    if (auto it = c->second.uploads.find(r.upload); it != c->second.uploads.end()) u = &it->second;
  switch (r.type) {
    case Reply::Type::BeginAck:
      if (!u || u->phase != Phase::Opening) return;
      u->phase = Phase::Receiving;
      u->expected = u->acked = r.offset;
      break;
    case Reply::Type::WriteAck:
      // During a FILE_BEGIN's round trip its own FILE_ACK says where to go on.
      if (!u || u->phase == Phase::Opening || r.offset <= u->acked) return;
      u->acked = r.offset;
      break;
    case Reply::Type::Result:
      forget(s.id(), r.upload);
      up::appendFileResult(s.out(), r.upload, r.status, r.fileId, r.text);
      s.wantWrite();
      return;
  }
  up::appendFileAck(s.out(), {r.upload, r.offset, o_.windowBytes});
  s.wantWrite();
}

}  // namespace dcgw::files
