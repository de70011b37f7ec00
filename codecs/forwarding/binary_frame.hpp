// Seed 004 section 3.4: the binary-mode forwarding frame (0x55 0xD7) and its replies
// (positive 0x55 0xA0, negative 0x55 0xAE). Framing is kept apart from decoding: a decoder
// reports "need more bytes" without consuming anything until a whole frame is present.
#pragma once

#include <cstdint>
#include <string>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"

namespace dcgw::codecs {

inline constexpr std::uint8_t kBinaryHeader = 0x55;
inline constexpr std::uint8_t kBinaryDataId = 0xD7;
inline constexpr std::uint8_t kBinaryAckId = 0xA0;
inline constexpr std::uint8_t kBinaryNakId = 0xAE;
inline constexpr std::size_t kBinarySerialSize = 8;
inline constexpr std::size_t kBinaryRegistrationSize = 13;
inline constexpr std::size_t kBinaryMaxPayload = 255;
inline constexpr std::size_t kBinaryMaxCustomTags = 255;
// Header, identifier, 2 length bytes, serial, registration, 2 length bytes, checksum.
inline constexpr std::size_t kBinaryMinFrame = 4 + 8 + 13 + 2 + 1;
inline constexpr std::size_t kBinaryMaxFrame = kBinaryMinFrame + 255 + 255;

struct BinaryDataFrame {
  std::string deviceSerialNumber;         // at most 8 characters, 7-bit ASCII
  std::string vehicleRegistrationNumber;  // at most 13 characters, 7-bit ASCII
  Bytes payload;                          // at most 255 bytes
  std::string customTags;                 // at most 255 characters, 7-bit ASCII
};

struct BinaryReply {
  bool positive{true};
  std::uint16_t errorCode{0};  // negative replies only
  std::string errorMessage;    // negative replies only
};

// The 8-bit sum of all bytes, modulo 256.
std::uint8_t binaryChecksum(ByteView bytes);

// Fails (naming the section) when a text is too long or not 7-bit ASCII, or the payload or the
// custom tags exceed 255 bytes: such a packet can never be carried in binary mode.
Result<Bytes> encodeBinaryDataFrame(const BinaryDataFrame& frame);
Bytes encodeBinaryPositiveReply();
// REQUIRES: message is 7-bit ASCII (other bytes are replaced by '?') and fits the frame.
Bytes encodeBinaryNegativeReply(std::uint16_t code, std::string_view message);

// Outcome of looking at the front of a receive buffer.
template <class T>
struct FrameDecode {
  bool complete{false};  // false: not a whole frame yet, nothing consumed
  std::size_t consumed{0};
  T frame{};
};

// Errors are framing errors (bad header/identifier, a length out of range, the inner lengths
// inconsistent with the overall length, a checksum mismatch, non-ASCII text); after one the
// stream cannot be resynchronised and the connection should be closed.
Result<FrameDecode<BinaryDataFrame>> decodeBinaryDataFrame(ByteView buffer);
Result<FrameDecode<BinaryReply>> decodeBinaryReply(ByteView buffer);

}  // namespace dcgw::codecs
