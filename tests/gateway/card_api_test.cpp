// The admin API of the company cards (issue 12: schema/openapi.yaml Card) through real HTTP on
// loopback, over a real store: the lifecycle with its audit rows and change-feed notices, every
// validation error, expiry by the gateway's clock, each device's company card, and the live
// state a running relay reports (or none).
#include "tests/gateway/card_api_fixture.hpp"

namespace dcgw::admin::cardtest {
namespace {

TEST_F(CardApiTest, CardLifecycleIsAuditedAndPublished) {
  Reply created = createCard(kCard);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(str(created["number"]), kCard);
  EXPECT_EQ(str(created["name"]), "Depot card");
  EXPECT_EQ(num(at(created["locationIds"], 0)), depot_);
  EXPECT_EQ(str(created["expiresOn"]), "2027-05-31");
  EXPECT_FALSE(yes(created["expired"]));
  EXPECT_FALSE(yes(created["online"]));
  for (const char* k : {"bridge", "reader", "inUseBy", "inUseSince"})
    EXPECT_TRUE(created[k].isNull()) << k << ": " << created.body;
  EXPECT_EQ(num(created["queueLength"]), 0);
  EXPECT_TRUE(strings(created["devices"]).empty());
  EXPECT_TRUE(published(common::Change::Kind::CardChanged, kCard));
  JsonValue audit = lastAudit();
  EXPECT_EQ(str(member(audit, "action")), "card.create");
  EXPECT_EQ(str(member(audit, "target")), "card " + kCard);
  EXPECT_EQ(str(member(member(audit, "after"), "expiresOn")), "2027-05-31");

  EXPECT_EQ(createCard(kCard).status, 409) << "the number is taken";
  Reply list = get("/api/v1/cards");
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list["cards"].asArray().size(), 1u);
  EXPECT_EQ(str(member(at(list["cards"], 0), "number")), kCard);

  // PUT is partial: the name alone keeps the locations and the date.
  clearChanges();
  Reply renamed = call("PUT", "/api/v1/cards/" + kCard, R"({"name":"Spare"})");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(str(renamed["name"]), "Spare");
  EXPECT_EQ(num(at(renamed["locationIds"], 0)), depot_);
  EXPECT_EQ(str(renamed["expiresOn"]), "2027-05-31");
  Reply moved = call("PUT", "/api/v1/cards/" + kCard,
                     R"({"locationIds":[)" + std::to_string(yard_) + "," + std::to_string(depot_) +
                         R"(],"expiresOn":"2028-02-29"})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(num(at(moved["locationIds"], 0)), depot_);  // ascending
  EXPECT_EQ(num(at(moved["locationIds"], 1)), yard_);
  EXPECT_EQ(str(moved["expiresOn"]), "2028-02-29");  // a leap day
  audit = lastAudit();
  EXPECT_EQ(str(member(audit, "action")), "card.update");
  EXPECT_EQ(str(member(member(audit, "before"), "name")), "Spare");
  EXPECT_TRUE(published(common::Change::Kind::CardChanged, kCard));
  // A GET sent back whole is accepted (its read-only members ignored).
  Reply whole = get("/api/v1/cards/" + kCard);
  EXPECT_EQ(call("PUT", "/api/v1/cards/" + kCard, whole.body).status, 200) << whole.body;

  clearChanges();
  EXPECT_EQ(call("DELETE", "/api/v1/cards/" + kCard).status, 204);
  EXPECT_EQ(str(member(lastAudit(), "action")), "card.remove");
  EXPECT_TRUE(published(common::Change::Kind::CardChanged, kCard));
  EXPECT_EQ(get("/api/v1/cards/" + kCard).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/cards/" + kCard).status, 404);
  EXPECT_EQ(call("PUT", "/api/v1/cards/" + kCard, R"({"name":"x"})").status, 404);
}

TEST_F(CardApiTest, CardInputErrorsNameEveryBadFieldAndChangeNothing) {
  expectInvalid(call("POST", "/api/v1/cards",
                     R"({"number":"B 0001","name":")" + std::string(65, 'n') +
                         R"(","locationIds":[4242],"expiresOn":"2027-02-29"})"),
                {"number", "name", "locationIds", "expiresOn"}, "four bad fields");
  expectInvalid(call("POST", "/api/v1/cards", "{}"), {"number", "expiresOn"}, "nothing");
  expectInvalid(call("POST", "/api/v1/cards", R"({"number":"12345678901234567","expiresOn":"x"})"),
                {"number", "expiresOn"}, "17 characters and no date");
  expectInvalid(call("POST", "/api/v1/cards", R"({"number":"","expiresOn":"2027-13-01"})"),
                {"number", "expiresOn"}, "empty number, month 13");
  expectInvalid(call("POST", "/api/v1/cards",
                     R"({"number":"A1","expiresOn":"2027-04-31","locationIds":"1","colour":2})"),
                {"expiresOn", "locationIds", "colour"}, "April 31st, a string, an unknown member");
  expectInvalid(call("POST", "/api/v1/cards", R"({"number":7,"expiresOn":20270531})"),
                {"number", "expiresOn"}, "numbers instead of strings");
  EXPECT_EQ(get("/api/v1/cards")["cards"].asArray().size(), 0u);
  // 1 to 16 characters are taken (16 is the usual).
  EXPECT_EQ(createCard("A").status, 201);
  ASSERT_EQ(createCard(kCard).status, 201);
  const std::string before = get("/api/v1/cards/" + kCard).body;
  expectInvalid(call("PUT", "/api/v1/cards/" + kCard,
                     R"({"number":"OTHER","locationIds":[4242],"expiresOn":"2027-5-31"})"),
                {"number", "locationIds", "expiresOn"}, "PUT renumbering, bad location and date");
  EXPECT_EQ(get("/api/v1/cards/" + kCard).body, before);
  EXPECT_EQ(
      as(auditor_, "POST", "/api/v1/cards", R"({"number":"Z","expiresOn":"2030-01-01"})").status,
      403);
  EXPECT_EQ(as(auditor_, "DELETE", "/api/v1/cards/" + kCard).status, 403);
  EXPECT_EQ(as(auditor_, "GET", "/api/v1/cards/" + kCard).status, 200);
}

TEST_F(CardApiTest, ExpiredIsTheDayAfterExpiresOnByTheGatewaysClock) {
  ASSERT_EQ(createCard(kCard, "2027-05-31").status, 201);
  ASSERT_EQ(createCard("OLD", "2027-05-30").status, 201);
  EXPECT_FALSE(yes(get("/api/v1/cards/" + kCard)["expired"])) << "usable through its last day";
  EXPECT_TRUE(yes(get("/api/v1/cards/OLD")["expired"]));
  clock_.advance(12 * 3600 * 1000);  // 2027-06-01T00:00Z
  EXPECT_TRUE(yes(get("/api/v1/cards/" + kCard)["expired"]));
}

TEST_F(CardApiTest, ACardNamedByADeviceCannotBeRemovedAndTheErrorNamesTheDevices) {
  ASSERT_EQ(createCard(kCard).status, 201);
  createDevice("SN2", R"(,"companyCard":")" + kCard + "\"");
  createDevice("SN1");
  clearChanges();
  Reply named = call("PUT", "/api/v1/devices/SN1", R"({"companyCard":")" + kCard + "\"}");
  ASSERT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(str(named["companyCard"]), kCard);
  EXPECT_EQ(str(named["registration"]), "") << "the rest is kept";
  EXPECT_EQ(num(named["locationId"]), depot_);
  EXPECT_TRUE(published(common::Change::Kind::DeviceChanged, "SN1"));
  JsonValue audit = lastAudit();
  EXPECT_EQ(str(member(audit, "action")), "device.update");
  EXPECT_TRUE(member(member(audit, "before"), "companyCard").isNull());
  EXPECT_EQ(str(member(member(audit, "after"), "companyCard")), kCard);
  EXPECT_EQ(strings(get("/api/v1/cards/" + kCard)["devices"]),
            (std::vector<std::string>{"SN1", "SN2"}));

  Reply refused = call("DELETE", "/api/v1/cards/" + kCard);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(str(refused["error"]).find("SN1, SN2"), std::string::npos) << refused.body;
  EXPECT_EQ(get("/api/v1/cards/" + kCard).status, 200);

  // A PUT of another member keeps the card; null and "" take it away.
  EXPECT_EQ(str(call("PUT", "/api/v1/devices/SN1", R"({"registration":"AB12"})")["companyCard"]),
            kCard);
  EXPECT_TRUE(
      call("PUT", "/api/v1/devices/SN1", R"({"companyCard":null})")["companyCard"].isNull());
  EXPECT_TRUE(call("PUT", "/api/v1/devices/SN2", R"({"companyCard":""})")["companyCard"].isNull());
  EXPECT_EQ(call("DELETE", "/api/v1/cards/" + kCard).status, 204);
}

TEST_F(CardApiTest, ADeviceCanOnlyNameARegisteredCard) {
  expectInvalid(call("POST", "/api/v1/devices",
                     R"({"serial":"SN1","registration":"ABCDEFGHIJKLMN","companyCard":"NOPE"})"),
                {"registration", "companyCard"}, "a card not registered");
  expectInvalid(call("POST", "/api/v1/devices", R"({"serial":"SN1","companyCard":5})"),
                {"companyCard"}, "a number");
  createDevice("SN1");
  expectInvalid(call("PUT", "/api/v1/devices/SN1", R"({"companyCard":"NOPE"})"), {"companyCard"},
                "PUT of a card not registered");
  EXPECT_TRUE(get("/api/v1/devices/SN1")["companyCard"].isNull());
  EXPECT_TRUE(get("/api/v1/devices")["devices"].asArray()[0].find("companyCard"));
}

TEST_F(CardApiTest, LiveStateComesFromTheRelay) {
  ASSERT_EQ(createCard(kCard).status, 201);
  ASSERT_EQ(createCard("SPARE").status, 201);
  ASSERT_EQ(call("POST", "/api/v1/card-bridges", R"({"ident":"office-1"})").status, 201);
  ASSERT_EQ(call("POST", "/api/v1/card-bridges", R"({"ident":"office-2"})").status, 201);
  live_.set({{kCard, true, "office-1", "Reader 0", "SN9", kNoon - 5000, 2},
             {"SPARE", false, "", "", "", 0, 1}},
            {{"office-1", "203.0.113.7:51234", kNoon - 60'000}});
  Reply c = get("/api/v1/cards/" + kCard);
  EXPECT_TRUE(yes(c["online"]));
  EXPECT_EQ(str(c["bridge"]), "office-1");
  EXPECT_EQ(str(c["reader"]), "Reader 0");
  EXPECT_EQ(str(c["inUseBy"]), "SN9");
  EXPECT_EQ(str(c["inUseSince"]), control::formatTimeMs(kNoon - 5000));
  EXPECT_EQ(num(c["queueLength"]), 2);
  Reply spare = get("/api/v1/cards/SPARE");
  EXPECT_FALSE(yes(spare["online"]));
  EXPECT_TRUE(spare["bridge"].isNull());
  EXPECT_TRUE(spare["inUseBy"].isNull());
  EXPECT_TRUE(spare["inUseSince"].isNull());
  EXPECT_EQ(num(spare["queueLength"]), 1) << "a card offline keeps its queue";

  Reply b = get("/api/v1/card-bridges/office-1");
  EXPECT_TRUE(yes(b["connected"]));
  EXPECT_EQ(str(b["address"]), "203.0.113.7:51234");
  EXPECT_EQ(str(b["connectedSince"]), control::formatTimeMs(kNoon - 60'000));
  EXPECT_EQ(strings(b["cards"]), std::vector<std::string>{kCard});
  Reply other = get("/api/v1/card-bridges/office-2");
  EXPECT_FALSE(yes(other["connected"]));
  EXPECT_TRUE(other["address"].isNull());
  EXPECT_TRUE(other["connectedSince"].isNull());
  EXPECT_TRUE(strings(other["cards"]).empty());
  Reply list = get("/api/v1/card-bridges");
  ASSERT_EQ(list["cardBridges"].asArray().size(), 2u) << list.body;
  EXPECT_TRUE(yes(member(at(list["cardBridges"], 0), "connected")));
}

TEST_F(CardApiTest, WithoutARelayEveryCardIsOfflineAndEveryBridgeDisconnected) {
  // A server without the relay's view (what `dcgw serve` has before the relay is configured).
  AdminOptions options;
  options.port = 0;
  ApiServer bare(*store_, *forwarder_, clock_, options, MetricSources{}, &feed_);
  bare.start();
  live_.set({{kCard, true, "office-1", "Reader 0", "SN9", kNoon, 3}},
            {{"office-1", "203.0.113.7:51234", kNoon}});
  ASSERT_EQ(createCard(kCard).status, 201);
  ASSERT_EQ(call("POST", "/api/v1/card-bridges", R"({"ident":"office-1"})").status, 201);
  Poco::Net::HTTPClientSession s("127.0.0.1", bare.port());
  auto fetch = [&](const std::string& uri) {
    Poco::Net::HTTPRequest req("GET", uri, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + admin_);
    s.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::string body;
    Poco::StreamCopier::copyToString(s.receiveResponse(resp), body);
    return codecs::parseJson(body).value();
  };
  const JsonValue card = fetch("/api/v1/cards/" + kCard);
  EXPECT_FALSE(yes(member(card, "online")));
  EXPECT_TRUE(member(card, "inUseBy").isNull());
  EXPECT_EQ(num(member(card, "queueLength")), 0);
  const JsonValue bridge = fetch("/api/v1/card-bridges/office-1");
  EXPECT_FALSE(yes(member(bridge, "connected")));
  EXPECT_TRUE(strings(member(bridge, "cards")).empty());
  bare.stop();
  EXPECT_TRUE(yes(get("/api/v1/cards/" + kCard)["online"])) << "the other server has the relay";
}

}  // namespace
}  // namespace dcgw::admin::cardtest
