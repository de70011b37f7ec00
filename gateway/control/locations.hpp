// Locations: create, update and remove, each validated once, stored with its audit row in one
// transaction, then published (LocationChanged) for routing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gateway/control/service.hpp"

namespace dcgw::control {

// A location as the API shows it: its configuration and how many devices it has.
struct LocationView {
  store::LocationConfig config;
  std::int64_t devices{0};
};
std::string render(const LocationView& v);

// The members of a location's `files` a request gives; the others keep their value (update) or
// take the default (create).
struct LocationFilesPatch {
  std::optional<std::string> naming;
  std::optional<std::string> timeZone;
  std::optional<int> vehicleUnitDownloadDays;
  std::optional<int> driverCardDownloadDays;
  bool any() const {
    return naming || timeZone || vehicleUnitDownloadDays || driverCardDownloadDays;
  }
  store::LocationFiles over(store::LocationFiles base) const;
};

class Locations {
 public:
  explicit Locations(Context ctx) : ctx_(ctx) {}

  std::optional<LocationView> get(std::int64_t id);
  // `errors`: what the caller's parser already found; the service adds a missing name and
  // destination ids that are not (listed) destinations.
  Outcome<LocationView> create(const Actor& a, store::LocationConfig l, FieldErrors errors = {},
                               const LocationFilesPatch& files = {});
  Outcome<LocationView> update(const Actor& a, std::int64_t id, store::LocationConfig l,
                               FieldErrors errors = {}, const LocationFilesPatch& files = {});
  Outcome<Done> remove(const Actor& a, std::int64_t id);

 private:
  Context ctx_;
};

}  // namespace dcgw::control
