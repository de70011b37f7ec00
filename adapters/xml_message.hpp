// The text messages of seed 004 sections 3.1-3.3, built with correct escaping.
#pragma once

#include <string>
#include <string_view>

#include "adapters/custom_tags.hpp"

namespace dcgw::adapters {

struct MessageFields {
  std::string_view deviceSerialNumber;
  std::string_view vehicleRegistrationNumber;
  std::string_view data;  // the packet, already in the destination's format
};

// Section 3.1: {"deviceSerialNumber":..,"vehicleRegistrationNumber":..,"data":.., tags...}.
std::string buildRestBody(const MessageFields& m, const JsonTags& tags);
// Section 3.2: the SOAP 1.1 envelope. REQUIRES: customTags passed checkXmlCustomTags.
std::string buildSoapEnvelope(const MessageFields& m, std::string_view customTags);
// Section 3.3: the <digiCentralDataPacket> document. REQUIRES: as above.
std::string buildXmlDocument(const MessageFields& m, std::string_view customTags);

inline constexpr std::string_view kSoapAction = "digicentral.Website/digicentralDataPacket";
inline constexpr std::string_view kSoapNamespace = "digicentral.Website";

// Escapes &, <, >, " and ' for element content and attribute values; control characters that
// XML 1.0 cannot carry become U+FFFD.
std::string xmlEscape(std::string_view text);

}  // namespace dcgw::adapters
