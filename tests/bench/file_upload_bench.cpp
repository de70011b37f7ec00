// Whether file uploads stall packet ingest (issue 13's target): 100 devices upload 1 MiB each at
// once through the real uplink listener and file channel (FULL durability, the workers' fsyncs
// and hashing), while 20 trackers send packets; prints the packets' ACK latency p50/p99/max
// during the uploads next to a baseline run of the same packets without uploads, and the upload
// throughput.
//
//   build/tests/bench/file_upload_bench [UPLOADS] [MIB] [FILES_DIR] [STAGGER_MS]   (defaults 100,
//   1, and a
//                                     directory beside the database in the temp folder)
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include <openssl/sha.h>

#include "codecs/uplink/file.hpp"
#include "gateway/common/frame_link.hpp"
#include "gateway/files/file_channel.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "gateway/uplink/auth.hpp"
#include "gateway/uplink/listener.hpp"
#include "tests/support/packets.hpp"

using namespace dcgw;
using codecs::Bytes;
namespace up = codecs::uplink;
using Clock = std::chrono::steady_clock;

namespace {

const Bytes kKey(32, 0x11);
constexpr int kTrackers = 20;
constexpr int kPacketsPerSecondEach = 50;

std::unique_ptr<common::FrameLink> login(std::uint16_t port, const std::string& serial) {
  common::LinkOptions o;
  o.port = port;
  std::string why;
  auto l = common::FrameLink::open(o, why);
  if (!l) throw std::runtime_error(why);
  Bytes b;
  up::appendHello(b, serial);
  l->send(b);
  common::LinkFrame f;
  if (l->next(10'000, f, why) != common::FrameLink::Got::Frame) throw std::runtime_error(why);
  b.clear();
  up::appendProof(b, uplink::computeProof(kKey, f.body, serial));
  l->send(b);
  if (l->next(10'000, f, why) != common::FrameLink::Got::Frame ||
      f.kind != static_cast<std::uint8_t>(up::Kind::Welcome))
    throw std::runtime_error("login " + serial + ": " + why);
  return l;
}

// One tracker: a packet every 1/rate s, waiting for its ACK (latency = send to ACK).
void tracker(std::uint16_t port, int index, const std::atomic<bool>& stop,
             std::vector<double>& latencies, std::mutex& mu) {
  auto l = login(port, "T" + std::to_string(1000000 + index));
  common::LinkFrame f;
  std::string why;
  std::uint32_t seq = 0;
  auto next = Clock::now();
  std::vector<double> mine;
  while (!stop) {
    next += std::chrono::microseconds(1'000'000 / kPacketsPerSecondEach);
    std::this_thread::sleep_until(next);
    Bytes b;
    ++seq;
    up::appendPacket(b, seq, "", dcgw::testing::positionalUpdate(seq));
    const auto t0 = Clock::now();
    l->send(b);
    for (;;) {
      if (l->next(30'000, f, why) != common::FrameLink::Got::Frame)
        throw std::runtime_error("tracker: " + why);
      if (f.kind == static_cast<std::uint8_t>(up::Kind::Ack)) break;
    }
    mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::lock_guard g(mu);
  latencies.insert(latencies.end(), mine.begin(), mine.end());
}

// `begin`: the file's FILE_BEGIN, its digest computed beforehand (outside the measured window:
// the load tool's own hashing would take the CPU of the trackers that measure).
void uploader(std::uint16_t port, int index, const Bytes& file, const up::FileBegin& begin) {
  auto l = login(port, "U" + std::to_string(1000000 + index));
  Bytes b;
  up::appendFileBegin(b, begin);
  l->send(b);
  common::LinkFrame f;
  std::string why;
  std::uint64_t sent = 0, acked = 0, window = 0;
  bool begun = false, ended = false;
  const std::size_t chunk = up::maxChunkBytes(up::kMaxFrameBytes);
  for (;;) {
    if (begun && !ended) {
      while (sent < file.size() && sent < acked + window) {
        const std::size_t n =
            std::min<std::uint64_t>({chunk, file.size() - sent, acked + window - sent});
        b.clear();
        up::appendFileChunk(b, 1, static_cast<std::uint32_t>(sent),
                            codecs::ByteView(file).subspan(sent, n));
        l->send(b);
        sent += n;
      }
      if (acked == file.size()) {
        b.clear();
        up::appendFileEnd(b, 1);
        l->send(b);
        ended = true;
      }
    }
    if (l->next(60'000, f, why) != common::FrameLink::Got::Frame)
      throw std::runtime_error("uploader: " + why);
    if (f.kind == static_cast<std::uint8_t>(up::FileFrameKind::FileAck)) {
      auto a = up::parseFileAck(f.body);
      acked = a->offset;
      window = a->window;
      if (!begun) sent = acked;
      begun = true;
    } else if (f.kind == static_cast<std::uint8_t>(up::FileFrameKind::FileResult)) {
      auto r = up::parseFileResult(f.body);
      if (!r || r->status != 0) throw std::runtime_error("upload refused: " + (r ? r->text : ""));
      return;
    }
  }
}

struct Stats {
  double p50, p99, max;
  std::size_t n;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return {0, 0, 0, 0};
  auto at = [&](double p) {
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))];
  };
  return {at(0.50), at(0.99), v.back(), v.size()};
}

}  // namespace

int main(int argc, char** argv) {
  const int uploads = argc > 1 ? std::atoi(argv[1]) : 100;
  const std::string filesDir = argc > 3 && std::string(argv[3]) != "-" ? argv[3] : "";
  const int mib = argc > 2 ? std::atoi(argv[2]) : 1;
  // STAGGER_MS: the uploads start this far apart instead of all at once.
  const int staggerMs = argc > 4 ? std::atoi(argv[4]) : 0;
  spdlog::set_level(spdlog::level::warn);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("dcgw-file-upload-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  store::SqliteStore store((dir / "dcgw.db").string());
  for (int i = 0; i < kTrackers; ++i)
    store.upsertDevice({"T" + std::to_string(1000000 + i), std::nullopt, "", kKey});
  for (int i = 0; i < uploads; ++i)
    store.upsertDevice({"U" + std::to_string(1000000 + i), std::nullopt, "", kKey});
  ingest::Ingestor ingestor(store, nullptr);
  common::SystemClock clock;
  files::FilesOptions fo;
  fo.dir = filesDir.empty() ? (dir / "files").string() : filesDir;
  fo.maxUploads = static_cast<std::size_t>(uploads) + 16;
  files::FileChannel channel(store, clock, fo);
  uplink::ListenerOptions lo;
  lo.port = 0;
  uplink::Listener listener(store, ingestor, clock, lo);
  listener.registerChannel(0x40, 0x4F, channel);
  listener.start();
  channel.start(listener.outbox());

  auto packetsDuring = [&](const std::function<void()>& work, double& seconds) {
    std::atomic<bool> stop{false};
    std::vector<double> latencies;
    std::mutex mu;
    std::vector<std::thread> ts;
    for (int i = 0; i < kTrackers; ++i)
      ts.emplace_back([&, i] { tracker(listener.port(), i, stop, latencies, mu); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // logged in, flowing
    const auto t0 = Clock::now();
    work();
    seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    stop = true;
    for (auto& t : ts) t.join();
    return stats(latencies);
  };

  double baselineSeconds = 0, uploadSeconds = 0;
  const Stats base =
      packetsDuring([] { std::this_thread::sleep_for(std::chrono::seconds(5)); }, baselineSeconds);
  // The files and their digests are made before the measured window, so that what competes
  // with the trackers is the gateway's work, not the load tool's.
  std::vector<Bytes> files(static_cast<std::size_t>(uploads));
  std::vector<up::FileBegin> begins(static_cast<std::size_t>(uploads));
  for (int i = 0; i < uploads; ++i) {
    Bytes& mine = files[static_cast<std::size_t>(i)];
    mine.resize(static_cast<std::size_t>(mib) * 1024 * 1024);
    for (std::size_t k = 0; k < mine.size(); ++k)
      mine[k] = static_cast<std::uint8_t>(k * 13 + static_cast<std::size_t>(i) + (k >> 10));
    up::FileBegin& begin = begins[static_cast<std::size_t>(i)];
    begin = {1, 0x05, static_cast<std::uint32_t>(mine.size()), {}, 0, ""};
    SHA256(mine.data(), mine.size(), begin.sha256.data());
  }
  const Stats during = packetsDuring(
      [&] {
        std::vector<std::thread> us;
        for (int i = 0; i < uploads; ++i)
          us.emplace_back([&, i] {
            std::this_thread::sleep_for(std::chrono::milliseconds(staggerMs * i));
            uploader(listener.port(), i, files[static_cast<std::size_t>(i)],
                     begins[static_cast<std::size_t>(i)]);
          });
        for (auto& t : us) t.join();
      },
      uploadSeconds);
  channel.stop();
  listener.stop();
  ingestor.stop();

  std::printf("packets: %d trackers x %d/s, each waiting for its ACK (SQLite synchronous=FULL)\n",
              kTrackers, kPacketsPerSecondEach);
  std::printf("  baseline (no uploads, %.1f s): %zu ACKs, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
              baselineSeconds, base.n, base.p50, base.p99, base.max);
  std::printf(
      "  during %d uploads of %d MiB (%.1f s): %zu ACKs, p50 %.2f ms, p99 %.2f ms, "
      "max %.2f ms\n",
      uploads, mib, uploadSeconds, during.n, during.p50, during.p99, during.max);
  std::printf("uploads: %d x %d MiB stored (FILE_RESULT OK) in %.1f s = %.1f MiB/s, %llu files\n",
              uploads, mib, uploadSeconds, uploads * mib / uploadSeconds,
              static_cast<unsigned long long>(channel.stats().stored.load()));
  std::filesystem::remove_all(dir);
  return 0;
}
