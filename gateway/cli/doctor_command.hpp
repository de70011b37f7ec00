// `dcgw doctor`: what is wrong with this installation and what to do about it.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dcgw::cli {

// Exit status 0 when no check is an error, 1 when one is, 2 for a usage error.
int runDoctor(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcgw::cli
