// `dcgw simulate`: the one-thread epoll loop that runs thousands of devices with paced,
// coalesced writes, from set-up to the summary.
#include "gateway/simulate/simulator.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "codecs/uplink/frame.hpp"
#include "gateway/simulate/packet_mix.hpp"
#include "gateway/simulate/simulator_internal.hpp"
#include "gateway/simulate/teltonika.hpp"

namespace dcgw::simulate {
namespace {

constexpr std::int64_t kSweepEveryUs = 10'000;
constexpr int kDiagnosticsShown = 10;
constexpr std::size_t kPoolSize = 4096;

volatile std::sig_atomic_t gInterrupts = 0;
extern "C" void onInterrupt(int) {
  gInterrupts = gInterrupts + 1;
}

}  // namespace

int Simulator::prepare() {
  if (const std::uint64_t limit = raiseFileLimit(); limit != 0 && limit < o_.devices + 64u)
    err_ << "dcgw simulate: warning: the file descriptor limit (" << limit << ") is below the "
         << o_.devices << " connections asked for\n";
  if (int rc = resolveHost(o_.host, o_.port, SOCK_STREAM, addr_, addrLen_, err_); rc >= 0)
    return rc;
  {
    in6_addr probe{};
    hostIsAddress_ = ::inet_pton(AF_INET, o_.host.c_str(), &probe) == 1 ||
                     ::inet_pton(AF_INET6, o_.host.c_str(), &probe) == 1;
  }

  if (o_.tls) {
    if (int rc = setUpTls(); rc >= 0) return rc;
  }

  if (!o_.provisionDb.empty()) {
    if (int rc = provisionDevices(o_, err_); rc >= 0) return rc;
  }

  if (!o_.logFile.empty()) {
    log_ = openLog(o_.logFile, err_);
    if (!log_) return 2;
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

void Simulator::produce() {
  packets_.refill(now_);
  while (packets_.ready() && !sendQueue_.empty()) {
    if (o_.count && sent_ >= *o_.count) break;
    const std::uint32_t idx = sendQueue_.front();
    sendQueue_.pop_front();
    Device& d = devices_[idx];
    d.queuedToSend = false;
    if (!canSendNew(d)) continue;
    newPacket(d);
    packets_.spend();
    offerToSend(d);
  }
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
  startQueued(connectQueue_, connects_, now_, [this](std::uint32_t idx) {
    if (devices_[idx].link != Link::Queued) return false;
    startConnect(idx);
    return true;
  });
}

void Simulator::stopSending() {
  phase_ = Phase::Draining;
  sendEndUs_ = now_;
  drainUntilUs_ = now_ + static_cast<std::int64_t>(o_.drainSeconds * 1e6);
  sendQueue_.clear();
  for (Device& d : devices_) d.queuedToSend = false;
}

Summary Simulator::run() {
  now_ = startUs_ = monotonicUs();
  connects_.restart(now_);
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
      // No device logged in this long (or by the time the run would have ended): the gateway
      // is down or refuses everyone.
      const std::int64_t giveUpUs =
          loginGiveUpUs(o_.durationGiven || !o_.count, o_.durationSeconds, o_.drainSeconds);
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
      } else {
        if (o_.reconnectEverySeconds > 0 && now_ >= nextStormUs_) {
          if (nextStormUs_ != 0) reconnectAll();
          nextStormUs_ = now_ + static_cast<std::int64_t>(o_.reconnectEverySeconds * 1e6);
        }
        if (o_.rate > 0) produce();
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
  const LatencyMs latency = latencyMs(latencies_);
  s.p50Ms = latency.p50;
  s.p99Ms = latency.p99;
  s.maxMs = latency.max;
  if (sendStartUs_ != 0) {
    const std::int64_t end = std::max(sendEndUs_, lastAckUs_);
    s.seconds = static_cast<double>(end - sendStartUs_) / 1e6;
  }
  return s;
}

namespace {

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

int runSimulate(const std::vector<std::string>& argsIn, std::ostream& out, std::ostream& err) {
  for (const auto& a : argsIn)
    if (a == "--card-session") return runCardSession(argsIn, out, err);  // its own --protocol
  for (const auto& a : argsIn)
    if (a == "--upload") return runFileUpload(argsIn, out, err);
  // --protocol uplink (the default) or teltonika; the rest of the arguments are the mode's.
  std::vector<std::string> args;
  std::string protocol = "uplink";
  for (std::size_t i = 0; i < argsIn.size(); ++i) {
    if (argsIn[i] != "--protocol") {
      args.push_back(argsIn[i]);
      continue;
    }
    if (i + 1 >= argsIn.size()) {
      err << "dcgw simulate: --protocol: needs a value\n";
      return 2;
    }
    protocol = argsIn[++i];
  }
  if (protocol == "teltonika") return teltonika::runTeltonika(args, out, err);
  if (protocol != "uplink") {
    err << "dcgw simulate: --protocol: needs uplink or teltonika, not '" << protocol << "'\n";
    return 2;
  }
  return runMode<Simulator, SignalScope>(parseOptions(args), kUsage, out, err, printSummary,
                                         [](const Options&, const Summary& s) {
                                           return s.outstanding() == 0 && s.loggedIn == s.devices;
                                         });
}

}  // namespace dcgw::simulate
