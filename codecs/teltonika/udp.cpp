// Teltonika UDP datagrams and their acknowledgements.
#include "codecs/teltonika/udp.hpp"

#include "codecs/teltonika/frame.hpp"

namespace dcgw::codecs::teltonika {

Result<UdpDatagram> decodeUdp(ByteView datagram) {
  ByteReader r(datagram);
  UdpDatagram d;
  std::uint16_t length = 0;
  std::uint16_t imeiLength = 0;
  if (!r.readU16BE(length) || !r.readU16BE(d.packetId) || !r.readU8(d.notUsable) ||
      !r.readU8(d.avlPacketId) || !r.readU16BE(imeiLength))
    return makeError("UDP header", r.position(),
                     "length, packet id, 01, AVL packet id and IMEI length (8 bytes), but the "
                     "datagram holds " +
                         std::to_string(datagram.size()));
  if (length != datagram.size() - 2)
    return makeError("length", 0,
                     std::to_string(datagram.size() - 2) +
                         " (the bytes after the length field in this datagram), not " +
                         std::to_string(length));
  if (imeiLength != kImeiDigits)
    return makeError("IMEI length", 6, "15, not " + std::to_string(imeiLength));
  ByteView imei;
  if (!r.readBytes(kImeiDigits, imei))
    return makeError("IMEI", 8, "15 ASCII digits, but the datagram ends");
  for (std::size_t i = 0; i < imei.size(); ++i)
    if (imei[i] < '0' || imei[i] > '9')
      return makeError("IMEI", 8 + i,
                       "15 ASCII digits, not byte " + std::to_string(imei[i]) + " at digit " +
                           std::to_string(i + 1));
  d.imei.assign(imei.begin(), imei.end());
  d.data = r.rest();
  auto avl = decodeAvlData(d.data, r.position());
  if (!avl) return avl.error();
  d.avl = std::move(*avl);
  return d;
}

Bytes encodeUdpAck(std::uint16_t packetId, std::uint8_t avlPacketId, std::uint8_t accepted) {
  Bytes out;
  ByteWriter w(out);
  w.writeU16BE(kUdpAckBytes - 2);
  w.writeU16BE(packetId);
  w.writeU8(0x01);
  w.writeU8(avlPacketId);
  w.writeU8(accepted);
  return out;
}

Bytes encodeUdp(std::uint16_t packetId, std::uint8_t avlPacketId, const std::string& imei,
                ByteView data) {
  Bytes out;
  ByteWriter w(out);
  w.writeU16BE(static_cast<std::uint16_t>(kUdpHeaderBytes - 2 + imei.size() + data.size()));
  w.writeU16BE(packetId);
  w.writeU8(0x01);
  w.writeU8(avlPacketId);
  w.writeU16BE(static_cast<std::uint16_t>(imei.size()));
  out.insert(out.end(), imei.begin(), imei.end());
  w.writeBytes(data);
  return out;
}

}  // namespace dcgw::codecs::teltonika
