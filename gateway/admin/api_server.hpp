// The admin HTTP API (schema/openapi.yaml), /metrics, /healthz and the web console, on an
// HTTP/1.1 front of its own (http_server.hpp; loopback by default).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gateway/admin/options.hpp"
#include "gateway/cardauth/live.hpp"
#include "gateway/common/change_feed.hpp"
#include "gateway/common/clock.hpp"
#include "gateway/control/views.hpp"
#include "gateway/files/file_store.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/forward/store_watch.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/interfaces.hpp"
#include "gateway/uplink/listener.hpp"

namespace dcgw::admin {

// What /metrics (and the API) reads besides the store; any may be null (then its metrics are
// absent).
struct MetricSources {
  const uplink::ListenerStats* uplink{nullptr};
  const ingest::Ingestor* ingestor{nullptr};
  // The running card relay (issue 12): its metrics, and what the admin reads of it (Api::cards,
  // a LiveStatus); null: every card shows offline, every bridge disconnected.
  const cardauth::LiveStatus* cards{nullptr};
  // The file store of the running file upload (issue 13): GET /api/v1/files/{file}/content
  // reads the bytes from it; null: the content answers 404 (the index is still listed).
  const files::FileStore* files{nullptr};
  // The Teltonika listener's counters (schema/teltonika.md section 10), when it runs.
  const uplink::ListenerStats* teltonika{nullptr};
  // The store's room (issue 17): its size, limits, pruning and whether it is full.
  const forward::StoreWatch* storeRoom{nullptr};
};

class ApiServer {
 public:
  // Changes are made through the control services (gateway/control), which publish them on
  // `feed` (may be null: then nothing is told, e.g. a tool's one-off server). The forwarder is
  // only read (its workers' status).
  ApiServer(store::Backend& store, forward::Forwarder& forwarder, common::Clock& clock,
            AdminOptions options, MetricSources metrics = {}, common::ChangeFeed* feed = nullptr);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Throws std::runtime_error naming the address or TLS file that failed.
  void start();
  std::uint16_t port() const;
  void stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// ISO-8601 UTC with milliseconds ("2026-11-22T10:15:30.250Z"), and its parser (a 'Z' or
// "+00:00" zone, fraction optional); nullopt for anything else.
using control::formatTimeMs;
using control::parseTimeMs;

}  // namespace dcgw::admin
