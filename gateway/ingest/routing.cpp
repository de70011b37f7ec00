// device -> location -> destinations -> filter, over a snapshot.
#include "gateway/ingest/routing.hpp"

#include <algorithm>
#include <cstring>

#include "codecs/packets/registry.hpp"

namespace dcgw::ingest {

bool filterTakes(const std::optional<std::vector<std::string>>& filter, const char* filterKey) {
  if (!filter) return true;
  if (!filterKey) return false;
  return std::any_of(filter->begin(), filter->end(),
                     [&](const std::string& k) { return k == filterKey; });
}

store::RoutedItem route(const store::RoutingTable& table, const store::IngestItem& item) {
  store::RoutedItem r;
  const auto& p = item.packet;
  r.type = p.empty() ? 0 : p[0];
  const codecs::PacketKind* kind =
      codecs::findPacketKind(p.empty() ? 0 : p[0], p.size() > 1 ? p[1] : 0);
  r.filterKey = kind ? kind->filterKey : nullptr;
  r.registration = item.registration;
  const auto d = table.devices.find(item.serial);
  const bool known = d != table.devices.end();
  if (known && r.registration.empty()) r.registration = d->second.registration;
  // The gateway's own packet for a location goes there; a device's to the device's location.
  std::optional<std::int64_t> location = item.location;
  if (!location && known) location = d->second.location;
  if (location) {
    if (auto routes = table.routes.find(*location); routes != table.routes.end()) {
      for (const auto& route : routes->second) {
        if (filterTakes(route.filter, r.filterKey)) {
          r.deliverTo.push_back(route.destination);
        } else {
          r.filteredOut.push_back(route.destination);
        }
      }
    }
  }
  r.item = &item;
  return r;
}

std::vector<store::AppendOutcome> RoutedAppender::append(
    const std::vector<store::IngestItem>& items, std::vector<std::int64_t>& touched) {
  std::vector<store::RoutedItem> routed;
  routed.reserve(items.size());
  // A configuration that changes between the snapshot and the commit costs one more round; one
  // that keeps changing for this long is a store that cannot take packets now.
  for (int round = 0; round < 100; ++round) {
    if (!table_ || stale_.exchange(false)) table_ = config_.routingTable();
    routed.clear();
    for (const auto& item : items) routed.push_back(route(*table_, item));
    auto results = log_.append(routed, table_->version, rules_);
    if (!results) {
      table_.reset();
      continue;
    }
    for (std::size_t i = 0; i < routed.size(); ++i) {
      if ((*results)[i] != store::AppendOutcome::Stored) continue;
      for (std::int64_t d : routed[i].deliverTo)
        if (std::find(touched.begin(), touched.end(), d) == touched.end()) touched.push_back(d);
    }
    return std::move(*results);
  }
  throw store::StoreError(store::ErrorCategory::Busy,
                          "the configuration kept changing while packets were routed");
}

}  // namespace dcgw::ingest
