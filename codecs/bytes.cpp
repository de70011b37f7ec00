// Hex and base64 conversions for packet payloads.
#include "codecs/bytes.hpp"

#include <array>

namespace dcgw::codecs {
namespace {

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> makeB64Table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kB64[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto kB64Table = makeB64Table();

}  // namespace

std::string toHex(ByteView b, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string s;
  s.resize(b.size() * 2);
  for (std::size_t i = 0; i < b.size(); ++i) {
    s[2 * i] = digits[b[i] >> 4];
    s[2 * i + 1] = digits[b[i] & 0x0F];
  }
  return s;
}

bool fromHex(std::string_view text, Bytes& out, std::size_t* badIndex) {
  out.clear();
  int high = -1;
  std::size_t highIndex = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (isSpace(c)) continue;
    int v = hexValue(c);
    if (v < 0) {
      if (badIndex) *badIndex = i;
      return false;
    }
    if (high < 0) {
      high = v;
      highIndex = i;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) {
    if (badIndex) *badIndex = highIndex;
    return false;
  }
  return true;
}

std::string toBase64(ByteView b) {
  std::string s;
  s.reserve((b.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    std::uint32_t v = std::uint32_t{b[i]} << 16 | std::uint32_t{b[i + 1]} << 8 | b[i + 2];
    s.push_back(kB64[v >> 18]);
    s.push_back(kB64[(v >> 12) & 63]);
    s.push_back(kB64[(v >> 6) & 63]);
    s.push_back(kB64[v & 63]);
  }
  if (std::size_t left = b.size() - i; left > 0) {
    std::uint32_t v = std::uint32_t{b[i]} << 16 | (left == 2 ? std::uint32_t{b[i + 1]} << 8 : 0);
    s.push_back(kB64[v >> 18]);
    s.push_back(kB64[(v >> 12) & 63]);
    s.push_back(left == 2 ? kB64[(v >> 6) & 63] : '=');
    s.push_back('=');
  }
  return s;
}

bool fromBase64(std::string_view text, Bytes& out, std::size_t* badIndex) {
  out.clear();
  std::uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (isSpace(c)) continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    int v = kB64Table[static_cast<unsigned char>(c)];
    if (v < 0 || padding) {
      if (badIndex) *badIndex = i;
      return false;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  // 6 leftover bits cannot come from whole bytes: a truncated quantum.
  if (bits >= 6) {
    if (badIndex) *badIndex = text.size();
    return false;
  }
  return true;
}

}  // namespace dcgw::codecs
