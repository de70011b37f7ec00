// A Deriver that defers to another and, once a batch is committed, tells an observer of each DDS
// packet (0x4D / 0x6D) a device sent that was stored: the alert engine's driving-time hook.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/derive/deriver.hpp"

namespace dcgw::derive {

class ObservedDeriver final : public Deriver {
 public:
  using Observer = std::function<void(const std::string& serial, codecs::ByteView packet)>;
  ObservedDeriver(Deriver& inner, Observer observer)
      : inner_(inner), observer_(std::move(observer)) {}

  Derivation derive(const store::IngestItem& item) override {
    const bool dds = !item.gatewayMade && !item.location && !item.packet.empty() &&
                     (item.packet[0] == 0x4D || item.packet[0] == 0x6D);
    pending_.push_back(dds ? std::optional(std::pair(item.serial, item.packet)) : std::nullopt);
    return inner_.derive(item);
  }
  void settle(bool committed, const std::vector<bool>& stored) override {
    inner_.settle(committed, stored);
    if (committed && observer_)
      for (std::size_t i = 0; i < pending_.size() && i < stored.size(); ++i)
        if (stored[i] && pending_[i])
          observer_(pending_[i]->first,
                    codecs::ByteView(pending_[i]->second.data(), pending_[i]->second.size()));
    pending_.clear();
  }

 private:
  Deriver& inner_;
  Observer observer_;
  // The items derive() saw since the last settle(), in order (only DDS packets are kept).
  std::vector<std::optional<std::pair<std::string, codecs::Bytes>>> pending_;
};

}  // namespace dcgw::derive
