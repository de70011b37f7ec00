// Load tool (issue 11): the admin API under a slowloris attack. Opens --slow connections (500)
// from --addresses loopback addresses (127.0.0.2 ..., so the per-address cap does not refuse
// them), half sending nothing and half one header line a second, then a legitimate client makes
// --requests (200) requests, each on a new connection (GET /healthz, /api/v1/me, /api/v1/queues,
// /metrics in turn), and the latency of each is measured. Then it waits for the server to close
// the slow connections at its request deadline. Loopback only; stops by itself.
//   ninja -C build admin_slowloris_bench && build/tests/bench/admin_slowloris_bench
// Target: 500 slowloris connections open while a legitimate client makes 200 requests: p99
// under 100 ms, none fails.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gateway/admin/api_server.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/raw_http.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  int slow = 500, requests = 200, addresses = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--slow") slow = std::stoi(argv[i + 1]);
    if (a == "--requests") requests = std::stoi(argv[i + 1]);
    if (a == "--addresses") addresses = std::max(1, std::min(200, std::stoi(argv[i + 1])));
  }
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("dcgw-slowloris-" + std::to_string(getpid()));
  fs::create_directories(dir);
  int failed = 0;
  bool met = false;
  {
    dcgw::common::SystemClock clock;
    dcgw::store::SqliteStore store((dir / "dcgw.db").string(), dcgw::store::Durability::Normal);
    dcgw::forward::Forwarder forwarder(store, clock, {});
    dcgw::admin::AdminOptions options;  // the defaults `dcgw serve` has
    options.port = 0;
    dcgw::admin::ApiServer api(store, forwarder, clock, options);
    api.start();
    const std::string token = store.createToken("bench", "auditor", clock.nowMs()).second;
    std::printf(
        "admin API on 127.0.0.1:%u: %d threads, request timeout %lld s, %zu connections "
        "per address, %zu in all\n",
        api.port(), options.threads, static_cast<long long>(options.requestTimeout.count() / 1000),
        options.maxConnectionsPerAddress, options.maxConnections);

    std::vector<std::unique_ptr<dcgw::testing::RawHttp>> silent, dripping;
    const auto opened = Clock::now();
    int refusedToConnect = 0;
    for (int i = 0; i < slow; ++i) {
      const std::string from = "127.0.0." + std::to_string(2 + i % addresses);
      auto c = std::make_unique<dcgw::testing::RawHttp>(api.port(), from.c_str());
      if (!c->connected()) ++refusedToConnect;
      (i % 2 ? silent : dripping).push_back(std::move(c));
    }
    for (auto& c : dripping) c->send("GET /api/v1/me HTTP/1.1\r\n");
    std::atomic<bool> done{false};
    std::thread drip([&] {
      for (int line = 0; !done; ++line) {
        for (auto& c : dripping) c->send("X-Slow-" + std::to_string(line) + ": 1\r\n");
        for (int i = 0; i < 10 && !done; ++i) std::this_thread::sleep_for(100ms);
      }
    });
    std::printf(
        "%d slow connections from %d addresses (%zu silent, %zu one header line a "
        "second) in %.0f ms%s\n",
        slow, addresses, silent.size(), dripping.size(), ms(Clock::now() - opened),
        refusedToConnect ? " (some could not connect)" : "");

    const char* paths[] = {"/healthz", "/api/v1/me", "/api/v1/queues", "/metrics"};
    std::vector<double> latency;
    for (int i = 0; i < requests; ++i) {
      const auto began = Clock::now();
      dcgw::testing::RawHttp c(api.port());
      c.send(std::string("GET ") + paths[i % 4] +
             " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n\r\n");
      auto r = c.response(5s);
      latency.push_back(ms(Clock::now() - began));
      if (!r || r->status != 200) ++failed;
    }
    const auto legitimateDone = Clock::now();
    int stillOpen = 0;
    for (auto* list : {&silent, &dripping})
      for (auto& c : *list)
        if (c->connected() && !c->closedWithin(1ms)) ++stillOpen;
    std::sort(latency.begin(), latency.end());
    auto pct = [&](double p) {
      return latency[std::min(latency.size() - 1, static_cast<std::size_t>(p * latency.size()))];
    };
    std::printf(
        "%d requests in %.0f ms: %d failed; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
        requests, ms(legitimateDone - opened), failed, pct(0.50), pct(0.99), latency.back());
    std::printf("slow connections still open when the last request was answered: %d of %d\n",
                stillOpen, slow);
    met = failed == 0 && pct(0.99) < 100 && stillOpen == slow;

    // The server closes them at its request deadline (the dripping ones with a 408).
    const auto until = opened + options.requestTimeout + 5s;
    int closed = 0, got408 = 0;
    for (auto* list : {&silent, &dripping})
      for (auto& c : *list) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
        if (c->closedWithin(std::max(1ms, left))) ++closed;
        if (auto r = c->response(1ms); r && r->status == 408) ++got408;
      }
    std::printf("closed by the server %.1f s after they were opened: %d of %d (%d answered 408)\n",
                ms(Clock::now() - opened) / 1000, closed, slow, got408);
    done = true;
    drip.join();
    api.stop();
  }
  fs::remove_all(dir);
  std::printf("target (%d slowloris connections, %d requests: p99 under 100 ms, none fails): %s\n",
              slow, requests, met ? "met" : "NOT met");
  return met ? 0 : 1;
}
