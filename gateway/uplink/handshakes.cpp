// The uplink's handshake threads: level-triggered epoll per thread, SSL_do_handshake whenever the
// socket is ready, outcomes batched to the event loop once per turn of the thread.
#include "gateway/uplink/handshakes.hpp"

#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "gateway/common/thread_priority.hpp"
#include "gateway/uplink/transport.hpp"

namespace dcgw::uplink {

namespace {

constexpr std::uint64_t kWakeTag = ~std::uint64_t{0};
constexpr int kScanMs = 50;  // how often deadlines are looked at (the login timeout's grain)

void wake(int fd) {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
}

std::string failure(SSL* ssl, int rc) {
  const int e = SSL_get_error(ssl, rc);
  if (e == SSL_ERROR_SSL) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    return buf;
  }
  if (e == SSL_ERROR_SYSCALL && errno != 0) return std::strerror(errno);
  return "the peer closed the connection during the handshake";
}

}  // namespace

struct HandshakePool::Worker {
  struct Entry {
    Job job;
    std::uint32_t events{0};
  };

  int epollFd{-1};
  int wakeFd{-1};
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::vector<Job> inbox;
  std::thread thread;

  ~Worker() {
    if (wakeFd >= 0) ::close(wakeFd);
    if (epollFd >= 0) ::close(epollFd);
  }

  void run(HandshakePool& pool) {
    std::unordered_map<std::uint64_t, Entry> jobs;
    std::vector<epoll_event> events(256);
    std::vector<Result> done;
    std::vector<Job> fresh;
    std::int64_t nextScanMs = steadyMs() + kScanMs;
    while (!stopping.load()) {
      const int n = ::epoll_wait(epollFd, events.data(), static_cast<int>(events.size()), kScanMs);
      for (int i = 0; i < n; ++i) {
        const std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
        if (tag == kWakeTag) {
          std::uint64_t v;
          [[maybe_unused]] auto r = ::read(wakeFd, &v, sizeof v);
          {
            std::lock_guard lock(mutex);
            fresh.swap(inbox);
          }
          for (const Job& j : fresh) {
            Entry& e = jobs[j.id];
            e.job = j;
            e.events = EPOLLIN | EPOLLRDHUP;
            epoll_event ev{};
            ev.events = e.events;
            ev.data.u64 = j.id;
            ::epoll_ctl(epollFd, EPOLL_CTL_ADD, j.fd, &ev);
            step(jobs, e, done);
          }
          fresh.clear();
          continue;
        }
        auto it = jobs.find(tag);
        if (it != jobs.end()) step(jobs, it->second, done);
      }
      const std::int64_t now = steadyMs();
      if (now >= nextScanMs) {
        nextScanMs = now + kScanMs;
        for (auto it = jobs.begin(); it != jobs.end();) {
          if (it->second.job.deadlineMs > now) {
            ++it;
            continue;
          }
          ::epoll_ctl(epollFd, EPOLL_CTL_DEL, it->second.job.fd, nullptr);
          done.push_back({it->first, Outcome::TimedOut, "the login timeout"});
          it = jobs.erase(it);
        }
      }
      if (!done.empty()) pool.post(done);
    }
    // What is left stays the event loop's: it is told nothing, it takes them all back.
    for (auto& [id, e] : jobs) ::epoll_ctl(epollFd, EPOLL_CTL_DEL, e.job.fd, nullptr);
  }

  // One step of a handshake; a finished one (either way) leaves `jobs` and `e` with it.
  void step(std::unordered_map<std::uint64_t, Entry>& jobs, Entry& e, std::vector<Result>& done) {
    ERR_clear_error();
    errno = 0;
    const int rc = SSL_do_handshake(e.job.ssl);
    std::uint32_t want = 0;
    if (rc != 1) {
      const int err = SSL_get_error(e.job.ssl, rc);
      if (err == SSL_ERROR_WANT_READ) want = EPOLLIN | EPOLLRDHUP;
      if (err == SSL_ERROR_WANT_WRITE) want = EPOLLOUT;
    }
    if (want != 0) {
      if (want != e.events) {
        e.events = want;
        epoll_event ev{};
        ev.events = want;
        ev.data.u64 = e.job.id;
        ::epoll_ctl(epollFd, EPOLL_CTL_MOD, e.job.fd, &ev);
      }
      return;
    }
    const std::uint64_t id = e.job.id;
    ::epoll_ctl(epollFd, EPOLL_CTL_DEL, e.job.fd, nullptr);
    if (rc == 1)
      done.push_back({id, Outcome::Done, {}});
    else
      done.push_back({id, Outcome::Failed, failure(e.job.ssl, rc)});
    jobs.erase(id);
  }
};

HandshakePool::HandshakePool(unsigned threads) : threads_(std::max(1u, threads)) {}

HandshakePool::~HandshakePool() {
  stop();
  if (resultFd_ >= 0) ::close(resultFd_);
}

unsigned HandshakePool::threadsFor(unsigned configured) {
  if (configured > 0) return configured;
  return std::clamp(std::thread::hardware_concurrency(), 1u, 2u);
}

void HandshakePool::start() {
  if (resultFd_ < 0) resultFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (resultFd_ < 0)
    throw std::runtime_error(std::string("uplink TLS handshakes: eventfd: ") +
                             std::strerror(errno));
  for (unsigned i = 0; i < threads_; ++i) {
    auto w = std::make_unique<Worker>();
    w->epollFd = ::epoll_create1(EPOLL_CLOEXEC);
    w->wakeFd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->epollFd < 0 || w->wakeFd < 0) {
      const int e = errno;
      stop();
      throw std::runtime_error(std::string("uplink TLS handshakes: epoll/eventfd: ") +
                               std::strerror(e));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    ::epoll_ctl(w->epollFd, EPOLL_CTL_ADD, w->wakeFd, &ev);
    Worker& ref = *w;
    workers_.push_back(std::move(w));
    ref.thread = std::thread([this, &ref] {
      // A storm of reconnecting trackers must not delay the ACKs of those already connected.
      common::lowerThisThreadsPriority("uplink TLS handshakes");
      ref.run(*this);
    });
  }
}

void HandshakePool::stop() {
  for (auto& w : workers_) {
    w->stopping = true;
    wake(w->wakeFd);
  }
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
  workers_.clear();
}

void HandshakePool::submit(const Job& job) {
  Worker& w = *workers_[next_++ % workers_.size()];
  {
    std::lock_guard lock(w.mutex);
    w.inbox.push_back(job);
  }
  wake(w.wakeFd);
}

void HandshakePool::post(std::vector<Result>& results) {
  {
    std::lock_guard lock(mutex_);
    for (Result& r : results) results_.push_back(std::move(r));
  }
  results.clear();
  wake(resultFd_);
}

std::vector<HandshakePool::Result> HandshakePool::take() {
  std::uint64_t v;
  [[maybe_unused]] auto n = ::read(resultFd_, &v, sizeof v);
  std::vector<Result> out;
  std::lock_guard lock(mutex_);
  out.swap(results_);
  return out;
}

}  // namespace dcgw::uplink
