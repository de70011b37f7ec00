// Bounds-checked byte reader and writer; the byte order is part of every method name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dcgw::codecs {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Reads from a view it does not own. Every read checks the remaining length first and
// returns false (leaving the position unchanged) when the bytes are not there.
class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  std::size_t position() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }
  bool has(std::size_t n) const { return remaining() >= n; }
  bool seek(std::size_t pos) {
    if (pos > data_.size()) return false;
    pos_ = pos;
    return true;
  }
  bool skip(std::size_t n) {
    if (!has(n)) return false;
    pos_ += n;
    return true;
  }

  bool readU8(std::uint8_t& out) {
    if (!has(1)) return false;
    out = data_[pos_++];
    return true;
  }
  bool readU16BE(std::uint16_t& out) {
    if (!has(2)) return false;
    out = static_cast<std::uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool readU16LE(std::uint16_t& out) {
    if (!has(2)) return false;
    out = static_cast<std::uint16_t>(data_[pos_ + 1] << 8 | data_[pos_]);
    pos_ += 2;
    return true;
  }
  bool readU24LE(std::uint32_t& out) {
    if (!has(3)) return false;
    out = std::uint32_t{data_[pos_]} | std::uint32_t{data_[pos_ + 1]} << 8 |
          std::uint32_t{data_[pos_ + 2]} << 16;
    pos_ += 3;
    return true;
  }
  bool readU32BE(std::uint32_t& out) {
    if (!has(4)) return false;
    out = std::uint32_t{data_[pos_]} << 24 | std::uint32_t{data_[pos_ + 1]} << 16 |
          std::uint32_t{data_[pos_ + 2]} << 8 | std::uint32_t{data_[pos_ + 3]};
    pos_ += 4;
    return true;
  }
  bool readU32LE(std::uint32_t& out) {
    if (!has(4)) return false;
    out = std::uint32_t{data_[pos_ + 3]} << 24 | std::uint32_t{data_[pos_ + 2]} << 16 |
          std::uint32_t{data_[pos_ + 1]} << 8 | std::uint32_t{data_[pos_]};
    pos_ += 4;
    return true;
  }
  bool readI16BE(std::int16_t& out) {
    std::uint16_t u;
    if (!readU16BE(u)) return false;
    out = static_cast<std::int16_t>(u);
    return true;
  }
  bool readI32BE(std::int32_t& out) {
    std::uint32_t u;
    if (!readU32BE(u)) return false;
    out = static_cast<std::int32_t>(u);
    return true;
  }
  bool readBytes(std::size_t n, ByteView& out) {
    if (!has(n)) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  ByteView rest() const { return data_.subspan(pos_); }

 private:
  ByteView data_;
  std::size_t pos_{0};
};

// Appends to a byte vector it does not own.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}

  void writeU8(std::uint8_t v) { out_.push_back(v); }
  void writeU16BE(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  void writeU16LE(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v));
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
  }
  void writeU24LE(std::uint32_t v) {
    out_.push_back(static_cast<std::uint8_t>(v));
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v >> 16));
  }
  void writeU32BE(std::uint32_t v) {
    writeU16BE(static_cast<std::uint16_t>(v >> 16));
    writeU16BE(static_cast<std::uint16_t>(v));
  }
  void writeU32LE(std::uint32_t v) {
    writeU16LE(static_cast<std::uint16_t>(v));
    writeU16LE(static_cast<std::uint16_t>(v >> 16));
  }
  void writeI16BE(std::int16_t v) { writeU16BE(static_cast<std::uint16_t>(v)); }
  void writeI32BE(std::int32_t v) { writeU32BE(static_cast<std::uint32_t>(v)); }
  void writeBytes(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void writeZeros(std::size_t n) { out_.insert(out_.end(), n, 0); }
  std::size_t size() const { return out_.size(); }

 private:
  Bytes& out_;
};

// Hex and base64 text forms of packets, as carried by the forwarding formats.
std::string toHex(ByteView b, bool upper = false);
// Accepts upper or lower case and ignores ASCII whitespace; returns false on an odd count or
// a non-hex character (and sets badIndex to the index of the offending character).
bool fromHex(std::string_view text, Bytes& out, std::size_t* badIndex = nullptr);
// base64 (RFC 4648 standard alphabet, padded) by OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock.
std::string toBase64(ByteView b);
// Standard alphabet, padding required when the length is not a multiple of 4 is accepted either
// way (and any number of '=' after the last character); ASCII whitespace ignored anywhere.
// Returns false on any other character (badIndex: its index), on a character after '=', or on a
// truncated quantum (one character left over; badIndex: the text's size). These rules are ours,
// checked before OpenSSL decodes.
bool fromBase64(std::string_view text, Bytes& out, std::size_t* badIndex = nullptr);

}  // namespace dcgw::codecs
