// Bulk ingest through the same path a tracker's packets take: codecs, group commit, fan-out.
#include "gateway/cli/ingest_command.hpp"

#include <atomic>
#include <istream>
#include <mutex>
#include <ostream>
#include <thread>

#include "gateway/config/config_file.hpp"
#include "gateway/derive/packet_deriver.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/open_backend.hpp"
#include "gateway/store/sqlite/backup.hpp"

namespace dcgw::cli {

int runIngest(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
              std::ostream& err) {
  std::string db = "dcgw.db", configPath = "etc/dcgw.json", serial, synchronous;
  bool forward = false;
  long long waitMs = 10'000;
  forward::BackoffPolicy backoff;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--forward") {
      forward = true;
      continue;
    }
    if (i + 1 >= args.size()) {
      err << "dcgw ingest: option " << a << " needs a value\n";
      return 2;
    }
    const std::string& v = args[++i];
    try {
      if (a == "--db" || a == "--store") {
        if (a == "--store" && !store::isPostgresUrl(v)) {
          err << "dcgw ingest: --store must be a postgresql:// URL, not '" << v << "'\n";
          return 2;
        }
        db = v;
      } else if (a == "--config") {
        configPath = v;
      } else if (a == "--synchronous") {
        synchronous = v;
      } else if (a == "--serial") {
        serial = v;
      } else if (a == "--retry-base-ms") {
        backoff.baseMs = std::stoll(v);
      } else if (a == "--wait-ms") {
        waitMs = std::stoll(v);
      } else if (a == "--retry-cap-ms") {
        backoff.capMs = std::stoll(v);
      } else {
        err << "dcgw ingest: unknown option '" << a << "'\n";
        return 2;
      }
    } catch (const std::exception&) {
      err << "dcgw ingest: " << a << " needs a number, not '" << v << "'\n";
      return 2;
    }
  }
  common::SystemClock clock;
  auto durability = config::storeDurability(configPath);
  if (!durability) {
    err << "dcgw ingest: " << configPath << ": " << config::errorText(durability.error()) << '\n';
    return 1;
  }
  if (!synchronous.empty()) {
    auto chosen = config::parseDurability(synchronous);
    if (!chosen) {
      err << "dcgw ingest: --synchronous must be full or normal, not '" << synchronous << "'\n";
      return 2;
    }
    *durability = *chosen;
  }
  // Held while it runs, as serve holds it: `dcgw restore` never replaces the database under it.
  std::optional<store::sqlite::DatabaseLock> dbLock;
  if (!store::isPostgresUrl(db)) {
    auto lock = store::sqlite::DatabaseLock::acquire(db, store::sqlite::DatabaseLock::Mode::Shared);
    if (!lock) {
      err << "dcgw ingest: " << db << ": " << lock.error().message << '\n';
      return 1;
    }
    dbLock.emplace(std::move(*lock));
  }
  std::unique_ptr<store::Backend> store;
  try {
    store = store::openBackend(db, *durability);
  } catch (const store::StoreError& e) {
    err << "dcgw ingest: " << e.what() << '\n';
    return 1;
  }
  if (codecs::Status s = config::loadIfEmpty(*store, configPath, clock.nowMs()); !s) {
    err << "dcgw ingest: " << configPath << ": " << config::errorText(s.error()) << '\n';
    return 1;
  }
  common::ChangeFeed feed;
  std::unique_ptr<forward::Forwarder> forwarder;
  std::unique_ptr<forward::Pruner> pruner;
  if (forward) {
    forwarder =
        std::make_unique<forward::Forwarder>(*store, clock, backoff, adapters::makeAdapter, &feed);
    forwarder->start();
    auto retention = config::retentionMs(configPath);
    if (!retention) {
      err << "dcgw ingest: " << configPath << ": " << config::errorText(retention.error()) << '\n';
      return 1;
    }
    pruner = std::make_unique<forward::Pruner>(*store, clock, *retention);
  }
  std::mutex outMu;
  // std::cin is tied to std::cout: every read would flush `out` from this thread while the
  // committer thread writes acknowledgements to it. Untied, only the writers (under outMu)
  // touch it.
  in.tie(nullptr);
  std::atomic<int> refused{0};
  {
    derive::PacketDeriver deriver(*store);  // the gateway's own packets, as `dcgw serve` makes
    ingest::Ingestor ingestor(*store, &feed, 512, {}, &deriver);
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') continue;
      store::IngestItem item;
      std::string hex = line;
      item.serial = serial;
      if (serial.empty()) {
        std::size_t sp = line.find(' ');
        item.serial = line.substr(0, sp);
        hex = sp == std::string::npos ? "" : line.substr(sp + 1);
      }
      item.receivedAtMs = clock.nowMs();
      auto report = [&, number](const ingest::Outcome& o) {
        std::lock_guard lock(outMu);
        if (o.ok()) {
          out << "ack " << number << '\n';
        } else {
          ++refused;
          out << "refused " << number << ": " << o.error.message() << '\n';
        }
        out.flush();
      };
      if (!codecs::fromHex(hex, item.packet) || item.packet.empty()) {
        ingest::Outcome bad;
        bad.kind = ingest::Outcome::Kind::Invalid;
        bad.error = codecs::makeError("line", number, "SERIAL HEX (or HEX with --serial)");
        report(bad);
        continue;
      }
      ingestor.submit(std::move(item), report);
    }
    ingestor.stop();
  }
  if (forwarder) {
    // Wait until every queue is empty, or --wait-ms has passed (a destination backing off keeps
    // its queue for the next run: nothing is lost).
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(waitMs);
    while (std::chrono::steady_clock::now() < until) {
      bool busy = false;
      for (const auto& d : store->destinations())
        if (d.enabled && !d.paused && store->hasPending(d.id)) busy = true;
      if (!busy) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    forwarder->stop();
    for (const auto& d : store->destinations()) {
      auto c = store->counters(d.id);
      auto st = store->state(d.id);
      out << "destination " << d.settings.name << ": delivered " << c.delivered << ", pending "
          << c.depth << ", dead letters " << c.deadLetters << ", filtered " << c.filtered;
      if (!st.lastError.empty() && c.depth > 0) out << ", last error: " << st.lastError;
      out << '\n';
    }
  }
  return refused == 0 ? 0 : 1;
}

}  // namespace dcgw::cli
