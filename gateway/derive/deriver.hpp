// The seam through which the Ingestor asks what the gateway makes itself from each packet it is
// about to store (Consolidated DDS, New Driver notifications; later alerts), so derived packets
// enter the same transaction, routing, filters, queues and audit as the device's own.
#pragma once

#include <vector>

#include "codecs/bytes.hpp"
#include "gateway/store/types.hpp"

namespace dcgw::derive {

// What to store with one item, should it be stored (not a duplicate, not refused).
struct Derivation {
  std::vector<codecs::Bytes> before;         // stored just before the item, in order
  std::vector<codecs::Bytes> after;          // stored just after it, in order
  std::vector<store::DriverRecord> drivers;  // recorded in the same transaction
  // A gateway-made item that says nothing new (a New Driver for a driver known by that name):
  // not stored; its submitter hears Duplicate.
  bool drop{false};
};

class Deriver {
 public:
  virtual ~Deriver() = default;
  // Called on the Ingestor's committer thread, in batch order, once per item before the batch
  // is appended; an item's derivation may depend on the earlier items of the same batch.
  // May read the store; throws StoreError when it cannot (the batch is then refused whole).
  virtual Derivation derive(const store::IngestItem& item) = 0;
  // The fate of the items derive() saw since the last settle(), in that order: `stored[i]` is
  // true when item i was stored with its derivation. `committed` false: nothing was.
  virtual void settle(bool committed, const std::vector<bool>& stored) = 0;
};

}  // namespace dcgw::derive
