// Teltonika devices in the admin API (issue 15; schema/openapi.yaml Device, QueueEntry) through
// real HTTP on loopback over a real store: protocol and family created, read, changed (audited,
// published as DeviceChanged), every validation error naming its field, no device key for a
// Teltonika device, and the raw AVL record shown with a queue entry made from it.
#include "gateway/ingest/routing.hpp"
#include "tests/gateway/card_api_fixture.hpp"

namespace dcgw::admin::cardtest {
namespace {

const std::string kImei = "356307042441013";
const std::string kKey = "40ccd56388dff07bad7dbbeb5a639cde018fd61ced5bfc5bc9c633396118a16e";

using TeltonikaDeviceApiTest = CardApiTest;

TEST_F(TeltonikaDeviceApiTest, ATeltonikaDeviceIsCreatedWithItsFamilyInItsCanonicalSpelling) {
  Reply r = call("POST", "/api/v1/devices",
                 R"({"serial":")" + kImei + R"(","locationId":)" + std::to_string(depot_) +
                     R"(,"protocol":"teltonika","family":"fmx6"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(str(r["protocol"]), "teltonika");
  EXPECT_EQ(str(r["family"]), "FMX6");
  EXPECT_FALSE(yes(r["hasKey"]));
  EXPECT_TRUE(r["key"].isNull()) << "no key is generated for it";
  EXPECT_TRUE(published(common::Change::Kind::DeviceChanged, kImei));
  const JsonValue audit = lastAudit();
  EXPECT_EQ(str(member(audit, "action")), "device.create");
  EXPECT_EQ(str(member(member(audit, "after"), "protocol")), "teltonika");
  EXPECT_EQ(str(member(member(audit, "after"), "family")), "FMX6");
  const auto auth = store_->deviceAuth(kImei);
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->protocol, "teltonika");
  EXPECT_EQ(auth->family, "FMX6");

  // A dcgw device says so, with no family.
  createDevice("12345678");
  Reply dcgw = get("/api/v1/devices/12345678");
  EXPECT_EQ(str(dcgw["protocol"]), "dcgw");
  EXPECT_TRUE(dcgw["family"].isNull()) << dcgw.body;
  Reply list = get("/api/v1/devices");
  ASSERT_EQ(list["devices"].asArray().size(), 2u);
  EXPECT_EQ(str(member(at(list["devices"], 1), "family")), "FMX6");
}

TEST_F(TeltonikaDeviceApiTest, ChangingTheFamilyIsAuditedAndPublished) {
  createDevice(kImei, R"(,"protocol":"teltonika","family":"FMX6")");
  clearChanges();
  Reply r = call("PUT", "/api/v1/devices/" + kImei, R"({"family":"FMBXXX"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(str(r["family"]), "FMBxxx");
  EXPECT_EQ(str(r["protocol"]), "teltonika") << "kept";
  EXPECT_TRUE(published(common::Change::Kind::DeviceChanged, kImei))
      << "a connected device is checked again";
  const JsonValue audit = lastAudit();
  EXPECT_EQ(str(member(audit, "action")), "device.update");
  EXPECT_EQ(str(member(member(audit, "before"), "family")), "FMX6");
  EXPECT_EQ(str(member(member(audit, "after"), "family")), "FMBxxx");
  EXPECT_EQ(store_->deviceAuth(kImei)->family, "FMBxxx");
  // The registration alone keeps both; a GET sent back whole is accepted.
  ASSERT_EQ(call("PUT", "/api/v1/devices/" + kImei, R"({"registration":"AB12CDE"})").status, 200);
  Reply whole = get("/api/v1/devices/" + kImei);
  EXPECT_EQ(str(whole["family"]), "FMBxxx");
  EXPECT_EQ(call("PUT", "/api/v1/devices/" + kImei, whole.body).status, 200) << whole.body;
}

TEST_F(TeltonikaDeviceApiTest, BadTeltonikaDevicesAreRefusedNamingEveryBadField) {
  const std::string loc = R"(,"locationId":)" + std::to_string(depot_);
  auto post = [&](const std::string& body) { return call("POST", "/api/v1/devices", body); };
  expectInvalid(post(R"({"serial":")" + kImei + R"(","protocol":"teltonika")" + loc + "}"),
                {"family"}, "no family");
  expectInvalid(
      post(R"({"serial":")" + kImei + R"(","protocol":"teltonika","family":"FMC9")" + loc + "}"),
      {"family"}, "an unknown family");
  expectInvalid(post(R"({"serial":"35630704244101","protocol":"teltonika","family":"FMX6"})"),
                {"serial"}, "14 digits");
  expectInvalid(post(R"({"serial":"35630704244101A","protocol":"teltonika","family":"FMX6"})"),
                {"serial"}, "not digits");
  expectInvalid(post(R"({"serial":"12345678","protocol":"ruptela"})"), {"protocol"},
                "an unknown protocol");
  expectInvalid(post(R"({"serial":"12345678","family":"FMX6"})"), {"family"},
                "a family for a dcgw device");
  expectInvalid(post(R"({"serial":"12345678","protocol":"dcgw","family":"FMX6"})"), {"family"},
                "a family for a dcgw device");
  expectInvalid(post(R"({"serial":"12345678","family":7})"), {"family"}, "not a string");
  Reply keyed = post(R"({"serial":")" + kImei +
                     R"(","protocol":"teltonika","family":"FMX6","key":")" + kKey + "\"}");
  expectInvalid(keyed, {"key"}, "a key for a Teltonika device");
  EXPECT_NE(keyed.body.find("Teltonika devices have no device key"), std::string::npos)
      << keyed.body;
  expectInvalid(post(R"({"serial":")" + kImei + R"("})"), {"serial"}, "an IMEI as a dcgw serial");
  EXPECT_TRUE(store_->devices().empty()) << "nothing refused is stored";

  // An update is checked as the device will be.
  createDevice(kImei, R"(,"protocol":"teltonika","family":"FMX6")");
  expectInvalid(call("PUT", "/api/v1/devices/" + kImei, R"({"family":null})"), {"family"},
                "the family removed");
  expectInvalid(call("PUT", "/api/v1/devices/" + kImei, R"({"key":")" + kKey + "\"}"), {"key"},
                "a key given");
  expectInvalid(call("PUT", "/api/v1/devices/" + kImei, R"({"protocol":"dcgw"})"), {"serial"},
                "an IMEI is no dcgw serial");
  EXPECT_EQ(store_->device(kImei)->family, "FMX6") << "unchanged";
  Reply rotate = call("POST", "/api/v1/devices/" + kImei + "/key");
  EXPECT_EQ(rotate.status, 409) << rotate.body;
  EXPECT_NE(rotate.body.find("Teltonika devices have no device key"), std::string::npos)
      << rotate.body;
  EXPECT_FALSE(store_->device(kImei)->hasKey);
}

// Seed 004 section 3 gives the serial 8 characters: an IMEI goes out as its last 8 digits
// (schema/teltonika.md 10.1), so no two devices may end up with the same 8.
TEST_F(TeltonikaDeviceApiTest, TwoDevicesThatThirdPartiesWouldReceiveUnderOneSerialAreRefused) {
  createDevice(kImei, R"(,"protocol":"teltonika","family":"FMX6")");
  const std::string loc = R"(,"locationId":)" + std::to_string(depot_);
  auto post = [&](const std::string& body) { return call("POST", "/api/v1/devices", body); };
  // Another model's IMEI (another type allocation code) with the same last 8 digits.
  Reply twin =
      post(R"({"serial":"490154242441013","protocol":"teltonika","family":"FMBxxx")" + loc + "}");
  EXPECT_EQ(twin.status, 409) << twin.body;
  EXPECT_NE(twin.body.find("'42441013'"), std::string::npos) << twin.body;
  EXPECT_NE(twin.body.find(kImei), std::string::npos) << "names the device it clashes with";
  // A dcgw device whose serial is those 8 digits.
  Reply plain = post(R"({"serial":"42441013")" + loc + "}");
  EXPECT_EQ(plain.status, 409) << plain.body;
  EXPECT_FALSE(store_->device("490154242441013"));
  EXPECT_FALSE(store_->device("42441013"));
  // Any other last 8 digits are fine.
  createDevice("490154202441014", R"(,"protocol":"teltonika","family":"FMBxxx")");
  createDevice("42441014");
}

TEST_F(TeltonikaDeviceApiTest, ARefusedImeiIsRegisteredAsATeltonikaDeviceWithoutAKey) {
  store_->recordRefusedIdents({{kImei, "127.0.0.1:5000", "unknown device", kNoon, 0, 0}});
  Reply r = call("POST", "/api/v1/refused-idents/" + kImei + "/register",
                 R"({"protocol":"teltonika","family":"FMBxxx"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(str(r["protocol"]), "teltonika");
  EXPECT_FALSE(yes(r["hasKey"]));
  EXPECT_TRUE(r["key"].isNull()) << "no key generated for a Teltonika device";
  EXPECT_TRUE(store_->refusedIdents().empty());
}

TEST_F(TeltonikaDeviceApiTest, AQueueEntryShowsTheRawRecordItWasMadeFrom) {
  store::DestinationConfig dest;
  dest.settings.name = "d";
  dest.settings.host = "http://127.0.0.1:9/in";
  auto id = store_->createDestination(dest, kNoon);
  ASSERT_TRUE(id.ok());
  dest.id = *id;
  ASSERT_TRUE(store_->updateLocation({depot_, "Depot", "", {*id}}).ok());
  createDevice(kImei, R"(,"protocol":"teltonika","family":"FMX6")");
  std::vector<store::IngestItem> items(2);
  for (auto& i : items) {
    i.serial = kImei;
    // Tracking suppression (seed 004 section 12.3).
    i.packet = {0x47, 0x02, 0x6A, 0x00, 0x00, 0x01, 0x01};
    i.receivedAtMs = kNoon;
  }
  // [codec 0x8E][the record's first bytes: its timestamp and priority]
  items[0].origin = {0x8E, 0x00, 0x00, 0x01, 0x6B, 0x40, 0xD8, 0xEA, 0x30, 0x01};
  std::vector<std::int64_t> touched;
  ASSERT_EQ(ingest::RoutedAppender(*store_, *store_).append(items, touched),
            (std::vector<store::AppendOutcome>{store::AppendOutcome::Stored,
                                               store::AppendOutcome::Stored}));
  Reply page = get("/api/v1/queues/" + std::to_string(*id) + "/entries");
  ASSERT_EQ(page.status, 200) << page.body;
  const JsonValue& first = at(page["entries"], 0);
  const JsonValue& origin = member(first, "origin");
  EXPECT_EQ(str(member(origin, "protocol")), "teltonika") << page.body;
  EXPECT_EQ(str(member(origin, "codec")), "Codec 8 Extended");
  EXPECT_EQ(str(member(origin, "hex")), "0000016b40d8ea3001");
  EXPECT_TRUE(member(at(page["entries"], 1), "origin").isNull()) << page.body;
  Reply one = get("/api/v1/queues/" + std::to_string(*id) + "/entries/" +
                  std::to_string(num(member(first, "id"))));
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(str(member(one["origin"], "hex")), "0000016b40d8ea3001");
}

}  // namespace
}  // namespace dcgw::admin::cardtest
