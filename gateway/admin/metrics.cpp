// /metrics: the queues, uplink and ingest in Prometheus' text format; and the small reads of
// /api/v1 (who am I, the filter keys, the forwarding methods).
#include <algorithm>
#include <sstream>
#include <tuple>

#include "adapters/methods.hpp"
#include "codecs/packets/registry.hpp"
#include "gateway/admin/routes.hpp"
#include "gateway/common/prometheus.hpp"

namespace dcgw::admin {

namespace {

std::string renderMetrics(Api& api) {
  std::ostringstream m;
  const auto queues = api.store.queueOverview();
  const std::int64_t now = api.clock.nowMs();
  const auto label = common::promLabel;
  auto family = [&](const char* name, const char* type, const char* help) {
    m << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  };
  // What /healthz answers, for alerting: 0 once the store cannot keep what it is given.
  family("dcgw_store_healthy", "gauge", "1 while the store can keep what it is given (/healthz).");
  m << "dcgw_store_healthy " << (api.store.health().ok ? 1 : 0) << '\n';
  family("dcgw_queue_depth", "gauge", "Pending entries of the destination's queue.");
  for (const auto& q : queues)
    m << "dcgw_queue_depth{destination=\"" << label(q.name) << "\"} " << q.counters.depth << '\n';
  family("dcgw_queue_oldest_pending_age_seconds", "gauge",
         "Age of the oldest pending entry (0 when the queue is empty).");
  for (const auto& q : queues)
    m << "dcgw_queue_oldest_pending_age_seconds{destination=\"" << label(q.name) << "\"} "
      << (q.counters.oldestPendingReceivedAtMs
              ? std::max<double>(0, (now - *q.counters.oldestPendingReceivedAtMs) / 1000.0)
              : 0.0)
      << '\n';
  struct Counter {
    const char* name;
    const char* help;
    std::int64_t store::DestinationCounters::*field;
  };
  for (const Counter& c :
       {Counter{"dcgw_queued_total", "Entries queued.", &store::DestinationCounters::queued},
        Counter{"dcgw_delivered_total", "Entries delivered.",
                &store::DestinationCounters::delivered},
        Counter{"dcgw_failed_attempts_total", "Failed delivery attempts.",
                &store::DestinationCounters::failedAttempts},
        Counter{"dcgw_dead_letters_total", "Entries dead-lettered.",
                &store::DestinationCounters::deadLetters},
        Counter{"dcgw_filtered_total", "Packets the filter left out.",
                &store::DestinationCounters::filtered}}) {
    family(c.name, "counter", c.help);
    for (const auto& q : queues)
      m << c.name << "{destination=\"" << label(q.name) << "\"} " << q.counters.*c.field << '\n';
  }
  family("dcgw_consecutive_failures", "gauge", "Consecutive failed attempts (backoff).");
  for (const auto& q : queues)
    m << "dcgw_consecutive_failures{destination=\"" << label(q.name) << "\"} "
      << q.state.consecutiveFailures << '\n';
  family("dcgw_destination_state", "gauge", "1 for the destination's current state.");
  for (const auto& q : queues) {
    const auto st = api.forwarder.status(q.destinationId);
    const std::string current = !q.enabled ? "disabled"
                                : q.paused ? "paused"
                                           : control::forwarderStateName(st.state);
    for (const char* s : {"delivering", "idle", "backing-off", "paused", "disabled"})
      m << "dcgw_destination_state{destination=\"" << label(q.name) << "\",state=\"" << s << "\"} "
        << (current == s ? 1 : 0) << '\n';
  }
  if (const auto* u = api.metrics.uplink) {
    family("dcgw_uplink_connections", "gauge", "Open tracker connections.");
    m << "dcgw_uplink_connections " << u->connections.load() << '\n';
    family("dcgw_uplink_logged_in", "gauge", "Logged-in tracker connections.");
    m << "dcgw_uplink_logged_in " << u->loggedIn.load() << '\n';
    for (const auto& [name, help, v] :
         {std::tuple{"dcgw_uplink_packets_total", "PACKET frames received.", &u->packets},
          std::tuple{"dcgw_uplink_stored_total", "Packets acknowledged after commit.", &u->stored},
          std::tuple{"dcgw_uplink_rejected_total", "Packets the codecs rejected.", &u->rejected},
          std::tuple{"dcgw_uplink_duplicates_total",
                     "Resent packets acknowledged again, not stored again.", &u->duplicates},
          std::tuple{"dcgw_uplink_sequence_refused_total",
                     "Packets refused for their sequence (ERROR SEQUENCE_OUT_OF_RANGE).",
                     &u->sequenceRefused},
          std::tuple{"dcgw_uplink_refused_logins_total", "Refused logins.", &u->refusedLogins},
          std::tuple{"dcgw_uplink_accepted_total", "Connections accepted.", &u->accepted}}) {
      family(name, "counter", help);
      m << name << ' ' << v->load() << '\n';
    }
  }
  if (const auto* t = api.metrics.teltonika) {
    family("dcgw_teltonika_connections", "gauge", "Open Teltonika TCP connections.");
    m << "dcgw_teltonika_connections " << t->connections.load() << '\n';
    family("dcgw_teltonika_logged_in", "gauge", "Teltonika connections past their IMEI login.");
    m << "dcgw_teltonika_logged_in " << t->loggedIn.load() << '\n';
    for (const auto& [name, help, v] :
         {std::tuple{"dcgw_teltonika_records_total", "AVL records received (TCP and UDP).",
                     &t->packets},
          std::tuple{"dcgw_teltonika_acknowledged_total",
                     "AVL records acknowledged after their packets committed.", &t->stored},
          std::tuple{"dcgw_teltonika_resent_total",
                     "Records of resent frames acknowledged again, not stored again.",
                     &t->duplicates},
          std::tuple{"dcgw_teltonika_refused_frames_total",
                     "Frames answered 0 records or datagrams dropped as malformed.", &t->rejected},
          std::tuple{"dcgw_teltonika_refused_logins_total",
                     "Logins and datagrams refused for their IMEI.", &t->refusedLogins},
          std::tuple{"dcgw_teltonika_accepted_total", "TCP connections accepted.", &t->accepted}}) {
      family(name, "counter", help);
      m << name << ' ' << v->load() << '\n';
    }
  }
  if (const auto* in = api.metrics.ingestor) {
    family("dcgw_ingest_commits_total", "counter", "Ingest transactions committed.");
    m << "dcgw_ingest_commits_total " << in->commits() << '\n';
    family("dcgw_ingest_packets_total", "counter", "Packets committed by ingest.");
    m << "dcgw_ingest_packets_total " << in->stored() << '\n';
    family("dcgw_ingest_commit_failures_total", "counter",
           "Ingest transactions the store refused (their packets were not acknowledged).");
    m << "dcgw_ingest_commit_failures_total " << in->commitFailures() << '\n';
    const auto& l = in->commitLatency();
    family("dcgw_store_commit_seconds", "histogram", "Ingest commit latency.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < l.buckets.size(); ++i) {
      cumulative += l.buckets[i].load();
      m << "dcgw_store_commit_seconds_bucket{le=\"";
      if (i < ingest::Ingestor::CommitLatency::kBoundsSeconds.size()) {
        m << ingest::Ingestor::CommitLatency::kBoundsSeconds[i];
      } else {
        m << "+Inf";
      }
      m << "\"} " << cumulative << '\n';
    }
    m << "dcgw_store_commit_seconds_sum " << static_cast<double>(l.sumMicros.load()) / 1e6 << '\n';
    m << "dcgw_store_commit_seconds_count " << l.count.load() << '\n';
  }
  if (const auto* room = api.metrics.storeRoom) {
    // The store's room (issue 17), as last measured (every second).
    const store::StoreSize s = room->lastSize();
    family("dcgw_store_used_bytes", "gauge", "Bytes the store's rows take (SQLite: pages in use).");
    m << "dcgw_store_used_bytes " << s.usedBytes << '\n';
    family("dcgw_store_file_bytes", "gauge", "Bytes of the database file, free pages included.");
    m << "dcgw_store_file_bytes " << s.fileBytes << '\n';
    family("dcgw_store_wal_bytes", "gauge", "Bytes of SQLite's write-ahead log.");
    m << "dcgw_store_wal_bytes " << s.walBytes << '\n';
    if (s.freeDiskBytes >= 0) {
      family("dcgw_store_free_disk_bytes", "gauge", "Free bytes of the database's file system.");
      m << "dcgw_store_free_disk_bytes " << s.freeDiskBytes << '\n';
    }
    family("dcgw_store_packets", "gauge",
           "Packets the store holds, estimated from the span of their ids.");
    m << "dcgw_store_packets " << s.packets << '\n';
    family("dcgw_store_bytes_per_packet", "gauge",
           "Used bytes per packet held: history, queues and indexes included.");
    m << "dcgw_store_bytes_per_packet "
      << (s.packets > 0 ? static_cast<double>(s.usedBytes) / static_cast<double>(s.packets) : 0.0)
      << '\n';
    family("dcgw_store_max_bytes", "gauge", "store.maxBytes (0: no limit).");
    m << "dcgw_store_max_bytes " << room->limits().maxBytes << '\n';
    family("dcgw_store_min_free_bytes", "gauge", "store.minFreeBytes (0: no floor).");
    m << "dcgw_store_min_free_bytes " << room->limits().minFreeBytes << '\n';
    family("dcgw_store_size_pruned_total", "counter",
           "Delivered rows pruned to keep the store within its room.");
    m << "dcgw_store_size_pruned_total " << room->prunedRows() << '\n';
    family("dcgw_store_full", "gauge",
           "1 while the store is full of undelivered packets: trackers are refused STORE_FULL.");
    m << "dcgw_store_full " << (room->full() ? 1 : 0) << '\n';
  }
  if (const auto* cards = api.metrics.cards) m << cards->prometheus();
  return m.str();
}

}  // namespace

void addMetricsRoutes(RouteTable& t, Api& api) {
  t.add("*", "/metrics", Role::Reader, [&api](Request& r) {
    return r.reply(200, renderMetrics(api), "text/plain; version=0.0.4");
  });
  // The store's room (issue 17): what the console's queue page shows above the queues.
  t.add("*", "/api/v1/store", Role::Reader, [&api](Request& r) {
    const forward::StoreWatch* room = api.metrics.storeRoom;
    const store::StoreSize s = room ? room->lastSize() : api.store.size();
    std::string out;
    codecs::JsonWriter w(out);
    w.beginObject();
    w.key("usedBytes");
    w.integer(s.usedBytes);
    w.key("fileBytes");
    w.integer(s.fileBytes);
    w.key("walBytes");
    w.integer(s.walBytes);
    w.key("freeDiskBytes");
    if (s.freeDiskBytes >= 0)
      w.integer(s.freeDiskBytes);
    else
      w.null();
    w.key("packets");
    w.integer(s.packets);
    w.key("bytesPerPacket");
    w.integer(s.packets > 0 ? s.usedBytes / s.packets : 0);
    w.key("maxBytes");
    w.integer(room ? room->limits().maxBytes : 0);
    w.key("minFreeBytes");
    w.integer(room ? room->limits().minFreeBytes : 0);
    w.key("prunedRows");
    w.integer(room ? static_cast<std::int64_t>(room->prunedRows()) : 0);
    const auto reason = room ? room->fullReason() : std::nullopt;
    w.key("full");
    w.boolean(reason.has_value());
    w.key("fullReason");
    if (reason)
      w.string(*reason);
    else
      w.null();
    w.endObject();
    return r.reply(200, out);
  });
}

void addMetaRoutes(RouteTable& t, Api& /*api*/) {
  t.add("*", "/api/v1/me", Role::Reader, [](Request& r) {
    std::string out;
    codecs::JsonWriter w(out);
    w.beginObject();
    w.key("name");
    w.string(r.caller.name);
    w.key("role");
    w.string(r.caller.role);
    w.endObject();
    return r.reply(200, out);
  });
  t.add("*", "/api/v1/filter-keys", Role::Reader, [](Request& r) {
    std::string out;
    codecs::JsonWriter w(out);
    w.beginObject();
    w.key("keys");
    w.beginArray();
    for (const char* k : codecs::filterKeys()) w.string(k);
    w.endArray();
    w.endObject();
    return r.reply(200, out);
  });
  t.add("*", "/api/v1/methods", Role::Reader,
        [](Request& r) { return r.reply(200, adapters::renderMethodsJson()); });
}

}  // namespace dcgw::admin
