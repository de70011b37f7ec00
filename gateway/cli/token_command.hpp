// `dcgw token create --role admin|auditor`: the first admin API token, written to the store.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dcgw::cli {

int runToken(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcgw::cli
