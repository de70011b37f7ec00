// The admin front's state, shared by its two halves: http_server.cpp (the loop, accepting, the
// timers) and http_connection.cpp (reading, parsing, handing to the workers, writing).
#pragma once

#include <openssl/ssl.h>

#include <Poco/Net/Context.h>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "gateway/admin/http_io.hpp"
#include "gateway/admin/http_parser.hpp"
#include "gateway/admin/http_server.hpp"

namespace dcgw::admin {

namespace http_detail {

constexpr std::uint64_t kListenTag = ~std::uint64_t{0};
constexpr std::uint64_t kWakeTag = ~std::uint64_t{0} - 1;
constexpr std::int64_t kLingerMs = 2000;  // after a closing answer, for the peer to read it
constexpr std::int64_t kDrainMs = 5000;   // stopping: for the requests being handled

inline std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline std::string seconds(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

struct Conn {
  enum class State : std::uint8_t { Reading, Handling, Writing, Closing };
  explicit Conn(const HttpLimits& limits) : parser(limits) {}

  std::uint64_t id{0};
  int fd{-1};
  PeerAddress peer;
  std::unique_ptr<SSL, SslFree> ssl;
  State state{State::Reading};
  RequestParser parser;
  std::string in, out;
  std::size_t outPos{0};
  std::int64_t deadlineMs{0};
  unsigned requests{0};
  bool started{false};     // a byte of the current request has come
  bool closeAfter{false};  // close once `out` is written
  bool wantOut{false};
  bool writeWantsRead{false};
};

// An answer from a worker.
struct Done {
  std::uint64_t id;
  std::string bytes;
  bool close;
};

}  // namespace http_detail

using namespace http_detail;

struct HttpServer::Impl {
  Impl(AdminOptions o, Handler h) : o_(std::move(o)), handler_(std::move(h)) {
    limits_.maxHeadBytes = o_.maxHeaderBytes;
    limits_.maxBodyBytes = o_.maxBodyBytes;
  }

  AdminOptions o_;
  Handler handler_;
  HttpLimits limits_;
  Poco::Net::Context::Ptr tls_;
  int epollFd_{-1}, listenFd_{-1}, wakeFd_{-1}, spareFd_{-1};
  std::uint16_t port_{0};
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  WorkerPool pool_;
  std::mutex doneM_;
  std::vector<Done> done_;
  std::uint64_t nextId_{1};
  std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> conns_;
  std::unordered_map<std::string, std::size_t> perAddress_;
  std::vector<std::uint64_t> resumed_;
  std::vector<char> scratch_ = std::vector<char>(64 * 1024);
  std::int64_t lastRefusalLogMs_{0};

  void start();
  void stop();
  void run();
  Conn* find(std::uint64_t id) {
    auto it = conns_.find(id);
    return it == conns_.end() ? nullptr : it->second.get();
  }
  void acceptAll();
  void refuse(int fd, const std::string& why);
  void onEvent(Conn& c, std::uint32_t ev);
  long readSome(Conn& c);
  void onReadable(Conn& c);
  void process(Conn& c);
  void dispatch(Conn& c);
  void answer(Conn& c, std::string bytes, bool close);
  void fail(Conn& c, int status, const std::string& message);
  bool flush(Conn& c);
  void afterWritten(Conn& c);
  void updateInterest(Conn& c);
  void closeNow(Conn& c);
  void takeDone();
  void resume();
  void scanTimers(std::int64_t now);
};

}  // namespace dcgw::admin
