// `dcgw simulate`'s options: the usage text and the parsing and checking of every option.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <string>
#include <vector>

#include "codecs/uplink/frame.hpp"
#include "gateway/simulate/simulator.hpp"
#include "gateway/simulate/simulator_internal.hpp"
#include "gateway/uplink/auth.hpp"

namespace dcgw::simulate {

const char* const kUsage =
    R"(usage: dcgw simulate [--protocol uplink] [options]
  --protocol teltonika ...  Teltonika devices instead (dcgw simulate --protocol teltonika --help)
  --host H (127.0.0.1)  --port P (7700)  --devices N (1)  --first-serial NUM (12345678)
  --key HEX (the demo key)  --rate R packets/s over all devices (10; 0 = only hold connections)
  --duration S (10)  --count N  --window W (64)  --invalid-every N  --drop-every N
  --connect-rate N (5000/s)  --drain S (10)  --registration R  --log FILE  --json
  --reconnect-every S  (every S seconds of sending, every logged-in device drops its link at
                        once and reconnects: a reconnect storm; its unacknowledged packets resent)
  --provision-db PATH --location NAME  --tls [--ca-file F] [--insecure]
  --card-session ...  one company-card session instead (dcgw simulate --card-session --help)
  --upload FILE ...   upload one tachograph file instead (dcgw simulate --upload --help)
)";

namespace {

// The device key of the demo device in etc/dcgw.json.
constexpr const char* kDemoKey = "40ccd56388dff07bad7dbbeb5a639cde018fd61ced5bfc5bc9c633396118a16e";

codecs::Error optionError(const std::string& option, std::string expected) {
  return codecs::makeError(option, 0, std::move(expected));
}

bool parseUnsigned(const std::string& v, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out) {
  std::uint64_t x = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), x);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size() || v.empty() || x < lo || x > hi)
    return false;
  out = x;
  return true;
}

bool parseDecimal(const std::string& v, double lo, double& out) {
  if (v.empty() || std::isspace(static_cast<unsigned char>(v[0]))) return false;
  char* end = nullptr;
  errno = 0;
  double x = std::strtod(v.c_str(), &end);
  if (errno != 0 || end != v.c_str() + v.size() || !std::isfinite(x) || x < lo) return false;
  out = x;
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Options.

codecs::Result<Options> parseOptions(const std::vector<std::string>& args) {
  Options o;
  std::string keyHex = kDemoKey;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json" || a == "--tls" || a == "--insecure" || a == "--help" || a == "-h") {
      if (a == "--json") o.json = true;
      if (a == "--tls") o.tls = true;
      if (a == "--insecure") o.insecure = true;
      if (a == "--help" || a == "-h") o.help = true;
      continue;
    }
    static const char* const kValued[] = {
        "--host",       "--port",         "--devices", "--first-serial",   "--key",
        "--rate",       "--duration",     "--count",   "--window",         "--invalid-every",
        "--drop-every", "--connect-rate", "--drain",   "--registration",   "--provision-db",
        "--location",   "--log",          "--ca-file", "--reconnect-every"};
    if (std::find(std::begin(kValued), std::end(kValued), a) == std::end(kValued))
      return optionError(a, "unknown option (see dcgw simulate --help)");
    if (i + 1 >= args.size()) return optionError(a, "needs a value");
    const std::string& v = args[++i];
    auto bad = [&](const std::string& what) {
      return optionError(a, "needs " + what + ", not '" + v + "'");
    };
    std::uint64_t u = 0;
    double d = 0;
    if (a == "--host") {
      if (v.empty()) return bad("a host name or address");
      o.host = v;
    } else if (a == "--port") {
      if (!parseUnsigned(v, 1, 65535, u)) return bad("a port 1-65535");
      o.port = static_cast<std::uint16_t>(u);
    } else if (a == "--devices") {
      if (!parseUnsigned(v, 1, 1'000'000, u)) return bad("a number of devices 1-1000000");
      o.devices = static_cast<std::uint32_t>(u);
    } else if (a == "--first-serial") {
      if (!parseUnsigned(v, 0, 99'999'999, u)) return bad("a serial number of up to 8 digits");
      o.firstSerial = u;
    } else if (a == "--key") {
      keyHex = v;
    } else if (a == "--rate") {
      if (!parseDecimal(v, 0, d)) return bad("packets per second >= 0");
      o.rate = d;
    } else if (a == "--duration") {
      if (!parseDecimal(v, 0, d)) return bad("seconds >= 0");
      o.durationSeconds = d;
      o.durationGiven = true;
    } else if (a == "--count") {
      if (!parseUnsigned(v, 0, UINT64_MAX, u)) return bad("a number of packets");
      o.count = u;
    } else if (a == "--window") {
      if (!parseUnsigned(v, 1, 65535, u)) return bad("a window of 1-65535 packets");
      o.window = static_cast<std::uint32_t>(u);
    } else if (a == "--invalid-every") {
      if (!parseUnsigned(v, 0, UINT64_MAX, u)) return bad("a number of packets (0 = never)");
      o.invalidEvery = u;
    } else if (a == "--drop-every") {
      if (!parseUnsigned(v, 0, UINT64_MAX, u)) return bad("a number of packets (0 = never)");
      o.dropEvery = u;
    } else if (a == "--connect-rate") {
      if (!parseDecimal(v, 0, d) || d <= 0) return bad("connections per second > 0");
      o.connectRate = d;
    } else if (a == "--reconnect-every") {
      if (!parseDecimal(v, 0, d) || d <= 0) return bad("seconds > 0");
      o.reconnectEverySeconds = d;
    } else if (a == "--drain") {
      if (!parseDecimal(v, 0, d)) return bad("seconds >= 0");
      o.drainSeconds = d;
    } else if (a == "--registration") {
      if (v.size() > up::kMaxRegistrationChars) return bad("at most 13 characters");
      for (unsigned char c : v)
        if (c < 0x20 || c > 0x7E) return bad("printable ASCII characters");
      o.registration = v;
    } else if (a == "--provision-db") {
      o.provisionDb = v;
    } else if (a == "--location") {
      o.location = v;
    } else if (a == "--log") {
      o.logFile = v;
    } else if (a == "--ca-file") {
      o.caFile = v;
    }
  }
  auto key = uplink::parseDeviceKey(keyHex);
  if (!key) return optionError("--key", key.error().expected + " ('" + keyHex + "')");
  o.key = std::move(*key);
  const std::uint64_t last = o.firstSerial + o.devices - 1;
  if (std::to_string(last).size() > up::kMaxSerialChars)
    return optionError("--first-serial", "leaves room for " + std::to_string(o.devices) +
                                             " serials of at most 8 characters, not '" +
                                             std::to_string(o.firstSerial) + "' (the last is " +
                                             std::to_string(last) + ")");
  if (!o.provisionDb.empty() && o.location.empty())
    return optionError("--location", "is needed with --provision-db (the devices' location)");
  if (o.provisionDb.empty() && !o.location.empty())
    return optionError("--location", "is only used with --provision-db");
  if (!o.tls && (o.insecure || !o.caFile.empty()))
    return optionError(o.insecure ? "--insecure" : "--ca-file", "is only used with --tls");
  return o;
}

}  // namespace dcgw::simulate
