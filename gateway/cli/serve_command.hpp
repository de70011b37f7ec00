// `dcgw serve`: the gateway process: uplink listener, ingest, durable queues, forwarding.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dcgw::cli {

// Runs until SIGINT or SIGTERM. Returns the exit code.
int runServe(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcgw::cli
