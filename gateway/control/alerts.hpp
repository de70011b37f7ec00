// Each location's alert settings (schema/alerts.md): validated once, stored with their audit
// row in one transaction, then published (LocationChanged) so the alert engine re-evaluates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/control/service.hpp"

namespace dcgw::control {

// A rule as the API gives it: its name and threshold in the rule's unit (nullopt: the rule's
// default; a rule without a threshold takes none).
struct AlertRuleInput {
  std::string rule;
  std::optional<double> threshold;
};
struct AlertSettingsInput {
  std::optional<std::string> language;  // nullopt: keep the location's
  std::vector<AlertRuleInput> rules;    // the rules on; every other is off
};

// The JSON of schema/openapi.yaml's LocationAlerts.
std::string renderAlertSettings(const store::AlertSettings& s);

class LocationAlerts {
 public:
  explicit LocationAlerts(Context ctx) : ctx_(ctx) {}

  std::optional<store::AlertSettings> get(std::int64_t locationId);
  // `errors`: what the caller's parser already found (the input's shape).
  Outcome<store::AlertSettings> update(const Actor& a, std::int64_t locationId,
                                       const AlertSettingsInput& in, FieldErrors errors = {});

 private:
  Context ctx_;
};

}  // namespace dcgw::control
