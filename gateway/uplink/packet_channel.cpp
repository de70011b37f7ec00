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
    case K::StoreFull:
      return {A::Close, up::ErrorCode::StoreFull};
    case K::ShuttingDown:
      return {A::Close, up::ErrorCode::ShuttingDown};
    case K::UnknownDevice:
      return {A::Close, up::ErrorCode::UnknownDevice};
    case K::SequenceOutOfRange:
      return {A::Close, up::ErrorCode::SequenceOutOfRange};
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
  // After a refused sequence nothing more is taken (nor acknowledged): the connection closes
  // once the packets before it are answered.
  if (f.refusedSequence != 0) return;
  if (f.windowUsed() >= o_.window) {
    s.fail(up::ErrorCode::WindowExceeded,
           "more than " + std::to_string(o_.window) + " packets in flight");
    return;
  }
  switch (store::classify(f.lastSequence, p->sequence, o_.sequence)) {
    case store::SequenceClass::New:
      break;
    case store::SequenceClass::Duplicate:
      // Stored before (its ACK was lost) or resent on this connection: acknowledged, not
      // stored again. Once nothing earlier is in flight, say so at once.
      ++stats_.duplicates;
      if (f.inFlight() == 0) owesAck(s);
      return;
    case store::SequenceClass::OutOfRange:
      ++stats_.sequenceRefused;
      f.refusedSequence = p->sequence;
      closeIfRefused(s);
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
  // Commits answer a connection's packets in the order sent, so this is the entry at the head
  // (a search by value: the numbers wrap after 4,294,967,295, their order is the sending's).
  auto it = std::find_if(
      f.inflight.begin() + f.head, f.inflight.end(),
      [sequence](const PacketFlow::Inflight& e) { return !e.done && e.sequence == sequence; });
  if (it == f.inflight.end()) return;
  const Verdict v = verdictOf(done);
  switch (v.answer) {
    case Verdict::Answer::Ack:
      it->done = true;
      ++stats_.stored;
      if (done.kind == ingest::Outcome::Kind::Duplicate) ++stats_.duplicates;
      advance(s);
      closeIfRefused(s);  // last: a failed write may end the connection
      return;
    case Verdict::Answer::Close:
      if (done.kind == ingest::Outcome::Kind::SequenceOutOfRange) ++stats_.sequenceRefused;
      flushAck(s);  // what committed before it is acknowledged before the ERROR
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
      closeIfRefused(s);  // last: a failed write may end the connection
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

void PacketChannel::flushAck(Session& s) {
  PacketFlow& f = s.packets();
  if (!f.ackDirty) return;
  up::appendAck(s.out(), f.ackedSequence);
  f.ackDirty = false;
}

// The refusal waits for the packets sent before the refused one: they are acknowledged (or
// rejected) first, then ERROR SEQUENCE_OUT_OF_RANGE closes the connection. REQUIRES: the
// caller touches `s` no more (the ERROR's write may end the connection).
void PacketChannel::closeIfRefused(Session& s) {
  PacketFlow& f = s.packets();
  if (f.refusedSequence == 0 || f.inFlight() != 0 || !s.open()) return;
  flushAck(s);
  s.fail(up::ErrorCode::SequenceOutOfRange,
         store::describeOutOfRange(f.lastSequence, f.refusedSequence, o_.sequence));
}

void PacketChannel::onTurnEnd(Session& s) {
  flushAck(s);
}

bool PacketChannel::busy(const Session& s) const {
  return s.packets().inFlight() > 0;
}

}  // namespace dcgw::uplink
