// What the files of `dcgw simulate --protocol teltonika` share: a device's link and journey,
// and the simulator that runs them all on one epoll thread. Internal to dcgw_simulate.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"
#include "gateway/simulate/shared.hpp"
#include "gateway/simulate/teltonika.hpp"

namespace dcgw::simulate::teltonika {

inline constexpr std::int64_t kLoginDeadlineUs = 15'000'000;
inline constexpr std::int64_t kSweepEveryUs = 10'000;
inline constexpr std::int64_t kRepeatedMismatchPauseUs = 1'000'000;
inline constexpr std::size_t kMaxFrameDataBytes = 1280;  // the wiki's largest AVL packet
inline constexpr int kDiagnosticsShown = 10;

inline std::uint64_t wallMs() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

enum class St : std::uint8_t { Idle, Queued, Connecting, AwaitLogin, Ready, Refused };
enum class Phase { Login, Sending, Draining, Done };

struct Dev {
  Journey j;
  St st{St::Idle};
  int fd{-1};
  codecs::Bytes in, out;
  std::size_t outPos{0};
  std::deque<tk::RecordOut> pending;  // made, not yet in a frame
  codecs::Bytes frame;                // the frame in flight, resent as it is
  std::vector<std::uint64_t> frameTimestamps;
  std::uint16_t packetId{0}, framePacketId{0};
  std::uint8_t avlPacketId{0}, frameAvlPacketId{0};
  bool inFlight{false}, onWire{false}, everLoggedIn{false}, everAttempted{false}, queued{false};
  std::uint32_t mismatches{0};
  std::int64_t sentAtUs{0}, resendAtUs{0}, deadlineUs{0}, backoffMs{0};
};

class Sim {
 public:
  Sim(const TeltonikaOptions& o, std::ostream& err) : o_(o), err_(err) {}
  ~Sim() {
    for (Dev& d : devs_) close(d);
    if (ep_ >= 0) ::close(ep_);
    if (log_) std::fclose(log_);
  }
  int prepare();
  TeltonikaSummary run();

 private:
  void diagnostic(const std::string& line) {
    if (shown_ == kDiagnosticsShown)
      err_ << "dcgw simulate: (further diagnostics are only counted)\n";
    if (shown_++ < kDiagnosticsShown) err_ << "dcgw simulate: " << line << '\n';
  }
  std::uint32_t idx(const Dev& d) const { return static_cast<std::uint32_t>(&d - devs_.data()); }
  bool flushing(const Dev& d) const {
    return phase_ != Phase::Sending || (o_.drive && d.j.step >= driveSteps());
  }
  bool wanted(const Dev& d) const {
    return phase_ == Phase::Login || phase_ == Phase::Sending ||
           (phase_ == Phase::Draining && (d.inFlight || !d.pending.empty()));
  }
  bool canMake(const Dev& d) const {
    return d.st == St::Ready && (!o_.drive || d.j.step < driveSteps()) &&
           d.pending.size() < 2 * perFrame_ && !(o_.count && !o_.drive && made_ >= *o_.count);
  }
  void offerMake(Dev& d) {
    if (!d.queued && canMake(d)) {
      d.queued = true;
      makeQueue_.push_back(idx(d));
    }
  }
  void close(Dev& d) {
    if (d.fd >= 0) ::close(d.fd);
    d.fd = -1;
    d.in.clear();
    d.out.clear();
    d.outPos = 0;
    d.onWire = false;
    if (d.st != St::Refused) d.st = St::Idle;
  }
  void queueConnect(Dev& d) {
    d.st = St::Queued;
    connectQueue_.push_back(idx(d));
  }
  void lost(Dev& d, const char* code, const std::string& why) {
    if (code) ++errors_[code];
    diagnostic("device " + d.j.imei + ": " + why);
    close(d);
    d.backoffMs = d.backoffMs == 0 ? 200 : std::min<std::int64_t>(d.backoffMs * 2, 5000);
    d.deadlineUs = now_ + d.backoffMs * 1000;
  }
  void startConnect(Dev& d);
  void onEvent(Dev& d, std::uint32_t events);
  void onLoggedIn(Dev& d);
  void onAck(Dev& d, std::uint32_t n);
  void onUdpDatagram(Dev& d, codecs::ByteView b);
  void trySend(Dev& d);
  void transmit(Dev& d, bool resend);
  void flush(Dev& d);
  void sweep();
  void produce();
  void stopSending();

  const TeltonikaOptions& o_;
  std::ostream& err_;
  std::vector<Dev> devs_;
  sockaddr_storage addr_{};
  socklen_t addrLen_{0};
  int ep_{-1};
  std::FILE* log_{nullptr};
  std::vector<std::uint8_t> scratch_ = std::vector<std::uint8_t>(64 * 1024);
  std::size_t perFrame_{1};
  std::uint64_t driveStartMs_{0};
  Phase phase_{Phase::Login};
  std::int64_t now_{0}, startUs_{0}, sendStartUs_{0}, sendEndUs_{0}, drainUntilUs_{0};
  std::int64_t lastAckUs_{0}, nextSweepUs_{0};
  // At most a tenth of a second of records, a fiftieth of connections, as a burst.
  Pacer records_{o_.rate, 0.1}, connects_{o_.connectRate, 1.0 / 50};
  std::deque<std::uint32_t> connectQueue_, makeQueue_;
  std::vector<std::uint32_t> latencies_;
  std::uint64_t loggedIn_{0}, refused_{0}, made_{0}, sent_{0}, acked_{0}, frames_{0};
  std::uint64_t resent_{0}, reconnects_{0}, scriptsDone_{0};
  std::map<std::string, std::uint64_t> errors_;
  int shown_{0};
};

}  // namespace dcgw::simulate::teltonika
