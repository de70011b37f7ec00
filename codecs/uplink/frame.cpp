// Uplink framing and bodies; offsets in errors are within the frame body.
#include "codecs/uplink/frame.hpp"

#include "codecs/uplink/fields.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>

namespace dcgw::codecs::uplink {
namespace {

constexpr char kProofLabel[] = "dcgw-uplink-1";

using fields::exactSize;
using fields::view;
using fields::writeString;

// A one-byte length and at most maxChars 7-bit ASCII bytes.
bool readString(ByteReader& r, std::size_t maxChars, std::string& out, std::string& why) {
  return fields::readString(r, 0, maxChars, out, why);
}

}  // namespace

bool isReservedKind(std::uint8_t kind) {
  return kind >= 0x30 && kind <= 0x4F;
}

bool isDefinedKind(std::uint8_t kind) {
  switch (static_cast<Kind>(kind)) {
    case Kind::Hello:
    case Kind::Challenge:
    case Kind::Proof:
    case Kind::Welcome:
    case Kind::Packet:
    case Kind::Ack:
    case Kind::Reject:
    case Kind::Heartbeat:
    case Kind::Error:
      return true;
  }
  return false;
}

const char* kindName(std::uint8_t kind) {
  switch (static_cast<Kind>(kind)) {
    case Kind::Hello:
      return "HELLO";
    case Kind::Challenge:
      return "CHALLENGE";
    case Kind::Proof:
      return "PROOF";
    case Kind::Welcome:
      return "WELCOME";
    case Kind::Packet:
      return "PACKET";
    case Kind::Ack:
      return "ACK";
    case Kind::Reject:
      return "REJECT";
    case Kind::Heartbeat:
      return "HEARTBEAT";
    case Kind::Error:
      return "ERROR";
  }
  if (kind >= 0x30 && kind <= 0x3F) return "reserved (company-card authentication)";
  if (kind >= 0x40 && kind <= 0x4F) return "reserved (file upload)";
  return "undefined";
}

const char* errorCodeName(std::uint8_t code) {
  switch (static_cast<ErrorCode>(code)) {
    case ErrorCode::BadChecksum:
      return "BAD_CHECKSUM";
    case ErrorCode::BadVersion:
      return "BAD_VERSION";
    case ErrorCode::FrameTooLarge:
      return "FRAME_TOO_LARGE";
    case ErrorCode::MalformedFrame:
      return "MALFORMED_FRAME";
    case ErrorCode::UnexpectedFrame:
      return "UNEXPECTED_FRAME";
    case ErrorCode::NotSupported:
      return "NOT_SUPPORTED";
    case ErrorCode::UnknownKind:
      return "UNKNOWN_KIND";
    case ErrorCode::UnknownDevice:
      return "UNKNOWN_DEVICE";
    case ErrorCode::WrongProof:
      return "WRONG_PROOF";
    case ErrorCode::LoginTimeout:
      return "LOGIN_TIMEOUT";
    case ErrorCode::WindowExceeded:
      return "WINDOW_EXCEEDED";
    case ErrorCode::IdleTimeout:
      return "IDLE_TIMEOUT";
    case ErrorCode::Replaced:
      return "REPLACED";
    case ErrorCode::TooManyConnections:
      return "TOO_MANY_CONNECTIONS";
    case ErrorCode::ShuttingDown:
      return "SHUTTING_DOWN";
    case ErrorCode::SequenceOutOfRange:
      return "SEQUENCE_OUT_OF_RANGE";
    case ErrorCode::SequenceReset:
      return "SEQUENCE_RESET";
    case ErrorCode::StoreUnavailable:
      return "STORE_UNAVAILABLE";
    case ErrorCode::StoreFull:
      return "STORE_FULL";
  }
  return "UNKNOWN";
}

std::uint32_t crc32(ByteView data, std::uint32_t previous) {
  if (data.empty()) return previous;  // zlib answers 0 for a null buffer
  return static_cast<std::uint32_t>(::crc32_z(previous, data.data(), data.size()));
}

ScanResult scanFrame(ByteView buffer, std::size_t maxFrameBytes) {
  ScanResult r;
  if (buffer.empty()) return r;
  if (buffer[0] != kVersion) {
    r.scan = Scan::Bad;
    r.error = ErrorCode::BadVersion;
    r.reason = "version at offset 0: 0x01, not " + std::to_string(buffer[0]);
    return r;
  }
  if (buffer.size() < kHeaderBytes) return r;
  const std::uint32_t length = (std::uint32_t{buffer[2]} << 24) | (std::uint32_t{buffer[3]} << 16) |
                               (std::uint32_t{buffer[4]} << 8) | buffer[5];
  if (length > maxFrameBytes - kOverheadBytes) {
    r.scan = Scan::Bad;
    r.error = ErrorCode::FrameTooLarge;
    r.reason = "length at offset 2: a body of at most " +
               std::to_string(maxFrameBytes - kOverheadBytes) + " bytes (frames of at most " +
               std::to_string(maxFrameBytes) + "), not " + std::to_string(length);
    return r;
  }
  const std::size_t total = kOverheadBytes + length;
  if (buffer.size() < total) return r;
  const std::uint32_t expected = crc32(buffer.first(kHeaderBytes + length));
  const std::uint8_t* t = buffer.data() + kHeaderBytes + length;
  const std::uint32_t got =
      (std::uint32_t{t[0]} << 24) | (std::uint32_t{t[1]} << 16) | (std::uint32_t{t[2]} << 8) | t[3];
  if (got != expected) {
    r.scan = Scan::Bad;
    r.error = ErrorCode::BadChecksum;
    char buf[96];
    std::snprintf(buf, sizeof buf, "crc at offset %zu: 0x%08X, not 0x%08X", kHeaderBytes + length,
                  expected, got);
    r.reason = buf;
    return r;
  }
  r.scan = Scan::Frame;
  r.frameBytes = total;
  r.frame.kind = buffer[1];
  r.frame.body = buffer.subspan(kHeaderBytes, length);
  return r;
}

void appendFrame(Bytes& out, std::uint8_t kind, ByteView body) {
  const std::size_t start = out.size();
  ByteWriter w(out);
  w.writeU8(kVersion);
  w.writeU8(kind);
  w.writeU32BE(static_cast<std::uint32_t>(body.size()));
  w.writeBytes(body);
  w.writeU32BE(crc32(ByteView(out).subspan(start)));
}

Result<Hello> parseHello(ByteView body) {
  ByteReader r(body);
  Hello h;
  std::string why;
  if (!readString(r, kMaxSerialChars, h.serial, why)) return makeError("serial", 0, why);
  if (h.serial.empty()) return makeError("serial", 0, "a serial number of 1 to 8 characters");
  if (r.remaining() != 0)
    return makeError("HELLO", r.position(), "no bytes after the serial number");
  return h;
}

Result<std::array<std::uint8_t, kNonceBytes>> parseChallenge(ByteView body) {
  if (body.size() != kNonceBytes) return exactSize("CHALLENGE", kNonceBytes, body.size());
  std::array<std::uint8_t, kNonceBytes> n{};
  std::copy(body.begin(), body.end(), n.begin());
  return n;
}

Result<std::array<std::uint8_t, kProofBytes>> parseProof(ByteView body) {
  if (body.size() != kProofBytes) return exactSize("PROOF", kProofBytes, body.size());
  std::array<std::uint8_t, kProofBytes> p{};
  std::copy(body.begin(), body.end(), p.begin());
  return p;
}

Result<Welcome> parseWelcome(ByteView body) {
  // Later versions may append fields (a capability list); version 1 reads the first 14 bytes.
  if (body.size() < 14)
    return makeError("WELCOME", 0,
                     "a body of at least 14 bytes, not " + std::to_string(body.size()));
  ByteReader r(body);
  Welcome w;
  r.readU32BE(w.lastSequence);
  r.readU16BE(w.window);
  r.readU16BE(w.heartbeatSeconds);
  r.readU16BE(w.idleTimeoutSeconds);
  r.readU32BE(w.maxFrameBytes);
  // Section 8.4: count u8 and that many capability bytes; a later version may add more after.
  if (body.size() > 14) {
    const std::size_t n = body[14];
    if (body.size() < 15 + n)
      return makeError("WELCOME", 14,
                       "a capability list of " + std::to_string(n) + " bytes after its count");
    w.capabilities.assign(body.begin() + 15, body.begin() + 15 + static_cast<std::ptrdiff_t>(n));
  }
  return w;
}

Result<PacketFrame> parsePacket(ByteView body) {
  ByteReader r(body);
  PacketFrame p;
  if (!r.readU32BE(p.sequence)) return makeError("sequence", 0, "4 bytes");
  if (p.sequence == 0) return makeError("sequence", 0, "a sequence number from 1, not 0");
  std::string why;
  if (!readString(r, kMaxRegistrationChars, p.registration, why))
    return makeError("registration", 4, why);
  if (r.remaining() == 0)
    return makeError("packet", r.position(), "a seed 004 packet of at least 1 byte");
  p.packet = r.rest();
  return p;
}

Result<std::uint32_t> parseAck(ByteView body) {
  if (body.size() != 4) return exactSize("ACK", 4, body.size());
  ByteReader r(body);
  std::uint32_t s = 0;
  r.readU32BE(s);
  return s;
}

Result<Reject> parseReject(ByteView body) {
  ByteReader r(body);
  Reject j;
  if (!r.readU32BE(j.sequence) || !r.readU8(j.code))
    return makeError("REJECT", 0, "a sequence (4 bytes) and a code (1 byte)");
  ByteView t = r.rest();
  j.text.assign(t.begin(), t.end());
  return j;
}

Result<ErrorFrame> parseError(ByteView body) {
  ByteReader r(body);
  ErrorFrame e;
  if (!r.readU8(e.code)) return makeError("ERROR", 0, "a code (1 byte)");
  ByteView t = r.rest();
  e.text.assign(t.begin(), t.end());
  return e;
}

void appendHello(Bytes& out, const std::string& serial) {
  Bytes b;
  ByteWriter w(b);
  writeString(w, serial);
  appendFrame(out, Kind::Hello, b);
}

void appendChallenge(Bytes& out, ByteView nonce) {
  appendFrame(out, Kind::Challenge, nonce);
}

void appendProof(Bytes& out, ByteView proof) {
  appendFrame(out, Kind::Proof, proof);
}

void appendWelcome(Bytes& out, const Welcome& w) {
  Bytes b;
  ByteWriter bw(b);
  bw.writeU32BE(w.lastSequence);
  bw.writeU16BE(w.window);
  bw.writeU16BE(w.heartbeatSeconds);
  bw.writeU16BE(w.idleTimeoutSeconds);
  bw.writeU32BE(w.maxFrameBytes);
  if (!w.capabilities.empty()) {
    bw.writeU8(static_cast<std::uint8_t>(w.capabilities.size()));
    for (std::uint8_t c : w.capabilities) bw.writeU8(c);
  }
  appendFrame(out, Kind::Welcome, b);
}

void appendPacket(Bytes& out, std::uint32_t sequence, const std::string& registration,
                  ByteView packet) {
  // Written in place: this is the hot path of the simulator.
  const std::size_t start = out.size();
  const std::size_t bodySize = 4 + 1 + registration.size() + packet.size();
  ByteWriter w(out);
  w.writeU8(kVersion);
  w.writeU8(static_cast<std::uint8_t>(Kind::Packet));
  w.writeU32BE(static_cast<std::uint32_t>(bodySize));
  w.writeU32BE(sequence);
  writeString(w, registration);
  w.writeBytes(packet);
  w.writeU32BE(crc32(ByteView(out).subspan(start)));
}

void appendAck(Bytes& out, std::uint32_t sequence) {
  std::uint8_t b[4] = {
      static_cast<std::uint8_t>(sequence >> 24), static_cast<std::uint8_t>(sequence >> 16),
      static_cast<std::uint8_t>(sequence >> 8), static_cast<std::uint8_t>(sequence)};
  appendFrame(out, Kind::Ack, ByteView(b, 4));
}

void appendReject(Bytes& out, std::uint32_t sequence, RejectCode code, const std::string& text) {
  Bytes b;
  ByteWriter w(b);
  w.writeU32BE(sequence);
  w.writeU8(static_cast<std::uint8_t>(code));
  const std::size_t room = kMaxFrameBytes - kOverheadBytes - 5;
  w.writeBytes(view(text.size() > room ? text.substr(0, room) : text));
  appendFrame(out, Kind::Reject, b);
}

void appendError(Bytes& out, ErrorCode code, const std::string& text) {
  Bytes b;
  ByteWriter w(b);
  w.writeU8(static_cast<std::uint8_t>(code));
  const std::size_t room = kMaxFrameBytes - kOverheadBytes - 1;
  w.writeBytes(view(text.size() > room ? text.substr(0, room) : text));
  appendFrame(out, Kind::Error, b);
}

void appendHeartbeat(Bytes& out) {
  appendFrame(out, Kind::Heartbeat, {});
}

Bytes proofMessage(ByteView nonce, const std::string& serial) {
  Bytes m(kProofLabel, kProofLabel + sizeof kProofLabel - 1);
  m.insert(m.end(), nonce.begin(), nonce.end());
  m.insert(m.end(), serial.begin(), serial.end());
  return m;
}

}  // namespace dcgw::codecs::uplink
