// TLS handshakes of the uplink off its event loop: a few threads, each with an epoll set of its
// own, drive the non-blocking server handshakes of freshly accepted connections (the private-key
// operation of each one costs ~0.4 ms with RSA-2048, ~5 ms with RSA-4096) and post the outcome
// back to the event loop through an eventfd. The event loop keeps owning each connection (its
// descriptor and SSL object); it lends them here and touches neither until the outcome is back.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dcgw::uplink {

class HandshakePool {
 public:
  struct Job {
    std::uint64_t id{0};         // the connection's id, handed back in the Result
    int fd{-1};                  // non-blocking, not in any other epoll set while lent
    SSL* ssl{nullptr};           // in the accept state
    std::int64_t deadlineMs{0};  // steadyMs(): the login timeout; the handshake is given up then
  };
  enum class Outcome : std::uint8_t { Done, Failed, TimedOut };
  struct Result {
    std::uint64_t id{0};
    Outcome outcome{Outcome::Failed};
    std::string why;  // Failed: what OpenSSL or the socket said
  };

  // `threads` >= 1. Starts nothing yet.
  explicit HandshakePool(unsigned threads);
  ~HandshakePool();
  HandshakePool(const HandshakePool&) = delete;
  HandshakePool& operator=(const HandshakePool&) = delete;

  // Starts the threads. Throws std::runtime_error when an epoll set or eventfd cannot be made.
  void start();
  // Joins the threads. Every job still in progress is dropped unfinished (its connection is the
  // caller's again, as are those whose result take() has not returned yet); idempotent.
  void stop();
  bool running() const { return !workers_.empty(); }

  // From the event loop: the handshake of one connection.
  void submit(const Job& job);
  // From the event loop: the outcomes posted since the last call (reads the eventfd too).
  std::vector<Result> take();
  // Readable when take() has something.
  int resultFd() const { return resultFd_; }

  // The number of threads for `configured` (0: automatic, the smaller of 2 and the cores).
  static unsigned threadsFor(unsigned configured);

 private:
  struct Worker;
  void post(std::vector<Result>& results);

  unsigned threads_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::size_t next_{0};
  int resultFd_{-1};
  std::mutex mutex_;
  std::vector<Result> results_;
};

}  // namespace dcgw::uplink
