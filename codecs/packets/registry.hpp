// The one table of packet kinds: (type, subtype) -> name, filter key, layout, minimum length.
#pragma once

#include <cstdint>
#include <span>

#include "codecs/packets/layout.hpp"

namespace dcgw::codecs {

struct PacketKind {
  std::uint8_t type;
  std::uint8_t subLo;  // subtype (or sensor number) range this entry covers
  std::uint8_t subHi;
  // True for 0x4F and 0x53, whose second byte is a field of the layout (journey start/end,
  // sensor number), not a subtype. JSON renders "subtype": null for them.
  bool secondByteIsField;
  const char* name;       // as seed 004 section 4 names it
  const char* filterKey;  // destination filter key (seed 004 figure 5 names); nullptr: none
  const char* family;     // JSON Schema file in schema/packets/<family>.schema.json
  const Layout* layout;   // nullptr: no layout in the seed; decoded as name + raw bytes
  std::uint16_t minLength;
  // Sensors only: which of the five layouts of section 16 the sensor number selects; rendered
  // as "sensorKind" (the name stays section 4's "Sensors").
  const char* sensorKind{nullptr};
};

// All kinds, in table order. 0x6D is looked up as 0x4D.
std::span<const PacketKind> packetKinds();

// The kind for these first two bytes (second is ignored when the type has no subtype).
// Never null: unknown types and subtypes map to the "unknown" kind.
const PacketKind* findPacketKind(std::uint8_t type, std::uint8_t second);
const PacketKind& unknownPacketKind();

// The distinct filter keys, in the order of seed 004 figure 5, then the kinds it lacks.
std::span<const char* const> filterKeys();
bool isFilterKey(const char* text, std::size_t length);

}  // namespace dcgw::codecs
