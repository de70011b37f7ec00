// Packets the gateway makes itself from other packets or from files, as pure byte functions:
// Consolidated DDS (seed 004 section 14.4) from one DDS feed packet, and the New Driver
// notification (section 8). The mapping is specified field by field in schema/derived-packets.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"

namespace dcgw::codecs {

// Whether these bytes are a packet Consolidated DDS is derived from: type 0x4D or 0x6D with
// subtype 0x02 (Stoneridge Duo), 0x03 (VDO Counter) or 0x04 (Intellic iCounter, DESIGN.md).
bool isDdsFeed(ByteView packet);

// The 66-byte 0x4D 0x0C packet for one feed packet (schema/derived-packets.md section 2).
// A value the feed does not give, or gives as NULL, is NULL (0xFF, 0xFFFF, 0xFFFFFFFF).
// Errors (a value, never an exception): not a feed packet, or shorter than its layout.
Result<Bytes> consolidatedDds(ByteView feed);

// The 156-byte 0x44 0x00 packet: card number as 14 ASCII bytes (space padded), the names
// UTF-8 in, UTF-16LE out (35 code units each, 0x0000 padded). Errors name the field: a card
// number that is empty, longer than 14 or not printable ASCII; a name over 35 UTF-16 units or
// not valid UTF-8.
Result<Bytes> newDriverPacket(std::string_view cardNumber, std::string_view surname,
                              std::string_view firstNames);

// A driver a packet names: the card number trimmed, the names as UTF-8, trimmed.
struct NamedDriver {
  std::string cardNumber, surname, firstNames;
};
// The driver named by a new-digipostpro Clocking packet (0x6B 0x01, section 11.2) or a New
// Driver notification (0x44, section 8); nullopt for other packets, an invalid one, an empty
// card number, or both names empty (schema/derived-packets.md section 3.1).
std::optional<NamedDriver> driverNamedIn(ByteView packet);

}  // namespace dcgw::codecs
