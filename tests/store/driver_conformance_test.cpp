// The store conformance suite, derived packets part (issue 13): the driver registry, and packets
// the gateway derives stored around their source in the source's transaction, only when the
// source is stored. Every backend passes these unchanged.
#include <gtest/gtest.h>

#include "tests/store/conformance.hpp"

namespace dcgw::testing {
namespace {

using store::AppendOutcome;
using store::DriverRecord;

TEST_P(StoreConformance, DriversKeepTheirFirstSightingAndTakeTheLatestNames) {
  EXPECT_FALSE(db_->driver("D1"));
  db_->recordDrivers(
      {{"D2", "Smith", "Jo", 0, 1000, "11111111"}, {"D1", "Brown", "Al", 0, 2000, "22222222"}});
  db_->recordDrivers({{"D2", "Smith-Jones", "Jo", 0, 5000, "33333333"}});
  restart();
  auto all = db_->drivers();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].cardNumber, "D1");  // by card number
  EXPECT_EQ(all[0].firstSeenAtMs, 2000);
  EXPECT_EQ(all[0].lastSeenAtMs, 2000);
  auto d2 = db_->driver("D2");
  ASSERT_TRUE(d2);
  EXPECT_EQ(d2->surname, "Smith-Jones");
  EXPECT_EQ(d2->firstNames, "Jo");
  EXPECT_EQ(d2->firstSeenAtMs, 1000) << "the first sighting is kept";
  EXPECT_EQ(d2->lastSeenAtMs, 5000);
  EXPECT_EQ(d2->lastSerial, "33333333");
}

TEST_P(StoreConformance, DriverNamesAreKeptAsUtf8) {
  db_->recordDrivers({{"D1", "M\xC3\xBCller", "\xE5\xB1\xB1\xE7\x94\xB0", 0, 1, ""}});
  auto d = db_->driver("D1");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->surname, "M\xC3\xBCller");
  EXPECT_EQ(d->firstNames, "\xE5\xB1\xB1\xE7\x94\xB0");
}

TEST_P(StoreConformance, DerivedPacketsAreStoredAroundTheirSourceAndFilteredOnTheirOwn) {
  const std::int64_t all = destination("all");
  const std::int64_t trackingOnly =
      destination("tracking", std::vector<std::string>{"Tracking suppression"});
  device("12345678", location("Depot", {all, trackingOnly}));
  std::vector<std::int64_t> touched;
  std::vector<store::IngestItem> items{item(tracking(1), 7), item(tracking(2), 8)};
  std::vector<ingest::DerivedItems> derived;
  for (const auto& i : items) {
    derive::Derivation d;
    d.before.push_back(sensor(static_cast<std::uint8_t>(i.packet[5] + 100)));
    d.after.push_back(sensor(static_cast<std::uint8_t>(i.packet[5] + 200)));
    d.drivers.push_back({"CARD" + std::to_string(i.packet[5]), "S", "F", 0, 5000, i.serial});
    derived.push_back(ingest::DerivedItems::of(i, std::move(d)));
  }
  auto out = ingest::RoutedAppender(*db_, *db_).append(items, touched, &derived);
  EXPECT_EQ(out, (std::vector<AppendOutcome>{AppendOutcome::Stored, AppendOutcome::Stored}));
  EXPECT_EQ(pendingMarks(all), (std::vector<int>{101, 1, 201, 102, 2, 202}));
  EXPECT_EQ(pendingMarks(trackingOnly), (std::vector<int>{1, 2})) << "sensors are filtered out";
  EXPECT_EQ(db_->counters(trackingOnly).filtered, 4);
  EXPECT_EQ(db_->device("12345678")->lastSequence, 8u) << "derived packets move no mark";
  for (const auto& p : db_->pendingBatch(all, 10)) {
    EXPECT_EQ(p.serial, "12345678");
    EXPECT_EQ(p.registration, "AB12CDE");
    EXPECT_EQ(p.receivedAtMs, 5000);
  }
  EXPECT_TRUE(db_->driver("CARD1"));
  EXPECT_TRUE(db_->driver("CARD2"));

  // The resend of packet 8 is a duplicate: nothing derived from it is stored or recorded.
  items = {item(tracking(2), 8), item(tracking(3), 9)};
  items[0].packet[5] = 4;  // a different marker, so its rows would show if stored
  derived.clear();
  for (const auto& i : items) {
    derive::Derivation d;
    d.after.push_back(sensor(static_cast<std::uint8_t>(i.packet[5] + 200)));
    d.drivers.push_back({"CARD" + std::to_string(i.packet[5]), "S", "F", 0, 6000, i.serial});
    derived.push_back(ingest::DerivedItems::of(i, std::move(d)));
  }
  out = ingest::RoutedAppender(*db_, *db_).append(items, touched, &derived);
  EXPECT_EQ(out, (std::vector<AppendOutcome>{AppendOutcome::Duplicate, AppendOutcome::Stored}));
  EXPECT_EQ(pendingMarks(all), (std::vector<int>{101, 1, 201, 102, 2, 202, 3, 203}));
  EXPECT_FALSE(db_->driver("CARD4"));
  EXPECT_TRUE(db_->driver("CARD3"));
}

TEST_P(StoreConformance, ADroppedItemIsNotStoredAndReportedDuplicate) {
  const std::int64_t all = destination("all");
  device("12345678", location("Depot", {all}));
  std::vector<store::IngestItem> items{item(tracking(1)), item(tracking(2))};
  std::vector<ingest::DerivedItems> derived(2);
  derived[0].drop = true;
  std::vector<std::int64_t> touched;
  auto out = ingest::RoutedAppender(*db_, *db_).append(items, touched, &derived);
  EXPECT_EQ(out, (std::vector<AppendOutcome>{AppendOutcome::Duplicate, AppendOutcome::Stored}));
  EXPECT_EQ(pendingMarks(all), (std::vector<int>{2}));
  derived[1].drop = true;
  out = ingest::RoutedAppender(*db_, *db_).append(items, touched, &derived);
  EXPECT_EQ(out, (std::vector<AppendOutcome>{AppendOutcome::Duplicate, AppendOutcome::Duplicate}));
}

}  // namespace
}  // namespace dcgw::testing
