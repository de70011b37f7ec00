// A gateway played by a test on the card bridge's protocol (schema/card-bridge.md), with the
// protocol's codec: a loopback listener, the login's gateway side, and frames read in order.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "codecs/cardbridge/frame.hpp"
#include "gateway/common/frame_link.hpp"

namespace dcgw::testing {

namespace cb = codecs::cardbridge;
using codecs::Bytes;
using common::FrameLink;
using common::LinkFrame;

class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd_); }
  std::uint16_t port() const { return port_; }
  std::unique_ptr<FrameLink> accept(int seconds = 15) {
    timeval tv{seconds, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const int c = ::accept(fd_, nullptr, nullptr);
    return c < 0 ? nullptr : FrameLink::adopt(c);
  }

 private:
  int fd_{-1};
  std::uint16_t port_{0};
};

// The next frame other than a HEARTBEAT, within 10 s.
inline LinkFrame next(FrameLink& link) {
  LinkFrame f;
  std::string why;
  for (;;) {
    const auto got = link.next(10'000, f, why);
    EXPECT_EQ(got, FrameLink::Got::Frame) << why;
    if (got != FrameLink::Got::Frame) return {};
    if (f.kind != static_cast<std::uint8_t>(cb::Kind::Heartbeat)) return f;
  }
}

inline Bytes key() {
  Bytes k(32);
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i);
  return k;
}

// Plays the gateway's side of the login; true when the bridge's proof is right.
inline bool acceptLogin(FrameLink& link, const cb::Welcome& welcome = {}) {
  LinkFrame hello = next(link);
  EXPECT_EQ(hello.kind, static_cast<std::uint8_t>(cb::Kind::Hello));
  EXPECT_EQ(*cb::parseHello(hello.body), "office-1");
  const Bytes nonce(32, 0x5A);
  Bytes f;
  cb::appendChallenge(f, nonce);
  link.send(f);
  LinkFrame proof = next(link);
  unsigned char mac[32];
  unsigned int n = 0;
  const Bytes k = key(), m = cb::proofMessage(nonce, "office-1");
  HMAC(EVP_sha256(), k.data(), 32, m.data(), m.size(), mac, &n);
  if (proof.body != Bytes(mac, mac + 32)) return false;
  f.clear();
  cb::appendWelcome(f, welcome);
  link.send(f);
  return true;
}

}  // namespace dcgw::testing
