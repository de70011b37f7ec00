// Binary-mode frames: both length fields big-endian, checksum = sum of prior bytes mod 256.
#include "codecs/forwarding/binary_frame.hpp"

namespace dcgw::codecs {
namespace {

bool isAscii7(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) > 0x7F) return false;
  return true;
}

bool isAscii7(ByteView b) {
  for (std::uint8_t c : b)
    if (c > 0x7F) return false;
  return true;
}

void writePadded(ByteWriter& w, std::string_view s, std::size_t size) {
  w.writeBytes({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  w.writeBytes(Bytes(size - s.size(), ' '));
}

std::string trimmedText(ByteView b) {
  std::string s(b.begin(), b.end());
  std::size_t e = s.size();
  while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\0')) --e;
  s.resize(e);
  return s;
}

}  // namespace

std::uint8_t binaryChecksum(ByteView bytes) {
  unsigned sum = 0;
  for (std::uint8_t b : bytes) sum += b;
  return static_cast<std::uint8_t>(sum & 0xFF);
}

Result<Bytes> encodeBinaryDataFrame(const BinaryDataFrame& f) {
  if (f.deviceSerialNumber.size() > kBinarySerialSize || !isAscii7(f.deviceSerialNumber))
    return makeError("deviceSerialNumber", 4, "at most 8 characters of 7-bit ASCII");
  if (f.vehicleRegistrationNumber.size() > kBinaryRegistrationSize ||
      !isAscii7(f.vehicleRegistrationNumber))
    return makeError("vehicleRegistrationNumber", 12, "at most 13 characters of 7-bit ASCII");
  if (f.payload.size() > kBinaryMaxPayload)
    return makeError("payload", 26,
                     "at most 255 bytes (the packet has " + std::to_string(f.payload.size()) + ")");
  if (f.customTags.size() > kBinaryMaxCustomTags || !isAscii7(f.customTags))
    return makeError("customTags", 26 + f.payload.size(), "at most 255 characters of 7-bit ASCII");
  Bytes out;
  out.reserve(kBinaryMinFrame + f.payload.size() + f.customTags.size());
  ByteWriter w(out);
  w.writeU8(kBinaryHeader);
  w.writeU8(kBinaryDataId);
  w.writeU16BE(static_cast<std::uint16_t>(kBinarySerialSize + kBinaryRegistrationSize + 1 +
                                          f.payload.size() + 1 + f.customTags.size()));
  writePadded(w, f.deviceSerialNumber, kBinarySerialSize);
  writePadded(w, f.vehicleRegistrationNumber, kBinaryRegistrationSize);
  w.writeU8(static_cast<std::uint8_t>(f.payload.size()));
  w.writeBytes(f.payload);
  w.writeU8(static_cast<std::uint8_t>(f.customTags.size()));
  w.writeBytes({reinterpret_cast<const std::uint8_t*>(f.customTags.data()), f.customTags.size()});
  w.writeU8(binaryChecksum(out));
  return out;
}

Bytes encodeBinaryPositiveReply() {
  return {kBinaryHeader, kBinaryAckId, 0x00, 0x00, 0xF5};
}

Bytes encodeBinaryNegativeReply(std::uint16_t code, std::string_view message) {
  std::string m(message.substr(0, 0xFFFF - 2));
  for (char& c : m)
    if (static_cast<unsigned char>(c) > 0x7F) c = '?';
  Bytes out;
  ByteWriter w(out);
  w.writeU8(kBinaryHeader);
  w.writeU8(kBinaryNakId);
  w.writeU16BE(static_cast<std::uint16_t>(2 + m.size()));
  w.writeU16BE(code);
  w.writeBytes({reinterpret_cast<const std::uint8_t*>(m.data()), m.size()});
  w.writeU8(binaryChecksum(out));
  return out;
}

Result<FrameDecode<BinaryDataFrame>> decodeBinaryDataFrame(ByteView buf) {
  FrameDecode<BinaryDataFrame> r;
  if (buf.size() >= 1 && buf[0] != kBinaryHeader)
    return makeError("header", 0, "0x55, got 0x" + toHex(buf.subspan(0, 1)));
  if (buf.size() >= 2 && buf[1] != kBinaryDataId)
    return makeError("identifier", 1, "0xD7, got 0x" + toHex(buf.subspan(1, 1)));
  if (buf.size() < 4) return r;
  const std::size_t length = std::size_t{buf[2]} << 8 | buf[3];
  if (length < kBinaryMinFrame - 5 || length > kBinaryMaxFrame - 5)
    return makeError("length", 2,
                     "23 to 533 (serial, registration, two lengths and their contents), got " +
                         std::to_string(length));
  if (buf.size() < length + 5) return r;
  ByteReader rd(buf.subspan(0, length + 5));
  rd.skip(4);
  ByteView serial, reg, payload, tags;
  std::uint8_t payloadLength = 0, tagsLength = 0;
  rd.readBytes(kBinarySerialSize, serial);
  rd.readBytes(kBinaryRegistrationSize, reg);
  rd.readU8(payloadLength);
  if (23u + payloadLength > length || !rd.readBytes(payloadLength, payload))
    return makeError("payloadLength", 25,
                     "a length that fits the overall length " + std::to_string(length) + ", got " +
                         std::to_string(payloadLength));
  if (!rd.readU8(tagsLength) || !rd.readBytes(tagsLength, tags) || rd.remaining() != 1)
    return makeError("customTagsLength", 26 + payloadLength,
                     "serial 8 + registration 13 + 1 + payload " + std::to_string(payloadLength) +
                         " + 1 + custom tags = overall length " + std::to_string(length));
  std::uint8_t checksum = 0;
  rd.readU8(checksum);
  std::uint8_t expected = binaryChecksum(buf.subspan(0, length + 4));
  if (checksum != expected)
    return makeError(
        "checksum", length + 4,
        "0x" + toHex(ByteView{&expected, 1}) + ", got 0x" + toHex(ByteView{&checksum, 1}));
  if (!isAscii7(serial)) return makeError("deviceSerialNumber", 4, "7-bit ASCII");
  if (!isAscii7(reg)) return makeError("vehicleRegistrationNumber", 12, "7-bit ASCII");
  if (!isAscii7(tags)) return makeError("customTags", 27u + payloadLength, "7-bit ASCII");
  r.complete = true;
  r.consumed = length + 5;
  r.frame.deviceSerialNumber = trimmedText(serial);
  r.frame.vehicleRegistrationNumber = trimmedText(reg);
  r.frame.payload.assign(payload.begin(), payload.end());
  r.frame.customTags.assign(tags.begin(), tags.end());
  return r;
}

Result<FrameDecode<BinaryReply>> decodeBinaryReply(ByteView buf) {
  FrameDecode<BinaryReply> r;
  if (buf.size() >= 1 && buf[0] != kBinaryHeader)
    return makeError("header", 0, "0x55, got 0x" + toHex(buf.subspan(0, 1)));
  if (buf.size() >= 2 && buf[1] != kBinaryAckId && buf[1] != kBinaryNakId)
    return makeError("identifier", 1, "0xA0 or 0xAE, got 0x" + toHex(buf.subspan(1, 1)));
  if (buf.size() < 4) return r;
  const bool positive = buf[1] == kBinaryAckId;
  const std::size_t length = std::size_t{buf[2]} << 8 | buf[3];
  if (positive && length != 0)
    return makeError("length", 2, "0 for a positive reply, got " + std::to_string(length));
  if (!positive && length < 2)
    return makeError(
        "length", 2,
        "at least 2 (the error code) for a negative reply, got " + std::to_string(length));
  if (buf.size() < length + 5) return r;
  std::uint8_t expected = binaryChecksum(buf.subspan(0, length + 4));
  if (buf[length + 4] != expected)
    return makeError(
        "checksum", length + 4,
        "0x" + toHex(ByteView{&expected, 1}) + ", got 0x" + toHex(buf.subspan(length + 4, 1)));
  r.complete = true;
  r.consumed = length + 5;
  r.frame.positive = positive;
  if (!positive) {
    r.frame.errorCode = static_cast<std::uint16_t>(buf[4] << 8 | buf[5]);
    ByteView msg = buf.subspan(6, length - 2);
    if (!isAscii7(msg)) return makeError("errorMessage", 6, "7-bit ASCII");
    r.frame.errorMessage.assign(msg.begin(), msg.end());
  }
  return r;
}

}  // namespace dcgw::codecs
