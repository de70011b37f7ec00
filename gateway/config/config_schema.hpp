// The shape of etc/dcgw.json, checked as a whole before anything of it is used: every object
// holds only the members documented for it (schema/config.md), no member twice, and no two
// destinations, locations or devices with the same name or serial. The error names the path
// ("destinations[2].filtre") and, for a duplicate, both entries.
#pragma once

#include <string>

#include "codecs/json.hpp"
#include "codecs/result.hpp"

namespace dcgw::config {

codecs::Status checkDocument(const codecs::JsonValue& doc);

// The file as a JSON document, checked whole (checkDocument) whichever part the caller reads;
// an absent file is a null document (every setting defaults).
codecs::Result<codecs::JsonValue> readDocument(const std::string& path);

}  // namespace dcgw::config
