// A location's alert settings: rule names, thresholds in their units, language, audited.
#include "gateway/control/alerts.hpp"

#include <algorithm>
#include <cmath>

#include "codecs/json.hpp"
#include "gateway/alerts/rules.hpp"

namespace dcgw::control {

namespace {

std::string target(std::int64_t id) {
  return "location " + std::to_string(id) + " alerts";
}

}  // namespace

std::string renderAlertSettings(const store::AlertSettings& s) {
  std::string out;
  codecs::JsonWriter w(out);
  w.beginObject();
  w.key("locationId");
  w.integer(s.locationId);
  w.key("language");
  w.string(s.language);
  w.key("rules");
  w.beginArray();
  for (const auto& r : s.rules) {
    const alerts::RuleInfo* info = alerts::findRule(r.rule);
    const std::int64_t unit = info ? info->unitSeconds : 1;
    w.beginObject();
    w.key("rule");
    w.string(r.rule);
    w.key("threshold");
    if (r.thresholdSeconds % unit == 0) {
      w.integer(r.thresholdSeconds / unit);
    } else {
      w.number(static_cast<double>(r.thresholdSeconds) / static_cast<double>(unit));
    }
    w.key("unit");
    w.string(info ? info->unit : "none");
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return out;
}

std::optional<store::AlertSettings> LocationAlerts::get(std::int64_t locationId) {
  if (!ctx_.store.location(locationId)) return std::nullopt;
  return ctx_.store.alertSettings(locationId);
}

Outcome<store::AlertSettings> LocationAlerts::update(const Actor& a, std::int64_t locationId,
                                                     const AlertSettingsInput& in,
                                                     FieldErrors errors) {
  store::AlertSettings after;
  {
    auto tx = ctx_.store.begin();
    if (!tx->location(locationId))
      return Failure::notFound("no location " + std::to_string(locationId));
    const store::AlertSettings before = tx->alertSettings(locationId);
    after.locationId = locationId;
    after.language = in.language.value_or(before.language);
    if (!alerts::isLanguage(after.language))
      errors.add("language", "one of en, de, fr, es, not '" + after.language + "'");
    for (std::size_t i = 0; i < in.rules.size(); ++i) {
      const auto& r = in.rules[i];
      const std::string field = "rules[" + std::to_string(i) + "]";
      const alerts::RuleInfo* info = alerts::findRule(r.rule);
      if (!info) {
        errors.add(field + ".rule",
                   "device-silent, destination-failing, card-expiry, vu-download-overdue, "
                   "card-download-overdue or time-warning, not '" +
                       r.rule + "'");
        continue;
      }
      bool duplicate = false;
      for (const auto& taken : after.rules) duplicate = duplicate || taken.rule == r.rule;
      if (duplicate) {
        errors.add(field + ".rule", "each rule once ('" + r.rule + "' is listed twice)");
        continue;
      }
      const bool none = std::string(info->unit) == "none";
      const double t = none ? 0 : r.threshold.value_or(info->defaultThreshold);
      const double seconds = t * static_cast<double>(info->unitSeconds);
      // Kept to the second; ten years is more than any rule means.
      if (!std::isfinite(seconds) || std::llround(seconds) < info->minSeconds ||
          seconds > 3650.0 * 86400) {
        errors.add(field + ".threshold", std::string("a number of ") + info->unit +
                                             " of at least " + std::to_string(info->minSeconds) +
                                             " second(s) and at most 3650 days");
        continue;
      }
      after.rules.push_back({r.rule, static_cast<std::int64_t>(std::llround(seconds))});
    }
    if (!errors.empty()) return Failure::invalid(errors);
    std::sort(after.rules.begin(), after.rules.end(),
              [](const auto& x, const auto& y) { return x.rule < y.rule; });
    if (store::Status s = tx->setAlertSettings(after); !s) return Failure::fromStore(s.error());
    ctx_.audit(*tx, a, "location.alerts", target(locationId), renderAlertSettings(before),
               renderAlertSettings(after));
    tx->commit();
  }
  ctx_.publish(common::Change::location(locationId));
  return after;
}

}  // namespace dcgw::control
