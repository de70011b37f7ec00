// PROXY protocol v2 header: signature, version and command, family, length, addresses.
#include "codecs/uplink/proxy_v2.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace dcgw::codecs::uplink {
namespace {
constexpr std::uint8_t kSignature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                         0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

ProxyHeader bad(std::string reason) {
  ProxyHeader h;
  h.scan = ProxyHeader::Scan::Bad;
  h.reason = std::move(reason);
  return h;
}
}  // namespace

ProxyHeader scanProxyV2(ByteView data) {
  if (data.empty()) return {};
  // A prefix of the signature may still become one; anything else is not a v2 header.
  const std::size_t sig = std::min<std::size_t>(data.size(), sizeof kSignature);
  if (std::memcmp(data.data(), kSignature, sig) != 0)
    return bad(
        "a PROXY protocol v2 header was expected from this proxy (its 12-byte signature "
        "0D0A0D0A000D0A515549540A), not other bytes");
  if (data.size() < 16) return {};
  const std::uint8_t verCmd = data[12], famProto = data[13];
  const std::size_t length = (std::size_t{data[14]} << 8) | data[15];
  if ((verCmd >> 4) != 2)
    return bad("PROXY protocol version " + std::to_string(verCmd >> 4) + ", not 2");
  const int command = verCmd & 0x0F;
  if (command > 1) return bad("PROXY protocol command " + std::to_string(command) + " unknown");
  if (16 + length > kMaxProxyHeaderBytes)
    return bad("PROXY protocol header of " + std::to_string(16 + length) + " bytes, more than " +
               std::to_string(kMaxProxyHeaderBytes));
  if (data.size() < 16 + length) return {};
  ProxyHeader h;
  h.scan = ProxyHeader::Scan::Done;
  h.bytes = 16 + length;
  if (command == 0) {  // LOCAL: the proxy itself; whatever follows the 16 bytes is skipped
    h.local = true;
    return h;
  }
  // The family and transport bytes the specification defines; any other is refused.
  switch (famProto) {
    case 0x00:
    case 0x11:
    case 0x12:
    case 0x21:
    case 0x22:
    case 0x31:
    case 0x32:
      break;
    default:
      return bad("PROXY protocol address family and transport byte " + std::to_string(famProto) +
                 " unknown");
  }
  const int family = famProto >> 4, transport = famProto & 0x0F;
  const std::uint8_t* a = data.data() + 16;
  char host[INET6_ADDRSTRLEN] = {};
  if (family == 1 && transport == 1) {  // TCP over IPv4: src, dst, src port, dst port
    if (length < 12)
      return bad("PROXY protocol IPv4 addresses need 12 bytes, not " + std::to_string(length));
    inet_ntop(AF_INET, a, host, sizeof host);
    h.source = std::string(host) + ":" + std::to_string((a[8] << 8) | a[9]);
  } else if (family == 2 && transport == 1) {  // TCP over IPv6
    if (length < 36)
      return bad("PROXY protocol IPv6 addresses need 36 bytes, not " + std::to_string(length));
    inet_ntop(AF_INET6, a, host, sizeof host);
    h.source = "[" + std::string(host) + "]:" + std::to_string((a[32] << 8) | a[33]);
  }
  // UNSPEC, UNIX or UDP: accepted with no address (the connection's own is kept).
  return h;
}

}  // namespace dcgw::codecs::uplink
