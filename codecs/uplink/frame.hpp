// The uplink frame codec (schema/uplink.md): framing with CRC-32, and the body of each kind.
// Shared by the gateway's listener and by `dcgw simulate`; no I/O, no crypto.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"

namespace dcgw::codecs::uplink {

constexpr std::uint8_t kVersion = 0x01;
constexpr std::size_t kHeaderBytes = 6;   // version, kind, length
constexpr std::size_t kTrailerBytes = 4;  // CRC-32
constexpr std::size_t kOverheadBytes = kHeaderBytes + kTrailerBytes;
constexpr std::size_t kMaxFrameBytes = 65536;  // a whole frame, header and CRC included
constexpr std::size_t kMinFrameBytes = 64;     // the smallest maximum a gateway may set
constexpr std::size_t kNonceBytes = 32;
constexpr std::size_t kProofBytes = 32;
constexpr std::size_t kMaxSerialChars = 8;
constexpr std::size_t kMaxRegistrationChars = 13;

enum class Kind : std::uint8_t {
  Hello = 0x01,
  Challenge = 0x02,
  Proof = 0x03,
  Welcome = 0x04,
  Packet = 0x10,
  Ack = 0x11,
  Reject = 0x12,
  Heartbeat = 0x20,
  Error = 0x7F,
};
bool isReservedKind(std::uint8_t kind);  // 0x30-0x4F: card relay and file upload (section 8)
bool isDefinedKind(std::uint8_t kind);   // one of Kind
const char* kindName(std::uint8_t kind);

enum class ErrorCode : std::uint8_t {
  BadChecksum = 0x01,
  BadVersion = 0x02,
  FrameTooLarge = 0x03,
  MalformedFrame = 0x04,
  UnexpectedFrame = 0x05,
  NotSupported = 0x06,
  UnknownKind = 0x07,
  UnknownDevice = 0x10,
  WrongProof = 0x11,
  LoginTimeout = 0x12,
  WindowExceeded = 0x20,
  IdleTimeout = 0x21,
  Replaced = 0x22,
  TooManyConnections = 0x23,
  ShuttingDown = 0x24,
  SequenceOutOfRange = 0x25,
  SequenceReset = 0x26,
  StoreUnavailable = 0x30,
  StoreFull = 0x31,
};
const char* errorCodeName(std::uint8_t code);

enum class RejectCode : std::uint8_t { InvalidPacket = 0x01 };

// CRC-32/ISO-HDLC (zlib). Pass the previous value to continue over more bytes.
std::uint32_t crc32(ByteView data, std::uint32_t previous = 0);

// ---- framing ----
struct FrameView {
  std::uint8_t kind{0};
  ByteView body;
};

enum class Scan { NeedMore, Frame, Bad };

struct ScanResult {
  Scan scan{Scan::NeedMore};
  std::size_t frameBytes{0};  // Frame: bytes the frame takes from the front of the buffer
  FrameView frame;            // Frame: views into the buffer
  ErrorCode error{ErrorCode::MalformedFrame};  // Bad
  std::string reason;                          // Bad
};

// Looks at the front of `buffer` and reads nothing into a frame before it is whole. Bad as
// soon as the version or the length can be judged (so a huge announced length is refused
// without waiting for its bytes). REQUIRES: kMinFrameBytes <= maxFrameBytes <= kMaxFrameBytes.
ScanResult scanFrame(ByteView buffer, std::size_t maxFrameBytes = kMaxFrameBytes);

// Appends one whole frame. REQUIRES: body.size() <= kMaxFrameBytes - kOverheadBytes.
void appendFrame(Bytes& out, std::uint8_t kind, ByteView body);
inline void appendFrame(Bytes& out, Kind kind, ByteView body) {
  appendFrame(out, static_cast<std::uint8_t>(kind), body);
}

// ---- bodies ----
struct Hello {
  std::string serial;
};
struct Welcome {
  std::uint32_t lastSequence{0};
  std::uint16_t window{1024};
  std::uint16_t heartbeatSeconds{60};
  std::uint16_t idleTimeoutSeconds{180};
  std::uint32_t maxFrameBytes{kMaxFrameBytes};
  // Section 8.4: written as count u8 + the bytes after the 14 bytes when not empty.
  std::vector<std::uint8_t> capabilities;
};
struct PacketFrame {
  std::uint32_t sequence{0};
  std::string registration;
  ByteView packet;  // a view into the frame body
};
struct Reject {
  std::uint32_t sequence{0};
  std::uint8_t code{0};
  std::string text;
};
struct ErrorFrame {
  std::uint8_t code{0};
  std::string text;
};

// Each parse checks the exact layout of section 3 and names the field that is wrong.
Result<Hello> parseHello(ByteView body);
Result<std::array<std::uint8_t, kNonceBytes>> parseChallenge(ByteView body);
Result<std::array<std::uint8_t, kProofBytes>> parseProof(ByteView body);
Result<Welcome> parseWelcome(ByteView body);
Result<PacketFrame> parsePacket(ByteView body);
Result<std::uint32_t> parseAck(ByteView body);
Result<Reject> parseReject(ByteView body);
Result<ErrorFrame> parseError(ByteView body);

// Encoders append a whole frame to `out`.
void appendHello(Bytes& out, const std::string& serial);
void appendChallenge(Bytes& out, ByteView nonce);
void appendProof(Bytes& out, ByteView proof);
void appendWelcome(Bytes& out, const Welcome& w);
void appendPacket(Bytes& out, std::uint32_t sequence, const std::string& registration,
                  ByteView packet);
void appendAck(Bytes& out, std::uint32_t sequence);
void appendReject(Bytes& out, std::uint32_t sequence, RejectCode code, const std::string& text);
void appendError(Bytes& out, ErrorCode code, const std::string& text);
void appendHeartbeat(Bytes& out);

// The bytes the device key signs: "dcgw-uplink-1" || nonce || serial (section 4).
Bytes proofMessage(ByteView nonce, const std::string& serial);

}  // namespace dcgw::codecs::uplink
