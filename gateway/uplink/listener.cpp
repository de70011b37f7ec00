// The uplink listener: wires the transport, the session layer, the packet channel, the outbox
// and the change feed together, and owns their start and stop order.
#include "gateway/uplink/listener.hpp"

#include <stdexcept>

#include "gateway/uplink/outbox.hpp"
#include "gateway/uplink/packet_channel.hpp"
#include "gateway/uplink/session.hpp"
#include "gateway/uplink/transport.hpp"

namespace dcgw::uplink {

namespace up = codecs::uplink;

class Listener::Impl {
 public:
  Impl(Listener& owner, store::DeviceDirectory& store, ingest::Ingestor& ingestor,
       common::Clock& clock, ListenerOptions options, common::ChangeFeed* changes)
      : o_(std::move(options)),
        changes_(changes),
        outbox_(std::make_shared<Outbox>()),
        sessions_(store, clock, o_, owner.stats_, outbox_),
        packets_(ingestor, clock, o_, owner.stats_, outbox_),
        transport_(sessions_, o_, owner.stats_, outbox_->fd()) {
    sessions_.registerChannel(static_cast<std::uint8_t>(up::Kind::Packet),
                              static_cast<std::uint8_t>(up::Kind::Packet), packets_);
  }

  ~Impl() { stop(); }

  void start() {
    if (o_.maxFrameBytes < up::kMinFrameBytes || o_.maxFrameBytes > up::kMaxFrameBytes)
      throw std::runtime_error("uplink.maxFrameBytes must be from 64 to 65536, not " +
                               std::to_string(o_.maxFrameBytes));
    if (o_.window == 0) throw std::runtime_error("uplink.window must be at least 1");
    if (std::string e = store::sequenceRulesError(o_.sequence, o_.window); !e.empty())
      throw std::runtime_error(e);
    sessions_.start(transport_);
    transport_.start();
    if (changes_) {
      // On the publisher's thread: only hands the serials to the loop.
      subscription_ = changes_->subscribe([outbox = outbox_, sessions = &sessions_](
                                              const std::vector<common::Change>& changes) {
        std::vector<std::string> serials, resets;
        for (const common::Change& c : changes) {
          if (c.kind == common::Change::Kind::DeviceChanged) serials.push_back(c.serial);
          if (c.kind == common::Change::Kind::SequenceReset) resets.push_back(c.serial);
        }
        if (!resets.empty())
          outbox->post([sessions, resets = std::move(resets)] { sessions->sequenceReset(resets); });
        if (serials.empty()) return;
        outbox->post(
            [sessions, serials = std::move(serials)] { sessions->devicesChanged(serials); });
      });
    }
  }

  void stop() {
    subscription_.reset();
    transport_.stop();
    sessions_.stop();
  }

  std::uint16_t port() const { return transport_.port(); }
  void registerChannel(std::uint8_t first, std::uint8_t last, Channel& channel) {
    sessions_.registerChannel(first, last, channel);
  }
  std::shared_ptr<Outbox> outbox() const { return outbox_; }

 private:
  ListenerOptions o_;
  common::ChangeFeed* changes_;
  std::shared_ptr<Outbox> outbox_;
  Sessions sessions_;
  PacketChannel packets_;
  Transport transport_;  // after what its thread calls: destroyed (and joined) first
  common::ChangeFeed::Subscription subscription_;
};

Listener::Listener(store::DeviceDirectory& store, ingest::Ingestor& ingestor, common::Clock& clock,
                   ListenerOptions options, common::ChangeFeed* changes)
    : impl_(std::make_unique<Impl>(*this, store, ingestor, clock, std::move(options), changes)) {}

Listener::~Listener() = default;

void Listener::start() {
  impl_->start();
  port_ = impl_->port();
}

void Listener::stop() {
  impl_->stop();
}

void Listener::registerChannel(std::uint8_t first, std::uint8_t last, Channel& channel) {
  impl_->registerChannel(first, last, channel);
}

std::shared_ptr<Outbox> Listener::outbox() const {
  return impl_->outbox();
}

}  // namespace dcgw::uplink
