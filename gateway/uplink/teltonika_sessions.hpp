// The Teltonika TCP protocol on the uplink's transport (schema/teltonika.md sections 1, 2 and 10):
// the IMEI login checked against the device store, pings, AVL frames handed to AvlIngest and
// acknowledged with their record count after the commit, a broken frame answered 0, Codec 12/13
// responses logged, the newer connection of an IMEI replacing the older.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "codecs/teltonika/frame.hpp"
#include "gateway/common/clock.hpp"
#include "gateway/store/interfaces.hpp"
#include "gateway/uplink/outbox.hpp"
#include "gateway/uplink/teltonika_ingest.hpp"
#include "gateway/uplink/transport.hpp"

namespace dcgw::uplink {

struct ListenerStats;

// Refused logins, written to the store off the event loop (its lock may be held by a commit).
class RefusedLog {
 public:
  explicit RefusedLog(store::DeviceDirectory& store);
  ~RefusedLog();
  RefusedLog(const RefusedLog&) = delete;
  RefusedLog& operator=(const RefusedLog&) = delete;
  void add(store::RefusedIdent ident);  // any thread; a flood beyond 10,000 waiting is dropped

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// Where a registered Teltonika device is looked up (the store's DeviceAuth, checked): the device,
// or why it may not send.
struct AvlLookup {
  std::optional<AvlDevice> device;
  std::string refusal;
};
AvlLookup lookUpAvlDevice(store::DeviceDirectory& store, const std::string& imei);

struct TeltonikaConnection final : Connection {
  bool loggedIn{false};
  std::uint32_t inFlight{0};  // frames submitted and not yet answered
  AvlDevice device;
};

class TeltonikaSessions final : public TransportEvents {
 public:
  TeltonikaSessions(store::DeviceDirectory& store, AvlIngest& ingest, common::Clock& clock,
                    std::size_t maxDataBytes, ListenerStats& stats, std::shared_ptr<Outbox> outbox,
                    RefusedLog& refused);

  void start(Transport& transport) { transport_ = &transport; }
  // On the event thread: devices an admin changed; a connected one is looked up again and
  // closed if it is gone or no longer a Teltonika device, its family taken if it changed.
  void devicesChanged(const std::vector<std::string>& serials);

  // ---- TransportEvents ----
  std::unique_ptr<Connection> newConnection() override;
  const std::string& name(const Connection& c) override;
  std::size_t maxFrameBytes(const Connection& c) override;
  codecs::uplink::ScanResult scan(const Connection& c, codecs::ByteView data) override;
  void appendError(const Connection& c, codecs::uplink::ErrorCode code, const std::string& reason,
                   codecs::Bytes& out) override;
  bool onFrame(Connection& c, const codecs::uplink::FrameView& f) override;
  void onEnd(Connection& c) override;
  void onTimeout(Connection& c) override;
  void onTurnEnd(Connection&) override {}
  void onWake() override;
  bool busy(const Connection& c) override;

 private:
  bool onLogin(TeltonikaConnection& c);
  void onAvl(TeltonikaConnection& c);
  // Frames a connection may have unanswered; one more closes it (schema/teltonika.md 10.2).
  static constexpr std::uint32_t kMaxFramesInFlight = 8;
  bool tooManyInFlight(TeltonikaConnection& c);
  AvlIngest::Done verdictPoster(ConnectionId id);
  void onVerdict(ConnectionId id, const AvlVerdict& v);
  void refuse(TeltonikaConnection& c, const std::string& reason);

  store::DeviceDirectory& store_;
  AvlIngest& ingest_;
  common::Clock& clock_;
  std::size_t maxDataBytes_;
  ListenerStats& stats_;
  std::shared_ptr<Outbox> outbox_;
  RefusedLog& refused_;
  Transport* transport_{nullptr};
  std::unordered_map<std::string, ConnectionId> directory_;  // IMEI -> its logged-in connection
  // What scan() cut, read back by the onFrame() that follows it on the same thread.
  std::string scannedImei_;
  codecs::teltonika::FrameScan scanned_;
  std::vector<Outbox::Item> taken_;
};

}  // namespace dcgw::uplink
