// The store conformance suite, alerts (schema/alerts.md; SQLite migration 010): each location's
// alert settings changed in an admin transaction, the alert conditions kept across a restart,
// each device's last packet time and time-related warning, and the gateway's own packets routed
// by their location.
#include "tests/store/conformance.hpp"

namespace dcgw::testing {

TEST_P(StoreConformance, AlertSettingsDefaultToEnglishWithNoRuleAndAreReplacedWhole) {
  const auto dest = destination("d");
  const auto loc = location("depot", {dest});
  EXPECT_EQ(db_->alertSettings(loc), (store::AlertSettings{loc, "en", {}}));
  store::AlertSettings s{loc, "fr", {{"device-silent", 7200}, {"card-expiry", 86400}}};
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->setAlertSettings(s).ok());
    EXPECT_EQ(tx->alertSettings(loc).language, "fr") << "the transaction reads its own writes";
    tx->commit();
  }
  // Read back by rule name.
  store::AlertSettings want{loc, "fr", {{"card-expiry", 86400}, {"device-silent", 7200}}};
  EXPECT_EQ(db_->alertSettings(loc), want);
  restart();
  EXPECT_EQ(db_->alertSettings(loc), want);
  auto all = db_->allAlertSettings();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], want);
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->setAlertSettings({loc, "de", {{"time-warning", 0}}}).ok());
    tx->commit();
  }
  EXPECT_EQ(db_->alertSettings(loc), (store::AlertSettings{loc, "de", {{"time-warning", 0}}}));
}

TEST_P(StoreConformance, AlertSettingsOfAMissingLocationAreRefusedAndGoWithTheirLocation) {
  {
    auto tx = db_->begin();
    auto s = tx->setAlertSettings({42, "en", {}});
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().category, store::ErrorCategory::NotFound);
  }
  const auto loc = location("depot", {});
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->setAlertSettings({loc, "es", {{"device-silent", 3600}}}).ok());
    tx->commit();
  }
  ASSERT_TRUE(db_->removeLocation(loc).ok());
  EXPECT_TRUE(db_->allAlertSettings().empty());
}

TEST_P(StoreConformance, AlertConditionsArePutReplacedAndRemovedAndSurviveARestart) {
  EXPECT_TRUE(db_->alertConditions().empty());
  store::AlertCondition seen{1, "destination-failing", "3", 1000, std::nullopt, {}, "00000000"};
  db_->putAlertCondition(seen);
  store::AlertCondition raised{1,    "device-silent", "12345678", 500,
                               9000, {0x61, 0x00, 1}, "12345678"};
  db_->putAlertCondition(raised);
  restart();
  auto c = db_->alertConditions();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], seen);  // by location, rule, subject
  EXPECT_EQ(c[1], raised);
  seen.raisedAtMs = 2000;
  seen.alert = {0x61, 0x00, 2};
  db_->putAlertCondition(seen);
  db_->removeAlertCondition(1, "device-silent", "12345678");
  c = db_->alertConditions();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], seen);
}

TEST_P(StoreConformance, ADevicesLastPacketTimeIsItsNewestPacketDuplicatesIncluded) {
  const auto loc = location("depot", {destination("d")});
  device("12345678", loc);
  EXPECT_FALSE(db_->device("12345678")->lastPacketAtMs);
  append({item(tracking(1), 1, 5000), item(tracking(2), 2, 7000)});
  EXPECT_EQ(db_->device("12345678")->lastPacketAtMs, 7000);
  append({item(tracking(2), 2, 9000)});  // a resend: stored before, the device is alive
  EXPECT_EQ(db_->device("12345678")->lastPacketAtMs, 9000);
  append({item(tracking(3), 0, 8000)});  // older than what it sent last: the newest stays
  restart();
  EXPECT_EQ(db_->device("12345678")->lastPacketAtMs, 9000);
  EXPECT_EQ(db_->devices().at(0).lastPacketAtMs, 9000);
}

// Recorded by the node whose tracker sent the DDS packet, read by the one that evaluates.
TEST_P(StoreConformance, ADevicesTimeWarningIsReplacedKeptAcrossARestartAndGoesWithIt) {
  const auto loc = location("depot", {destination("d")});
  device("12345678", loc);
  device("87654321", loc);
  EXPECT_TRUE(db_->timeWarnings().empty());
  db_->recordTimeWarning({"87654321", "DRV0000000001", 0x02, 1000});
  db_->recordTimeWarning({"12345678", "", 0x04, 2000});
  db_->recordTimeWarning({"12345678", "DRV \"quoted\"", 0x08, 3000});  // replaces
  db_->recordTimeWarning({"99999999", "X", 0x02, 4000});               // no such device: nothing
  db_->recordTimeWarning({"12345678", "LATE", 0x02, 2500});  // older than what is kept: nothing
  const std::vector<store::TimeWarningRecord> want{{"12345678", "DRV \"quoted\"", 0x08, 3000},
                                                   {"87654321", "DRV0000000001", 0x02, 1000}};
  EXPECT_EQ(db_->timeWarnings(), want);
  // A device changed by an admin keeps it.
  ASSERT_TRUE(db_->upsertDevice({"12345678", loc, "NEWREG", std::nullopt}).ok());
  restart();
  EXPECT_EQ(db_->timeWarnings(), want);
  ASSERT_TRUE(db_->removeDevice("87654321").ok());
  EXPECT_EQ(db_->timeWarnings(), (std::vector<store::TimeWarningRecord>{want[0]}));
}

TEST_P(StoreConformance, ThePacketOfALocationIsStoredWithoutADeviceOrSequenceMark) {
  const auto dest = destination("d");
  const auto loc = location("depot", {dest});
  device("12345678", loc);
  append({item(tracking(1), 1, 5000)});
  store::IngestItem alert = item({0x61, 0x00, 0, 0, 0, 9}, 0, 6000, "00000000");
  alert.location = loc;
  store::IngestItem own = item({0x61, 0x00, 0, 0, 0, 10}, 0, 7000);
  own.location = loc;
  auto out = append({alert, own});
  EXPECT_EQ(out, (std::vector<store::AppendOutcome>{store::AppendOutcome::Stored,
                                                    store::AppendOutcome::Stored}));
  EXPECT_EQ(pendingMarks(dest), (std::vector<int>{1, 9, 10}));
  const auto pending = db_->pendingBatch(dest, 10);
  EXPECT_EQ(pending[1].serial, "00000000");
  EXPECT_EQ(pending[2].serial, "12345678");
  EXPECT_EQ(pending[2].registration, "AB12CDE");
  EXPECT_EQ(db_->device("12345678")->lastPacketAtMs, 5000) << "not the device's own packet";
  EXPECT_EQ(db_->deviceAuth("12345678")->lastSequence, 1u);
}

}  // namespace dcgw::testing
