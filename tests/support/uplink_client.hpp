// Test helper: a blocking uplink client (schema/uplink.md) over loopback, plain or TLS, whose
// frames are parsed with the gateway's own codec.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "codecs/bytes.hpp"
#include "codecs/uplink/frame.hpp"
#include "gateway/uplink/auth.hpp"
#include "tests/support/loopback.hpp"

namespace dcgw::testing {

// The key the uplink tests register for their device.
inline const codecs::Bytes kUplinkTestKey(32, 0x11);

// A blocking test client with a receive timeout; frames parsed with the same codec.
class UplinkClient {
 public:
  // With `tls`, the client speaks TLS (blocking OpenSSL) and checks the certificate.
  explicit UplinkClient(std::uint16_t port, SSL_CTX* tls = nullptr) {
    fd_ = connectLoopback(port);
    EXPECT_GE(fd_, 0) << "connect to port " << port;
    timeval tv{20, 0};  // a loaded (sanitizer) CI; a frame that comes returns at once
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (tls) {
      ssl_ = SSL_new(tls);
      SSL_set_fd(ssl_, fd_);
      SSL_set_tlsext_host_name(ssl_, "localhost");
      SSL_set1_host(ssl_, "localhost");
      EXPECT_EQ(SSL_connect(ssl_), 1) << "TLS handshake";
    }
  }
  ~UplinkClient() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  void send(const codecs::Bytes& b) {
    if (ssl_) {
      ASSERT_EQ(SSL_write(ssl_, b.data(), static_cast<int>(b.size())), static_cast<int>(b.size()));
      return;
    }
    ASSERT_EQ(::send(fd_, b.data(), b.size(), MSG_NOSIGNAL), static_cast<ssize_t>(b.size()));
  }
  // The next frame; kind 0 when the connection closed (or timed out) first.
  std::pair<std::uint8_t, codecs::Bytes> next() {
    for (;;) {
      auto r = codecs::uplink::scanFrame(buf_);
      if (r.scan == codecs::uplink::Scan::Frame) {
        std::pair<std::uint8_t, codecs::Bytes> f{r.frame.kind,
                                                 {r.frame.body.begin(), r.frame.body.end()}};
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(r.frameBytes));
        return f;
      }
      EXPECT_NE(r.scan, codecs::uplink::Scan::Bad) << r.reason;
      std::uint8_t tmp[4096];
      const ssize_t n = ssl_ ? SSL_read(ssl_, tmp, sizeof tmp) : ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return {0, {}};
      buf_.insert(buf_.end(), tmp, tmp + n);
    }
  }
  // Expects an ERROR frame with this code; returns its text.
  std::string expectError(codecs::uplink::ErrorCode code) {
    auto [kind, body] = next();
    EXPECT_EQ(kind, static_cast<std::uint8_t>(codecs::uplink::Kind::Error));
    auto e = codecs::uplink::parseError(body);
    if (!e) return "";
    EXPECT_EQ(e->code, static_cast<std::uint8_t>(code))
        << codecs::uplink::errorCodeName(e->code) << ": " << e->text;
    return e->text;
  }
  bool closedByPeer() { return next().first == 0; }
  codecs::uplink::Welcome login(const std::string& serial,
                                const codecs::Bytes& key = kUplinkTestKey) {
    codecs::Bytes b;
    codecs::uplink::appendHello(b, serial);
    send(b);
    auto [kind, body] = next();
    EXPECT_EQ(kind, static_cast<std::uint8_t>(codecs::uplink::Kind::Challenge));
    auto nonce = codecs::uplink::parseChallenge(body);
    if (!nonce) return {};
    b.clear();
    codecs::uplink::appendProof(b, uplink::computeProof(key, *nonce, serial));
    send(b);
    auto [wk, wb] = next();
    EXPECT_EQ(wk, static_cast<std::uint8_t>(codecs::uplink::Kind::Welcome));
    auto w = codecs::uplink::parseWelcome(wb);
    return w ? *w : codecs::uplink::Welcome{};
  }
  void sendPacket(std::uint32_t seq, const codecs::Bytes& packet) {
    codecs::Bytes b;
    codecs::uplink::appendPacket(b, seq, "", packet);
    send(b);
  }
  // Reads ACKs until one covers `seq`.
  void awaitAck(std::uint32_t seq) {
    for (;;) {
      auto [kind, body] = next();
      ASSERT_EQ(kind, static_cast<std::uint8_t>(codecs::uplink::Kind::Ack))
          << "waiting for ACK " << seq;
      auto a = codecs::uplink::parseAck(body);
      ASSERT_TRUE(a.ok());
      if (*a >= seq) return;
    }
  }

 private:
  int fd_{-1};
  SSL* ssl_{nullptr};
  codecs::Bytes buf_;
};

}  // namespace dcgw::testing
