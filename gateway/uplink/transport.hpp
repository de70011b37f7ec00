// The uplink's transport: one epoll thread for every tracker socket (accept, TLS, reads and
// writes, back-pressure, timers, descriptor shedding, graceful stop), with the TLS handshakes on
// a few threads of their own (handshakes.hpp). It knows frames only as far as cutting them out
// of the byte stream; what they mean is the TransportEvents' business.
#pragma once

#include <openssl/ssl.h>
#include <sys/epoll.h>

#include <Poco/Net/Context.h>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "codecs/bytes.hpp"
#include "codecs/uplink/frame.hpp"
#include "gateway/uplink/handshakes.hpp"
#include "gateway/uplink/options.hpp"
#include "gateway/uplink/trusted_proxies.hpp"

namespace dcgw::uplink {

struct ListenerStats;

// Never reused within one listener (a counter from 1), so it is its own generation: an id
// kept by another thread after its connection closed finds nothing, never a newer connection.
using ConnectionId = std::uint64_t;

std::int64_t steadyMs();
std::string peerAddress(int fd);

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

// The transport's part of one connection; the session layer derives its state from it (one
// allocation per connection, about 500 bytes for an idle tracker with the map node and socket).
struct Connection {
  enum class State : std::uint8_t { Login, Open, Closing };

  virtual ~Connection() = default;
  std::size_t pendingOut() const { return out.size() - outPos; }

  ConnectionId id{0};
  int fd{-1};
  State state{State::Login};
  bool wantOut : 1 {false};         // EPOLLOUT registered
  bool queued : 1 {false};          // in the list of connections to write at the end of the turn
  bool shutWritten : 1 {false};     // SHUT_WR sent (Closing)
  bool readPaused : 1 {false};      // EPOLLIN off until `out` drains below the cap
  bool writeWantsRead : 1 {false};  // TLS: SSL_write needs the peer's bytes first
  bool lent : 1 {false};         // TLS: the handshake threads hold fd and ssl; hands off until back
  bool expectProxy : 1 {false};  // from a trusted proxy: a PROXY v2 header comes first
  bool inLoginSet : 1 {false};   // in the epoll set of connections not logged in yet
  std::uint32_t outPos{0};       // bytes of `out` already written
  codecs::Bytes in;              // a partial frame carried to the next read
  codecs::Bytes out;             // whole frames not yet written
  std::int64_t lastRxMs{0};      // the last whole frame
  std::int64_t deadlineMs{0};    // Login: the login timeout; Closing: the end of the linger
  std::unique_ptr<SSL, SslFree> ssl;
  // The tracker's address as its proxy gave it (null: the socket's peer is the tracker).
  std::unique_ptr<std::string> remote;
  // How logs and refused logins name the peer: the proxy's word for it, else the socket's.
  std::string address() const;
};

// What the transport asks of the layer above; every call is on the event thread.
class TransportEvents {
 public:
  virtual ~TransportEvents() = default;
  virtual std::unique_ptr<Connection> newConnection() = 0;
  // How logs name the connection: the serial it gave, or "-".
  virtual const std::string& name(const Connection& c) = 0;
  // The largest whole frame accepted now from this connection.
  virtual std::size_t maxFrameBytes(const Connection& c) = 0;
  // Cuts the next whole frame from the front of `data`, never a partial one (default:
  // schema/uplink.md's framing up to maxFrameBytes); a protocol of its own on this transport
  // (Teltonika's) cuts its frames here and reads them back in onFrame.
  virtual codecs::uplink::ScanResult scan(const Connection& c, codecs::ByteView data) {
    return codecs::uplink::scanFrame(data, maxFrameBytes(c));
  }
  // What tells the peer why its connection closes (default: an uplink ERROR frame); a protocol
  // that has no such frame appends nothing.
  virtual void appendError(const Connection& /*c*/, codecs::uplink::ErrorCode code,
                           const std::string& reason, codecs::Bytes& out) {
    codecs::uplink::appendError(out, code, reason);
  }
  // One whole frame. false: the connection is closing (or closed).
  virtual bool onFrame(Connection& c, const codecs::uplink::FrameView& f) = 0;
  // The connection leaves Login or Open (an ERROR is being sent, or it is gone): once each,
  // with its state still the one it leaves. REQUIRES: closes nothing.
  virtual void onEnd(Connection& c) = 0;
  // No whole frame arrived in time: the login timeout (Login) or the idle timeout (Open).
  virtual void onTimeout(Connection& c) = 0;
  // Before the connection's bytes are written at the end of a loop turn (coalesced answers).
  virtual void onTurnEnd(Connection& c) = 0;
  // The wake descriptor fired: posted work is waiting.
  virtual void onWake() = 0;
  // Stopping: true while the connection holds work that is still to be answered.
  virtual bool busy(const Connection& c) = 0;
};

class Transport {
 public:
  // `wakeFd`: an eventfd the layer above writes to; it is read here and reported by onWake.
  Transport(TransportEvents& events, const ListenerOptions& options, ListenerStats& stats,
            int wakeFd);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Binds and starts the event thread. Throws std::runtime_error on failure.
  void start();
  // Drains (at most 5 s, while busy()), closes every connection with SHUTTING_DOWN, joins.
  void stop();
  std::uint16_t port() const { return port_; }
  bool stopping() const { return stopping_; }

  // ---- on the event thread only ----
  Connection* find(ConnectionId id);
  // Leaves the login: the idle timeout applies from now on.
  void markOpen(Connection& c);
  // The connection has bytes to write at the end of this loop turn.
  void markDirty(Connection& c);
  // Sends ERROR and lets the connection close: SHUT_WR once written, closed after the linger.
  void fail(Connection& c, codecs::uplink::ErrorCode code, const std::string& reason);

 private:
  void setUpTls();
  void bindListener();
  void run();
  void acceptAll();
  void onEvent(ConnectionId id, std::uint32_t ev);
  void serveLogins(bool ready, std::vector<epoll_event>& logins);
  // Adds a connection to the epoll set its state belongs to (read interest).
  void watch(Connection& c);
  int pollFd(const Connection& c) const { return c.inLoginSet ? loginEpollFd_ : epollFd_; }
  long readSome(Connection& c, std::uint8_t* buf, std::size_t cap);
  void onReadable(Connection& c);
  bool process(Connection& c, const std::uint8_t* fresh, std::size_t n);
  void resumeReading();
  bool flush(Connection& c);
  void setWantOut(Connection& c, bool want);
  // Registers (EPOLL_CTL_ADD) or updates the connection's interest in the set it belongs to.
  void updateInterest(Connection& c, int op = EPOLL_CTL_MOD);
  void closeNow(Connection& c);
  void endTurn();
  void scanTimers(std::int64_t now);
  void onHandshakes();
  void recallHandshakes();

  TransportEvents& events_;
  const ListenerOptions& o_;
  ListenerStats& stats_;
  Poco::Net::Context::Ptr tls_;
  HandshakePool handshakes_{HandshakePool::threadsFor(0)};
  int epollFd_{-1};
  int loginEpollFd_{-1};  // connections not logged in yet (see transport.cpp)
  int listenFd_{-1};
  int wakeFd_{-1};
  int spareFd_{-1};
  std::uint16_t port_{0};
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  ConnectionId nextId_{1};
  std::unordered_map<ConnectionId, std::unique_ptr<Connection>> conns_;
  std::vector<ConnectionId> dirty_;
  std::vector<ConnectionId> writing_;
  std::vector<ConnectionId> resumed_;
  std::deque<ConnectionId> loginBacklog_;  // handshakes done, to be read once
  std::vector<std::uint8_t> scratch_;
  std::vector<AddressRange> proxies_;  // o_.trustedProxies, parsed at start()
  std::int64_t lastFdWarningMs_{0};
};

}  // namespace dcgw::uplink
