// Test helper: valid seed 004 packets for tests that need many distinct ones (uplink, admin API).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>

#include "codecs/bytes.hpp"
#include "codecs/packets/packet.hpp"

namespace dcgw::testing {

// A valid Positional update (seed 004 section 12.1) whose DateTime differs with n.
inline codecs::Bytes positionalUpdate(std::uint32_t n) {
  codecs::Bytes p;
  codecs::fromHex("4701", p);
  codecs::ByteWriter w(p);
  w.writeU32BE(1'780'000'000 + n);  // dateTime
  w.writeI32BE(51'500'000);         // latitude
  w.writeI32BE(-120'000);           // longitude
  w.writeI16BE(35);                 // altitude
  w.writeI16BE(500);                // speed
  w.writeI16BE(900);                // heading
  w.writeZeros(4);                  // gpsDateTime
  codecs::Packet decoded;
  EXPECT_TRUE(codecs::decodePacket(p, decoded).ok()) << codecs::toHex(p);
  return p;
}

}  // namespace dcgw::testing
