// Each device's link: the non-blocking connect, reads and coalesced writes, closing, and the
// reconnect with backoff after a failure.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "codecs/uplink/frame.hpp"
#include "gateway/simulate/simulator_internal.hpp"

namespace dcgw::simulate {

namespace {

constexpr std::int64_t kReconnectFirstMs = 200;
constexpr std::int64_t kReconnectCapMs = 5000;
// The gateway gives up on a login after 10 s (LOGIN_TIMEOUT); a little later we give up too, in
// case the gateway is not there to say so (a connect into a black hole).
constexpr std::int64_t kLoginDeadlineUs = 15'000'000;

}  // namespace

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

void Simulator::reconnectAll() {
  for (Device& d : devices_) {
    if (d.link != Link::Ready) continue;
    closeLink(d, Close::Reset);
    queueConnect(d);
  }
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
  // TLS: while OpenSSL holds bytes already read from the socket, because epoll would never
  // report them.
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
    // The socket is empty: save a recv (TLS: unless OpenSSL holds bytes it already took from
    // the socket, which epoll would not report again).
    if (d.ssl ? SSL_has_pending(d.ssl.get()) == 0 : got < scratch_.size()) return;
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

}  // namespace dcgw::simulate
