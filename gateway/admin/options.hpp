// The admin listener's settings, apart from the server so the configuration loader reads them
// without including it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace dcgw::admin {

struct AdminOptions {
  std::string bind{"127.0.0.1"};
  std::uint16_t port{8080};  // 0: any free port (see ApiServer::port())
  std::string tlsCertificateFile;
  std::string tlsPrivateKeyFile;
  // The workers that run requests; connections cost a buffer, not a worker.
  int threads{4};
  // The whole request (head and body; for a new connection from its accept, TLS handshake
  // included) must arrive within this, else 408 and the connection closes. A response that
  // the client does not read for as long closes the connection too.
  std::chrono::milliseconds requestTimeout{10'000};
  // A kept-alive connection waiting for its next request closes after this.
  std::chrono::milliseconds idleTimeout{30'000};
  std::size_t maxHeaderBytes{16 * 1024};     // request line and header fields: else 431
  std::size_t maxBodyBytes{1 << 20};         // else 413
  std::size_t maxConnections{1024};          // open at once: over it 503 and closed
  std::size_t maxConnectionsPerAddress{64};  // from one client IP address: over it 503
  // How often each queue's depth and delivered count are sampled for the console's charts
  // (queue_history.hpp: the last hour at this step, the last day at six times it).
  std::chrono::milliseconds historyStep{10'000};
};

}  // namespace dcgw::admin
