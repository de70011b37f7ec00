// Address ranges of trusted proxies.
#include "gateway/uplink/trusted_proxies.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace dcgw::uplink {

std::optional<AddressRange> parseAddressRange(const std::string& text) {
  AddressRange r;
  std::string addr = text;
  int prefix = -1;
  if (const auto slash = text.find('/'); slash != std::string::npos) {
    addr = text.substr(0, slash);
    const std::string p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    prefix = std::stoi(p);
  }
  if (inet_pton(AF_INET, addr.c_str(), r.bytes.data()) == 1) {
    r.family = AF_INET;
    if (prefix > 32) return std::nullopt;
    r.prefix = prefix < 0 ? 32 : prefix;
  } else if (inet_pton(AF_INET6, addr.c_str(), r.bytes.data()) == 1) {
    r.family = AF_INET6;
    if (prefix > 128) return std::nullopt;
    r.prefix = prefix < 0 ? 128 : prefix;
    // An IPv4-mapped entry (::ffff:a.b.c.d) is the IPv4 address, as peers are compared.
    static const std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::memcmp(r.bytes.data(), kMapped, 12) == 0 && r.prefix >= 96) {
      std::memmove(r.bytes.data(), r.bytes.data() + 12, 4);
      std::fill(r.bytes.begin() + 4, r.bytes.end(), 0);
      r.family = AF_INET;
      r.prefix -= 96;
    }
  } else {
    return std::nullopt;
  }
  return r;
}

bool inRanges(const std::vector<AddressRange>& ranges, const sockaddr_storage& peer) {
  int family = peer.ss_family;
  std::uint8_t bytes[16] = {};
  if (family == AF_INET) {
    std::memcpy(bytes, &reinterpret_cast<const sockaddr_in*>(&peer)->sin_addr, 4);
  } else if (family == AF_INET6) {
    const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a6)) {
      family = AF_INET;
      std::memcpy(bytes, a6->s6_addr + 12, 4);
    } else {
      std::memcpy(bytes, a6->s6_addr, 16);
    }
  } else {
    return false;
  }
  for (const AddressRange& r : ranges) {
    if (r.family != family) continue;
    const int full = r.prefix / 8, rest = r.prefix % 8;
    if (std::memcmp(bytes, r.bytes.data(), static_cast<std::size_t>(full)) != 0) continue;
    if (rest) {
      const std::uint8_t mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
      if ((bytes[full] & mask) != (r.bytes[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

}  // namespace dcgw::uplink
