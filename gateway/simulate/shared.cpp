// What the uplink and the Teltonika simulators share: option parsing, pacing, the link set-up
// and the latency part of the summary (shared.hpp).
#include "gateway/simulate/shared.hpp"

#include <netdb.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "gateway/simulate/simulator.hpp"

namespace dcgw::simulate {

codecs::Error optionError(const std::string& option, std::string expected) {
  return codecs::makeError(option, 0, std::move(expected));
}

codecs::Error badValue(const std::string& option, const std::string& value,
                       const std::string& what) {
  return optionError(option, "needs " + what + ", not '" + value + "'");
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

codecs::Status forEachOption(const std::vector<std::string>& args,
                             std::initializer_list<std::string_view> flags,
                             std::initializer_list<std::string_view> valued,
                             const std::string& helpCommand, const TakeOption& take) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string value;
    if (std::find(flags.begin(), flags.end(), a) == flags.end()) {
      if (std::find(valued.begin(), valued.end(), a) == valued.end())
        return optionError(a, "unknown option (see " + helpCommand + ")");
      if (i + 1 >= args.size()) return optionError(a, "needs a value");
      value = args[++i];
    }
    if (auto s = take(a, value); !s) return s;
  }
  return codecs::Ok{};
}

std::int64_t monotonicUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

void Pacer::refill(std::int64_t nowUs) {
  const double elapsed = static_cast<double>(nowUs - lastUs_) / 1e6;
  lastUs_ = nowUs;
  tokens_ = std::min(tokens_ + rate_ * elapsed, std::max(1.0, rate_ * burstSeconds_));
}

void startQueued(std::deque<std::uint32_t>& queue, Pacer& connects, std::int64_t nowUs,
                 const std::function<bool(std::uint32_t)>& start) {
  if (queue.empty()) {
    connects.restart(nowUs);
    return;
  }
  connects.refill(nowUs);
  while (connects.ready() && !queue.empty()) {
    const std::uint32_t idx = queue.front();
    queue.pop_front();
    if (start(idx)) connects.spend();
  }
}

std::int64_t loginGiveUpUs(bool timed, double durationSeconds, double drainSeconds) {
  constexpr std::int64_t kNoLoginGiveUpUs = 30'000'000;
  if (!timed) return kNoLoginGiveUpUs;
  return std::min(kNoLoginGiveUpUs,
                  static_cast<std::int64_t>((durationSeconds + drainSeconds) * 1e6));
}

std::uint64_t raiseFileLimit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  return static_cast<std::uint64_t>(rl.rlim_cur);
}

int resolveHost(const std::string& host, std::uint16_t port, int socketType, sockaddr_storage& addr,
                socklen_t& addrLen, std::ostream& err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socketType;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
      rc != 0 || !res) {
    err << "dcgw simulate: --host: cannot resolve '" << host << "': " << ::gai_strerror(rc) << '\n';
    return 2;
  }
  std::memcpy(&addr, res->ai_addr, res->ai_addrlen);
  addrLen = static_cast<socklen_t>(res->ai_addrlen);
  ::freeaddrinfo(res);
  return -1;
}

std::FILE* openLog(const std::string& path, std::ostream& err) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f)
    err << "dcgw simulate: --log: cannot open '" << path << "': " << std::strerror(errno) << '\n';
  return f;
}

std::string fixed3(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

double round3(double v) {
  return std::round(v * 1000.0) / 1000.0;
}

LatencyMs latencyMs(std::vector<std::uint32_t>& micros) {
  LatencyMs l;
  l.p50 = percentileMs(micros, 50);
  l.p95 = percentileMs(micros, 95);
  l.p99 = percentileMs(micros, 99);
  l.max = micros.empty() ? 0 : *std::max_element(micros.begin(), micros.end()) / 1000.0;
  return l;
}

void writeCount(codecs::JsonWriter& w, const char* key, std::uint64_t v) {
  w.key(key);
  w.integer(static_cast<std::int64_t>(v));
}

void writeTail(codecs::JsonWriter& w, const SummaryTail& t) {
  w.key("errors");
  w.beginObject();
  for (const auto& [name, n] : t.errors) writeCount(w, name.c_str(), n);
  w.endObject();
  w.key("latencyMs");
  w.beginObject();
  for (const auto& [name, ms] : t.latencyMs) {
    w.key(name);
    w.number(round3(ms));
  }
  w.endObject();
  w.key("ackRate");
  w.number(std::round(t.ackRate * 10) / 10);
  w.key("seconds");
  w.number(round3(t.seconds));
}

void printTail(std::ostream& out, const SummaryTail& t) {
  std::string errors;
  for (const auto& [name, n] : t.errors)
    errors += (errors.empty() ? "" : ", ") + name + " " + std::to_string(n);
  std::string latency;
  for (const auto& [name, ms] : t.latencyMs)
    latency += (latency.empty() ? "" : ", ") + std::string(name) + " " + fixed3(ms) + " ms";
  out << "errors: " << (errors.empty() ? "none" : errors) << '\n'
      << "ack latency: " << latency << '\n'
      << "ack rate: " << fixed3(t.ackRate) << ' ' << t.unit << "/s over " << fixed3(t.seconds)
      << " s\n";
}

}  // namespace dcgw::simulate
