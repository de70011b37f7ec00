// The card-bridge listener (schema/card-bridge.md): the uplink's transport (one epoll thread,
// TLS, framing, timers) with the bridges' login and frames on top; everything a bridge reports
// goes to the relay, and what the relay decides is dispatched by CardAuth.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "gateway/cardauth/service.hpp"
#include "gateway/uplink/listener.hpp"
#include "gateway/uplink/outbox.hpp"
#include "gateway/uplink/transport.hpp"

namespace dcgw::cardauth {

class BridgeListener final : public uplink::TransportEvents {
 public:
  BridgeListener(CardAuth& owner, Relay& relay, Registry& registry, common::Clock& clock,
                 const CardAuthOptions& options, CardAuthStats& stats, EventSink events);
  ~BridgeListener() override;

  void start();
  void stop();
  std::uint16_t port() const { return transport_->port(); }
  // From any thread: whole frames for a bridge connection (dropped once it is gone).
  void post(BridgeId bridge, codecs::Bytes frames);
  // From any thread: one whole frame for a node link, sealed as it leaves (card-bridge.md 9.2).
  void postNode(BridgeId link, codecs::Bytes frame);
  // From any thread: the bridge's registration changed; a logged-in connection of it whose key
  // is no longer the one it proved is closed (WRONG_PROOF, or UNKNOWN_BRIDGE once removed).
  void recheck(const std::string& ident);
  std::vector<BridgeView> bridges() const;  // logged in now

  // ---- TransportEvents, on the listener's event thread ----
  std::unique_ptr<uplink::Connection> newConnection() override;
  const std::string& name(const uplink::Connection& c) override;
  std::size_t maxFrameBytes(const uplink::Connection& c) override;
  bool onFrame(uplink::Connection& c, const codecs::uplink::FrameView& f) override;
  void onEnd(uplink::Connection& c) override;
  void onTimeout(uplink::Connection& c) override;
  void onTurnEnd(uplink::Connection&) override {}
  void onWake() override;
  bool busy(const uplink::Connection&) override { return false; }

 private:
  struct Conn;
  bool onLogin(Conn& c, const codecs::uplink::FrameView& f);
  bool onOpen(Conn& c, const codecs::uplink::FrameView& f);
  // Another node's link (schema/card-bridge.md section 9): its login, then its trackers.
  bool onNodeLogin(Conn& c, const codecs::uplink::FrameView& f);
  bool onNodeFrame(Conn& c, const codecs::uplink::FrameView& sealed);
  void sendSealed(Conn& c, const codecs::Bytes& frame);  // on the loop
  void refuse(Conn& c, std::uint8_t code, const std::string& why);
  void welcome(Conn& c);  // WELCOME sent, the connection open (a bridge's or a node's)
  // The bridge's key from the registry (nullopt inside: no such bridge or no key); nullopt when
  // the store cannot be read: then the connection is closed with STORE_UNAVAILABLE.
  std::optional<std::optional<codecs::Bytes>> bridgeKey(Conn& c);

  CardAuth& owner_;
  Relay& relay_;
  Registry& registry_;
  common::Clock& clock_;
  const CardAuthOptions& o_;
  CardAuthStats& stats_;
  EventSink events_;
  uplink::ListenerStats netStats_;
  std::shared_ptr<uplink::Outbox> outbox_;
  std::unique_ptr<uplink::Transport> transport_;
  std::map<std::string, BridgeId> byIdent_;  // logged-in bridges (the loop's)
  mutable std::mutex viewMu_;
  std::map<std::string, BridgeView> views_;  // logged-in bridges, for the admin
};

}  // namespace dcgw::cardauth
