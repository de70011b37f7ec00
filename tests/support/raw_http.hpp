// A raw HTTP/1.1 client on one loopback socket, for tests that send what a library would not
// (ambiguous framing, slow heads, pipelined requests) and look at exactly what comes back and
// whether the server closed. Every wait has a deadline.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace dcgw::testing {

struct RawResponse {
  int status{0};
  std::string head;  // status line and header fields, lower-cased names not applied
  std::string body;
  // The value of a header field (name matched case-insensitively), or "".
  std::string header(std::string_view name) const {
    std::size_t i = head.find("\r\n");
    while (i != std::string::npos && i + 2 < head.size()) {
      const std::size_t end = head.find("\r\n", i + 2);
      const std::string line = head.substr(i + 2, end - i - 2);
      const std::size_t colon = line.find(':');
      if (colon == name.size()) {
        bool same = true;
        for (std::size_t k = 0; k < colon; ++k)
          same = same && std::tolower(static_cast<unsigned char>(line[k])) ==
                             std::tolower(static_cast<unsigned char>(name[k]));
        if (same) {
          std::size_t v = colon + 1;
          while (v < line.size() && line[v] == ' ') ++v;
          return line.substr(v);
        }
      }
      i = end;
    }
    return "";
  }
};

class RawHttp {
 public:
  // Connects to 127.0.0.1:port from `from` (another loopback address such as 127.0.0.2, so
  // per-address limits can be tested), or from the default address.
  explicit RawHttp(std::uint16_t port, const char* from = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (from) {
      sockaddr_in src{};
      src.sin_family = AF_INET;
      inet_pton(AF_INET, from, &src.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) fail();
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fail();
  }
  ~RawHttp() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawHttp(const RawHttp&) = delete;
  RawHttp& operator=(const RawHttp&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // false when the server has closed or reset the connection.
  bool send(std::string_view bytes) {
    while (!bytes.empty() && fd_ >= 0) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return fd_ >= 0;
  }

  // One response (its head, then a Content-Length body), or nullopt when none came in time.
  std::optional<RawResponse> response(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                      bool headOnly = false) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(until)) return std::nullopt;
    RawResponse r;
    r.head = buf_.substr(0, end + 2);
    buf_.erase(0, end + 4);
    if (r.head.size() < 12 || r.head.compare(0, 5, "HTTP/") != 0) return std::nullopt;
    r.status = std::stoi(r.head.substr(9, 3));
    const std::string cl = r.header("Content-Length");
    const std::size_t len = headOnly || cl.empty() ? 0 : std::stoul(cl);
    while (buf_.size() < len)
      if (!fill(until)) return std::nullopt;
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
    return r;
  }

  // Whether the server closes (or resets) the connection within `timeout`; what it sends before
  // that is kept for response().
  bool closedWithin(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!eof_)
      if (!fill(until)) return eof_;
    return true;
  }
  const std::string& buffered() const { return buf_; }

 private:
  void fail() {
    ::close(fd_);
    fd_ = -1;
  }
  // false on the deadline or the end of the stream.
  bool fill(std::chrono::steady_clock::time_point until) {
    if (fd_ < 0 || eof_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char tmp[16384];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) return true;
      eof_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }

  int fd_{-1};
  bool eof_{false};
  std::string buf_;
};

}  // namespace dcgw::testing
