// The uplink channel of the file upload (schema/uplink.md section 8.6, kinds 0x40-0x4F): the
// rules that need no disk (layouts, offsets, the flow-control window, the limits of open
// uploads) on the uplink's event thread; the disk, the hashing, the analysis and the index on
// the file workers (upload_worker.hpp), whose answers come back through the Outbox. Also runs
// the maintenance: abandoned uploads and files past their retention are removed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "gateway/files/upload_worker.hpp"
#include "gateway/uplink/channel.hpp"

namespace dcgw::uplink {
class Outbox;
}

namespace dcgw::files {

class FileChannel : public uplink::Channel {
 public:
  // `store` is the index and the devices' registrations. Opens the file store's directories
  // (throws std::system_error naming the one that failed). `analyzer` empty: notParsed.
  FileChannel(store::Backend& store, common::Clock& clock, FilesOptions options,
              Analyzer analyzer = {}, StoredHook onStored = {});
  ~FileChannel() override;
  FileChannel(const FileChannel&) = delete;
  FileChannel& operator=(const FileChannel&) = delete;

  // `trackers`: the uplink listener's outbox. Takes over the uploads in progress from the
  // index (a restart), starts the workers, hands them the stored files not processed yet
  // (a crash between a file's row and its packets) and starts the maintenance.
  void start(std::shared_ptr<uplink::Outbox> trackers);
  // Finishes the writes queued (their bytes are kept for a resume); a FILE_BEGIN or FILE_END
  // from here on is answered SHUTTING_DOWN.
  void stop();
  // One maintenance pass now: the files not processed yet (their packets failed) again,
  // abandoned uploads, then retention. Returns the index rows pruned.
  int maintain();

  const FileStore& disk() const { return disk_; }
  const FilesOptions& options() const { return o_; }
  const FilesStats& stats() const { return stats_; }

  // ---- uplink::Channel, on the uplink's event thread ----
  void onFrame(uplink::Session& s, std::uint8_t kind, codecs::ByteView body) override;
  void onClose(uplink::Session& s) override;
  std::uint8_t capability() const override { return 0x02; }  // file upload

 private:
  void processUnprocessed();  // a Process task per file not processed yet
  // One upload open on one connection, as the event thread sees it.
  struct Open {
    enum class Phase { Opening, Receiving, Paused, Ending } phase{Phase::Opening};
    std::uint32_t size{0};
    std::uint32_t expected{0};  // the offset the next chunk must have
    std::uint32_t acked{0};     // the last FILE_ACK's offset
  };
  using Phase = Open::Phase;
  struct Conn {
    std::string serial;
    std::map<std::uint32_t, Open> uploads;
  };

  void onBegin(uplink::Session& s, codecs::ByteView body);
  void onChunk(uplink::Session& s, codecs::ByteView body);
  void onEnd(uplink::Session& s, codecs::ByteView body);
  void answer(uplink::Session& s, std::uint32_t upload, codecs::uplink::FileStatus status,
              const std::string& text);
  void forget(uplink::ConnectionId id, std::uint32_t upload);  // closes the upload's place
  void deliver(Reply r);                                       // any thread
  void onReply(uplink::Session& s, const Reply& r);            // event thread
  UploadWorker& workerFor(const std::string& serial, std::uint32_t upload);
  void maintenanceLoop();

  store::Backend& store_;
  common::Clock& clock_;
  FilesOptions o_;
  FileStore disk_;
  FilesStats stats_;
  WorkerContext ctx_;
  std::vector<std::unique_ptr<UploadWorker>> workers_;
  std::shared_ptr<uplink::Outbox> trackers_;
  std::atomic<bool> stopping_{false};
  bool started_{false};

  // Event thread only.
  std::unordered_map<uplink::ConnectionId, Conn> conns_;
  std::unordered_map<std::string, std::size_t> openPerDevice_;
  std::size_t openTotal_{0};

  std::mutex maintMu_;
  std::condition_variable maintCv_;
  bool maintStop_{false};
  std::thread maintenance_;
};

}  // namespace dcgw::files
