// Consolidated DDS and New Driver decisions on the committer thread, with a cache of known drivers.
#include "gateway/derive/packet_deriver.hpp"

#include <spdlog/spdlog.h>

#include "codecs/packets/derived.hpp"

namespace dcgw::derive {
namespace {
constexpr std::size_t kCacheLimit = 100'000;  // drivers; cleared (and read again) beyond
}  // namespace

const store::DriverRecord* PacketDeriver::known(const std::string& serial,
                                                const std::string& card) {
  // Only the same device's earlier items count: another device's may yet be refused whole
  // (an unknown device), and this item would then have passed its driver over in silence.
  if (auto p = pendingByCard_.find(serial + '\n' + card); p != pendingByCard_.end())
    return &p->second;
  if (auto c = cache_.find(card); c != cache_.end()) return &c->second;
  auto stored = drivers_.driver(card);
  if (!stored) return nullptr;
  if (cache_.size() >= kCacheLimit) cache_.clear();
  return &cache_.emplace(card, std::move(*stored)).first->second;
}

Derivation PacketDeriver::derive(const store::IngestItem& item) {
  const std::size_t index = seen_++;
  Derivation d;
  const codecs::ByteView packet(item.packet);
  if (!item.gatewayMade && options_.consolidatedDds && codecs::isDdsFeed(packet)) {
    auto dds = codecs::consolidatedDds(packet);
    if (dds) {
      d.after.push_back(std::move(*dds));
    } else {
      spdlog::warn("device {}: no Consolidated DDS from its packet: {}", item.serial,
                   dds.error().message());
    }
  }
  // A gateway-made packet names a driver only as a New Driver (from a driver card file); a
  // device's only in a new-digipostpro Clocking packet (section 11.2).
  const bool ownNotice = item.gatewayMade && !packet.empty() && packet[0] == 0x44;
  if (item.gatewayMade && !ownNotice) return d;
  // A device's New Driver packet (0x44) is forwarded as it is and derives nothing: only its
  // Clocking packet of section 11.2, whose layout the notice below is cut from, names a driver.
  const bool clocking = packet.size() >= 194 && packet[0] == 0x6B && packet[1] == 0x01;
  if (!item.gatewayMade && !clocking) return d;
  auto named = codecs::driverNamedIn(packet);
  if (!named) return d;
  store::DriverRecord sighting{named->cardNumber, named->surname,    named->firstNames,
                               item.receivedAtMs, item.receivedAtMs, item.serial};
  const store::DriverRecord* before = known(item.serial, named->cardNumber);
  const bool news =
      !before || before->surname != named->surname || before->firstNames != named->firstNames;
  if (before) sighting.firstSeenAtMs = before->firstSeenAtMs;
  if (!news && ownNotice) {
    d.drop = true;  // the file tells nothing new: nothing is forwarded
    lastSeenOnly_.push_back(std::move(sighting));
    return d;
  }
  if (news && !ownNotice) {
    // The section 8 fields are the Clocking packet's own bytes (11.2 offsets 6, 54, 124).
    codecs::Bytes notice{0x44, 0x00};
    notice.insert(notice.end(), packet.begin() + 6, packet.begin() + 20);
    notice.insert(notice.end(), packet.begin() + 54, packet.begin() + 194);
    d.before.push_back(std::move(notice));
  }
  d.drivers.push_back(sighting);
  pendingByCard_[item.serial + '\n' + sighting.cardNumber] = sighting;
  pending_.emplace_back(index, std::move(sighting));
  return d;
}

void PacketDeriver::settle(bool committed, const std::vector<bool>& stored) {
  if (committed) {
    for (auto& [index, record] : pending_)
      if (index < stored.size() && stored[index]) cache_[record.cardNumber] = std::move(record);
    if (!lastSeenOnly_.empty()) {
      try {
        drivers_.recordDrivers(lastSeenOnly_);
        for (auto& r : lastSeenOnly_) cache_[r.cardNumber] = std::move(r);
      } catch (const store::StoreError& e) {
        // Only a last-seen time is lost; the notice decision never depends on it.
        spdlog::warn("drivers: could not record {} sightings: {}", lastSeenOnly_.size(), e.what());
      }
    }
  }
  seen_ = 0;
  pending_.clear();
  pendingByCard_.clear();
  lastSeenOnly_.clear();
}

}  // namespace dcgw::derive
