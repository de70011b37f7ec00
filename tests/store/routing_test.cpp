// Routing as a pure function over a configuration snapshot: device -> location -> the location's
// destinations -> each destination's packet filter (seed 004 section 6, figures 5-6).
#include <gtest/gtest.h>

#include "gateway/ingest/routing.hpp"

namespace dcgw::ingest {
namespace {

store::RoutingTable table() {
  store::RoutingTable t;
  t.version = 7;
  t.devices["12345678"] = {10, "AB12CDE"};
  t.devices["00000001"] = {std::nullopt, "NOLOC"};
  t.devices["00000002"] = {99, ""};  // a location without destinations
  t.routes[10] = {
      {1, std::nullopt},                                                 // every packet
      {2, std::vector<std::string>{}},                                   // none
      {3, std::vector<std::string>{"Sensors", "Tracking suppression"}},  // two keys
  };
  return t;
}

store::IngestItem item(const std::string& serial, codecs::Bytes packet,
                       const std::string& registration = "") {
  store::IngestItem i;
  i.serial = serial;
  i.packet = std::move(packet);
  i.registration = registration;
  return i;
}

TEST(Routing, EachDestinationOfTheLocationTakesWhatItsFilterSelects) {
  const auto r = route(table(), item("12345678", {0x47, 0x02, 0, 0, 0, 1, 1}));
  EXPECT_EQ(r.deliverTo, (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(r.filteredOut, (std::vector<std::int64_t>{2}));
  EXPECT_STREQ(r.filterKey, "Tracking suppression");
  EXPECT_EQ(r.type, 0x47);
}

TEST(Routing, AKeyNoFilterNamesGoesOnlyToSelectAll) {
  const auto r = route(table(), item("12345678", {0x47, 0x01, 0, 0, 0, 1}));  // Positional update
  EXPECT_EQ(r.deliverTo, (std::vector<std::int64_t>{1}));
  EXPECT_EQ(r.filteredOut, (std::vector<std::int64_t>{2, 3}));
}

TEST(Routing, AnUnknownPacketTypeGoesOnlyToSelectAll) {
  // Seed 004 section 5: new types are accepted and forwarded; a filter of keys cannot name them.
  const auto r = route(table(), item("12345678", {0x99, 0x00, 1, 2, 3}));
  EXPECT_EQ(r.filterKey, nullptr);
  EXPECT_EQ(r.deliverTo, (std::vector<std::int64_t>{1}));
  EXPECT_EQ(r.filteredOut, (std::vector<std::int64_t>{2, 3}));
}

TEST(Routing, TheRegistrationIsThePacketsOrElseTheDevices) {
  EXPECT_EQ(route(table(), item("12345678", {0x47, 0x02})).registration, "AB12CDE");
  EXPECT_EQ(route(table(), item("12345678", {0x47, 0x02}, "ZZ99")).registration, "ZZ99");
}

TEST(Routing, NoLocationOrNoDestinationsOrNoDeviceMeansNoDelivery) {
  for (const char* serial : {"00000001", "00000002", "unknown"}) {
    const auto r = route(table(), item(serial, {0x47, 0x02}));
    EXPECT_TRUE(r.deliverTo.empty()) << serial;
    EXPECT_TRUE(r.filteredOut.empty()) << serial;
  }
  EXPECT_EQ(route(table(), item("00000001", {0x47, 0x02})).registration, "NOLOC");
}

TEST(Routing, TheItemIsCarriedThroughWithoutACopy) {
  store::IngestItem i = item("12345678", {0x47, 0x02, 9});
  i.sequence = 42;
  i.receivedAtMs = 1234;
  i.session = 5;
  const auto r = route(table(), i);
  EXPECT_EQ(r.item, &i) << "the caller's item, not a copy";
  EXPECT_EQ(r.item->sequence, 42u);
  EXPECT_EQ(r.item->receivedAtMs, 1234);
  EXPECT_EQ(r.item->session, 5u);
}

TEST(FilterTakes, NullIsEverythingEmptyIsNothing) {
  EXPECT_TRUE(filterTakes(std::nullopt, nullptr));
  EXPECT_TRUE(filterTakes(std::nullopt, "Sensors"));
  EXPECT_FALSE(filterTakes(std::vector<std::string>{}, "Sensors"));
  EXPECT_FALSE(filterTakes(std::vector<std::string>{"Sensors"}, nullptr));
  EXPECT_TRUE(filterTakes(std::vector<std::string>{"Sensors"}, "Sensors"));
}

}  // namespace
}  // namespace dcgw::ingest

namespace dcgw::ingest {
namespace {

// An alert the gateway makes for a location (schema/alerts.md, seed 004 section 7): routed to
// that location by the item, not by a device; 00000000 is no device at all.
TEST(Routing, AnItemNamingItsLocationGoesToThatLocationsDestinationsWithoutADevice) {
  auto t = table();
  t.routes[20] = {{4, std::nullopt},
                  {5, std::vector<std::string>{"Notifications"}},
                  {6, std::vector<std::string>{"Sensors"}}};
  store::IngestItem alert = item("00000000", {0x61, 0x00});
  alert.location = 20;
  const auto r = route(t, alert);
  EXPECT_EQ(r.deliverTo, (std::vector<std::int64_t>{4, 5}));
  EXPECT_EQ(r.filteredOut, (std::vector<std::int64_t>{6}));
  EXPECT_STREQ(r.filterKey, "Notifications");
  // A device's serial keeps its registration, but the item's location decides the route.
  store::IngestItem own = item("12345678", {0x61, 0x00});
  own.location = 20;
  const auto o = route(t, own);
  EXPECT_EQ(o.registration, "AB12CDE");
  EXPECT_EQ(o.deliverTo, (std::vector<std::int64_t>{4, 5}));
}

}  // namespace
}  // namespace dcgw::ingest
