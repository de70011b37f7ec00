// What the uplink and the Teltonika simulators share: option parsing, pacing, the link set-up,
// the run's entry and the latency part of the summary. Internal to dcgw_simulate.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "codecs/json.hpp"
#include "codecs/result.hpp"
#include "gateway/store/types.hpp"

namespace dcgw::simulate {

// ---- options ----

// An error naming the option; `expected` says what it wanted.
codecs::Error optionError(const std::string& option, std::string expected);
// "OPTION: needs WHAT, not 'VALUE'".
codecs::Error badValue(const std::string& option, const std::string& value,
                       const std::string& what);
// A whole decimal number lo..hi (no sign, no spaces).
bool parseUnsigned(const std::string& v, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out);
// A finite decimal number >= lo (no leading space).
bool parseDecimal(const std::string& v, double lo, double& out);

// Walks the arguments: an option in `flags` is handed to `take` with an empty value, one in
// `valued` with the argument after it. An unknown option is an error that points at
// `helpCommand`; a valued option at the end, "needs a value". Stops at the first error `take`
// returns.
using TakeOption =
    std::function<codecs::Status(const std::string& option, const std::string& value)>;
codecs::Status forEachOption(const std::vector<std::string>& args,
                             std::initializer_list<std::string_view> flags,
                             std::initializer_list<std::string_view> valued,
                             const std::string& helpCommand, const TakeOption& take);

// The options both simulators take alike (--host, --port, --devices, --duration,
// --connect-rate, --drain, --log, --provision-db, --location) into `o`: nullopt when `option` is
// none of them, else Ok or the error for its value.
template <class O>
std::optional<codecs::Status> takeLinkOption(const std::string& option, const std::string& v,
                                             O& o) {
  auto bad = [&](const std::string& what) { return codecs::Status(badValue(option, v, what)); };
  std::uint64_t u = 0;
  double d = 0;
  if (option == "--host") {
    if (v.empty()) return bad("a host name or address");
    o.host = v;
  } else if (option == "--port") {
    if (!parseUnsigned(v, 1, 65535, u)) return bad("a port 1-65535");
    o.port = static_cast<std::uint16_t>(u);
  } else if (option == "--devices") {
    if (!parseUnsigned(v, 1, 1'000'000, u)) return bad("a number of devices 1-1000000");
    o.devices = static_cast<std::uint32_t>(u);
  } else if (option == "--duration") {
    if (!parseDecimal(v, 0, d)) return bad("seconds >= 0");
    o.durationSeconds = d;
    o.durationGiven = true;
  } else if (option == "--connect-rate") {
    if (!parseDecimal(v, 0, d) || d <= 0) return bad("connections per second > 0");
    o.connectRate = d;
  } else if (option == "--drain") {
    if (!parseDecimal(v, 0, d)) return bad("seconds >= 0");
    o.drainSeconds = d;
  } else if (option == "--log") {
    o.logFile = v;
  } else if (option == "--provision-db") {
    o.provisionDb = v;
  } else if (option == "--location") {
    o.location = v;
  } else {
    return std::nullopt;
  }
  return codecs::Ok{};
}

// --provision-db and --location go together.
template <class O>
std::optional<codecs::Error> provisionOptionsError(const O& o) {
  if (!o.provisionDb.empty() && o.location.empty())
    return optionError("--location", "is needed with --provision-db (the devices' location)");
  if (o.provisionDb.empty() && !o.location.empty())
    return optionError("--location", "is only used with --provision-db");
  return std::nullopt;
}

// ---- pacing ----

std::int64_t monotonicUs();

// A token bucket: `rate` tokens a second, and never more credit than `burstSeconds` of them (at
// least one), so a stall is not made up by a burst beyond that.
class Pacer {
 public:
  Pacer(double rate, double burstSeconds) : rate_(rate), burstSeconds_(burstSeconds) {}
  // Starts counting from `nowUs` (nothing is credited for the time before).
  void restart(std::int64_t nowUs) { lastUs_ = nowUs; }
  void refill(std::int64_t nowUs);
  bool ready() const { return tokens_ >= 1; }
  void spend() { tokens_ -= 1; }

 private:
  double rate_, burstSeconds_;
  double tokens_{0};
  std::int64_t lastUs_{0};
};

// Starts as many queued connections as `connects` allows now: `start(index)` returns false for
// an entry that no longer waits (it costs no token). With the queue empty the pacer restarts,
// so idle time earns no burst.
void startQueued(std::deque<std::uint32_t>& queue, Pacer& connects, std::int64_t nowUs,
                 const std::function<bool(std::uint32_t)>& start);

// How long a run waits for a first login before it gives up: 30 s, or less when a run paced
// by --duration (`timed`) would have ended sooner.
std::int64_t loginGiveUpUs(bool timed, double durationSeconds, double drainSeconds);

// ---- set-up ----

// One descriptor per device: takes all the kernel allows this process; returns the limit now.
std::uint64_t raiseFileLimit();
// --host and --port into `addr`: -1, or exit code 2 with the message on `err`.
int resolveHost(const std::string& host, std::uint16_t port, int socketType, sockaddr_storage& addr,
                socklen_t& addrLen, std::ostream& err);
// --log FILE opened for appending: the file, or nullptr with the message on `err`.
std::FILE* openLog(const std::string& path, std::ostream& err);

// --provision-db DB --location NAME: upserts `count` devices, `device(i)` each, into the
// location NAME (which must exist) in one transaction. Returns an exit code, or -1 when every
// device is in place.
int provisionDevices(const std::string& db, const std::string& location, std::uint32_t count,
                     const std::function<store::DeviceConfig(std::uint32_t)>& device,
                     std::ostream& err);

// ---- summary ----

// A figure with three decimals, as the summaries print it; and rounded so in JSON.
std::string fixed3(double v);
double round3(double v);

// Nearest-rank percentiles and the maximum of latencies in microseconds, in milliseconds.
struct LatencyMs {
  double p50{0}, p95{0}, p99{0}, max{0};
};
LatencyMs latencyMs(std::vector<std::uint32_t>& micros);

// What every summary ends with: errors by name, the latency figures, the rate and its time.
struct SummaryTail {
  const std::map<std::string, std::uint64_t>& errors;
  std::vector<std::pair<const char*, double>> latencyMs;  // "p50", ... in the order shown
  double ackRate;
  double seconds;
  const char* unit;  // "packets", "records": text only
};
void writeCount(codecs::JsonWriter& w, const char* key, std::uint64_t v);
// "errors", "latencyMs", "ackRate", "seconds".
void writeTail(codecs::JsonWriter& w, const SummaryTail& t);
// The lines "errors: ...", "ack latency: ...", "ack rate: ...".
void printTail(std::ostream& out, const SummaryTail& t);

// ---- the run ----

// A mode of `dcgw simulate` from its parsed options to its exit code: the usage for --help,
// Sim's prepare() (its exit code, if any), then Guard for the time of Sim's run(), the summary
// printed, and 0 when `succeeded` says so, 1 otherwise.
template <class Sim, class Guard, class Opts, class Summ>
int runMode(const codecs::Result<Opts>& options, const char* usage, std::ostream& out,
            std::ostream& err, void (*print)(const Summ&, bool, std::ostream&),
            std::type_identity_t<bool (*)(const Opts&, const Summ&)> succeeded) {
  if (!options) {
    err << "dcgw simulate: " << options.error().field << ": " << options.error().expected << '\n';
    return 2;
  }
  if (options->help) {
    out << usage;
    return 0;
  }
  Summ s;
  {
    Sim sim(*options, err);
    if (int rc = sim.prepare(); rc >= 0) return rc;
    [[maybe_unused]] Guard guard;
    s = sim.run();
  }
  print(s, options->json, out);
  out.flush();
  return succeeded(*options, s) ? 0 : 1;
}

// A Guard that does nothing.
struct NoGuard {};

}  // namespace dcgw::simulate
