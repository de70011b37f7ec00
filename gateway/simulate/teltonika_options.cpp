// `dcgw simulate --protocol teltonika`: its usage text, its options, and its summary.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <vector>

#include "codecs/json.hpp"
#include "gateway/simulate/teltonika.hpp"

namespace dcgw::simulate::teltonika {

const char* const kTeltonikaUsage =
    R"(usage: dcgw simulate --protocol teltonika [options]
  N Teltonika devices sending Codec 8 Extended records (schema/teltonika.md), one frame in
  flight per device: each frame waits for its acknowledgement (the record count) and is sent
  again, the same bytes, when the count does not match or no answer comes in time.
  --host H (127.0.0.1)  --port P (7700)  the gateway's Teltonika listener
  --devices N (1)       devices, with consecutive IMEIs from --first-imei
  --first-imei IMEI (356307042441000)  15 digits
  --family FMX6|FMBxxx (FMX6)  the IO ids of the records (schema/teltonika.md section 7)
  --rate R (10)         records per second over all devices; 0 = only hold the connections
  --duration S (10)     seconds of making records  --count N  records in all (then stop)
  --records-per-frame N (1)  records batched in a frame (1-255; fewer when a frame would pass
                        1280 bytes); what is left at the end is sent in a shorter frame
  --scenario drive      each device plays one journey of 13 records and stops: ignition on,
                        card in, work, drive, a fix with 3 satellites, stop, work, card out,
                        ignition off (--count and --duration are not used)
  --udp                 datagrams to the same port (schema/teltonika.md section 6), no login
  --ack-timeout S (20)  no acknowledgement within S: a new connection (UDP: a new socket)
                        and the same frame again
  --connect-rate N (5000/s)  --drain S (10) seconds to wait for acknowledgements at the end
  --log FILE            one line per acknowledged record: IMEI timestamp-ms
  --json                the summary as one JSON object
Exit status: 0 when every device logged in (TCP) and every record was acknowledged, 1
otherwise, 2 for a bad argument.
)";

namespace {

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

double round3(double v) {
  return std::round(v * 1000.0) / 1000.0;
}

std::string fixed3(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

codecs::Result<TeltonikaOptions> parseTeltonikaOptions(const std::vector<std::string>& args) {
  TeltonikaOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json" || a == "--udp" || a == "--help" || a == "-h") {
      if (a == "--json") o.json = true;
      if (a == "--udp") o.udp = true;
      if (a == "--help" || a == "-h") o.help = true;
      continue;
    }
    static const char* const kValued[] = {"--host",
                                          "--port",
                                          "--devices",
                                          "--first-imei",
                                          "--family",
                                          "--rate",
                                          "--duration",
                                          "--count",
                                          "--scenario",
                                          "--ack-timeout",
                                          "--connect-rate",
                                          "--drain",
                                          "--records-per-frame",
                                          "--log"};
    if (std::find(std::begin(kValued), std::end(kValued), a) == std::end(kValued))
      return optionError(a, "unknown option (see dcgw simulate --protocol teltonika --help)");
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
    } else if (a == "--first-imei") {
      if (v.size() != 15 || !parseUnsigned(v, 100'000'000'000'000, 999'999'999'999'999, u))
        return bad("an IMEI of 15 digits (not starting with 0)");
      o.firstImei = u;
    } else if (a == "--family") {
      auto f = tk::parseFamily(v);
      if (!f) return bad("FMX6 or FMBxxx");
      o.family = *f;
    } else if (a == "--rate") {
      if (!parseDecimal(v, 0, d)) return bad("records per second >= 0");
      o.rate = d;
    } else if (a == "--duration") {
      if (!parseDecimal(v, 0, d)) return bad("seconds >= 0");
      o.durationSeconds = d;
      o.durationGiven = true;
    } else if (a == "--count") {
      if (!parseUnsigned(v, 0, UINT64_MAX, u)) return bad("a number of records");
      o.count = u;
    } else if (a == "--records-per-frame") {
      if (!parseUnsigned(v, 1, 255, u)) return bad("a number of records 1-255");
      o.recordsPerFrame = static_cast<std::uint32_t>(u);
    } else if (a == "--scenario") {
      if (v != "drive") return bad("drive (the only scenario)");
      o.drive = true;
    } else if (a == "--ack-timeout") {
      if (!parseDecimal(v, 0, d) || d <= 0) return bad("seconds > 0");
      o.ackTimeoutSeconds = d;
    } else if (a == "--connect-rate") {
      if (!parseDecimal(v, 0, d) || d <= 0) return bad("connections per second > 0");
      o.connectRate = d;
    } else if (a == "--drain") {
      if (!parseDecimal(v, 0, d)) return bad("seconds >= 0");
      o.drainSeconds = d;
    } else if (a == "--log") {
      o.logFile = v;
    }
  }
  if (o.firstImei + o.devices - 1 > 999'999'999'999'999)
    return optionError("--first-imei", "leaves room for " + std::to_string(o.devices) +
                                           " IMEIs of 15 digits, not '" +
                                           std::to_string(o.firstImei) + "'");
  if (o.drive && o.rate <= 0)
    return optionError("--rate", "must be > 0 with --scenario drive, not '0'");
  return o;
}

void printTeltonikaSummary(const TeltonikaSummary& s, bool json, std::ostream& out) {
  if (json) {
    std::string text;
    codecs::JsonWriter w(text);
    w.beginObject();
    auto count = [&](const char* k, std::uint64_t v) {
      w.key(k);
      w.integer(static_cast<std::int64_t>(v));
    };
    w.key("protocol");
    w.string("teltonika");
    w.key("family");
    w.string(s.family);
    w.key("transport");
    w.string(s.transport);
    count("devices", s.devices);
    count("loggedIn", s.loggedIn);
    count("refusedLogins", s.refusedLogins);
    count("sent", s.sent);
    count("acknowledged", s.acknowledged);
    count("outstanding", s.outstanding());
    count("framesSent", s.framesSent);
    count("resent", s.framesResent);
    count("reconnects", s.reconnects);
    w.key("errors");
    w.beginObject();
    for (const auto& [name, n] : s.errors) count(name.c_str(), n);
    w.endObject();
    w.key("latencyMs");
    w.beginObject();
    w.key("p50");
    w.number(round3(s.p50Ms));
    w.key("p95");
    w.number(round3(s.p95Ms));
    w.key("p99");
    w.number(round3(s.p99Ms));
    w.key("max");
    w.number(round3(s.maxMs));
    w.endObject();
    w.key("ackRate");
    w.number(std::round(s.ackRate() * 10) / 10);
    w.key("seconds");
    w.number(round3(s.seconds));
    w.endObject();
    out << text << '\n';
    return;
  }
  std::string errors;
  for (const auto& [name, n] : s.errors)
    errors += (errors.empty() ? "" : ", ") + name + " " + std::to_string(n);
  out << "protocol: teltonika (" << s.family << ", " << s.transport << ")\n"
      << "devices: " << s.devices << '\n'
      << "logged in: " << s.loggedIn << '\n'
      << "refused logins: " << s.refusedLogins << '\n'
      << "sent: " << s.sent << " records in " << s.framesSent << " frames\n"
      << "acknowledged: " << s.acknowledged << " records\n"
      << "resent: " << s.framesResent << " frames\n"
      << "outstanding: " << s.outstanding() << " records\n"
      << "reconnects: " << s.reconnects << '\n'
      << "errors: " << (errors.empty() ? "none" : errors) << '\n'
      << "ack latency: p50 " << fixed3(s.p50Ms) << " ms, p95 " << fixed3(s.p95Ms) << " ms, p99 "
      << fixed3(s.p99Ms) << " ms, max " << fixed3(s.maxMs) << " ms\n"
      << "ack rate: " << fixed3(s.ackRate()) << " records/s over " << fixed3(s.seconds) << " s\n";
}

}  // namespace dcgw::simulate::teltonika
