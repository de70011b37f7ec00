// The proxies a listener takes a PROXY protocol v2 header from (uplink.trustedProxies): IPv4 or
// IPv6 addresses, each alone or as a network "address/prefix". A connection from one of them
// must start with the header; one from anywhere else is a tracker's own and sends none.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dcgw::uplink {

struct AddressRange {
  int family{0};  // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes{};
  int prefix{0};  // leading bits that must match
};

// nullopt when `text` is not an address or network of either family.
std::optional<AddressRange> parseAddressRange(const std::string& text);
// Whether the peer address is in one of the ranges (an IPv4-mapped IPv6 peer counts as IPv4).
bool inRanges(const std::vector<AddressRange>& ranges, const sockaddr_storage& peer);

}  // namespace dcgw::uplink
