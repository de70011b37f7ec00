// libFuzzer target: the uplink frame scanner and every body parser on arbitrary bytes, with
// the Envoy rule checked: a scan never claims more bytes than it was given.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "codecs/uplink/frame.hpp"
#include "codecs/uplink/proxy_v2.hpp"

namespace up = dcgw::codecs::uplink;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dcgw::codecs::ByteView in(data, size);
  // The PROXY v2 header a trusted proxy sends first: never claims more than it was given.
  if (auto h = up::scanProxyV2(in);
      h.scan == up::ProxyHeader::Scan::Done && (h.bytes > size || h.bytes < 16))
    std::abort();
  // The first byte picks a configured maximum, as a gateway may set a lower one.
  const std::size_t max = size > 0 ? up::kMinFrameBytes + data[0] * 256u : up::kMaxFrameBytes;
  std::size_t used = 0;
  while (used < size) {
    auto r = up::scanFrame(in.subspan(used), max > up::kMaxFrameBytes ? up::kMaxFrameBytes : max);
    if (r.scan != up::Scan::Frame) break;
    if (r.frameBytes > size - used || r.frame.body.size() + up::kOverheadBytes != r.frameBytes)
      std::abort();
    const auto body = r.frame.body;
    (void)up::parseHello(body);
    (void)up::parseChallenge(body);
    (void)up::parseProof(body);
    (void)up::parseWelcome(body);
    (void)up::parseAck(body);
    (void)up::parseReject(body);
    (void)up::parseError(body);
    if (auto p = up::parsePacket(body); p.ok() && r.frame.kind == 0x10) {
      // Re-encoding a parsed PACKET gives back the same frame, byte for byte.
      dcgw::codecs::Bytes again;
      up::appendPacket(again, p->sequence, p->registration, p->packet);
      const auto original = in.subspan(used, r.frameBytes);
      if (!std::equal(again.begin(), again.end(), original.begin(), original.end())) std::abort();
    }
    used += r.frameBytes;
  }
  // Any whole body framed by appendFrame scans back as exactly that frame.
  if (size <= up::kMaxFrameBytes - up::kOverheadBytes) {
    dcgw::codecs::Bytes framed;
    up::appendFrame(framed, 0x10, in);
    auto r = up::scanFrame(framed);
    if (r.scan != up::Scan::Frame || r.frameBytes != framed.size()) std::abort();
  }
  return 0;
}
