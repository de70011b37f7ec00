// Node-link bodies; offsets in errors are within the frame body.
#include "codecs/cardbridge/node_link.hpp"

#include "codecs/cardbridge/frame.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

#include "codecs/uplink/fields.hpp"
#include "codecs/uplink/frame.hpp"

namespace dcgw::codecs::cardbridge {

namespace {

constexpr char kLabel[] = "dcgw-node-1";

bool readU64(ByteReader& r, std::uint64_t& v) {
  std::uint32_t hi = 0, lo = 0;
  if (!r.readU32BE(hi) || !r.readU32BE(lo)) return false;
  v = static_cast<std::uint64_t>(hi) << 32 | lo;
  return true;
}
void writeU64(ByteWriter& w, std::uint64_t v) {
  w.writeU32BE(static_cast<std::uint32_t>(v >> 32));
  w.writeU32BE(static_cast<std::uint32_t>(v));
}

Result<std::uint64_t> readTracker(ByteReader& r) {
  std::uint64_t t = 0;
  if (!readU64(r, t)) return makeError("tracker", 0, "8 bytes");
  if (t == 0) return makeError("tracker", 0, "a tracker number from 1, not 0");
  return t;
}

template <std::size_t N>
void copy(ByteReader& r, std::array<std::uint8_t, N>& out) {
  ByteView v;
  r.readBytes(N, v);
  std::copy(v.begin(), v.end(), out.begin());
}

std::array<std::uint8_t, 32> mac(ByteView key, const Bytes& m) {
  std::array<std::uint8_t, 32> out{};
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), m.data(), m.size(), out.data(), &n);
  return out;
}

}  // namespace

bool isNodeKind(std::uint8_t kind) {
  return (kind >= 0x05 && kind <= 0x07) || (kind >= 0x50 && kind <= 0x53);
}

const char* nodeKindName(std::uint8_t kind) {
  switch (static_cast<NodeKind>(kind)) {
    case NodeKind::NodeHello:
      return "NODE_HELLO";
    case NodeKind::NodeChallenge:
      return "NODE_CHALLENGE";
    case NodeKind::NodeProof:
      return "NODE_PROOF";
    case NodeKind::TrackerOpen:
      return "TRACKER_OPEN";
    case NodeKind::TrackerCard:
      return "TRACKER_CARD";
    case NodeKind::TrackerGone:
      return "TRACKER_GONE";
    case NodeKind::ToTracker:
      return "TO_TRACKER";
  }
  return "unknown";
}

Result<NodeHello> parseNodeHello(ByteView body) {
  if (body.size() != 8 + kNodeNonceBytes)
    return makeError("NODE_HELLO", 0, "a body of 40 bytes, not " + std::to_string(body.size()));
  ByteReader r(body);
  NodeHello h;
  readU64(r, h.node);
  if (h.node == 0) return makeError("node", 0, "a node id from 1, not 0");
  copy(r, h.nonce);
  return h;
}

Result<NodeChallenge> parseNodeChallenge(ByteView body) {
  if (body.size() != kNodeNonceBytes + 32)
    return makeError("NODE_CHALLENGE", 0, "a body of 64 bytes, not " + std::to_string(body.size()));
  ByteReader r(body);
  NodeChallenge c;
  copy(r, c.nonce);
  copy(r, c.proof);
  return c;
}

Result<std::array<std::uint8_t, 32>> parseNodeProof(ByteView body) {
  if (body.size() != 32)
    return makeError("NODE_PROOF", 0, "a body of 32 bytes, not " + std::to_string(body.size()));
  ByteReader r(body);
  std::array<std::uint8_t, 32> p{};
  copy(r, p);
  return p;
}

Result<TrackerOpen> parseTrackerOpen(ByteView body) {
  ByteReader r(body);
  TrackerOpen o;
  auto t = readTracker(r);
  if (!t) return t.error();
  o.tracker = *t;
  std::string why;
  if (!uplink::fields::readString(r, 1, kMaxNodeSerialChars, o.serial, why))
    return makeError("serial", 8, why);
  o.cardOpen = r.rest();
  return o;
}

Result<TrackerCard> parseTrackerCard(ByteView body) {
  ByteReader r(body);
  TrackerCard c;
  auto t = readTracker(r);
  if (!t) return t.error();
  c.tracker = *t;
  if (!r.readU8(c.kind)) return makeError("kind", 8, "1 byte");
  if (c.kind != 0x33 && c.kind != 0x35)
    return makeError("kind", 8,
                     "APDU_COMMAND (0x33) or CARD_CLOSE (0x35), not " + std::to_string(c.kind));
  c.body = r.rest();
  return c;
}

Result<std::uint64_t> parseTrackerGone(ByteView body) {
  ByteReader r(body);
  auto t = readTracker(r);
  if (!t) return t.error();
  if (r.remaining() != 0) return makeError("TRACKER_GONE", 8, "no bytes after the tracker");
  return *t;
}

Result<TrackerCard> parseToTracker(ByteView body) {
  ByteReader r(body);
  TrackerCard c;
  auto t = readTracker(r);
  if (!t) return t.error();
  c.tracker = *t;
  c.body = r.rest();
  if (c.body.empty()) return makeError("frames", 8, "at least one frame");
  return c;
}

void appendNodeHello(Bytes& out, const NodeHello& h) {
  Bytes b;
  ByteWriter w(b);
  writeU64(w, h.node);
  w.writeBytes(h.nonce);
  uplink::appendFrame(out, static_cast<std::uint8_t>(NodeKind::NodeHello), b);
}

void appendNodeChallenge(Bytes& out, const NodeChallenge& c) {
  Bytes b(c.nonce.begin(), c.nonce.end());
  b.insert(b.end(), c.proof.begin(), c.proof.end());
  uplink::appendFrame(out, static_cast<std::uint8_t>(NodeKind::NodeChallenge), b);
}

void appendNodeProof(Bytes& out, ByteView proof) {
  uplink::appendFrame(out, static_cast<std::uint8_t>(NodeKind::NodeProof), proof);
}

void appendTrackerOpen(Bytes& out, std::uint64_t tracker, const std::string& serial,
                       ByteView cardOpen) {
  Bytes b;
  ByteWriter w(b);
  writeU64(w, tracker);
  uplink::fields::writeString(w, serial);
  w.writeBytes(cardOpen);
  uplink::appendFrame(out, static_cast<std::uint8_t>(NodeKind::TrackerOpen), b);
}

void appendTrackerCard(Bytes& out, std::uint64_t tracker, std::uint8_t kind, ByteView body) {
  Bytes b;
  ByteWriter w(b);
  writeU64(w, tracker);
  w.writeU8(kind);
  w.writeBytes(body);
  uplink::appendFrame(out, static_cast<std::uint8_t>(NodeKind::TrackerCard), b);
}

void appendTrackerGone(Bytes& out, std::uint64_t tracker) {
  Bytes b;
  ByteWriter w(b);
  writeU64(w, tracker);
  uplink::appendFrame(out, static_cast<std::uint8_t>(NodeKind::TrackerGone), b);
}

void appendToTracker(Bytes& out, std::uint64_t tracker, ByteView frames) {
  Bytes b;
  ByteWriter w(b);
  writeU64(w, tracker);
  w.writeBytes(frames);
  uplink::appendFrame(out, static_cast<std::uint8_t>(NodeKind::ToTracker), b);
}

std::array<std::uint8_t, 32> gatewayNodeProof(ByteView key, ByteView helloNonce,
                                              ByteView challengeNonce) {
  Bytes m(kLabel, kLabel + sizeof kLabel - 1);
  m.push_back('G');
  m.insert(m.end(), helloNonce.begin(), helloNonce.end());
  m.insert(m.end(), challengeNonce.begin(), challengeNonce.end());
  return mac(key, m);
}

std::array<std::uint8_t, 32> nodeProof(ByteView key, ByteView challengeNonce, ByteView helloNonce,
                                       std::uint64_t node) {
  Bytes m(kLabel, kLabel + sizeof kLabel - 1);
  m.push_back('N');
  m.insert(m.end(), challengeNonce.begin(), challengeNonce.end());
  m.insert(m.end(), helloNonce.begin(), helloNonce.end());
  for (int i = 7; i >= 0; --i) m.push_back(static_cast<std::uint8_t>(node >> (8 * i)));
  return mac(key, m);
}

std::array<std::uint8_t, 32> nodeSessionKey(ByteView key, ByteView helloNonce,
                                            ByteView challengeNonce) {
  Bytes m(kLabel, kLabel + sizeof kLabel - 1);
  m.push_back('S');
  m.insert(m.end(), helloNonce.begin(), helloNonce.end());
  m.insert(m.end(), challengeNonce.begin(), challengeNonce.end());
  return mac(key, m);
}

namespace {
std::array<std::uint8_t, 32> tagOf(std::uint8_t kind, ByteView body, ByteView sessionKey,
                                   char sender, std::uint64_t counter) {
  Bytes m;
  m.reserve(10 + body.size());
  m.push_back(static_cast<std::uint8_t>(sender));
  for (int i = 7; i >= 0; --i) m.push_back(static_cast<std::uint8_t>(counter >> (8 * i)));
  m.push_back(kind);
  m.insert(m.end(), body.begin(), body.end());
  return mac(sessionKey, m);
}
}  // namespace

Bytes sealNodeFrame(ByteView frame, ByteView sessionKey, char sender, std::uint64_t counter) {
  // version, kind, length u32, body, CRC-32 u32: exactly one frame
  if (frame.size() < 10 ||
      (static_cast<std::size_t>(frame[2]) << 24 | static_cast<std::size_t>(frame[3]) << 16 |
       static_cast<std::size_t>(frame[4]) << 8 | frame[5]) != frame.size() - 10)
    throw std::invalid_argument("sealNodeFrame: not exactly one whole frame");
  const std::uint8_t kind = frame[1];
  const ByteView body = frame.subspan(6, frame.size() - 10);
  const auto tag = tagOf(kind, body, sessionKey, sender, counter);
  Bytes b(body.begin(), body.end());
  b.insert(b.end(), tag.begin(), tag.begin() + kNodeTagBytes);
  Bytes out;
  uplink::appendFrame(out, kind, b);
  return out;
}

Result<ByteView> openNodeFrame(std::uint8_t kind, ByteView body, ByteView sessionKey, char sender,
                               std::uint64_t counter) {
  if (body.size() < kNodeTagBytes)
    return makeError("tag", 0, "a body ending with a 16-byte tag (a sealed frame)");
  const ByteView inner = body.first(body.size() - kNodeTagBytes);
  const auto tag = tagOf(kind, inner, sessionKey, sender, counter);
  if (CRYPTO_memcmp(tag.data(), body.data() + inner.size(), kNodeTagBytes) != 0)
    return makeError("tag", inner.size(),
                     "the tag of the link's session key and frame " + std::to_string(counter) +
                         " (a frame changed, replayed or out of order)");
  return inner;
}

}  // namespace dcgw::codecs::cardbridge
