// The shape of etc/dcgw.json, checked as a whole before anything of it is used: every object
// holds only the members documented for it (schema/config.md), no member twice, and no two
// destinations, locations or devices with the same name or serial. The error names the path
// ("destinations[2].filtre") and, for a duplicate, both entries.
#pragma once

#include "codecs/json.hpp"
#include "codecs/result.hpp"

namespace dcgw::config {

codecs::Status checkDocument(const codecs::JsonValue& doc);

}  // namespace dcgw::config
