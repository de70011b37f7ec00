// The packet channel: sequence, window and duplicate handling on the event loop; the commit's
// outcome comes back through the Outbox.
#include "gateway/uplink/packet_channel.hpp"

#include <algorithm>

#include "codecs/packets/packet.hpp"
#include "gateway/uplink/listener.hpp"

namespace dcgw::uplink {

namespace up = codecs::uplink;

PacketChannel::PacketChannel(ingest::Ingestor& ingestor, common::Clock& clock,
                             const ListenerOptions& options, ListenerStats& stats,
                             std::shared_ptr<Outbox> outbox)
    : ingestor_(ingestor), clock_(clock), o_(options), stats_(stats), outbox_(std::move(outbox)) {}

// The one place that reads what the ingest path said.
PacketChannel::Verdict PacketChannel::verdictOf(const ingest::Outcome& done) {
  using A = Verdict::Answer;
  using K = ingest::Outcome::Kind;
  switch (done.kind) {
    case K::Stored:
    case K::Duplicate:
      return {A::Ack, {}};
    case K::StoreUnavailable:
      return {A::Close, up::ErrorCode::StoreUnavailable};
    case K::ShuttingDown:
      return {A::Close, up::ErrorCode::ShuttingDown};
    case K::UnknownDevice:
      return {A::Close, up::ErrorCode::UnknownDevice};
    case K::Invalid:
      break;
  }
  return {A::Reject, {}};
}

void PacketChannel::onFrame(Session& s, std::uint8_t /*kind: PACKET*/, codecs::ByteView body) {
  auto p = up::parsePacket(body);
  if (!p) {
    s.fail(up::ErrorCode::MalformedFrame, p.error().message());
    return;
  }
  ++stats_.packets;
  PacketFlow& f = s.packets();
  if (f.windowUsed() >= o_.window) {
    s.fail(up::ErrorCode::WindowExceeded,
           "more than " + std::to_string(o_.window) + " packets in flight");
    return;
  }
  if (p->sequence <= f.lastSequence) {
    // Stored before (its ACK was lost) or resent on this connection: acknowledged, not
    // stored again. Once nothing earlier is in flight, say so at once.
    ++stats_.duplicates;
    if (f.inFlight() == 0) owesAck(s);
    return;
  }
  f.lastSequence = p->sequence;
  codecs::Packet decoded;
  if (codecs::Status st = codecs::decodePacket(p->packet, decoded); !st) {
    ++stats_.rejected;
    up::appendReject(s.out(), p->sequence, up::RejectCode::InvalidPacket, st.error().message());
    f.inflight.push_back(PacketFlow::Inflight{p->sequence, true, true});
    ++f.rejectedInFlight;
    advance(s);
    s.wantWrite();
    return;
  }
  f.inflight.push_back(PacketFlow::Inflight{p->sequence, false, false});
  store::IngestItem item;
  item.serial = s.serial();
  item.registration = p->registration;
  item.packet.assign(p->packet.begin(), p->packet.end());
  item.receivedAtMs = clock_.nowMs();
  item.sequence = p->sequence;
  item.session = s.id();
  // Runs on the committer's thread, maybe after the listener is gone: it touches only the
  // outbox it shares; `this` is used on the loop, which runs only while the channel exists.
  ingestor_.submitValidated(std::move(item), [outbox = outbox_, this, id = s.id(),
                                              seq = p->sequence](const ingest::Outcome& done) {
    outbox->post(id, [this, seq, done](Session& on) { settle(on, seq, done); });
  });
}

void PacketChannel::settle(Session& s, std::uint32_t sequence, const ingest::Outcome& done) {
  PacketFlow& f = s.packets();
  auto it = std::lower_bound(
      f.inflight.begin() + f.head, f.inflight.end(), sequence,
      [](const PacketFlow::Inflight& e, std::uint32_t q) { return e.sequence < q; });
  if (it == f.inflight.end() || it->sequence != sequence) return;
  const Verdict v = verdictOf(done);
  switch (v.answer) {
    case Verdict::Answer::Ack:
      it->done = true;
      ++stats_.stored;
      advance(s);
      return;
    case Verdict::Answer::Close:
      s.fail(v.error, done.error.message());
      return;
    case Verdict::Answer::Reject:
      ++stats_.rejected;
      up::appendReject(s.out(), sequence, up::RejectCode::InvalidPacket, done.error.message());
      it->done = true;
      it->rejected = true;
      ++f.rejectedInFlight;
      advance(s);
      s.wantWrite();
      return;
  }
}

void PacketChannel::owesAck(Session& s) {
  s.packets().ackDirty = true;
  s.wantWrite();
}

// Moves the acknowledged point past every finished packet at the front.
void PacketChannel::advance(Session& s) {
  PacketFlow& f = s.packets();
  bool moved = false;
  while (f.head < f.inflight.size() && f.inflight[f.head].done) {
    f.ackedSequence = f.inflight[f.head].sequence;
    if (f.inflight[f.head].rejected) --f.rejectedInFlight;
    ++f.head;
    moved = true;
  }
  if (f.head == f.inflight.size()) {
    f.inflight.clear();
    f.head = 0;
    if (f.inflight.capacity() > 256) std::vector<PacketFlow::Inflight>().swap(f.inflight);
  } else if (f.head > 1024) {
    f.inflight.erase(f.inflight.begin(), f.inflight.begin() + f.head);
    f.head = 0;
  }
  if (moved) owesAck(s);
}

void PacketChannel::onTurnEnd(Session& s) {
  PacketFlow& f = s.packets();
  if (!f.ackDirty) return;
  up::appendAck(s.out(), f.ackedSequence);
  f.ackDirty = false;
}

bool PacketChannel::busy(const Session& s) const {
  return s.packets().inFlight() > 0;
}

}  // namespace dcgw::uplink
