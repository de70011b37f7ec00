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
  raiseFileLimit();
  if (int rc =
          resolveHost(o_.host, o_.port, o_.udp ? SOCK_DGRAM : SOCK_STREAM, addr_, addrLen_, err_);
      rc >= 0)
    return rc;
  if (!o_.provisionDb.empty()) {
    // Registered as the listener knows them: by IMEI, protocol teltonika, with the family.
    auto device = [&](std::uint32_t i) {
      store::DeviceConfig dc;
      dc.serial = std::to_string(o_.firstImei + i);
      dc.protocol = "teltonika";
      dc.family = tk::familyName(o_.family);
      return dc;
    };
    if (int rc = provisionDevices(o_.provisionDb, o_.location, o_.devices, device, err_); rc >= 0)
      return rc;
  }
  if (!o_.logFile.empty()) {
    log_ = openLog(o_.logFile, err_);
    if (!log_) return 2;
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
  records_.refill(now_);
  while (records_.ready() && !makeQueue_.empty()) {
    Dev& d = devs_[makeQueue_.front()];
    makeQueue_.pop_front();
    d.queued = false;
    if (!canMake(d)) continue;
    d.pending.push_back(o_.drive ? nextDriveRecord(d.j, o_.family, driveStartMs_)
                                 : nextStreamRecord(d.j, o_.family, wallMs()));
    ++made_;
    if (o_.drive && d.j.step == driveSteps()) ++scriptsDone_;
    records_.spend();
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
  now_ = startUs_ = monotonicUs();
  connects_.restart(now_);
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
    startQueued(connectQueue_, connects_, now_, [this](std::uint32_t idx) {
      if (devs_[idx].st != St::Queued) return false;
      startConnect(devs_[idx]);
      return true;
    });
    const bool allRefused = refused_ == devs_.size();
    if (phase_ == Phase::Login) {
      const std::int64_t giveUpUs = loginGiveUpUs(!o_.drive && (o_.durationGiven || !o_.count),
                                                  o_.durationSeconds, o_.drainSeconds);
      if (loggedIn_ > 0 || (o_.udp && std::any_of(devs_.begin(), devs_.end(), [](const Dev& d) {
                              return d.st == St::Ready;
                            }))) {
        phase_ = Phase::Sending;
        sendStartUs_ = now_;
        records_.restart(now_);
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
  const LatencyMs latency = latencyMs(latencies_);
  s.p50Ms = latency.p50;
  s.p95Ms = latency.p95;
  s.p99Ms = latency.p99;
  s.maxMs = latency.max;
  if (sendStartUs_ != 0)
    s.seconds = static_cast<double>(std::max(sendEndUs_, lastAckUs_) - sendStartUs_) / 1e6;
  return s;
}

int runTeltonika(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return runMode<Sim, NoGuard>(parseTeltonikaOptions(args), kTeltonikaUsage, out, err,
                               printTeltonikaSummary,
                               [](const TeltonikaOptions& o, const TeltonikaSummary& s) {
                                 return s.outstanding() == 0 && (o.udp || s.loggedIn == s.devices);
                               });
}

}  // namespace dcgw::simulate::teltonika
