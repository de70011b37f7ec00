// Locations: validated once, changed with their audit row in one transaction, then published.
#include "gateway/control/locations.hpp"

#include "gateway/control/validation.hpp"
#include "gateway/control/views.hpp"

namespace dcgw::control {

namespace {

std::string target(std::int64_t id) {
  return "location " + std::to_string(id);
}

std::optional<LocationView> find(store::ConfigReader& r, std::int64_t id) {
  auto l = r.location(id);
  if (!l) return std::nullopt;
  return LocationView{*l, r.deviceCount(id)};
}

Failure missing(std::int64_t id) {
  return Failure::notFound("no location " + std::to_string(id));
}

// Read in the change's transaction, so a destination cannot go away in between.
void check(store::ConfigReader& r, const store::LocationConfig& l, FieldErrors& errors) {
  if (codecs::Status s = validateLocation(l); !s) errors.add(s.error().field, s.error().expected);
  const auto listed = r.destinations();
  for (auto id : l.destinationIds) {
    bool found = false;
    for (const auto& d : listed) found = found || d.id == id;
    if (!found) {
      errors.add("destinationIds",
                 "ids of existing destinations; " + std::to_string(id) + " is not");
      return;
    }
  }
}

}  // namespace

std::string render(const LocationView& v) {
  return renderLocation(v.config, v.devices);
}

store::LocationFiles LocationFilesPatch::over(store::LocationFiles base) const {
  if (naming) base.naming = *naming;
  if (timeZone) base.timeZone = *timeZone;
  if (vehicleUnitDownloadDays) base.vehicleUnitDownloadDays = *vehicleUnitDownloadDays;
  if (driverCardDownloadDays) base.driverCardDownloadDays = *driverCardDownloadDays;
  return base;
}

std::optional<LocationView> Locations::get(std::int64_t id) {
  return find(ctx_.store, id);
}

Outcome<LocationView> Locations::create(const Actor& a, store::LocationConfig l, FieldErrors errors,
                                        const LocationFilesPatch& files) {
  std::optional<LocationView> after;
  if (files.any()) l.files = files.over(store::LocationFiles{});
  {
    auto tx = ctx_.store.begin();
    check(*tx, l, errors);
    if (!errors.empty()) return Failure::invalid(errors);
    auto id = tx->createLocation(l);
    if (!id) return Failure::fromStore(id.error());
    after = find(*tx, *id);
    ctx_.audit(*tx, a, "location.create", target(*id), std::nullopt, render(*after));
    tx->commit();
  }
  ctx_.publish(common::Change::location(after->config.id));
  return *after;
}

Outcome<LocationView> Locations::update(const Actor& a, std::int64_t id, store::LocationConfig l,
                                        FieldErrors errors, const LocationFilesPatch& files) {
  std::optional<LocationView> after;
  {
    auto tx = ctx_.store.begin();
    auto before = find(*tx, id);
    if (!before) return missing(id);
    if (files.any()) l.files = files.over(before->config.files.value_or(store::LocationFiles{}));
    check(*tx, l, errors);
    if (!errors.empty()) return Failure::invalid(errors);
    l.id = id;
    if (store::Status s = tx->updateLocation(l); !s) return Failure::fromStore(s.error());
    after = find(*tx, id);
    ctx_.audit(*tx, a, "location.update", target(id), render(*before), render(*after));
    tx->commit();
  }
  ctx_.publish(common::Change::location(id));
  return *after;
}

Outcome<Done> Locations::remove(const Actor& a, std::int64_t id) {
  {
    auto tx = ctx_.store.begin();
    auto before = find(*tx, id);
    if (!before) return missing(id);
    if (store::Status s = tx->removeLocation(id); !s) return missing(id);
    ctx_.audit(*tx, a, "location.delete", target(id), render(*before), std::nullopt);
    tx->commit();
  }
  ctx_.publish(common::Change::location(id));
  return Done{};
}

}  // namespace dcgw::control
