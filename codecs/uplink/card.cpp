// The uplink's card frames; offsets in errors are within the frame body.
#include "codecs/uplink/card.hpp"

#include "codecs/uplink/fields.hpp"

namespace dcgw::codecs::uplink {

namespace card_fields {

bool readCardNumber(ByteReader& r, bool allowEmpty, std::string& out, std::string& why) {
  return fields::readString(r, allowEmpty ? 0 : 1, kMaxCardNumberChars, out, why, false);
}

void writeCardNumber(ByteWriter& w, const std::string& card) {
  fields::writeString(w, card);
}

bool readAtr(ByteReader& r, Bytes& out, std::string& why) {
  std::uint8_t n = 0;
  if (!r.readU8(n)) {
    why = "a length byte";
    return false;
  }
  if (n == 0 || n > kMaxAtrBytes) {
    why = "1 to 33 bytes, not " + std::to_string(n);
    return false;
  }
  ByteView b;
  if (!r.readBytes(n, b)) {
    why = std::to_string(n) + " bytes after the length byte";
    return false;
  }
  out.assign(b.begin(), b.end());
  return true;
}

void writeAtr(ByteWriter& w, ByteView atr) {
  w.writeU8(static_cast<std::uint8_t>(atr.size()));
  w.writeBytes(atr);
}

bool validOpenedProtocol(std::uint8_t p) {
  return p == static_cast<std::uint8_t>(CardProtocol::T0) ||
         p == static_cast<std::uint8_t>(CardProtocol::T1);
}

void writeText(ByteWriter& w, const std::string& text, std::size_t used) {
  const std::size_t room = kMaxFrameBytes - kOverheadBytes - used;
  const std::size_t n = text.size() > room ? room : text.size();
  w.writeBytes(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), n));
}

}  // namespace card_fields

using namespace card_fields;

namespace {

using fields::exactSize;
using fields::restText;

Result<Apdu> parseApdu(ByteView body, const char* field, std::size_t lo, std::size_t hi) {
  ByteReader r(body);
  Apdu a;
  if (!r.readU32BE(a.session)) return makeError("session", 0, "4 bytes");
  if (a.session == 0) return makeError("session", 0, "a session number from 1, not 0");
  if (r.remaining() < lo || r.remaining() > hi)
    return makeError(field, 4,
                     std::to_string(lo) + " to " + std::to_string(hi) + " bytes, not " +
                         std::to_string(r.remaining()));
  a.apdu = r.rest();
  return a;
}

void appendApdu(Bytes& out, CardKind kind, std::uint32_t session, ByteView apdu) {
  Bytes b;
  ByteWriter w(b);
  w.writeU32BE(session);
  w.writeBytes(apdu);
  appendFrame(out, static_cast<std::uint8_t>(kind), b);
}

}  // namespace

bool isCardKind(std::uint8_t kind) {
  return kind >= static_cast<std::uint8_t>(CardKind::CardOpen) &&
         kind <= static_cast<std::uint8_t>(CardKind::CardClosed);
}

const char* cardKindName(std::uint8_t kind) {
  switch (static_cast<CardKind>(kind)) {
    case CardKind::CardOpen:
      return "CARD_OPEN";
    case CardKind::CardWaiting:
      return "CARD_WAITING";
    case CardKind::CardOpened:
      return "CARD_OPENED";
    case CardKind::ApduCommand:
      return "APDU_COMMAND";
    case CardKind::ApduResponse:
      return "APDU_RESPONSE";
    case CardKind::CardClose:
      return "CARD_CLOSE";
    case CardKind::CardClosed:
      return "CARD_CLOSED";
  }
  return "undefined";
}

const char* cardProtocolName(std::uint8_t protocol) {
  switch (static_cast<CardProtocol>(protocol)) {
    case CardProtocol::T0:
      return "T=0";
    case CardProtocol::T1:
      return "T=1";
    case CardProtocol::Any:
      return "any";
  }
  return "undefined";
}

const char* cardReasonName(std::uint8_t reason) {
  switch (static_cast<CardReason>(reason)) {
    case CardReason::Finished:
      return "FINISHED";
    case CardReason::NoCardConfigured:
      return "NO_CARD_CONFIGURED";
    case CardReason::UnknownCard:
      return "UNKNOWN_CARD";
    case CardReason::NotAllowed:
      return "NOT_ALLOWED";
    case CardReason::Expired:
      return "EXPIRED";
    case CardReason::Offline:
      return "OFFLINE";
    case CardReason::WaitTimeout:
      return "WAIT_TIMEOUT";
    case CardReason::IdleTimeout:
      return "IDLE_TIMEOUT";
    case CardReason::MaxDuration:
      return "MAX_DURATION";
    case CardReason::CardRemoved:
      return "CARD_REMOVED";
    case CardReason::BridgeGone:
      return "BRIDGE_GONE";
    case CardReason::ApduTimeout:
      return "APDU_TIMEOUT";
    case CardReason::CardError:
      return "CARD_ERROR";
    case CardReason::ProtocolUnavailable:
      return "PROTOCOL_UNAVAILABLE";
    case CardReason::Withdrawn:
      return "WITHDRAWN";
    case CardReason::Busy:
      return "BUSY";
    case CardReason::NoSession:
      return "NO_SESSION";
    case CardReason::BadApdu:
      return "BAD_APDU";
    case CardReason::ApduOverlap:
      return "APDU_OVERLAP";
    case CardReason::BridgeError:
      return "BRIDGE_ERROR";
    case CardReason::QueueFull:
      return "QUEUE_FULL";
    case CardReason::ShuttingDown:
      return "SHUTTING_DOWN";
    case CardReason::Ended:
      return "ENDED";
    case CardReason::TrackerGone:
      return "TRACKER_GONE";
  }
  return "undefined";
}

Result<CardOpen> parseCardOpen(ByteView body) {
  ByteReader r(body);
  CardOpen o;
  std::string why;
  if (!readCardNumber(r, true, o.card, why)) return makeError("card", 0, why);
  if (!r.readU8(o.protocol)) return makeError("protocol", r.position(), "1 byte");
  if (!validOpenedProtocol(o.protocol) &&
      o.protocol != static_cast<std::uint8_t>(CardProtocol::Any))
    return makeError("protocol", r.position() - 1, "0x00 (T=0), 0x01 (T=1) or 0xFF (any)");
  if (r.remaining() != 0)
    return makeError("CARD_OPEN", r.position(), "no bytes after the protocol");
  return o;
}

Result<CardWaiting> parseCardWaiting(ByteView body) {
  ByteReader r(body);
  CardWaiting c;
  if (!r.readU16BE(c.place)) return makeError("place", 0, "2 bytes");
  if (c.place == 0) return makeError("place", 0, "a place from 1, not 0");
  c.text = restText(r);
  return c;
}

Result<CardOpened> parseCardOpened(ByteView body) {
  ByteReader r(body);
  CardOpened c;
  if (!r.readU32BE(c.session)) return makeError("session", 0, "4 bytes");
  if (c.session == 0) return makeError("session", 0, "a session number from 1, not 0");
  if (!r.readU8(c.protocol) || !validOpenedProtocol(c.protocol))
    return makeError("protocol", 4, "0x00 (T=0) or 0x01 (T=1)");
  std::string why;
  if (!readAtr(r, c.atr, why)) return makeError("atr", 5, why);
  if (r.remaining() != 0) return makeError("CARD_OPENED", r.position(), "no bytes after the ATR");
  return c;
}

Result<Apdu> parseApduCommand(ByteView body) {
  return parseApdu(body, "apdu", kMinCommandApduBytes, kMaxCommandApduBytes);
}

Result<Apdu> parseApduResponse(ByteView body) {
  return parseApdu(body, "response", kMinResponseApduBytes, kMaxResponseApduBytes);
}

Result<std::uint32_t> parseCardClose(ByteView body) {
  if (body.size() != 4) return exactSize("CARD_CLOSE", 4, body.size());
  ByteReader r(body);
  std::uint32_t s = 0;
  r.readU32BE(s);
  return s;
}

Result<CardClosed> parseCardClosed(ByteView body) {
  ByteReader r(body);
  CardClosed c;
  if (!r.readU32BE(c.session) || !r.readU8(c.reason))
    return makeError("CARD_CLOSED", 0, "a session (4 bytes) and a reason (1 byte)");
  c.text = restText(r);
  return c;
}

void appendCardOpen(Bytes& out, const CardOpen& o) {
  Bytes b;
  ByteWriter w(b);
  writeCardNumber(w, o.card);
  w.writeU8(o.protocol);
  appendFrame(out, static_cast<std::uint8_t>(CardKind::CardOpen), b);
}

void appendCardWaiting(Bytes& out, std::uint16_t place, const std::string& text) {
  Bytes b;
  ByteWriter w(b);
  w.writeU16BE(place);
  writeText(w, text, 2);
  appendFrame(out, static_cast<std::uint8_t>(CardKind::CardWaiting), b);
}

void appendCardOpened(Bytes& out, std::uint32_t session, std::uint8_t protocol, ByteView atr) {
  Bytes b;
  ByteWriter w(b);
  w.writeU32BE(session);
  w.writeU8(protocol);
  writeAtr(w, atr);
  appendFrame(out, static_cast<std::uint8_t>(CardKind::CardOpened), b);
}

void appendApduCommand(Bytes& out, std::uint32_t session, ByteView apdu) {
  appendApdu(out, CardKind::ApduCommand, session, apdu);
}

void appendApduResponse(Bytes& out, std::uint32_t session, ByteView apdu) {
  appendApdu(out, CardKind::ApduResponse, session, apdu);
}

void appendCardClose(Bytes& out, std::uint32_t session) {
  Bytes b;
  ByteWriter w(b);
  w.writeU32BE(session);
  appendFrame(out, static_cast<std::uint8_t>(CardKind::CardClose), b);
}

void appendCardClosed(Bytes& out, std::uint32_t session, CardReason reason,
                      const std::string& text) {
  Bytes b;
  ByteWriter w(b);
  w.writeU32BE(session);
  w.writeU8(static_cast<std::uint8_t>(reason));
  writeText(w, text, 5);
  appendFrame(out, static_cast<std::uint8_t>(CardKind::CardClosed), b);
}

}  // namespace dcgw::codecs::uplink
