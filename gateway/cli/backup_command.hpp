// `dcgw backup` and `dcgw restore`: an online copy of the SQLite store, and its checked return.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dcgw::cli {

int runBackup(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int runRestore(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcgw::cli
