// `dcgw card-bridge --config FILE [--log-level L]`: the program at the fleet office that holds
// the company cards (schema/card-bridge.md), until SIGINT or SIGTERM.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dcgw::cli {

int runCardBridge(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcgw::cli
