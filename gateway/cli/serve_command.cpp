// Starts the subsystems in dependency order (store, forwarder, ingestor, listener) and stops
// them in reverse, so every packet acknowledged to a tracker was committed first.
#include "gateway/cli/serve_command.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <sstream>

#include "gateway/admin/api_server.hpp"
#include "gateway/alerts/download_facts.hpp"
#include "gateway/alerts/engine.hpp"
#include "gateway/cardauth/card_relay.hpp"
#include "gateway/cardauth/node_links.hpp"
#include "gateway/cli/service_log.hpp"
#include "gateway/cli/systemd_notify.hpp"
#include "gateway/cluster/node.hpp"
#include "gateway/config/config_file.hpp"
#include "gateway/derive/observed_deriver.hpp"
#include "gateway/derive/packet_deriver.hpp"
#include "gateway/files/file_channel.hpp"
#include "gateway/files/tacho_files.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/forward/store_watch.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/open_backend.hpp"
#include "gateway/store/sqlite/backup.hpp"
#include "gateway/uplink/listener.hpp"
#include "gateway/uplink/teltonika_listener.hpp"

namespace dcgw::cli {
namespace {

// Where the other nodes reach this node's card-bridge listener: cardBridge.advertise, else the
// address it binds and its port (the host's name when it binds every address).
std::string advertisedAddress(const cardauth::CardAuthOptions& o, std::uint16_t port) {
  if (!o.advertise.empty()) return o.advertise;
  std::string host = o.bridges.bind;
  if (host == "0.0.0.0" || host == "::" || host.empty()) {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    host = name;
  }
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

// Thousands of trackers need thousands of descriptors: take what the hard limit allows.
void raiseOpenFilesLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

// The default place of the file store: a `files` directory beside the database (in the working
// directory for a PostgreSQL store).
std::string besideDatabase(const std::string& db) {
  if (store::isPostgresUrl(db)) return "files";
  const auto slash = db.rfind('/');
  return (slash == std::string::npos ? std::string(".") : db.substr(0, slash)) + "/files";
}

}  // namespace

int runServe(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string db, storeUrl, configPath = "etc/dcgw.json", synchronous, bind, logLevel, logFormat,
                            logFile, tlsCert, tlsKey, adminBind, nodeName;
  long long logMaxBytes = -1, logMaxFiles = -1;
  long long adminPort = -1;
  long long uplinkPort = -1, teltonikaPort = -1, maxConnections = -1, idleTimeoutMs = -1,
            statsSeconds = 60;
  forward::BackoffPolicy backoff;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (i + 1 >= args.size()) {
      err << "dcgw serve: option " << a << " needs a value (see dcgw help)\n";
      return 2;
    }
    const std::string& v = args[++i];
    try {
      if (a == "--db") {
        db = v;
      } else if (a == "--store") {
        storeUrl = v;
      } else if (a == "--node-name") {
        nodeName = v;
      } else if (a == "--config") {
        configPath = v;
      } else if (a == "--synchronous") {
        synchronous = v;
      } else if (a == "--bind") {
        bind = v;
      } else if (a == "--uplink-port") {
        uplinkPort = std::stoll(v);
        if (uplinkPort < 0 || uplinkPort > 65535) throw std::out_of_range(v);
      } else if (a == "--teltonika-port") {
        teltonikaPort = std::stoll(v);
        if (teltonikaPort < 0 || teltonikaPort > 65535) throw std::out_of_range(v);
      } else if (a == "--admin-port") {
        adminPort = std::stoll(v);
        if (adminPort < 0 || adminPort > 65535) throw std::out_of_range(v);
      } else if (a == "--admin-bind") {
        adminBind = v;
      } else if (a == "--max-connections") {
        maxConnections = std::stoll(v);
        if (maxConnections < 1) throw std::out_of_range(v);
      } else if (a == "--idle-timeout-ms") {
        idleTimeoutMs = std::stoll(v);
        if (idleTimeoutMs < 1) throw std::out_of_range(v);
      } else if (a == "--tls-cert") {
        tlsCert = v;
      } else if (a == "--tls-key") {
        tlsKey = v;
      } else if (a == "--retry-base-ms") {
        backoff.baseMs = std::stoll(v);
      } else if (a == "--retry-cap-ms") {
        backoff.capMs = std::stoll(v);
      } else if (a == "--stats-seconds") {
        statsSeconds = std::stoll(v);
      } else if (a == "--log-level") {
        logLevel = v;
      } else if (a == "--log-format") {
        logFormat = v;
      } else if (a == "--log-file") {
        logFile = v;
      } else if (a == "--log-max-bytes") {
        logMaxBytes = std::stoll(v);
        if (logMaxBytes < config::kMinLogBytes || logMaxBytes > config::kMaxLogBytes)
          throw std::out_of_range(v);
      } else if (a == "--log-max-files") {
        logMaxFiles = std::stoll(v);
        if (logMaxFiles < 1 || logMaxFiles > config::kMaxLogFiles) throw std::out_of_range(v);
      } else {
        err << "dcgw serve: unknown option '" << a << "'\n";
        return 2;
      }
    } catch (const std::exception&) {
      err << "dcgw serve: " << a << " needs a number in range, not '" << v << "'\n";
      return 2;
    }
  }
  // The file's "log" section, each setting overridden by its flag.
  auto logOptions = config::logOptions(configPath);
  if (!logOptions) {
    err << "dcgw serve: " << configPath << ": " << config::errorText(logOptions.error()) << '\n';
    return 1;
  }
  if (logLevel.empty()) logLevel = logOptions->level;
  if (logFormat.empty()) logFormat = logOptions->format;
  if (logFile.empty()) logFile = logOptions->file;
  LogSettings logSettings;
  logSettings.level = spdlog::level::from_str(logLevel);
  if (logSettings.level == spdlog::level::off && logLevel != "off") {
    err << "dcgw serve: --log-level must be trace, debug, info, warn, error, critical or off, not '"
        << logLevel << "'\n";
    return 2;
  }
  if (logFormat != "text" && logFormat != "json") {
    err << "dcgw serve: --log-format must be text or json, not '" << logFormat << "'\n";
    return 2;
  }
  logSettings.format = logFormat == "json" ? LogFormat::Json : LogFormat::Text;
  logSettings.file = logFile;
  logSettings.maxBytes =
      static_cast<std::size_t>(logMaxBytes > 0 ? logMaxBytes : logOptions->maxBytes);
  logSettings.maxFiles =
      static_cast<std::size_t>(logMaxFiles > 0 ? logMaxFiles : logOptions->maxFiles);
  // Logs go to stderr or the file; stdout carries only the closing summary.
  std::unique_ptr<ServiceLog> serviceLog;
  try {
    serviceLog = std::make_unique<ServiceLog>(logSettings);
  } catch (const spdlog::spdlog_ex& e) {
    err << "dcgw serve: --log-file " << logFile << ": " << e.what() << '\n';
    return 1;
  }

  if (!db.empty() && !storeUrl.empty()) {
    err << "dcgw serve: --db and --store name two stores: give one\n";
    return 2;
  }
  if (!storeUrl.empty() && !store::isPostgresUrl(storeUrl)) {
    err << "dcgw serve: --store must be a postgresql:// URL, not '" << storeUrl << "'\n";
    return 2;
  }
  auto configUrl = config::storeUrl(configPath);
  if (!configUrl) {
    err << "dcgw serve: " << configPath << ": " << config::errorText(configUrl.error()) << '\n';
    return 1;
  }
  // --store, else --db, else the file's store.url, else dcgw.db.
  if (!storeUrl.empty())
    db = storeUrl;
  else if (db.empty())
    db = configUrl->empty() ? "dcgw.db" : *configUrl;
  const std::string shownDb = store::displayLocation(db);
  auto durability = config::storeDurability(configPath);
  auto retention = config::retentionMs(configPath);
  auto room = config::storeRoom(configPath);
  auto consolidatedDds = config::consolidatedDds(configPath);
  auto options = config::uplinkOptions(configPath);
  auto adminOptions = config::adminOptions(configPath);
  auto cardOptions = config::cardAuthOptions(configPath);
  auto fileOptions = config::filesOptions(configPath);
  auto alertOptions = config::alertOptions(configPath);
  auto teltonikaOptions = config::teltonikaOptions(configPath);
  for (const codecs::Error* e :
       {durability ? nullptr : &durability.error(), retention ? nullptr : &retention.error(),
        room ? nullptr : &room.error(), alertOptions ? nullptr : &alertOptions.error(),
        options ? nullptr : &options.error(), adminOptions ? nullptr : &adminOptions.error(),
        cardOptions ? nullptr : &cardOptions.error(), fileOptions ? nullptr : &fileOptions.error(),
        consolidatedDds ? nullptr : &consolidatedDds.error(),
        teltonikaOptions ? nullptr : &teltonikaOptions.error()})
    if (e) {
      err << "dcgw serve: " << configPath << ": " << config::errorText(*e) << '\n';
      return 1;
    }
  if (store::isPostgresUrl(db) && room->maxBytes > 0) {
    err << "dcgw serve: " << configPath
        << ": store.maxBytes: applies to the SQLite store only; a PostgreSQL store's room is its "
           "server's (remove it, or set it to 0)\n";
    return 1;
  }
  if (!synchronous.empty()) {
    auto chosen = config::parseDurability(synchronous);
    if (!chosen) {
      err << "dcgw serve: --synchronous must be full or normal, not '" << synchronous << "'\n";
      return 2;
    }
    *durability = *chosen;
  }
  if (!bind.empty()) options->bind = bind;
  if (uplinkPort >= 0) options->port = static_cast<std::uint16_t>(uplinkPort);
  if (maxConnections > 0) options->maxConnections = static_cast<std::size_t>(maxConnections);
  if (idleTimeoutMs > 0) options->idleTimeout = std::chrono::milliseconds(idleTimeoutMs);
  if (!tlsCert.empty()) options->tlsCertificateFile = tlsCert;
  if (!tlsKey.empty()) options->tlsPrivateKeyFile = tlsKey;
  if (teltonikaPort >= 0) {  // the listener on this port, whatever the file says
    teltonikaOptions->enabled = true;
    teltonikaOptions->port = static_cast<std::uint16_t>(teltonikaPort);
  }
  if (!adminBind.empty()) adminOptions->bind = adminBind;
  if (adminPort >= 0) adminOptions->port = static_cast<std::uint16_t>(adminPort);

  // Blocked before any thread starts, so only sigwait below sees them. SIGHUP reopens the log
  // file (systemctl reload, logrotate) and stops nothing.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  raiseOpenFilesLimit();

  common::SystemClock clock;
  // Held until the process ends: `dcgw restore` refuses to replace a database in use (a
  // SQLite file; a PostgreSQL server has its own ways).
  std::optional<store::sqlite::DatabaseLock> dbLock;
  if (!store::isPostgresUrl(db)) {
    auto lock = store::sqlite::DatabaseLock::acquire(db, store::sqlite::DatabaseLock::Mode::Shared);
    if (!lock) {
      err << "dcgw serve: " << db << ": " << lock.error().message << '\n';
      return 1;
    }
    dbLock.emplace(std::move(*lock));
  }
  std::unique_ptr<store::Backend> store;
  try {
    store = store::openBackend(db, *durability);
  } catch (const store::StoreError& e) {
    err << "dcgw serve: " << shownDb << ": " << e.what() << '\n';
    return 1;
  }
  if (codecs::Status s = config::loadIfEmpty(*store, configPath, clock.nowMs()); !s) {
    err << "dcgw serve: " << configPath << ": " << config::errorText(s.error()) << '\n';
    return 1;
  }
  // Commits and admin changes are published here; the forwarder and the ingest path listen.
  common::ChangeFeed feed;
  forward::Forwarder forwarder(*store, clock, backoff, adapters::makeAdapter, &feed);
  // On PostgreSQL this process is one node of possibly several: it forwards only the
  // destinations that fall to it, and the change feed reaches the other nodes.
  std::unique_ptr<cluster::Node> node;
  if (store::Cluster* c = store->cluster()) {
    if (nodeName.empty()) {
      char host[256] = {};
      gethostname(host, sizeof host - 1);
      nodeName = std::string(host) + "/" + std::to_string(getpid());
    }
    cluster::NodeOptions nodeOptions;
    nodeOptions.name = nodeName;
    node = std::make_unique<cluster::Node>(*store, *c, forwarder, feed, nodeOptions);
    try {
      node->start();
    } catch (const store::StoreError& e) {
      err << "dcgw serve: " << shownDb << ": cannot join the other nodes: " << e.what() << '\n';
      return 1;
    }
  }
  forwarder.start();
  forward::Pruner pruner(*store, clock, *retention);
  // store.maxBytes and the free-disk floor (issue 17): PostgreSQL's room is the server's.
  const bool postgres = store->cluster() != nullptr || store::isPostgresUrl(db);
  forward::StoreWatch storeWatch(*store, clock,
                                 {postgres ? 0 : room->maxBytes, postgres ? 0 : room->minFreeBytes},
                                 *retention);
  // The gateway's own packets (Consolidated DDS, New Driver) join the device's in its commits.
  derive::PacketDeriver deriver(*store, {.consolidatedDds = *consolidatedDds});
  // The alert engine, made below, hears of each DDS packet stored (its time-related warning).
  std::unique_ptr<alerts::AlertEngine> alertEngine;
  derive::ObservedDeriver observed(
      deriver, [&alertEngine](const std::string& serial, codecs::ByteView packet) {
        if (alertEngine) alertEngine->onPacket(serial, packet);
      });
  ingest::Ingestor ingestor(*store, &feed, 512, options->sequence,
                            &observed);  // the listener's rules
  ingestor.setFullCheck([&storeWatch] { return storeWatch.fullReason(); });
  storeWatch.start();
  // The card relay (when configured) before the listener: its channel outlives the listener.
  std::unique_ptr<cardauth::CardRelay> cards;
  if (*cardOptions)
    cards = std::make_unique<cardauth::CardRelay>(*store, clock, **cardOptions, &feed);
  // Tachograph files: parsed, named by their location's convention and time zone; once stored,
  // the packets made from them (New Driver, File Summary) and the download compliance record.
  files::TachoFiles tacho(*store, &ingestor);
  std::unique_ptr<files::FileChannel> fileUploads;
  if (*fileOptions) {
    if ((*fileOptions)->dir.empty()) (*fileOptions)->dir = besideDatabase(db);
    try {
      fileUploads = std::make_unique<files::FileChannel>(
          *store, clock, **fileOptions,
          [&tacho](codecs::ByteView b, const files::FileContext& c) { return tacho.analyze(b, c); },
          [&tacho](const store::FileRecord& f, codecs::ByteView b) { tacho.stored(f, b); });
    } catch (const std::exception& e) {
      err << "dcgw serve: files: " << e.what() << '\n';
      ingestor.stop();
      forwarder.stop();
      return 1;
    }
  }
  // Alerts enter through the ingestor like a tracker's packets; their facts on tachograph
  // downloads come from the DownloadLog, driving-time warnings from the DDS packets stored.
  alerts::DownloadFacts alertFacts(*store, clock);
  if (alertOptions->enabled) {
    alerts::AlertEngine::Options engineOptions;
    engineOptions.intervalMs = alertOptions->intervalMs;
    if (node) engineOptions.active = [&node] { return node->confirmLeader(); };  // one node
    alertEngine = std::make_unique<alerts::AlertEngine>(*store, ingestor, clock, &feed, &alertFacts,
                                                        engineOptions);
    alertEngine->start();
  }
  // Several nodes: a tracker's card session is relayed to the node that has its card online
  // (schema/card-bridge.md section 9); the nodes prove the cluster key kept in the database.
  std::unique_ptr<cardauth::NodeLinks> cardLinks;
  if (cards && node) {
    cardauth::NodeLinkOptions linkOptions;
    linkOptions.tls = !(*cardOptions)->bridges.tlsCertificateFile.empty();
    cardLinks = std::make_unique<cardauth::NodeLinks>(
        cards->auth(), *store->cluster(), [&node] { return node->id(); }, linkOptions);
    try {
      cardLinks->attach();
    } catch (const store::StoreError& e) {
      err << "dcgw serve: " << shownDb
          << ": the cluster key for the card relay's node links: " << e.what() << '\n';
      if (alertEngine) alertEngine->stop();
      ingestor.stop();
      forwarder.stop();
      return 1;
    }
  }
  uplink::Listener listener(*store, ingestor, clock, *options, &feed);
  if (cards) listener.registerChannel(0x30, 0x3F, cards->auth());
  if (fileUploads) listener.registerChannel(0x40, 0x4F, *fileUploads);
  // Real trackers (schema/teltonika.md): off unless teltonika.enabled.
  std::unique_ptr<uplink::TeltonikaListener> teltonika;
  if (teltonikaOptions->enabled)
    teltonika = std::make_unique<uplink::TeltonikaListener>(*store, ingestor, clock,
                                                            *teltonikaOptions, &feed);
  admin::ApiServer api(
      *store, forwarder, clock, *adminOptions,
      admin::MetricSources{&listener.stats(), &ingestor, cards ? &cards->auth() : nullptr,
                           fileUploads ? &fileUploads->disk() : nullptr,
                           teltonika ? &teltonika->stats() : nullptr, &storeWatch},
      &feed);
  try {
    listener.start();
    if (teltonika) teltonika->start();
    if (cards) cards->start(listener.outbox());
    if (cardLinks) cardLinks->start(advertisedAddress(**cardOptions, cards->auth().bridgePort()));
    if (fileUploads) fileUploads->start(listener.outbox());
    api.start();
  } catch (const std::exception& e) {
    err << "dcgw serve: " << e.what() << '\n';
    if (cardLinks) cardLinks->stop();
    if (cards) cards->stop();
    if (fileUploads) fileUploads->stop();
    if (teltonika) teltonika->stop();
    listener.stop();
    if (alertEngine) alertEngine->stop();
    ingestor.stop();
    forwarder.stop();
    return 1;
  }
  // The lines tests and scripts wait for (the port is the chosen one when 0 was asked for).
  std::ostringstream banner;
  banner << "dcgw serve: uplink listening on " << options->bind << ":" << listener.port()
         << (options->tlsCertificateFile.empty() ? "" : " (TLS)") << ", database " << shownDb
         << ", " << store->destinations().size() << " destinations\n"
         << "dcgw serve: admin API on "
         << (adminOptions->tlsCertificateFile.empty() ? "http" : "https") << "://"
         << adminOptions->bind << ":" << api.port() << " (console at /)\n";
  if (cards)
    banner << "dcgw serve: card bridges on " << (*cardOptions)->bridges.bind << ":"
           << cards->auth().bridgePort()
           << ((*cardOptions)->bridges.tlsCertificateFile.empty() ? "" : " (TLS)") << '\n';
  if (teltonika)
    banner << "dcgw serve: teltonika listening on " << teltonikaOptions->bind << ":"
           << teltonika->port() << (teltonikaOptions->tlsCertificateFile.empty() ? "" : " (TLS)")
           << (teltonika->udpPort() ? ", udp " + std::to_string(teltonika->udpPort()) : "") << '\n';
  if (fileUploads)
    banner << "dcgw serve: file upload on, files in " << fileUploads->disk().dir() << '\n';
  // On stderr as they are, unless stderr carries JSON lines: then as log lines, so a shipper
  // reading stderr sees nothing but JSON objects.
  if (logSettings.format == LogFormat::Json && logSettings.file.empty()) {
    std::istringstream lines(banner.str());
    for (std::string line; std::getline(lines, line);) spdlog::info("{}", line);
  } else {
    err << banner.str() << std::flush;
  }
  // Everything above is listening: systemd (Type=notify) starts what is ordered after dcgw now.
  const std::string listening = "uplink on port " + std::to_string(listener.port()) +
                                ", admin API on port " + std::to_string(api.port());
  notifySystemd("READY=1\nSTATUS=serving: " + listening);
  spdlog::info("dcgw serve: ready ({}), logging to {}", listening, serviceLog->destination());
  if (store->tokens().empty())
    spdlog::warn("no admin API token yet: create one with dcgw token create --role admin {} {}",
                 store::isPostgresUrl(db) ? "--store" : "--db", shownDb);

  const auto& st = listener.stats();
  int signalNumber = 0;
  // Every second the store is asked whether it still reaches its files (a database deleted
  // underneath is said once, loudly; ingest already refuses and /healthz fails); every
  // --stats-seconds the counters are logged.
  bool storeLost = false;
  auto nextStats = std::chrono::steady_clock::now() + std::chrono::seconds(statsSeconds);
  for (;;) {
    timespec wait{1, 0};
    siginfo_t info{};
    signalNumber = sigtimedwait(&stopSignals, &info, &wait);
    if (signalNumber == SIGHUP) {
      notifySystemd("RELOADING=1\nSTATUS=reopening the log file");
      if (auto failed = serviceLog->reopen())
        spdlog::error("dcgw serve: SIGHUP: the log file was not reopened: {}", *failed);
      else
        spdlog::info("dcgw serve: SIGHUP: log reopened ({})", serviceLog->destination());
      notifySystemd("READY=1\nSTATUS=serving: " + listening);
      continue;
    }
    if (signalNumber > 0) break;
    if (const store::Health h = store->health(); !h.ok && !storeLost) {
      storeLost = true;
      spdlog::error("store: {}", h.reason);
      notifySystemd("STATUS=store lost, accepting nothing: " + h.reason);
    }
    if (statsSeconds <= 0 || std::chrono::steady_clock::now() < nextStats) continue;
    nextStats += std::chrono::seconds(statsSeconds);
    const std::string counters = fmt::format(
        "{} connections ({} logged in), {} packets, {} stored, {} duplicates, {} rejected, {} "
        "refused logins, {} ingest commits",
        st.connections.load(), st.loggedIn.load(), st.packets.load(), st.stored.load(),
        st.duplicates.load() + store->duplicates(), st.rejected.load(), st.refusedLogins.load(),
        ingestor.commits());
    spdlog::info("uplink: {}", counters);
    if (!storeLost) notifySystemd("STATUS=serving: " + counters);
  }
  notifySystemd(std::string("STOPPING=1\nSTATUS=stopping: ") + strsignal(signalNumber) +
                " received");
  spdlog::info("dcgw serve: {} received, stopping", strsignal(signalNumber));
  // Reverse order: no new packets, what is in flight commits and is acknowledged, the
  // committer finishes, then the workers stop (their queues wait in the store).
  api.stop();
  if (cardLinks) cardLinks->stop();  // relayed requests end, the other nodes are told
  if (cards) cards->stop();  // sessions end with SHUTTING_DOWN while trackers can still read it
  if (fileUploads) fileUploads->stop();  // queued chunks are written; uploads resume later
  if (teltonika) teltonika->stop();
  listener.stop();
  if (alertEngine) alertEngine->stop();  // before the ingestor: its last alerts still commit
  ingestor.stop();
  if (node) node->stop();  // its workers stop, its destinations go to the other nodes at once
  forwarder.stop();
  out << "dcgw serve: stopped; " << st.accepted.load() << " connections, " << st.packets.load()
      << " packets received, " << st.stored.load() << " stored, " << st.rejected.load()
      << " rejected, " << st.refusedLogins.load() << " refused logins\n";
  return 0;
}

}  // namespace dcgw::cli
