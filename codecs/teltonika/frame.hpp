// Teltonika TCP framing (schema/teltonika.md sections 1, 2, 4, 5): the IMEI login, the FF ping, the
// AVL and command frames with their CRC-16/IBM, and the server's replies. Pure: the listener
// feeds it the bytes it has and consumes only what a scan says is whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"
#include "codecs/teltonika/avl.hpp"

namespace dcgw::codecs::teltonika {

constexpr std::size_t kImeiDigits = 15;
constexpr std::size_t kLoginBytes = 2 + kImeiDigits;
constexpr std::uint8_t kPing = 0xFF;
constexpr std::uint8_t kLoginAccept = 0x01;
constexpr std::uint8_t kLoginRefuse = 0x00;
constexpr std::size_t kFrameOverheadBytes = 12;  // preamble 4, data length 4, CRC 4
// The data field (codec id .. N2) the gateway accepts by default: the wiki's largest AVL packet
// (1280 bytes) with room for long Codec 12 responses. A listener may set 64 .. kMaxDataBytes.
constexpr std::size_t kDefaultMaxDataBytes = 2048;
constexpr std::size_t kMinDataBytes = 64;
constexpr std::size_t kMaxDataBytes = 65536;
constexpr std::uint8_t kCommandType = 0x05;   // Codec 12: server -> device
constexpr std::uint8_t kResponseType = 0x06;  // Codec 12/13: device -> server

// CRC-16/IBM (ARC): polynomial 0x8005 reflected (0xA001), initial value 0, no final xor.
std::uint16_t crc16(ByteView data, std::uint16_t previous = 0);

// ---- login ----
enum class Scan { NeedMore, Frame, Ping, Bad };

struct LoginScan {
  Scan scan{Scan::NeedMore};  // NeedMore, Frame (the login is whole) or Bad
  std::size_t bytes{0};       // Frame: 17
  std::string imei;           // Frame: 15 ASCII digits
  Error error;                // Bad: the connection cannot go on
};
// Reads `00 0F` + 15 ASCII digits from the front of `buffer`. Bad as soon as a byte is wrong
// (a length other than 15, a non-digit, or four zero bytes: an AVL frame before the login).
LoginScan tryLogin(ByteView buffer);

// ---- frames ----
enum class FrameProblem : std::uint8_t {
  None,
  Preamble,      // not four zero bytes: the boundary is lost
  Length,        // data length under 3 or over the maximum: the boundary is lost
  Crc,           // CRC mismatch
  Content,       // the data field does not decode (counts, lengths, trailing bytes)
  UnknownCodec,  // a codec id the gateway does not read
};
const char* problemName(FrameProblem p);

// A command or a response of Codec 12 / 13.
struct CommandMessage {
  std::uint8_t codec{kCodec12};
  std::uint8_t quantity1{1};
  std::uint8_t type{kResponseType};
  std::optional<std::uint32_t> timestamp;  // Codec 13: seconds since 1970 UTC
  Bytes payload;                           // usually ASCII text
  std::uint8_t quantity2{1};
  std::string text() const { return std::string(payload.begin(), payload.end()); }
};
// Decodes codec id (0x0C/0x0D) | qty | type | size u32 | [timestamp u32] | payload | qty.
Result<CommandMessage> decodeCommand(ByteView data, std::size_t base = 0);

struct FrameScan {
  Scan scan{Scan::NeedMore};
  // Frame/Ping: bytes to consume. Bad: the frame's whole size when its boundary is known (the
  // listener drops it and answers 0 records), 0 when it is not (the listener closes).
  std::size_t frameBytes{0};
  std::uint8_t codec{0};       // Frame, and Bad once the CRC matched
  ByteView data;               // Frame: the data field (codec id .. N2), a view into buffer
  std::uint16_t crc{0};        // Frame: as received
  std::optional<AvlData> avl;  // Frame of Codec 8 / 8E / 16
  std::optional<CommandMessage> command;     // Frame of Codec 12 / 13
  FrameProblem problem{FrameProblem::None};  // Bad
  Error error;                               // Bad (offsets within the frame)
  bool recoverable() const { return scan == Scan::Bad && frameBytes != 0; }
};
// Looks at the front of `buffer` after the login: a lone FF is a ping; otherwise a frame is
// judged as soon as its bytes allow (preamble, then length) and decoded only when whole.
// REQUIRES: kMinDataBytes <= maxDataBytes <= kMaxDataBytes.
FrameScan tryFrame(ByteView buffer, std::size_t maxDataBytes = kDefaultMaxDataBytes);

// ---- server -> device ----
void appendLoginReply(Bytes& out, bool accept);           // 01 or 00
void appendRecordAck(Bytes& out, std::uint32_t records);  // u32 big-endian
// Wraps a data field in preamble | length | data | 00 00 crc16.
Bytes wrapFrame(ByteView data);
// A Codec 12 (or 13) message as a whole frame: quantity 1, its type, size, payload, quantity 1.
Bytes encodeCommandFrame(const CommandMessage& m);
// The usual server command: Codec 12, type 0x05, the text as payload.
Bytes encodeCommand(std::string_view text);
// The device's login: 00 0F + the IMEI (the simulator). REQUIRES: 15 digits.
Bytes encodeLogin(std::string_view imei);

}  // namespace dcgw::codecs::teltonika
