// Load tool (issue #6): the admin API's queue overview (GET /api/v1/queues) over real HTTP on
// loopback, with a store holding 1,000,000 delivered and 100,000 pending delivery rows (four
// destinations), and the query plans SQLite chooses for it.
//   ninja -C build audit_bench && build/tests/bench/audit_bench [--delivered N] [--pending N]
// Target: the overview answered in under 50 ms.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/admin/api_server.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  long long delivered = 1'000'000, pending = 100'000;
  int requests = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--delivered") delivered = std::stoll(argv[i + 1]);
    if (a == "--pending") pending = std::stoll(argv[i + 1]);
    if (a == "--requests") requests = std::stoi(argv[i + 1]);
  }
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("dcgw-audit-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string db = (dir / "dcgw.db").string();
  dcgw::common::SystemClock clock;
  const std::int64_t now = clock.nowMs();
  {
    dcgw::store::SqliteStore store(db, dcgw::store::Durability::Normal);
    std::vector<std::int64_t> dests;
    for (int d = 0; d < 4; ++d) {
      dcgw::store::DestinationConfig c;
      c.settings.name = "destination " + std::to_string(d);
      c.settings.method = "binary";
      c.settings.host = "127.0.0.1";
      c.settings.port = 9;
      c.paused = true;  // the rows stay as they are while the API is measured
      dests.push_back(*store.createDestination(c, now));
    }
    auto loc = store.createLocation({0, "Depot", "", dests});
    store.upsertDevice({"12345678", *loc, "AB12CDE", std::nullopt});
    const auto t0 = Clock::now();
    auto& sql = store.db();
    sql.exec("BEGIN");
    // Packets in received order; each packet is queued for one destination (round robin), the
    // oldest `delivered` delivered and the rest pending, as a long-running gateway's store is.
    sql.prepare(
           "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1) "
           "INSERT INTO packets (received_at, serial, registration, type, filter_key, data, "
           "first_delivery, delivery_span) "
           "SELECT ?2 - (?1 - i) * 10, '12345678', 'AB12CDE', 71, 'Tracking suppression', "
           "X'4702000000000001', i + 1, 1 FROM n")
        .bind(1, delivered + pending)
        .bind(2, now)
        .run();
    sql.prepare(
           "INSERT INTO deliveries (destination_id, id, packet_id, state, attempts, finished_at) "
           "SELECT ?1 + (id % 4), id, id, CASE WHEN id <= ?2 THEN 1 ELSE 0 END, "
           "CASE WHEN id <= ?2 THEN 1 ELSE 0 END, "
           "CASE WHEN id <= ?2 THEN received_at + 5 ELSE NULL END FROM packets ORDER BY id")
        .bind(1, dests.front())
        .bind(2, delivered)
        .run();
    sql.exec(
        "UPDATE destination_state SET queued = (SELECT COUNT(*) FROM deliveries d WHERE "
        "d.destination_id = destination_state.destination_id), delivered = (SELECT COUNT(*) "
        "FROM deliveries d WHERE d.destination_id = destination_state.destination_id AND "
        "d.state = 1)");
    sql.exec("COMMIT");
    sql.exec("ANALYZE");
    std::printf("store: %lld delivered + %lld pending rows over 4 destinations, built in %.1f s\n",
                delivered, pending, ms(Clock::now() - t0) / 1000);
  }
  dcgw::store::SqliteStore store(db, dcgw::store::Durability::Normal);
  dcgw::forward::Forwarder forwarder(store, clock, {});
  dcgw::admin::AdminOptions options;
  options.port = 0;
  dcgw::admin::ApiServer api(store, forwarder, clock, options);
  api.start();
  const std::string token = store.createToken("bench", "auditor", now).second;

  std::printf("\nquery plan of the overview:\n");
  for (const auto& line : store.overviewQueryPlan()) std::printf("%s\n", line.c_str());

  Poco::Net::HTTPClientSession session("127.0.0.1", api.port());
  session.setKeepAlive(true);
  std::vector<double> times;
  std::size_t bytes = 0;
  std::string body;
  for (int i = 0; i < requests + 5; ++i) {
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/api/v1/queues",
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + token);
    const auto t = Clock::now();
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    std::stringstream ss;
    ss << in.rdbuf();
    body = ss.str();
    const double took = ms(Clock::now() - t);
    if (resp.getStatus() != 200) {
      std::printf("GET /api/v1/queues: HTTP %d %s\n", static_cast<int>(resp.getStatus()),
                  body.c_str());
      return 1;
    }
    if (i >= 5) times.push_back(took);  // the first requests warm the page cache
    bytes = body.size();
  }
  std::sort(times.begin(), times.end());
  auto pct = [&](double p) {
    return times[std::min(times.size() - 1, static_cast<std::size_t>(p * times.size()))];
  };
  std::printf(
      "\nGET /api/v1/queues (%zu bytes, %d requests): p50 %.2f ms, p99 %.2f ms, max %.2f "
      "ms -> target < 50 ms: %s\n",
      bytes, requests, pct(0.5), pct(0.99), times.back(), pct(0.99) < 50 ? "met" : "NOT met");
  std::printf("first queue: %.300s...\n", body.c_str());
  api.stop();
  fs::remove_all(dir);
  return pct(0.99) < 50 ? 0 : 1;
}
