// The Teltonika listener (schema/teltonika.md section 10): real trackers' TCP connections on the
// uplink's transport (TLS included) and their UDP datagrams on the same port number, one AvlIngest
// behind both, refused IMEIs recorded, and devices an admin changes re-checked while connected.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "gateway/common/change_feed.hpp"
#include "gateway/common/clock.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/interfaces.hpp"
#include "gateway/uplink/listener.hpp"

namespace dcgw::uplink {

// "teltonika" in the configuration file (schema/config.md).
struct TeltonikaOptions {
  bool enabled{false};  // off by default: no port is opened
  std::string bind{"127.0.0.1"};
  std::uint16_t port{7720};  // 0: any free port (see TeltonikaListener::port())
  bool udp{true};            // UDP on the same port number (any free one when port is 0)
  std::size_t maxConnections{20000};
  std::size_t maxFrameBytes{16384};  // the data field (codec id .. N2) of one frame
  std::chrono::milliseconds idleTimeout{std::chrono::seconds(900)};
  std::chrono::milliseconds loginTimeout{std::chrono::seconds(10)};
  std::string tlsCertificateFile;
  std::string tlsPrivateKeyFile;
};

// Why a set of options is unusable ("" when fine).
std::string teltonikaOptionsError(const TeltonikaOptions& o);

class TeltonikaListener {
 public:
  TeltonikaListener(store::DeviceDirectory& store, ingest::Ingestor& ingestor, common::Clock& clock,
                    TeltonikaOptions options, common::ChangeFeed* changes = nullptr);
  ~TeltonikaListener();
  TeltonikaListener(const TeltonikaListener&) = delete;
  TeltonikaListener& operator=(const TeltonikaListener&) = delete;

  // Binds TCP (and UDP) and starts their threads. Throws std::runtime_error naming what failed.
  void start();
  // Stops reading, waits (at most 5 s) for frames in flight to be answered, closes everything.
  // REQUIRES: the Ingestor still runs.
  void stop();
  std::uint16_t port() const;
  std::uint16_t udpPort() const;  // 0 when UDP is off
  // TCP and UDP together: connections, logins, refused logins, records received (packets),
  // records acknowledged (stored), resent records (duplicates), frames answered 0 (rejected).
  const ListenerStats& stats() const { return stats_; }

 private:
  class Impl;
  ListenerStats stats_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dcgw::uplink
