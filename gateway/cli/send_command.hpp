// `dcgw send`: forwards packets to one destination through its adapter, for integrators testing
// a receiver and for the interop tests.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace dcgw::cli {

// dcgw send --method M --host H [--port P] [--format base64binary|hex] [--custom-tags T]
//   [--serial S] [--registration R] [--ca-file F] [--insecure] [--timeout MS]
//   [--reply-timeout MS] < packets.hex
// One hex packet per line in; one {"line","outcome","reason","durationUs"} line out.
// Returns 0 when every packet was delivered, 1 otherwise, 2 on bad options or settings.
int runSend(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
            std::ostream& err);

}  // namespace dcgw::cli
