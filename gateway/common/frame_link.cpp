// FrameLink: a non-blocking socket driven with poll(), so every wait has a deadline (the name
// lookup included) and wake() can interrupt it.
#include "gateway/common/frame_link.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "codecs/uplink/frame.hpp"

namespace dcgw::common {

struct FrameLink::Tls {
  SSL_CTX* ctx{nullptr};
  SSL* ssl{nullptr};
  ~Tls() {
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
  }
};

namespace {

// getaddrinfo has no deadline of its own: it runs on a thread of its own, and a lookup that
// outlives the timeout is abandoned (the thread ends when the resolver returns).
struct Lookup {
  std::mutex mu;
  std::condition_variable cv;
  bool done{false};
  int rc{0};
  addrinfo* res{nullptr};
  ~Lookup() {
    if (res) freeaddrinfo(res);
  }
};

std::shared_ptr<Lookup> resolve(const LinkOptions& o, int timeoutMs, std::string& why) {
  auto l = std::make_shared<Lookup>();
  std::thread([l, host = o.host, port = std::to_string(o.port)] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    std::lock_guard g(l->mu);
    l->rc = rc;
    l->res = res;
    l->done = true;
    l->cv.notify_all();
  }).detach();
  std::unique_lock g(l->mu);
  if (!l->cv.wait_for(g, std::chrono::milliseconds(timeoutMs), [&] { return l->done; })) {
    why = "cannot resolve '" + o.host + "' within " + std::to_string(timeoutMs) + " ms";
    return nullptr;
  }
  if (l->rc != 0) {
    why = "cannot resolve '" + o.host + "': " + gai_strerror(l->rc);
    return nullptr;
  }
  return l;
}

int waitFor(int fd, short events, int timeoutMs, int wakeFd = -1) {
  pollfd p[2] = {{fd, events, 0}, {wakeFd, POLLIN, 0}};
  const int n = ::poll(p, wakeFd >= 0 ? 2 : 1, timeoutMs);
  if (n <= 0) return n;
  if (wakeFd >= 0 && (p[1].revents & POLLIN)) {
    std::uint64_t v = 0;
    (void)!::read(wakeFd, &v, sizeof v);
    return -2;
  }
  return 1;
}

std::string sslError() {
  const unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return e ? buf : "the connection closed";
}

}  // namespace

std::unique_ptr<FrameLink> FrameLink::open(const LinkOptions& o, std::string& why) {
  const auto began = std::chrono::steady_clock::now();
  auto left = [&] {
    const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - began)
                           .count();
    return static_cast<int>(std::max<long long>(0, o.connectTimeoutMs - spent));
  };
  auto found = resolve(o, o.connectTimeoutMs, why);
  if (!found) return nullptr;
  std::unique_ptr<FrameLink> link(new FrameLink());
  for (addrinfo* a = found->res; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
        (errno == EINPROGRESS && waitFor(fd, POLLOUT, left()) == 1)) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) {
        // Small frames answered one by one (an APDU and its response): no Nagle delay.
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        link->fd_ = fd;
        break;
      }
      why = std::string("cannot connect to ") + o.host + ":" + std::to_string(o.port) + ": " +
            std::strerror(err);
    } else {
      why = "cannot connect to " + o.host + ":" + std::to_string(o.port) + ": " +
            (errno == EINPROGRESS ? std::string("timed out") : std::strerror(errno));
    }
    ::close(fd);
  }
  if (link->fd_ < 0) return nullptr;
  link->wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (!o.tls) return link;

  link->tls_ = std::make_unique<Tls>();
  Tls& t = *link->tls_;
  t.ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(t.ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(t.ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!o.insecure) {
    if (!o.caFile.empty() ? SSL_CTX_load_verify_locations(t.ctx, o.caFile.c_str(), nullptr) != 1
                          : SSL_CTX_set_default_verify_paths(t.ctx) != 1) {
      why = "cannot load the CA certificates from '" + o.caFile + "'";
      return nullptr;
    }
    SSL_CTX_set_verify(t.ctx, SSL_VERIFY_PEER, nullptr);
  }
  t.ssl = SSL_new(t.ctx);
  SSL_set_fd(t.ssl, link->fd_);
  const std::string name = o.serverName.empty() ? o.host : o.serverName;
  SSL_set_tlsext_host_name(t.ssl, name.c_str());
  if (!o.insecure) SSL_set1_host(t.ssl, name.c_str());
  for (;;) {
    ERR_clear_error();
    const int rc = SSL_connect(t.ssl);
    if (rc == 1) return link;
    const int e = SSL_get_error(t.ssl, rc);
    if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
        waitFor(link->fd_, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, left()) == 1)
      continue;
    const long v = SSL_get_verify_result(t.ssl);
    why = "TLS handshake with " + o.host + ":" + std::to_string(o.port) + " failed: " +
          (v != X509_V_OK ? std::string("certificate: ") + X509_verify_cert_error_string(v)
           : e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? std::string("timed out")
                                                                   : sslError());
    return nullptr;
  }
}

std::unique_ptr<FrameLink> FrameLink::adopt(int fd) {
  std::unique_ptr<FrameLink> link(new FrameLink());
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  link->fd_ = fd;
  link->wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  return link;
}

FrameLink::~FrameLink() {
  tls_.reset();
  if (fd_ >= 0) ::close(fd_);
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

void FrameLink::wake() {
  const std::uint64_t one = 1;
  (void)!::write(wakeFd_, &one, sizeof one);
}

bool FrameLink::send(const codecs::Bytes& frames) {
  std::size_t done = 0;
  while (done < frames.size()) {
    const std::size_t n = frames.size() - done;
    long w = 0;
    short want = POLLOUT;
    if (tls_) {
      ERR_clear_error();
      const int rc = SSL_write(tls_->ssl, frames.data() + done, static_cast<int>(n));
      if (rc > 0) {
        w = rc;
      } else {
        const int e = SSL_get_error(tls_->ssl, rc);
        if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) return false;
        want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
      }
    } else {
      w = ::send(fd_, frames.data() + done, n, MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN && errno != EINTR) return false;
    }
    if (w > 0) {
      done += static_cast<std::size_t>(w);
    } else if (waitFor(fd_, want, 10'000) != 1) {
      return false;  // nothing written for 10 s: the peer is not reading
    }
  }
  return true;
}

bool FrameLink::fill(int timeoutMs, Got& got, std::string& why) {
  std::uint8_t buf[16384];
  for (;;) {
    long n = 0;
    short want = POLLIN;
    if (tls_) {
      ERR_clear_error();
      const int rc = SSL_read(tls_->ssl, buf, sizeof buf);
      if (rc > 0) {
        n = rc;
      } else {
        const int e = SSL_get_error(tls_->ssl, rc);
        if (e == SSL_ERROR_ZERO_RETURN) {
          got = Got::Closed;
          return false;
        }
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
          why = sslError();
          got = Got::Closed;
          return false;
        }
        want = e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
      }
    } else {
      n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) {
        got = Got::Closed;
        return false;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        why = std::strerror(errno);
        got = Got::Closed;
        return false;
      }
    }
    if (n > 0) {
      in_.insert(in_.end(), buf, buf + n);
      return true;
    }
    const int w = waitFor(fd_, want, timeoutMs, wakeFd_);
    if (w == -2) {
      got = Got::Woken;
      return false;
    }
    if (w <= 0) {
      got = Got::Timeout;
      return false;
    }
  }
}

FrameLink::Got FrameLink::next(int timeoutMs, LinkFrame& out, std::string& why,
                               std::size_t maxFrameBytes) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  for (;;) {
    auto s = codecs::uplink::scanFrame(in_, maxFrameBytes);
    if (s.scan == codecs::uplink::Scan::Frame) {
      out.kind = s.frame.kind;
      out.body.assign(s.frame.body.begin(), s.frame.body.end());
      in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(s.frameBytes));
      return Got::Frame;
    }
    if (s.scan == codecs::uplink::Scan::Bad) {
      why = s.reason;
      return Got::Bad;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    Got got = Got::Timeout;
    if (!fill(static_cast<int>(std::max<long long>(0, left)), got, why)) return got;
  }
}

}  // namespace dcgw::common
