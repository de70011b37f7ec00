// Annex 1C data dictionary helpers shared by the card and vehicle-unit parsers: code-page text
// (chapter 4) to UTF-8, NationNumeric to NationAlpha, IA5 strings and TimeReal sentinels.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codecs/bytes.hpp"

namespace dcgw::codecs::ddd {

// Text in one of chapter 4's code pages (1, 2, 3, 5, 7, 9, 13, 15, 16: ISO/IEC 8859-n; 80: KOI8-R;
// 85: KOI8-U) to UTF-8, its padding trimmed (spaces and NULs at either end, 0xFF at the end).
// Bytes a code page does not map become U+FFFD; under a code page not in the list, bytes above
// 0x7F are read as ISO-8859-1 (0x80-0x9F: U+FFFD). Either sets `*ok` (when given) false; an
// empty (all padding) value is fine.
std::string decodeCodePage(std::uint8_t codePage, ByteView bytes, bool* ok = nullptr);

// IA5String (7-bit ASCII) with its padding (spaces, NULs, 0xFF) trimmed from the end (an
// identifier keeps its start); any byte
// outside 0x20..0x7E becomes '?' and `*ok` (when given) is set false.
std::string decodeIa5(ByteView bytes, bool* ok = nullptr);

// NationAlpha of a NationNumeric ("D" for 0x0D, "UK" for 0x15, "EC", "EUR", "WLD"); "" for
// 0x00 (no information) and for codes with no assignment. The list is the one kept by the
// interoperability laboratory (Annex 1C data dictionary 2.100), not printed in the regulation.
const char* nationAlpha(std::uint8_t nationNumeric);

// The code point of UTF-8 text at `i`, advancing `i`; a malformed byte is U+FFFD on its own.
// REQUIRES: i < text.size().
char32_t nextUtf8CodePoint(std::string_view text, std::size_t& i);

// TimeReal with its "no value" sentinels (0 and 0xFFFFFFFF) as nullopt.
std::optional<std::uint32_t> timeRealValue(std::uint32_t raw);

}  // namespace dcgw::codecs::ddd
