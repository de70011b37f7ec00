// `dcgw ddd FILE...`: a tachograph file's summary, its File Summary packet and its conventional
// names, as the gateway computes them for an uploaded file (schema/files.md, "dcgw ddd").
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace dcgw::cli {

// One JSON object per file on its own line. Returns 0 when every file gave a summary, 1 when one
// could not (its line says why), 2 on a usage error or a file that cannot be read.
int runDdd(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcgw::cli
