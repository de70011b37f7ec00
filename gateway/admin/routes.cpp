// The route table: matching a request's path and method to its handler.
#include "gateway/admin/routes.hpp"

#include <chrono>
#include <sstream>

namespace dcgw::admin {

namespace {

std::vector<std::string> split(const std::string& pattern) {
  std::vector<std::string> out;
  std::istringstream in(pattern);
  for (std::string s; std::getline(in, s, '/');)
    if (!s.empty()) out.push_back(s);
  return out;
}

bool isVar(const std::string& p) {
  return p.size() > 2 && p.front() == '{' && p.back() == '}';
}

bool isNumeric(const std::string& name) {
  return name == "destination" || name == "location" || name == "queue" || name == "entry" ||
         name == "token" || name == "file";
}

}  // namespace

Api::Api(store::Backend& s, forward::Forwarder& f, common::Clock& c, common::ChangeFeed* feed,
         MetricSources m, std::int64_t historyStepMs)
    : store(s),
      forwarder(f),
      clock(c),
      metrics(m),
      destinations(control::Context{s, c, feed}),
      locations(control::Context{s, c, feed}),
      devices(control::Context{s, c, feed}),
      queues(
          control::Context{s, c, feed}, [&f](std::int64_t id) { return f.status(id); },
          [&f](std::int64_t id) { return f.hold(id, std::chrono::seconds(5)); }),
      tokens(control::Context{s, c, feed}),
      companyCards(control::Context{s, c, feed}),
      cardBridges(control::Context{s, c, feed}),
      locationAlerts(control::Context{s, c, feed}),
      cards(m.cards),
      history(historyStepMs) {}

void RouteTable::add(std::string method, const std::string& pattern, Role role, Handler handler) {
  rows_.push_back(Row{std::move(method), split(pattern), role, std::move(handler)});
}

void RouteTable::notAllowed(const std::string& pattern) {
  add("*", pattern, Role::Reader, [](Request& r) -> int {
    throw ApiError{405, r.method + " is not allowed on " + r.path, {}};
  });
}

void RouteTable::noSuchPath(const std::string& pattern, Role role) {
  add("*", pattern, role, [](Request& r) -> int {
    throw ApiError{404, "no such path: " + r.path, {}};
  });
}

int RouteTable::dispatch(Request& r, const std::vector<std::string>& seg) const {
  for (const Row& row : rows_) {
    if (row.method != "*" && row.method != r.method) continue;
    std::map<std::string, std::string> vars;
    bool match = true;
    std::size_t i = 0;
    for (; i < row.pattern.size() && match; ++i) {
      const std::string& p = row.pattern[i];
      if (p == "**") {
        i = row.pattern.size() + 1;  // takes the rest
        break;
      }
      if (i >= seg.size()) {
        match = false;
      } else if (isVar(p)) {
        vars[p.substr(1, p.size() - 2)] = seg[i];
      } else {
        match = p == seg[i];
      }
    }
    if (!match || (i == row.pattern.size() && i != seg.size())) continue;
    if (row.role == Role::Admin && r.caller.role != "admin")
      throw ApiError{
          403, "the " + r.caller.role + " role may only read; this needs an admin token", {}};
    // Ids in path order, as a reader of the path would check them.
    for (std::size_t k = 0; k < row.pattern.size() && k < seg.size(); ++k) {
      const std::string& p = row.pattern[k];
      if (isVar(p) && isNumeric(p.substr(1, p.size() - 2)))
        idParam(seg[k], p.substr(1, p.size() - 2).c_str());
    }
    r.vars = std::move(vars);
    return row.handler(r);
  }
  throw ApiError{404, "no such path: " + r.path, {}};
}

RouteTable makeRoutes(Api& api) {
  RouteTable t;
  addMetricsRoutes(t, api);
  addMetaRoutes(t, api);
  addDestinationRoutes(t, api);
  addLocationAlertRoutes(t, api);  // before the locations' "no such path" row
  addLocationRoutes(t, api);
  addDeviceRoutes(t, api);
  addQueueRoutes(t, api);
  addAuditRoutes(t, api);
  addTokenRoutes(t, api);
  addDriverRoutes(t, api);
  addCardRoutes(t, api);
  addCardBridgeRoutes(t, api);
  addFileRoutes(t, api);
  addComplianceRoutes(t, api);
  return t;
}

}  // namespace dcgw::admin
