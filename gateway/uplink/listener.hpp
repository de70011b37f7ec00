// The device-facing listener (schema/uplink.md): one epoll thread for every tracker connection,
// login by HMAC challenge, packets into the Ingestor, acknowledgements after the commit.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "gateway/common/clock.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/interfaces.hpp"
#include "gateway/uplink/options.hpp"

namespace dcgw::uplink {

struct ListenerStats {
  std::atomic<std::uint64_t> connections{0};  // open now
  std::atomic<std::uint64_t> loggedIn{0};     // open and logged in now
  std::atomic<std::uint64_t> accepted{0};     // connections ever
  std::atomic<std::uint64_t> logins{0};
  std::atomic<std::uint64_t> refusedLogins{0};
  std::atomic<std::uint64_t> packets{0};     // PACKET frames received
  std::atomic<std::uint64_t> stored{0};      // acknowledged after commit (duplicates included)
  std::atomic<std::uint64_t> duplicates{0};  // recognised on the connection
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> protocolErrors{0};  // connections closed with an ERROR
};

class Listener {
 public:
  Listener(store::DeviceDirectory& store, ingest::Ingestor& ingestor, common::Clock& clock,
           ListenerOptions options);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds and starts the event thread. Throws std::runtime_error naming the address, or the
  // TLS file, that failed.
  void start();
  std::uint16_t port() const { return port_; }
  // Stops reading, waits (at most 5 s) for the packets in flight to commit and be acknowledged,
  // then closes every connection with SHUTTING_DOWN. REQUIRES: the Ingestor still runs (a
  // completion arriving after stop() is harmless: the tracker resends, the store dedupes).
  void stop();

  const ListenerStats& stats() const { return stats_; }

 private:
  class Impl;
  ListenerStats stats_;  // before impl_: the event thread counts until ~Impl joins it
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_{0};
};

}  // namespace dcgw::uplink
