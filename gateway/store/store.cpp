// What every backend shares: the names of categories and outcomes, and the one-call helpers of
// the interfaces (each a transaction of its own).
#include "gateway/store/interfaces.hpp"

namespace dcgw::store {

std::string_view categoryName(ErrorCategory c) {
  switch (c) {
    case ErrorCategory::Invalid:
      return "invalid";
    case ErrorCategory::Conflict:
      return "conflict";
    case ErrorCategory::NotFound:
      return "not found";
    case ErrorCategory::Full:
      return "full";
    case ErrorCategory::Unavailable:
      return "unavailable";
    case ErrorCategory::Corrupt:
      return "corrupt";
    case ErrorCategory::Busy:
      return "busy";
    case ErrorCategory::Fenced:
      return "fenced";
    case ErrorCategory::Internal:
      break;
  }
  return "internal";
}

std::string_view outcomeName(AttemptResult::Outcome o) {
  switch (o) {
    case AttemptResult::Outcome::Delivered:
      return "delivered";
    case AttemptResult::Outcome::Never:
      return "never";
    case AttemptResult::Outcome::Retry:
      break;
  }
  return "failed";
}

namespace {

// Runs one change in a transaction of its own; commits only what succeeded.
template <class F>
auto inTransaction(ConfigStore& store, F&& f) {
  auto tx = store.begin();
  auto r = f(*tx);
  if (r.ok()) tx->commit();
  return r;
}

// Runs one action in a transaction of its own and commits it.
template <class F>
auto inAction(ConfigStore& store, F&& f) {
  auto tx = store.begin();
  auto r = f(*tx);
  tx->commit();
  return r;
}

}  // namespace

Result<std::int64_t> ConfigStore::createDestination(const DestinationConfig& d,
                                                    std::int64_t nowMs) {
  return inTransaction(*this, [&](AdminTransaction& tx) { return tx.createDestination(d, nowMs); });
}
Status ConfigStore::updateDestination(const DestinationConfig& d, std::int64_t nowMs) {
  return inTransaction(*this, [&](AdminTransaction& tx) { return tx.updateDestination(d, nowMs); });
}
Status ConfigStore::removeDestination(std::int64_t id, std::int64_t nowMs) {
  return inTransaction(*this,
                       [&](AdminTransaction& tx) { return tx.removeDestination(id, nowMs); });
}
Status ConfigStore::setPaused(std::int64_t id, bool paused) {
  return inTransaction(*this, [&](AdminTransaction& tx) { return tx.setPaused(id, paused); });
}
Result<std::int64_t> ConfigStore::createLocation(const LocationConfig& l) {
  return inTransaction(*this, [&](AdminTransaction& tx) { return tx.createLocation(l); });
}
Status ConfigStore::updateLocation(const LocationConfig& l) {
  return inTransaction(*this, [&](AdminTransaction& tx) { return tx.updateLocation(l); });
}
Status ConfigStore::removeLocation(std::int64_t id) {
  return inTransaction(*this, [&](AdminTransaction& tx) { return tx.removeLocation(id); });
}
Status ConfigStore::upsertDevice(const DeviceConfig& d) {
  return inTransaction(*this, [&](AdminTransaction& tx) { return tx.upsertDevice(d); });
}
Status ConfigStore::removeDevice(const std::string& serial) {
  return inTransaction(*this, [&](AdminTransaction& tx) { return tx.removeDevice(serial); });
}
std::pair<TokenRecord, std::string> ConfigStore::createToken(const std::string& name,
                                                             const std::string& role,
                                                             std::int64_t nowMs) {
  auto tx = begin();
  auto t = tx->createToken(name, role, nowMs);
  tx->commit();
  return t;
}

bool ConfigStore::revokeToken(std::int64_t id, std::int64_t nowMs) {
  return inAction(*this, [&](AdminTransaction& tx) { return tx.revokeToken(id, nowMs); });
}
bool ConfigStore::removeRefusedIdent(const std::string& serial) {
  return inAction(*this, [&](AdminTransaction& tx) { return tx.removeRefusedIdent(serial); });
}
bool ConfigStore::skipBlocking(std::int64_t destinationId, const std::string& reason,
                               std::int64_t nowMs, std::optional<std::int64_t> expectedId) {
  return inAction(*this, [&](AdminTransaction& tx) {
    return tx.skipBlocking(destinationId, reason, nowMs, expectedId);
  });
}
int ConfigStore::requeueDead(std::int64_t destinationId) {
  return inAction(*this, [&](AdminTransaction& tx) { return tx.requeueDead(destinationId); });
}
int ConfigStore::replayFrom(std::int64_t destinationId, std::int64_t fromMs) {
  return inAction(*this,
                  [&](AdminTransaction& tx) { return tx.replayFrom(destinationId, fromMs); });
}
void ConfigStore::retryNow(std::int64_t destinationId) {
  inAction(*this, [&](AdminTransaction& tx) {
    tx.retryNow(destinationId);
    return true;
  });
}
void ConfigStore::appendAudit(const AuditRecord& r) {
  inAction(*this, [&](AdminTransaction& tx) {
    tx.appendAudit(r);
    return true;
  });
}

std::optional<PendingDelivery> DeliveryQueue::nextPending(std::int64_t destinationId) {
  auto batch = pendingBatch(destinationId, 1);
  if (batch.empty()) return std::nullopt;
  return std::move(batch.front());
}

void DeliveryQueue::recordAttempt(std::int64_t destinationId, std::int64_t deliveryId,
                                  const AttemptResult& r, std::int64_t nowMs,
                                  const DestinationState& after) {
  recordAttempts(destinationId, {Attempt{deliveryId, r, nowMs}}, after);
}

}  // namespace dcgw::store
