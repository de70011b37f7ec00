// Data format names and the rendering of the `data` placeholder.
#include "adapters/envelope.hpp"

namespace dcgw::adapters {

std::optional<DataFormat> parseDataFormat(std::string_view t) {
  if (t == "base64binary" || t == "base64") return DataFormat::Base64Binary;
  if (t == "hex" || t == "ascii-hex" || t == "ASCII hex") return DataFormat::AsciiHex;
  return std::nullopt;
}

std::string_view dataFormatName(DataFormat f) {
  return f == DataFormat::Base64Binary ? "base64binary" : "hex";
}

std::string formatData(codecs::ByteView packet, DataFormat f) {
  return f == DataFormat::Base64Binary ? codecs::toBase64(packet) : codecs::toHex(packet, true);
}

}  // namespace dcgw::adapters
