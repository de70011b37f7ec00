// The card-bridge protocol's bodies (schema/card-bridge.md): a program at the fleet office
// that holds company cards in PC/SC readers logs in to the gateway, reports its cards and
// serves the sessions the gateway relays for trackers. The framing (version, kind, length,
// body, CRC-32) is the uplink's (codecs/uplink/frame.hpp). No I/O, no crypto.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"
#include "codecs/uplink/card.hpp"
#include "codecs/uplink/frame.hpp"

namespace dcgw::codecs::cardbridge {

constexpr std::size_t kMaxIdentChars = 32;
constexpr std::size_t kMaxReaderChars = 128;
constexpr std::size_t kExtendedSerialBytes = 8;  // CardExtendedSerialNumber (Annex 1C)

enum class Kind : std::uint8_t {
  Hello = 0x01,           // B: ident
  Challenge = 0x02,       // G: nonce
  Proof = 0x03,           // B: HMAC-SHA256
  Welcome = 0x04,         // G: heartbeat, idle timeout, APDU timeout
  Heartbeat = 0x20,       // B or G
  CardInserted = 0x30,    // B: card number, extended serial number, reader
  CardRemoved = 0x31,     // B: card number
  CardStatus = 0x32,      // G: card number, status, text
  SessionStart = 0x33,    // G: session, card number, protocol
  SessionStarted = 0x34,  // B: session, protocol, ATR
  Transmit = 0x35,        // G: session, number, command APDU
  Transmitted = 0x36,     // B: session, number, response APDU
  SessionEnd = 0x37,      // G: session, reason, text
  SessionEnded = 0x38,    // B: session
  SessionFailed = 0x39,   // B: session, failure, text
  Error = 0x7F,           // G: code, text
};
bool isDefinedKind(std::uint8_t kind);
const char* kindName(std::uint8_t kind);

// What the gateway makes of a reported card (CARD_STATUS).
enum class CardStatus : std::uint8_t {
  Online = 0x00,       // registered, not expired: trackers may use it
  UnknownCard = 0x01,  // no company card with this number is registered
  Expired = 0x02,      // registered, but its expiry date has passed
  Elsewhere = 0x03,    // online in another bridge's reader already
};
const char* cardStatusName(std::uint8_t status);

// Why the bridge could not serve a session (SESSION_FAILED).
enum class Failure : std::uint8_t {
  CardGone = 0x01,             // the card left its reader (or a reply shorter than 2 bytes)
  ReaderError = 0x02,          // PC/SC failed (the text has its error)
  ProtocolUnavailable = 0x03,  // the card does not speak the protocol asked for
  NotHere = 0x04,              // no such card or session at this bridge
};
const char* failureName(std::uint8_t failure);

// ERROR codes: the uplink's where the meaning is the same (uplink.md section 6.1).
enum class ErrorCode : std::uint8_t {
  BadChecksum = 0x01,
  BadVersion = 0x02,
  FrameTooLarge = 0x03,
  MalformedFrame = 0x04,
  UnexpectedFrame = 0x05,
  UnknownKind = 0x07,
  UnknownBridge = 0x10,
  WrongProof = 0x11,
  LoginTimeout = 0x12,
  IdleTimeout = 0x21,
  Replaced = 0x22,
  TooManyConnections = 0x23,
  ShuttingDown = 0x24,
  StoreUnavailable = 0x30,
  TooManyReports = 0x40,
};
const char* errorCodeName(std::uint8_t code);

struct Welcome {
  std::uint16_t heartbeatSeconds{30};
  std::uint16_t idleTimeoutSeconds{90};
  std::uint32_t apduTimeoutMs{5000};
};
struct CardInserted {
  std::string card;
  std::array<std::uint8_t, kExtendedSerialBytes> extendedSerial{};
  std::string reader;
};
struct CardStatusFrame {
  std::string card;
  std::uint8_t status{0};
  std::string text;
};
struct SessionStart {
  std::uint32_t session{0};
  std::string card;
  std::uint8_t protocol{0};
};
struct SessionStarted {
  std::uint32_t session{0};
  std::uint8_t protocol{0};
  Bytes atr;
};
struct TransmitFrame {
  std::uint32_t session{0};
  std::uint16_t number{0};
  ByteView apdu;  // a view into the frame body
};
struct SessionNote {  // SESSION_END (reason) and SESSION_FAILED (failure)
  std::uint32_t session{0};
  std::uint8_t code{0};
  std::string text;
};
struct ErrorFrame {
  std::uint8_t code{0};
  std::string text;
};

// Each parse checks the exact layout of card-bridge.md section 3 and names the wrong field.
Result<std::string> parseHello(ByteView body);
Result<Welcome> parseWelcome(ByteView body);
Result<CardInserted> parseCardInserted(ByteView body);
Result<std::string> parseCardRemoved(ByteView body);
Result<CardStatusFrame> parseCardStatus(ByteView body);
Result<SessionStart> parseSessionStart(ByteView body);
Result<SessionStarted> parseSessionStarted(ByteView body);
Result<TransmitFrame> parseTransmit(ByteView body);
Result<TransmitFrame> parseTransmitted(ByteView body);
Result<SessionNote> parseSessionEnd(ByteView body);
Result<std::uint32_t> parseSessionEnded(ByteView body);
Result<SessionNote> parseSessionFailed(ByteView body);
Result<ErrorFrame> parseError(ByteView body);
// The session number that starts a body (the frames from SESSION_START on), or 0: lets the
// gateway end the one session a malformed reply belongs to.
std::uint32_t sessionOf(ByteView body);

void appendHello(Bytes& out, const std::string& ident);
void appendChallenge(Bytes& out, ByteView nonce);
void appendProof(Bytes& out, ByteView proof);
void appendWelcome(Bytes& out, const Welcome& w);
void appendHeartbeat(Bytes& out);
void appendCardInserted(Bytes& out, const CardInserted& c);
void appendCardRemoved(Bytes& out, const std::string& card);
void appendCardStatus(Bytes& out, const std::string& card, CardStatus status,
                      const std::string& text);
void appendSessionStart(Bytes& out, const SessionStart& s);
void appendSessionStarted(Bytes& out, std::uint32_t session, std::uint8_t protocol, ByteView atr);
void appendTransmit(Bytes& out, std::uint32_t session, std::uint16_t number, ByteView apdu);
void appendTransmitted(Bytes& out, std::uint32_t session, std::uint16_t number, ByteView apdu);
void appendSessionEnd(Bytes& out, std::uint32_t session, uplink::CardReason reason,
                      const std::string& text);
void appendSessionEnded(Bytes& out, std::uint32_t session);
void appendSessionFailed(Bytes& out, std::uint32_t session, Failure failure,
                         const std::string& text);
void appendError(Bytes& out, ErrorCode code, const std::string& text);

// The bytes the bridge key signs: "dcgw-bridge-1" || nonce || ident (section 2).
Bytes proofMessage(ByteView nonce, const std::string& ident);

}  // namespace dcgw::codecs::cardbridge
