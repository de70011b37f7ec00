// `dcgw migrate [--db PATH | --store URL]`: applies the store's migrations (SQLite or PostgreSQL)
// and prints the schema version, so an installation is prepared before its nodes start.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dcgw::cli {

int runMigrate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcgw::cli
