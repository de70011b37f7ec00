// Card-bridge bodies; offsets in errors are within the frame body.
#include "codecs/cardbridge/frame.hpp"

#include "codecs/uplink/fields.hpp"

namespace dcgw::codecs::cardbridge {

using uplink::appendFrame;
using namespace uplink::card_fields;

namespace {

constexpr char kProofLabel[] = "dcgw-bridge-1";

using uplink::fields::exactSize;
using uplink::fields::restText;
using uplink::fields::writeString;

Result<std::uint32_t> readSession(ByteReader& r) {
  std::uint32_t s = 0;
  if (!r.readU32BE(s)) return makeError("session", 0, "4 bytes");
  if (s == 0) return makeError("session", 0, "a session number from 1, not 0");
  return s;
}

Result<TransmitFrame> parseApduFrame(ByteView body, const char* field, std::size_t lo,
                                     std::size_t hi) {
  ByteReader r(body);
  TransmitFrame t;
  auto s = readSession(r);
  if (!s) return s.error();
  t.session = *s;
  if (!r.readU16BE(t.number)) return makeError("number", 4, "2 bytes");
  if (r.remaining() < lo || r.remaining() > hi)
    return makeError(field, 6,
                     std::to_string(lo) + " to " + std::to_string(hi) + " bytes, not " +
                         std::to_string(r.remaining()));
  t.apdu = r.rest();
  return t;
}

Result<SessionNote> parseNote(ByteView body, const char* kind) {
  ByteReader r(body);
  SessionNote n;
  auto s = readSession(r);
  if (!s) return s.error();
  n.session = *s;
  if (!r.readU8(n.code)) return makeError(kind, 4, "a code (1 byte) after the session");
  n.text = restText(r);
  return n;
}

void appendApduFrame(Bytes& out, Kind kind, std::uint32_t session, std::uint16_t number,
                     ByteView apdu) {
  Bytes b;
  ByteWriter w(b);
  w.writeU32BE(session);
  w.writeU16BE(number);
  w.writeBytes(apdu);
  appendFrame(out, static_cast<std::uint8_t>(kind), b);
}

void appendNote(Bytes& out, Kind kind, std::uint32_t session, std::uint8_t code,
                const std::string& text) {
  Bytes b;
  ByteWriter w(b);
  w.writeU32BE(session);
  w.writeU8(code);
  writeText(w, text, 5);
  appendFrame(out, static_cast<std::uint8_t>(kind), b);
}

}  // namespace

bool isDefinedKind(std::uint8_t kind) {
  return std::string(kindName(kind)) != "undefined";
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
    case Kind::Heartbeat:
      return "HEARTBEAT";
    case Kind::CardInserted:
      return "CARD_INSERTED";
    case Kind::CardRemoved:
      return "CARD_REMOVED";
    case Kind::CardStatus:
      return "CARD_STATUS";
    case Kind::SessionStart:
      return "SESSION_START";
    case Kind::SessionStarted:
      return "SESSION_STARTED";
    case Kind::Transmit:
      return "TRANSMIT";
    case Kind::Transmitted:
      return "TRANSMITTED";
    case Kind::SessionEnd:
      return "SESSION_END";
    case Kind::SessionEnded:
      return "SESSION_ENDED";
    case Kind::SessionFailed:
      return "SESSION_FAILED";
    case Kind::Error:
      return "ERROR";
  }
  return "undefined";
}

const char* cardStatusName(std::uint8_t status) {
  switch (static_cast<CardStatus>(status)) {
    case CardStatus::Online:
      return "ONLINE";
    case CardStatus::UnknownCard:
      return "UNKNOWN_CARD";
    case CardStatus::Expired:
      return "EXPIRED";
    case CardStatus::Elsewhere:
      return "ELSEWHERE";
  }
  return "undefined";
}

const char* failureName(std::uint8_t failure) {
  switch (static_cast<Failure>(failure)) {
    case Failure::CardGone:
      return "CARD_GONE";
    case Failure::ReaderError:
      return "READER_ERROR";
    case Failure::ProtocolUnavailable:
      return "PROTOCOL_UNAVAILABLE";
    case Failure::NotHere:
      return "NOT_HERE";
  }
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
    case ErrorCode::UnknownKind:
      return "UNKNOWN_KIND";
    case ErrorCode::UnknownBridge:
      return "UNKNOWN_BRIDGE";
    case ErrorCode::WrongProof:
      return "WRONG_PROOF";
    case ErrorCode::LoginTimeout:
      return "LOGIN_TIMEOUT";
    case ErrorCode::IdleTimeout:
      return "IDLE_TIMEOUT";
    case ErrorCode::Replaced:
      return "REPLACED";
    case ErrorCode::TooManyConnections:
      return "TOO_MANY_CONNECTIONS";
    case ErrorCode::ShuttingDown:
      return "SHUTTING_DOWN";
    case ErrorCode::StoreUnavailable:
      return "STORE_UNAVAILABLE";
    case ErrorCode::TooManyReports:
      return "TOO_MANY_REPORTS";
  }
  return "undefined";
}

Result<std::string> parseHello(ByteView body) {
  ByteReader r(body);
  std::string ident, why;
  if (!uplink::fields::readString(r, 1, kMaxIdentChars, ident, why))
    return makeError("ident", 0, why);
  if (r.remaining() != 0) return makeError("HELLO", r.position(), "no bytes after the ident");
  return ident;
}

Result<Welcome> parseWelcome(ByteView body) {
  // A later version may add members after these 8 bytes; a version 1 bridge ignores them.
  if (body.size() < 8)
    return makeError("WELCOME", 0,
                     "a body of at least 8 bytes, not " + std::to_string(body.size()));
  ByteReader r(body);
  Welcome w;
  r.readU16BE(w.heartbeatSeconds);
  r.readU16BE(w.idleTimeoutSeconds);
  r.readU32BE(w.apduTimeoutMs);
  return w;
}

Result<CardInserted> parseCardInserted(ByteView body) {
  ByteReader r(body);
  CardInserted c;
  std::string why;
  if (!readCardNumber(r, false, c.card, why)) return makeError("card", 0, why);
  ByteView esn;
  if (!r.readBytes(kExtendedSerialBytes, esn))
    return makeError("extendedSerial", r.position(), "8 bytes");
  std::copy(esn.begin(), esn.end(), c.extendedSerial.begin());
  const std::size_t at = r.position();
  if (!uplink::fields::readString(r, 0, kMaxReaderChars, c.reader, why))
    return makeError("reader", at, why);
  if (r.remaining() != 0)
    return makeError("CARD_INSERTED", r.position(), "no bytes after the reader");
  return c;
}

Result<std::string> parseCardRemoved(ByteView body) {
  ByteReader r(body);
  std::string card, why;
  if (!readCardNumber(r, false, card, why)) return makeError("card", 0, why);
  if (r.remaining() != 0) return makeError("CARD_REMOVED", r.position(), "no bytes after the card");
  return card;
}

Result<CardStatusFrame> parseCardStatus(ByteView body) {
  ByteReader r(body);
  CardStatusFrame c;
  std::string why;
  if (!readCardNumber(r, false, c.card, why)) return makeError("card", 0, why);
  if (!r.readU8(c.status)) return makeError("status", r.position(), "1 byte");
  c.text = restText(r);
  return c;
}

Result<SessionStart> parseSessionStart(ByteView body) {
  ByteReader r(body);
  SessionStart s;
  auto n = readSession(r);
  if (!n) return n.error();
  s.session = *n;
  std::string why;
  if (!readCardNumber(r, false, s.card, why)) return makeError("card", 4, why);
  if (!r.readU8(s.protocol) ||
      !(validOpenedProtocol(s.protocol) ||
        s.protocol == static_cast<std::uint8_t>(uplink::CardProtocol::Any)))
    return makeError("protocol", r.position(), "0x00 (T=0), 0x01 (T=1) or 0xFF (any)");
  if (r.remaining() != 0)
    return makeError("SESSION_START", r.position(), "no bytes after the protocol");
  return s;
}

Result<SessionStarted> parseSessionStarted(ByteView body) {
  ByteReader r(body);
  SessionStarted s;
  auto n = readSession(r);
  if (!n) return n.error();
  s.session = *n;
  if (!r.readU8(s.protocol) || !validOpenedProtocol(s.protocol))
    return makeError("protocol", 4, "0x00 (T=0) or 0x01 (T=1)");
  std::string why;
  if (!readAtr(r, s.atr, why)) return makeError("atr", 5, why);
  if (r.remaining() != 0)
    return makeError("SESSION_STARTED", r.position(), "no bytes after the ATR");
  return s;
}

Result<TransmitFrame> parseTransmit(ByteView body) {
  return parseApduFrame(body, "apdu", uplink::kMinCommandApduBytes, uplink::kMaxCommandApduBytes);
}

Result<TransmitFrame> parseTransmitted(ByteView body) {
  return parseApduFrame(body, "response", uplink::kMinResponseApduBytes,
                        uplink::kMaxResponseApduBytes);
}

Result<SessionNote> parseSessionEnd(ByteView body) {
  return parseNote(body, "SESSION_END");
}

Result<std::uint32_t> parseSessionEnded(ByteView body) {
  if (body.size() != 4) return exactSize("SESSION_ENDED", 4, body.size());
  ByteReader r(body);
  return readSession(r);
}

Result<SessionNote> parseSessionFailed(ByteView body) {
  return parseNote(body, "SESSION_FAILED");
}

Result<ErrorFrame> parseError(ByteView body) {
  ByteReader r(body);
  ErrorFrame e;
  if (!r.readU8(e.code)) return makeError("ERROR", 0, "a code (1 byte)");
  e.text = restText(r);
  return e;
}

std::uint32_t sessionOf(ByteView body) {
  ByteReader r(body);
  std::uint32_t s = 0;
  return r.readU32BE(s) ? s : 0;
}

void appendHello(Bytes& out, const std::string& ident) {
  Bytes b;
  ByteWriter w(b);
  writeString(w, ident);
  appendFrame(out, static_cast<std::uint8_t>(Kind::Hello), b);
}

void appendChallenge(Bytes& out, ByteView nonce) {
  appendFrame(out, static_cast<std::uint8_t>(Kind::Challenge), nonce);
}

void appendProof(Bytes& out, ByteView proof) {
  appendFrame(out, static_cast<std::uint8_t>(Kind::Proof), proof);
}

void appendWelcome(Bytes& out, const Welcome& welcome) {
  Bytes b;
  ByteWriter w(b);
  w.writeU16BE(welcome.heartbeatSeconds);
  w.writeU16BE(welcome.idleTimeoutSeconds);
  w.writeU32BE(welcome.apduTimeoutMs);
  appendFrame(out, static_cast<std::uint8_t>(Kind::Welcome), b);
}

void appendHeartbeat(Bytes& out) {
  appendFrame(out, static_cast<std::uint8_t>(Kind::Heartbeat), {});
}

void appendCardInserted(Bytes& out, const CardInserted& c) {
  Bytes b;
  ByteWriter w(b);
  writeCardNumber(w, c.card);
  w.writeBytes(ByteView(c.extendedSerial.data(), c.extendedSerial.size()));
  writeString(w, c.reader);
  appendFrame(out, static_cast<std::uint8_t>(Kind::CardInserted), b);
}

void appendCardRemoved(Bytes& out, const std::string& card) {
  Bytes b;
  ByteWriter w(b);
  writeCardNumber(w, card);
  appendFrame(out, static_cast<std::uint8_t>(Kind::CardRemoved), b);
}

void appendCardStatus(Bytes& out, const std::string& card, CardStatus status,
                      const std::string& text) {
  Bytes b;
  ByteWriter w(b);
  writeCardNumber(w, card);
  w.writeU8(static_cast<std::uint8_t>(status));
  writeText(w, text, b.size());
  appendFrame(out, static_cast<std::uint8_t>(Kind::CardStatus), b);
}

void appendSessionStart(Bytes& out, const SessionStart& s) {
  Bytes b;
  ByteWriter w(b);
  w.writeU32BE(s.session);
  writeCardNumber(w, s.card);
  w.writeU8(s.protocol);
  appendFrame(out, static_cast<std::uint8_t>(Kind::SessionStart), b);
}

void appendSessionStarted(Bytes& out, std::uint32_t session, std::uint8_t protocol, ByteView atr) {
  Bytes b;
  ByteWriter w(b);
  w.writeU32BE(session);
  w.writeU8(protocol);
  writeAtr(w, atr);
  appendFrame(out, static_cast<std::uint8_t>(Kind::SessionStarted), b);
}

void appendTransmit(Bytes& out, std::uint32_t session, std::uint16_t number, ByteView apdu) {
  appendApduFrame(out, Kind::Transmit, session, number, apdu);
}

void appendTransmitted(Bytes& out, std::uint32_t session, std::uint16_t number, ByteView apdu) {
  appendApduFrame(out, Kind::Transmitted, session, number, apdu);
}

void appendSessionEnd(Bytes& out, std::uint32_t session, uplink::CardReason reason,
                      const std::string& text) {
  appendNote(out, Kind::SessionEnd, session, static_cast<std::uint8_t>(reason), text);
}

void appendSessionEnded(Bytes& out, std::uint32_t session) {
  Bytes b;
  ByteWriter w(b);
  w.writeU32BE(session);
  appendFrame(out, static_cast<std::uint8_t>(Kind::SessionEnded), b);
}

void appendSessionFailed(Bytes& out, std::uint32_t session, Failure failure,
                         const std::string& text) {
  appendNote(out, Kind::SessionFailed, session, static_cast<std::uint8_t>(failure), text);
}

void appendError(Bytes& out, ErrorCode code, const std::string& text) {
  Bytes b;
  ByteWriter w(b);
  w.writeU8(static_cast<std::uint8_t>(code));
  writeText(w, text, 1);
  appendFrame(out, static_cast<std::uint8_t>(Kind::Error), b);
}

Bytes proofMessage(ByteView nonce, const std::string& ident) {
  Bytes m(kProofLabel, kProofLabel + sizeof kProofLabel - 1);
  m.insert(m.end(), nonce.begin(), nonce.end());
  m.insert(m.end(), ident.begin(), ident.end());
  return m;
}

}  // namespace dcgw::codecs::cardbridge
