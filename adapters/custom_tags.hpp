// Custom tags (seed 004 section 3.5): the text a destination adds to every message, checked
// against what its method can carry.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codecs/result.hpp"

namespace dcgw::adapters {

using JsonTags = std::vector<std::pair<std::string, std::string>>;

// REST: `key:"value"` pairs separated by commas (figure 1's `accountID:"123456"`); keys may
// also be quoted; values are JSON strings (escapes allowed). Empty text gives no tags. Anything
// else is refused, the error's offset pointing at the character.
codecs::Result<JsonTags> parseRestCustomTags(std::string_view text);

// SOAP and XML: a well-formed XML fragment (elements and text, no DTD, no processing
// instructions), checked with libxml2. Empty text is fine.
codecs::Status checkXmlCustomTags(std::string_view text);

// Binary mode: 7-bit ASCII, at most 255 bytes.
codecs::Status checkBinaryCustomTags(std::string_view text);

}  // namespace dcgw::adapters
