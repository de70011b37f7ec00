// TLS for the gateway's own listeners (uplink, admin): one way to load a server certificate, with
// errors that name the listener and the files.
#pragma once

#include <Poco/Net/Context.h>

#include <string>

namespace dcgw::common {

// A TLS 1.2+ server context from a PEM certificate (chain) and private key. `who` names the
// listener in errors ("uplink", "admin"). Throws std::runtime_error when a file is missing or
// does not load, or when only one of the two is given.
Poco::Net::Context::Ptr makeServerTlsContext(const std::string& who,
                                             const std::string& certificateFile,
                                             const std::string& privateKeyFile);

}  // namespace dcgw::common
