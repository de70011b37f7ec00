// The PROXY protocol version 2 header (HAProxy's "send-proxy-v2"; the specification is
// haproxy's doc/proxy-protocol.txt, section 2.2): what a proxy in front of the gateway sends
// first on each connection so the gateway learns the tracker's real address. Only the header is
// read here; TLVs after the addresses are skipped. schema/uplink.md section "Behind a proxy".
#pragma once

#include <cstddef>
#include <string>

#include "codecs/bytes.hpp"

namespace dcgw::codecs::uplink {

struct ProxyHeader {
  enum class Scan { NeedMore, Bad, Done };
  Scan scan{Scan::NeedMore};
  std::size_t bytes{0};  // Done: the header's length, TLVs included
  bool local{false};     // LOCAL: the proxy's own connection (a health check), no address
  std::string source;    // PROXY over TCP/IPv4 or IPv6: "a.b.c.d:port" or "[v6]:port"; else ""
  std::string reason;    // Bad: what was wrong
};

// The largest header accepted (the 16 fixed bytes and at most this much after them).
constexpr std::size_t kMaxProxyHeaderBytes = 16 + 4096;

// Reads a header at the start of `data` (which may hold more bytes after it).
ProxyHeader scanProxyV2(ByteView data);

}  // namespace dcgw::codecs::uplink
