// Load tool for the queues (issue #4): packets ingested at a fixed rate through the group
// committer, forwarded by the engine over binary mode to a minimal receiver on loopback.
// Reports commit latency (submit -> durable) and end-to-end latency (committed -> received by
// the destination): p50 / p99 / max. Target: p99 <= 10 ms at 5,000 packets/s.
//   ninja -C build queue_bench && build/tests/bench/queue_bench [--rate 5000] [--seconds 10]
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/socket_wait.hpp"
#include "codecs/forwarding/binary_frame.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using dcgw::codecs::Bytes;

std::int64_t nowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}

void report(const char* what, std::vector<std::int64_t> us) {
  if (us.empty()) {
    std::printf("%-28s no samples\n", what);
    return;
  }
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[static_cast<std::size_t>(q * (us.size() - 1))] / 1000.0; };
  std::printf("%-28s n=%zu p50=%.2f ms p99=%.2f ms max=%.2f ms\n", what, us.size(), at(0.5),
              at(0.99), us.back() / 1000.0);
}

}  // namespace

int main(int argc, char** argv) {
  int rate = 5000;
  double seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--rate") rate = std::stoi(argv[i + 1]);
    if (a == "--seconds") seconds = std::stod(argv[i + 1]);
  }
  const std::size_t total = static_cast<std::size_t>(rate * seconds);
  std::vector<std::atomic<std::int64_t>> committedAt(total), receivedAt(total), submittedAt(total);

  // A minimal binary-mode receiver: records when each packet (numbered in its payload) arrives.
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  std::atomic<bool> stop{false};
  std::thread receiver([&] {
    Poco::Net::StreamSocket c = listener.acceptConnection();
    c.setNoDelay(true);
    c.setReceiveTimeout(Poco::Timespan(0, 200000));
    Bytes buf;
    dcgw::adapters::AdaptiveSpin spin;
    const Bytes ack = dcgw::codecs::encodeBinaryPositiveReply();
    while (!stop) {
      std::uint8_t chunk[4096];
      int n = 0;
      try {
        n = spin.receive(c, chunk, sizeof chunk);
      } catch (const Poco::TimeoutException&) {
        continue;
      }
      if (n <= 0) break;
      buf.insert(buf.end(), chunk, chunk + n);
      for (;;) {
        auto f = dcgw::codecs::decodeBinaryDataFrame(buf);
        if (!f.ok() || !f->complete) break;
        const Bytes& p = f->frame.payload;
        std::uint32_t seq = static_cast<std::uint32_t>(p[2]) << 24 | p[3] << 16 | p[4] << 8 | p[5];
        if (seq < total) receivedAt[seq] = nowUs();
        buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(f->consumed));
        c.sendBytes(ack.data(), static_cast<int>(ack.size()));
      }
    }
  });

  const std::string path = (std::filesystem::temp_directory_path() /
                            ("dcgw-queue-bench-" + std::to_string(::getpid()) + ".db"))
                               .string();
  {
    dcgw::store::SqliteStore store(path);
    dcgw::common::SystemClock clock;
    dcgw::store::DestinationConfig d;
    d.settings.name = "bench";
    d.settings.method = "binary";
    d.settings.host = "127.0.0.1";
    d.settings.port = listener.address().port();
    auto id = store.createDestination(d, clock.nowMs());
    auto loc = store.createLocation({0, "Depot", "", {*id}});
    store.upsertDevice({"12345678", *loc, "AB12CDE", std::nullopt});
    dcgw::common::ChangeFeed feed;
    dcgw::forward::Forwarder forwarder(store, clock, {}, dcgw::adapters::makeAdapter, &feed);
    forwarder.start();
    dcgw::ingest::Ingestor ingestor(store, &feed);
    const auto start = Clock::now();
    for (std::size_t i = 0; i < total; ++i) {
      std::this_thread::sleep_until(start + std::chrono::microseconds(i * 1'000'000 / rate));
      Bytes packet = {0x47,
                      0x02,
                      static_cast<std::uint8_t>(i >> 24),
                      static_cast<std::uint8_t>(i >> 16),
                      static_cast<std::uint8_t>(i >> 8),
                      static_cast<std::uint8_t>(i),
                      0x01};
      submittedAt[i] = nowUs();
      ingestor.submit({"12345678", "", packet, clock.nowMs()},
                      [&, i](const dcgw::ingest::Outcome& s) {
                        if (s.ok()) committedAt[i] = nowUs();
                      });
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    for (int i = 0; i < 500 && store.counters(*id).delivered < static_cast<std::int64_t>(total);
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::printf("offered %zu packets in %.2f s (%.0f/s), delivered %lld, commits %llu\n", total,
                elapsed, total / elapsed, static_cast<long long>(store.counters(*id).delivered),
                static_cast<unsigned long long>(ingestor.commits()));
    ingestor.stop();
    forwarder.stop();
  }
  stop = true;
  receiver.join();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  std::vector<std::int64_t> commit, endToEnd;
  std::size_t missing = 0;
  for (std::size_t i = 0; i < total; ++i) {
    if (committedAt[i] == 0 || receivedAt[i] == 0) {
      ++missing;
      continue;
    }
    commit.push_back(committedAt[i] - submittedAt[i]);
    endToEnd.push_back(std::max<std::int64_t>(0, receivedAt[i] - committedAt[i]));
  }
  report("commit (submit -> durable)", commit);
  report("committed -> delivered", endToEnd);
  if (missing) std::printf("%zu packets not delivered\n", missing);
  std::vector<std::int64_t> sorted = endToEnd;
  std::sort(sorted.begin(), sorted.end());
  const bool met = missing == 0 && !sorted.empty() &&
                   sorted[static_cast<std::size_t>(0.99 * (sorted.size() - 1))] <= 10'000;
  std::printf("target p99 <= 10 ms at %d/s: %s\n", rate, met ? "MET" : "MISSED");
  return met ? 0 : 1;
}
