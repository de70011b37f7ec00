// The uplink event loop: level-triggered epoll, non-blocking sockets, a shared read buffer (an
// idle connection keeps no buffer), acknowledgements coalesced per loop iteration.
#include "gateway/uplink/listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/SSLManager.h>
#include <fcntl.h>
#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "adapters/adapter.hpp"
#include "codecs/packets/packet.hpp"
#include "codecs/uplink/frame.hpp"
#include "gateway/common/tls.hpp"
#include "gateway/uplink/auth.hpp"

namespace dcgw::uplink {

namespace up = codecs::uplink;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t kListenTag = ~std::uint64_t{0};
constexpr std::uint64_t kWakeTag = ~std::uint64_t{0} - 1;
constexpr std::size_t kScratchBytes = 64 * 1024;
constexpr std::size_t kKeepBufferBytes = 4096;  // larger idle buffers are given back
// Until the login is done only HELLO (at most 19 bytes) and PROOF (42) are expected: a client
// that has not proved anything cannot make the gateway hold a 64 KiB partial frame.
constexpr std::size_t kLoginFrameBytes = up::kMinFrameBytes;
// A client that does not read its answers stops being read once this much is waiting for it.
constexpr std::size_t kMaxPendingOut = 256 * 1024;

std::int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             SteadyClock::now().time_since_epoch())
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

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

enum class Phase : std::uint8_t { AwaitHello, AwaitProof, Ready, Closing };

struct Inflight {
  std::uint32_t sequence;
  bool done;
  bool rejected;
};

struct Conn {
  std::uint64_t id{0};
  int fd{-1};
  Phase phase{Phase::AwaitHello};
  bool wantOut{false};         // EPOLLOUT registered
  bool ackDirty{false};        // an ACK of ackedSequence is owed
  bool queued{false};          // in the list of connections to write at the end of the iteration
  bool shutWritten{false};     // SHUT_WR sent (Closing)
  bool readPaused{false};      // EPOLLIN off until `out` drains below kMaxPendingOut
  bool writeWantsRead{false};  // TLS: SSL_write needs the peer's bytes first
  std::string serial;
  std::unique_ptr<Nonce> nonce;        // between CHALLENGE and PROOF
  std::unique_ptr<codecs::Bytes> key;  // between HELLO and PROOF
  std::uint32_t lastSequence{0};       // highest sequence received (or stored before this login)
  std::uint32_t ackedSequence{0};
  std::vector<Inflight> inflight;  // in sequence order; [head, end) not yet acknowledged
  std::size_t head{0};
  std::size_t rejectedInFlight{0};  // rejected entries in [head, end): the device forgot them
  codecs::Bytes in;                 // a partial frame carried to the next read
  codecs::Bytes out;                // bytes not yet written
  std::size_t outPos{0};
  std::int64_t openedMs{0};
  std::int64_t lastRxMs{0};
  std::int64_t closeAtMs{0};
  std::unique_ptr<SSL, SslFree> ssl;

  std::size_t inFlight() const { return inflight.size() - head; }
  // What the device still counts against its window: not acknowledged and not rejected.
  std::size_t windowUsed() const { return inFlight() - rejectedInFlight; }
  std::size_t pendingOut() const { return out.size() - outPos; }
};

struct Completion {
  std::uint64_t conn;
  std::uint32_t sequence;
  bool ok;
  std::string field;  // of the error
  std::string message;
};

// Where the committer thread leaves completions. Shared with every callback in the Ingestor,
// so a callback that runs after the listener is gone still has somewhere to write.
struct CompletionSink {
  CompletionSink() : fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~CompletionSink() {
    if (fd >= 0) ::close(fd);
  }
  void push(Completion c) {
    bool first = false;
    {
      std::lock_guard lock(mu);
      first = items.empty();
      items.push_back(std::move(c));
    }
    if (first) wake();
  }
  void wake() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
  }
  std::mutex mu;
  std::vector<Completion> items;
  int fd;
};

void trim(codecs::Bytes& b) {
  b.clear();
  if (b.capacity() > kKeepBufferBytes) codecs::Bytes().swap(b);
}

}  // namespace

class Listener::Impl {
 public:
  Impl(Listener& owner, store::DeviceDirectory& store, ingest::Ingestor& ingestor,
       common::Clock& clock, ListenerOptions options)
      : store_(store),
        ingestor_(ingestor),
        clock_(clock),
        o_(std::move(options)),
        stats_(owner.stats_),
        scratch_(kScratchBytes),
        sink_(std::make_shared<CompletionSink>()) {}

  ~Impl() {
    stop();
    for (auto& [id, c] : conns_)
      if (c->fd >= 0) ::close(c->fd);
    if (listenFd_ >= 0) ::close(listenFd_);
    if (spareFd_ >= 0) ::close(spareFd_);
    if (epollFd_ >= 0) ::close(epollFd_);
  }

  void start() {
    if (o_.maxFrameBytes < up::kMinFrameBytes || o_.maxFrameBytes > up::kMaxFrameBytes)
      throw std::runtime_error("uplink.maxFrameBytes must be from 64 to 65536, not " +
                               std::to_string(o_.maxFrameBytes));
    if (o_.window == 0) throw std::runtime_error("uplink.window must be at least 1");
    if (!o_.tlsCertificateFile.empty() || !o_.tlsPrivateKeyFile.empty()) setUpTls();
    epollFd_ = epoll_create1(EPOLL_CLOEXEC);
    wakeFd_ = sink_->fd;
    // Kept in reserve: when the descriptors run out, it is closed to accept and shed a
    // connection, instead of leaving it in the backlog where level-triggered epoll spins on it.
    spareFd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (epollFd_ < 0 || wakeFd_ < 0)
      throw std::runtime_error(std::string("uplink: epoll/eventfd: ") + std::strerror(errno));
    bindListener();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenTag;
    epoll_ctl(epollFd_, EPOLL_CTL_ADD, listenFd_, &ev);
    ev.data.u64 = kWakeTag;
    epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &ev);
    thread_ = std::thread([this] { run(); });
    recorder_ = std::thread([this] { recordRefused(); });
  }

  void stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    sink_->wake();
    thread_.join();
    {
      std::lock_guard lock(refusedMu_);
      recorderStop_ = true;
    }
    refusedCv_.notify_one();
    recorder_.join();
  }

  std::uint16_t port() const { return port_; }

 private:
  // ---------------------------------------------------------------- set-up
  void setUpTls() {
    tls_ = common::makeServerTlsContext("uplink", o_.tlsCertificateFile, o_.tlsPrivateKeyFile);
    // An idle TLS connection gives its read and write buffers back (thousands are idle).
    SSL_CTX_set_mode(tls_->sslContext(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                             SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Trackers keep one long connection: a session cache (and tickets) would only hold a
    // session per tracker in memory for resumptions that do not come.
    SSL_CTX_set_session_cache_mode(tls_->sslContext(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(tls_->sslContext(), SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(tls_->sslContext(), 0);
  }

  void bindListener() {
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
      throw std::runtime_error("uplink.bind: an IPv4 or IPv6 address, not '" + o_.bind + "'");
    }
    listenFd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
        ::listen(listenFd_, 4096) != 0)
      throw std::runtime_error("uplink: cannot listen on " + o_.bind + ":" +
                               std::to_string(o_.port) + ": " + std::strerror(errno));
    sockaddr_storage bound{};
    socklen_t blen = sizeof bound;
    getsockname(listenFd_, reinterpret_cast<sockaddr*>(&bound), &blen);
    port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                             : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  }

  // ---------------------------------------------------------------- the loop

  void run() {
    std::vector<epoll_event> events(512);
    std::int64_t nextScanMs = steadyMs() + 250;
    std::int64_t drainUntilMs = 0, lingerUntilMs = 0;
    for (;;) {
      const int n = epoll_wait(epollFd_, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < n; ++i) {
        const std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
        const std::uint32_t ev = events[static_cast<std::size_t>(i)].events;
        if (tag == kListenTag) {
          acceptAll();
        } else if (tag == kWakeTag) {
          std::uint64_t v;
          [[maybe_unused]] auto r = ::read(wakeFd_, &v, sizeof v);
          takeCompletions();
        } else {
          Conn* c = find(tag);
          if (!c) continue;
          if (ev & EPOLLOUT) {
            if (!flush(*c)) continue;
          }
          // TLS may need to write before it can read on (a key update): retry the read then.
          if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) || (c->ssl && (ev & EPOLLOUT)))
            onReadable(*c);
        }
      }
      sendAcks();
      resumeReading();
      const std::int64_t now = steadyMs();
      if (now >= nextScanMs) {
        scanTimers(now);
        nextScanMs = now + 250;
      }
      if (stopping_) {
        // 1: no new connections or packets; what is in flight commits and is acknowledged.
        if (drainUntilMs == 0) {
          drainUntilMs = now + 5000;
          epoll_ctl(epollFd_, EPOLL_CTL_DEL, listenFd_, nullptr);
          ::close(listenFd_);
          listenFd_ = -1;
        }
        if (lingerUntilMs == 0) {
          bool waiting = false;
          for (auto& [id, c] : conns_)
            if (c->phase == Phase::Ready && c->inFlight() > 0) waiting = true;
          if (waiting && now < drainUntilMs) continue;
          // 2: every connection is told, its sending side shut, and given time to read that.
          std::vector<std::uint64_t> ids;
          for (auto& [id, c] : conns_) ids.push_back(id);
          for (std::uint64_t id : ids)
            if (Conn* c = find(id))
              fail(*c, up::ErrorCode::ShuttingDown, "the gateway is stopping; reconnect later");
          lingerUntilMs = now + o_.closeLinger.count();
        }
        if (conns_.empty() || now >= lingerUntilMs) break;
      }
    }
    std::vector<std::uint64_t> ids;
    for (auto& [id, c] : conns_) ids.push_back(id);
    for (std::uint64_t id : ids)
      if (Conn* c = find(id)) closeNow(*c, true);
  }

  Conn* find(std::uint64_t id) {
    auto it = conns_.find(id);
    return it == conns_.end() ? nullptr : it->second.get();
  }

  void acceptAll() {
    for (;;) {
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
                "uplink: out of file descriptors ({}): connections are shed; raise "
                "the open-files limit or lower uplink.maxConnections",
                std::strerror(errno));
          }
          continue;
        }
        return;
      }
      ++stats_.accepted;
      if (conns_.size() >= o_.maxConnections) {
        if (!tls_) {
          codecs::Bytes e;
          up::appendError(e, up::ErrorCode::TooManyConnections,
                          "the gateway holds its maximum of " + std::to_string(o_.maxConnections) +
                              " connections; try later");
          [[maybe_unused]] auto w = ::send(fd, e.data(), e.size(), MSG_NOSIGNAL);
        }
        ::close(fd);
        continue;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<Conn>();
      c->id = nextId_++;
      c->fd = fd;
      c->openedMs = c->lastRxMs = steadyMs();
      if (tls_) {
        c->ssl.reset(SSL_new(tls_->sslContext()));
        SSL_set_fd(c->ssl.get(), fd);
        SSL_set_accept_state(c->ssl.get());
      }
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u64 = c->id;
      epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev);
      conns_.emplace(c->id, std::move(c));
      ++stats_.connections;
    }
  }

  // ---------------------------------------------------------------- I/O
  // >0 bytes read, 0 nothing now, -1 closed or failed.
  long readSome(Conn& c, std::uint8_t* buf, std::size_t cap) {
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

  void onReadable(Conn& c) {
    const std::uint64_t id = c.id;
    for (;;) {
      if (c.readPaused) return;
      const long n = readSome(c, scratch_.data(), scratch_.size());
      if (n < 0) {
        closeNow(c, true);
        return;
      }
      if (c.writeWantsRead) {  // TLS: what the write waited for may have arrived
        c.writeWantsRead = false;
        if (!flush(c)) return;
      }
      if (n == 0) return;
      if (c.phase == Phase::Closing || stopping_) continue;  // read and dropped
      if (!process(c, scratch_.data(), static_cast<std::size_t>(n)) || !find(id)) return;
      // A short read emptied the socket; TLS reads on until WANT_READ, as bytes it has already
      // decrypted would not wake epoll again.
      if (!c.ssl && static_cast<std::size_t>(n) < scratch_.size()) return;
    }
  }

  // Handles the whole frames in c.in followed by `fresh`; keeps a partial frame in c.in.
  // false: the connection was closed.
  bool process(Conn& c, const std::uint8_t* fresh, std::size_t n) {
    const std::uint64_t id = c.id;
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
      const std::size_t max = c.phase == Phase::Ready ? o_.maxFrameBytes : kLoginFrameBytes;
      up::ScanResult r = up::scanFrame(data.subspan(used), max);
      if (r.scan == up::Scan::NeedMore) break;
      if (r.scan == up::Scan::Bad) {
        if (r.error == up::ErrorCode::FrameTooLarge && c.phase != Phase::Ready)
          r.reason += " before the login (HELLO and PROOF only)";
        fail(c, r.error, r.reason);
        if (Conn* still = find(id)) trim(still->in);
        return find(id) != nullptr;
      }
      c.lastRxMs = steadyMs();  // a frame, not a byte, keeps a connection alive
      const bool alive = handleFrame(c, r.frame);
      used += r.frameBytes;
      if (!find(id)) return false;  // a failed write closed it
      if (!alive || c.phase == Phase::Closing) {
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
  void resumeReading() {
    if (resumed_.empty()) return;
    std::vector<std::uint64_t> ids;
    ids.swap(resumed_);
    for (std::uint64_t id : ids) {
      Conn* c = find(id);
      if (!c || c->readPaused) continue;
      if (!c->in.empty()) {
        codecs::Bytes buffered;
        buffered.swap(c->in);
        if (!process(*c, buffered.data(), buffered.size())) continue;
      }
      if (Conn* again = find(id)) onReadable(*again);
    }
    sendAcks();
  }

  // false: the connection was closed.
  bool flush(Conn& c) {
    while (c.outPos < c.out.size()) {
      const std::size_t left = c.out.size() - c.outPos;
      if (c.ssl) {
        ERR_clear_error();
        const int n = SSL_write(c.ssl.get(), c.out.data() + c.outPos, static_cast<int>(left));
        if (n > 0) {
          c.outPos += static_cast<std::size_t>(n);
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
        closeNow(c, true);
        return false;
      }
      const ssize_t n = ::send(c.fd, c.out.data() + c.outPos, left, MSG_NOSIGNAL);
      if (n > 0) {
        c.outPos += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        setWantOut(c, true);
        return true;
      }
      closeNow(c, true);
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
    if (c.phase == Phase::Closing && !c.shutWritten) {
      if (c.ssl) SSL_shutdown(c.ssl.get());
      ::shutdown(c.fd, SHUT_WR);
      c.shutWritten = true;
    }
    return true;
  }

  void setWantOut(Conn& c, bool want) {
    if (c.wantOut == want) return;
    c.wantOut = want;
    updateInterest(c);
  }

  void updateInterest(Conn& c) {
    epoll_event ev{};
    ev.events = (c.readPaused ? 0u : EPOLLIN | EPOLLRDHUP) | (c.wantOut ? EPOLLOUT : 0u);
    ev.data.u64 = c.id;
    epoll_ctl(epollFd_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void closeNow(Conn& c, bool erase) {
    if (c.phase == Phase::Ready) --stats_.loggedIn;
    auto dev = devices_.find(c.serial);
    if (dev != devices_.end() && dev->second == c.id) devices_.erase(dev);
    ::close(c.fd);  // leaves the epoll set with it
    c.fd = -1;
    --stats_.connections;
    // Its id may stay in dirty_: ids are never reused and find() no longer sees it.
    if (erase) conns_.erase(c.id);
  }

  // Sends ERROR and lets the connection close: SHUT_WR once written, closed after the linger.
  void fail(Conn& c, up::ErrorCode code, const std::string& reason) {
    if (c.phase == Phase::Closing) return;
    ++stats_.protocolErrors;
    if (code != up::ErrorCode::Replaced && code != up::ErrorCode::ShuttingDown)
      spdlog::info("uplink {} {}: closed with {}: {}", c.serial.empty() ? "-" : c.serial,
                   peerAddress(c.fd), up::errorCodeName(static_cast<std::uint8_t>(code)), reason);
    if (c.phase == Phase::Ready) --stats_.loggedIn;
    auto dev = devices_.find(c.serial);
    if (dev != devices_.end() && dev->second == c.id) devices_.erase(dev);
    c.phase = Phase::Closing;
    c.closeAtMs = steadyMs() + o_.closeLinger.count();
    c.key.reset();
    c.nonce.reset();
    trim(c.in);
    if (c.ssl && !SSL_is_init_finished(c.ssl.get())) {
      closeNow(c, true);  // no TLS session to say it in
      return;
    }
    up::appendError(c.out, code, reason);
    flush(c);
  }

  void refuse(Conn& c, up::ErrorCode code, const std::string& reason) {
    ++stats_.refusedLogins;
    spdlog::warn("uplink {} {}: login refused: {}", c.serial, peerAddress(c.fd), reason);
    {
      std::lock_guard lock(refusedMu_);
      if (refused_.size() < 10'000)  // a flood is counted in stats, not queued without bound
        refused_.push_back(store::RefusedIdent{
            c.serial, peerAddress(c.fd),
            std::string(up::errorCodeName(static_cast<std::uint8_t>(code))) + ": " + reason,
            clock_.nowMs(), 0, 0});
    }
    fail(c, code, reason);
  }

  // ---------------------------------------------------------------- frames
  // false: the connection is closing.
  bool handleFrame(Conn& c, const up::FrameView& f) {
    const std::uint8_t k = f.kind;
    if (c.phase != Phase::Ready && (up::isReservedKind(k) || k == 0x20)) {
      fail(c, up::ErrorCode::UnexpectedFrame,
           std::string(up::kindName(k)) + " before the login finished (WELCOME)");
      return false;
    }
    if (up::isReservedKind(k)) {
      up::appendError(c.out, up::ErrorCode::NotSupported,
                      std::string("kind ") + std::to_string(k) + " is " + up::kindName(k) +
                          ", not implemented by this gateway (uplink version 1)");
      markDirty(c);
      return true;
    }
    if (!up::isDefinedKind(k)) {
      fail(c, up::ErrorCode::UnknownKind,
           "kind at offset 1: a kind of uplink version 1, not " + std::to_string(k));
      return false;
    }
    switch (static_cast<up::Kind>(k)) {
      case up::Kind::Hello:
        return onHello(c, f.body);
      case up::Kind::Proof:
        return onProof(c, f.body);
      case up::Kind::Packet:
        return onPacket(c, f.body);
      case up::Kind::Heartbeat:
        if (!f.body.empty()) {
          fail(c, up::ErrorCode::MalformedFrame, "HEARTBEAT: an empty body");
          return false;
        }
        up::appendHeartbeat(c.out);
        markDirty(c);
        return true;
      default:
        fail(c, up::ErrorCode::UnexpectedFrame,
             std::string(up::kindName(k)) + " is sent by the gateway, not by a device");
        return false;
    }
  }

  bool onHello(Conn& c, codecs::ByteView body) {
    if (c.phase != Phase::AwaitHello) {
      fail(c, up::ErrorCode::UnexpectedFrame, "HELLO: the login has already begun");
      return false;
    }
    auto h = up::parseHello(body);
    if (!h) {
      fail(c, up::ErrorCode::MalformedFrame, h.error().message());
      return false;
    }
    c.serial = h->serial;
    std::optional<store::DeviceAuth> auth;
    try {
      auth = store_.deviceAuth(c.serial);
    } catch (const store::StoreError& e) {
      fail(c, up::ErrorCode::StoreUnavailable, std::string("the device list: ") + e.what());
      return false;
    }
    if (!auth) {
      refuse(c, up::ErrorCode::UnknownDevice, "no device '" + c.serial + "' is registered");
      return false;
    }
    if (auth->key.empty()) {
      refuse(c, up::ErrorCode::UnknownDevice,
             "device '" + c.serial + "' has no device key; an admin must set one");
      return false;
    }
    c.key = std::make_unique<codecs::Bytes>(std::move(auth->key));
    c.nonce = std::make_unique<Nonce>(makeNonce());
    c.lastSequence = auth->lastSequence;
    up::appendChallenge(c.out, *c.nonce);
    c.phase = Phase::AwaitProof;
    markDirty(c);
    return true;
  }

  bool onProof(Conn& c, codecs::ByteView body) {
    if (c.phase != Phase::AwaitProof) {
      fail(c, up::ErrorCode::UnexpectedFrame,
           c.phase == Phase::AwaitHello ? "PROOF before HELLO" : "PROOF after the login");
      return false;
    }
    auto p = up::parseProof(body);
    if (!p) {
      fail(c, up::ErrorCode::MalformedFrame, p.error().message());
      return false;
    }
    if (!proofMatches(*c.key, *c.nonce, c.serial, *p)) {
      refuse(c, up::ErrorCode::WrongProof,
             "the PROOF does not match the key registered for device '" + c.serial + "'");
      return false;
    }
    c.key.reset();
    c.nonce.reset();
    // Read again: a connection this one replaces may have stored more since HELLO.
    try {
      if (auto fresh = store_.deviceAuth(c.serial))
        c.lastSequence = std::max(c.lastSequence, fresh->lastSequence);
    } catch (const store::StoreError&) {
    }
    // The newer connection wins: the older one may be a dead link not noticed yet.
    if (auto it = devices_.find(c.serial); it != devices_.end()) {
      if (Conn* old = find(it->second)) {
        spdlog::info("uplink {}: a newer connection from {} replaces the one from {}", c.serial,
                     peerAddress(c.fd), peerAddress(old->fd));
        fail(*old, up::ErrorCode::Replaced,
             "device '" + c.serial + "' logged in on a newer connection");
      }
    }
    devices_[c.serial] = c.id;
    c.phase = Phase::Ready;
    c.ackedSequence = c.lastSequence;
    ++stats_.logins;
    ++stats_.loggedIn;
    spdlog::debug("uplink {} {}: logged in, last sequence {}", c.serial, peerAddress(c.fd),
                  c.lastSequence);
    up::Welcome w;
    w.lastSequence = c.lastSequence;
    w.window = o_.window;
    w.heartbeatSeconds = static_cast<std::uint16_t>(
        std::clamp<std::int64_t>((o_.heartbeat.count() + 999) / 1000, 1, 65535));
    w.idleTimeoutSeconds = static_cast<std::uint16_t>(
        std::clamp<std::int64_t>((o_.idleTimeout.count() + 999) / 1000, 1, 65535));
    w.maxFrameBytes = static_cast<std::uint32_t>(o_.maxFrameBytes);
    up::appendWelcome(c.out, w);
    markDirty(c);
    return true;
  }

  bool onPacket(Conn& c, codecs::ByteView body) {
    if (c.phase != Phase::Ready) {
      fail(c, up::ErrorCode::UnexpectedFrame, "PACKET before the login finished (WELCOME)");
      return false;
    }
    auto p = up::parsePacket(body);
    if (!p) {
      fail(c, up::ErrorCode::MalformedFrame, p.error().message());
      return false;
    }
    ++stats_.packets;
    if (c.windowUsed() >= o_.window) {
      fail(c, up::ErrorCode::WindowExceeded,
           "more than " + std::to_string(o_.window) + " packets in flight");
      return false;
    }
    if (p->sequence <= c.lastSequence) {
      // Stored before (its ACK was lost) or resent on this connection: acknowledged, not
      // stored again. Once nothing earlier is in flight, say so at once.
      ++stats_.duplicates;
      if (c.inFlight() == 0) owesAck(c);
      return true;
    }
    c.lastSequence = p->sequence;
    codecs::Packet decoded;
    if (codecs::Status s = codecs::decodePacket(p->packet, decoded); !s) {
      ++stats_.rejected;
      up::appendReject(c.out, p->sequence, up::RejectCode::InvalidPacket, s.error().message());
      c.inflight.push_back(Inflight{p->sequence, true, true});
      ++c.rejectedInFlight;
      advance(c);
      markDirty(c);
      return true;
    }
    c.inflight.push_back(Inflight{p->sequence, false, false});
    store::IngestItem item;
    item.serial = c.serial;
    item.registration = p->registration;
    item.packet.assign(p->packet.begin(), p->packet.end());
    item.receivedAtMs = clock_.nowMs();
    item.sequence = p->sequence;
    const std::uint64_t id = c.id;
    const std::uint32_t seq = p->sequence;
    item.session = id;
    ingestor_.submitValidated(std::move(item), [sink = sink_, id, seq](const ingest::Outcome& s) {
      Completion done{id, seq, s.ok(), {}, {}};
      if (!s.ok()) {
        done.field = s.error.field;
        done.message = s.error.message();
      }
      sink->push(std::move(done));
    });
    return true;
  }

  // The connection has bytes to write at the end of this loop iteration.
  void markDirty(Conn& c) {
    if (!c.queued) {
      c.queued = true;
      dirty_.push_back(c.id);
    }
  }
  void owesAck(Conn& c) {
    c.ackDirty = true;
    markDirty(c);
  }

  // Moves the acknowledged point past every finished packet at the front.
  void advance(Conn& c) {
    bool moved = false;
    while (c.head < c.inflight.size() && c.inflight[c.head].done) {
      c.ackedSequence = c.inflight[c.head].sequence;
      if (c.inflight[c.head].rejected) --c.rejectedInFlight;
      ++c.head;
      moved = true;
    }
    if (c.head == c.inflight.size()) {
      c.inflight.clear();
      c.head = 0;
      if (c.inflight.capacity() > 256) std::vector<Inflight>().swap(c.inflight);
    } else if (c.head > 1024) {
      c.inflight.erase(c.inflight.begin(),
                       c.inflight.begin() + static_cast<std::ptrdiff_t>(c.head));
      c.head = 0;
    }
    if (moved) owesAck(c);
  }

  void takeCompletions() {
    {
      std::lock_guard lock(sink_->mu);
      taken_.swap(sink_->items);
    }
    for (Completion& d : taken_) {
      Conn* c = find(d.conn);
      if (!c || c->phase != Phase::Ready) continue;  // closed: the tracker resends, deduped
      auto it = std::lower_bound(c->inflight.begin() + static_cast<std::ptrdiff_t>(c->head),
                                 c->inflight.end(), d.sequence,
                                 [](const Inflight& f, std::uint32_t s) { return f.sequence < s; });
      if (it == c->inflight.end() || it->sequence != d.sequence) continue;
      if (d.ok) {
        it->done = true;
        ++stats_.stored;
        advance(*c);
        continue;
      }
      if (d.field == "store") {
        fail(*c, up::ErrorCode::StoreUnavailable, d.message);
      } else if (d.field == "gateway") {
        fail(*c, up::ErrorCode::ShuttingDown, d.message);
      } else if (d.field == "serial") {
        fail(*c, up::ErrorCode::UnknownDevice, d.message);
      } else {
        ++stats_.rejected;
        up::appendReject(c->out, d.sequence, up::RejectCode::InvalidPacket, d.message);
        it->done = true;
        it->rejected = true;
        ++c->rejectedInFlight;
        advance(*c);
        markDirty(*c);
      }
    }
    taken_.clear();
  }

  void sendAcks() {
    // Swapped out first: a failed write closes its connection while the list is walked.
    writing_.swap(dirty_);
    for (std::uint64_t id : writing_) {
      Conn* c = find(id);
      if (!c) continue;
      if (c->ackDirty && c->phase == Phase::Ready) up::appendAck(c->out, c->ackedSequence);
      c->ackDirty = false;
      c->queued = false;
      if (c->phase != Phase::Closing || !c->shutWritten) flush(*c);
    }
    writing_.clear();
  }

  void scanTimers(std::int64_t now) {
    // Collected first: failing or closing a connection erases it from the map.
    std::vector<std::uint64_t> due;
    for (auto& [id, c] : conns_) {
      const bool late = c->phase == Phase::Closing ? now >= c->closeAtMs
                        : c->phase == Phase::Ready ? now - c->lastRxMs >= o_.idleTimeout.count()
                                                   : now - c->openedMs >= o_.loginTimeout.count();
      if (late) due.push_back(id);
    }
    for (std::uint64_t id : due) {
      Conn* c = find(id);
      if (!c) continue;
      switch (c->phase) {
        case Phase::Closing:
          closeNow(*c, true);
          break;
        case Phase::Ready:
          fail(*c, up::ErrorCode::IdleTimeout,
               "nothing received for " + std::to_string(o_.idleTimeout.count()) + " ms");
          break;
        case Phase::AwaitHello:
          fail(*c, up::ErrorCode::LoginTimeout,
               "no HELLO within " + std::to_string(o_.loginTimeout.count()) + " ms");
          break;
        case Phase::AwaitProof:
          refuse(*c, up::ErrorCode::LoginTimeout,
                 "no PROOF within " + std::to_string(o_.loginTimeout.count()) + " ms");
          break;
      }
    }
  }

  // Refused logins are written by a thread of their own: the store's write lock may be held
  // by an ingest commit (an fsync), and the event loop must not wait for it.
  void recordRefused() {
    std::vector<store::RefusedIdent> batch;
    for (;;) {
      {
        std::unique_lock lock(refusedMu_);
        refusedCv_.wait_for(lock, std::chrono::milliseconds(200));
        batch.swap(refused_);
        if (batch.empty() && recorderStop_) return;
      }
      if (batch.empty()) continue;
      try {
        store_.recordRefusedIdents(batch);
      } catch (const store::StoreError& e) {
        spdlog::error("uplink: cannot record {} refused logins: {}", batch.size(), e.what());
      }
      batch.clear();
    }
  }

  store::DeviceDirectory& store_;
  ingest::Ingestor& ingestor_;
  common::Clock& clock_;
  ListenerOptions o_;
  ListenerStats& stats_;
  Poco::Net::Context::Ptr tls_;
  int epollFd_{-1};
  int listenFd_{-1};
  int wakeFd_{-1};
  std::uint16_t port_{0};
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::uint64_t nextId_{1};
  std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> conns_;
  std::unordered_map<std::string, std::uint64_t> devices_;  // serial -> logged-in connection
  std::vector<std::uint64_t> dirty_;
  std::vector<std::uint64_t> writing_;
  std::vector<std::uint8_t> scratch_;
  std::vector<Completion> taken_;
  std::vector<std::uint64_t> resumed_;
  std::shared_ptr<CompletionSink> sink_;
  int spareFd_{-1};
  std::int64_t lastFdWarningMs_{0};
  std::thread recorder_;
  std::mutex refusedMu_;
  std::condition_variable refusedCv_;
  bool recorderStop_{false};
  std::vector<store::RefusedIdent> refused_;
};

Listener::Listener(store::DeviceDirectory& store, ingest::Ingestor& ingestor, common::Clock& clock,
                   ListenerOptions options)
    : impl_(std::make_unique<Impl>(*this, store, ingestor, clock, std::move(options))) {}

Listener::~Listener() = default;

void Listener::start() {
  impl_->start();
  port_ = impl_->port();
}

void Listener::stop() {
  impl_->stop();
}

}  // namespace dcgw::uplink
