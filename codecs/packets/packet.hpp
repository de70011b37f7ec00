// Decoding, validating, rendering and encoding seed 004 data packets.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "codecs/bytes.hpp"
#include "codecs/json.hpp"
#include "codecs/packets/registry.hpp"
#include "codecs/result.hpp"

namespace dcgw::codecs {

inline constexpr std::size_t kMaxFields = 40;

struct FieldValue {
  const FieldSpec* spec;
  std::uint32_t raw;  // numeric kinds: the integer as read (sign bits kept for I16/I32)
};

// A validated packet: a view of its bytes plus the numeric fields already extracted.
// REQUIRES: the bytes it was decoded from outlive it.
struct Packet {
  ByteView bytes;
  const PacketKind* kind{nullptr};
  std::uint8_t type{0};
  std::uint8_t second{0};  // byte 1 (the subtype, or a field for 0x4F/0x53); 0 if absent
  std::uint16_t end{0};    // end of the decoded layout; bytes after it are extra
  std::uint8_t fieldCount{0};
  std::array<FieldValue, kMaxFields> fields;

  bool hasLayout() const { return kind->layout != nullptr; }
  ByteView extra() const { return bytes.subspan(end); }
};

// Validates bytes against the registry and the layout of their kind. Unknown types and kinds
// without a layout are valid (decoded as name + raw bytes). Bytes beyond the layout are valid
// and reported as extra. Errors name the field, its offset and what was expected.
Status decodePacket(ByteView bytes, Packet& out);
Result<Packet> decodePacket(ByteView bytes);
// A Packet views its bytes: decoding a temporary would leave it dangling.
Result<Packet> decodePacket(Bytes&& bytes) = delete;

// The JSON contract of schema/packets: type, subtype, name, then the fields in lowerCamelCase.
void renderPacketJson(const Packet& p, JsonWriter& w);
std::string renderPacketJson(const Packet& p);

// The reverse of renderPacketJson: builds packet bytes from that JSON object.
Result<Bytes> encodePacket(const JsonValue& object);

// Seed 004 section 14.5. Description "unknown" and level -1 for values the table lacks.
struct TimeRelatedState {
  const char* description;
  int level;
};
TimeRelatedState timeRelatedState(std::uint8_t value);

}  // namespace dcgw::codecs
