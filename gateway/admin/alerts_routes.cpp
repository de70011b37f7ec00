// /api/v1/locations/{location}/alerts: the JSON of a LocationAlertsInput (its shape), then the
// location alerts control service (schema/alerts.md).
#include "gateway/admin/routes.hpp"

namespace dcgw::admin {

namespace {

using codecs::JsonValue;

control::AlertSettingsInput parseAlerts(const JsonValue& body, control::FieldErrors& e) {
  control::AlertSettingsInput in;
  checkKnown(body, {"language", "rules", "locationId"}, e);
  in.language = stringField(body, "language", e, false);
  const JsonValue* rules = body.find("rules");
  if (!rules) {
    e.add("rules", "an array of the rules to switch on ([] for none)");
    return in;
  }
  if (!rules->isArray()) {
    e.add("rules", "an array of {\"rule\", \"threshold\"} objects");
    return in;
  }
  for (std::size_t i = 0; i < rules->asArray().size(); ++i) {
    const JsonValue& r = rules->asArray()[i];
    const std::string field = "rules[" + std::to_string(i) + "]";
    if (!r.isObject()) {
      e.add(field, "an object {\"rule\", \"threshold\"}");
      continue;
    }
    control::AlertRuleInput rule;
    const JsonValue* name = r.find("rule");
    if (!name || !name->isString()) {
      e.add(field + ".rule", "a rule name (string)");
      continue;
    }
    rule.rule = name->asString();
    if (const JsonValue* t = r.find("threshold"); t && !t->isNull()) {
      if (!t->isNumber()) {
        e.add(field + ".threshold", "a number in the rule's unit");
        continue;
      }
      rule.threshold = t->asDouble();
    }
    for (const auto& [k, v] : r.asObject())
      if (k != "rule" && k != "threshold" && k != "unit") e.add(field + "." + k, "no such member");
    in.rules.push_back(std::move(rule));
  }
  return in;
}

}  // namespace

void addLocationAlertRoutes(RouteTable& t, Api& api) {
  const std::string path = "/api/v1/locations/{location}/alerts";
  t.add("GET", path, Role::Reader, [&api](Request& r) {
    const std::int64_t id = r.id("location");
    auto s = api.locationAlerts.get(id);
    if (!s) throw ApiError{404, "no location " + std::to_string(id), {}};
    return r.reply(200, control::renderAlertSettings(*s));
  });
  t.add("PUT", path, Role::Admin, [&api](Request& r) {
    control::FieldErrors e;
    auto in = parseAlerts(r.body(), e);
    return r.reply(200, control::renderAlertSettings(
                            orThrow(api.locationAlerts.update(r.caller, r.id("location"), in, e))));
  });
  t.notAllowed(path);
}

}  // namespace dcgw::admin
