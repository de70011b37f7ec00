// The alert rules as pure functions (schema/alerts.md): raise once, never repeat, clear once,
// threshold edges, languages. Time is the Inputs' nowMs; the conditions carried from one
// evaluation to the next are applied here as the engine applies them to the store.
#include <gtest/gtest.h>

#include "codecs/json.hpp"
#include "codecs/packets/packet.hpp"
#include "gateway/alerts/rules.hpp"

namespace dcgw::alerts {
namespace {

constexpr std::int64_t kT0 = 1'722'000'000'000;  // 2024-07-26T13:20:00Z
constexpr std::int64_t kHourMs = 3'600'000, kDayMs = 86'400'000, kMinuteMs = 60'000;

// Applies actions to the conditions as the engine does after each packet is stored.
void applyActions(std::vector<store::AlertCondition>& conditions,
                  const std::vector<Action>& actions) {
  for (const auto& a : actions) {
    std::erase_if(conditions, [&](const store::AlertCondition& c) {
      return c.locationId == a.condition.locationId && c.rule == a.condition.rule &&
             c.subject == a.condition.subject;
    });
    if (a.kind != Action::Kind::Clear && a.kind != Action::Kind::Forget)
      conditions.push_back(a.condition);
  }
}

codecs::JsonValue decoded(const codecs::Bytes& b) {
  auto p = codecs::decodePacket(b);
  EXPECT_TRUE(p);
  auto j = codecs::parseJson(codecs::renderPacketJson(*p));
  EXPECT_TRUE(j);
  return *j;
}

class Rules : public ::testing::Test {
 protected:
  Rules() {
    in.settings.push_back({1, "en", {}});
    in.locationDestinations[1] = {7};
    in.devices.push_back({"12345678", 1, "AB12CDE", true, 0, "", "dcgw", "", kT0});
  }
  void on(const std::string& rule, std::int64_t seconds, std::string language = "en") {
    in.settings[0].language = std::move(language);
    in.settings[0].rules.push_back({rule, seconds});
  }
  std::vector<Action> at(std::int64_t nowMs) {
    in.nowMs = nowMs;
    auto actions = evaluate(in);
    applyActions(in.conditions, actions);
    return actions;
  }
  Inputs in;
};

TEST_F(Rules, DeviceSilentRaisesOnceAfterMoreThanNHoursThenClearsOnceWhenItSends) {
  on("device-silent", 5 * 3600);
  EXPECT_TRUE(at(kT0 + 5 * kHourMs).empty()) << "exactly N hours is not more than N";
  auto raised = at(kT0 + 5 * kHourMs + 1);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].kind, Action::Kind::Raise);
  EXPECT_EQ(raised[0].serial, "12345678");
  EXPECT_EQ(raised[0].condition.locationId, 1);
  auto j = decoded(raised[0].packet);
  EXPECT_EQ(j.find("alertState")->asExactInteger(), 1);
  EXPECT_EQ(j.find("alertType")->asExactInteger(), kTypeDevice);
  EXPECT_EQ(j.find("alertSubType")->asExactInteger(), kSubDeviceSilent);
  EXPECT_EQ(j.find("alertDatetime")->asString(), "2024-07-26T18:20:00Z");
  EXPECT_EQ(j.find("title")->asString(), "Device silent");
  EXPECT_EQ(j.find("alert")->asString(),
            "Device 12345678 (AB12CDE) has sent nothing since 2024-07-26T13:20:00Z (more than 5 "
            "hours)");
  EXPECT_EQ(j.find("p1")->asString(), "12345678");
  EXPECT_EQ(j.find("p4")->asString(), "5");
  EXPECT_TRUE(at(kT0 + 6 * kHourMs).empty()) << "raised once, not again";
  EXPECT_TRUE(at(kT0 + 60 * kHourMs).empty());
  in.devices[0].lastPacketAtMs = kT0 + 61 * kHourMs;  // it sent again
  auto cleared = at(kT0 + 61 * kHourMs + 1000);
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_EQ(cleared[0].kind, Action::Kind::Clear);
  auto c = decoded(cleared[0].packet);
  EXPECT_EQ(c.find("alertState")->asExactInteger(), 0);
  EXPECT_EQ(c.find("alertType")->asExactInteger(), kTypeDevice);
  EXPECT_EQ(c.find("alertDatetime")->asString(), "2024-07-29T02:20:01Z");
  EXPECT_EQ(c.find("alert")->asString().rfind("Cleared: Device 12345678", 0), 0u);
  EXPECT_EQ(c.find("p1")->asString(), "12345678");
  EXPECT_TRUE(at(kT0 + 62 * kHourMs).empty()) << "cleared once";
  EXPECT_TRUE(in.conditions.empty());
}

TEST_F(Rules, ARuleThatIsOffRaisesNothingAndSwitchingItOffClearsWhatItRaised) {
  EXPECT_TRUE(at(kT0 + 100 * kHourMs).empty());
  on("device-silent", 3600);
  ASSERT_EQ(at(kT0 + 100 * kHourMs).size(), 1u);
  in.settings[0].rules.clear();
  auto off = at(kT0 + 101 * kHourMs);
  ASSERT_EQ(off.size(), 1u);
  EXPECT_EQ(off[0].kind, Action::Kind::Clear);
}

TEST_F(Rules, TextsFollowTheLocationsLanguage) {
  on("device-silent", 3600, "de");
  auto a = at(kT0 + 2 * kHourMs);
  ASSERT_EQ(a.size(), 1u);
  auto j = decoded(a[0].packet);
  EXPECT_EQ(j.find("title")->asString(), "Gerät still");
  EXPECT_EQ(j.find("alert")->asString(),
            "Gerät 12345678 (AB12CDE) hat seit 2024-07-26T13:20:00Z nichts gesendet (mehr als 1 "
            "Stunden)");
  in.settings[0].language = "fr";
  in.devices[0].lastPacketAtMs = kT0 + 3 * kHourMs;
  auto c = at(kT0 + 3 * kHourMs);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(decoded(c[0].packet).find("alert")->asString().rfind("Terminé : Gerät", 0), 0u)
      << "a clear repeats the raised text after the current language's prefix";
  for (const char* lang : kLanguages) {
    for (const char* kind :
         {"device-silent", "destination-failing", "card-expiring", "card-expired",
          "vu-download-overdue", "card-download-overdue", "time-warning"}) {
      Text t = localise(lang, kind, {"a", "b", "c", "d", "e", "f"});
      EXPECT_FALSE(t.title.empty()) << lang << " " << kind;
      EXPECT_EQ(t.alert.find('{'), std::string::npos) << lang << " " << kind;
      if (std::string(lang) != "en") {
        EXPECT_NE(t.title, localise("en", kind, {}).title) << lang << " " << kind;
      }
    }
    for (std::uint8_t v : {2, 4, 6, 8, 10}) EXPECT_FALSE(timeWarningDescription(lang, v).empty());
  }
  EXPECT_EQ(localise("xx", "device-silent", {}).title, "Device silent");
}

TEST_F(Rules, DestinationFailingIsTimedFromWhenFirstSeenAndGoesOutWithoutADevice) {
  on("destination-failing", 10 * 60);
  in.destinations.push_back({7, "erp", true, false, {3, 0, "connection refused"}});
  auto first = at(kT0);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].kind, Action::Kind::Track) << "seen failing, not yet for N minutes";
  EXPECT_TRUE(at(kT0 + 10 * kMinuteMs).empty());
  auto raised = at(kT0 + 10 * kMinuteMs + 1);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].kind, Action::Kind::Raise);
  EXPECT_EQ(raised[0].serial, "00000000");
  auto j = decoded(raised[0].packet);
  EXPECT_EQ(j.find("alertType")->asExactInteger(), kTypeForwarding);
  EXPECT_EQ(j.find("alert")->asString(),
            "Forwarding to erp has failed since 2024-07-26T13:20:00Z: connection refused");
  EXPECT_EQ(j.find("p2")->asString(), "7");
  EXPECT_TRUE(at(kT0 + 20 * kMinuteMs).empty());
  in.destinations[0].state = {};  // delivered again
  auto cleared = at(kT0 + 21 * kMinuteMs);
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_EQ(cleared[0].kind, Action::Kind::Clear);
  EXPECT_EQ(cleared[0].serial, "00000000");
}

TEST_F(Rules, AFailureThatEndsBeforeItsThresholdIsForgottenWithoutAPacket) {
  on("destination-failing", 10 * 60);
  in.destinations.push_back({7, "erp", true, false, {1, 0, "timeout"}});
  ASSERT_EQ(at(kT0).size(), 1u);
  in.destinations[0].state = {};
  auto gone = at(kT0 + kMinuteMs);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].kind, Action::Kind::Forget);
  EXPECT_TRUE(gone[0].packet.empty());
}

TEST_F(Rules, CardExpiryAlertsWithinNDaysThenClearsAndInformsOnceWhenItHasExpired) {
  on("card-expiry", 30 * 86400, "es");
  in.cardExpiries.push_back({"12345678", "DB12345678901234", "García", "Ana", kT0 + 40 * kDayMs});
  EXPECT_TRUE(at(kT0 + 10 * kDayMs - 1).empty()) << "more than 30 days left";
  auto raised = at(kT0 + 10 * kDayMs);
  ASSERT_EQ(raised.size(), 1u) << "exactly 30 days left is within 30 days";
  auto j = decoded(raised[0].packet);
  EXPECT_EQ(j.find("cardNumber")->asString(), "DB123456789012");
  EXPECT_EQ(j.find("alertSubType")->asExactInteger(), kSubCardExpiring);
  EXPECT_EQ(j.find("title")->asString(), "Tarjeta de conductor a punto de caducar");
  EXPECT_EQ(j.find("p1")->asString(), "DB12345678901234");
  EXPECT_EQ(j.find("p4")->asString(), "2024-09-04");
  EXPECT_EQ(j.find("p5")->asString(), "30");
  EXPECT_TRUE(at(kT0 + 20 * kDayMs).empty());
  auto expired = at(kT0 + 40 * kDayMs);
  ASSERT_EQ(expired.size(), 2u);
  int clears = 0, infos = 0;
  for (const auto& a : expired) {
    clears += a.kind == Action::Kind::Clear;
    if (a.kind == Action::Kind::Info) {
      ++infos;
      auto i = decoded(a.packet);
      EXPECT_EQ(i.find("alertState")->asExactInteger(), 2);
      EXPECT_EQ(i.find("alertSubType")->asExactInteger(), kSubCardExpired);
    }
  }
  EXPECT_EQ(clears, 1);
  EXPECT_EQ(infos, 1);
  EXPECT_TRUE(at(kT0 + 41 * kDayMs).empty()) << "an info is sent once";
  in.cardExpiries.clear();  // the card is no longer known: its info row goes, no packet
  auto gone = at(kT0 + 42 * kDayMs);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].kind, Action::Kind::Forget);
}

TEST_F(Rules, ARenewedCardClearsItsExpiryAlert) {
  on("card-expiry", 30 * 86400);
  in.cardExpiries.push_back({"12345678", "DB12345678901234", "Smith", "Jo", kT0 + 5 * kDayMs});
  ASSERT_EQ(at(kT0).size(), 1u);
  in.cardExpiries[0].expiryMs = kT0 + 5 * 365 * kDayMs;
  auto c = at(kT0 + kDayMs);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].kind, Action::Kind::Clear);
}

TEST_F(Rules, DownloadsOverdueByMoreThanNDaysRaiseAndANewDownloadClears) {
  on("vu-download-overdue", 2 * 86400);
  on("card-download-overdue", 0);
  in.downloadsDue.push_back({DownloadDueFact::Kind::VehicleUnit, "12345678", "VIN0000000000001",
                             "AB12CDE", "", "", kT0 - 90 * kDayMs, kT0});
  in.downloadsDue.push_back({DownloadDueFact::Kind::DriverCard, "12345678", "DB12345678901234", "",
                             "Smith", "Jo", std::nullopt, kT0});
  EXPECT_TRUE(at(kT0).empty()) << "due now is not overdue";
  auto card = at(kT0 + 1);
  ASSERT_EQ(card.size(), 1u);
  auto j = decoded(card[0].packet);
  EXPECT_EQ(j.find("alertType")->asExactInteger(), kTypeDownload);
  EXPECT_EQ(j.find("alertSubType")->asExactInteger(), kSubCardDownloadOverdue);
  EXPECT_EQ(j.find("p4")->asString(), "") << "never downloaded";
  EXPECT_NE(j.find("alert")->asString().find("last download -"), std::string::npos);
  EXPECT_TRUE(at(kT0 + 2 * kDayMs).empty());
  auto vu = at(kT0 + 2 * kDayMs + 1);
  ASSERT_EQ(vu.size(), 1u);
  auto v = decoded(vu[0].packet);
  EXPECT_EQ(v.find("alertSubType")->asExactInteger(), kSubVuDownloadOverdue);
  EXPECT_EQ(v.find("p1")->asString(), "VIN0000000000001");
  EXPECT_EQ(v.find("p5")->asString(), "2");
  in.downloadsDue[0].lastDownloadMs = kT0 + 3 * kDayMs;  // a new file: due 90 days on
  in.downloadsDue[0].dueMs = kT0 + 93 * kDayMs;
  auto c = at(kT0 + 3 * kDayMs);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].kind, Action::Kind::Clear);
  EXPECT_EQ(decoded(c[0].packet).find("alertSubType")->asExactInteger(), kSubVuDownloadOverdue);
}

TEST_F(Rules, ATimeRelatedWarningOfLevel2RaisesAndALowerLevelClearsIt) {
  on("time-warning", 0);
  in.timeWarnings["12345678"] = {"DB12345678901234", 0x01, kT0};  // level 1: a pre-warning
  EXPECT_TRUE(at(kT0).empty());
  in.timeWarnings["12345678"] = {"DB12345678901234", 0x02, kT0 + 1000};
  auto raised = at(kT0 + 1000);
  ASSERT_EQ(raised.size(), 1u);
  auto j = decoded(raised[0].packet);
  EXPECT_EQ(j.find("alertType")->asExactInteger(), kTypeDrivingTime);
  EXPECT_EQ(j.find("alertSubType")->asExactInteger(), 0x02);
  EXPECT_EQ(j.find("cardNumber")->asString(), "DB123456789012");
  EXPECT_EQ(j.find("alert")->asString(),
            "Driver DB12345678901234: Continuous driving time warning (4h30 exceeded)");
  EXPECT_TRUE(at(kT0 + 2000).empty());
  // Another level-2 warning replaces it: the old one clears, the new one is raised.
  in.timeWarnings["12345678"] = {"DB12345678901234", 0x04, kT0 + 3000};
  auto swap = at(kT0 + 3000);
  ASSERT_EQ(swap.size(), 2u);
  in.timeWarnings["12345678"] = {"DB12345678901234", 0x00, kT0 + 4000};
  auto cleared = at(kT0 + 4000);
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_EQ(cleared[0].kind, Action::Kind::Clear);
  EXPECT_EQ(decoded(cleared[0].packet).find("alertSubType")->asExactInteger(), 0x04);
}

TEST_F(Rules, AWarningRaisedBeforeARestartStaysUntilTheDeviceShowsItEnded) {
  on("time-warning", 0);
  in.timeWarnings["12345678"] = {"DB12345678901234", 0x02, kT0};
  ASSERT_EQ(at(kT0).size(), 1u);
  in.timeWarnings.clear();  // a restart: nothing seen yet
  EXPECT_TRUE(at(kT0 + kHourMs).empty());
  in.timeWarnings["12345678"] = {"DB12345678901234", 0x00, kT0 + 2 * kHourMs};
  ASSERT_EQ(at(kT0 + 2 * kHourMs).size(), 1u);
}

}  // namespace
}  // namespace dcgw::alerts
