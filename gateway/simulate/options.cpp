// `dcgw simulate`'s options: the usage text and the parsing and checking of every option.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "codecs/uplink/frame.hpp"
#include "gateway/simulate/shared.hpp"
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
  --warmup S  (0: packets sent in the first S seconds of sending are acknowledged and counted
               as usual but left out of the latency, which then leaves out this simulator's
               own logins and TLS handshakes)
  --provision-db PATH --location NAME  --tls [--ca-file F] [--insecure]
  --card-session ...  one company-card session instead (dcgw simulate --card-session --help)
  --upload FILE ...   upload one tachograph file instead (dcgw simulate --upload --help)
)";

namespace {

// The device key of the demo device in etc/dcgw.json.
constexpr const char* kDemoKey = "40ccd56388dff07bad7dbbeb5a639cde018fd61ced5bfc5bc9c633396118a16e";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Options.

codecs::Result<Options> parseOptions(const std::vector<std::string>& args) {
  Options o;
  std::string keyHex = kDemoKey;
  auto walked = forEachOption(
      args, {"--json", "--tls", "--insecure", "--help", "-h"},
      {"--host",       "--port",         "--devices", "--first-serial",    "--key",
       "--rate",       "--duration",     "--count",   "--window",          "--invalid-every",
       "--drop-every", "--connect-rate", "--drain",   "--registration",    "--provision-db",
       "--location",   "--log",          "--ca-file", "--reconnect-every", "--warmup"},
      "dcgw simulate --help", [&](const std::string& a, const std::string& v) -> codecs::Status {
        auto bad = [&](const std::string& what) { return badValue(a, v, what); };
        std::uint64_t u = 0;
        double d = 0;
        if (auto link = takeLinkOption(a, v, o)) return *link;
        if (a == "--json") {
          o.json = true;
        } else if (a == "--tls") {
          o.tls = true;
        } else if (a == "--insecure") {
          o.insecure = true;
        } else if (a == "--help" || a == "-h") {
          o.help = true;
        } else if (a == "--first-serial") {
          if (!parseUnsigned(v, 0, 99'999'999, u)) return bad("a serial number of up to 8 digits");
          o.firstSerial = u;
        } else if (a == "--key") {
          keyHex = v;
        } else if (a == "--rate") {
          if (!parseDecimal(v, 0, d)) return bad("packets per second >= 0");
          o.rate = d;
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
        } else if (a == "--reconnect-every") {
          if (!parseDecimal(v, 0, d) || d <= 0) return bad("seconds > 0");
          o.reconnectEverySeconds = d;
        } else if (a == "--warmup") {
          if (!parseDecimal(v, 0, d)) return bad("seconds >= 0");
          o.warmupSeconds = d;
        } else if (a == "--registration") {
          if (v.size() > up::kMaxRegistrationChars) return bad("at most 13 characters");
          for (unsigned char c : v)
            if (c < 0x20 || c > 0x7E) return bad("printable ASCII characters");
          o.registration = v;
        } else if (a == "--ca-file") {
          o.caFile = v;
        }
        return codecs::Ok{};
      });
  if (!walked) return walked.error();
  auto key = uplink::parseDeviceKey(keyHex);
  if (!key) return optionError("--key", key.error().expected + " ('" + keyHex + "')");
  o.key = std::move(*key);
  const std::uint64_t last = o.firstSerial + o.devices - 1;
  if (std::to_string(last).size() > up::kMaxSerialChars)
    return optionError("--first-serial", "leaves room for " + std::to_string(o.devices) +
                                             " serials of at most 8 characters, not '" +
                                             std::to_string(o.firstSerial) + "' (the last is " +
                                             std::to_string(last) + ")");
  if (auto e = provisionOptionsError(o)) return *e;
  if (!o.tls && (o.insecure || !o.caFile.empty()))
    return optionError(o.insecure ? "--insecure" : "--ca-file", "is only used with --tls");
  return o;
}

}  // namespace dcgw::simulate
