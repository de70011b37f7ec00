// Test helper: which stored packets the gateway derived itself (schema/derived-packets.md): a
// Consolidated DDS right after the feed packet it was made from, a New Driver right before the
// Clocking packet whose names it carries. Tests of what a device sent leave those out.
#pragma once

#include <vector>

#include "codecs/bytes.hpp"
#include "codecs/packets/derived.hpp"

namespace dcgw::testing {

// One flag per packet, in stored order.
inline std::vector<bool> gatewayMade(const std::vector<codecs::Bytes>& stored) {
  std::vector<bool> made(stored.size(), false);
  for (std::size_t i = 0; i + 1 < stored.size(); ++i) {
    const codecs::Bytes& p = stored[i];
    const codecs::Bytes& next = stored[i + 1];
    if (!made[i] && codecs::isDdsFeed(p)) {
      auto dds = codecs::consolidatedDds(p);
      if (dds && *dds == next) made[i + 1] = true;
    }
    if (p.size() == 156 && p[0] == 0x44 && next.size() >= 194 && next[0] == 0x6B &&
        next[1] == 0x01 && std::equal(p.begin() + 2, p.begin() + 16, next.begin() + 6) &&
        std::equal(p.begin() + 16, p.end(), next.begin() + 54))
      made[i] = true;
  }
  return made;
}

}  // namespace dcgw::testing
