// Test helper: builds packet bytes by hand, field by field at the seed's offsets, independently
// of the codec tables, and reads decoded JSON back.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "codecs/json.hpp"
#include "codecs/packets/packet.hpp"

namespace dcgw::testing {

class Vec {
 public:
  Vec(std::uint8_t type, std::uint8_t second, std::size_t length) : b_(length, 0) {
    b_[0] = type;
    b_[1] = second;
  }
  Vec& u8(std::size_t off, std::uint32_t v) { return put(off, {v}); }
  Vec& u16be(std::size_t off, std::uint32_t v) { return put(off, {v >> 8, v}); }
  Vec& u32be(std::size_t off, std::uint32_t v) { return put(off, {v >> 24, v >> 16, v >> 8, v}); }
  Vec& u16le(std::size_t off, std::uint32_t v) { return put(off, {v, v >> 8}); }
  Vec& u24le(std::size_t off, std::uint32_t v) { return put(off, {v, v >> 8, v >> 16}); }
  Vec& u32le(std::size_t off, std::uint32_t v) { return put(off, {v, v >> 8, v >> 16, v >> 24}); }
  Vec& i16be(std::size_t off, std::int32_t v) { return u16be(off, static_cast<std::uint32_t>(v)); }
  Vec& i32be(std::size_t off, std::int32_t v) { return u32be(off, static_cast<std::uint32_t>(v)); }
  // 7-bit text, space padded to size.
  Vec& ascii(std::size_t off, std::string_view s, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i)
      at(off + i) = i < s.size() ? static_cast<std::uint8_t>(s[i]) : ' ';
    return *this;
  }
  // "Unicode": UTF-16LE from a BMP-only u16 string, 0x0000 padded to size bytes.
  Vec& utf16(std::size_t off, std::u16string_view s, std::size_t size) {
    for (std::size_t i = 0; i < size / 2; ++i) {
      char16_t c = i < s.size() ? s[i] : 0;
      at(off + 2 * i) = static_cast<std::uint8_t>(c);
      at(off + 2 * i + 1) = static_cast<std::uint8_t>(c >> 8);
    }
    return *this;
  }
  Vec& raw(std::size_t off, std::initializer_list<std::uint8_t> bytes) {
    for (auto x : bytes) at(off++) = x;
    return *this;
  }
  const codecs::Bytes& bytes() const { return b_; }

 private:
  std::uint8_t& at(std::size_t i) {
    if (i >= b_.size()) b_.resize(i + 1, 0);
    return b_[i];
  }
  Vec& put(std::size_t off, std::initializer_list<std::uint32_t> v) {
    for (auto x : v) at(off++) = static_cast<std::uint8_t>(x);
    return *this;
  }
  codecs::Bytes b_;
};

// Decodes and renders; fails the test (and returns a null value) if decoding fails.
inline codecs::JsonValue decodeToJson(const codecs::Bytes& b) {
  auto p = codecs::decodePacket(b);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message());
  if (!p.ok()) return {};
  auto j = codecs::parseJson(codecs::renderPacketJson(*p));
  EXPECT_TRUE(j.ok());
  return j.ok() ? *j : codecs::JsonValue{};
}

inline const codecs::JsonValue& member(const codecs::JsonValue& o, const char* key) {
  static const codecs::JsonValue kMissing = codecs::JsonValue::makeString("<missing>");
  const codecs::JsonValue* v = o.find(key);
  EXPECT_NE(v, nullptr) << "missing member " << key;
  return v ? *v : kMissing;
}

inline std::int64_t intOf(const codecs::JsonValue& o, const char* key) {
  const auto& v = member(o, key);
  EXPECT_TRUE(v.asExactInteger().has_value()) << key << " is not an integer";
  return v.asExactInteger().value_or(-999999);
}
inline double numOf(const codecs::JsonValue& o, const char* key) {
  return member(o, key).asDouble();
}
inline std::string strOf(const codecs::JsonValue& o, const char* key) {
  const auto& v = member(o, key);
  EXPECT_TRUE(v.isString()) << key << " is not a string";
  return v.isString() ? v.asString() : "";
}
inline bool isNull(const codecs::JsonValue& o, const char* key) {
  return member(o, key).isNull();
}

}  // namespace dcgw::testing
