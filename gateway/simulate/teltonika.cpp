// `dcgw simulate --protocol teltonika`: the devices' links on one epoll thread, the login, the
// stop-and-wait frames with their resends, pacing, the drain and the summary.
#include "gateway/simulate/teltonika.hpp"

#include <netdb.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "gateway/simulate/simulator.hpp"
#include "gateway/simulate/teltonika_internal.hpp"

namespace dcgw::simulate::teltonika {

int Sim::prepare() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = o_.udp ? SOCK_DGRAM : SOCK_STREAM;
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
  if (!o_.logFile.empty()) {
    log_ = std::fopen(o_.logFile.c_str(), "a");
    if (!log_) {
      err_ << "dcgw simulate: --log: cannot open '" << o_.logFile << "': " << std::strerror(errno)
           << '\n';
      return 2;
    }
  }
  ep_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep_ < 0) {
    err_ << "dcgw simulate: epoll_create1: " << std::strerror(errno) << '\n';
    return 1;
  }
  driveStartMs_ = wallMs() - driveSteps() * 30'000ull;
  devs_.resize(o_.devices);
  for (std::uint32_t i = 0; i < o_.devices; ++i) {
    Journey& j = devs_[i].j;
    j.imei = std::to_string(o_.firstImei + i);
    j.card = cardNumberFor(j.imei);
    j.latitude += (i % 1000) * 0.002;  // side by side, so the devices' tracks differ
    j.longitude += (i / 1000) * 0.05;
  }
  // As many records in a frame as asked, but no frame past the wiki's largest AVL packet.
  Journey probe = devs_[0].j;
  auto one = tk::encodeAvlData(tk::kCodec8Extended, {nextStreamRecord(probe, o_.family, 1)});
  const std::size_t recordBytes = one.ok() && one->size() > 3 ? one->size() - 3 : 64;
  perFrame_ =
      std::clamp<std::size_t>((kMaxFrameDataBytes - 3) / recordBytes, 1, o_.recordsPerFrame);
  return -1;
}

void Sim::sweep() {
  for (Dev& d : devs_) {
    if (d.st == St::Idle && d.deadlineUs <= now_ && phase_ != Phase::Done && wanted(d)) {
      queueConnect(d);
    } else if ((d.st == St::Connecting || d.st == St::AwaitLogin) && now_ > d.deadlineUs) {
      lost(d, "LOGIN_NO_REPLY", "no answer to the login within 15 s of connecting");
    } else if (d.st == St::Ready && d.onWire &&
               now_ - d.sentAtUs > static_cast<std::int64_t>(o_.ackTimeoutSeconds * 1e6)) {
      ++errors_["ACK_TIMEOUT"];
      diagnostic("device " + d.j.imei + ": no acknowledgement in time: a new connection");
      close(d);
      queueConnect(d);  // the frame goes again once the new link is up
    } else if (d.st == St::Ready && d.inFlight && !d.onWire && d.resendAtUs != 0 &&
               now_ >= d.resendAtUs) {
      transmit(d, true);
    }
  }
}

void Sim::produce() {
  const double elapsed = static_cast<double>(now_ - lastRefillUs_) / 1e6;
  lastRefillUs_ = now_;
  tokens_ = std::min(tokens_ + o_.rate * elapsed, std::max(1.0, o_.rate / 10));
  while (tokens_ >= 1 && !makeQueue_.empty()) {
    Dev& d = devs_[makeQueue_.front()];
    makeQueue_.pop_front();
    d.queued = false;
    if (!canMake(d)) continue;
    d.pending.push_back(o_.drive ? nextDriveRecord(d.j, o_.family, driveStartMs_)
                                 : nextStreamRecord(d.j, o_.family, wallMs()));
    ++made_;
    if (o_.drive && d.j.step == driveSteps()) ++scriptsDone_;
    tokens_ -= 1;
    trySend(d);
    offerMake(d);
  }
}

void Sim::stopSending() {
  phase_ = Phase::Draining;
  sendEndUs_ = now_;
  drainUntilUs_ = now_ + static_cast<std::int64_t>(o_.drainSeconds * 1e6);
  makeQueue_.clear();
  for (Dev& d : devs_) {
    d.queued = false;
    trySend(d);  // what is left of a batch goes in a shorter frame
  }
}

TeltonikaSummary Sim::run() {
  now_ = startUs_ = lastConnectRefillUs_ = monotonicUs();
  for (Dev& d : devs_) queueConnect(d);
  std::array<epoll_event, 1024> events;
  while (phase_ != Phase::Done) {
    const bool busy = (phase_ == Phase::Sending && o_.rate > 0) || !connectQueue_.empty();
    int n = ::epoll_wait(ep_, events.data(), static_cast<int>(events.size()), busy ? 1 : 10);
    if (n < 0 && errno != EINTR) break;
    now_ = monotonicUs();
    for (int i = 0; i < n; ++i) onEvent(devs_[events[i].data.u32], events[i].events);
    if (now_ >= nextSweepUs_) {
      sweep();
      nextSweepUs_ = now_ + kSweepEveryUs;
    }
    if (!connectQueue_.empty()) {
      connectTokens_ =
          std::min(connectTokens_ + o_.connectRate * (now_ - lastConnectRefillUs_) / 1e6,
                   std::max(1.0, o_.connectRate / 50));
      while (connectTokens_ >= 1 && !connectQueue_.empty()) {
        Dev& d = devs_[connectQueue_.front()];
        connectQueue_.pop_front();
        if (d.st != St::Queued) continue;
        connectTokens_ -= 1;
        startConnect(d);
      }
    }
    lastConnectRefillUs_ = now_;
    const bool allRefused = refused_ == devs_.size();
    if (phase_ == Phase::Login) {
      std::int64_t giveUpUs = kNoLoginGiveUpUs;
      if (!o_.drive && (o_.durationGiven || !o_.count))
        giveUpUs = std::min(
            giveUpUs, static_cast<std::int64_t>((o_.durationSeconds + o_.drainSeconds) * 1e6));
      if (loggedIn_ > 0 || (o_.udp && std::any_of(devs_.begin(), devs_.end(), [](const Dev& d) {
                              return d.st == St::Ready;
                            }))) {
        phase_ = Phase::Sending;
        sendStartUs_ = lastRefillUs_ = now_;
      } else if (allRefused || now_ - startUs_ > giveUpUs) {
        if (!allRefused)
          err_ << "dcgw simulate: no device logged in within " << giveUpUs / 1'000'000
               << " s: giving up\n";
        phase_ = Phase::Done;
        sendStartUs_ = sendEndUs_ = now_;
        break;
      }
    }
    if (phase_ == Phase::Sending) {
      const bool timeUp =
          !o_.drive && (o_.durationGiven || !o_.count) &&
          now_ - sendStartUs_ >= static_cast<std::int64_t>(o_.durationSeconds * 1e6);
      const bool countDone = !o_.drive && o_.count && made_ >= *o_.count;
      const bool scriptsDone = o_.drive && scriptsDone_ + refused_ >= devs_.size();
      if (timeUp || countDone || scriptsDone || allRefused) {
        stopSending();
      } else if (o_.rate > 0) {
        produce();
      }
    }
    if (phase_ == Phase::Draining && (acked_ >= made_ || now_ >= drainUntilUs_))
      phase_ = Phase::Done;
  }
  for (Dev& d : devs_) close(d);
  if (log_) std::fflush(log_);

  TeltonikaSummary s;
  s.family = tk::familyName(o_.family);
  s.transport = o_.udp ? "udp" : "tcp";
  s.devices = devs_.size();
  s.loggedIn = loggedIn_;
  s.refusedLogins = refused_;
  s.made = made_;
  s.sent = sent_;
  s.acknowledged = acked_;
  s.framesSent = frames_;
  s.framesResent = resent_;
  s.reconnects = reconnects_;
  s.errors = errors_;
  s.p50Ms = percentileMs(latencies_, 50);
  s.p95Ms = percentileMs(latencies_, 95);
  s.p99Ms = percentileMs(latencies_, 99);
  s.maxMs =
      latencies_.empty() ? 0 : *std::max_element(latencies_.begin(), latencies_.end()) / 1000.0;
  if (sendStartUs_ != 0)
    s.seconds = static_cast<double>(std::max(sendEndUs_, lastAckUs_) - sendStartUs_) / 1e6;
  return s;
}

int runTeltonika(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto options = parseTeltonikaOptions(args);
  if (!options) {
    err << "dcgw simulate: " << options.error().field << ": " << options.error().expected << '\n';
    return 2;
  }
  if (options->help) {
    out << kTeltonikaUsage;
    return 0;
  }
  TeltonikaSummary s;
  {
    Sim sim(*options, err);
    if (int rc = sim.prepare(); rc >= 0) return rc;
    s = sim.run();
  }
  printTeltonikaSummary(s, options->json, out);
  out.flush();
  const bool everyoneIn = options->udp || s.loggedIn == s.devices;
  return s.outstanding() == 0 && everyoneIn ? 0 : 1;
}

}  // namespace dcgw::simulate::teltonika
