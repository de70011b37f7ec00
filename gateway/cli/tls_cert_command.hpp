// `dcgw tls-cert --out-cert FILE --out-key FILE [--name HOST ...] [--days N]`: a self-signed
// ECDSA P-256 certificate and its key for a test deployment of the uplink and admin listeners.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dcgw::cli {

int runTlsCert(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace dcgw::cli
