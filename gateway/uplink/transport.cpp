// The uplink event loop: level-triggered epoll, non-blocking sockets, a shared read buffer (an
// idle connection keeps no buffer), answers written once per loop turn. A TLS connection is lent
// to the handshake threads from its accept until its handshake is done (or failed, or timed out),
// and is in this loop's epoll sets only afterwards.
//
// Logged-in trackers come first: a connection that has not logged in yet is in an epoll set of
// its own (the login set), of which each turn serves at most kLoginsPerTurn ready connections
// after every logged-in one, and a turn accepts at most kAcceptsPerTurn connections. A storm of
// a thousand trackers reconnecting at once (each login two reads of the device list, a challenge
// and a WELCOME) then spreads over many short turns, and the ACKs of the trackers already
// logged in, written at the end of each turn, are not held behind it. The store's wake-up is
// handled first in its turn for the same reason.
#include "gateway/uplink/transport.hpp"

#include "codecs/uplink/proxy_v2.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "gateway/uplink/listener.hpp"

namespace dcgw::uplink {

namespace up = codecs::uplink;

namespace {

constexpr std::uint64_t kListenTag = ~std::uint64_t{0};
constexpr std::uint64_t kWakeTag = ~std::uint64_t{0} - 1;
constexpr std::uint64_t kHandshakeTag = ~std::uint64_t{0} - 2;
constexpr std::uint64_t kLoginTag = ~std::uint64_t{0} - 3;
// Each turn's share of the work that is not an established tracker's (see the top of the file).
constexpr int kLoginsPerTurn = 8;
constexpr int kAcceptsPerTurn = 64;
constexpr int kEventsPerTurn = 64;
constexpr std::size_t kScratchBytes = 64 * 1024;
constexpr std::size_t kKeepBufferBytes = 4096;  // larger idle buffers are given back
// A client that does not read its answers stops being read once this much is waiting for it.
constexpr std::size_t kMaxPendingOut = 256 * 1024;

void trim(codecs::Bytes& b) {
  b.clear();
  if (b.capacity() > kKeepBufferBytes) codecs::Bytes().swap(b);
}

}  // namespace

std::int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string peerAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "unknown";
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
  inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
  port = ntohs(a->sin6_port);
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

std::string Connection::address() const {
  return remote ? *remote : peerAddress(fd);
}

Transport::Transport(TransportEvents& events, const ListenerOptions& options, ListenerStats& stats,
                     int wakeFd)
    : events_(events), o_(options), stats_(stats), wakeFd_(wakeFd), scratch_(kScratchBytes) {}

Transport::~Transport() {
  stop();
  handshakes_.stop();  // (stopped by the loop already; here when the loop never ran)
  for (auto& [id, c] : conns_)
    if (c->fd >= 0) ::close(c->fd);
  if (listenFd_ >= 0) ::close(listenFd_);
  if (spareFd_ >= 0) ::close(spareFd_);
  if (loginEpollFd_ >= 0) ::close(loginEpollFd_);
  if (epollFd_ >= 0) ::close(epollFd_);
}

void Transport::start() {
  for (const std::string& p : o_.trustedProxies) {
    auto r = parseAddressRange(p);
    if (!r)
      throw std::runtime_error(o_.label + ".trustedProxies: '" + p +
                               "' is not an IPv4 or IPv6 address or network (address/prefix)");
    proxies_.push_back(*r);
  }
  if (!proxies_.empty() && (!o_.tlsCertificateFile.empty() || !o_.tlsPrivateKeyFile.empty()))
    throw std::runtime_error(o_.label +
                             ".trustedProxies: the PROXY protocol is taken on a plain TCP "
                             "listener only; let the proxy terminate TLS, or leave it out");
  if (!o_.tlsCertificateFile.empty() || !o_.tlsPrivateKeyFile.empty()) setUpTls();
  epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  loginEpollFd_ = epoll_create1(EPOLL_CLOEXEC);
  // Kept in reserve: when the descriptors run out, it is closed to accept and shed a
  // connection, instead of leaving it in the backlog where level-triggered epoll spins on it.
  spareFd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (epollFd_ < 0 || loginEpollFd_ < 0 || wakeFd_ < 0)
    throw std::runtime_error(o_.label + ": epoll/eventfd: " + std::strerror(errno));
  bindListener();
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  epoll_ctl(epollFd_, EPOLL_CTL_ADD, listenFd_, &ev);
  ev.data.u64 = kWakeTag;
  epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &ev);
  ev.data.u64 = kLoginTag;  // readable while any connection of the login set is ready
  epoll_ctl(epollFd_, EPOLL_CTL_ADD, loginEpollFd_, &ev);
  if (tls_) {
    handshakes_.start();
    ev.data.u64 = kHandshakeTag;
    epoll_ctl(epollFd_, EPOLL_CTL_ADD, handshakes_.resultFd(), &ev);
  }
  thread_ = std::thread([this] { run(); });
}

void Transport::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wakeFd_, &one, sizeof one);
  thread_.join();
}

void Transport::bindListener() {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, o_.bind.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(o_.port);
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, o_.bind.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(o_.port);
    len = sizeof *v6;
  } else {
    throw std::runtime_error(o_.label + ".bind: an IPv4 or IPv6 address, not '" + o_.bind + "'");
  }
  listenFd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      ::listen(listenFd_, 4096) != 0)
    throw std::runtime_error(o_.label + ": cannot listen on " + o_.bind + ":" +
                             std::to_string(o_.port) + ": " + std::strerror(errno));
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  getsockname(listenFd_, reinterpret_cast<sockaddr*>(&bound), &blen);
  port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                           : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
}

void Transport::run() {
  std::vector<epoll_event> events(kEventsPerTurn);
  std::vector<epoll_event> logins(kLoginsPerTurn);
  std::int64_t nextScanMs = steadyMs() + 250;
  std::int64_t drainUntilMs = 0, lingerUntilMs = 0;
  for (;;) {
    // Handshakes done and not read yet are invisible to epoll: while some wait, do not sleep.
    const int n = epoll_wait(epollFd_, events.data(), static_cast<int>(events.size()),
                             loginBacklog_.empty() ? 100 : 0);
    // The store's answers first: the ACKs they carry are written at the end of this turn.
    for (int i = 1; i < n; ++i)
      if (events[static_cast<std::size_t>(i)].data.u64 == kWakeTag) {
        std::swap(events[0], events[static_cast<std::size_t>(i)]);
        break;
      }
    bool loginsReady = false;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
      const std::uint32_t ev = events[static_cast<std::size_t>(i)].events;
      if (tag == kListenTag) {
        acceptAll();
      } else if (tag == kWakeTag) {
        std::uint64_t v;
        [[maybe_unused]] auto r = ::read(wakeFd_, &v, sizeof v);
        events_.onWake();
      } else if (tag == kHandshakeTag) {
        onHandshakes();
      } else if (tag == kLoginTag) {
        loginsReady = true;
      } else {
        onEvent(tag, ev);
      }
    }
    serveLogins(loginsReady, logins);
    endTurn();
    resumeReading();
    const std::int64_t now = steadyMs();
    if (now >= nextScanMs) {
      scanTimers(now);
      nextScanMs = now + 250;
    }
    if (stopping_) {
      // 1: no new connections or frames; what is in flight is answered.
      if (drainUntilMs == 0) {
        drainUntilMs = now + 5000;
        epoll_ctl(epollFd_, EPOLL_CTL_DEL, listenFd_, nullptr);
        ::close(listenFd_);
        listenFd_ = -1;
        recallHandshakes();  // no login can finish now: every connection is this loop's again
      }
      if (lingerUntilMs == 0) {
        bool waiting = false;
        for (auto& [id, c] : conns_)
          if (c->state == Connection::State::Open && events_.busy(*c)) waiting = true;
        if (waiting && now < drainUntilMs) continue;
        // 2: every connection is told, its sending side shut, and given time to read that.
        std::vector<ConnectionId> ids;
        for (auto& [id, c] : conns_) ids.push_back(id);
        for (ConnectionId id : ids)
          if (Connection* c = find(id))
            fail(*c, up::ErrorCode::ShuttingDown, "the gateway is stopping; reconnect later");
        lingerUntilMs = now + o_.closeLinger.count();
      }
      if (conns_.empty() || now >= lingerUntilMs) break;
    }
  }
  std::vector<ConnectionId> ids;
  for (auto& [id, c] : conns_) ids.push_back(id);
  for (ConnectionId id : ids)
    if (Connection* c = find(id)) closeNow(*c);
}

void Transport::onEvent(ConnectionId id, std::uint32_t ev) {
  Connection* c = find(id);
  if (!c) return;
  if (ev & EPOLLOUT) {
    if (!flush(*c)) return;
  }
  // TLS may need to write before it can read on (a key update): retry the read then.
  if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) || (c->ssl && (ev & EPOLLOUT)))
    onReadable(*c);
}

// At most kLoginsPerTurn connections of the login set: first those whose bytes OpenSSL took
// with the handshake (epoll cannot see them), then the ready ones.
void Transport::serveLogins(bool ready, std::vector<epoll_event>& logins) {
  int budget = kLoginsPerTurn;
  while (budget > 0 && !loginBacklog_.empty()) {
    const ConnectionId id = loginBacklog_.front();
    loginBacklog_.pop_front();
    if (Connection* c = find(id)) {
      --budget;
      onReadable(*c);
    }
  }
  if (!ready || budget == 0) return;
  const int n = epoll_wait(loginEpollFd_, logins.data(), budget, 0);
  for (int i = 0; i < n; ++i)
    onEvent(logins[static_cast<std::size_t>(i)].data.u64,
            logins[static_cast<std::size_t>(i)].events);
}

void Transport::watch(Connection& c) {
  c.inLoginSet = c.state == Connection::State::Login;
  updateInterest(c, EPOLL_CTL_ADD);
}

Connection* Transport::find(ConnectionId id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
}

void Transport::acceptAll() {
  // The rest waits in the backlog for the next turns (the listener stays ready).
  for (int budget = kAcceptsPerTurn; budget > 0; --budget) {
    const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && spareFd_ >= 0) {
        ::close(spareFd_);
        const int shed = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (shed >= 0) ::close(shed);
        spareFd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        const std::int64_t now = steadyMs();
        if (now - lastFdWarningMs_ > 10'000) {
          lastFdWarningMs_ = now;
          spdlog::warn(
              "{}: out of file descriptors ({}): connections are shed; raise "
              "the open-files limit or lower {}.maxConnections",
              o_.label, std::strerror(errno), o_.label);
        }
        continue;
      }
      return;
    }
    ++stats_.accepted;
    if (conns_.size() >= o_.maxConnections) {
      if (!tls_) {
        // Said the way the protocol says it (an uplink ERROR; a Teltonika device's login refusal).
        codecs::Bytes e;
        std::unique_ptr<Connection> refused = events_.newConnection();
        events_.appendError(*refused, up::ErrorCode::TooManyConnections,
                            "the gateway holds its maximum of " +
                                std::to_string(o_.maxConnections) + " connections; try later",
                            e);
        [[maybe_unused]] auto w = ::send(fd, e.data(), e.size(), MSG_NOSIGNAL);
      }
      ::close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::unique_ptr<Connection> c = events_.newConnection();
    c->id = nextId_++;
    c->fd = fd;
    if (!proxies_.empty()) {
      sockaddr_storage peer{};
      socklen_t len = sizeof peer;
      if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0)
        c->expectProxy = inRanges(proxies_, peer);
    }
    c->lastRxMs = steadyMs();
    c->deadlineMs = c->lastRxMs + o_.loginTimeout.count();
    if (tls_) {
      c->ssl.reset(SSL_new(tls_->sslContext()));
      SSL_set_fd(c->ssl.get(), fd);
      SSL_set_accept_state(c->ssl.get());
      // Counted against maxConnections and kept in conns_ while lent; added to this loop's
      // epoll set when its handshake is done.
      c->lent = true;
      handshakes_.submit({c->id, fd, c->ssl.get(), c->deadlineMs});
    } else {
      watch(*c);
    }
    conns_.emplace(c->id, std::move(c));
    ++stats_.connections;
  }
}

// >0 bytes read, 0 nothing now, -1 closed or failed.
long Transport::readSome(Connection& c, std::uint8_t* buf, std::size_t cap) {
  if (c.ssl) {
    ERR_clear_error();
    const int n = SSL_read(c.ssl.get(), buf, static_cast<int>(cap));
    if (n > 0) return n;
    const int e = SSL_get_error(c.ssl.get(), n);
    if (e == SSL_ERROR_WANT_READ) return 0;
    if (e == SSL_ERROR_WANT_WRITE) {
      setWantOut(c, true);
      return 0;
    }
    return -1;
  }
  for (;;) {
    const ssize_t n = ::recv(c.fd, buf, cap, 0);
    if (n > 0) return n;
    if (n == 0) return -1;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -1;
  }
}

void Transport::onReadable(Connection& c) {
  const ConnectionId id = c.id;
  for (;;) {
    if (c.readPaused) return;
    const long n = readSome(c, scratch_.data(), scratch_.size());
    if (n < 0) {
      closeNow(c);
      return;
    }
    if (c.writeWantsRead) {  // TLS: what the write waited for may have arrived
      c.writeWantsRead = false;
      if (!flush(c)) return;
    }
    if (n == 0) return;
    if (c.state == Connection::State::Closing || stopping_) continue;  // read and dropped
    if (!process(c, scratch_.data(), static_cast<std::size_t>(n)) || !find(id)) return;
    // A short read emptied the socket. TLS reads on only while OpenSSL holds bytes already
    // taken from the socket (decrypted, or read ahead), which would not wake epoll again;
    // otherwise the level-triggered epoll says when more comes, and the read that would only
    // find EAGAIN (a syscall per record, a tenth of the loop's time at 10,000 packets/s) is
    // saved.
    if (c.ssl ? SSL_has_pending(c.ssl.get()) == 0 : static_cast<std::size_t>(n) < scratch_.size())
      return;
  }
}

// Handles the whole frames in c.in followed by `fresh`; keeps a partial frame in c.in.
// false: the connection was closed.
bool Transport::process(Connection& c, const std::uint8_t* fresh, std::size_t n) {
  if (c.expectProxy) {
    // A trusted proxy's connection: its PROXY v2 header first, then the tracker's bytes.
    c.in.insert(c.in.end(), fresh, fresh + n);
    const up::ProxyHeader h = up::scanProxyV2(c.in);
    if (h.scan == up::ProxyHeader::Scan::NeedMore) return true;
    if (h.scan == up::ProxyHeader::Scan::Bad) {
      spdlog::warn("{} {}: closed: {}", o_.label, peerAddress(c.fd), h.reason);
      closeNow(c);
      return false;
    }
    c.expectProxy = false;
    if (!h.source.empty()) c.remote = std::make_unique<std::string>(h.source);
    codecs::Bytes rest(c.in.begin() + static_cast<std::ptrdiff_t>(h.bytes), c.in.end());
    c.in.clear();
    trim(c.in);
    if (rest.empty()) return true;
    return process(c, rest.data(), rest.size());
  }
  const ConnectionId id = c.id;
  codecs::ByteView data;
  if (c.in.empty()) {
    data = codecs::ByteView(fresh, n);
  } else {
    c.in.insert(c.in.end(), fresh, fresh + n);
    data = c.in;
  }
  std::size_t used = 0;
  for (;;) {
    if (c.pendingOut() > kMaxPendingOut && !flush(c)) return false;
    if (c.pendingOut() > kMaxPendingOut) {
      c.readPaused = true;
      updateInterest(c);
      break;
    }
    up::ScanResult r = events_.scan(c, data.subspan(used));
    if (r.scan == up::Scan::NeedMore) break;
    if (r.scan == up::Scan::Bad) {
      if (r.error == up::ErrorCode::FrameTooLarge && c.state != Connection::State::Open)
        r.reason += " before the login (HELLO and PROOF only)";
      fail(c, r.error, r.reason);
      if (Connection* still = find(id)) trim(still->in);
      return find(id) != nullptr;
    }
    c.lastRxMs = steadyMs();  // a frame, not a byte, keeps a connection alive
    const bool alive = events_.onFrame(c, r.frame);
    used += r.frameBytes;
    if (!find(id)) return false;  // a failed write closed it
    if (!alive || c.state == Connection::State::Closing) {
      trim(c.in);
      return true;
    }
  }
  if (c.in.empty()) {
    if (used < n) c.in.assign(fresh + used, fresh + n);
  } else {
    c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(used));
    if (c.in.empty()) trim(c.in);
  }
  return true;
}

// Connections whose answers drained: read again, starting with the frames already buffered.
void Transport::resumeReading() {
  if (resumed_.empty()) return;
  std::vector<ConnectionId> ids;
  ids.swap(resumed_);
  for (ConnectionId id : ids) {
    Connection* c = find(id);
    if (!c || c->readPaused) continue;
    if (!c->in.empty()) {
      codecs::Bytes buffered;
      buffered.swap(c->in);
      if (!process(*c, buffered.data(), buffered.size())) continue;
    }
    if (Connection* again = find(id)) onReadable(*again);
  }
  endTurn();
}

// false: the connection was closed.
bool Transport::flush(Connection& c) {
  while (c.outPos < c.out.size()) {
    const std::size_t left = c.out.size() - c.outPos;
    if (c.ssl) {
      ERR_clear_error();
      const int n = SSL_write(c.ssl.get(), c.out.data() + c.outPos, static_cast<int>(left));
      if (n > 0) {
        c.outPos += static_cast<std::uint32_t>(n);
        continue;
      }
      const int e = SSL_get_error(c.ssl.get(), n);
      if (e == SSL_ERROR_WANT_WRITE) {
        setWantOut(c, true);
        return true;
      }
      if (e == SSL_ERROR_WANT_READ) {  // retried from onReadable when the peer's bytes come
        c.writeWantsRead = true;
        return true;
      }
      closeNow(c);
      return false;
    }
    const ssize_t n = ::send(c.fd, c.out.data() + c.outPos, left, MSG_NOSIGNAL);
    if (n > 0) {
      c.outPos += static_cast<std::uint32_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      setWantOut(c, true);
      return true;
    }
    closeNow(c);
    return false;
  }
  trim(c.out);
  c.outPos = 0;
  setWantOut(c, false);
  if (c.readPaused) {
    c.readPaused = false;
    updateInterest(c);
    resumed_.push_back(c.id);
  }
  if (c.state == Connection::State::Closing && !c.shutWritten) {
    if (c.ssl) SSL_shutdown(c.ssl.get());
    ::shutdown(c.fd, SHUT_WR);
    c.shutWritten = true;
  }
  return true;
}

void Transport::setWantOut(Connection& c, bool want) {
  if (c.wantOut == want) return;
  c.wantOut = want;
  updateInterest(c);
}

void Transport::updateInterest(Connection& c, int op) {
  epoll_event ev{};
  ev.events = (c.readPaused ? 0u : EPOLLIN | EPOLLRDHUP) | (c.wantOut ? EPOLLOUT : 0u);
  ev.data.u64 = c.id;
  epoll_ctl(pollFd(c), op, c.fd, &ev);
}

void Transport::markOpen(Connection& c) {
  c.state = Connection::State::Open;
  ++stats_.loggedIn;
  if (c.inLoginSet) {  // from the login set to the logged-in trackers'
    epoll_ctl(loginEpollFd_, EPOLL_CTL_DEL, c.fd, nullptr);
    c.inLoginSet = false;
    updateInterest(c, EPOLL_CTL_ADD);
  }
}

void Transport::markDirty(Connection& c) {
  if (!c.queued) {
    c.queued = true;
    dirty_.push_back(c.id);
  }
}

void Transport::closeNow(Connection& c) {
  if (c.state != Connection::State::Closing) {
    if (c.state == Connection::State::Open) --stats_.loggedIn;
    events_.onEnd(c);
  }
  ::close(c.fd);  // leaves the epoll set with it
  c.fd = -1;
  --stats_.connections;
  // Its id may stay in dirty_: ids are never reused and find() no longer sees it.
  conns_.erase(c.id);
}

void Transport::fail(Connection& c, up::ErrorCode code, const std::string& reason) {
  if (c.state == Connection::State::Closing) return;
  ++stats_.protocolErrors;
  if (code != up::ErrorCode::Replaced && code != up::ErrorCode::ShuttingDown)
    spdlog::info("{} {} {}: closed with {}: {}", o_.label, events_.name(c), c.address(),
                 up::errorCodeName(static_cast<std::uint8_t>(code)), reason);
  if (c.state == Connection::State::Open) --stats_.loggedIn;
  events_.onEnd(c);
  c.state = Connection::State::Closing;
  c.deadlineMs = steadyMs() + o_.closeLinger.count();
  trim(c.in);
  if (c.ssl && !SSL_is_init_finished(c.ssl.get())) {
    closeNow(c);  // no TLS session to say it in
    return;
  }
  events_.appendError(c, code, reason, c.out);
  flush(c);
}

void Transport::endTurn() {
  // Swapped out first: a failed write closes its connection while the list is walked.
  writing_.swap(dirty_);
  for (ConnectionId id : writing_) {
    Connection* c = find(id);
    if (!c) continue;
    if (c->state == Connection::State::Open) events_.onTurnEnd(*c);
    c->queued = false;
    if (c->state != Connection::State::Closing || !c->shutWritten) flush(*c);
  }
  writing_.clear();
}

void Transport::scanTimers(std::int64_t now) {
  // Collected first: failing or closing a connection erases it from the map.
  std::vector<ConnectionId> due;
  for (auto& [id, c] : conns_) {
    if (c->lent) continue;  // the handshake threads keep its login timeout
    const bool late = c->state == Connection::State::Open
                          ? now - c->lastRxMs >= o_.idleTimeout.count()
                          : now >= c->deadlineMs;
    if (late) due.push_back(id);
  }
  for (ConnectionId id : due) {
    Connection* c = find(id);
    if (!c) continue;
    if (c->state == Connection::State::Closing) {
      closeNow(*c);
    } else if (c->expectProxy) {
      // The proxy's header never came: there is no tracker to answer (schema/uplink.md 1).
      spdlog::warn("{} {}: closed: no PROXY protocol v2 header within the login time", o_.label,
                   peerAddress(c->fd));
      closeNow(*c);
    } else {
      events_.onTimeout(*c);
    }
  }
}

}  // namespace dcgw::uplink
