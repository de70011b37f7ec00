// Code pages through glibc's iconv once per code page (a 128-entry table of the upper half,
// built on first use), so decoding itself is a table lookup with no allocation per call.
#include "codecs/ddd/dictionary.hpp"

#include <iconv.h>

#include <array>
#include <mutex>

namespace dcgw::codecs::ddd {
namespace {

constexpr char32_t kReplacement = 0xFFFD;
using UpperHalf = std::array<char32_t, 128>;  // code points of bytes 0x80..0xFF, 0 = unmapped

const char* charsetOf(std::uint8_t codePage) {
  switch (codePage) {
    case 1:
      return "ISO-8859-1";
    case 2:
      return "ISO-8859-2";
    case 3:
      return "ISO-8859-3";
    case 5:
      return "ISO-8859-5";
    case 7:
      return "ISO-8859-7";
    case 9:
      return "ISO-8859-9";
    case 13:
      return "ISO-8859-13";
    case 15:
      return "ISO-8859-15";
    case 16:
      return "ISO-8859-16";
    case 80:
      return "KOI8-R";
    case 85:
      return "KOI8-U";
    default:
      return nullptr;
  }
}

UpperHalf buildTable(const char* charset) {
  UpperHalf table{};
  iconv_t cd = iconv_open("UTF-32LE", charset);
  if (cd == reinterpret_cast<iconv_t>(-1)) return table;
  for (int b = 0x80; b <= 0xFF; ++b) {
    char in = static_cast<char>(b);
    unsigned char out[4] = {};
    char* inp = &in;
    char* outp = reinterpret_cast<char*>(out);
    std::size_t inLeft = 1, outLeft = sizeof out;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset the shift state
    if (iconv(cd, &inp, &inLeft, &outp, &outLeft) != static_cast<std::size_t>(-1) && outLeft == 0)
      table[b - 0x80] = static_cast<char32_t>(out[0] | out[1] << 8 | out[2] << 16 | out[3] << 24);
  }
  iconv_close(cd);
  return table;
}

// nullptr for an unknown code page.
const UpperHalf* tableFor(std::uint8_t codePage) {
  static std::array<UpperHalf, 256> tables;
  static std::array<std::once_flag, 256> built;
  const char* charset = charsetOf(codePage);
  if (charset == nullptr) return nullptr;
  std::call_once(built[codePage], [&] { tables[codePage] = buildTable(charset); });
  return &tables[codePage];
}

void appendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | cp >> 12);
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | cp >> 18);
    out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The text without its padding: spaces, NULs and 0xFF (unwritten card memory) at the end, and
// with `leading`, spaces and NULs at the start too (names, as the public decoders trim them: some
// equipment writes them right-aligned). Identifiers (IA5: card numbers, VINs) keep their start:
// they are keys of the download log and the driver registry.
ByteView unpadded(ByteView bytes, bool leading) {
  std::size_t from = 0, n = bytes.size();
  while (n > 0 && (bytes[n - 1] == ' ' || bytes[n - 1] == 0x00 || bytes[n - 1] == 0xFF)) --n;
  while (leading && from < n && (bytes[from] == ' ' || bytes[from] == 0x00)) ++from;
  return bytes.subspan(from, n - from);
}

}  // namespace

std::string decodeCodePage(std::uint8_t codePage, ByteView bytes, bool* ok) {
  const UpperHalf* table = tableFor(codePage);
  std::string out;
  const ByteView text = unpadded(bytes, true);
  out.reserve(text.size());
  for (const std::uint8_t b : text) {
    char32_t cp = b;
    if (b < 0x20 || b == 0x7F) {
      cp = kReplacement;  // control characters are never text in a tachograph name
    } else if (b >= 0x80 && table == nullptr) {
      // A code page the regulation does not list (0, 0xFF...): read as ISO-8859-1, the most
      // likely intent, and reported.
      cp = b >= 0xA0 ? b : kReplacement;
      if (ok != nullptr) *ok = false;
    } else if (b >= 0x80) {
      cp = (*table)[b - 0x80];
      if (cp == 0) cp = kReplacement;
    }
    if (cp == kReplacement && ok != nullptr) *ok = false;
    appendUtf8(out, cp);
  }
  return out;
}

std::string decodeIa5(ByteView bytes, bool* ok) {
  std::string out;
  const ByteView text = unpadded(bytes, false);
  out.reserve(text.size());
  for (const std::uint8_t b : text) {
    if (b < 0x20 || b > 0x7E) {
      out += '?';
      if (ok != nullptr) *ok = false;
    } else {
      out += static_cast<char>(b);
    }
  }
  return out;
}

const char* nationAlpha(std::uint8_t code) {
  // Index = NationNumeric 0x00..0x38; 0xFD-0xFF below.
  static constexpr const char* kNations[] = {
      "",   "A",  "AL", "AND", "ARM", "AZ",  "B",   "BG",  "BIH", "BY", "CH",  "CY",
      "CZ", "D",  "DK", "E",   "EST", "F",   "FIN", "FL",  "FR",  "UK", "GE",  "GR",
      "H",  "HR", "I",  "IRL", "IS",  "KZ",  "L",   "LT",  "LV",  "M",  "MC",  "MD",
      "MK", "N",  "NL", "P",   "PL",  "RO",  "RSM", "RUS", "S",   "SK", "SLO", "TM",
      "TR", "UA", "V",  "YU",  "MNE", "SRB", "UZ",  "TJ",  "KG"};
  if (code < std::size(kNations)) return kNations[code];
  switch (code) {
    case 0xFD:
      return "EC";
    case 0xFE:
      return "EUR";
    case 0xFF:
      return "WLD";
    default:
      return "";
  }
}

char32_t nextUtf8CodePoint(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const int extra = b0 < 0x80         ? 0
                    : (b0 >> 5) == 6  ? 1
                    : (b0 >> 4) == 14 ? 2
                    : (b0 >> 3) == 30 ? 3
                                      : -1;
  if (extra < 0 || i + extra >= s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = extra == 0 ? b0 : b0 & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = cp << 6 | (b & 0x3F);
  }
  i += 1 + extra;
  return cp;
}

std::optional<std::uint32_t> timeRealValue(std::uint32_t raw) {
  if (raw == 0 || raw == 0xFFFFFFFFu) return std::nullopt;
  return raw;
}

}  // namespace dcgw::codecs::ddd
