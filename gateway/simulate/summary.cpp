// The uplink run's summary: latency percentiles and the text or JSON report of every figure.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "codecs/json.hpp"
#include "gateway/simulate/shared.hpp"
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

void printSummary(const Summary& s, bool json, std::ostream& out) {
  const SummaryTail tail{s.errors,
                         {{"p50", s.p50Ms}, {"p99", s.p99Ms}, {"max", s.maxMs}},
                         s.ackRate(),
                         s.seconds,
                         "packets"};
  if (json) {
    std::string text;
    codecs::JsonWriter w(text);
    w.beginObject();
    writeCount(w, "devices", s.devices);
    writeCount(w, "loggedIn", s.loggedIn);
    writeCount(w, "sent", s.sent);
    writeCount(w, "resent", s.resent);
    writeCount(w, "acknowledged", s.acknowledged);
    writeCount(w, "rejected", s.rejected);
    writeCount(w, "refused", s.rejected);  // the word for the same packets (REJECT frames)
    writeCount(w, "outstanding", s.outstanding());
    writeCount(w, "reconnects", s.reconnects);
    writeTail(w, tail);
    w.endObject();
    out << text << '\n';
    return;
  }
  out << "devices: " << s.devices << '\n'
      << "logged in: " << s.loggedIn << '\n'
      << "sent: " << s.sent << '\n'
      << "resent: " << s.resent << '\n'
      << "acknowledged: " << s.acknowledged << '\n'
      << "rejected: " << s.rejected << " (refused by the gateway: invalid packets)\n"
      << "outstanding: " << s.outstanding() << '\n'
      << "reconnects: " << s.reconnects << '\n';
  printTail(out, tail);
}

}  // namespace dcgw::simulate
