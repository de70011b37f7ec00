// Parses the destination settings from flags, validates them as the admin API will, and
// delivers each packet of stdin in order.
#include "gateway/cli/send_command.hpp"

#include <charconv>
#include <istream>
#include <ostream>

#include "adapters/adapter.hpp"
#include "codecs/json.hpp"

namespace dcgw::cli {
namespace {

bool parseNumber(const std::string& text, long long lo, long long hi, long long& out) {
  auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc{} && r.ptr == text.data() + text.size() && out >= lo && out <= hi;
}

}  // namespace

int runSend(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
            std::ostream& err) {
  adapters::DestinationSettings s;
  s.name = "cli";
  std::string serial = "00000000", registration;
  bool haveMethod = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--insecure") {
      s.tlsVerify = false;
      continue;
    }
    if (i + 1 >= args.size()) {
      err << "dcgw send: option " << a << " needs a value\n";
      return 2;
    }
    const std::string& v = args[++i];
    long long n = 0;
    if (a == "--method") {
      auto m = adapters::parseMethod(v);
      if (!m) {
        err << "dcgw send: --method must be rest, soap, xml-tcp, xml-udp or binary, not '" << v
            << "'\n";
        return 2;
      }
      s.method = *m;
      haveMethod = true;
    } else if (a == "--host") {
      s.host = v;
    } else if (a == "--port") {
      if (!parseNumber(v, 1, 65535, n)) {
        err << "dcgw send: --port must be 1-65535, not '" << v << "'\n";
        return 2;
      }
      s.port = static_cast<std::uint16_t>(n);
    } else if (a == "--format") {
      auto f = adapters::parseDataFormat(v);
      if (!f) {
        err << "dcgw send: --format must be base64binary or hex, not '" << v << "'\n";
        return 2;
      }
      s.format = *f;
    } else if (a == "--custom-tags") {
      s.customTags = v;
    } else if (a == "--serial") {
      serial = v;
    } else if (a == "--registration") {
      registration = v;
    } else if (a == "--ca-file") {
      s.tlsCaFile = v;
    } else if (a == "--timeout" || a == "--reply-timeout") {
      if (!parseNumber(v, 1, 3'600'000, n)) {
        err << "dcgw send: " << a << " must be milliseconds from 1 to 3600000, not '" << v << "'\n";
        return 2;
      }
      (a == "--timeout" ? s.timeout : s.replyTimeout) = std::chrono::milliseconds(n);
    } else {
      err << "dcgw send: unknown option '" << a << "'\n";
      return 2;
    }
  }
  if (!haveMethod || s.host.empty()) {
    err << "dcgw send: --method and --host are required\n";
    return 2;
  }
  auto adapter = adapters::makeAdapter(s);
  if (!adapter) {
    err << "dcgw send: invalid destination: " << adapter.error().message() << '\n';
    return 2;
  }
  int status = 0;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') continue;
    adapters::Envelope e{serial, registration, {}};
    std::string json;
    codecs::JsonWriter w(json);
    w.beginObject();
    w.key("line");
    w.integer(static_cast<std::int64_t>(number));
    if (!codecs::fromHex(line, e.packet) || e.packet.empty()) {
      w.key("outcome");
      w.string("error");
      w.key("reason");
      w.string("not a hex packet");
      status = 1;
    } else {
      adapters::DeliveryResult r = (*adapter)->deliver(e);
      w.key("outcome");
      w.string(adapters::outcomeName(r.outcome));
      w.key("reason");
      w.string(r.reason);
      w.key("durationUs");
      w.integer(r.duration.count());
      if (r.outcome != adapters::Outcome::Delivered) status = 1;
    }
    w.endObject();
    out << json << std::endl;
  }
  return status;
}

}  // namespace dcgw::cli
