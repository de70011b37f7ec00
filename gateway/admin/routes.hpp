// The admin API as a table of routes: {method, path pattern, role, handler}, one file per
// resource adding its rows (destinations_routes.cpp, locations_routes.cpp, ...). The table
// finds the first row whose pattern and method match; "*" matches any method, so a row of "*"
// after a path's rows answers 405 for the methods it does not take.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "gateway/admin/api_server.hpp"
#include "gateway/admin/http.hpp"
#include "gateway/admin/queue_history.hpp"
#include "gateway/cardauth/live.hpp"
#include "gateway/control/alerts.hpp"
#include "gateway/control/card_bridges.hpp"
#include "gateway/control/cards.hpp"
#include "gateway/control/destinations.hpp"
#include "gateway/control/devices.hpp"
#include "gateway/control/locations.hpp"
#include "gateway/control/queues.hpp"
#include "gateway/control/tokens.hpp"

namespace dcgw::admin {

// What the handlers work with: the control services for changes, the store, forwarder (its
// workers' status), metric sources and the card relay's live state for reads.
struct Api {
  Api(store::Backend& store, forward::Forwarder& forwarder, common::Clock& clock,
      common::ChangeFeed* feed, MetricSources metrics, std::int64_t historyStepMs = 10'000);

  store::Backend& store;
  forward::Forwarder& forwarder;
  common::Clock& clock;
  MetricSources metrics;
  control::Destinations destinations;
  control::Locations locations;
  control::Devices devices;
  control::Queues queues;
  control::Tokens tokens;
  control::Cards companyCards;
  control::CardBridges cardBridges;
  control::LocationAlerts locationAlerts;
  // What the running card relay reports (cards online, in use, queued; bridges connected);
  // null when the relay is not configured: every card shows offline, every bridge disconnected.
  // From MetricSources::cards.
  const cardauth::LiveStatus* cards{nullptr};
  // Each queue's depth and deliveries over the last hour and day, sampled by the ApiServer.
  QueueHistory history;
};

// Who may call a route. Besides it, every method other than GET and HEAD needs an admin token
// whatever the path (so a refused write leaves no trace, found or not).
enum class Role { Reader, Admin };

class RouteTable {
 public:
  using Handler = std::function<int(Request&)>;

  // pattern: "/api/v1/queues/{queue}/entries/{entry}"; "{name}" takes one segment (checked as
  // a decimal id when the name is destination, location, queue, entry or token: else 404 "no
  // <name> '<text>'"); a final "**" takes any number of segments, none included.
  void add(std::string method, const std::string& pattern, Role role, Handler handler);
  // A "*" row answering 405 (the methods the rows before it do not take).
  void notAllowed(const std::string& pattern);
  // A "*" row answering 404 "no such path" once the pattern's ids are checked.
  void noSuchPath(const std::string& pattern, Role role = Role::Reader);

  // segments: the decoded path segments. Throws ApiError 404 when no row matches.
  int dispatch(Request& r, const std::vector<std::string>& segments) const;

 private:
  struct Row {
    std::string method;
    std::vector<std::string> pattern;
    Role role;
    Handler handler;
  };
  std::vector<Row> rows_;
};

// Each resource's rows, in the order they are matched.
void addMetaRoutes(RouteTable& t, Api& api);  // /me, /filter-keys, /methods
void addDestinationRoutes(RouteTable& t, Api& api);
void addLocationRoutes(RouteTable& t, Api& api);
void addLocationAlertRoutes(RouteTable& t, Api& api);  // /locations/{location}/alerts
void addDeviceRoutes(RouteTable& t, Api& api);         // devices and refused idents
void addQueueRoutes(RouteTable& t, Api& api);
void addAuditRoutes(RouteTable& t, Api& api);
void addTokenRoutes(RouteTable& t, Api& api);
void addDriverRoutes(RouteTable& t, Api& api);  // /drivers (schema/derived-packets.md)
// /cards, /card-events, /devices/{serial}/card-events and card-sessions (cards_routes.cpp)
void addCardRoutes(RouteTable& t, Api& api);
void addCardBridgeRoutes(RouteTable& t, Api& api);
// /devices/{serial}/files, /files/{file}, /files/{file}/content (files_routes.cpp)
void addFileRoutes(RouteTable& t, Api& api);
void addComplianceRoutes(RouteTable& t, Api& api);  // tachograph download compliance
void addMetricsRoutes(RouteTable& t, Api& api);     // /metrics (Prometheus text)

// The whole table.
RouteTable makeRoutes(Api& api);

}  // namespace dcgw::admin
