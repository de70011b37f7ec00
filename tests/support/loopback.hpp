// Test helper: plain sockets on 127.0.0.1 for the tests that play a tracker or a gateway, so
// each of them does not spell out its own sockaddr_in.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace dcgw::testing {

// 127.0.0.1:port.
inline sockaddr_in loopbackAddress(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A socket of `type` on which `op` (::connect or ::bind) with 127.0.0.1:port succeeded, or -1
// (the socket is closed then).
inline int loopbackSocket(int type, std::uint16_t port,
                          int (*op)(int, const sockaddr*, socklen_t)) {
  const int fd = ::socket(AF_INET, type, 0);
  if (fd < 0) return -1;
  const sockaddr_in a = loopbackAddress(port);
  if (op(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A stream socket (`type` may add SOCK_CLOEXEC and the like) connected to 127.0.0.1:port, or -1
// when the connect failed: the caller decides whether that fails its test or is expected (a
// gateway that is being killed).
inline int connectLoopback(std::uint16_t port, int type = SOCK_STREAM) {
  return loopbackSocket(type, port, ::connect);
}

// A socket of `type` bound to 127.0.0.1:port (0: a port the system picks, see boundPort), or
// -1 when the bind failed.
inline int bindLoopback(int type, std::uint16_t port = 0) {
  return loopbackSocket(type, port, ::bind);
}

// The local port a socket is bound to; 0 when it is not.
inline std::uint16_t boundPort(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return 0;
  return ntohs(a.sin_port);
}

}  // namespace dcgw::testing
