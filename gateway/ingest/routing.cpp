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

DerivedItems DerivedItems::of(const store::IngestItem& source, derive::Derivation d) {
  DerivedItems out;
  auto made = [&](codecs::Bytes packet) {
    store::IngestItem i;
    i.serial = source.serial;
    i.registration = source.registration;
    i.packet = std::move(packet);
    i.receivedAtMs = source.receivedAtMs;
    i.gatewayMade = true;
    return i;
  };
  for (auto& p : d.before) out.before.push_back(made(std::move(p)));
  for (auto& p : d.after) out.after.push_back(made(std::move(p)));
  out.drivers = std::move(d.drivers);
  out.drop = d.drop;
  return out;
}

std::vector<store::AppendOutcome> RoutedAppender::append(
    const std::vector<store::IngestItem>& items, std::vector<std::int64_t>& touched,
    const std::vector<DerivedItems>* derived) {
  std::vector<store::RoutedItem> routed;
  routed.reserve(items.size());
  std::vector<std::size_t> index;  // items[index[k]] is routed[k]; dropped items are not there
  // A configuration that changes between the snapshot and the commit costs one more round; one
  // that keeps changing for this long is a store that cannot take packets now.
  for (int round = 0; round < 100; ++round) {
    if (!table_ || stale_.exchange(false)) table_ = config_.routingTable();
    routed.clear();
    index.clear();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const DerivedItems* d = derived ? &(*derived)[i] : nullptr;
      if (d && d->drop) continue;
      store::RoutedItem r = route(*table_, items[i]);
      if (d) {
        for (const auto& b : d->before) r.before.push_back(route(*table_, b));
        for (const auto& a : d->after) r.after.push_back(route(*table_, a));
        r.drivers = d->drivers;
      }
      routed.push_back(std::move(r));
      index.push_back(i);
    }
    std::optional<std::vector<store::AppendOutcome>> results;
    if (routed.empty()) {
      results.emplace();
    } else {
      results = log_.append(routed, table_->version, rules_);
    }
    if (!results) {
      table_.reset();
      continue;
    }
    auto addTouched = [&](const store::RoutedItem& r) {
      for (std::int64_t d : r.deliverTo)
        if (std::find(touched.begin(), touched.end(), d) == touched.end()) touched.push_back(d);
    };
    std::vector<store::AppendOutcome> out(items.size(), store::AppendOutcome::Duplicate);
    for (std::size_t k = 0; k < routed.size(); ++k) {
      out[index[k]] = (*results)[k];
      if ((*results)[k] != store::AppendOutcome::Stored) continue;
      for (const auto& b : routed[k].before) addTouched(b);
      addTouched(routed[k]);
      for (const auto& a : routed[k].after) addTouched(a);
    }
    return out;
  }
  throw store::StoreError(store::ErrorCategory::Busy,
                          "the configuration kept changing while packets were routed");
}

}  // namespace dcgw::ingest
