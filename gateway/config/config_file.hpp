// The default configuration in etc/: destinations, locations and devices, loaded once into a
// fresh (empty) database. Afterwards the database is the configuration.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "codecs/result.hpp"
#include "gateway/admin/options.hpp"
#include "gateway/cardauth/service.hpp"
#include "gateway/files/options.hpp"
#include "gateway/store/interfaces.hpp"
#include "gateway/uplink/options.hpp"
#include "gateway/uplink/teltonika_listener.hpp"

namespace dcgw::config {

// Every function below reads the whole file and refuses it when any part of it is wrong: an
// unknown member anywhere, a member given twice, two destinations or locations of one name, two
// devices of one serial (schema/config.md). Errors name the path (e.g. "destinations[0].host").

// The error for people: "destinations[2].filtre: unknown member (...)".
std::string errorText(const codecs::Error& e);

// Loads the JSON file into the store when the store is empty; does nothing otherwise.
codecs::Status loadIfEmpty(store::ConfigStore& store, const std::string& path, std::int64_t nowMs);

// "store": {"synchronous": "full" | "normal"} from the file, read at every start (it is how the
// store is opened, not configuration kept in it). Full when absent.
codecs::Result<store::Durability> storeDurability(const std::string& path);
// "full" or "normal" (the file's setting and the --synchronous flag); nullopt otherwise.
std::optional<store::Durability> parseDurability(std::string_view text);
// "store": {"url": "postgresql://..."}: the PostgreSQL store the gateway uses instead of the
// SQLite file (issue 14); "" when absent. Read at every start; --db and --store override it.
codecs::Result<std::string> storeUrl(const std::string& path);
// "store": {"retentionDays": N}: how long delivered rows are kept for audit and replay (7).
codecs::Result<std::int64_t> retentionMs(const std::string& path);
// "store": {"maxBytes": N, "minFreeBytes": N}: the room the store's rows may take (0 or absent:
// no limit; at least 16 MiB otherwise; the SQLite store only) and the free disk kept beside the
// database (default 64 MiB; 0: none). Read at every start (issue 17, gateway/forward/
// store_watch.hpp).
struct StoreRoom {
  std::int64_t maxBytes{0};
  std::int64_t minFreeBytes{64LL << 20};
};
codecs::Result<StoreRoom> storeRoom(const std::string& path);
// "derive": {"consolidatedDds": true | false}: whether a Consolidated DDS packet follows each
// DDS feed packet (schema/derived-packets.md); true when absent. Read at every start.
codecs::Result<bool> consolidatedDds(const std::string& path);
// "uplink": {...} (schema/uplink.md section 10), read at every start; defaults when absent.
codecs::Result<uplink::ListenerOptions> uplinkOptions(const std::string& path);
// "admin": {"bind", "port", "tls": {"certificateFile", "privateKeyFile"}, "threads",
// "requestTimeoutSeconds", "idleTimeoutSeconds", "maxHeaderBytes", "maxConnections",
// "maxConnectionsPerAddress"}; defaults when absent, an error naming the setting when invalid.
// "teltonika": {...} (schema/config.md): the Teltonika listener; enabled false (the default)
// opens no port.
codecs::Result<uplink::TeltonikaOptions> teltonikaOptions(const std::string& path);

codecs::Result<admin::AdminOptions> adminOptions(const std::string& path);
// "cardBridge": {...} (schema/config.md): the card relay and its card-bridge listener. nullopt
// when the file has no such section (the relay is off: no card frames, no card-bridge port).
codecs::Result<std::optional<cardauth::CardAuthOptions>> cardAuthOptions(const std::string& path);
// "files": {...} (schema/config.md): the tachograph file upload (schema/uplink.md section 8.6)
// and its store (files_config.cpp). nullopt when "enabled" is false; on when the section is
// absent. An empty dir means: beside the database (serve fills it in).
codecs::Result<std::optional<files::FilesOptions>> filesOptions(const std::string& path);

// "alerts": {"enabled", "intervalSeconds"} (schema/alerts.md): whether `dcgw serve` runs the
// alert engine and how often it evaluates the rules; on, every 30 s, when absent.
struct AlertOptions {
  bool enabled{true};
  std::int64_t intervalMs{30'000};
};
codecs::Result<AlertOptions> alertOptions(const std::string& path);

// "log": {"level", "format", "file", "maxBytes", "maxFiles"} (schema/config.md): how `dcgw serve`
// logs (log_config.cpp); the serve flags override each. Stderr, text, info when absent.
inline constexpr long long kMinLogBytes = 4096, kMaxLogBytes = 1LL << 40, kMaxLogFiles = 1000;
struct LogOptions {
  std::string level{"info"};           // a spdlog level name
  std::string format{"text"};          // "text" or "json"
  std::string file;                    // empty: stderr only
  std::int64_t maxBytes{100LL << 20};  // the file is rotated at this size...
  std::int64_t maxFiles{5};            // ...keeping this many rotated files beside it
};
codecs::Result<LogOptions> logOptions(const std::string& path);

}  // namespace dcgw::config
