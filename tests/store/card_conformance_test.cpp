// The store conformance suite, card relay part (issue 12): company cards and their locations,
// card bridges and their keys, each device's company card, and the relay's event and session
// log. Every backend passes these unchanged.
#include <gtest/gtest.h>

#include "tests/store/conformance.hpp"

namespace dcgw::testing {
namespace {

using store::CardBridgeConfig;
using store::CardEventFilter;
using store::CardEventRecord;
using store::CardSessionRecord;
using store::CompanyCardConfig;
using store::ErrorCategory;

TEST_P(StoreConformance, CompanyCardsKeepTheirLocationsAndExpiry) {
  std::int64_t north = location("North", {});
  std::int64_t south = location("South", {});
  {
    auto tx = db_->begin();
    ASSERT_TRUE(
        tx->upsertCompanyCard({"B000000000012301", "Depot", {south, north}, "2027-05-31"}).ok());
    ASSERT_TRUE(tx->upsertCompanyCard({"A000000000012302", "Spare", {}, "2026-01-01"}).ok());
    // The transaction reads its own writes.
    ASSERT_TRUE(tx->companyCard("B000000000012301").has_value());
    tx->commit();
  }
  auto cards = db_->companyCards();
  ASSERT_EQ(cards.size(), 2u);
  EXPECT_EQ(cards[0].number, "A000000000012302");  // by number
  EXPECT_EQ(cards[1].name, "Depot");
  EXPECT_EQ(cards[1].locationIds, (std::vector<std::int64_t>{north, south}));  // ascending
  EXPECT_EQ(cards[1].expiresOn, "2027-05-31");

  // An update replaces every member, the locations too.
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->upsertCompanyCard({"B000000000012301", "Depot 2", {south}, "2028-01-31"}).ok());
    tx->commit();
  }
  auto c = db_->companyCard("B000000000012301");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "Depot 2");
  EXPECT_EQ(c->locationIds, (std::vector<std::int64_t>{south}));
  EXPECT_EQ(c->expiresOn, "2028-01-31");
  EXPECT_FALSE(db_->companyCard("nope"));

  // A location that is removed leaves the card.
  ASSERT_TRUE(db_->removeLocation(south).ok());
  EXPECT_TRUE(db_->companyCard("B000000000012301")->locationIds.empty());

  restart();
  EXPECT_EQ(db_->companyCards().size(), 2u);
}

TEST_P(StoreConformance, ACardOfAMissingLocationIsRefusedAndNothingIsKept) {
  auto tx = db_->begin();
  auto s = tx->upsertCompanyCard({"B000000000012301", "Depot", {4242}, "2027-05-31"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().category, ErrorCategory::NotFound);
  EXPECT_EQ(s.error().field, "locationIds");
  tx->commit();
  EXPECT_TRUE(db_->companyCards().empty());
}

TEST_P(StoreConformance, DevicesNameARegisteredCardWhichCannotBeRemovedWhileNamed) {
  std::int64_t loc = location("North", {});
  device("SN1", loc);
  {
    auto tx = db_->begin();
    store::DeviceConfig d{"SN1", loc, "AB12CDE", std::nullopt};
    d.companyCard = "B000000000012301";
    auto s = tx->upsertDevice(d);  // not registered yet
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().category, ErrorCategory::NotFound);
    EXPECT_EQ(s.error().field, "companyCard");
    ASSERT_TRUE(tx->upsertCompanyCard({"B000000000012301", "Depot", {loc}, "2027-05-31"}).ok());
    ASSERT_TRUE(tx->upsertDevice(d).ok());
    tx->commit();
  }
  EXPECT_EQ(db_->device("SN1")->companyCard, "B000000000012301");
  // An update that does not name the card keeps it.
  device("SN1", loc, "XY99XYZ");
  EXPECT_EQ(db_->device("SN1")->companyCard, "B000000000012301");
  {
    auto tx = db_->begin();
    auto s = tx->removeCompanyCard("B000000000012301");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().category, ErrorCategory::Conflict);
    EXPECT_NE(s.error().message.find("SN1"), std::string::npos) << s.error().message;
    store::DeviceConfig d{"SN1", loc, "XY99XYZ", std::nullopt};
    d.companyCard = "";  // none
    ASSERT_TRUE(tx->upsertDevice(d).ok());
    ASSERT_TRUE(tx->removeCompanyCard("B000000000012301").ok());
    auto again = tx->removeCompanyCard("B000000000012301");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().category, ErrorCategory::NotFound);
    tx->commit();
  }
  EXPECT_EQ(db_->device("SN1")->companyCard, "");
  EXPECT_TRUE(db_->companyCards().empty());
}

TEST_P(StoreConformance, CardBridgesKeepTheirKeyUnlessANewOneIsGiven) {
  const codecs::Bytes key(32, 0x5A);
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->upsertCardBridge({"office-1", "Fleet office", key}).ok());
    ASSERT_TRUE(tx->upsertCardBridge({"office-0", "", std::nullopt}).ok());
    tx->commit();
  }
  auto bridges = db_->cardBridges();
  ASSERT_EQ(bridges.size(), 2u);
  EXPECT_EQ(bridges[0].ident, "office-0");
  EXPECT_FALSE(bridges[0].hasKey);
  EXPECT_TRUE(bridges[1].hasKey);
  EXPECT_EQ(db_->cardBridgeKey("office-1"), key);
  EXPECT_FALSE(db_->cardBridgeKey("office-0"));  // no key: cannot log in
  EXPECT_FALSE(db_->cardBridgeKey("office-9"));
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->upsertCardBridge({"office-1", "Renamed", std::nullopt}).ok());
    tx->commit();
  }
  EXPECT_EQ(db_->cardBridge("office-1")->description, "Renamed");
  EXPECT_EQ(db_->cardBridgeKey("office-1"), key);
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->removeCardBridge("office-1").ok());
    auto s = tx->removeCardBridge("office-1");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().category, ErrorCategory::NotFound);
    tx->commit();
  }
  EXPECT_FALSE(db_->cardBridgeKey("office-1"));
  restart();
  EXPECT_EQ(db_->cardBridges().size(), 1u);
}

TEST_P(StoreConformance, CardEventsAreReadPerCardAndPerDeviceNewestFirstInPages) {
  std::vector<CardEventRecord> events;
  for (int i = 0; i < 10; ++i)
    events.push_back({0, 1000 + i, i % 2 ? "CARD1" : "CARD2", i < 5 ? "SN1" : "", "office-1",
                      "WAITING", "event " + std::to_string(i)});
  db_->recordCardEvents(events);
  db_->recordCardEvents({});

  auto all = db_->cardEvents({});
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all[0].text, "event 9");
  EXPECT_GT(all[0].id, all[1].id);

  CardEventFilter byCard;
  byCard.card = "CARD1";
  auto c1 = db_->cardEvents(byCard);
  ASSERT_EQ(c1.size(), 5u);
  for (const auto& e : c1) EXPECT_EQ(e.card, "CARD1");
  EXPECT_EQ(c1[0].atMs, 1009);
  EXPECT_EQ(c1[0].bridge, "office-1");
  EXPECT_EQ(c1[0].code, "WAITING");

  CardEventFilter byDevice;
  byDevice.serial = "SN1";
  byDevice.limit = 2;
  auto d1 = db_->cardEvents(byDevice);
  ASSERT_EQ(d1.size(), 2u);
  EXPECT_EQ(d1[0].text, "event 4");
  byDevice.beforeId = d1[1].id;
  auto d2 = db_->cardEvents(byDevice);
  ASSERT_EQ(d2.size(), 2u);
  EXPECT_EQ(d2[0].text, "event 2");

  restart();
  EXPECT_EQ(db_->cardEvents({}).size(), 10u);
}

TEST_P(StoreConformance, EndedCardSessionsAreReadNewestFirstPerCardAndPerDevice) {
  CardSessionRecord a{0, "CARD1", "SN1", "office-1", 1000, 1100, 5000, "FINISHED", 7};
  CardSessionRecord b{0, "CARD1", "SN2", "", 2000, std::nullopt, 2500, "OFFLINE", 0};
  CardSessionRecord c{0, "CARD2", "SN1", "office-1", 3000, 3050, 9000, "CARD_REMOVED", 3};
  db_->recordCardSessions({a, b, c});
  auto all = db_->cardSessions("", "", 10);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].outcome, "CARD_REMOVED");  // ended last
  EXPECT_EQ(all[1].outcome, "FINISHED");
  EXPECT_EQ(all[1].startedAtMs, 1100);
  EXPECT_EQ(all[1].apdus, 7);
  EXPECT_EQ(all[2].startedAtMs, std::nullopt);
  EXPECT_EQ(all[2].bridge, "");
  EXPECT_EQ(db_->cardSessions("CARD1", "", 10).size(), 2u);
  auto sn1 = db_->cardSessions("", "SN1", 10);
  ASSERT_EQ(sn1.size(), 2u);
  EXPECT_EQ(sn1[0].card, "CARD2");
  auto one = db_->cardSessions("CARD1", "SN1", 10);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].requestedAtMs, 1000);
  EXPECT_EQ(one[0].endedAtMs, 5000);
  EXPECT_EQ(db_->cardSessions("", "", 1).size(), 1u);
}

}  // namespace
}  // namespace dcgw::testing
