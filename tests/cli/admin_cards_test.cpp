// `dcgw cards`, `dcgw card-bridges` and the devices' company card (issue 12) without a gateway:
// the requests each command sends, its tables, and its argument errors.
#include <gtest/gtest.h>

#include <deque>
#include <sstream>

#include "gateway/cli/admin_commands.hpp"
#include "tests/cli/admin_cli_fixture.hpp"

namespace dcgw::cli {
namespace {

using testing::reply;

const char* kCardJson =
    R"({"number":"B000000000012301","name":"Depot card","locationIds":[1,2],)"
    R"("expiresOn":"2027-05-31","expired":false,"online":true,"bridge":"office-1",)"
    R"("reader":"Reader 0","inUseBy":"12345678","inUseSince":"2026-11-22T10:14:30.000Z",)"
    R"("queueLength":2,"devices":["12345678","9"])";

class CardCommands : public testing::AdminCliRunTest {};

TEST_F(CardCommands, ListShowsExpiryStateUseAndQueue) {
  script_ = {
      reply(200, std::string(R"({"cards":[)") + kCardJson + "}," +
                     R"({"number":"OLD","name":"","locationIds":[],"expiresOn":"2020-01-31",)"
                     R"("expired":true,"online":false,"bridge":null,"reader":null,)"
                     R"("inUseBy":null,"inUseSince":null,"queueLength":0,"devices":[]}]})")};
  ASSERT_EQ(run("cards", {"list"}), kAdminOk) << err_.str();
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].target, "/api/v1/cards");
  EXPECT_EQ(out_.str(),
            "NUMBER            NAME        EXPIRES               STATE                          "
            "IN USE BY                           QUEUE  DEVICES\n"
            "B000000000012301  Depot card  2027-05-31            online at office-1 (Reader 0)  "
            "12345678 since 2026-11-22 10:14:30      2  12345678,9\n"
            "OLD               -           2020-01-31 (expired)  offline                        "
            "-                                       0  -\n");
}

// `dcgw drivers list` (schema/derived-packets.md section 3.4): one row per driver.
TEST_F(CardCommands, DriversListShowsNamesSightingsAndTheLastDevice) {
  script_ = {reply(200, R"({"drivers":[{"cardNumber":"DRV0000000001A","surname":"M\u00fcller",)"
                        R"("firstNames":"Anna","firstSeenAt":"2026-11-20T08:00:00.000Z",)"
                        R"("lastSeenAt":"2026-11-22T10:00:00.000Z","lastSeenDevice":"12345678"},)"
                        R"({"cardNumber":"D2","surname":"Li","firstNames":"",)"
                        R"("firstSeenAt":"2026-11-21T08:00:00.000Z",)"
                        R"("lastSeenAt":"2026-11-21T08:00:00.000Z","lastSeenDevice":null}]})")};
  ASSERT_EQ(run("drivers", {"list"}), kAdminOk) << err_.str();
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].target, "/api/v1/drivers");
  EXPECT_EQ(out_.str(),
            "CARD NUMBER     SURNAME  FIRST NAMES  FIRST SEEN                LAST SEEN            "
            "     DEVICE\n"
            "DRV0000000001A  M\xC3\xBCller   Anna         2026-11-20T08:00:00.000Z  "
            "2026-11-22T10:00:00.000Z  12345678\n"
            "D2              Li       -            2026-11-21T08:00:00.000Z  "
            "2026-11-21T08:00:00.000Z  -\n");
}

TEST_F(CardCommands, ShowPrintsTheCardThenItsLastSessions) {
  script_ = {reply(200, std::string(kCardJson) +
                            R"(,"lastSessions":[{"id":4,"card":"B000000000012301",)"
                            R"("device":"12345678","bridge":"office-1",)"
                            R"("requestedAt":"2026-11-22T10:00:00.000Z",)"
                            R"("startedAt":"2026-11-22T10:00:00.100Z",)"
                            R"("endedAt":"2026-11-22T10:00:02.600Z","durationMs":2500,)"
                            R"("outcome":"FINISHED","apdus":9}]})")};
  ASSERT_EQ(run("cards", {"show", "B000000000012301"}), kAdminOk) << err_.str();
  EXPECT_EQ(seen_[0].target, "/api/v1/cards/B000000000012301");
  const std::string out = out_.str();
  EXPECT_NE(out.find("state        online at office-1 (Reader 0)\n"), std::string::npos) << out;
  EXPECT_NE(out.find("inUseBy      12345678 since 2026-11-22 10:14:30\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("last sessions:\n"), std::string::npos) << out;
  EXPECT_NE(out.find("2026-11-22 10:00:02  B000000000012301  12345678  office-1  FINISHED  "),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("2s      9\n"), std::string::npos) << out;
}

TEST_F(CardCommands, AddResolvesLocationNamesAndSendsTheCard) {
  script_ = {reply(200, R"({"locations":[{"id":1,"name":"Depot"},{"id":2,"name":"Yard"}]})"),
             reply(201, std::string(kCardJson) + "}")};
  ASSERT_EQ(run("cards", {"add", "B000000000012301", "--name", "Depot card", "--location", "Yard,1",
                          "--expires", "2027-05-31"}),
            kAdminOk)
      << err_.str();
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[0].target, "/api/v1/locations");
  EXPECT_EQ(seen_[1].method, "POST");
  EXPECT_EQ(seen_[1].target, "/api/v1/cards");
  EXPECT_EQ(*seen_[1].body,
            R"({"number":"B000000000012301","name":"Depot card","locationIds":[2,1],)"
            R"("expiresOn":"2027-05-31"})");
  EXPECT_NE(out_.str().find("created company card B000000000012301"), std::string::npos);

  // Ids alone need no lookup; an unknown name is a bad argument and nothing is sent.
  script_ = {reply(201, std::string(kCardJson) + "}")};
  ASSERT_EQ(run("cards", {"add", "X", "--location", "3", "--expires", "2027-05-31"}), kAdminOk);
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(*seen_[0].body, R"({"number":"X","locationIds":[3],"expiresOn":"2027-05-31"})");
  script_ = {reply(200, R"({"locations":[{"id":1,"name":"Depot"}]})")};
  EXPECT_EQ(run("cards", {"add", "X", "--location", "Nowhere", "--expires", "2027-05-31"}),
            kAdminBadArgs);
  EXPECT_NE(err_.str().find("no location named 'Nowhere'"), std::string::npos) << err_.str();
  EXPECT_EQ(seen_.size(), 1u) << "only the lookup";
  EXPECT_EQ(run("cards", {"add", "X"}), kAdminBadArgs);
  EXPECT_NE(err_.str().find("--expires"), std::string::npos) << err_.str();
  EXPECT_TRUE(seen_.empty());
}

TEST_F(CardCommands, SetSendsOnlyTheGivenFieldsAndRemoveDeletes) {
  script_ = {reply(200, std::string(kCardJson) + "}")};
  ASSERT_EQ(run("cards", {"set", "B 1/2", "--location", "none", "--expires", "2028-01-31"}),
            kAdminOk)
      << err_.str();
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].method, "PUT");
  EXPECT_EQ(seen_[0].target, "/api/v1/cards/B%201%2F2");
  EXPECT_EQ(*seen_[0].body, R"({"locationIds":[],"expiresOn":"2028-01-31"})");
  EXPECT_EQ(run("cards", {"set", "B1"}), kAdminBadArgs);
  EXPECT_TRUE(seen_.empty());

  script_ = {reply(204, "")};
  ASSERT_EQ(run("cards", {"remove", "B1"}), kAdminOk);
  EXPECT_EQ(seen_[0].method, "DELETE");
  EXPECT_EQ(seen_[0].target, "/api/v1/cards/B1");
  script_ = {reply(409, R"({"error":"company card 'B1' is the company card of device 9: give )"
                        R"(them another card (or none) first"})")};
  EXPECT_EQ(run("cards", {"remove", "B1"}), kAdminApiError);
  EXPECT_NE(err_.str().find("company card of device 9"), std::string::npos) << err_.str();
}

TEST_F(CardCommands, EventsAndSessionsPageThroughTheLog) {
  script_ = {reply(200, R"({"events":[{"id":12,"at":"2026-11-22T10:14:00.000Z",)"
                        R"("card":"B1","device":"9","bridge":null,"code":"OFFLINE",)"
                        R"("text":"The company card 'B1' is not online."}],"next":12})")};
  ASSERT_EQ(run("cards", {"events", "B1", "--limit", "1", "--before", "40"}), kAdminOk)
      << err_.str();
  EXPECT_EQ(seen_[0].target, "/api/v1/cards/B1/events?limit=1&before=40");
  EXPECT_EQ(out_.str(),
            "AT                   CODE     CARD  DEVICE  BRIDGE  TEXT\n"
            "2026-11-22 10:14:00  OFFLINE  B1    9       -       The company card 'B1' is not "
            "online.\n");
  EXPECT_EQ(err_.str(), "more: --before 12\n");
  EXPECT_EQ(run("cards", {"events", "B1", "--limit", "501"}), kAdminBadArgs);

  script_ = {reply(200, R"({"sessions":[{"id":3,"card":"B1","device":"9","bridge":null,)"
                        R"("requestedAt":"2026-11-22T10:14:00.000Z","startedAt":null,)"
                        R"("endedAt":"2026-11-22T10:14:00.004Z","durationMs":4,)"
                        R"("outcome":"OFFLINE","apdus":0}]})")};
  ASSERT_EQ(run("devices", {"card-sessions", "9", "--limit", "5"}), kAdminOk) << err_.str();
  EXPECT_EQ(seen_[0].target, "/api/v1/devices/9/card-sessions?limit=5");
  EXPECT_NE(out_.str().find("OFFLINE       4ms      0\n"), std::string::npos) << out_.str();
  script_ = {reply(200, R"({"events":[],"next":null})")};
  ASSERT_EQ(run("devices", {"card-events", "9"}), kAdminOk) << err_.str();
  EXPECT_EQ(seen_[0].target, "/api/v1/devices/9/card-events");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(CardCommands, DevicesSetNamesOrClearsTheCompanyCard) {
  script_ = {reply(200, R"({"serial":"9","locationId":1,"registration":"AB"})"),
             reply(200, R"({"serial":"9","companyCard":"B1"})")};
  ASSERT_EQ(run("devices", {"set", "9", "--company-card", "B1"}), kAdminOk) << err_.str();
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[1].method, "PUT");
  EXPECT_EQ(*seen_[1].body, R"({"locationId":1,"registration":"AB","companyCard":"B1"})");
  script_ = {reply(200, R"({"serial":"9","locationId":1,"registration":"AB"})"),
             reply(200, R"({"serial":"9","companyCard":null})")};
  ASSERT_EQ(run("devices", {"update", "9", "--no-company-card"}), kAdminOk) << err_.str();
  EXPECT_EQ(*seen_[1].body, R"({"locationId":1,"registration":"AB","companyCard":null})");
  EXPECT_EQ(run("devices", {"set", "9", "--company-card", "B1", "--no-company-card"}),
            kAdminBadArgs);
  EXPECT_NE(err_.str().find("contradict"), std::string::npos) << err_.str();
  script_ = {reply(201, R"({"serial":"7","companyCard":"B1"})")};
  ASSERT_EQ(run("devices", {"create", "--serial", "7", "--company-card", "B1"}), kAdminOk);
  EXPECT_EQ(*seen_[0].body, R"({"serial":"7","companyCard":"B1"})");
}

TEST_F(CardCommands, BridgesAddShowTheGeneratedKeyOnceAndRotate) {
  script_ = {reply(201, R"({"ident":"office-1","description":"Fleet office","hasKey":true,)"
                        R"("connected":false,"address":null,"connectedSince":null,"cards":[],)"
                        R"("key":"ab12"})")};
  ASSERT_EQ(run("card-bridges", {"add", "office-1", "--description", "Fleet office"}), kAdminOk)
      << err_.str();
  EXPECT_EQ(seen_[0].target, "/api/v1/card-bridges");
  EXPECT_EQ(*seen_[0].body, R"({"ident":"office-1","description":"Fleet office"})");
  EXPECT_NE(out_.str().find("key             ab12\n"), std::string::npos) << out_.str();
  EXPECT_NE(err_.str().find("shown only this once"), std::string::npos) << err_.str();

  script_ = {reply(200, R"({"cardBridges":[{"ident":"office-1","description":"",)"
                        R"("hasKey":true,"connected":true,"address":"203.0.113.7:51234",)"
                        R"("connectedSince":"2026-11-22T09:00:00.000Z","cards":["B1","B2"]}]})")};
  ASSERT_EQ(run("card-bridges", {"list"}), kAdminOk) << err_.str();
  EXPECT_EQ(
      out_.str(),
      "IDENT     DESCRIPTION  KEY  STATE                                                       "
      "CARDS\n"
      "office-1  -            yes  connected from 203.0.113.7:51234 since 2026-11-22 "
      "09:00:00  B1,B2\n");

  script_ = {reply(200, R"({"ident":"office-1","key":"cd34"})")};
  ASSERT_EQ(run("card-bridges", {"rotate-key", "office-1"}), kAdminOk);
  EXPECT_EQ(seen_[0].method, "POST");
  EXPECT_EQ(seen_[0].target, "/api/v1/card-bridges/office-1/rotate-key");
  EXPECT_EQ(out_.str(), "cd34\n");

  script_ = {reply(200, R"({"ident":"office-1"})")};
  ASSERT_EQ(run("card-bridges", {"set", "office-1", "--key", "00ff"}), kAdminOk);
  EXPECT_EQ(seen_[0].method, "PUT");
  EXPECT_EQ(*seen_[0].body, R"({"key":"00ff"})");
  EXPECT_EQ(run("card-bridges", {"set", "office-1"}), kAdminBadArgs);
  EXPECT_EQ(run("card-bridges", {"remove"}), kAdminBadArgs);
  EXPECT_NE(err_.str().find("needs IDENT"), std::string::npos) << err_.str();
  EXPECT_EQ(run("card-bridges", {"add", "x", "--location", "1"}), kAdminBadArgs);
}

}  // namespace
}  // namespace dcgw::cli
