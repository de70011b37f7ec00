// The admin API of the card bridges and of the card relay's log (issue 12: schema/openapi.yaml
// CardBridge, CardEvent, CardSession) through real HTTP on loopback, over a real store: a
// bridge's key generated and shown once, never audited; every validation error; the relay's
// events paged per card, per device and in all; ended sessions with durations and outcomes.
#include "tests/gateway/card_api_fixture.hpp"

namespace dcgw::admin::cardtest {
namespace {

TEST_F(CardApiTest, BridgeLifecycleShowsAGeneratedKeyOnceAndNeverAudits) {
  Reply created =
      call("POST", "/api/v1/card-bridges", R"({"ident":"office-1","description":"Fleet office"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string key = str(created["key"]);
  ASSERT_EQ(key.size(), 64u) << created.body;
  EXPECT_TRUE(yes(created["hasKey"]));
  EXPECT_FALSE(yes(created["connected"]));
  EXPECT_EQ(codecs::toHex(*store_->cardBridgeKey("office-1")), key);
  EXPECT_TRUE(published(common::Change::Kind::CardBridgeChanged, "office-1"));
  EXPECT_EQ(str(member(lastAudit(), "action")), "card-bridge.create");
  for (const std::string uri :
       {"/api/v1/card-bridges", "/api/v1/card-bridges/office-1", "/api/v1/audit"})
    EXPECT_EQ(get(uri).body.find(key), std::string::npos) << uri << " shows the key";
  EXPECT_EQ(call("POST", "/api/v1/card-bridges", R"({"ident":"office-1"})").status, 409);

  const std::string given(64, 'a');
  Reply withKey =
      call("POST", "/api/v1/card-bridges", R"({"ident":"office-2","key":")" + given + "\"}");
  ASSERT_EQ(withKey.status, 201) << withKey.body;
  EXPECT_FALSE(withKey.json.find("key")) << "a given key is not returned";
  EXPECT_EQ(codecs::toHex(*store_->cardBridgeKey("office-2")), given);

  clearChanges();
  Reply described = call("PUT", "/api/v1/card-bridges/office-1", R"({"description":"Upstairs"})");
  ASSERT_EQ(described.status, 200) << described.body;
  EXPECT_EQ(str(described["description"]), "Upstairs");
  EXPECT_EQ(codecs::toHex(*store_->cardBridgeKey("office-1")), key) << "kept";
  EXPECT_EQ(str(member(lastAudit(), "action")), "card-bridge.update");
  const std::string other(32, 'b');
  ASSERT_EQ(call("PUT", "/api/v1/card-bridges/office-1", R"({"key":")" + other + "\"}").status,
            200);
  EXPECT_EQ(codecs::toHex(*store_->cardBridgeKey("office-1")), other);
  EXPECT_TRUE(published(common::Change::Kind::CardBridgeChanged, "office-1"));
  // The audit says the key changed (hasKey alone is true before and after), never which.
  EXPECT_NE(get("/api/v1/audit?limit=1").body.find(R"("keyChanged":true)"), std::string::npos)
      << get("/api/v1/audit?limit=1").body;

  Reply rotated = call("POST", "/api/v1/card-bridges/office-1/rotate-key");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_EQ(str(rotated["ident"]), "office-1");
  EXPECT_EQ(codecs::toHex(*store_->cardBridgeKey("office-1")), str(rotated["key"]));
  JsonValue audit = lastAudit();
  EXPECT_EQ(str(member(audit, "action")), "card-bridge.rotate-key");
  EXPECT_EQ(str(member(audit, "target")), "card-bridge office-1");
  EXPECT_EQ(get("/api/v1/audit?limit=500").body.find(str(rotated["key"])), std::string::npos);
  EXPECT_EQ(get("/api/v1/audit?limit=500").body.find(other), std::string::npos);
  EXPECT_EQ(call("POST", "/api/v1/card-bridges/nope/rotate-key").status, 404);

  clearChanges();
  EXPECT_EQ(call("DELETE", "/api/v1/card-bridges/office-1").status, 204);
  EXPECT_EQ(str(member(lastAudit(), "action")), "card-bridge.remove");
  EXPECT_TRUE(published(common::Change::Kind::CardBridgeChanged, "office-1"));
  EXPECT_FALSE(store_->cardBridgeKey("office-1"));
  EXPECT_EQ(get("/api/v1/card-bridges/office-1").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/card-bridges/office-1").status, 404);
}

TEST_F(CardApiTest, BridgeInputErrorsNameEveryBadField) {
  expectInvalid(
      call("POST", "/api/v1/card-bridges",
           R"({"ident":"a b","description":")" + std::string(201, 'd') + R"(","key":"abcd"})"),
      {"ident", "description", "key"}, "three bad fields");
  expectInvalid(call("POST", "/api/v1/card-bridges", "{}"), {"ident"}, "no ident");
  expectInvalid(call("POST", "/api/v1/card-bridges",
                     R"({"ident":")" + std::string(33, 'i') + R"(","key":")" +
                         std::string(130, 'a') + R"(","port":1})"),
                {"ident", "key", "port"}, "33 characters, a 65-byte key, an unknown member");
  expectInvalid(call("POST", "/api/v1/card-bridges", R"({"ident":"x","key":"zz"})"), {"key"},
                "not hex");
  ASSERT_EQ(call("POST", "/api/v1/card-bridges", R"({"ident":"office-1"})").status, 201);
  expectInvalid(call("PUT", "/api/v1/card-bridges/office-1", R"({"ident":"office-9","key":""})"),
                {"ident", "key"}, "PUT renaming, an empty key");
  EXPECT_EQ(get("/api/v1/card-bridges")["cardBridges"].asArray().size(), 1u);
  EXPECT_EQ(as(auditor_, "POST", "/api/v1/card-bridges/office-1/rotate-key").status, 403);
}

TEST_F(CardApiTest, EventsArePagedPerCardPerDeviceAndInAll) {
  ASSERT_EQ(createCard(kCard).status, 201);
  createDevice("SN1");
  createDevice("SN2");
  std::vector<store::CardEventRecord> events;
  for (int i = 0; i < 5; ++i)
    events.push_back({0, kNoon + i, kCard, i % 2 ? "SN2" : "SN1", "office-1", "WAITING",
                      "place " + std::to_string(i)});
  events.push_back({0, kNoon + 9, "", "", "office-2", "WRONG_PROOF", "a wrong key"});
  store_->recordCardEvents(events);

  Reply page = get("/api/v1/cards/" + kCard + "/events?limit=2");
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_EQ(page["events"].asArray().size(), 2u);
  const JsonValue& newest = at(page["events"], 0);
  EXPECT_EQ(str(member(newest, "text")), "place 4");
  EXPECT_EQ(str(member(newest, "card")), kCard);
  EXPECT_EQ(str(member(newest, "device")), "SN1");
  EXPECT_EQ(str(member(newest, "bridge")), "office-1");
  EXPECT_EQ(str(member(newest, "code")), "WAITING");
  EXPECT_EQ(str(member(newest, "at")), control::formatTimeMs(kNoon + 4));
  Reply rest =
      get("/api/v1/cards/" + kCard + "/events?before=" + std::to_string(num(page["next"])));
  ASSERT_EQ(rest["events"].asArray().size(), 3u) << rest.body;
  EXPECT_EQ(str(member(at(rest["events"], 2), "text")), "place 0");
  EXPECT_TRUE(rest["next"].isNull());

  Reply sn2 = get("/api/v1/devices/SN2/card-events");
  ASSERT_EQ(sn2["events"].asArray().size(), 2u) << sn2.body;
  for (const auto& e : sn2["events"].asArray()) EXPECT_EQ(str(member(e, "device")), "SN2");
  Reply all = get("/api/v1/card-events");
  ASSERT_EQ(all["events"].asArray().size(), 6u);
  const JsonValue& bridgeOnly = at(all["events"], 0);
  EXPECT_TRUE(member(bridgeOnly, "card").isNull());
  EXPECT_TRUE(member(bridgeOnly, "device").isNull());
  EXPECT_EQ(str(member(bridgeOnly, "bridge")), "office-2");

  expectInvalid(get("/api/v1/card-events?limit=0&before=x"), {"limit", "before"}, "bad paging");
  expectInvalid(get("/api/v1/card-events?limit=501"), {"limit"}, "limit over 500");
  EXPECT_EQ(get("/api/v1/cards/NOPE/events").status, 404);
  EXPECT_EQ(get("/api/v1/devices/NOPE/card-events").status, 404);
  EXPECT_EQ(as(auditor_, "GET", "/api/v1/card-events").status, 200);
}

TEST_F(CardApiTest, SessionsShowDurationsAndOutcomesNewestFirst) {
  ASSERT_EQ(createCard(kCard).status, 201);
  createDevice("SN1");
  std::vector<store::CardSessionRecord> sessions;
  // 25 finished sessions of 900 ms (started 100 ms after the request), then one refused.
  for (int i = 0; i < 25; ++i)
    sessions.push_back({0, kCard, "SN1", "office-1", kNoon + i * 1000, kNoon + i * 1000 + 100,
                        kNoon + i * 1000 + 1000, "FINISHED", 7});
  sessions.push_back(
      {0, kCard, "SN1", "", kNoon + 30'000, std::nullopt, kNoon + 30'005, "OFFLINE", 0});
  store_->recordCardSessions(sessions);

  Reply card = get("/api/v1/cards/" + kCard);
  ASSERT_EQ(card["lastSessions"].asArray().size(), 20u) << card.body;
  const JsonValue& refused = at(card["lastSessions"], 0);
  EXPECT_EQ(str(member(refused, "outcome")), "OFFLINE");
  EXPECT_TRUE(member(refused, "bridge").isNull());
  EXPECT_TRUE(member(refused, "startedAt").isNull());
  EXPECT_EQ(num(member(refused, "durationMs")), 5) << "from the request when never started";
  const JsonValue& finished = at(card["lastSessions"], 1);
  EXPECT_EQ(str(member(finished, "device")), "SN1");
  EXPECT_EQ(str(member(finished, "card")), kCard);
  EXPECT_EQ(str(member(finished, "bridge")), "office-1");
  EXPECT_EQ(num(member(finished, "durationMs")), 900);
  EXPECT_EQ(num(member(finished, "apdus")), 7);
  EXPECT_EQ(str(member(finished, "requestedAt")), control::formatTimeMs(kNoon + 24'000));
  EXPECT_EQ(str(member(finished, "startedAt")), control::formatTimeMs(kNoon + 24'100));
  EXPECT_EQ(str(member(finished, "endedAt")), control::formatTimeMs(kNoon + 25'000));
  EXPECT_FALSE(get("/api/v1/cards")["cards"].asArray()[0].find("lastSessions"))
      << "only the card's own GET has them";

  EXPECT_EQ(get("/api/v1/cards/" + kCard + "/sessions")["sessions"].asArray().size(), 26u);
  EXPECT_EQ(get("/api/v1/cards/" + kCard + "/sessions?limit=3")["sessions"].asArray().size(), 3u);
  EXPECT_EQ(get("/api/v1/devices/SN1/card-sessions?limit=500")["sessions"].asArray().size(), 26u);
  expectInvalid(get("/api/v1/cards/" + kCard + "/sessions?limit=501"), {"limit"}, "limit 501");
  expectInvalid(get("/api/v1/devices/SN1/card-sessions?limit=-1"), {"limit"}, "limit -1");
  EXPECT_EQ(get("/api/v1/cards/NOPE/sessions").status, 404);
  EXPECT_EQ(get("/api/v1/devices/NOPE/card-sessions").status, 404);
  EXPECT_EQ(call("POST", "/api/v1/cards/" + kCard + "/sessions").status, 405);
  EXPECT_EQ(get("/api/v1/cards/" + kCard + "/nothing").status, 404);
}

}  // namespace
}  // namespace dcgw::admin::cardtest
