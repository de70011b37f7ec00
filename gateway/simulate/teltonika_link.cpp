// `dcgw simulate --protocol teltonika`: each device's link (TCP or UDP), its login, and the
// stop-and-wait of its frames: one in flight, resent as it is until its count is acknowledged.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "codecs/teltonika/frame.hpp"
#include "codecs/teltonika/udp.hpp"
#include "gateway/simulate/teltonika_internal.hpp"

namespace dcgw::simulate::teltonika {

void Sim::startConnect(Dev& d) {
  if (d.everAttempted) ++reconnects_;
  d.everAttempted = true;
  const int type = (o_.udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
  int fd = ::socket(addr_.ss_family, type, 0);
  int rc = fd < 0 ? -1 : ::connect(fd, reinterpret_cast<const sockaddr*>(&addr_), addrLen_);
  if (fd < 0 || (rc < 0 && errno != EINPROGRESS)) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    d.st = St::Idle;
    lost(d, "CONNECT_FAILED", "connect: " + why);
    return;
  }
  d.fd = fd;
  epoll_event ev{};
  ev.events = EPOLLIN | (o_.udp ? 0u : static_cast<std::uint32_t>(EPOLLOUT));
  ev.data.u32 = idx(d);
  ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
  if (o_.udp) {
    onLoggedIn(d);  // no login over UDP: the IMEI is in every datagram
    return;
  }
  d.st = St::Connecting;
  d.deadlineUs = now_ + kLoginDeadlineUs;
}

void Sim::flush(Dev& d) {
  while (d.fd >= 0 && d.outPos < d.out.size()) {
    ssize_t n = ::send(d.fd, d.out.data() + d.outPos, d.out.size() - d.outPos, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;  // EPOLLOUT is registered
    if (n < 0) return lost(d, nullptr, std::string("send: ") + std::strerror(errno));
    d.outPos += static_cast<std::size_t>(n);
  }
  if (d.outPos == d.out.size()) {
    d.out.clear();
    d.outPos = 0;
  }
}

void Sim::onEvent(Dev& d, std::uint32_t events) {
  if (d.fd < 0) return;
  if (d.st == St::Connecting) {
    int soError = 0;
    socklen_t len = sizeof soError;
    ::getsockopt(d.fd, SOL_SOCKET, SO_ERROR, &soError, &len);
    if (soError != 0)
      return lost(d, "CONNECT_FAILED", std::string("connect: ") + std::strerror(soError));
    if (!(events & EPOLLOUT)) return;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;  // writable edges only wake a blocked flush
    ev.data.u32 = idx(d);
    ::epoll_ctl(ep_, EPOLL_CTL_MOD, d.fd, &ev);
    d.st = St::AwaitLogin;
    codecs::Bytes login = tk::encodeLogin(d.j.imei);
    d.out.insert(d.out.end(), login.begin(), login.end());
    flush(d);
    return;
  }
  if (events & EPOLLOUT) flush(d);
  if (d.fd < 0 || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
  for (;;) {
    ssize_t n = ::recv(d.fd, scratch_.data(), scratch_.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (o_.udp) {
      if (n < 0) return;  // ICMP port unreachable and the like: the ack timeout resends
      onUdpDatagram(d, codecs::ByteView(scratch_.data(), static_cast<std::size_t>(n)));
      continue;
    }
    if (n <= 0)
      return lost(d, nullptr, n == 0 ? "the gateway closed the connection" : "recv failed");
    d.in.insert(d.in.end(), scratch_.data(), scratch_.data() + n);
    while (d.fd >= 0 && !d.in.empty()) {
      if (d.st == St::AwaitLogin) {
        const std::uint8_t reply = d.in[0];
        d.in.erase(d.in.begin());
        if (reply == tk::kLoginAccept) {
          onLoggedIn(d);
        } else if (reply == tk::kLoginRefuse) {
          ++refused_;
          diagnostic("device " + d.j.imei + ": login refused (00)");
          d.st = St::Refused;
          close(d);
          return;
        } else {
          return lost(d, "BAD_LOGIN_REPLY", "login answered with a byte other than 01 or 00");
        }
      } else if (d.onWire) {
        if (d.in.size() < 4) break;
        const std::uint32_t count = std::uint32_t{d.in[0]} << 24 | std::uint32_t{d.in[1]} << 16 |
                                    std::uint32_t{d.in[2]} << 8 | d.in[3];
        d.in.erase(d.in.begin(), d.in.begin() + 4);
        onAck(d, count);
      } else {
        // Nothing is awaited: a Codec 12 command, which this simulator does not answer.
        tk::FrameScan f = tk::tryFrame(d.in);
        if (f.scan == tk::Scan::NeedMore) break;
        if (f.scan != tk::Scan::Frame)
          return lost(d, "UNEXPECTED_BYTES", "bytes from the gateway while no frame is in flight");
        ++errors_["COMMAND_IGNORED"];
        diagnostic("device " + d.j.imei + ": ignored a " + tk::codecName(f.codec) + " frame");
        d.in.erase(d.in.begin(), d.in.begin() + static_cast<std::ptrdiff_t>(f.frameBytes));
      }
    }
    if (static_cast<std::size_t>(n) < scratch_.size()) return;
  }
}

void Sim::onUdpDatagram(Dev& d, codecs::ByteView b) {
  if (b.size() != tk::kUdpAckBytes || b[0] != 0 || b[1] != 5 || b[4] != 1) {
    ++errors_["BAD_UDP_ACK"];
    return;
  }
  const std::uint16_t packetId = static_cast<std::uint16_t>(b[2] << 8 | b[3]);
  if (!d.onWire || packetId != d.framePacketId || b[5] != d.frameAvlPacketId) {
    ++errors_["STALE_UDP_ACK"];  // an answer to an earlier copy of a datagram
    return;
  }
  if (!d.everLoggedIn) {
    d.everLoggedIn = true;
    ++loggedIn_;
  }
  onAck(d, b[6]);
}

void Sim::onLoggedIn(Dev& d) {
  d.st = St::Ready;
  d.backoffMs = 0;
  if (!o_.udp && !d.everLoggedIn) {
    d.everLoggedIn = true;
    ++loggedIn_;
  }
  if (d.inFlight) {
    transmit(d, true);  // the frame that was never acknowledged, the same bytes
  } else {
    trySend(d);
  }
  offerMake(d);
}

void Sim::onAck(Dev& d, std::uint32_t n) {
  latencies_.push_back(
      static_cast<std::uint32_t>(std::min<std::int64_t>(now_ - d.sentAtUs, UINT32_MAX)));
  lastAckUs_ = now_;
  d.onWire = false;
  if (n != d.frameTimestamps.size()) {
    ++errors_["ACK_COUNT_MISMATCH"];
    diagnostic("device " + d.j.imei + ": " + std::to_string(n) + " records acknowledged of " +
               std::to_string(d.frameTimestamps.size()) + ": sending the frame again");
    // Once at once; a gateway that keeps refusing the frame gets it once a second.
    if (++d.mismatches == 1) return transmit(d, true);
    d.resendAtUs = now_ + kRepeatedMismatchPauseUs;
    return;
  }
  acked_ += n;
  if (log_)
    for (std::uint64_t ts : d.frameTimestamps)
      std::fprintf(log_, "%s %llu\n", d.j.imei.c_str(), static_cast<unsigned long long>(ts));
  d.inFlight = false;
  d.mismatches = 0;
  d.frame.clear();
  d.frameTimestamps.clear();
  trySend(d);
  offerMake(d);
}

void Sim::trySend(Dev& d) {
  if (d.st != St::Ready || d.inFlight || d.pending.empty()) return;
  if (d.pending.size() < perFrame_ && !flushing(d)) return;  // a batch is still filling
  const std::size_t k = std::min(perFrame_, d.pending.size());
  std::vector<tk::RecordOut> records(std::make_move_iterator(d.pending.begin()),
                                     std::make_move_iterator(d.pending.begin() + k));
  d.pending.erase(d.pending.begin(), d.pending.begin() + static_cast<std::ptrdiff_t>(k));
  auto data = tk::encodeAvlData(tk::kCodec8Extended, records);
  if (!data) {
    ++errors_["ENCODE_FAILED"];
    diagnostic("device " + d.j.imei + ": " + data.error().message());
    return;
  }
  d.frameTimestamps.clear();
  for (const auto& r : records) d.frameTimestamps.push_back(r.timestampMs);
  if (o_.udp) {
    d.framePacketId = d.packetId++;
    d.frameAvlPacketId = d.avlPacketId++;
    d.frame = tk::encodeUdp(d.framePacketId, d.frameAvlPacketId, d.j.imei, *data);
  } else {
    d.frame = tk::wrapFrame(*data);
  }
  d.inFlight = true;
  sent_ += k;
  ++frames_;
  transmit(d, false);
}

void Sim::transmit(Dev& d, bool resend) {
  if (resend) ++resent_;
  d.sentAtUs = now_;
  d.resendAtUs = 0;
  d.onWire = true;
  if (o_.udp) {
    // A datagram the socket cannot take now is lost like one lost on the way: the timeout.
    ::send(d.fd, d.frame.data(), d.frame.size(), MSG_NOSIGNAL);
    return;
  }
  d.out.insert(d.out.end(), d.frame.begin(), d.frame.end());
  flush(d);
}

}  // namespace dcgw::simulate::teltonika
