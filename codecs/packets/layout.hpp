// The declarative description of a packet layout: one FieldSpec per row of a seed 004 table.
// Decoding, encoding, JSON rendering and JSON Schema generation are all driven by these tables,
// so adding a packet family is a table and one registry line.
#pragma once

#include <cstdint>
#include <span>

namespace dcgw::codecs {

enum class FieldKind : std::uint8_t {
  U8,
  U16BE,
  U32BE,
  I16BE,
  I32BE,
  U16LE,
  U24LE,
  U32LE,
  TimeReal,     // uint32 BE seconds since the epoch -> ISO-8601 UTC
  Datef,        // 4 BCD bytes yyyymmdd -> "YYYY-MM-DD"; 00000000 -> null
  Ascii,        // fixed size, 7-bit (Latin-1 tolerated), space/NUL padded -> trimmed string
  Utf16LE,      // fixed size "Unicode" string, UTF-16LE padded with 0x0000 -> trimmed string
  Hex,          // opaque bytes -> lowercase hex string
  Reserved,     // not rendered; encoded as zeros
  InfoStrings,  // Alerts: rest of packet, NUL-separated Title, Alert, P1..P10
  FmsVersion,   // 4 ASCII characters "abcd" -> "ab.cd"
};

enum FieldFlags : std::uint8_t {
  kNullable = 1,           // all bits set (0xFF, 0xFFFF, ...) means NULL -> JSON null
  kOptional = 2,           // may be absent at the end of the packet (only whole fields)
  kTimeRelatedStates = 4,  // also render <key>Description and <key>Level (seed 004 14.5)
  kVdoBitMask = 8,         // also render reducedRestAvailable / extendedDriveAvailable (14.2)
  kFmsSupport = 16,        // also render requestsSupported / diagnosticsSupported (15.1)
};

// value = raw * num / den + add  (a rational scale keeps decimal results exact when rendered)
struct Scale {
  std::int32_t num{1};
  std::int32_t den{1};
  std::int32_t add{0};
  constexpr bool identity() const { return num == 1 && den == 1 && add == 0; }
};

struct FieldSpec {
  const char* key;       // JSON member name: the seed's field name in lowerCamelCase
  const char* seedName;  // the name as the seed's table prints it
  std::uint16_t offset;
  std::uint16_t size;  // 0 for InfoStrings (rest of the packet)
  FieldKind kind;
  std::uint8_t flags{0};
  Scale scale{};
  const char* unit{nullptr};  // unit of the rendered value, for the JSON Schema
};

struct Layout {
  const char* section;  // seed 004 section, e.g. "12"
  std::span<const FieldSpec> fields;
  std::uint16_t minLength;   // the mandatory part; shorter is an error
  std::uint16_t fullLength;  // end of the last field (bytes after it are "extra")
};

}  // namespace dcgw::codecs
