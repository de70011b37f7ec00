// The packet channel (schema/uplink.md section 5): PACKET frames into the Ingestor, ACK after
// the commit (coalesced per loop turn), REJECT per invalid packet, the window and duplicates.
#pragma once

#include <cstdint>
#include <memory>

#include "codecs/result.hpp"
#include "gateway/common/clock.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/uplink/channel.hpp"
#include "gateway/uplink/options.hpp"
#include "gateway/uplink/outbox.hpp"

namespace dcgw::uplink {

struct ListenerStats;

class PacketChannel final : public Channel {
 public:
  PacketChannel(ingest::Ingestor& ingestor, common::Clock& clock, const ListenerOptions& options,
                ListenerStats& stats, std::shared_ptr<Outbox> outbox);

  void onFrame(Session& s, std::uint8_t kind, codecs::ByteView body) override;
  void onTurnEnd(Session& s) override;
  bool busy(const Session& s) const override;

  // What the device is told about one packet once the ingest path is done with it.
  struct Verdict {
    enum class Answer : std::uint8_t { Ack, Reject, Close };
    Answer answer{Answer::Ack};
    codecs::uplink::ErrorCode error{codecs::uplink::ErrorCode::StoreUnavailable};  // Close
  };
  static Verdict verdictOf(const ingest::Outcome& done);

 private:
  void settle(Session& s, std::uint32_t sequence, const ingest::Outcome& done);
  void advance(Session& s);
  void owesAck(Session& s);
  void flushAck(Session& s);
  void closeIfRefused(Session& s);

  ingest::Ingestor& ingestor_;
  common::Clock& clock_;
  const ListenerOptions& o_;
  ListenerStats& stats_;
  std::shared_ptr<Outbox> outbox_;
};

}  // namespace dcgw::uplink
