// The admin front's event loop: level-triggered epoll, non-blocking sockets, TLS on the loop,
// the connection caps at accept, timers scanned every 100 ms, a drain on stop. What happens on
// one connection is in http_connection.cpp.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "gateway/admin/http_server_internal.hpp"
#include "gateway/common/tls.hpp"

namespace dcgw::admin {

HttpServer::HttpServer(AdminOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}
HttpServer::~HttpServer() {
  stop();
  for (auto& [id, c] : impl_->conns_) ::close(c->fd);
  for (int fd : {impl_->listenFd_, impl_->spareFd_, impl_->wakeFd_, impl_->epollFd_})
    if (fd >= 0) ::close(fd);
}
void HttpServer::start() {
  impl_->start();
}
void HttpServer::stop() {
  impl_->stop();
}
std::uint16_t HttpServer::port() const {
  return impl_->port_;
}

void HttpServer::Impl::start() {
  if (!o_.tlsCertificateFile.empty() || !o_.tlsPrivateKeyFile.empty()) {
    tls_ = common::makeServerTlsContext("admin API", o_.tlsCertificateFile, o_.tlsPrivateKeyFile);
    SSL_CTX_set_mode(tls_->sslContext(),
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  }
  listenFd_ = listenOn(o_.bind, o_.port, port_);
  epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  // Kept in reserve: closed to accept and shed a connection when the descriptors run out.
  spareFd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (epollFd_ < 0 || wakeFd_ < 0)
    throw std::runtime_error(std::string("admin API: epoll/eventfd: ") + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  epoll_ctl(epollFd_, EPOLL_CTL_ADD, listenFd_, &ev);
  ev.data.u64 = kWakeTag;
  epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &ev);
  pool_.start(o_.threads < 1 ? 1 : o_.threads);
  thread_ = std::thread([this] { run(); });
}

void HttpServer::Impl::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wakeFd_, &one, sizeof one);
  thread_.join();
  pool_.stop();
}

void HttpServer::Impl::run() {
  std::vector<epoll_event> events(256);
  std::int64_t nextScanMs = nowMs() + 100, drainUntilMs = 0;
  for (;;) {
    const int n = epoll_wait(epollFd_, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
      if (tag == kListenTag) {
        acceptAll();
      } else if (tag == kWakeTag) {
        std::uint64_t v;
        [[maybe_unused]] auto r = ::read(wakeFd_, &v, sizeof v);
        takeDone();
      } else if (Conn* c = find(tag)) {
        onEvent(*c, events[static_cast<std::size_t>(i)].events);
      }
    }
    resume();
    const std::int64_t now = nowMs();
    if (now >= nextScanMs) {
      scanTimers(now);
      nextScanMs = now + 100;
    }
    if (stopping_) {
      if (drainUntilMs == 0) {  // no new connections; what is being handled is answered
        drainUntilMs = now + kDrainMs;
        epoll_ctl(epollFd_, EPOLL_CTL_DEL, listenFd_, nullptr);
        ::close(listenFd_);
        listenFd_ = -1;
      }
      std::vector<std::uint64_t> idle;
      bool busy = false;
      for (auto& [id, c] : conns_) {
        if (c->state == Conn::State::Handling || c->state == Conn::State::Writing)
          busy = true;
        else
          idle.push_back(id);
      }
      for (std::uint64_t id : idle)
        if (Conn* c = find(id)) closeNow(*c);
      if (!busy || now >= drainUntilMs) break;
    }
  }
  std::vector<std::uint64_t> ids;
  for (auto& [id, c] : conns_) ids.push_back(id);
  for (std::uint64_t id : ids)
    if (Conn* c = find(id)) closeNow(*c);
}

void HttpServer::Impl::acceptAll() {
  for (;;) {
    const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && spareFd_ >= 0) {
        ::close(spareFd_);
        const int shed = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (shed >= 0) ::close(shed);
        spareFd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        spdlog::warn("admin API: out of file descriptors ({}): a connection was shed",
                     std::strerror(errno));
        continue;
      }
      return;
    }
    PeerAddress peer = peerOf(fd);
    if (conns_.size() >= o_.maxConnections) {
      refuse(fd, "the admin API holds its maximum of " + std::to_string(o_.maxConnections) +
                     " connections; try later");
      continue;
    }
    std::size_t& mine = perAddress_[peer.key];
    if (mine >= o_.maxConnectionsPerAddress) {
      refuse(fd, "the admin API holds its maximum of " +
                     std::to_string(o_.maxConnectionsPerAddress) + " connections from " +
                     peer.text.substr(0, peer.text.rfind(':')) + "; try later");
      continue;
    }
    ++mine;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Conn>(limits_);
    c->id = nextId_++;
    c->fd = fd;
    c->peer = std::move(peer);
    c->deadlineMs = nowMs() + o_.requestTimeout.count();
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
  }
}

// Over a cap: 503 at once (in plain HTTP; a TLS client just sees the close), then closed.
void HttpServer::Impl::refuse(int fd, const std::string& why) {
  if (!tls_) {
    const std::string bytes = serializeResponse(errorResponse(503, why), 1, false, false);
    [[maybe_unused]] auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  ::close(fd);
  const std::int64_t now = nowMs();
  if (now - lastRefusalLogMs_ > 10'000) {
    lastRefusalLogMs_ = now;
    spdlog::warn("admin API: connection refused: {}", why);
  }
}

void HttpServer::Impl::closeNow(Conn& c) {
  ::close(c.fd);  // leaves the epoll set with it
  auto it = perAddress_.find(c.peer.key);
  if (it != perAddress_.end() && --it->second == 0) perAddress_.erase(it);
  conns_.erase(c.id);
}

void HttpServer::Impl::scanTimers(std::int64_t now) {
  std::vector<std::uint64_t> due;
  for (auto& [id, c] : conns_)
    if (c->state != Conn::State::Handling && now >= c->deadlineMs) due.push_back(id);
  for (std::uint64_t id : due) {
    Conn* c = find(id);
    if (!c) continue;
    if (c->state == Conn::State::Reading && c->started)
      fail(*c, 408, "the request was not complete within " + seconds(o_.requestTimeout));
    else
      closeNow(*c);  // idle, not reading its answer, or its linger is over
  }
}

}  // namespace dcgw::admin
