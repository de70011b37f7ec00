// Load tool (issue #4): a store holding a large backlog (1,000,000 pending rows by default) is
// reopened; how long until it accepts a new packet and forwards again, and how fast it then
// forwards through binary mode to `dcgw receive` on loopback.
//   ninja -C build recovery_bench dcgw && build/tests/bench/recovery_bench [--backlog 1000000]
// Targets: accepting and forwarding within 1 s of start; >= 15,000 packets/s for one destination.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "gateway/forward/forwarder.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/ingest/routing.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

dcgw::codecs::Bytes packet(std::size_t i) {
  return {0x47,
          0x02,
          static_cast<std::uint8_t>(i >> 24),
          static_cast<std::uint8_t>(i >> 16),
          static_cast<std::uint8_t>(i >> 8),
          static_cast<std::uint8_t>(i),
          0x01};
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t backlog = 1'000'000;
  double drainSeconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--backlog") backlog = std::stoul(argv[i + 1]);
    if (a == "--seconds") drainSeconds = std::stod(argv[i + 1]);
  }
  signal(SIGPIPE, SIG_IGN);
  // dcgw receive --binary 0, its stdout counted line by line (one line per message).
  int out[2], err[2];
  if (pipe(out) != 0 || pipe(err) != 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    execl(DCGW_BINARY, DCGW_BINARY, "receive", "--binary", "0", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]), close(err[1]);
  unsigned port = 0;
  FILE* e = fdopen(err[0], "r");
  char line[256];
  while (port == 0 && std::fgets(line, sizeof line, e))
    std::sscanf(line, "dcgw receive: binary listening on 127.0.0.1:%u", &port);
  std::atomic<long> received{0};
  std::atomic<std::int64_t> firstAtUs{0};
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = read(out[0], buf, sizeof buf)) > 0)
      for (ssize_t i = 0; i < n; ++i)
        if (buf[i] == '\n' && received++ == 0)
          firstAtUs =
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
                  .count();
  });

  const std::string path = (std::filesystem::temp_directory_path() /
                            ("dcgw-recovery-bench-" + std::to_string(::getpid()) + ".db"))
                               .string();
  std::int64_t id = 0;
  {
    dcgw::store::SqliteStore store(path, dcgw::store::Durability::Normal);
    dcgw::store::DestinationConfig d;
    d.settings.name = "bench";
    d.settings.method = "binary";
    d.settings.host = "127.0.0.1";
    d.settings.port = static_cast<std::uint16_t>(port);
    id = *store.createDestination(d, 0);
    auto loc = store.createLocation({0, "Depot", "", {id}});
    store.upsertDevice({"12345678", *loc, "AB12CDE", std::nullopt});
    std::vector<dcgw::store::IngestItem> items;
    std::vector<std::int64_t> touched;
    dcgw::ingest::RoutedAppender appender(store, store);
    const auto t = Clock::now();
    for (std::size_t i = 0; i < backlog; ++i) {
      items.push_back({"12345678", "", packet(i), 0});
      if (items.size() == 20000 || i + 1 == backlog) {
        appender.append(items, touched);
        items.clear();
      }
    }
    std::printf("backlog: %zu pending rows written in %.1f s\n", backlog, since(t));
  }
  // The restart.
  const auto start = Clock::now();
  const std::int64_t startUs =
      std::chrono::duration_cast<std::chrono::microseconds>(start.time_since_epoch()).count();
  double acceptS = 0, firstS = 0, rate = 0;
  {
    dcgw::store::SqliteStore store(path, dcgw::store::Durability::Normal);
    dcgw::common::SystemClock clock;
    dcgw::common::ChangeFeed feed;
    dcgw::forward::Forwarder forwarder(store, clock, {}, dcgw::adapters::makeAdapter, &feed);
    forwarder.start();
    std::atomic<bool> accepted{false};
    dcgw::ingest::Ingestor ingestor(store, &feed);
    ingestor.submit({"12345678", "", packet(backlog), 0}, [&](const dcgw::ingest::Outcome& s) {
      if (s.ok()) accepted = true;
    });
    while (!accepted || firstAtUs == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    acceptS = since(start);
    firstS = (firstAtUs - startUs) / 1e6;
    const long before = received;
    const auto t = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(drainSeconds));
    rate = (received - before) / since(t);
    ingestor.stop();
    forwarder.stop();
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  reader.join();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  std::printf(
      "restart with %zu pending: first delivery after %.3f s, new packet accepted by %.3f s\n",
      backlog, firstS, acceptS);
  std::printf("forwarding through binary mode to dcgw receive: %.0f packets/s\n", rate);
  const bool met = firstS <= 1.0 && acceptS <= 1.0 && rate >= 15000;
  std::printf("targets (within 1 s; >= 15,000/s): %s\n", met ? "MET" : "MISSED");
  return met ? 0 : 1;
}
