// Teltonika AVL data over UDP (schema/teltonika.md section 6): one datagram carries a channel
// header, the IMEI and the same AVL data field as TCP without a CRC; the server answers each.
#pragma once

#include <cstdint>
#include <string>

#include "codecs/bytes.hpp"
#include "codecs/result.hpp"
#include "codecs/teltonika/avl.hpp"

namespace dcgw::codecs::teltonika {

constexpr std::size_t kUdpHeaderBytes = 2 + 2 + 1 + 1 + 2;  // before the IMEI
constexpr std::size_t kUdpAckBytes = 7;

struct UdpDatagram {
  std::uint16_t packetId{0};     // channel packet id, echoed in the reply
  std::uint8_t notUsable{0x01};  // "packet type" in old revisions of the wiki; 01 as sent
  std::uint8_t avlPacketId{0};   // echoed in the reply
  std::string imei;              // 15 ASCII digits
  ByteView data;                 // codec id .. N2, a view into the datagram
  AvlData avl;
};

// length u16 (bytes after itself) | packet id u16 | 01 | AVL packet id u8 | IMEI length u16 |
// IMEI | codec id | N1 | records | N2. The length must match the datagram exactly, the IMEI
// must be 15 digits, the codec 8, 8 Extended or 16. Offsets in errors are within the datagram.
Result<UdpDatagram> decodeUdp(ByteView datagram);

// 00 05 | packet id | 01 | AVL packet id | number of records accepted.
Bytes encodeUdpAck(std::uint16_t packetId, std::uint8_t avlPacketId, std::uint8_t accepted);

// A datagram (the simulator and tests): the header for `imei` around an AVL data field.
Bytes encodeUdp(std::uint16_t packetId, std::uint8_t avlPacketId, const std::string& imei,
                ByteView data);

}  // namespace dcgw::codecs::teltonika
