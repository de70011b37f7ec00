// The body fields every frame codec on the uplink's framing shares (the uplink's own frames,
// its card frames, the card bridges' frames): strings of a one-byte length and printable ASCII,
// bodies of an exact size, and texts that take the rest of a body.
#pragma once

#include <cstdint>
#include <string>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"

namespace dcgw::codecs::uplink::fields {

inline ByteView view(const std::string& s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// A one-byte length (lo to hi) and that many printable 7-bit ASCII bytes (spaces only when
// `spaces`). `why` says what was expected when it is not one.
inline bool readString(ByteReader& r, std::size_t lo, std::size_t hi, std::string& out,
                       std::string& why, bool spaces = true) {
  std::uint8_t n = 0;
  if (!r.readU8(n)) {
    why = "a length byte";
    return false;
  }
  if (n < lo || n > hi) {
    why = (lo == 0 ? "at most " + std::to_string(hi)
                   : std::to_string(lo) + " to " + std::to_string(hi)) +
          " characters, not " + std::to_string(n);
    return false;
  }
  ByteView b;
  if (!r.readBytes(n, b)) {
    why = std::to_string(n) + " characters after the length byte";
    return false;
  }
  out.assign(b.begin(), b.end());
  for (unsigned char c : out)
    if (c < (spaces ? 0x20 : 0x21) || c > 0x7E) {
      why = spaces ? "printable 7-bit ASCII characters"
                   : "printable 7-bit ASCII characters without spaces";
      return false;
    }
  return true;
}

inline void writeString(ByteWriter& w, const std::string& s) {
  w.writeU8(static_cast<std::uint8_t>(s.size()));
  w.writeBytes(view(s));
}

inline Error exactSize(const char* kind, std::size_t expected, std::size_t got) {
  return makeError(
      kind, 0,
      "a body of exactly " + std::to_string(expected) + " bytes, not " + std::to_string(got));
}

// The rest of a body as text.
inline std::string restText(ByteReader& r) {
  ByteView t = r.rest();
  return std::string(t.begin(), t.end());
}

}  // namespace dcgw::codecs::uplink::fields
