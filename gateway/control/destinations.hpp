// Destinations: create, update, enable/disable and remove, each validated once, stored with its
// audit row in one transaction, then published (DestinationChanged) for the forwarder and routing.
#pragma once

#include <cstdint>
#include <vector>

#include "gateway/control/service.hpp"

namespace dcgw::control {

// A destination as the API shows it: its settings and the locations that use it.
struct DestinationView {
  store::DestinationConfig config;
  std::vector<std::int64_t> locationIds;
};
std::string render(const DestinationView& v);

class Destinations {
 public:
  explicit Destinations(Context ctx) : ctx_(ctx) {}

  // The listed (not removed) destination; nullopt when there is none.
  std::optional<DestinationView> get(std::int64_t id);

  // `errors`: what the caller's parser already found wrong with the input; the service adds the
  // adapters' checks and refuses with every error at once.
  Outcome<DestinationView> create(const Actor& a, const store::DestinationConfig& d,
                                  FieldErrors errors = {});
  // Settings only: pausing is a queue action, so `paused` is kept as it is.
  Outcome<DestinationView> update(const Actor& a, std::int64_t id, store::DestinationConfig d,
                                  FieldErrors errors = {});
  Outcome<DestinationView> setEnabled(const Actor& a, std::int64_t id, bool enabled);
  Outcome<Done> remove(const Actor& a, std::int64_t id);

 private:
  Context ctx_;
};

}  // namespace dcgw::control
