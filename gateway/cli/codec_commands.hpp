// `dcgw decode`, `dcgw encode` and `dcgw schema`: the codecs on the command line.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace dcgw::cli {

enum class TextEncoding { Hex, Base64 };

// Reads one packet per line (hex or base64; blank lines and lines starting with '#' skipped) and
// writes one JSON object per line: the packet, or {"line","error","field","offset"}.
// Returns 0 when every line decoded, 1 otherwise.
int runDecode(std::istream& in, std::ostream& out, TextEncoding enc);
// The reverse: one packet JSON object per line in, one hex (or base64) line out; a line that
// cannot be encoded writes an error object on its line. Returns 0 or 1 as runDecode does.
int runEncode(std::istream& in, std::ostream& out, TextEncoding enc);
// Writes schema/packets/<family>.schema.json for every family into dir.
int runSchema(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcgw::cli
