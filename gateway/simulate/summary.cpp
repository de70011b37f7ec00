// The run's summary: latency percentiles and the text or JSON report of every figure.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "codecs/json.hpp"
#include "gateway/simulate/simulator.hpp"
#include "gateway/simulate/simulator_internal.hpp"

namespace dcgw::simulate {

double percentileMs(std::vector<std::uint32_t>& micros, double percentile) {
  if (micros.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(percentile / 100.0 * micros.size()));
  rank = std::clamp<std::size_t>(rank, 1, micros.size());
  std::nth_element(micros.begin(), micros.begin() + static_cast<std::ptrdiff_t>(rank - 1),
                   micros.end());
  return micros[rank - 1] / 1000.0;
}

namespace {
double round3(double v) {
  return std::round(v * 1000.0) / 1000.0;
}
}  // namespace

std::string fixed3(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

void printSummary(const Summary& s, bool json, std::ostream& out) {
  if (json) {
    std::string text;
    codecs::JsonWriter w(text);
    w.beginObject();
    auto count = [&](const char* k, std::uint64_t v) {
      w.key(k);
      w.integer(static_cast<std::int64_t>(v));
    };
    count("devices", s.devices);
    count("loggedIn", s.loggedIn);
    count("sent", s.sent);
    count("resent", s.resent);
    count("acknowledged", s.acknowledged);
    count("rejected", s.rejected);
    count("refused", s.rejected);  // the word for the same packets (REJECT frames)
    count("outstanding", s.outstanding());
    count("reconnects", s.reconnects);
    w.key("errors");
    w.beginObject();
    for (const auto& [name, n] : s.errors) count(name.c_str(), n);
    w.endObject();
    w.key("latencyMs");
    w.beginObject();
    w.key("p50");
    w.number(round3(s.p50Ms));
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
  out << "devices: " << s.devices << '\n'
      << "logged in: " << s.loggedIn << '\n'
      << "sent: " << s.sent << '\n'
      << "resent: " << s.resent << '\n'
      << "acknowledged: " << s.acknowledged << '\n'
      << "rejected: " << s.rejected << " (refused by the gateway: invalid packets)\n"
      << "outstanding: " << s.outstanding() << '\n'
      << "reconnects: " << s.reconnects << '\n'
      << "errors: " << (errors.empty() ? "none" : errors) << '\n'
      << "ack latency: p50 " << fixed3(s.p50Ms) << " ms, p99 " << fixed3(s.p99Ms) << " ms, max "
      << fixed3(s.maxMs) << " ms\n"
      << "ack rate: " << fixed3(s.ackRate()) << " packets/s over " << fixed3(s.seconds) << " s\n";
}

}  // namespace dcgw::simulate
