// A file worker: one thread that owns a share of the uploads in progress (by device and upload
// id) and does their disk I/O, hashing, analysis and index commits, in the order the uplink's
// event thread handed it the work. Its answers go back through a Reply callback (the channel
// posts them to the Outbox). Bytes queued per upload are bounded by the flow-control window.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "codecs/uplink/file.hpp"
#include "gateway/common/clock.hpp"
#include "gateway/files/analyzer.hpp"
#include "gateway/files/file_store.hpp"
#include "gateway/files/options.hpp"
#include "gateway/store/interfaces.hpp"
#include "gateway/uplink/transport.hpp"

namespace dcgw::files {

// An answer for one upload of one connection.
struct Reply {
  uplink::ConnectionId connection{0};
  std::uint32_t upload{0};
  enum class Type { BeginAck, WriteAck, Result } type{Type::Result};
  std::uint32_t offset{0};  // the acks: bytes held durably
  codecs::uplink::FileStatus status{codecs::uplink::FileStatus::Ok};
  std::uint64_t fileId{0};
  std::string text;
};

// What the workers share.
struct WorkerContext {
  FileStore& disk;
  store::FileIndex& index;
  store::ConfigReader& config;
  common::Clock& clock;
  const FilesOptions& options;
  FilesStats& stats;
  Analyzer analyzer;
  StoredHook onStored;
  std::function<void(Reply)> reply;
  std::mutex contentMu;  // a file's bytes and its index row, against retention
};

struct Task {
  enum class Type { Begin, Write, Finish, Sweep, Process, Stop } type{Type::Stop};
  uplink::ConnectionId connection{0};
  std::string serial;
  std::uint32_t upload{0};
  codecs::uplink::FileBegin begin;  // Begin
  std::uint32_t offset{0};          // Write
  codecs::Bytes bytes;              // Write
  std::int64_t cutoffMs{0};         // Sweep: uploads untouched since are discarded
  std::int64_t fileId{0};           // Process: a stored file whose hook has not completed
  bool shuttingDown{false};         // Begin, Finish: answer SHUTTING_DOWN
};

class UploadWorker {
 public:
  explicit UploadWorker(WorkerContext& ctx);
  ~UploadWorker();
  UploadWorker(const UploadWorker&) = delete;
  UploadWorker& operator=(const UploadWorker&) = delete;

  // Before start(): an upload the index holds from before a restart.
  void adopt(const store::FileUploadRecord& rec);
  void start();
  void push(Task t);
  // Does what was pushed before, then ends the thread.
  void stop();

 private:
  using Key = std::pair<std::string, std::uint32_t>;
  struct Upload {
    store::FileUploadRecord rec;
    SpoolFile file;
    std::uint64_t length{0};  // bytes written (in order)
    std::uint64_t synced{0};  // bytes fsync'd
    uplink::ConnectionId ackTo{0};
    std::int64_t touchedMs{0};
  };

  void run();
  void handle(Task& t);
  void begin(Task& t);
  // The index rows of the uploads begun since the last call, in one transaction, then their
  // FILE_ACKs (offset 0): a burst of FILE_BEGINs is one commit, not one each.
  void commitBegins();
  // The stored hook of a file, then its processed mark; false (logged, counted) when either
  // failed: the file keeps no mark and is processed again later.
  bool process(const store::FileRecord& f, codecs::ByteView bytes, std::string& why);
  void processStored(std::int64_t fileId);
  // FILE_RESULT STORE_FAILED for a file stored whose packets `process` could not commit.
  void notProcessed(const Task& t, std::int64_t fileId, const std::string& why);
  void write(Task& t);
  void finish(Task& t);
  void sweep(std::int64_t cutoffMs);
  void flush();  // fsyncs what was written and acknowledges it
  void discard(std::map<Key, Upload>::iterator it);
  // The store's row of the upload still names the one this node holds in memory (another node
  // sharing the file store may have finished it, or begun the id again for another file).
  bool stillStored(const Upload& u);
  void result(const Task& t, codecs::uplink::FileStatus s, const std::string& text,
              std::uint64_t fileId = 0);

  WorkerContext& c_;
  std::map<Key, Upload> uploads_;
  std::vector<Key> pendingBegins_;  // new uploads whose index row is not committed yet
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  std::set<std::int64_t> processQueued_;  // file ids of the Process tasks in queue_ (mu_)
  std::thread thread_;
};

}  // namespace dcgw::files
