// `dcgw simulate`: option parsing, the per-device uplink state machine and the one-thread epoll
// loop that runs thousands of them with paced, coalesced writes.
#include "gateway/simulate/simulator.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <memory>

#include "codecs/json.hpp"
#include "codecs/uplink/frame.hpp"
#include "gateway/control/validation.hpp"
#include "gateway/simulate/packet_mix.hpp"
#include "gateway/store/interfaces.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "gateway/uplink/auth.hpp"

namespace dcgw::simulate {
namespace {

namespace up = codecs::uplink;

// The device key of the demo device in etc/dcgw.json.
constexpr const char* kDemoKey = "40ccd56388dff07bad7dbbeb5a639cde018fd61ced5bfc5bc9c633396118a16e";

constexpr std::int64_t kReconnectFirstMs = 200;
constexpr std::int64_t kReconnectCapMs = 5000;
// The gateway gives up on a login after 10 s (LOGIN_TIMEOUT); a little later we give up too, in
// case the gateway is not there to say so (a connect into a black hole).
constexpr std::int64_t kLoginDeadlineUs = 15'000'000;
// With no device logged in this long (or by the time the run would have ended), the run ends:
// the gateway is down or refuses everyone.
constexpr std::int64_t kNoLoginGiveUpUs = 30'000'000;
constexpr std::int64_t kSweepEveryUs = 10'000;
constexpr int kDiagnosticsShown = 10;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kPoolSize = 4096;

const char* const kUsage =
    R"(usage: dcgw simulate [options]
  --host H (127.0.0.1)  --port P (7700)  --devices N (1)  --first-serial NUM (12345678)
  --key HEX (the demo key)  --rate R packets/s over all devices (10; 0 = only hold connections)
  --duration S (10)  --count N  --window W (64)  --invalid-every N  --drop-every N
  --connect-rate N (5000/s)  --drain S (10)  --registration R  --log FILE  --json
  --provision-db PATH --location NAME  --tls [--ca-file F] [--insecure]
)";

volatile std::sig_atomic_t gInterrupts = 0;
extern "C" void onInterrupt(int) {
  gInterrupts = gInterrupts + 1;
}

std::int64_t monotonicUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

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
        "--host",       "--port",         "--devices", "--first-serial", "--key",
        "--rate",       "--duration",     "--count",   "--window",       "--invalid-every",
        "--drop-every", "--connect-rate", "--drain",   "--registration", "--provision-db",
        "--location",   "--log",          "--ca-file"};
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

// ---------------------------------------------------------------------------------------------
// Outbox.

void Outbox::add(std::uint32_t sequence, std::uint32_t pool, bool invalid) {
  if (size_ == ring_.size()) {
    std::vector<Entry> bigger(ring_.empty() ? 16 : ring_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = at(i);
    ring_.swap(bigger);
    head_ = 0;
  }
  Entry& e = ring_[(head_ + size_) & (ring_.size() - 1)];
  e = Entry{};
  e.sequence = sequence;
  e.pool = pool;
  e.invalid = invalid;
  ++size_;
  ++live_;
}

Outbox::Entry* Outbox::nextUnsent() {
  // A packet rejected on an earlier connection is never resent: step over it.
  while (sent_ < size_ && at(sent_).rejected) ++sent_;
  return sent_ < size_ ? &at(sent_) : nullptr;
}

bool Outbox::hasUnsent() const {
  for (std::size_t i = sent_; i < size_; ++i)
    if (!at(i).rejected) return true;
  return false;
}

bool Outbox::markSent(std::int64_t nowUs) {
  Entry& e = at(sent_++);
  const bool resend = e.everSent;
  e.everSent = true;
  e.sentAtUs = nowUs;
  ++inFlight_;
  return resend;
}

const Outbox::Entry* Outbox::reject(std::uint32_t n) {
  for (std::size_t i = 0; i < sent_; ++i) {
    Entry& e = at(i);
    if (e.sequence > n) break;
    if (e.sequence == n && !e.rejected) {
      e.rejected = true;
      --inFlight_;
      --live_;
      return &e;
    }
  }
  return nullptr;
}

void Outbox::restart() {
  while (size_ > 0 && at(0).rejected) {
    head_ = (head_ + 1) & (ring_.size() - 1);
    --size_;
  }
  sent_ = 0;
  inFlight_ = 0;
}

// ---------------------------------------------------------------------------------------------
// Summary.

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

std::string fixed3(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}
}  // namespace

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
    count("refused", s.rejected);  // the issue's word for the same packets (REJECT frames)
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

// ---------------------------------------------------------------------------------------------
// The simulator.

namespace {

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};

enum class Link : std::uint8_t {
  Idle,            // not connected; reconnects at `deadlineUs`
  Queued,          // waiting for a connect token
  Connecting,      // TCP connect in progress
  Handshaking,     // TLS handshake in progress
  AwaitChallenge,  // HELLO sent
  AwaitWelcome,    // PROOF sent
  Ready,           // logged in
  Refused,         // UNKNOWN_DEVICE or WRONG_PROOF: never again in this run
};

struct Device {
  std::string serial;
  Link link{Link::Idle};
  int fd{-1};
  std::unique_ptr<SSL, SslFree> ssl;
  std::uint32_t events{0};      // the epoll mask registered
  std::uint32_t generation{0};  // bumped per close, so a frame loop notices its link is gone
  bool wantOut{false};          // a write would block: wait for EPOLLOUT
  bool dirty{false};            // has bytes to flush this iteration
  bool queuedToSend{false};     // in the round robin of devices that may take a new packet
  bool dropAfterFlush{false};   // --drop-every reached: reset once the frames are written
  bool sequenced{false};        // nextSequence was taken from the first WELCOME
  bool everLoggedIn{false};
  bool everAttempted{false};
  codecs::Bytes in;  // a partial frame carried over between reads
  codecs::Bytes out;
  std::size_t outPos{0};
  Outbox outbox;
  std::uint32_t nextSequence{1};
  std::uint64_t made{0};       // packets generated, for --invalid-every
  std::uint64_t newOnLink{0};  // new packets sent on this connection, for --drop-every
  std::uint32_t window{1};
  std::int64_t heartbeatUs{0};
  std::int64_t lastSendUs{0}, lastRecvUs{0}, heartbeatSentUs{0};
  std::int64_t deadlineUs{0};
  std::int64_t backoffMs{0};
  std::uint32_t poolOffset{0};
};

enum class Phase { Login, Sending, Draining, Done };

// Quiet after a failure (no TLS close_notify into a broken link), Reset for --drop-every,
// Graceful at the end of the run.
enum class Close { Quiet, Reset, Graceful };

class Simulator {
 public:
  Simulator(const Options& o, std::ostream& err) : o_(o), err_(err) {}
  ~Simulator() {
    for (Device& d : devices_) closeLink(d, Close::Quiet);
    if (ep_ >= 0) ::close(ep_);
    if (log_) std::fclose(log_);
  }

  // Everything that can fail before the first connection; returns an exit code or -1.
  int prepare();
  Summary run();

 private:
  void startConnect(std::uint32_t idx);
  void onEvent(std::uint32_t idx, std::uint32_t events);
  void onConnected(Device& d);
  void handshake(Device& d);
  void onReadable(Device& d);
  void ingest(Device& d, codecs::ByteView data);
  void onFrame(Device& d, const up::FrameView& f);
  void onWelcome(Device& d, const up::Welcome& w);
  void onError(Device& d, codecs::ByteView body);
  void sendOwed(Device& d);
  void newPacket(Device& d);
  void produce();
  void flush(Device& d);
  void flushDirty();
  void sweep();
  void startConnects();
  void updateEvents(Device& d);
  void markDirty(Device& d);
  void offerToSend(Device& d);
  bool canSendNew(Device& d) const;
  void closeLink(Device& d, Close how);
  void lost(Device& d, const std::string& why);  // close, count and reconnect with backoff
  void clientError(Device& d, const char* name, const std::string& why);
  void scheduleReconnect(Device& d);
  void queueConnect(Device& d);
  void stopSending();
  // The first few of a kind on err; the summary counts them all. ERROR frames have a budget
  // of their own, so a storm of refused connects does not hide what the gateway said.
  void diagnostic(const std::string& line, int& shown);
  void diagnostic(const std::string& line) { diagnostic(line, diagnostics_); }
  void writeLog(const Device& d, const Outbox::Entry& e, bool rejected);
  std::uint32_t indexOf(const Device& d) const {
    return static_cast<std::uint32_t>(&d - devices_.data());
  }

  const Options& o_;
  std::ostream& err_;
  std::unique_ptr<PacketMix> mix_;
  std::vector<Device> devices_;
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx_;
  bool hostIsAddress_{false};
  sockaddr_storage addr_{};
  socklen_t addrLen_{0};
  int ep_{-1};
  std::FILE* log_{nullptr};
  std::string logLine_;
  std::vector<std::uint8_t> scratch_ = std::vector<std::uint8_t>(kReadChunk);

  Phase phase_{Phase::Login};
  std::int64_t now_{0}, startUs_{0}, sendStartUs_{0}, sendEndUs_{0}, drainUntilUs_{0};
  std::int64_t lastAckUs_{0}, lastRefillUs_{0}, lastConnectRefillUs_{0}, nextSweepUs_{0};
  double tokens_{0}, connectTokens_{0};
  std::deque<std::uint32_t> connectQueue_, sendQueue_;
  std::vector<std::uint32_t> dirty_;
  std::vector<std::uint32_t> latencies_;
  std::uint64_t loggedIn_{0}, sent_{0}, resent_{0}, acknowledged_{0}, rejected_{0};
  std::uint64_t reconnects_{0}, refused_{0};
  std::array<std::uint64_t, 256> errorCodes_{};
  std::map<std::string, std::uint64_t> clientErrors_;
  int diagnostics_{0}, errorDiagnostics_{0};
};

int Simulator::prepare() {
  // One descriptor per device: take all the kernel allows this process.
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < o_.devices + 64u)
    err_ << "dcgw simulate: warning: the file descriptor limit (" << rl.rlim_cur
         << ") is below the " << o_.devices << " connections asked for\n";

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(o_.host.c_str(), std::to_string(o_.port).c_str(), &hints, &res);
      rc != 0 || !res) {
    err_ << "dcgw simulate: --host: cannot resolve '" << o_.host << "': " << ::gai_strerror(rc)
         << '\n';
    return 2;
  }
  std::memcpy(&addr_, res->ai_addr, res->ai_addrlen);
  addrLen_ = static_cast<socklen_t>(res->ai_addrlen);
  ::freeaddrinfo(res);
  {
    in6_addr probe{};
    hostIsAddress_ = ::inet_pton(AF_INET, o_.host.c_str(), &probe) == 1 ||
                     ::inet_pton(AF_INET6, o_.host.c_str(), &probe) == 1;
  }

  if (o_.tls) {
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx_) {
      err_ << "dcgw simulate: cannot create an OpenSSL context\n";
      return 1;
    }
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    // Partial writes: a big coalesced buffer goes out as far as the socket takes it. Released
    // buffers: ten thousand idle TLS connections would otherwise hold 34 KiB each.
    SSL_CTX_set_mode(ctx_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE |
                                     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                     SSL_MODE_RELEASE_BUFFERS);
    if (o_.insecure) {
      SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);
    } else {
      if (!o_.caFile.empty()) {
        if (SSL_CTX_load_verify_locations(ctx_.get(), o_.caFile.c_str(), nullptr) != 1) {
          err_ << "dcgw simulate: --ca-file: cannot load CA certificates from '" << o_.caFile
               << "'\n";
          return 2;
        }
      } else {
        SSL_CTX_set_default_verify_paths(ctx_.get());
      }
      SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    }
  }

  if (!o_.provisionDb.empty()) {
    try {
      // Provisioning is set-up, not the measured path: no fsync per device.
      store::SqliteStore store(o_.provisionDb, store::Durability::Normal);
      std::optional<std::int64_t> locationId;
      std::string known;
      for (const auto& l : store.locations()) {
        if (l.name == o_.location) locationId = l.id;
        known += (known.empty() ? "" : ", ") + l.name;
      }
      if (!locationId) {
        err_ << "dcgw simulate: --location: no location '" << o_.location << "' in "
             << o_.provisionDb << " (it has: " << (known.empty() ? "none" : known) << ")\n";
        return 2;
      }
      // One transaction for all of them: thousands of devices, one commit.
      auto tx = store.begin();
      for (std::uint32_t i = 0; i < o_.devices; ++i) {
        store::DeviceConfig dc;
        dc.serial = std::to_string(o_.firstSerial + i);
        dc.locationId = locationId;
        dc.registration = o_.registration;
        dc.key = o_.key;
        codecs::Status valid = control::validateDevice(dc);
        if (auto s = valid ? tx->upsertDevice(dc) : store::Status(store::invalid("", ""));
            !valid || !s) {
          err_ << "dcgw simulate: cannot provision device " << dc.serial << ": "
               << (valid ? s.error().field + ": " + s.error().message : valid.error().message())
               << '\n';
          return 1;
        }
      }
      tx->commit();
    } catch (const std::exception& e) {
      err_ << "dcgw simulate: --provision-db " << o_.provisionDb << ": " << e.what() << '\n';
      return 1;
    }
  }

  if (!o_.logFile.empty()) {
    log_ = std::fopen(o_.logFile.c_str(), "a");
    if (!log_) {
      err_ << "dcgw simulate: --log: cannot open '" << o_.logFile << "': " << std::strerror(errno)
           << '\n';
      return 2;
    }
    std::setvbuf(log_, nullptr, _IOFBF, 1 << 20);
  }

  MixSettings mix;
  mix.poolSize = kPoolSize;
  mix_ = std::make_unique<PacketMix>(mix);

  ep_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep_ < 0) {
    err_ << "dcgw simulate: epoll_create1: " << std::strerror(errno) << '\n';
    return 1;
  }
  devices_.resize(o_.devices);
  for (std::uint32_t i = 0; i < o_.devices; ++i) {
    devices_[i].serial = std::to_string(o_.firstSerial + i);
    // Spread the devices over the pool so they are not all at the same point of the drive.
    devices_[i].poolOffset =
        static_cast<std::uint32_t>((std::uint64_t{i} * 2654435761u) % mix_->size());
  }
  std::uint64_t expected = o_.count ? *o_.count : 0;
  if (!o_.count || o_.durationGiven)
    expected = std::max<std::uint64_t>(
        expected, static_cast<std::uint64_t>(o_.rate * std::max(1.0, o_.durationSeconds)));
  latencies_.reserve(std::min<std::uint64_t>(expected + 1024, std::uint64_t{1} << 22));
  return -1;
}

void Simulator::diagnostic(const std::string& line, int& shown) {
  if (shown == kDiagnosticsShown)
    err_ << "dcgw simulate: (further ones of this kind are only counted)\n";
  if (shown++ < kDiagnosticsShown) err_ << "dcgw simulate: " << line << '\n';
}

void Simulator::queueConnect(Device& d) {
  d.link = Link::Queued;
  connectQueue_.push_back(indexOf(d));
}

void Simulator::scheduleReconnect(Device& d) {
  d.link = Link::Idle;
  // While draining, only a device that still owes packets needs its link back.
  if (phase_ == Phase::Done || (phase_ == Phase::Draining && d.outbox.live() == 0)) return;
  d.backoffMs = d.backoffMs == 0 ? kReconnectFirstMs : std::min(d.backoffMs * 2, kReconnectCapMs);
  d.deadlineUs = now_ + d.backoffMs * 1000;
}

void Simulator::closeLink(Device& d, Close how) {
  if (d.fd >= 0) {
    if (how == Close::Reset) {
      // SO_LINGER 0: close() sends RST, as a tracker losing power or its radio link would.
      linger l{1, 0};
      ::setsockopt(d.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    } else if (how == Close::Graceful && d.ssl && d.link >= Link::AwaitChallenge) {
      SSL_shutdown(d.ssl.get());  // one try: a close_notify if the socket takes it
    }
    d.ssl.reset();
    ::close(d.fd);  // also leaves the epoll set
    d.fd = -1;
  }
  ++d.generation;
  d.events = 0;
  d.in.clear();
  d.out.clear();
  d.outPos = 0;
  d.wantOut = false;
  d.dropAfterFlush = false;
  d.newOnLink = 0;
  d.heartbeatSentUs = 0;
  d.outbox.restart();
  if (d.link != Link::Refused) d.link = Link::Idle;
}

void Simulator::lost(Device& d, const std::string& why) {
  if (d.link == Link::Ready || d.link == Link::AwaitWelcome)
    diagnostic("device " + d.serial + ": " + why);
  closeLink(d, Close::Quiet);
  scheduleReconnect(d);
}

void Simulator::clientError(Device& d, const char* name, const std::string& why) {
  ++clientErrors_[name];
  diagnostic("device " + d.serial + ": " + name + ": " + why);
  closeLink(d, Close::Quiet);
  scheduleReconnect(d);
}

void Simulator::startConnect(std::uint32_t idx) {
  Device& d = devices_[idx];
  if (d.everAttempted) ++reconnects_;
  d.everAttempted = true;
  int fd = ::socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    diagnostic("socket: " + std::string(std::strerror(errno)));
    scheduleReconnect(d);
    return;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr_), addrLen_);
  if (rc < 0 && errno != EINPROGRESS) {
    const int e = errno;
    ::close(fd);
    ++clientErrors_["CONNECT_FAILED"];
    diagnostic("device " + d.serial + ": connect: " + std::strerror(e));
    scheduleReconnect(d);
    return;
  }
  d.fd = fd;
  d.link = Link::Connecting;
  d.deadlineUs = now_ + kLoginDeadlineUs;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.u32 = idx;
  if (::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    clientError(d, "CONNECT_FAILED", std::string("epoll_ctl: ") + std::strerror(errno));
    return;
  }
  d.events = ev.events;
  if (rc == 0) onConnected(d);
}

void Simulator::updateEvents(Device& d) {
  if (d.fd < 0) return;
  std::uint32_t want = EPOLLIN;
  if (d.link == Link::Connecting || d.wantOut) want |= EPOLLOUT;
  if (want == d.events) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u32 = indexOf(d);
  ::epoll_ctl(ep_, EPOLL_CTL_MOD, d.fd, &ev);
  d.events = want;
}

void Simulator::markDirty(Device& d) {
  if (d.dirty) return;
  d.dirty = true;
  dirty_.push_back(indexOf(d));
}

void Simulator::onConnected(Device& d) {
  int soError = 0;
  socklen_t len = sizeof soError;
  ::getsockopt(d.fd, SOL_SOCKET, SO_ERROR, &soError, &len);
  if (soError != 0) {
    ++clientErrors_["CONNECT_FAILED"];
    diagnostic("device " + d.serial + ": connect: " + std::strerror(soError));
    closeLink(d, Close::Quiet);
    scheduleReconnect(d);
    return;
  }
  if (!o_.tls) {
    up::appendHello(d.out, d.serial);
    d.link = Link::AwaitChallenge;
    markDirty(d);
    updateEvents(d);
    return;
  }
  d.ssl.reset(SSL_new(ctx_.get()));
  if (!d.ssl || SSL_set_fd(d.ssl.get(), d.fd) != 1) {
    clientError(d, "TLS_FAILED", "SSL_new");
    return;
  }
  if (!hostIsAddress_) SSL_set_tlsext_host_name(d.ssl.get(), o_.host.c_str());
  if (!o_.insecure) {
    if (hostIsAddress_) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(d.ssl.get()), o_.host.c_str());
    } else {
      SSL_set1_host(d.ssl.get(), o_.host.c_str());
    }
  }
  SSL_set_connect_state(d.ssl.get());
  d.link = Link::Handshaking;
  handshake(d);
}

void Simulator::handshake(Device& d) {
  ERR_clear_error();
  int rc = SSL_connect(d.ssl.get());
  if (rc == 1) {
    d.wantOut = false;
    up::appendHello(d.out, d.serial);
    d.link = Link::AwaitChallenge;
    markDirty(d);
    updateEvents(d);
    return;
  }
  int e = SSL_get_error(d.ssl.get(), rc);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    d.wantOut = e == SSL_ERROR_WANT_WRITE;
    updateEvents(d);
    return;
  }
  std::string why;
  if (long v = SSL_get_verify_result(d.ssl.get()); v != X509_V_OK) {
    why = std::string("certificate: ") + X509_verify_cert_error_string(v);
  } else if (unsigned long code = ERR_get_error(); code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    why = buf;
  } else {
    why = "the connection closed during the handshake";
  }
  clientError(d, "TLS_HANDSHAKE_FAILED", why);
}

void Simulator::onEvent(std::uint32_t idx, std::uint32_t events) {
  Device& d = devices_[idx];
  if (d.fd < 0) return;  // closed earlier in this batch
  if (d.link == Link::Connecting) {
    onConnected(d);
    return;
  }
  if (d.link == Link::Handshaking) {
    handshake(d);
    return;
  }
  const std::uint32_t generation = d.generation;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) onReadable(d);
  if (d.generation != generation) return;
  if ((events & EPOLLOUT) || d.ssl) flush(d);
}

void Simulator::onReadable(Device& d) {
  const std::uint32_t generation = d.generation;
  // Plain TCP: a few chunks, then the others get their turn (epoll reports the rest again).
  // TLS: until OpenSSL wants more bytes, because what it already decrypted and buffered would
  // never be reported by epoll.
  for (int round = 0; d.ssl || round < 4; ++round) {
    std::size_t got = 0;
    if (d.ssl) {
      ERR_clear_error();
      int rc = SSL_read(d.ssl.get(), scratch_.data(), static_cast<int>(scratch_.size()));
      if (rc <= 0) {
        int e = SSL_get_error(d.ssl.get(), rc);
        if (e == SSL_ERROR_WANT_READ) return;
        if (e == SSL_ERROR_WANT_WRITE) {
          d.wantOut = true;
          updateEvents(d);
          return;
        }
        lost(d,
             e == SSL_ERROR_ZERO_RETURN ? "the gateway closed the connection" : "TLS read failed");
        return;
      }
      got = static_cast<std::size_t>(rc);
    } else {
      ssize_t n = ::recv(d.fd, scratch_.data(), scratch_.size(), 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR) continue;
        lost(d, std::string("receive: ") + std::strerror(errno));
        return;
      }
      if (n == 0) {
        lost(d, "the gateway closed the connection");
        return;
      }
      got = static_cast<std::size_t>(n);
    }
    d.lastRecvUs = now_;
    ingest(d, codecs::ByteView(scratch_.data(), got));
    if (d.generation != generation) return;
    if (!d.ssl && got < scratch_.size()) return;  // the socket is empty: save a recv
  }
}

void Simulator::ingest(Device& d, codecs::ByteView data) {
  const std::uint32_t generation = d.generation;
  const bool carried = !d.in.empty();
  if (carried) d.in.insert(d.in.end(), data.begin(), data.end());
  codecs::ByteView view = carried ? codecs::ByteView(d.in) : data;
  std::size_t used = 0;
  while (used < view.size()) {
    up::ScanResult r = up::scanFrame(view.subspan(used));
    if (r.scan == up::Scan::NeedMore) break;
    if (r.scan == up::Scan::Bad) {
      clientError(d, "PROTOCOL_VIOLATION", "a bad frame from the gateway: " + r.reason);
      return;
    }
    onFrame(d, r.frame);
    if (d.generation != generation) return;
    used += r.frameBytes;
  }
  if (carried) {
    d.in.erase(d.in.begin(), d.in.begin() + static_cast<std::ptrdiff_t>(used));
  } else {
    d.in.assign(view.begin() + static_cast<std::ptrdiff_t>(used), view.end());
  }
}

void Simulator::onFrame(Device& d, const up::FrameView& f) {
  const auto kind = static_cast<up::Kind>(f.kind);
  if (kind == up::Kind::Error) {
    onError(d, f.body);
    return;
  }
  if (kind == up::Kind::Heartbeat) return;  // its arrival (lastRecvUs) is the answer
  auto unexpected = [&] {
    clientError(d, "PROTOCOL_VIOLATION",
                std::string("unexpected ") + up::kindName(f.kind) + " from the gateway");
  };
  switch (d.link) {
    case Link::AwaitChallenge: {
      if (kind != up::Kind::Challenge) return unexpected();
      auto nonce = up::parseChallenge(f.body);
      if (!nonce) return clientError(d, "PROTOCOL_VIOLATION", nonce.error().message());
      uplink::Proof proof = uplink::computeProof(o_.key, *nonce, d.serial);
      up::appendProof(d.out, proof);
      d.link = Link::AwaitWelcome;
      markDirty(d);
      return;
    }
    case Link::AwaitWelcome: {
      if (kind != up::Kind::Welcome) return unexpected();
      auto w = up::parseWelcome(f.body);
      if (!w) return clientError(d, "PROTOCOL_VIOLATION", w.error().message());
      onWelcome(d, *w);
      return;
    }
    case Link::Ready:
      if (kind == up::Kind::Ack) {
        auto n = up::parseAck(f.body);
        if (!n) return clientError(d, "PROTOCOL_VIOLATION", n.error().message());
        d.outbox.ack(*n, [&](const Outbox::Entry& e) {
          ++acknowledged_;
          const std::int64_t us = now_ - e.sentAtUs;
          latencies_.push_back(static_cast<std::uint32_t>(
              std::clamp<std::int64_t>(us, 0, std::numeric_limits<std::uint32_t>::max())));
          if (log_) writeLog(d, e, false);
        });
        lastAckUs_ = now_;
      } else if (kind == up::Kind::Reject) {
        auto r = up::parseReject(f.body);
        if (!r) return clientError(d, "PROTOCOL_VIOLATION", r.error().message());
        if (const Outbox::Entry* e = d.outbox.reject(r->sequence)) {
          ++rejected_;
          if (log_) writeLog(d, *e, true);
        }
      } else {
        return unexpected();
      }
      sendOwed(d);
      offerToSend(d);
      return;
    default:
      return unexpected();
  }
}

void Simulator::onWelcome(Device& d, const up::Welcome& w) {
  d.window = std::min<std::uint32_t>(o_.window, w.window);
  d.heartbeatUs = std::int64_t{w.heartbeatSeconds} * 1'000'000;
  if (!d.sequenced) {
    // The gateway says where this device stands: continue after its last stored packet.
    d.nextSequence = w.lastSequence + 1 == 0 ? 1 : w.lastSequence + 1;
    d.sequenced = true;
  }
  if (!d.everLoggedIn) {
    d.everLoggedIn = true;
    ++loggedIn_;
  }
  d.backoffMs = 0;
  d.link = Link::Ready;
  d.newOnLink = 0;
  d.heartbeatSentUs = 0;
  if (phase_ == Phase::Login) {
    phase_ = Phase::Sending;
    sendStartUs_ = now_;
    lastRefillUs_ = now_;
  }
  sendOwed(d);
  offerToSend(d);
}

void Simulator::onError(Device& d, codecs::ByteView body) {
  auto e = up::parseError(body);
  if (!e) return clientError(d, "PROTOCOL_VIOLATION", e.error().message());
  ++errorCodes_[e->code];
  diagnostic("device " + d.serial + ": ERROR " + up::errorCodeName(e->code) + ": " + e->text,
             errorDiagnostics_);
  const auto code = static_cast<up::ErrorCode>(e->code);
  if (code == up::ErrorCode::NotSupported) return;
  closeLink(d, Close::Quiet);
  if (code == up::ErrorCode::UnknownDevice || code == up::ErrorCode::WrongProof) {
    // Only a change of configuration would help: this device is done for the run.
    d.link = Link::Refused;
    ++refused_;
    return;
  }
  scheduleReconnect(d);
}

bool Simulator::canSendNew(Device& d) const {
  return d.link == Link::Ready && !d.dropAfterFlush && d.outbox.inFlight() < d.window &&
         !d.outbox.hasUnsent();
}

void Simulator::offerToSend(Device& d) {
  if (d.queuedToSend || phase_ != Phase::Sending || o_.rate <= 0 || !canSendNew(d)) return;
  d.queuedToSend = true;
  sendQueue_.push_back(indexOf(d));
}

// Sends what the device owes on this link (resends first, in order) as far as the window goes.
void Simulator::sendOwed(Device& d) {
  if (d.link != Link::Ready) return;
  bool any = false;
  while (d.outbox.inFlight() < d.window) {
    Outbox::Entry* e = d.outbox.nextUnsent();
    if (!e) break;
    codecs::ByteView p = e->invalid ? mix_->invalidPacket(e->pool) : mix_->packet(e->pool);
    up::appendPacket(d.out, e->sequence, o_.registration, p);
    if (d.outbox.markSent(now_)) ++resent_;
    any = true;
  }
  if (any) markDirty(d);
}

void Simulator::newPacket(Device& d) {
  const std::uint32_t sequence = d.nextSequence;
  d.nextSequence = d.nextSequence == UINT32_MAX ? 1 : d.nextSequence + 1;
  const std::uint64_t n = ++d.made;
  d.outbox.add(sequence, static_cast<std::uint32_t>((d.poolOffset + n) % mix_->size()),
               isInvalidPacket(n, o_.invalidEvery));
  ++sent_;
  sendOwed(d);
  if (o_.dropEvery != 0 && ++d.newOnLink % o_.dropEvery == 0) d.dropAfterFlush = true;
}

void Simulator::produce() {
  const double elapsed = static_cast<double>(now_ - lastRefillUs_) / 1e6;
  lastRefillUs_ = now_;
  // A tenth of a second of credit at most: a stall is not made up by a burst beyond that.
  tokens_ = std::min(tokens_ + o_.rate * elapsed, std::max(1.0, o_.rate / 10));
  while (tokens_ >= 1 && !sendQueue_.empty()) {
    if (o_.count && sent_ >= *o_.count) break;
    const std::uint32_t idx = sendQueue_.front();
    sendQueue_.pop_front();
    Device& d = devices_[idx];
    d.queuedToSend = false;
    if (!canSendNew(d)) continue;
    newPacket(d);
    tokens_ -= 1;
    offerToSend(d);
  }
}

void Simulator::flush(Device& d) {
  if (d.fd < 0 || d.link < Link::AwaitChallenge) return;
  d.wantOut = false;
  while (d.outPos < d.out.size()) {
    const std::uint8_t* p = d.out.data() + d.outPos;
    const std::size_t left = d.out.size() - d.outPos;
    std::size_t wrote = 0;
    if (d.ssl) {
      ERR_clear_error();
      int rc = SSL_write(d.ssl.get(), p, static_cast<int>(std::min<std::size_t>(left, 1 << 30)));
      if (rc <= 0) {
        int e = SSL_get_error(d.ssl.get(), rc);
        if (e == SSL_ERROR_WANT_WRITE) {
          d.wantOut = true;
          break;
        }
        if (e == SSL_ERROR_WANT_READ) break;
        lost(d, "TLS write failed");
        return;
      }
      wrote = static_cast<std::size_t>(rc);
    } else {
      ssize_t n = ::send(d.fd, p, left, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          d.wantOut = true;
          break;
        }
        if (errno == EINTR) continue;
        lost(d, std::string("send: ") + std::strerror(errno));
        return;
      }
      wrote = static_cast<std::size_t>(n);
    }
    d.outPos += wrote;
    d.lastSendUs = now_;
  }
  if (d.outPos == d.out.size()) {
    d.out.clear();
    d.outPos = 0;
    if (d.dropAfterFlush) {
      // --drop-every: reset now and come straight back, as a tracker whose link flapped.
      closeLink(d, Close::Reset);
      if (phase_ != Phase::Done) queueConnect(d);
      return;
    }
  } else if (d.outPos > (1u << 16) && d.outPos * 2 > d.out.size()) {
    d.out.erase(d.out.begin(), d.out.begin() + static_cast<std::ptrdiff_t>(d.outPos));
    d.outPos = 0;
  }
  updateEvents(d);
}

void Simulator::flushDirty() {
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    Device& d = devices_[dirty_[i]];
    d.dirty = false;
    flush(d);
  }
  dirty_.clear();
}

void Simulator::sweep() {
  for (Device& d : devices_) {
    switch (d.link) {
      case Link::Idle:
        if (d.deadlineUs <= now_ && phase_ != Phase::Done &&
            !(phase_ == Phase::Draining && d.outbox.live() == 0))
          queueConnect(d);
        break;
      case Link::Connecting:
      case Link::Handshaking:
      case Link::AwaitChallenge:
      case Link::AwaitWelcome:
        if (now_ > d.deadlineUs)
          clientError(d, "LOGIN_NO_REPLY", "no WELCOME within 15 s of connecting");
        break;
      case Link::Ready:
        if (d.heartbeatUs <= 0) break;
        if (d.heartbeatSentUs != 0) {
          if (d.lastRecvUs >= d.heartbeatSentUs) {
            d.heartbeatSentUs = 0;
          } else if (now_ - d.heartbeatSentUs > d.heartbeatUs) {
            clientError(d, "HEARTBEAT_NO_REPLY", "no answer to a HEARTBEAT: the link is dead");
            break;
          }
        }
        if (d.heartbeatSentUs == 0 && now_ - d.lastSendUs >= d.heartbeatUs) {
          up::appendHeartbeat(d.out);
          d.heartbeatSentUs = now_;
          markDirty(d);
        }
        break;
      default:
        break;
    }
  }
}

void Simulator::startConnects() {
  if (connectQueue_.empty()) {
    lastConnectRefillUs_ = now_;
    return;
  }
  const double elapsed = static_cast<double>(now_ - lastConnectRefillUs_) / 1e6;
  lastConnectRefillUs_ = now_;
  connectTokens_ =
      std::min(connectTokens_ + o_.connectRate * elapsed, std::max(1.0, o_.connectRate / 50));
  while (connectTokens_ >= 1 && !connectQueue_.empty()) {
    const std::uint32_t idx = connectQueue_.front();
    connectQueue_.pop_front();
    if (devices_[idx].link != Link::Queued) continue;
    connectTokens_ -= 1;
    startConnect(idx);
  }
}

void Simulator::stopSending() {
  phase_ = Phase::Draining;
  sendEndUs_ = now_;
  drainUntilUs_ = now_ + static_cast<std::int64_t>(o_.drainSeconds * 1e6);
  sendQueue_.clear();
  for (Device& d : devices_) d.queuedToSend = false;
}

void Simulator::writeLog(const Device& d, const Outbox::Entry& e, bool rejected) {
  static constexpr char kHex[] = "0123456789abcdef";
  codecs::ByteView p = e.invalid ? mix_->invalidPacket(e.pool) : mix_->packet(e.pool);
  logLine_.clear();
  logLine_ += d.serial;
  logLine_ += ' ';
  char num[16];
  auto r = std::to_chars(num, num + sizeof num, e.sequence);
  logLine_.append(num, r.ptr);
  logLine_ += ' ';
  for (std::uint8_t b : p) {
    logLine_ += kHex[b >> 4];
    logLine_ += kHex[b & 15];
  }
  if (rejected) logLine_ += " rejected";
  logLine_ += '\n';
  std::fwrite(logLine_.data(), 1, logLine_.size(), log_);
}

Summary Simulator::run() {
  now_ = startUs_ = monotonicUs();
  lastConnectRefillUs_ = now_;
  for (Device& d : devices_) queueConnect(d);
  std::array<epoll_event, 1024> events;
  int interruptsSeen = 0;
  while (phase_ != Phase::Done) {
    const bool busy =
        (phase_ == Phase::Sending && o_.rate > 0) || !connectQueue_.empty() || !dirty_.empty();
    int timeout =
        busy ? 1
             : static_cast<int>(std::clamp<std::int64_t>((nextSweepUs_ - now_) / 1000 + 1, 1, 10));
    int n = ::epoll_wait(ep_, events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0 && errno != EINTR) {
      err_ << "dcgw simulate: epoll_wait: " << std::strerror(errno) << '\n';
      break;
    }
    now_ = monotonicUs();
    for (int i = 0; i < n; ++i) onEvent(events[i].data.u32, events[i].events);
    now_ = monotonicUs();

    if (gInterrupts != interruptsSeen) {
      interruptsSeen = gInterrupts;
      // The first Ctrl-C stops sending and drains; the second ends the run at once.
      if (interruptsSeen >= 2 || phase_ != Phase::Sending) {
        phase_ = Phase::Done;
        if (sendEndUs_ == 0) sendEndUs_ = now_;
        break;
      }
      stopSending();
    }
    if (now_ >= nextSweepUs_) {
      sweep();
      nextSweepUs_ = now_ + kSweepEveryUs;
    }
    startConnects();

    const bool allRefused = refused_ == devices_.size();
    if (phase_ == Phase::Login) {
      std::int64_t giveUpUs = kNoLoginGiveUpUs;
      if (o_.durationGiven || !o_.count)
        giveUpUs = std::min(
            giveUpUs, static_cast<std::int64_t>((o_.durationSeconds + o_.drainSeconds) * 1e6));
      if (allRefused || now_ - startUs_ > giveUpUs) {
        if (!allRefused)
          err_ << "dcgw simulate: no device logged in within " << fixed3(giveUpUs / 1e6)
               << " s: giving up\n";
        phase_ = Phase::Done;
        sendStartUs_ = sendEndUs_ = now_;
        break;
      }
    }
    if (phase_ == Phase::Sending) {
      const bool timeUp =
          (o_.durationGiven || !o_.count) &&
          now_ - sendStartUs_ >= static_cast<std::int64_t>(o_.durationSeconds * 1e6);
      const bool countDone = o_.count && sent_ >= *o_.count;
      if (timeUp || countDone || allRefused) {
        stopSending();
      } else if (o_.rate > 0) {
        produce();
      }
    }
    flushDirty();
    if (phase_ == Phase::Draining) {
      const std::uint64_t done = acknowledged_ + rejected_;
      if (done >= sent_ || now_ >= drainUntilUs_) phase_ = Phase::Done;
    }
  }
  for (Device& d : devices_) closeLink(d, Close::Graceful);
  if (log_) std::fflush(log_);

  Summary s;
  s.devices = devices_.size();
  s.loggedIn = loggedIn_;
  s.sent = sent_;
  s.resent = resent_;
  s.acknowledged = acknowledged_;
  s.rejected = rejected_;
  s.reconnects = reconnects_;
  for (std::size_t code = 0; code < errorCodes_.size(); ++code)
    if (errorCodes_[code] != 0)
      s.errors[up::errorCodeName(static_cast<std::uint8_t>(code))] += errorCodes_[code];
  for (const auto& [name, count] : clientErrors_) s.errors[name] += count;
  s.p50Ms = percentileMs(latencies_, 50);
  s.p99Ms = percentileMs(latencies_, 99);
  s.maxMs =
      latencies_.empty() ? 0 : *std::max_element(latencies_.begin(), latencies_.end()) / 1000.0;
  if (sendStartUs_ != 0) {
    const std::int64_t end = std::max(sendEndUs_, lastAckUs_);
    s.seconds = static_cast<double>(end - sendStartUs_) / 1e6;
  }
  return s;
}

// Installs the handlers of a run and puts the previous ones back after it.
class SignalScope {
 public:
  SignalScope() {
    struct sigaction sa {};
    sa.sa_handler = onInterrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &oldInt_);
    ::sigaction(SIGTERM, &sa, &oldTerm_);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    // A TLS write to a reset connection would raise SIGPIPE (send() has MSG_NOSIGNAL).
    ::sigaction(SIGPIPE, &ignore, &oldPipe_);
    gInterrupts = 0;
  }
  ~SignalScope() {
    ::sigaction(SIGINT, &oldInt_, nullptr);
    ::sigaction(SIGTERM, &oldTerm_, nullptr);
    ::sigaction(SIGPIPE, &oldPipe_, nullptr);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

 private:
  struct sigaction oldInt_ {
  }, oldTerm_{}, oldPipe_{};
};

}  // namespace

int runSimulate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto options = parseOptions(args);
  if (!options) {
    err << "dcgw simulate: " << options.error().field << ": " << options.error().expected << '\n';
    return 2;
  }
  if (options->help) {
    out << kUsage;
    return 0;
  }
  Summary s;
  {
    Simulator sim(*options, err);
    if (int rc = sim.prepare(); rc >= 0) return rc;
    SignalScope signals;
    s = sim.run();
  }
  printSummary(s, options->json, out);
  out.flush();
  return s.outstanding() == 0 && s.loggedIn == s.devices ? 0 : 1;
}

}  // namespace dcgw::simulate
