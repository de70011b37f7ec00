// The admin CLI without a gateway: argument checking, the requests each command sends, table
// rendering, and the messages and exit statuses of a refused connection, 400, 401 and 403.
#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>

#include <deque>
#include <sstream>

#include "codecs/json.hpp"
#include "gateway/cli/admin_commands.hpp"
#include "tests/cli/admin_cli_fixture.hpp"

namespace dcgw::cli {
namespace {

using testing::reply;

class AdminCommand : public testing::AdminCliTest {};

// --- arguments ---

TEST_F(AdminCommand, UrlComesFromTheFlagThenTheEnvironmentThenTheDefault) {
  auto get = [this](const std::string& n) -> std::optional<std::string> {
    auto it = vars_.find(n);
    return it == vars_.end() ? std::nullopt : std::optional(it->second);
  };
  auto inv = parseAdminArgs("destinations", {"list"}, get);
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->client.url.host, "127.0.0.1");
  EXPECT_EQ(inv->client.url.port, 8080);
  EXPECT_FALSE(inv->client.url.https);
  vars_["DCGW_URL"] = "https://gw.example:9443/admin/";
  inv = parseAdminArgs("destinations", {"list"}, get);
  ASSERT_TRUE(inv.ok());
  EXPECT_TRUE(inv->client.url.https);
  EXPECT_EQ(inv->client.url.host, "gw.example");
  EXPECT_EQ(inv->client.url.port, 9443);
  EXPECT_EQ(inv->client.url.prefix, "/admin");
  inv = parseAdminArgs("destinations", {"--url", "http://[::1]:81", "list", "--token", "t"}, get);
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->client.url.host, "::1");
  EXPECT_EQ(inv->client.url.port, 81);
  EXPECT_EQ(inv->client.token, "t");
}

TEST_F(AdminCommand, CommonOptionsGoAnywhereAndOptionsTakeAttachedValues) {
  auto get = [](const std::string& n) -> std::optional<std::string> {
    if (n == "DCGW_TOKEN") return "tok";
    return std::nullopt;
  };
  auto inv = parseAdminArgs("queue", {"--json", "entries", "4", "--limit=10", "--insecure"}, get);
  ASSERT_TRUE(inv.ok()) << inv.error().expected;
  EXPECT_EQ(inv->verb, "entries");
  EXPECT_EQ(inv->operand, "4");
  EXPECT_EQ(inv->values.at("--limit"), "10");
  EXPECT_TRUE(inv->json);
  EXPECT_TRUE(inv->client.insecure);
}

TEST_F(AdminCommand, MissingTokenIsABadArgumentNamingBothWaysToGiveOne) {
  vars_.clear();
  EXPECT_EQ(run("destinations", {"list"}), 2);
  EXPECT_NE(err_.str().find("--token"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("DCGW_TOKEN"), std::string::npos);
  EXPECT_TRUE(seen_.empty());
}

TEST_F(AdminCommand, BadArgumentsExitTwoNamingTheOptionAndValue) {
  struct Case {
    std::string noun;
    std::vector<std::string> args;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {"destinations", {}, "missing command"},
      {"destinations", {"frobnicate"}, "'frobnicate'"},
      {"destinations", {"show"}, "needs ID"},
      {"destinations", {"show", "x7"}, "'x7'"},
      {"destinations", {"show", "3", "4"}, "'4'"},
      {"destinations", {"list", "--nme", "a"}, "'--nme'"},
      {"destinations", {"create", "--name", "a", "--method", "rest"}, "--host"},
      {"destinations", {"create", "--name", "a", "--method", "smtp", "--host", "h"}, "'smtp'"},
      {"destinations",
       {"create", "--name", "a", "--method", "binary", "--host", "h", "--port", "70000"},
       "--port must be a number from 1 to 65535, not '70000'"},
      {"destinations", {"update", "1", "--filter", "Tracking,,Alerts"}, "--filter"},
      {"destinations", {"update", "1", "--enabled", "--disabled"}, "--disabled"},
      {"destinations", {"update", "1"}, "nothing to change"},
      {"destinations", {"create", "--name"}, "--name needs a value"},
      {"destinations", {"list", "--json=yes"}, "--json takes no value"},
      {"destinations", {"list", "--url", "a", "--url", "b"}, "--url is given twice"},
      {"destinations", {"list", "--url", "ftp://gw"}, "'ftp://gw'"},
      {"destinations", {"list", "--ca-file", "/nonexistent/ca.pem"}, "'/nonexistent/ca.pem'"},
      {"locations", {"create", "--name", "x", "--destinations", "1,a"}, "'1,a'"},
      {"devices", {"update", "1234", "--location", "depot"}, "'depot'"},
      {"queue", {"entries", "1", "--state", "stuck"}, "'stuck'"},
      {"queue", {"entries", "1", "--limit", "501"}, "--limit"},
      {"queue", {"skip", "1"}, "--reason"},
      {"queue", {"replay", "1"}, "--from"},
      {"tokens", {"create", "--name", "ci", "--role", "root"}, "'root'"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(run(c.noun, c.args), 2) << c.mentions;
    EXPECT_NE(err_.str().find(c.mentions), std::string::npos)
        << "expected '" << c.mentions << "' in: " << err_.str();
  }
  EXPECT_TRUE(seen_.empty()) << "nothing is sent when the arguments are bad";
}

TEST_F(AdminCommand, HelpPrintsTheNounsCommandsAndExitsZero) {
  vars_.clear();
  EXPECT_EQ(run("queue", {"--help"}), 0);
  EXPECT_NE(out_.str().find("dcgw queue skip ID --reason TEXT"), std::string::npos);
  EXPECT_NE(out_.str().find("--url URL"), std::string::npos);
}

// --- rendering ---

TEST(AdminTable, AlignsColumnsUnderAHeaderWithNumbersOnTheRight) {
  std::ostringstream out;
  renderTable({{"ID", true}, {"NAME"}, {"LAST ERROR"}},
              {{"1", "Receiver", "connection refused"}, {"12", "Ü", "-"}, {"3", "a\nb", ""}}, out);
  EXPECT_EQ(out.str(),
            "ID  NAME      LAST ERROR\n"
            " 1  Receiver  connection refused\n"
            "12  Ü         -\n"
            " 3  a b\n");
}

TEST(AdminTable, FormatsDurationsAndParsesApiTimes) {
  EXPECT_EQ(formatDuration(45.9), "45s");
  EXPECT_EQ(formatDuration(725), "12m05s");
  EXPECT_EQ(formatDuration(3 * 3600 + 7 * 60 + 5), "3h07m");
  EXPECT_EQ(formatDuration(2 * 86400 + 5 * 3600), "2d05h");
  EXPECT_EQ(formatDuration(-3), "0s");
  auto t = parseIsoTime("2026-11-22T10:15:30.250Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(
                *t - *parseIsoTime("2026-11-22T10:15:00Z"))
                .count(),
            30250);
  EXPECT_FALSE(parseIsoTime("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(parseIsoTime("2026-11-22 10:15:30"));
}

// --- commands: what is sent, what is printed ---

TEST_F(AdminCommand, DestinationsListIsATableWithTheFilterSpelledOut) {
  script_.push_back(reply(200, R"({"destinations":[
    {"id":1,"name":"Receiver","method":"rest","host":"http://127.0.0.1:8081/api","port":0,"format":"base64binary",
     "customTags":"","filter":null,"enabled":true,"tlsVerify":true,"tlsCaFile":"","replyTimeoutMs":20000,
     "paused":false,"locationIds":[1,2]},
    {"id":2,"name":"Bin","method":"binary","host":"10.0.0.9","port":9092,"format":"hex",
     "filter":["Tracking","Positional update"],"enabled":false,"paused":true,"locationIds":[]},
    {"id":3,"name":"Nothing","method":"xml-udp","host":"h","port":1,"filter":[],"enabled":true,
     "paused":false,"locationIds":[3]}]})"));
  EXPECT_EQ(run("destinations", {"list"}), 0) << err_.str();
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].method, "GET");
  EXPECT_EQ(seen_[0].target, "/api/v1/destinations");
  EXPECT_EQ(connectedWith_.token, "secret");
  EXPECT_EQ(
      out_.str(),
      "ID  NAME      METHOD   HOST                       PORT  FORMAT        ENABLED  PAUSED  "
      "LOCATIONS  FILTER\n"
      " 1  Receiver  rest     http://127.0.0.1:8081/api     -  base64binary  yes      no      "
      "1,2        all\n"
      " 2  Bin       binary   10.0.0.9                   9092  hex           no       yes     "
      "-          Tracking, Positional update\n"
      " 3  Nothing   xml-udp  h                             1  -             yes      no      "
      "3          none\n");
}

TEST_F(AdminCommand, JsonPrintsTheApisDocumentAsReturned) {
  const std::string body = R"({"destinations": [ ]})";
  script_.push_back(reply(200, body));
  EXPECT_EQ(run("destinations", {"list", "--json"}), 0);
  EXPECT_EQ(out_.str(), body + "\n");
}

TEST_F(AdminCommand, DestinationsCreatePostsTheInputWithTypedFields) {
  script_.push_back(reply(201, R"({"id":7,"name":"Bin","method":"binary"})"));
  EXPECT_EQ(run("destinations", {"create", "--name", "Bin", "--method", "binary", "--host",
                                 "10.0.0.9", "--port", "9092", "--filter", "Tracking, Alerts",
                                 "--disabled", "--insecure-tls", "--custom-tags", "123456"}),
            0)
      << err_.str();
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].method, "POST");
  EXPECT_EQ(seen_[0].target, "/api/v1/destinations");
  ASSERT_TRUE(seen_[0].body);
  EXPECT_EQ(
      *seen_[0].body,
      R"({"name":"Bin","method":"binary","host":"10.0.0.9","customTags":"123456","port":9092,)"
      R"("filter":["Tracking","Alerts"],"enabled":false,"tlsVerify":false})");
  EXPECT_NE(out_.str().find("created destination 7"), std::string::npos);

  script_.push_back(reply(201, R"({"id":8})"));
  EXPECT_EQ(run("destinations", {"create", "--name", "R", "--method", "rest", "--host", "http://h/",
                                 "--filter", "all"}),
            0);
  EXPECT_EQ(*seen_.back().body, R"({"name":"R","method":"rest","host":"http://h/","filter":null})");
}

TEST_F(AdminCommand, DestinationsUpdateFetchesChangesTheGivenFieldsAndPutsTheWholeInput) {
  script_.push_back(reply(200, R"({"id":2,"name":"Bin","method":"binary","host":"10.0.0.9",
    "port":9092,"format":"hex","customTags":"1","filter":null,"enabled":true,"tlsVerify":true,
    "tlsCaFile":"","replyTimeoutMs":20000,"paused":false,"locationIds":[1]})"));
  script_.push_back(reply(200, R"({"id":2,"name":"Bin","method":"rest"})"));
  EXPECT_EQ(run("destinations",
                {"update", "2", "--method", "rest", "--host", "https://r/api", "--filter", "none"}),
            0)
      << err_.str();
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[0].method, "GET");
  EXPECT_EQ(seen_[0].target, "/api/v1/destinations/2");
  EXPECT_EQ(seen_[1].method, "PUT");
  EXPECT_EQ(seen_[1].target, "/api/v1/destinations/2");
  // No id, paused or locationIds (read-only), and no port for a method with a URL.
  EXPECT_EQ(*seen_[1].body,
            R"({"name":"Bin","method":"rest","host":"https://r/api","format":"hex",)"
            R"("customTags":"1","filter":[],"enabled":true,"tlsVerify":true,"tlsCaFile":"",)"
            R"("replyTimeoutMs":20000})");
  EXPECT_NE(out_.str().find("updated destination 2"), std::string::npos);
}

TEST_F(AdminCommand, DevicesListNamesEachDevicesLocation) {
  script_ = {reply(200, R"({"locations":[{"id":1,"name":"Depot"},{"id":2,"name":"Yard"}]})"),
             reply(200, R"({"devices":[{"serial":"12345678","locationId":2,"registration":"AB12",)"
                        R"("hasKey":true,"lastSequence":7,"companyCard":"B000000000012301",)"
                        R"("protocol":"dcgw","family":null},{"serial":"9","locationId":null,)"
                        R"("registration":"","hasKey":false,"lastSequence":0,"companyCard":null,)"
                        R"("protocol":"dcgw","family":null}]})")};
  ASSERT_EQ(run("devices", {"list"}), kAdminOk) << err_.str();
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[0].target, "/api/v1/locations");
  EXPECT_EQ(seen_[1].target, "/api/v1/devices");
  EXPECT_EQ(out_.str(),
            "SERIAL    PROTOCOL  LOCATION  REGISTRATION  KEY  LAST SEQ  COMPANY CARD\n"
            "12345678  dcgw      Yard (2)  AB12          yes         7  B000000000012301\n"
            "9         dcgw      -         -             no          0  -\n");
}

// Every detail view ends its last line, so the next prompt or output starts on its own.
TEST_F(AdminCommand, DetailViewsEndWithANewline) {
  const std::string dest =
      R"({"id":3,"name":"x","method":"rest","host":"http://a/b","filter":null,"locationIds":[]})";
  script_ = {reply(200, dest), reply(201, dest), reply(200, R"({"serial":"9","locationId":null})")};
  for (const auto& [noun, args] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"destinations", {"show", "3"}},
           {"destinations", {"create", "--name", "x", "--method", "rest", "--host", "http://a/b"}},
           {"devices", {"show", "9"}}}) {
    ASSERT_EQ(run(noun, args), kAdminOk) << err_.str();
    ASSERT_FALSE(out_.str().empty());
    EXPECT_EQ(out_.str().back(), '\n') << noun << " " << args[0] << ": " << out_.str();
  }
}

TEST_F(AdminCommand, DevicesUpdateSendsTheKeyOnlyWhenGivenAndEncodesTheSerial) {
  script_.push_back(
      reply(200, R"({"serial":"AB 1/2","locationId":3,"registration":"X1","hasKey":true})"));
  script_.push_back(reply(200, R"({"serial":"AB 1/2","locationId":null})"));
  EXPECT_EQ(run("devices", {"update", "AB 1/2", "--location", "none"}), 0) << err_.str();
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[1].target, "/api/v1/devices/AB%201%2F2");
  EXPECT_EQ(*seen_[1].body, R"({"locationId":null,"registration":"X1"})");

  script_.push_back(reply(200, R"({"serial":"1","locationId":null,"registration":""})"));
  script_.push_back(reply(200, R"({"serial":"1"})"));
  EXPECT_EQ(run("devices", {"update", "1", "--key", "00ff"}), 0);
  EXPECT_EQ(*seen_.back().body, R"({"locationId":null,"registration":"","key":"00ff"})");
}

TEST_F(AdminCommand, DevicesResetSequenceSendsTheNewMark) {
  script_.push_back(reply(200, R"({"serial":"AB 1/2","lastSequence":0})"));
  EXPECT_EQ(run("devices", {"reset-sequence", "AB 1/2"}), 0) << err_.str();
  ASSERT_EQ(seen_.size(), 1u) << "one PUT, nothing read and sent back";
  EXPECT_EQ(seen_[0].method, "PUT");
  EXPECT_EQ(seen_[0].target, "/api/v1/devices/AB%201%2F2");
  EXPECT_EQ(*seen_[0].body, R"({"lastSequence":0})");
  EXPECT_NE(out_.str().find("reset the sequence of device AB 1/2 to 0"), std::string::npos)
      << out_.str();

  script_.push_back(reply(200, R"({"serial":"1","lastSequence":4294967295})"));
  EXPECT_EQ(run("devices", {"reset-sequence", "1", "--to", "4294967295"}), 0) << err_.str();
  EXPECT_EQ(*seen_.back().body, R"({"lastSequence":4294967295})");

  const std::size_t asked = seen_.size();
  for (const char* bad : {"-1", "4294967296", "x"}) {
    EXPECT_NE(run("devices", {"reset-sequence", "1", "--to", bad}), 0) << bad;
    EXPECT_NE(err_.str().find("--to must be a sequence from 0 to 4294967295"), std::string::npos)
        << err_.str();
  }
  EXPECT_EQ(seen_.size(), asked) << "nothing is sent for a bad --to";
}

TEST_F(AdminCommand, RotateKeyAndTokensCreatePrintOnlyTheSecretOnStdout) {
  script_.push_back(reply(200, R"({"serial":"12345678","key":"40ccd563"})"));
  EXPECT_EQ(run("devices", {"rotate-key", "12345678"}), 0);
  EXPECT_EQ(seen_.back().method, "POST");
  EXPECT_EQ(seen_.back().target, "/api/v1/devices/12345678/key");
  EXPECT_EQ(out_.str(), "40ccd563\n");
  EXPECT_NE(err_.str().find("only this once"), std::string::npos);

  script_.push_back(
      reply(201, R"({"id":4,"name":"ci","role":"auditor","createdAt":"x","token":"dcgw_3f9a"})"));
  EXPECT_EQ(run("tokens", {"create", "--name", "ci", "--role", "auditor"}), 0);
  EXPECT_EQ(*seen_.back().body, R"({"name":"ci","role":"auditor"})");
  EXPECT_EQ(out_.str(), "dcgw_3f9a\n");
}

TEST_F(AdminCommand, QueueEntriesPassesTheFiltersAsAQueryAndPointsToTheNextPage) {
  script_.push_back(reply(200, R"({"entries":[{"id":11,"packetId":5,"state":"dead","type":70,
    "filterKey":"Vehicle CAN","serial":"12345678","receivedAt":"2026-11-22T10:00:00Z",
    "attempts":1,"reason":"payload over 255 bytes"}],"next":11})"));
  EXPECT_EQ(run("queue", {"entries", "2", "--state", "dead", "--device", "A&B", "--from",
                          "2026-11-22T00:00:00Z", "--limit", "1"}),
            0)
      << err_.str();
  EXPECT_EQ(seen_[0].target,
            "/api/v1/queues/2/entries?state=dead&device=A%26B&from=2026-11-22T00%3A00%3A00Z"
            "&limit=1");
  EXPECT_NE(out_.str().find("0x46"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("payload over 255 bytes"), std::string::npos);
  EXPECT_NE(out_.str().find("--after 11"), std::string::npos);
}

TEST_F(AdminCommand, QueueListShowsWhenABackingOffQueueRetries) {
  script_.push_back(reply(200, R"j({"queues":[
    {"destinationId":1,"name":"Receiver","state":"backing-off","nextRetryAt":"2026-11-22T10:17:00Z",
     "depth":12,"oldestPendingAgeSeconds":725.5,"consecutiveFailures":3,
     "lastError":"connection refused (127.0.0.1:8081)"},
    {"destinationId":2,"name":"Bin","state":"idle","nextRetryAt":null,"depth":0,
     "oldestPendingAgeSeconds":null,"consecutiveFailures":0,"lastError":""}]
})j"));
  EXPECT_EQ(run("queue", {"list"}), 0) << err_.str();
  EXPECT_EQ(seen_[0].target, "/api/v1/queues");
  EXPECT_EQ(
      out_.str(),
      "ID  NAME      STATE                                   DEPTH  OLDEST  NEXT RETRY  "
      "FAILURES  LAST ERROR\n"
      " 1  Receiver  backing-off until 2026-11-22T10:17:00Z     12  12m05s  in 2m00s           "
      "3  connection refused (127.0.0.1:8081)\n"
      " 2  Bin       idle                                        0       -  -                  "
      "0  -\n");
}

TEST_F(AdminCommand, QueueShowPutsTheBlockingEntryAndItsLastErrorFirst) {
  script_.push_back(reply(200, R"({"destinationId":1,"name":"Receiver","method":"rest",
    "enabled":true,"state":"backing-off","nextRetryAt":"2026-11-22T10:16:00Z","depth":3,
    "oldestPendingAt":"2026-11-22T10:00:00Z","oldestPendingAgeSeconds":900,
    "consecutiveFailures":2,"lastError":"HTTP 503","lastErrorAt":"2026-11-22T10:14:00Z",
    "counters":{"queued":10,"delivered":7,"failedAttempts":2,"deadLetters":0,"filtered":1},
    "blocking":{"id":42,"packetId":9,"state":"pending","attempts":2,"type":71,
      "filterKey":"Tracking","serial":"12345678","registration":"AB12CDE",
      "receivedAt":"2026-11-22T10:00:00Z","history":[
        {"at":"2026-11-22T10:13:00Z","outcome":"failed","reason":"timed out","durationUs":30000000},
        {"at":"2026-11-22T10:14:00Z","outcome":"failed","reason":"HTTP 503 Service Unavailable",
         "durationUs":1500}]}})"));
  EXPECT_EQ(run("queue", {"show", "1"}), 0) << err_.str();
  const std::string o = out_.str();
  EXPECT_EQ(o.rfind("blocking entry 42\n  last error     HTTP 503 Service Unavailable\n", 0), 0u)
      << o;
  EXPECT_LT(o.find("blocking entry"), o.find("depth"));
  EXPECT_NE(o.find("backing-off"), std::string::npos);
  EXPECT_NE(o.find("(in 1m00s)"), std::string::npos) << o;
  EXPECT_NE(o.find("dead letters     0"), std::string::npos) << o;
}

TEST_F(AdminCommand, QueueActionsPostToTheirEndpoints) {
  script_.push_back(reply(200, R"({"skipped":42})"));
  EXPECT_EQ(run("queue", {"skip", "1", "--reason", "bad packet"}), 0);
  EXPECT_EQ(seen_.back().target, "/api/v1/queues/1/skip");
  EXPECT_EQ(*seen_.back().body, R"({"reason":"bad packet"})");
  EXPECT_EQ(out_.str(), "skipped entry 42 of queue 1 (now a dead letter)\n");

  script_.push_back(reply(200, R"({"replayed":5})"));
  EXPECT_EQ(run("queue", {"replay", "1", "--from", "2026-11-22T00:00:00Z"}), 0);
  EXPECT_EQ(*seen_.back().body, R"({"from":"2026-11-22T00:00:00Z"})");

  script_.push_back(reply(200, R"({"destinationId":1,"name":"R","state":"paused","depth":4})"));
  EXPECT_EQ(run("queue", {"pause", "1"}), 0);
  EXPECT_EQ(seen_.back().method, "POST");
  EXPECT_EQ(seen_.back().target, "/api/v1/queues/1/pause");
  EXPECT_FALSE(seen_.back().body);
  EXPECT_EQ(out_.str(), "queue 1 (R): paused, depth 4\n");

  script_.push_back(reply(204, ""));
  EXPECT_EQ(run("tokens", {"revoke", "3"}), 0);
  EXPECT_EQ(seen_.back().method, "DELETE");
  EXPECT_EQ(seen_.back().target, "/api/v1/tokens/3");
  EXPECT_EQ(out_.str(), "revoked token 3\n");
}

// --- errors ---

TEST_F(AdminCommand, InvalidRequestPrintsTheErrorAndEachFieldAndExitsOne) {
  script_.push_back(reply(400, R"({"error":"the request has 2 invalid fields","fields":[
    {"field":"host","reason":"a URL starting with http:// or https://"},
    {"field":"port","reason":"a port number from 1 to 65535"}]})"));
  EXPECT_EQ(run("destinations", {"create", "--name", "x", "--method", "rest", "--host", "h"}), 1);
  EXPECT_EQ(err_.str(),
            "dcgw destinations create: the request has 2 invalid fields (HTTP 400)\n"
            "  host: a URL starting with http:// or https://\n"
            "  port: a port number from 1 to 65535\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(AdminCommand, UnauthorizedAndForbiddenSayWhatTheTokenLacks) {
  script_.push_back(reply(401, R"({"error":"no valid token"})"));
  EXPECT_EQ(run("devices", {"list"}), 1);
  EXPECT_NE(err_.str().find("no valid token (HTTP 401)"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("check --token or DCGW_TOKEN"), std::string::npos);

  script_.push_back(reply(403, R"({"error":"auditor tokens only read"})"));
  EXPECT_EQ(run("devices", {"delete", "12345678"}), 1);
  EXPECT_EQ(err_.str(), "dcgw devices delete: auditor tokens only read (HTTP 403)\n");

  script_.push_back(Exchange{HttpResponse{403, "Forbidden", ""}, {}});
  EXPECT_EQ(run("devices", {"delete", "12345678"}), 1);
  EXPECT_EQ(err_.str(),
            "dcgw devices delete: the gateway answered HTTP 403 Forbidden\n"
            "dcgw devices delete: this needs a token with the admin role (auditors only read)\n");
}

TEST_F(AdminCommand, AnErrorWithoutTheApisBodyShowsTheStatus) {
  script_.push_back(Exchange{HttpResponse{502, "Bad Gateway", "<html>proxy</html>"}, {}});
  EXPECT_EQ(run("queue", {"list"}), 1);
  EXPECT_EQ(err_.str(),
            "dcgw queue list: the gateway answered HTTP 502 Bad Gateway: "
            "<html>proxy</html>\n");
}

TEST_F(AdminCommand, AnUpdateStopsWhenTheFetchFails) {
  script_.push_back(reply(404, R"({"error":"no destination 9"})"));
  EXPECT_EQ(run("destinations", {"update", "9", "--name", "x"}), 1);
  EXPECT_EQ(seen_.size(), 1u);
  EXPECT_NE(err_.str().find("no destination 9 (HTTP 404)"), std::string::npos);
}

TEST(AdminClient, ARefusedConnectionExitsThreeNamingTheUrl) {
  std::uint16_t port = 0;
  {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = s.address().port();
  }  // closed: connecting to it is refused
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  std::ostringstream out, err;
  EXPECT_EQ(runAdminCommand("queue", {"list", "--url", url, "--token", "t"}, out, err), 3);
  EXPECT_EQ(err.str(),
            "dcgw queue list: cannot reach the gateway at " + url + ": connection refused\n");
}

TEST(AdminClient, EncodesPathsAndReserializesParsedJson) {
  EXPECT_EQ(percentEncode("a-Z_0.~ /?#%é"), "a-Z_0.~%20%2F%3F%23%25%C3%A9");
  auto v = codecs::parseJson(R"({"a":[1,2.5,null,true],"b":{"c":"\"x\""}})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(toJson(*v), R"({"a":[1,2.5,null,true],"b":{"c":"\"x\""}})");
}

}  // namespace
}  // namespace dcgw::cli
