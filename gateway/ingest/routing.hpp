// Routing as a pure function: which destinations take a device's packet, over a snapshot of the
// configuration (device -> location -> the location's enabled destinations -> each one's packet
// filter). No store, no clock, no lock: the Ingestor reads the snapshot, routes a batch, and
// the store appends the result in one transaction that also checks the snapshot is current.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "gateway/derive/deriver.hpp"
#include "gateway/store/interfaces.hpp"

namespace dcgw::ingest {

// Routes one packet; the result points at `item`. A device the snapshot does not know gets no
// destination (the store's transaction then reports it unknown). `registration` is the packet's, or
// else the device's.
store::RoutedItem route(const store::RoutingTable& table, const store::IngestItem& item);

// Whether a destination's filter takes a packet of this filter key (nullopt filter: every
// packet, types not known yet included; a null key, an unknown type: only that).
bool filterTakes(const std::optional<std::vector<std::string>>& filter, const char* filterKey);

// An item's derivation (gateway/derive/deriver.hpp) as items the store can append: the derived
// packets carry the source's serial, registration and time, and no sequence.
struct DerivedItems {
  std::vector<store::IngestItem> before, after;
  std::vector<store::DriverRecord> drivers;
  bool drop{false};  // not appended at all: reported Duplicate
  static DerivedItems of(const store::IngestItem& source, derive::Derivation d);
};

// Routes batches over a cached snapshot and appends them. The store refuses an append whose
// snapshot is older than its configuration; the batch is then routed again on a fresh one.
class RoutedAppender {
 public:
  // `rules`: how sequences compare with a device's mark (store/sequence.hpp).
  RoutedAppender(store::ConfigStore& config, store::IngestLog& log, store::SequenceRules rules = {})
      : config_(config), log_(log), rules_(rules) {}
  // The configuration changed (any thread): the next batch reads a fresh snapshot.
  void invalidate() { stale_ = true; }
  // One outcome per item; `touched` gets the destinations that received rows. Throws
  // StoreError when the store cannot commit (nothing of the batch is then stored).
  // REQUIRES: one caller at a time.
  // `derived` (null, or one per item): each derived packet is routed on its own and stored with
  // its source, only when the source is (store::RoutedItem::before/after).
  std::vector<store::AppendOutcome> append(const std::vector<store::IngestItem>& items,
                                           std::vector<std::int64_t>& touched,
                                           const std::vector<DerivedItems>* derived = nullptr);

 private:
  store::ConfigStore& config_;
  store::IngestLog& log_;
  store::SequenceRules rules_;
  std::optional<store::RoutingTable> table_;
  std::atomic<bool> stale_{true};
};

}  // namespace dcgw::ingest
