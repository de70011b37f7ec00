// Hex and base64 conversions for packet payloads (base64 by OpenSSL).
#include "codecs/bytes.hpp"

#include <openssl/evp.h>

#include <algorithm>
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

// base64 is OpenSSL's (EVP_EncodeBlock / EVP_DecodeBlock, RFC 4648 standard alphabet). Decoding
// first checks the text by our rules, which OpenSSL's do not match (it strips leading blanks
// and trailing '-' or control characters, wants whole quanta with no blank inside, and
// counts padding in its length), then hands OpenSSL whole, padded quanta only.

std::string toBase64(ByteView b) {
  std::string s;
  s.resize((b.size() + 2) / 3 * 4 + 1);  // EVP_EncodeBlock writes a trailing NUL
  auto* out = reinterpret_cast<unsigned char*>(s.data());
  constexpr std::size_t kChunk = std::size_t{3} << 20;  // whole quanta, well inside an int
  std::size_t written = 0;
  for (std::size_t i = 0; i < b.size(); i += kChunk) {
    const std::size_t n = std::min(kChunk, b.size() - i);
    written +=
        static_cast<std::size_t>(EVP_EncodeBlock(out + written, b.data() + i, static_cast<int>(n)));
  }
  s.resize(written);
  return s;
}

namespace {

// Whole, padded quanta of alphabet characters only -> bytes, `chars` of them significant.
bool decodeQuanta(std::string_view quanta, std::size_t chars, Bytes& out) {
  out.resize(quanta.size() / 4 * 3);
  constexpr std::size_t kChunk = std::size_t{4} << 20;
  for (std::size_t i = 0; i < quanta.size(); i += kChunk) {
    const std::size_t n = std::min(kChunk, quanta.size() - i);
    if (EVP_DecodeBlock(out.data() + i / 4 * 3,
                        reinterpret_cast<const unsigned char*>(quanta.data() + i),
                        static_cast<int>(n)) < 0) {
      out.clear();
      return false;  // not reached: the text was checked first
    }
  }
  out.resize(chars * 6 / 8);  // EVP_DecodeBlock counts the padding as zero bytes
  return true;
}

}  // namespace

bool fromBase64(std::string_view text, Bytes& out, std::size_t* badIndex) {
  out.clear();
  // Our rules: blanks anywhere are ignored; '=' ends the alphabet characters (more '=' and
  // blanks may follow); one character left over is 6 bits, no whole byte.
  std::size_t chars = 0, pads = 0;
  bool blanks = false, padding = false;
  std::size_t i = 0;
  while (i < text.size() && kB64Table[static_cast<unsigned char>(text[i])] >= 0) ++i;
  chars = i;  // the usual text: alphabet characters up to the padding
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (isSpace(c)) {
      blanks = true;
    } else if (c == '=') {
      padding = true;
      ++pads;
    } else if (padding || kB64Table[static_cast<unsigned char>(c)] < 0) {
      if (badIndex) *badIndex = i;
      return false;
    } else {
      ++chars;
    }
  }
  if (chars % 4 == 1) {
    if (badIndex) *badIndex = text.size();
    return false;
  }
  const std::size_t pad = (4 - chars % 4) % 4;
  bool ok;
  if (!blanks && pads == pad) {
    ok = decodeQuanta(text, chars, out);  // canonical text, the usual case: as it stands
  } else {
    std::string quanta;
    quanta.reserve(chars + pad);
    for (char c : text)
      if (!isSpace(c) && c != '=') quanta.push_back(c);
    quanta.append(pad, '=');
    ok = decodeQuanta(quanta, chars, out);
  }
  if (!ok && badIndex) *badIndex = text.size();
  return ok;
}

}  // namespace dcgw::codecs
