// Byte helpers the AVL deriver builds its packets with: fixed-size packets written field by
// field at the seed 004 offsets, big-endian except where a section says little-endian (0x46).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

#include "codecs/bytes.hpp"

namespace dcgw::derive::avl {

class Out {
 public:
  Out(std::uint8_t type, std::uint8_t second, std::size_t length) : b_(length, 0) {
    b_[0] = type;
    b_[1] = second;
  }
  Out& u8(std::size_t off, std::uint32_t v) { return put(off, v, 1, false); }
  Out& be(std::size_t off, std::uint32_t v, std::size_t n) { return put(off, v, n, false); }
  Out& le(std::size_t off, std::uint32_t v, std::size_t n) { return put(off, v, n, true); }
  // A little-endian value, or all bits set (NULL) when absent.
  Out& leOr(std::size_t off, std::optional<std::uint32_t> v, std::size_t n) {
    return put(off, v ? *v : 0xFFFFFFFFu, n, true);
  }
  // Text padded with spaces to `size`.
  Out& text(std::size_t off, std::string_view s, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i)
      b_[off + i] = i < s.size() ? static_cast<std::uint8_t>(s[i]) : ' ';
    return *this;
  }
  codecs::Bytes take() { return std::move(b_); }

 private:
  Out& put(std::size_t off, std::uint32_t v, std::size_t n, bool little) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t shift = 8 * (little ? i : n - 1 - i);
      b_[off + i] = static_cast<std::uint8_t>(shift < 32 ? v >> shift : 0);
    }
    return *this;
  }
  codecs::Bytes b_;
};

// The largest value of an n-byte field that is not NULL (all bits set).
constexpr std::uint32_t maxValue(std::size_t n) {
  return n >= 4 ? 0xFFFFFFFEu : (1u << (8 * n)) - 2;
}
// A value clamped into an n-byte field, never reaching its NULL pattern.
inline std::optional<std::uint32_t> fit(std::optional<std::uint64_t> v, std::size_t n) {
  if (!v) return std::nullopt;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(*v, maxValue(n)));
}

// a / b rounded half away from zero (b > 0).
constexpr std::int64_t divRound(std::int64_t a, std::int64_t b) {
  return a >= 0 ? (a + b / 2) / b : -((-a + b / 2) / b);
}

}  // namespace dcgw::derive::avl
