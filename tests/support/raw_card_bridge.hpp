// Test helper: a card bridge as a raw protocol client written from schema/card-bridge.md (login
// with HMAC, card reports, session answers), for tests and benchmarks of the card relay that
// need no PC/SC.
#pragma once

#include <openssl/hmac.h>

#include <cstdint>
#include <string>
#include <utility>

#include "codecs/cardbridge/frame.hpp"
#include "codecs/uplink/card.hpp"
#include "tests/support/uplink_client.hpp"

namespace dcgw::testing {

inline std::uint8_t k(codecs::cardbridge::Kind kind) {
  return static_cast<std::uint8_t>(kind);
}
inline std::uint8_t k(codecs::uplink::CardKind kind) {
  return static_cast<std::uint8_t>(kind);
}

// A card bridge as a raw protocol client.
class RawBridge {
 public:
  using Bytes = codecs::Bytes;
  RawBridge(std::uint16_t port, const std::string& ident, const Bytes& key) : c_(port) {
    Bytes b;
    codecs::cardbridge::appendHello(b, ident);
    c_.send(b);
    auto [kind, nonce] = c_.next();
    if (kind != k(codecs::cardbridge::Kind::Challenge)) {
      first_ = {kind, nonce};
      return;
    }
    const Bytes m = codecs::cardbridge::proofMessage(nonce, ident);
    unsigned char mac[32];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), m.data(), m.size(), mac, &n);
    b.clear();
    codecs::cardbridge::appendProof(b, codecs::ByteView(mac, 32));
    c_.send(b);
    first_ = c_.next();
  }
  bool welcomed() const { return first_.first == k(codecs::cardbridge::Kind::Welcome); }
  // The ERROR code of the answer to the login, or of the next frame.
  std::string errorName() {
    auto f = first_.first == k(codecs::cardbridge::Kind::Error) ? first_ : c_.next();
    if (f.first != k(codecs::cardbridge::Kind::Error)) return "not an ERROR";
    auto e = codecs::cardbridge::parseError(f.second);
    return e ? codecs::cardbridge::errorCodeName(e->code) : "malformed";
  }
  void insert(const std::string& card) {
    Bytes b;
    codecs::cardbridge::appendCardInserted(b, {card, {1, 2, 3, 4, 5, 6, 7, 8}, "Reader 0"});
    c_.send(b);
  }
  // The next frame other than a heartbeat.
  std::pair<std::uint8_t, Bytes> next() {
    for (;;) {
      auto f = c_.next();
      if (f.first != k(codecs::cardbridge::Kind::Heartbeat)) return f;
    }
  }
  std::uint8_t status() {
    auto [kind, body] = next();
    EXPECT_EQ(kind, k(codecs::cardbridge::Kind::CardStatus));
    auto s = codecs::cardbridge::parseCardStatus(body);
    return s ? s->status : 0xEE;
  }
  // Answers SESSION_START with an ATR; returns the session.
  std::uint32_t start() {
    auto [kind, body] = next();
    EXPECT_EQ(kind, k(codecs::cardbridge::Kind::SessionStart));
    auto s = codecs::cardbridge::parseSessionStart(body);
    if (!s) return 0;
    Bytes b;
    codecs::cardbridge::appendSessionStarted(b, s->session, 0x00, Bytes{0x3b, 0x02, 0x14, 0x50});
    c_.send(b);
    return s->session;
  }
  // The next TRANSMIT: {session, number}.
  std::pair<std::uint32_t, std::uint16_t> transmit() {
    auto [kind, body] = next();
    EXPECT_EQ(kind, k(codecs::cardbridge::Kind::Transmit)) << codecs::cardbridge::kindName(kind);
    auto t = codecs::cardbridge::parseTransmit(body);
    return t ? std::make_pair(t->session, t->number) : std::make_pair(0u, std::uint16_t{0});
  }
  void transmitted(std::uint32_t session, std::uint16_t number, const Bytes& response) {
    Bytes b;
    codecs::cardbridge::appendTransmitted(b, session, number, response);
    c_.send(b);
  }
  void send(const Bytes& b) { c_.send(b); }
  UplinkClient& client() { return c_; }

 private:
  UplinkClient c_;
  std::pair<std::uint8_t, Bytes> first_;
};

}  // namespace dcgw::testing
