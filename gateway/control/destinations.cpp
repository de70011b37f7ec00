// Destinations: validated once, changed with their audit row in one transaction, then published.
#include "gateway/control/destinations.hpp"

#include "gateway/control/validation.hpp"
#include "gateway/control/views.hpp"

namespace dcgw::control {

namespace {

std::string target(std::int64_t id) {
  return "destination " + std::to_string(id);
}

// The adapters' checks (host form for the method's addressing, port required, custom tags the
// method can carry, CA file) after the parser's; a field already reported is not reported
// twice, nor the host of an unknown method.
void check(const store::DestinationConfig& d, FieldErrors& errors) {
  for (const codecs::Error& e : destinationErrors(d))
    if (!(e.field == "host" && errors.has("method"))) errors.add(e.field, e.expected);
}

// Listed: not removed (a removed one's history stays readable, but it is not found here).
std::optional<DestinationView> listed(store::ConfigReader& r, std::int64_t id) {
  auto d = r.destination(id);
  if (!d) return std::nullopt;
  for (const auto& x : r.destinations())
    if (x.id == id) return DestinationView{*d, r.locationsOf(id)};
  return std::nullopt;
}

Failure missing(std::int64_t id) {
  return Failure::notFound("no destination " + std::to_string(id));
}

}  // namespace

std::string render(const DestinationView& v) {
  return renderDestination(v.config, v.locationIds);
}

std::optional<DestinationView> Destinations::get(std::int64_t id) {
  return listed(ctx_.store, id);
}

Outcome<DestinationView> Destinations::create(const Actor& a, const store::DestinationConfig& d,
                                              FieldErrors errors) {
  check(d, errors);
  if (!errors.empty()) return Failure::invalid(errors);
  std::optional<DestinationView> after;
  {
    auto tx = ctx_.store.begin();
    auto id = tx->createDestination(d, ctx_.clock.nowMs());
    if (!id) return Failure::fromStore(id.error());
    after = listed(*tx, *id);
    ctx_.audit(*tx, a, "destination.create", target(*id), std::nullopt, render(*after));
    tx->commit();
  }
  ctx_.publish(common::Change::destination(after->config.id));
  return *after;
}

Outcome<DestinationView> Destinations::update(const Actor& a, std::int64_t id,
                                              store::DestinationConfig d, FieldErrors errors) {
  check(d, errors);
  // A missing destination is reported before the body's errors.
  if (!errors.empty()) {
    if (!listed(ctx_.store, id)) return missing(id);
    return Failure::invalid(errors);
  }
  std::optional<DestinationView> after;
  {
    auto tx = ctx_.store.begin();
    auto before = listed(*tx, id);
    if (!before) return missing(id);
    d.id = id;
    d.paused = before->config.paused;  // pausing is a queue action, not a setting
    if (store::Status s = tx->updateDestination(d, ctx_.clock.nowMs()); !s)
      return Failure::fromStore(s.error());
    after = listed(*tx, id);
    ctx_.audit(*tx, a, "destination.update", target(id), render(*before), render(*after));
    tx->commit();
  }
  ctx_.publish(common::Change::destination(id));
  return *after;
}

Outcome<DestinationView> Destinations::setEnabled(const Actor& a, std::int64_t id, bool enabled) {
  std::optional<DestinationView> after;
  {
    auto tx = ctx_.store.begin();
    auto before = listed(*tx, id);
    if (!before) return missing(id);
    store::DestinationConfig d = before->config;
    d.enabled = enabled;
    if (store::Status s = tx->updateDestination(d, ctx_.clock.nowMs()); !s)
      return Failure::fromStore(s.error());
    after = listed(*tx, id);
    ctx_.audit(*tx, a, enabled ? "destination.enable" : "destination.disable", target(id),
               render(*before), render(*after));
    tx->commit();
  }
  ctx_.publish(common::Change::destination(id));
  return *after;
}

Outcome<Done> Destinations::remove(const Actor& a, std::int64_t id) {
  {
    auto tx = ctx_.store.begin();
    auto before = listed(*tx, id);
    if (!before) return missing(id);
    if (store::Status s = tx->removeDestination(id, ctx_.clock.nowMs()); !s) return missing(id);
    ctx_.audit(*tx, a, "destination.delete", target(id), render(*before), std::nullopt);
    tx->commit();
  }
  ctx_.publish(common::Change::destination(id));
  return Done{};
}

}  // namespace dcgw::control
