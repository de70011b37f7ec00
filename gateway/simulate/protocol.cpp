// The uplink protocol of one device (schema/uplink.md): HELLO, CHALLENGE, PROOF and WELCOME,
// then packets within the window, ACKs, REJECTs and ERRORs, and the --log line per outcome.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "codecs/uplink/frame.hpp"
#include "gateway/simulate/packet_mix.hpp"
#include "gateway/simulate/simulator_internal.hpp"
#include "gateway/uplink/auth.hpp"

namespace dcgw::simulate {

void Simulator::ingest(Device& d, codecs::ByteView data) {
  const std::uint32_t generation = d.generation;
  const bool carried = !d.in.empty();
  if (carried) d.in.insert(d.in.end(), data.begin(), data.end());
  codecs::ByteView view = carried ? codecs::ByteView(d.in) : data;
  std::size_t used = 0;
  while (used < view.size()) {
    up::ScanResult r = up::scanFrame(view.subspan(used));
    if (r.scan == up::Scan::NeedMore) break;
    if (r.scan == up::Scan::Bad) {
      clientError(d, "PROTOCOL_VIOLATION", "a bad frame from the gateway: " + r.reason);
      return;
    }
    onFrame(d, r.frame);
    if (d.generation != generation) return;
    used += r.frameBytes;
  }
  if (carried) {
    d.in.erase(d.in.begin(), d.in.begin() + static_cast<std::ptrdiff_t>(used));
  } else {
    d.in.assign(view.begin() + static_cast<std::ptrdiff_t>(used), view.end());
  }
}

void Simulator::onFrame(Device& d, const up::FrameView& f) {
  const auto kind = static_cast<up::Kind>(f.kind);
  if (kind == up::Kind::Error) {
    onError(d, f.body);
    return;
  }
  if (kind == up::Kind::Heartbeat) return;  // its arrival (lastRecvUs) is the answer
  auto unexpected = [&] {
    clientError(d, "PROTOCOL_VIOLATION",
                std::string("unexpected ") + up::kindName(f.kind) + " from the gateway");
  };
  switch (d.link) {
    case Link::AwaitChallenge: {
      if (kind != up::Kind::Challenge) return unexpected();
      auto nonce = up::parseChallenge(f.body);
      if (!nonce) return clientError(d, "PROTOCOL_VIOLATION", nonce.error().message());
      uplink::Proof proof = uplink::computeProof(o_.key, *nonce, d.serial);
      up::appendProof(d.out, proof);
      d.link = Link::AwaitWelcome;
      markDirty(d);
      return;
    }
    case Link::AwaitWelcome: {
      if (kind != up::Kind::Welcome) return unexpected();
      auto w = up::parseWelcome(f.body);
      if (!w) return clientError(d, "PROTOCOL_VIOLATION", w.error().message());
      onWelcome(d, *w);
      return;
    }
    case Link::Ready:
      if (kind == up::Kind::Ack) {
        auto n = up::parseAck(f.body);
        if (!n) return clientError(d, "PROTOCOL_VIOLATION", n.error().message());
        d.outbox.ack(*n, [&](const Outbox::Entry& e) {
          ++acknowledged_;
          const std::int64_t us = now_ - e.sentAtUs;
          if (e.sentAtUs - sendStartUs_ >= static_cast<std::int64_t>(o_.warmupSeconds * 1e6))
            latencies_.push_back(static_cast<std::uint32_t>(
                std::clamp<std::int64_t>(us, 0, std::numeric_limits<std::uint32_t>::max())));
          if (log_) writeLog(d, e, false);
        });
        lastAckUs_ = now_;
      } else if (kind == up::Kind::Reject) {
        auto r = up::parseReject(f.body);
        if (!r) return clientError(d, "PROTOCOL_VIOLATION", r.error().message());
        if (const Outbox::Entry* e = d.outbox.reject(r->sequence)) {
          ++rejected_;
          if (log_) writeLog(d, *e, true);
        }
      } else {
        return unexpected();
      }
      sendOwed(d);
      offerToSend(d);
      return;
    default:
      return unexpected();
  }
}

void Simulator::onWelcome(Device& d, const up::Welcome& w) {
  d.window = std::min<std::uint32_t>(o_.window, w.window);
  d.heartbeatUs = std::int64_t{w.heartbeatSeconds} * 1'000'000;
  if (!d.sequenced) {
    // The gateway says where this device stands: continue after its last stored packet.
    d.nextSequence = w.lastSequence + 1 == 0 ? 1 : w.lastSequence + 1;
    d.sequenced = true;
    // Refused for its numbering: what was not acknowledged follows the gateway's mark.
    if (d.renumber) d.outbox.renumber(d.nextSequence);
    d.renumber = false;
  }
  if (!d.everLoggedIn) {
    d.everLoggedIn = true;
    ++loggedIn_;
  }
  d.backoffMs = 0;
  d.link = Link::Ready;
  d.newOnLink = 0;
  d.heartbeatSentUs = 0;
  if (phase_ == Phase::Login) {
    phase_ = Phase::Sending;
    sendStartUs_ = now_;
    packets_.restart(now_);
  }
  sendOwed(d);
  offerToSend(d);
}

void Simulator::onError(Device& d, codecs::ByteView body) {
  auto e = up::parseError(body);
  if (!e) return clientError(d, "PROTOCOL_VIOLATION", e.error().message());
  ++errorCodes_[e->code];
  diagnostic("device " + d.serial + ": ERROR " + up::errorCodeName(e->code) + ": " + e->text,
             errorDiagnostics_);
  const auto code = static_cast<up::ErrorCode>(e->code);
  if (code == up::ErrorCode::NotSupported) return;
  closeLink(d, Close::Quiet);
  if (code == up::ErrorCode::SequenceOutOfRange) {
    // The gateway does not take this device's numbering (its mark was reset or moved):
    // continue after the lastSequence of the next WELCOME (schema/uplink.md section 5).
    d.sequenced = false;
    d.renumber = true;
  }
  if (code == up::ErrorCode::UnknownDevice || code == up::ErrorCode::WrongProof) {
    // Only a change of configuration would help: this device is done for the run.
    d.link = Link::Refused;
    ++refused_;
    return;
  }
  scheduleReconnect(d);
}

bool Simulator::canSendNew(Device& d) const {
  return d.link == Link::Ready && !d.dropAfterFlush && d.outbox.inFlight() < d.window &&
         !d.outbox.hasUnsent();
}

void Simulator::offerToSend(Device& d) {
  if (d.queuedToSend || phase_ != Phase::Sending || o_.rate <= 0 || !canSendNew(d)) return;
  d.queuedToSend = true;
  sendQueue_.push_back(indexOf(d));
}

// Sends what the device owes on this link (resends first, in order) as far as the window goes.
void Simulator::sendOwed(Device& d) {
  if (d.link != Link::Ready) return;
  bool any = false;
  while (d.outbox.inFlight() < d.window) {
    Outbox::Entry* e = d.outbox.nextUnsent();
    if (!e) break;
    codecs::ByteView p = e->invalid ? mix_->invalidPacket(e->pool) : mix_->packet(e->pool);
    up::appendPacket(d.out, e->sequence, o_.registration, p);
    if (d.outbox.markSent(now_)) ++resent_;
    any = true;
  }
  if (any) markDirty(d);
}

void Simulator::newPacket(Device& d) {
  const std::uint32_t sequence = d.nextSequence;
  d.nextSequence = d.nextSequence == UINT32_MAX ? 1 : d.nextSequence + 1;
  const std::uint64_t n = ++d.made;
  d.outbox.add(sequence, static_cast<std::uint32_t>((d.poolOffset + n) % mix_->size()),
               isInvalidPacket(n, o_.invalidEvery));
  ++sent_;
  sendOwed(d);
  if (o_.dropEvery != 0 && ++d.newOnLink % o_.dropEvery == 0) d.dropAfterFlush = true;
}

void Simulator::writeLog(const Device& d, const Outbox::Entry& e, bool rejected) {
  static constexpr char kHex[] = "0123456789abcdef";
  codecs::ByteView p = e.invalid ? mix_->invalidPacket(e.pool) : mix_->packet(e.pool);
  logLine_.clear();
  logLine_ += d.serial;
  logLine_ += ' ';
  char num[16];
  auto r = std::to_chars(num, num + sizeof num, e.sequence);
  logLine_.append(num, r.ptr);
  logLine_ += ' ';
  for (std::uint8_t b : p) {
    logLine_ += kHex[b >> 4];
    logLine_ += kHex[b & 15];
  }
  if (rejected) logLine_ += " rejected";
  logLine_ += '\n';
  std::fwrite(logLine_.data(), 1, logLine_.size(), log_);
}

}  // namespace dcgw::simulate
