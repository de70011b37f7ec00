// Several dcgw serve nodes on one PostgreSQL (issue 14), measured on this machine with Debian's
// PostgreSQL started here (fsync on): durable ingest with 1, 2 and 3 nodes, in-order forwarding
// of one destination in binary mode, failover time over a number of SIGKILLs, and the admin's
// queue overview over a large history. Prints each figure beside the issue's target.
//
//   ninja -C build multinode_bench dcgw && build/tests/bench/multinode_bench
//   options: --kills N (10) --ingest-seconds S (10) --forward-rows N (50000)
//            --overview-delivered N (1000000) --overview-pending N (100000)
//            --only failover|overview|forward|ingest|ingest-queued|sqlite
// The sqlite part measures the same ingest on one node with SQLite (the embedded default), so
// both stores' figures come from one sitting (SQLite's forwarding and queue overview:
// forward_bench and audit_bench).
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "codecs/bytes.hpp"
#include "gateway/store/postgres/pg.hpp"
#include "gateway/store/postgres/postgres_store.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/process.hpp"

namespace {

using namespace std::chrono_literals;
using dcgw::testing::Process;
namespace fs = std::filesystem;

const std::string kKey = "5c0e4d3b2a19f8e7d6c5b4a392817f6e5d4c3b2a190807f6e5d4c3b2a1908070";

double nowMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string match(const std::string& text, const std::string& pattern) {
  std::smatch m;
  const std::regex re(pattern);
  return std::regex_search(text, m, re) ? m[1].str() : std::string();
}

struct Bench {
  dcgw::testing::Server server;
  fs::path dir;
  int databases{0};
  int starts{0};

  Bench() {
    char tmpl[] = "/tmp/dcgw-multinode-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::ofstream(dir / "dcgw.json") << R"({"files": {"enabled": false}})";
  }
  ~Bench() { fs::remove_all(dir); }

  std::string freshDatabase() {
    const std::string name = "bench_" + std::to_string(++databases);
    server.sql("CREATE DATABASE " + name);
    return server.url(name);
  }

  struct Node {
    std::unique_ptr<Process> process;
    std::string name, uplinkPort;
    std::int64_t id{0};
  };
  // `cluster`: a PostgreSQL store's node, which joins the others (SQLite: one node, no join).
  Node startNode(const std::string& url, const std::string& name, bool cluster = true) {
    Node n;
    n.name = name;
    const std::string logs = name + "-" + std::to_string(++starts);  // a restart's own files
    n.process = std::make_unique<Process>(
        std::vector<std::string>{DCGW_BINARY, "serve", cluster ? "--store" : "--db", url,
                                 "--config", (dir / "dcgw.json").string(), "--uplink-port", "0",
                                 "--admin-port", "0", "--stats-seconds", "0", "--node-name", name},
        dir / (logs + ".out"), dir / (logs + ".err"));
    n.uplinkPort = n.process->awaitStderr(R"(uplink listening on [0-9.]+:(\d+))");
    if (!cluster) return n;
    const std::string id = n.process->awaitStderr(R"(joined the cluster as node (\d+))");
    n.id = id.empty() ? 0 : std::stoll(id);
    return n;
  }

  // Devices first..first+n-1 with the key, in a location forwarding to `destinations`.
  template <class Store>
  static void provision(Store& db, int first, int n,
                        const std::vector<std::int64_t>& destinations) {
    auto loc = db.createLocation({0, "Depot", "", destinations});
    dcgw::codecs::Bytes key;
    dcgw::codecs::fromHex(kKey, key);
    for (int i = 0; i < n; ++i) db.upsertDevice({std::to_string(first + i), *loc, "BENCH", key});
  }
};

// --- durable ingest with 1, 2, 3 nodes: one simulator per node, the acknowledged rates added.
// With `destination`, every packet is also queued for one destination, paused (its rows are
// written, nothing forwards them): the nodes' batches then take that destination's id lock.
template <class Store>
void provisionIngest(Store& db, bool destination) {
  std::vector<std::int64_t> destinations;
  if (destination) {
    dcgw::store::DestinationConfig d;
    d.settings.name = "paused";
    d.settings.method = "binary";
    d.settings.host = "127.0.0.1";
    d.settings.port = 9;
    d.paused = true;
    destinations.push_back(*db.createDestination(d, 0));
  }
  Bench::provision(db, 40000001, 300, destinations);
}

// `sqlite`: one node on a SQLite store instead (its synchronous=full default, as PostgreSQL's
// fsync on), for the figures beside PostgreSQL's.
void ingest(Bench& b, int seconds, bool destination, bool sqlite = false) {
  std::cout << "== durable ingest" << (sqlite ? ", SQLite" : ", PostgreSQL")
            << " (synchronous full, one packet per device message, "
            << (destination ? "one paused destination" : "no destination") << ")\n";
  for (int nodes = 1; nodes <= (sqlite ? 1 : 3); ++nodes) {
    const std::string url =
        sqlite ? (b.dir / ("sqlite-" + std::to_string(++b.databases) + ".db")).string()
               : b.freshDatabase();
    if (sqlite) {
      dcgw::store::SqliteStore db(url);
      provisionIngest(db, destination);
    } else {
      dcgw::store::PostgresStore db(url);
      provisionIngest(db, destination);
    }
    std::vector<Bench::Node> ns;
    for (int i = 0; i < nodes; ++i)
      ns.push_back(b.startNode(url, "ingest" + std::to_string(i), !sqlite));
    std::vector<std::unique_ptr<Process>> sims;
    for (int i = 0; i < nodes; ++i)
      sims.push_back(std::make_unique<Process>(
          std::vector<std::string>{DCGW_BINARY, "simulate", "--port", ns[i].uplinkPort, "--devices",
                                   std::to_string(300 / nodes), "--first-serial",
                                   std::to_string(40000001 + i * (300 / nodes)), "--key", kKey,
                                   "--rate", "200000", "--duration", std::to_string(seconds),
                                   "--window", "1024"},
          b.dir / ("sim" + std::to_string(i) + ".out"),
          b.dir / ("sim" + std::to_string(i) + ".err")));
    double total = 0;
    long long acknowledged = 0;
    for (auto& s : sims) {
      s->wait();
      std::string all;
      for (const auto& l : s->stdoutLines()) all += l + "\n";
      const std::string rate = match(all, R"(ack rate: ([0-9.]+) packets/s)");
      total += rate.empty() ? 0 : std::stod(rate);
      const std::string acked = match(all, R"(acknowledged: (\d+))");
      acknowledged += acked.empty() ? 0 : std::stoll(acked);
    }
    // Every acknowledged packet is in the store (more may be: committed, then not acknowledged
    // before the simulator stopped), and, with a destination, has its delivery row. Counted
    // once the nodes stopped, in one statement (one snapshot).
    for (auto& n : ns) n.process->stop();
    const char* countSql =
        "SELECT (SELECT COUNT(*) FROM packets), (SELECT COUNT(*) FROM deliveries)";
    long long stored = 0, queued = 0;
    if (sqlite) {
      dcgw::store::SqliteStore check(url);
      auto counts = check.db().prepare(countSql);
      counts.step();
      stored = counts.integer(0);
      queued = destination ? counts.integer(1) : stored;
    } else {
      dcgw::store::PostgresStore check(url);
      auto counts = check.db().prepare(countSql);
      counts.step();
      stored = counts.integer(0);
      queued = destination ? counts.integer(1) : stored;
    }
    std::printf("  %d node(s): %.0f packets/s acknowledged (%lld acknowledged, %lld stored%s)%s\n",
                nodes, total, acknowledged, stored,
                queued == stored ? "" : ", DELIVERY ROWS MISSING",
                nodes == 3 && !sqlite && !destination
                    ? (total >= 50000 ? "  (target 50,000: met)"
                                      : "  (target 50,000: NOT met on this machine)")
                    : "");
    if (stored < acknowledged)
      std::printf("  LOST: %lld acknowledged packets are not stored\n", acknowledged - stored);
  }
}

// --- in-order forwarding of one destination in binary mode, from a prefilled queue.
void forward(Bench& b, int rows) {
  std::cout << "== in-order forwarding, one binary destination, " << rows << " packets queued\n";
  Process receiver({DCGW_BINARY, "receive", "--binary", "0"}, b.dir / "recv.out",
                   b.dir / "recv.err");
  const std::string port = receiver.awaitStderr(R"(binary listening on [0-9.]+:(\d+))");
  const std::string url = b.freshDatabase();
  std::int64_t dest = 0;
  {
    dcgw::store::PostgresStore db(url);
    dcgw::store::DestinationConfig d;
    d.settings.name = "binary";
    d.settings.method = "binary";
    d.settings.host = "127.0.0.1";
    d.settings.port = static_cast<std::uint16_t>(std::stoi(port));
    dest = *db.createDestination(d, 0);
    Bench::provision(db, 41000001, 1, {dest});
    db.db().exec(
        "INSERT INTO packets (id, received_at, serial, registration, type, data) SELECT g, g, "
        "'41000001', 'BENCH', 71, '\\x47026a00000101'::bytea FROM generate_series(1, " +
        std::to_string(rows) + ") g");
    db.db().exec("INSERT INTO deliveries (destination_id, packet_id) SELECT " +
                 std::to_string(dest) + ", g FROM generate_series(1, " + std::to_string(rows) +
                 ") g");
    db.db().exec("SELECT setval(pg_get_serial_sequence('packets', 'id'), " + std::to_string(rows) +
                 ")");
    db.db().exec("ANALYZE");
  }
  dcgw::store::PostgresStore db(url);
  const double t0 = nowMs();
  auto node = b.startNode(url, "forward");
  // The destination's delivered counter: one row, whatever the queue's index holds.
  const std::string done =
      "SELECT delivered FROM destination_state WHERE destination_id = " + std::to_string(dest);
  auto delivered = [&] {
    auto s = db.db().prepare(done);
    return s.step() ? s.integer(0) : 0;
  };
  while (delivered() < rows && nowMs() - t0 < 600'000) std::this_thread::sleep_for(20ms);
  const double seconds = (nowMs() - t0) / 1000;
  // The forwarding itself: from the first delivery's finish time to the last one's (the wall
  // time also holds the node's start and its taking the destination).
  auto span = db.db().prepare(
      "SELECT MAX(finished_at) - MIN(finished_at) FROM deliveries WHERE destination_id = " +
      std::to_string(dest));
  span.step();
  const double forwardingSeconds = static_cast<double>(span.integer(0)) / 1000;
  const double rate = rows / std::max(forwardingSeconds, 0.001);
  std::printf(
      "  %d delivered in order in %.2f s from the node's start, %.2f s from the first delivery "
      "to the last: %.0f packets/s (target 15,000: %s)\n",
      rows, seconds, forwardingSeconds, rate, rate >= 15000 ? "met" : "NOT met on this machine");
  node.process->stop();
  receiver.stop();
}

// --- failover: SIGKILL the node that forwards the most destinations, time until every one of
// them is owned by a live node, restart it, repeat.
void failover(Bench& b, int kills) {
  std::cout << "== failover, " << kills << " kills of one of 3 nodes (12 destinations)\n";
  const std::string url = b.freshDatabase();
  dcgw::store::PostgresStore db(url);
  std::vector<std::int64_t> dests;
  for (int i = 0; i < 12; ++i) {
    dcgw::store::DestinationConfig d;
    d.settings.name = "d" + std::to_string(i);
    d.settings.host = "http://127.0.0.1:9/";
    dests.push_back(*db.createDestination(d, 0));
  }
  std::vector<Bench::Node> ns;
  for (int i = 0; i < 3; ++i) ns.push_back(b.startNode(url, "fo" + std::to_string(i)));
  auto owners = [&] {
    std::map<std::int64_t, std::int64_t> o;
    for (const auto& r : db.destinationOwners()) o[r.destinationId] = r.nodeId;
    return o;
  };
  auto settled = [&] {
    std::set<std::int64_t> live;
    for (const auto& n : ns) live.insert(n.id);
    auto o = owners();
    for (auto d : dests)
      if (!o.count(d) || !live.count(o[d])) return false;
    return true;
  };
  std::vector<double> times;
  for (int k = 0; k < kills; ++k) {
    for (int i = 0; i < 200 && !settled(); ++i) std::this_thread::sleep_for(50ms);
    std::this_thread::sleep_for(500ms);
    auto o = owners();
    std::map<std::int64_t, int> count;
    for (auto& [d, n] : o) ++count[n];
    auto victim = std::max_element(ns.begin(), ns.end(), [&](const auto& a, const auto& c) {
      return count[a.id] < count[c.id];
    });
    const std::int64_t vid = victim->id;
    const double t0 = nowMs();
    victim->process->stop(SIGKILL);
    for (;;) {
      auto now = owners();
      bool moved = true;
      for (auto& [d, n] : o)
        if (n == vid && (!now.count(d) || now[d] == vid)) moved = false;
      if (moved || nowMs() - t0 > 30'000) break;
      std::this_thread::sleep_for(2ms);
    }
    times.push_back(nowMs() - t0);
    *victim = b.startNode(url, victim->name);
  }
  std::sort(times.begin(), times.end());
  const double median = times[times.size() / 2], worst = times.back();
  std::printf(
      "  destinations resumed elsewhere: median %.0f ms, worst %.0f ms (target 2,000: %s)\n",
      median, worst, worst < 2000 ? "met" : "NOT met");
  for (auto& n : ns) n.process->stop();
}

// --- the admin's queue overview over a large history.
void overview(Bench& b, int delivered, int pending) {
  std::cout << "== queue overview over " << delivered << " delivered + " << pending
            << " pending rows (10 destinations)\n";
  const std::string url = b.freshDatabase();
  dcgw::store::PostgresStore db(url);
  std::vector<std::int64_t> dests;
  for (int i = 0; i < 10; ++i) {
    dcgw::store::DestinationConfig d;
    d.settings.name = "q" + std::to_string(i);
    d.settings.host = "http://127.0.0.1:9/";
    dests.push_back(*db.createDestination(d, 0));
  }
  const int total = delivered + pending;
  db.db().exec(
      "INSERT INTO packets (id, received_at, serial, registration, type, data) SELECT g, g, "
      "'42000001', 'BENCH', 71, '\\x47026a00000101'::bytea FROM generate_series(1, " +
      std::to_string(total) + ") g");
  db.db().exec(
      "INSERT INTO deliveries (destination_id, packet_id, state, attempts, finished_at) "
      "SELECT " +
      std::to_string(dests[0]) + " + g % 10, g, CASE WHEN g <= " + std::to_string(delivered) +
      " THEN 1 ELSE 0 END, CASE WHEN g <= " + std::to_string(delivered) +
      " THEN 1 ELSE 0 END, CASE WHEN g <= " + std::to_string(delivered) +
      " THEN g END FROM generate_series(1, " + std::to_string(total) + ") g");
  db.db().exec("VACUUM ANALYZE deliveries");
  std::vector<double> times;
  for (int i = 0; i < 21; ++i) {
    const double t0 = nowMs();
    const auto q = db.queueOverview();
    times.push_back(nowMs() - t0);
    if (q.size() != 10) std::printf("  unexpected: %zu queues\n", q.size());
  }
  std::sort(times.begin(), times.end());
  std::printf("  queueOverview(): median %.1f ms, worst %.1f ms (target 50 ms: %s)\n",
              times[times.size() / 2], times.back(), times.back() < 50 ? "met" : "NOT met");
  for (const auto& line : db.overviewQueryPlan()) std::printf("  plan: %s\n", line.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  int kills = 10, ingestSeconds = 10, forwardRows = 50'000, delivered = 1'000'000,
      pending = 100'000;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--kills")
      kills = std::stoi(v);
    else if (a == "--ingest-seconds")
      ingestSeconds = std::stoi(v);
    else if (a == "--forward-rows")
      forwardRows = std::stoi(v);
    else if (a == "--overview-delivered")
      delivered = std::stoi(v);
    else if (a == "--overview-pending")
      pending = std::stoi(v);
    else if (a == "--only")
      only = v;
    else {
      std::cerr << "multinode_bench: unknown option " << a << "\n";
      return 2;
    }
  }
  ::signal(SIGPIPE, SIG_IGN);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each line out before the next fork
  Bench b;
  if (only.empty() || only == "failover") failover(b, kills);
  if (only.empty() || only == "overview") overview(b, delivered, pending);
  if (only.empty() || only == "forward") forward(b, forwardRows);
  if (only.empty() || only == "ingest") ingest(b, ingestSeconds, false);
  if (only.empty() || only == "ingest-queued") ingest(b, ingestSeconds, true);
  if (only.empty() || only == "sqlite") {
    ingest(b, ingestSeconds, false, true);
    ingest(b, ingestSeconds, true, true);
  }
  return 0;
}
