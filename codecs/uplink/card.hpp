// The uplink's card frames (schema/uplink.md section 8): a tracker's session with a company
// card, relayed by the gateway to a card bridge (schema/card-bridge.md). Bodies only; the
// framing is frame.hpp's. No I/O.
#pragma once

#include <cstdint>
#include <string>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"
#include "codecs/uplink/frame.hpp"

namespace dcgw::codecs::uplink {

enum class CardKind : std::uint8_t {
  CardOpen = 0x30,      // D: card, protocol
  CardWaiting = 0x31,   // G: place, text
  CardOpened = 0x32,    // G: session, protocol, ATR
  ApduCommand = 0x33,   // D: session, command APDU
  ApduResponse = 0x34,  // G: session, response APDU
  CardClose = 0x35,     // D: session (0: withdraw the waiting CARD_OPEN)
  CardClosed = 0x36,    // G: session (0: no session was opened), reason, text
};
bool isCardKind(std::uint8_t kind);
const char* cardKindName(std::uint8_t kind);

constexpr std::size_t kMaxCardNumberChars = 16;
constexpr std::size_t kMaxAtrBytes = 33;            // ISO/IEC 7816-3
constexpr std::size_t kMinCommandApduBytes = 4;     // CLA INS P1 P2
constexpr std::size_t kMaxCommandApduBytes = 261;   // short APDU: 4 + Lc + 255 + Le
constexpr std::size_t kMinResponseApduBytes = 2;    // SW1 SW2
constexpr std::size_t kMaxResponseApduBytes = 258;  // 256 data bytes + SW1 SW2

// The transmission protocol a session asks for and gets (ISO/IEC 7816-3).
enum class CardProtocol : std::uint8_t { T0 = 0x00, T1 = 0x01, Any = 0xFF };
const char* cardProtocolName(std::uint8_t protocol);

// Why a card session ended, or why a CARD_OPEN got none (section 8.3). Also the event codes
// an admin reads per card and per device.
enum class CardReason : std::uint8_t {
  Finished = 0x00,             // the tracker sent CARD_CLOSE
  NoCardConfigured = 0x01,     // no card named and none configured for the device
  UnknownCard = 0x02,          // no company card with this number is registered
  NotAllowed = 0x03,           // the device's location may not use this card
  Expired = 0x04,              // the card's expiry date has passed
  Offline = 0x05,              // the card is not in a connected bridge's reader
  WaitTimeout = 0x06,          // the queue for the card took longer than the limit
  IdleTimeout = 0x07,          // no APDU from the tracker for the inactivity limit
  MaxDuration = 0x08,          // the session reached its maximum duration
  CardRemoved = 0x09,          // the card left its reader during the session
  BridgeGone = 0x0A,           // the card's bridge disconnected during the session
  ApduTimeout = 0x0B,          // the card did not answer an APDU in time
  CardError = 0x0C,            // the reader or the card failed (reset, transmit)
  ProtocolUnavailable = 0x0D,  // the card does not speak the protocol asked for
  Withdrawn = 0x0E,            // the tracker withdrew its waiting CARD_OPEN
  Busy = 0x0F,                 // a CARD_OPEN while this connection already has one
  NoSession = 0x10,            // an APDU or CARD_CLOSE for a session this connection has not
  BadApdu = 0x11,              // a command APDU outside 4..261 bytes
  ApduOverlap = 0x12,          // an APDU before the previous one was answered
  BridgeError = 0x13,          // the bridge answered out of order or with a malformed reply
  QueueFull = 0x14,            // too many trackers wait for this card already
  ShuttingDown = 0x15,         // the gateway is stopping
  Ended = 0x16,                // an admin ended the session
  TrackerGone = 0x17,          // the tracker disconnected (SESSION_END to the bridge)
};
const char* cardReasonName(std::uint8_t reason);

struct CardOpen {
  std::string card;  // empty: the card configured for the device
  std::uint8_t protocol{static_cast<std::uint8_t>(CardProtocol::Any)};
};
struct CardWaiting {
  std::uint16_t place{0};  // 1: next
  std::string text;
};
struct CardOpened {
  std::uint32_t session{0};
  std::uint8_t protocol{0};
  Bytes atr;
};
struct Apdu {
  std::uint32_t session{0};
  ByteView apdu;  // a view into the frame body
};
struct CardClosed {
  std::uint32_t session{0};
  std::uint8_t reason{0};
  std::string text;
};

// Each parse checks the exact layout of section 8.2 and names the field that is wrong.
Result<CardOpen> parseCardOpen(ByteView body);
Result<CardWaiting> parseCardWaiting(ByteView body);
Result<CardOpened> parseCardOpened(ByteView body);
Result<Apdu> parseApduCommand(ByteView body);
Result<Apdu> parseApduResponse(ByteView body);
Result<std::uint32_t> parseCardClose(ByteView body);
Result<CardClosed> parseCardClosed(ByteView body);

// Encoders append a whole frame to `out`. REQUIRES: fields within the limits above.
void appendCardOpen(Bytes& out, const CardOpen& o);
void appendCardWaiting(Bytes& out, std::uint16_t place, const std::string& text);
void appendCardOpened(Bytes& out, std::uint32_t session, std::uint8_t protocol, ByteView atr);
void appendApduCommand(Bytes& out, std::uint32_t session, ByteView apdu);
void appendApduResponse(Bytes& out, std::uint32_t session, ByteView apdu);
void appendCardClose(Bytes& out, std::uint32_t session);
void appendCardClosed(Bytes& out, std::uint32_t session, CardReason reason,
                      const std::string& text);

// ---- shared by the card frames of both protocols (card-bridge.md uses them too) ----
namespace card_fields {
// A one-byte length and 1 to 16 printable ASCII characters (0 allowed when `allowEmpty`).
bool readCardNumber(ByteReader& r, bool allowEmpty, std::string& out, std::string& why);
void writeCardNumber(ByteWriter& w, const std::string& card);
// A one-byte length and 1 to 33 bytes.
bool readAtr(ByteReader& r, Bytes& out, std::string& why);
void writeAtr(ByteWriter& w, ByteView atr);
// A protocol byte of a session that was opened: 0x00 (T=0) or 0x01 (T=1).
bool validOpenedProtocol(std::uint8_t p);
// Text as the rest of a body, cut to what a frame holds.
void writeText(ByteWriter& w, const std::string& text, std::size_t used);
}  // namespace card_fields

}  // namespace dcgw::codecs::uplink
