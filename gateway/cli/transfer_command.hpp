// `dcgw export` and `dcgw import`: a SQLite installation moved to PostgreSQL (schema/export.md).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dcgw::cli {

int runExport(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int runImport(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcgw::cli
