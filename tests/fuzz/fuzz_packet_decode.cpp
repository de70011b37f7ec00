// libFuzzer: decodePacket on arbitrary bytes; whatever decodes must render JSON that parses and
// that the encoder accepts.
#include <cstdint>
#include <cstdlib>

#include "codecs/json.hpp"
#include "codecs/packets/packet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dcgw::codecs;
  Packet p;
  if (!decodePacket(ByteView(data, size), p)) return 0;
  std::string json = renderPacketJson(p);
  auto parsed = parseJson(json);
  if (!parsed.ok()) std::abort();  // the renderer produced invalid JSON
  auto again = encodePacket(*parsed);
  if (!again.ok()) std::abort();  // what we render, we must be able to encode
  Packet q;
  if (!decodePacket(*again, q)) std::abort();
  return 0;
}
