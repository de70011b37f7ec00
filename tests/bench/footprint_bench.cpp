// Load tool (issue 17): how many bytes of store each packet costs once it is delivered.
// Packets of `dcgw simulate`'s mix go through the Ingestor's group commit into a fresh store,
// fanned out to N destinations; every destination's queue is then worked as the forwarder does
// (pendingBatch runs of 64, each recorded delivered); then the store's size is measured and
// divided by the packets. SQLite: the pages in use (page_count - freelist_count) after a WAL
// checkpoint, and dbstat per table and index; PostgreSQL: the size of every table and index of
// the schema after VACUUM FULL (the live rows; the size after a plain VACUUM is printed too).
// The size of the store before ingest (its schema) is subtracted.
//   ninja -C build footprint_bench
//   build/tests/bench/footprint_bench [--packets 100000] [--destinations 3] [--devices 200]
//                                     [--payload small|large|mix] [--store URL]
// --payload small: Tracking (0x47) packets only; large: the mix's largest family only (the
// tachograph file summaries, 0x66, about 225 bytes); mix:
// the whole mix (mostly Tracking). --store: a postgresql:// URL (an empty database the bench
// may fill) or a SQLite path (default: a temp file, removed after).
// Prints one line "bytes/packet N" (and the breakdown). Target: at most 150 bytes/packet with
// 3 destinations for Tracking packets.
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/ingest/ingestor.hpp"
#include "gateway/simulate/packet_mix.hpp"
#include "gateway/store/open_backend.hpp"

namespace {

struct Options {
  std::size_t packets{100000};
  int destinations{3};
  int devices{200};
  std::string payload{"small"};
  std::string store;
};

struct Size {
  std::int64_t total{0};
  std::map<std::string, std::int64_t> parts;  // table or index -> bytes
};

Size sqliteSize(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
    throw std::runtime_error("cannot open " + path);
  sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  Size s;
  auto one = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    std::int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return v;
  };
  s.total = (one("PRAGMA page_count") - one("PRAGMA freelist_count")) * one("PRAGMA page_size");
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name", -1, &st,
                         nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW)
      s.parts[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] =
          sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return s;
}

// `full`: VACUUM FULL first, so the size is the live rows' (what a store settles near once
// autovacuum reuses the dead row versions of its updates); else plain VACUUM (dead versions
// made reusable, the relations as large as the updates made them).
Size postgresSize(const std::string& url, bool full) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c));
  PQclear(PQexec(c, full ? "VACUUM FULL" : "VACUUM"));
  PGresult* r = PQexec(c,
                       "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
                       "JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE n.nspname = current_schema() AND c.relkind IN ('r','i','t')");
  Size s;
  for (int i = 0; i < PQntuples(r); ++i) {
    const std::int64_t bytes = std::stoll(PQgetvalue(r, i, 1));
    s.parts[PQgetvalue(r, i, 0)] = bytes;
    s.total += bytes;
  }
  PQclear(r);
  PQfinish(c);
  return s;
}

Size measure(const std::string& location, bool full = true) {
  return dcgw::store::isPostgresUrl(location) ? postgresSize(location, full) : sqliteSize(location);
}

// The packets of the mix the --payload option selects.
std::vector<dcgw::codecs::Bytes> payloads(const std::string& kind) {
  dcgw::simulate::MixSettings settings;
  settings.endSeconds = 1'790'000'000;
  dcgw::simulate::PacketMix mix(settings);
  std::map<int, std::vector<dcgw::codecs::Bytes>> byType;
  for (std::size_t i = 0; i < mix.size(); ++i) {
    auto p = mix.packet(i);
    byType[p[0]].emplace_back(p.begin(), p.end());
  }
  if (kind == "mix") {
    std::vector<dcgw::codecs::Bytes> all;
    for (std::size_t i = 0; i < mix.size(); ++i)
      all.emplace_back(mix.packet(i).begin(), mix.packet(i).end());
    return all;
  }
  if (kind == "small") return byType.at(0x47);
  if (kind != "large") throw std::invalid_argument("--payload: small, large or mix");
  double bestMean = 0;
  int best = 0;
  for (auto& [type, list] : byType) {
    double sum = 0;
    for (auto& p : list) sum += static_cast<double>(p.size());
    if (sum / static_cast<double>(list.size()) > bestMean) {
      bestMean = sum / static_cast<double>(list.size());
      best = type;
    }
  }
  return byType.at(best);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--packets")
      o.packets = std::stoul(v);
    else if (k == "--destinations")
      o.destinations = std::stoi(v);
    else if (k == "--devices")
      o.devices = std::stoi(v);
    else if (k == "--payload")
      o.payload = v;
    else if (k == "--store")
      o.store = v;
    else {
      std::fprintf(stderr, "footprint_bench: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  const bool temp = o.store.empty();
  if (temp)
    o.store = (std::filesystem::temp_directory_path() /
               ("dcgw-footprint-" + std::to_string(::getpid()) + ".db"))
                  .string();
  const auto pool = payloads(o.payload);
  double payloadBytes = 0;
  Size before;
  Size after;
  {
    auto store = dcgw::store::openBackend(o.store, dcgw::store::Durability::Normal);
    std::vector<std::int64_t> ids;
    for (int i = 0; i < o.destinations; ++i) {
      dcgw::store::DestinationConfig d;
      d.settings.name = "footprint-" + std::to_string(i);
      d.settings.method = "binary";
      d.settings.host = "127.0.0.1";
      d.settings.port = 9;
      ids.push_back(*store->createDestination(d, 0));
    }
    auto loc = store->createLocation({0, "Footprint depot", "", ids});
    std::vector<std::string> serials;
    for (int i = 0; i < o.devices; ++i) {
      serials.push_back(std::to_string(30'000'000 + i));
      char reg[16];
      std::snprintf(reg, sizeof reg, "FP%02d %c%c%c", i % 100, 'A' + i % 26, 'A' + i / 26 % 26,
                    'A' + i / 676 % 26);
      store->upsertDevice({serials.back(), *loc, reg, std::nullopt});
    }
    before = measure(o.store);
    const auto start = std::chrono::steady_clock::now();
    std::atomic<std::size_t> acked{0};
    {
      dcgw::ingest::Ingestor ingestor(*store, nullptr, 512);
      const std::int64_t t0 = 1'790'000'000'000;
      for (std::size_t i = 0; i < o.packets; ++i) {
        const auto& p = pool[i % pool.size()];
        payloadBytes += static_cast<double>(p.size());
        ingestor.submit({serials[i % serials.size()], "", p, t0 + static_cast<std::int64_t>(i)},
                        [&](const dcgw::ingest::Outcome& s) {
                          if (s.ok()) ++acked;
                        });
      }
      ingestor.stop();
    }
    if (acked != o.packets) {
      std::fprintf(stderr, "footprint_bench: only %zu of %zu packets were stored\n", acked.load(),
                   o.packets);
      return 1;
    }
    std::size_t delivered = 0;
    for (std::int64_t id : ids) {
      for (;;) {
        auto run = store->pendingBatch(id, 64);
        if (run.empty()) break;
        std::vector<dcgw::store::DeliveryQueue::Attempt> attempts;
        for (auto& r : run)
          attempts.push_back({r.id,
                              {dcgw::store::AttemptResult::Outcome::Delivered, "", 1500},
                              r.receivedAtMs + 20});
        store->recordAttempts(id, attempts, {});
        delivered += run.size();
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "%zu packets (%s, %.1f bytes on average) from %d devices to %d destination%s, "
        "%zu deliveries, in %.1f s\n",
        o.packets, o.payload.c_str(), payloadBytes / static_cast<double>(o.packets), o.devices,
        o.destinations, o.destinations == 1 ? "" : "s", delivered, seconds);
  }
  if (dcgw::store::isPostgresUrl(o.store)) {
    const Size vacuumed = measure(o.store, false);
    std::printf(
        "PostgreSQL after VACUUM (dead row versions reusable, not returned): "
        "%.1f bytes/packet\n",
        static_cast<double>(vacuumed.total - before.total) / static_cast<double>(o.packets));
  }
  after = measure(o.store);
  std::printf("%-28s %14s %12s\n", "table or index", "bytes", "bytes/packet");
  for (auto& [name, bytes] : after.parts) {
    const std::int64_t grown = bytes - (before.parts.count(name) ? before.parts[name] : 0);
    if (grown <= 0) continue;
    std::printf("%-28s %14lld %12.1f\n", name.c_str(), static_cast<long long>(grown),
                static_cast<double>(grown) / static_cast<double>(o.packets));
  }
  const double perPacket =
      static_cast<double>(after.total - before.total) / static_cast<double>(o.packets);
  std::printf("bytes/packet %.1f\n", perPacket);
  if (temp)
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(o.store + suffix);
  return 0;
}
