// The admin listener's settings, apart from the server so the configuration loader reads them
// without including it.
#pragma once

#include <cstdint>
#include <string>

namespace dcgw::admin {

struct AdminOptions {
  std::string bind{"127.0.0.1"};
  std::uint16_t port{8080};  // 0: any free port (see ApiServer::port())
  std::string tlsCertificateFile;
  std::string tlsPrivateKeyFile;
  int threads{4};
};

}  // namespace dcgw::admin
