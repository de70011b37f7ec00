// JSON Schema (draft 2020-12) of the packet JSON contract, generated from the layout tables so the
// documents in schema/packets/ cannot drift from the code (a test compares them).
#pragma once

#include <string>
#include <vector>

namespace dcgw::codecs {

struct PacketKind;

// Family names in registry order: "alerts", "new-driver", ..., "opaque".
std::vector<std::string> packetFamilies();
// The schema of one family, pretty-printed with a trailing newline; empty for an unknown family.
std::string packetFamilySchema(const std::string& family);
// The "title" of a kind's schema: its name, sensor kind and seed section.
std::string kindTitle(const PacketKind& k);
// Indents compact JSON (two spaces); strings are copied unchanged.
std::string prettyJson(std::string_view compact);

}  // namespace dcgw::codecs
