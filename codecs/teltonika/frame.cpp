// Teltonika TCP framing, login, CRC and the server's replies; offsets in errors are within the
// frame (or the login) that begins at the front of the buffer.
#include "codecs/teltonika/frame.hpp"

#include <cstdio>

namespace dcgw::codecs::teltonika {
namespace {

std::uint32_t readU32(ByteView b, std::size_t at) {
  return std::uint32_t{b[at]} << 24 | std::uint32_t{b[at + 1]} << 16 |
         std::uint32_t{b[at + 2]} << 8 | std::uint32_t{b[at + 3]};
}

std::string hex(std::uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*X", digits, v);
  return buf;
}

FrameScan bad(FrameProblem p, std::size_t frameBytes, Error e) {
  FrameScan s;
  s.scan = Scan::Bad;
  s.problem = p;
  s.frameBytes = frameBytes;
  s.error = std::move(e);
  return s;
}

}  // namespace

std::uint16_t crc16(ByteView data, std::uint16_t previous) {
  std::uint16_t crc = previous;
  for (std::uint8_t b : data) {
    crc ^= b;
    for (int i = 0; i < 8; ++i)
      crc = (crc & 1) ? static_cast<std::uint16_t>(crc >> 1 ^ 0xA001)
                      : static_cast<std::uint16_t>(crc >> 1);
  }
  return crc;
}

LoginScan tryLogin(ByteView buffer) {
  LoginScan s;
  auto fail = [&](std::string field, std::size_t at, std::string expected) {
    s.scan = Scan::Bad;
    s.error = makeError(std::move(field), at, std::move(expected));
    return s;
  };
  if (!buffer.empty() && buffer[0] != 0)
    return fail("IMEI length", 0, "15 (00 0F), not a first byte " + hex(buffer[0], 2));
  if (buffer.size() >= 2) {
    const unsigned len = unsigned{buffer[0]} << 8 | buffer[1];
    if (len == 0)
      return fail("IMEI length", 0,
                  "15 (00 0F), not 0: 00 00 begins an AVL frame, sent before the login");
    if (len != kImeiDigits) return fail("IMEI length", 0, "15 (00 0F), not " + std::to_string(len));
  }
  const std::size_t have = buffer.size() < kLoginBytes ? buffer.size() : kLoginBytes;
  for (std::size_t i = 2; i < have; ++i)
    if (buffer[i] < '0' || buffer[i] > '9')
      return fail("IMEI", i,
                  "15 ASCII digits, not the byte " + hex(buffer[i], 2) + " at digit " +
                      std::to_string(i - 1));
  if (buffer.size() < kLoginBytes) return s;
  s.scan = Scan::Frame;
  s.bytes = kLoginBytes;
  s.imei.assign(buffer.begin() + 2, buffer.begin() + kLoginBytes);
  return s;
}

const char* problemName(FrameProblem p) {
  switch (p) {
    case FrameProblem::None:
      return "none";
    case FrameProblem::Preamble:
      return "preamble";
    case FrameProblem::Length:
      return "length";
    case FrameProblem::Crc:
      return "crc";
    case FrameProblem::Content:
      return "content";
    case FrameProblem::UnknownCodec:
      return "unknown codec";
  }
  return "unknown";
}

Result<CommandMessage> decodeCommand(ByteView data, std::size_t base) {
  ByteReader r(data);
  CommandMessage m;
  std::uint32_t size = 0;
  if (!r.readU8(m.codec) || !r.readU8(m.quantity1) || !r.readU8(m.type) || !r.readU32BE(size))
    return makeError("command header", base + r.position(),
                     "codec id, quantity, type and a 4-byte size (7 bytes)");
  if (m.codec != kCodec12 && m.codec != kCodec13)
    return makeError("codec id", base, "0x0C or 0x0D, not " + hex(m.codec, 2));
  std::size_t payload = size;
  if (m.codec == kCodec13) {
    // The wiki: "Command size field includes size of timestamp too".
    std::uint32_t ts = 0;
    if (size < 4) return makeError("command size", base + 3, "at least 4 (the timestamp)");
    if (!r.readU32BE(ts)) return makeError("timestamp", base + r.position(), "4 bytes");
    m.timestamp = ts;
    payload = size - 4;
  }
  if (r.remaining() < 1 || payload > r.remaining() - 1)
    return makeError("command size", base + 3,
                     std::to_string(size) + " bytes of command and the quantity after it, but " +
                         std::to_string(r.remaining()) + " bytes remain in the data field");
  ByteView p;
  r.readBytes(payload, p);
  m.payload.assign(p.begin(), p.end());
  r.readU8(m.quantity2);
  if (r.remaining() != 0)
    return makeError("quantity 2", base + r.position() - 1,
                     "the end of the data field, but " + std::to_string(r.remaining()) +
                         " trailing bytes follow");
  return m;
}

FrameScan tryFrame(ByteView buffer, std::size_t maxDataBytes) {
  FrameScan s;
  if (buffer.empty()) return s;
  if (buffer[0] == kPing) {
    s.scan = Scan::Ping;
    s.frameBytes = 1;
    return s;
  }
  const std::size_t pre = buffer.size() < 4 ? buffer.size() : 4;
  for (std::size_t i = 0; i < pre; ++i)
    if (buffer[i] != 0)
      return bad(FrameProblem::Preamble, 0,
                 makeError("preamble", 0,
                           "four zero bytes (or a lone FF ping), not " + hex(buffer[i], 2) +
                               " at offset " + std::to_string(i)));
  if (buffer.size() < 8) return s;
  const std::uint32_t length = readU32(buffer, 4);
  if (length < 3 || length > maxDataBytes)
    return bad(FrameProblem::Length, 0,
               makeError("data field length", 4,
                         "3 to " + std::to_string(maxDataBytes) + " bytes, not " +
                             std::to_string(length)));
  const std::size_t total = kFrameOverheadBytes + length;
  if (buffer.size() < total) return s;
  const ByteView data = buffer.subspan(8, length);
  const std::uint32_t crcField = readU32(buffer, 8 + length);
  const std::uint16_t computed = crc16(data);
  if (crcField != computed)
    return bad(
        FrameProblem::Crc, total,
        makeError("CRC", 8 + length,
                  hex(computed, 8) + " (CRC-16/IBM of the data field), not " + hex(crcField, 8)));
  const std::uint8_t codec = data[0];
  if (isAvlCodec(codec)) {
    auto avl = decodeAvlData(data, 8);
    if (!avl) {
      auto b = bad(FrameProblem::Content, total, avl.error());
      b.codec = codec;
      return b;
    }
    s.avl = std::move(*avl);
  } else if (codec == kCodec12 || codec == kCodec13) {
    auto cmd = decodeCommand(data, 8);
    if (!cmd) {
      auto b = bad(FrameProblem::Content, total, cmd.error());
      b.codec = codec;
      return b;
    }
    s.command = std::move(*cmd);
  } else {
    auto b = bad(FrameProblem::UnknownCodec, total,
                 makeError("codec id", 8, "0x08, 0x8E, 0x10, 0x0C or 0x0D, not " + hex(codec, 2)));
    b.codec = codec;
    return b;
  }
  s.scan = Scan::Frame;
  s.frameBytes = total;
  s.codec = codec;
  s.data = data;
  s.crc = static_cast<std::uint16_t>(crcField);
  return s;
}

void appendLoginReply(Bytes& out, bool accept) {
  out.push_back(accept ? kLoginAccept : kLoginRefuse);
}

void appendRecordAck(Bytes& out, std::uint32_t records) {
  ByteWriter(out).writeU32BE(records);
}

Bytes wrapFrame(ByteView data) {
  Bytes out;
  ByteWriter w(out);
  w.writeU32BE(0);
  w.writeU32BE(static_cast<std::uint32_t>(data.size()));
  w.writeBytes(data);
  w.writeU32BE(crc16(data));
  return out;
}

Bytes encodeCommandFrame(const CommandMessage& m) {
  Bytes data;
  ByteWriter w(data);
  w.writeU8(m.codec);
  w.writeU8(m.quantity1);
  w.writeU8(m.type);
  const std::size_t extra = m.timestamp ? 4 : 0;
  w.writeU32BE(static_cast<std::uint32_t>(m.payload.size() + extra));
  if (m.timestamp) w.writeU32BE(*m.timestamp);
  w.writeBytes(m.payload);
  w.writeU8(m.quantity2);
  return wrapFrame(data);
}

Bytes encodeCommand(std::string_view text) {
  CommandMessage m;
  m.codec = kCodec12;
  m.type = kCommandType;
  m.payload.assign(text.begin(), text.end());
  return encodeCommandFrame(m);
}

Bytes encodeLogin(std::string_view imei) {
  Bytes out;
  ByteWriter(out).writeU16BE(static_cast<std::uint16_t>(imei.size()));
  out.insert(out.end(), imei.begin(), imei.end());
  return out;
}

}  // namespace dcgw::codecs::teltonika
