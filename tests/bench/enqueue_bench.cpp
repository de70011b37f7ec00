// Load tool: durable enqueue (issue #4). Packets go through the Ingestor's group commit into the
// store, fanned out to 1 or 4 destinations, as fast as the store takes them; measured with
// synchronous=NORMAL (safe against a process crash) and FULL (safe against power loss).
//   ninja -C build enqueue_bench && build/tests/bench/enqueue_bench [--packets 300000]
// Target: >= 100,000 packets/s with one destination and NORMAL.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace {

double run(dcgw::store::Durability durability, int destinations, std::size_t packets) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("dcgw-enqueue-bench-" + std::to_string(::getpid()) + ".db"))
                               .string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  double rate = 0;
  {
    dcgw::store::SqliteStore store(path, durability);
    std::vector<std::int64_t> ids;
    for (int i = 0; i < destinations; ++i) {
      dcgw::store::DestinationConfig d;
      d.settings.name = "d" + std::to_string(i);
      d.settings.method = "binary";
      d.settings.host = "127.0.0.1";
      d.settings.port = 9;
      ids.push_back(*store.createDestination(d, 0));
    }
    auto loc = store.createLocation({0, "Depot", "", ids});
    store.upsertDevice({"12345678", *loc, "AB12CDE", std::nullopt});
    std::atomic<std::size_t> acked{0};
    dcgw::ingest::Ingestor ingestor(store, nullptr, 4096);
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < packets; ++i) {
      dcgw::codecs::Bytes p = {0x47,
                               0x02,
                               static_cast<std::uint8_t>(i >> 24),
                               static_cast<std::uint8_t>(i >> 16),
                               static_cast<std::uint8_t>(i >> 8),
                               static_cast<std::uint8_t>(i),
                               0x01};
      ingestor.submit({"12345678", "", std::move(p), 0}, [&](const dcgw::ingest::Outcome& s) {
        if (s.ok()) ++acked;
      });
    }
    ingestor.stop();  // returns once everything submitted is committed
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rate = acked / seconds;
    std::printf(
        "%-6s %d destination%s: %zu packets durable in %.2f s = %.0f packets/s (%llu commits)\n",
        durability == dcgw::store::Durability::Normal ? "NORMAL" : "FULL", destinations,
        destinations == 1 ? " " : "s", acked.load(), seconds, rate,
        static_cast<unsigned long long>(ingestor.commits()));
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t packets = 300000;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--packets") packets = std::stoul(argv[i + 1]);
  const double normal1 = run(dcgw::store::Durability::Normal, 1, packets);
  run(dcgw::store::Durability::Normal, 4, packets);
  run(dcgw::store::Durability::Full, 1, packets);
  run(dcgw::store::Durability::Full, 4, packets);
  std::printf("target >= 100,000 packets/s with one destination and NORMAL: %s\n",
              normal1 >= 100000 ? "MET" : "MISSED");
  return normal1 >= 100000 ? 0 : 1;
}
