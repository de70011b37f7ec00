// `dcgw simulate --protocol teltonika`: its usage text, its options, and its summary.
#include <cstdint>
#include <string>
#include <vector>

#include "codecs/json.hpp"
#include "gateway/simulate/shared.hpp"
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
  --provision-db PATH --location NAME  first registers the run's IMEIs in the gateway's store
                        (protocol teltonika, --family, in location NAME, which must exist)
  --json                the summary as one JSON object
Exit status: 0 when every device logged in (TCP) and every record was acknowledged, 1
otherwise, 2 for a bad argument.
)";

codecs::Result<TeltonikaOptions> parseTeltonikaOptions(const std::vector<std::string>& args) {
  TeltonikaOptions o;
  auto walked = forEachOption(
      args, {"--json", "--udp", "--help", "-h"},
      {"--host", "--port", "--devices", "--first-imei", "--family", "--rate", "--duration",
       "--count", "--scenario", "--ack-timeout", "--connect-rate", "--drain", "--records-per-frame",
       "--log", "--provision-db", "--location"},
      "dcgw simulate --protocol teltonika --help",
      [&](const std::string& a, const std::string& v) -> codecs::Status {
        auto bad = [&](const std::string& what) { return badValue(a, v, what); };
        std::uint64_t u = 0;
        double d = 0;
        if (auto link = takeLinkOption(a, v, o)) return *link;
        if (a == "--json") {
          o.json = true;
        } else if (a == "--udp") {
          o.udp = true;
        } else if (a == "--help" || a == "-h") {
          o.help = true;
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
        }
        return codecs::Ok{};
      });
  if (!walked) return walked.error();
  if (o.firstImei + o.devices - 1 > 999'999'999'999'999)
    return optionError("--first-imei", "leaves room for " + std::to_string(o.devices) +
                                           " IMEIs of 15 digits, not '" +
                                           std::to_string(o.firstImei) + "'");
  if (auto e = provisionOptionsError(o)) return *e;
  if (o.drive && o.rate <= 0)
    return optionError("--rate", "must be > 0 with --scenario drive, not '0'");
  return o;
}

void printTeltonikaSummary(const TeltonikaSummary& s, bool json, std::ostream& out) {
  const SummaryTail tail{s.errors,
                         {{"p50", s.p50Ms}, {"p95", s.p95Ms}, {"p99", s.p99Ms}, {"max", s.maxMs}},
                         s.ackRate(),
                         s.seconds,
                         "records"};
  if (json) {
    std::string text;
    codecs::JsonWriter w(text);
    w.beginObject();
    w.key("protocol");
    w.string("teltonika");
    w.key("family");
    w.string(s.family);
    w.key("transport");
    w.string(s.transport);
    writeCount(w, "devices", s.devices);
    writeCount(w, "loggedIn", s.loggedIn);
    writeCount(w, "refusedLogins", s.refusedLogins);
    writeCount(w, "sent", s.sent);
    writeCount(w, "acknowledged", s.acknowledged);
    writeCount(w, "outstanding", s.outstanding());
    writeCount(w, "framesSent", s.framesSent);
    writeCount(w, "resent", s.framesResent);
    writeCount(w, "reconnects", s.reconnects);
    writeTail(w, tail);
    w.endObject();
    out << text << '\n';
    return;
  }
  out << "protocol: teltonika (" << s.family << ", " << s.transport << ")\n"
      << "devices: " << s.devices << '\n'
      << "logged in: " << s.loggedIn << '\n'
      << "refused logins: " << s.refusedLogins << '\n'
      << "sent: " << s.sent << " records in " << s.framesSent << " frames\n"
      << "acknowledged: " << s.acknowledged << " records\n"
      << "resent: " << s.framesResent << " frames\n"
      << "outstanding: " << s.outstanding() << " records\n"
      << "reconnects: " << s.reconnects << '\n';
  printTail(out, tail);
}

}  // namespace dcgw::simulate::teltonika
