// Uplink channels: what a logged-in session does with the frames of a range of kinds (packets
// today; the company-card relay 0x30-0x3F and the file upload 0x40-0x4F next, schema/uplink.md
// section 8). A channel plugs in with Listener::registerChannel; the transport never changes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codecs/bytes.hpp"
#include "codecs/uplink/frame.hpp"
#include "gateway/uplink/transport.hpp"

namespace dcgw::uplink {

class Transport;
struct SessionState;

// The per-session state of the packet channel, kept inline in every session because every
// tracker uses it (10,000 idle trackers at about 500 bytes each). Other channels keep theirs
// in their own table by ConnectionId and drop it in Channel::onClose.
struct PacketFlow {
  struct Inflight {
    std::uint32_t sequence;
    bool done;
    bool rejected;
  };
  std::vector<Inflight> inflight;  // in the order sent; [head, end) not yet acknowledged
  std::uint32_t head{0};
  std::uint32_t rejectedInFlight{0};  // rejected entries in [head, end): the device forgot them
  std::uint32_t lastSequence{0};      // the connection's mark: last New sequence, or the stored one
  std::uint32_t ackedSequence{0};
  // A PACKET whose sequence was out of range (0: none): nothing after it is taken, and the
  // connection is closed with SEQUENCE_OUT_OF_RANGE once what came before it is answered.
  std::uint32_t refusedSequence{0};
  bool ackDirty{false};  // an ACK of ackedSequence is owed

  std::size_t inFlight() const { return inflight.size() - head; }
  // What the device still counts against its window: not acknowledged and not rejected.
  std::size_t windowUsed() const { return inFlight() - rejectedInFlight; }
};

// What a channel sees of one logged-in connection: a view made for each call, valid only
// during it and only on the event thread. To answer later or from another thread, keep id()
// and post through the Outbox.
class Session {
 public:
  Session(Transport& transport, SessionState& state) : t_(transport), s_(state) {}

  ConnectionId id() const;
  const std::string& serial() const;
  // false once an ERROR was sent (the connection is closing): nothing more is written.
  bool open() const;
  // Appends whole frames (codecs::uplink::append...); written at the end of this loop turn,
  // after every channel's onTurnEnd.
  codecs::Bytes& out();
  void wantWrite();
  // Sends ERROR and closes the connection (after the linger).
  void fail(codecs::uplink::ErrorCode code, const std::string& reason);
  PacketFlow& packets();
  const PacketFlow& packets() const;

 private:
  Transport& t_;
  SessionState& s_;
};

class Channel {
 public:
  virtual ~Channel() = default;
  // A frame of a kind registered for this channel, from a logged-in session.
  // REQUIRES: quick (one loop runs every tracker); blocking work goes to another thread.
  virtual void onFrame(Session& s, std::uint8_t kind, codecs::ByteView body) = 0;
  // The session ended (an ERROR, the peer left, replaced, stopping): forget what is kept for
  // it. REQUIRES: writes nothing and closes nothing.
  virtual void onClose(Session& s) { (void)s; }
  // Once per loop turn, for each session with output waiting: append coalesced answers.
  virtual void onTurnEnd(Session& s) { (void)s; }
  // While stopping: true while the session has work in flight that will still be answered.
  virtual bool busy(const Session& s) const {
    (void)s;
    return false;
  }
  // The capability WELCOME announces for this channel (schema/uplink.md section 8.4: 0x01
  // card sessions, 0x02 file upload), 0 for none (packets are always served).
  virtual std::uint8_t capability() const { return 0; }
};

}  // namespace dcgw::uplink
