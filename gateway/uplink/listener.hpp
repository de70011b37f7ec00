// The device-facing listener (schema/uplink.md): one epoll thread for every tracker connection
// (transport.hpp), login by HMAC challenge (session.hpp), then channels by frame kind: packets
// into the Ingestor, acknowledged after the commit (packet_channel.hpp), and whatever channel
// is registered for the reserved kinds. Other threads answer through the Outbox.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "gateway/common/change_feed.hpp"
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
  std::atomic<std::uint64_t> packets{0};          // PACKET frames received
  std::atomic<std::uint64_t> stored{0};           // acknowledged after commit (duplicates included)
  std::atomic<std::uint64_t> duplicates{0};       // acknowledged again, not stored (any path)
  std::atomic<std::uint64_t> sequenceRefused{0};  // closed with SEQUENCE_OUT_OF_RANGE
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> protocolErrors{0};  // connections closed with an ERROR
};

class Channel;
class Outbox;

class Listener {
 public:
  // With `changes`, a logged-in device that an admin removes (or whose key is cleared) is
  // closed with UNKNOWN_DEVICE, and one whose key is changed with WRONG_PROOF.
  Listener(store::DeviceDirectory& store, ingest::Ingestor& ingestor, common::Clock& clock,
           ListenerOptions options, common::ChangeFeed* changes = nullptr);
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

  // Frames of kinds first..last from logged-in sessions go to `channel`, on the event thread.
  // REQUIRES: before start(); `channel` outlives the listener; the range holds no login,
  // heartbeat or ERROR kind and overlaps no other channel's (PACKET, 0x10, is taken).
  // A reserved kind (0x30-0x4F) with no channel is answered ERROR NOT_SUPPORTED.
  void registerChannel(std::uint8_t first, std::uint8_t last, Channel& channel);
  // Where any thread posts frames or work for a connection (see outbox.hpp).
  std::shared_ptr<Outbox> outbox() const;

 private:
  class Impl;
  ListenerStats stats_;  // before impl_: the event thread counts until ~Impl joins it
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_{0};
};

}  // namespace dcgw::uplink
