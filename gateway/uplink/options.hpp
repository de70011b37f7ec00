// The uplink listener's settings (schema/uplink.md section 10), apart from the listener so the
// configuration loader reads them without including the server.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gateway/store/sequence.hpp"

namespace dcgw::uplink {

struct ListenerOptions {
  std::string bind{"127.0.0.1"};
  std::uint16_t port{7700};  // 0: any free port (see Listener::port())
  std::size_t maxConnections{20000};
  std::size_t maxFrameBytes{65536};
  std::uint16_t window{1024};
  // How a PACKET's sequence compares with the device's mark (uplink.sequence.*); the Ingestor
  // is given the same rules for the store's check.
  store::SequenceRules sequence;
  std::chrono::milliseconds heartbeat{std::chrono::seconds(60)};
  std::chrono::milliseconds idleTimeout{std::chrono::seconds(180)};
  std::chrono::milliseconds loginTimeout{std::chrono::seconds(10)};
  std::chrono::milliseconds closeLinger{std::chrono::seconds(2)};
  // Both set: TLS only (a POCO NetSSL server Context; the handshakes run on
  // threads of their own, see handshakes.hpp).
  std::string tlsCertificateFile;
  std::string tlsPrivateKeyFile;
  // How logs and start-up errors name this listener and its settings ("teltonika" for the
  // Teltonika listener on the same transport).
  std::string label{"uplink"};
  // Proxies whose connections start with a PROXY protocol v2 header (addresses or
  // "address/prefix" networks; uplink.trustedProxies): the tracker's address is the header's.
  // Plain TCP only (a proxy in front of a TLS listener terminates TLS itself).
  std::vector<std::string> trustedProxies;
};

}  // namespace dcgw::uplink
