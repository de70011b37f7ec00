// The gateway's own packets made from a device's packets: Consolidated DDS after each DDS feed
// packet, and a New Driver notification before the first packet that names a driver (or names
// a known one differently). The rules are schema/derived-packets.md's.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/derive/deriver.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::derive {

struct DeriveOptions {
  bool consolidatedDds{true};  // "derive": {"consolidatedDds": false} turns it off
};

class PacketDeriver final : public Deriver {
 public:
  // `drivers` outlives this; read on the Ingestor's committer thread only.
  explicit PacketDeriver(store::DriverRegistry& drivers, DeriveOptions options = {})
      : drivers_(drivers), options_(options) {}

  Derivation derive(const store::IngestItem& item) override;
  void settle(bool committed, const std::vector<bool>& stored) override;

 private:
  // The driver as known now: this batch's sightings by the same device first, then the cache,
  // then the store.
  const store::DriverRecord* known(const std::string& serial, const std::string& card);

  store::DriverRegistry& drivers_;
  DeriveOptions options_;
  // Committed knowledge (a read-through cache of the registry).
  std::unordered_map<std::string, store::DriverRecord> cache_;
  // The current batch: item index -> the sighting it carries (committed when the item is).
  std::size_t seen_{0};  // items derive() saw since the last settle()
  std::vector<std::pair<std::size_t, store::DriverRecord>> pending_;
  std::unordered_map<std::string, store::DriverRecord> pendingByCard_;  // serial \n card
  // Sightings of dropped items (nothing new to forward): recorded after the batch.
  std::vector<store::DriverRecord> lastSeenOnly_;
};

}  // namespace dcgw::derive
