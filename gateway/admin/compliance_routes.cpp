// /api/v1/compliance: which vehicle units and driver cards are due or overdue for download.
#include <algorithm>
#include <limits>

#include "gateway/admin/routes.hpp"
#include "gateway/control/compliance.hpp"

namespace dcgw::admin {

void addComplianceRoutes(RouteTable& t, Api& api) {
  t.add("GET", "/api/v1/compliance", Role::Reader, [&api](Request& r) {
    control::FieldErrors e;
    std::optional<std::int64_t> location;
    if (auto l = r.param("location")) {
      location = wholeNumber(*l, 1, std::numeric_limits<std::int64_t>::max());
      if (!location) e.add("location", "a location id, not '" + *l + "'");
    }
    std::int64_t soonDays = 7;
    if (auto s = r.param("soonDays")) {
      if (auto v = wholeNumber(*s, 0, 365)) {
        soonDays = *v;
      } else {
        e.add("soonDays", "from 0 to 365 days, not '" + *s + "'");
      }
    }
    std::vector<std::string> statuses;
    if (auto s = r.param("status")) {
      std::string_view rest = *s;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string one(rest.substr(0, comma));
        if (one != "ok" && one != "due" && one != "overdue" && one != "never") {
          e.add("status", "ok, due, overdue or never, separated by commas; not '" + one + "'");
          break;
        }
        statuses.push_back(one);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    throwIfAny(e);
    if (location && !api.store.location(*location))
      throw ApiError{404, "no location " + std::to_string(*location), {}};
    const std::int64_t now = api.clock.nowMs();
    std::string out = "{\"generatedAt\":\"" + control::formatTimeMs(now) + "\",\"items\":[";
    bool first = true;
    for (const auto& item : control::compliance(api.store, location, now, soonDays * 86'400'000)) {
      const std::string status = control::statusName(item.status);
      if (!statuses.empty() &&
          std::find(statuses.begin(), statuses.end(), status) == statuses.end())
        continue;
      if (!first) out += ",";
      first = false;
      out += control::renderCompliance(item);
    }
    out += "]}";
    return r.reply(200, out);
  });
}

}  // namespace dcgw::admin
