// The File Summary packets (seed 004 section 9: 0x66 0x00 driver card, 0x01 workshop card,
// 0x02 vehicle unit) that the gateway makes from a parsed tachograph file.
#pragma once

#include <cstdint>
#include <optional>

#include "codecs/bytes.hpp"
#include "codecs/ddd/summary.hpp"

namespace dcgw::codecs::ddd {

// nullopt when the file has no summary or is of a kind with no File Summary packet (control and
// company cards, unknown files). Strings: ASCII fields space-padded (their IA5 form), Unicode
// fields UTF-16LE padded with 0x0000 and cut at a whole character; values the file did not give
// are all ones (0xFF / 0xFFFFFFFF, JSON null), a missing birth date is Datef 00000000.
std::optional<Bytes> fileSummaryPacket(const ParsedFile& file, std::uint32_t downloadTime);

// UTF-8 to a fixed UTF-16LE field of `size` bytes (seed 004's "Unicode" strings).
void putUtf16Field(Bytes& out, std::size_t offset, std::string_view utf8, std::size_t size);
// ASCII (non-ASCII bytes become '?') in a fixed field, space-padded.
void putAsciiField(Bytes& out, std::size_t offset, std::string_view text, std::size_t size);

}  // namespace dcgw::codecs::ddd
