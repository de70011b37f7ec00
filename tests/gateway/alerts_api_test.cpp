// A location's alert settings (schema/alerts.md) over the real admin API and the real CLI
// (`dcgw locations alerts`) on loopback: shape, validation naming the member, audit in the
// change's transaction, the change published, thresholds in each rule's unit.
#include <sstream>

#include <fstream>

#include "gateway/cli/admin_commands.hpp"
#include "gateway/config/config_file.hpp"
#include "tests/gateway/card_api_fixture.hpp"

namespace dcgw::admin::cardtest {
namespace {

class AlertsApi : public CardApiTest {
 protected:
  std::string alerts(std::int64_t location) {
    return "/api/v1/locations/" + std::to_string(location) + "/alerts";
  }
  int cli(std::vector<std::string> args, std::string& out, std::string& err) {
    args.insert(args.end(),
                {"--url", "http://127.0.0.1:" + std::to_string(api_->port()), "--token", admin_});
    std::ostringstream o, e;
    const int status =
        cli::runAdminCommand("locations", args, o, e, cli::defaultAdminEnvironment());
    out = o.str();
    err = e.str();
    return status;
  }
};

TEST_F(AlertsApi, ALocationStartsInEnglishWithNoRuleOn) {
  Reply r = get(alerts(depot_));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            R"({"locationId":)" + std::to_string(depot_) + R"(,"language":"en","rules":[]})");
  EXPECT_EQ(get(alerts(999)).status, 404);
}

TEST_F(AlertsApi, PutReplacesTheRulesInTheirUnitsAuditsAndPublishes) {
  clearChanges();
  Reply r = call("PUT", alerts(depot_),
                 R"({"language":"fr","rules":[{"rule":"time-warning","threshold":7},)"
                 R"({"rule":"device-silent","threshold":1.5},{"rule":"card-expiry"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"locationId":)" + std::to_string(depot_) +
                        R"(,"language":"fr","rules":[)"
                        R"({"rule":"card-expiry","threshold":30,"unit":"days"},)"
                        R"({"rule":"device-silent","threshold":1.5,"unit":"hours"},)"
                        R"({"rule":"time-warning","threshold":0,"unit":"none"}]})");
  EXPECT_EQ(store_->alertSettings(depot_).rules.at(1).thresholdSeconds, 5400);
  bool published = false;
  for (const auto& c : changes())
    published = published || (c.kind == common::Change::Kind::LocationChanged && c.id == depot_);
  EXPECT_TRUE(published);
  JsonValue audit = lastAudit();
  EXPECT_EQ(str(member(audit, "action")), "location.alerts");
  EXPECT_EQ(str(member(audit, "target")), "location " + std::to_string(depot_) + " alerts");
  EXPECT_EQ(str(member(audit, "actor")), "alice");
  // Omitting the language keeps it; [] switches every rule off.
  r = call("PUT", alerts(depot_), R"({"rules":[]})");
  EXPECT_EQ(r.body,
            R"({"locationId":)" + std::to_string(depot_) + R"(,"language":"fr","rules":[]})");
}

TEST_F(AlertsApi, BadSettingsAreRefusedNamingEachMember) {
  expectInvalid(
      call("PUT", alerts(depot_),
           R"({"language":"it","rules":[{"rule":"nosuch"},)"
           R"({"rule":"device-silent","threshold":0},)"
           R"({"rule":"card-expiry","threshold":"5"},{"rule":"card-expiry","x":1}]})"),
      {"language", "rules[0].rule", "rules[1].threshold", "rules[2].threshold", "rules[3].x"},
      "bad members");
  expectInvalid(call("PUT", alerts(depot_), R"({"language":"de"})"), {"rules"}, "no rules");
  expectInvalid(
      call("PUT", alerts(depot_), R"({"rules":[{"rule":"card-expiry"},{"rule":"card-expiry"}]})"),
      {"rules[1].rule"}, "twice");
  EXPECT_EQ(as(auditor_, "PUT", alerts(depot_), R"({"rules":[]})").status, 403);
  EXPECT_EQ(call("PUT", alerts(999), R"({"rules":[]})").status, 404);
  EXPECT_EQ(store_->alertSettings(depot_), (store::AlertSettings{depot_, "en", {}}));
}

TEST_F(AlertsApi, TheCliShowsEnablesAndDisablesRules) {
  std::string out, err;
  const std::string id = std::to_string(depot_);
  ASSERT_EQ(cli({"alerts", id}, out, err), 0) << err;
  EXPECT_EQ(out, "location  " + id + "\nlanguage  en\nrules     none on\n");
  ASSERT_EQ(cli({"alerts", id, "--language", "de", "--enable",
                 "device-silent=5,destination-failing=0.5,time-warning"},
                out, err),
            0)
      << err;
  EXPECT_EQ(out, "location  " + id +
                     "\nlanguage  de\nrules\n"
                     "  destination-failing     0.5 minutes\n"
                     "  device-silent           5 hours\n"
                     "  time-warning            on\n");
  // --enable without =N keeps the threshold it has; --disable takes a list.
  ASSERT_EQ(cli({"alerts", id, "--enable", "device-silent", "--disable", "time-warning"}, out, err),
            0)
      << err;
  EXPECT_EQ(store_->alertSettings(depot_),
            (store::AlertSettings{
                depot_, "de", {{"destination-failing", 30}, {"device-silent", 18000}}}));
  EXPECT_NE(cli({"alerts", id, "--enable", "device-silent=soon"}, out, err), 0);
  EXPECT_NE(err.find("--enable device-silent=N"), std::string::npos) << err;
  EXPECT_NE(cli({"alerts", id, "--enable", "nosuch"}, out, err), 0);
  EXPECT_NE(err.find("rules[2].rule"), std::string::npos) << err;
}

// schema/config.md: "alerts": {"enabled", "intervalSeconds"}.
TEST(AlertsConfig, TheEngineIsOnEveryThirtySecondsUnlessTheFileSaysOtherwise) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("dcgw-alerts-config-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << "{}";
  auto none = config::alertOptions(file.string());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->enabled);
  EXPECT_EQ(none->intervalMs, 30'000);
  std::ofstream(file) << R"({"alerts": {"enabled": false, "intervalSeconds": 0.5}})";
  auto set = config::alertOptions(file.string());
  ASSERT_TRUE(set);
  EXPECT_FALSE(set->enabled);
  EXPECT_EQ(set->intervalMs, 500);
  std::ofstream(file) << R"({"alerts": {"intervalSeconds": 0}})";
  auto bad = config::alertOptions(file.string());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "alerts.intervalSeconds");
  std::ofstream(file) << R"({"alerts": {"interval": 5}})";
  auto typo = config::alertOptions(file.string());
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().field, "alerts.interval");
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace dcgw::admin::cardtest
