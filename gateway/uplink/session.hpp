// The uplink's session layer: the login (HELLO, CHALLENGE, PROOF, WELCOME), heartbeats, the
// session directory (serial -> connection; the newer connection wins), the dispatch of every
// other frame to a channel by a table of kind ranges, and the re-check of a device that an
// admin changed while it is connected (schema/uplink.md sections 4 and 6.1).
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "gateway/common/clock.hpp"
#include "gateway/store/interfaces.hpp"
#include "gateway/uplink/auth.hpp"
#include "gateway/uplink/channel.hpp"
#include "gateway/uplink/outbox.hpp"
#include "gateway/uplink/transport.hpp"

namespace dcgw::uplink {

struct ListenerStats;

// One connection: the transport's part, the login and the packet channel's flow.
struct SessionState final : Connection {
  enum class Stage : std::uint8_t { AwaitHello, AwaitProof, Ready };
  struct Login {  // between HELLO and PROOF
    Nonce nonce;
    codecs::Bytes key;
  };
  Stage stage{Stage::AwaitHello};
  std::string serial;
  std::unique_ptr<Login> login;
  PacketFlow packets;
};

class Sessions final : public TransportEvents {
 public:
  Sessions(store::DeviceDirectory& store, common::Clock& clock, const ListenerOptions& options,
           ListenerStats& stats, std::shared_ptr<Outbox> outbox);
  ~Sessions() override;

  // REQUIRES: before start(); the range holds no login, heartbeat or ERROR kind and overlaps
  // no range registered before (std::invalid_argument otherwise).
  void registerChannel(std::uint8_t first, std::uint8_t last, Channel& channel);
  // Starts and stops the thread that talks to the store off the loop.
  void start(Transport& transport);
  void stop();
  // On the event thread: the devices an admin changed. A logged-in one is re-checked off the
  // loop, and closed if it was removed (UNKNOWN_DEVICE) or its key changed (WRONG_PROOF).
  void devicesChanged(const std::vector<std::string>& serials);
  // On the event thread: an admin set these devices' sequence marks. A logged-in one is closed
  // with SEQUENCE_RESET: its connection's mark is stale, the new one is in its next WELCOME.
  void sequenceReset(const std::vector<std::string>& serials);

  // ---- TransportEvents ----
  std::unique_ptr<Connection> newConnection() override;
  const std::string& name(const Connection& c) override;
  std::size_t maxFrameBytes(const Connection& c) override;
  bool onFrame(Connection& c, const codecs::uplink::FrameView& f) override;
  void onEnd(Connection& c) override;
  void onTimeout(Connection& c) override;
  void onTurnEnd(Connection& c) override;
  void onWake() override;
  bool busy(const Connection& c) override;

 private:
  struct Entry {  // a logged-in session in the directory
    ConnectionId id;
    std::uint64_t keyTag;  // of the key it logged in with
  };
  struct Check {
    ConnectionId id;
    std::uint64_t keyTag;
  };

  bool onHello(SessionState& c, codecs::ByteView body);
  bool onProof(SessionState& c, codecs::ByteView body);
  void refuse(SessionState& c, codecs::uplink::ErrorCode code, const std::string& reason);
  void fail(SessionState& c, codecs::uplink::ErrorCode code, const std::string& reason);
  void work();
  void check(const std::string& serial, const Check& what);

  store::DeviceDirectory& store_;
  common::Clock& clock_;
  const ListenerOptions& o_;
  ListenerStats& stats_;
  std::shared_ptr<Outbox> outbox_;
  Transport* transport_{nullptr};
  std::array<Channel*, 256> channels_{};  // by kind
  std::vector<Channel*> distinct_;        // each registered channel once
  std::unordered_map<std::string, Entry> directory_;
  std::vector<Outbox::Item> taken_;

  // The store worker: refused idents are written, changed devices read, off the loop (the
  // store's lock may be held by an ingest commit's fsync).
  std::thread worker_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_{false};
  std::vector<store::RefusedIdent> refused_;
  std::unordered_map<std::string, Check> checks_;  // by serial: repeated changes coalesce
};

}  // namespace dcgw::uplink
