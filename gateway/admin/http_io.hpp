// The pieces of the admin front that are not the event loop: the listening socket, client
// addresses, and the pool of workers that run whole requests.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dcgw::admin {

// A non-blocking listening socket on host:port (an IP address or a name that resolves to one).
// Throws std::runtime_error naming "admin API" and the address.
int listenOn(const std::string& host, std::uint16_t port, std::uint16_t& boundPort);

// The client of an accepted socket: `key` is its IP address as bytes (what the per-address cap
// counts), `text` "127.0.0.1:53422" for logs.
struct PeerAddress {
  std::string key;
  std::string text;
};
PeerAddress peerOf(int fd);

// Runs posted jobs on a fixed number of threads, in the order posted.
class WorkerPool {
 public:
  using Job = std::function<void()>;
  ~WorkerPool() { stop(); }
  void start(int threads);
  void post(Job job);
  // Finishes the jobs being run, drops the others, joins.
  void stop();

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::vector<std::thread> threads_;
  bool stopping_{false};
};

}  // namespace dcgw::admin
