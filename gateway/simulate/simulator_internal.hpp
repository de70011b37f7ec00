// What the files of `dcgw simulate` share: the per-device link state and the Simulator that runs
// them all on one epoll thread. Internal to dcgw_simulate; callers include simulator.hpp.
#pragma once

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"
#include "codecs/uplink/frame.hpp"
#include "gateway/simulate/packet_mix.hpp"
#include "gateway/simulate/shared.hpp"
#include "gateway/simulate/simulator.hpp"

namespace dcgw::simulate {

namespace up = codecs::uplink;

constexpr std::size_t kReadChunk = 64 * 1024;

extern const char* const kUsage;

// --provision-db: upserts the run's devices into LOCATION in one transaction. Returns an exit
// code, or -1 when every device is in place.
int provisionDevices(const Options& o, std::ostream& err);

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
  bool renumber{false};         // SEQUENCE_OUT_OF_RANGE: the outbox is numbered at the next WELCOME
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
  // --tls: the client context every connection's SSL is made from; an exit code or -1.
  int setUpTls();
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
  // --reconnect-every: every logged-in device resets its link and queues its reconnect.
  void reconnectAll();
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
  std::int64_t lastAckUs_{0}, nextSweepUs_{0};
  std::int64_t nextStormUs_{0};
  // At most a tenth of a second of packets, a fiftieth of connections, as a burst.
  Pacer packets_{o_.rate, 0.1}, connects_{o_.connectRate, 1.0 / 50};
  std::deque<std::uint32_t> connectQueue_, sendQueue_;
  std::vector<std::uint32_t> dirty_;
  std::vector<std::uint32_t> latencies_;
  std::uint64_t loggedIn_{0}, sent_{0}, resent_{0}, acknowledged_{0}, rejected_{0};
  std::uint64_t reconnects_{0}, refused_{0};
  std::array<std::uint64_t, 256> errorCodes_{};
  std::map<std::string, std::uint64_t> clientErrors_;
  int diagnostics_{0}, errorDiagnostics_{0};
};

}  // namespace dcgw::simulate
