// The checks of `dcgw doctor`: the configuration file, the store, the listening ports, the
// listeners' certificates and each destination's reachability, each a line saying what was
// found and, for a problem, what to do (schema/doctor.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dcgw::cli::doctor {

enum class Status { Ok, Warn, Error };
std::string_view statusName(Status s);  // "ok", "warn", "error"

struct Check {
  std::string name;  // "config", "store.integrity", "port.uplink", "destination.NAME", ...
  Status status{Status::Ok};
  std::string detail;  // what was found
  std::string hint;    // what to do; empty when ok
};

struct Options {
  std::string db{"dcgw.db"};
  std::string config{"etc/dcgw.json"};
  // Per destination: the DNS lookup, the TCP connect and the TLS handshake each.
  std::chrono::milliseconds timeout{5000};
  // Free space on the store's filesystem under which it warns (an error under an eighth of it).
  std::int64_t minFreeBytes{1024LL * 1024 * 1024};
  // A write-ahead log larger than this is a warning (checkpoints held back).
  std::int64_t maxWalBytes{256LL * 1024 * 1024};
  bool fullIntegrityCheck{false};  // PRAGMA integrity_check instead of quick_check
};

// Runs every check; never throws for what it finds (a failure is a Check with status Error).
std::vector<Check> runChecks(const Options& o);

// {"ok": bool, "checks": [{"name", "status", "detail", "hint"}]}: ok is false when any check is
// an error.
std::string renderJson(const std::vector<Check>& checks);
// One line per check, "ok|warn|error  NAME  detail", each problem followed by its hint.
std::string renderText(const std::vector<Check>& checks);

}  // namespace dcgw::cli::doctor
