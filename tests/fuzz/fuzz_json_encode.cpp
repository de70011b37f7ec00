// libFuzzer: the JSON parser and the packet encoder on arbitrary text.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "codecs/json.hpp"
#include "codecs/packets/packet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dcgw::codecs;
  auto json = parseJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!json.ok()) return 0;
  auto bytes = encodePacket(*json);
  if (bytes.ok() && !decodePacket(*bytes).ok() && !json->find("raw")) std::abort();
  return 0;
}
