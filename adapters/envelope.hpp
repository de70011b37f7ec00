// What every forwarding method carries (seed 004 section 3): the placeholders of the message.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "codecs/bytes.hpp"

namespace dcgw::adapters {

// How the packet bytes travel in the text methods: "base64binary" or ASCII hex (seed 004
// section 4: "This data can be sent using base64 binary or ASCII Hex").
enum class DataFormat { Base64Binary, AsciiHex };

std::optional<DataFormat> parseDataFormat(std::string_view text);
std::string_view dataFormatName(DataFormat f);
// The `data` placeholder: the packet in the destination's format (uppercase hex for AsciiHex).
std::string formatData(codecs::ByteView packet, DataFormat f);

struct Envelope {
  std::string deviceSerialNumber;         // 8 characters
  std::string vehicleRegistrationNumber;  // up to 13, blank for some packet types
  codecs::Bytes packet;                   // the seed 004 packet, type byte first
};

}  // namespace dcgw::adapters
