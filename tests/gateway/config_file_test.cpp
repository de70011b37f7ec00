// etc/dcgw.json is loaded strictly and atomically: an unknown member anywhere (a typo such as
// "filtre"), a member given twice, or two destinations, locations or devices of one name or
// serial refuse the whole file with the path of the mistake, and the store stays empty so the
// corrected file loads whole at the next start.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "gateway/config/config_file.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::config {
namespace {

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = (std::filesystem::temp_directory_path() / ("dcgw-config-" + std::to_string(::getpid())))
                .string();
    reopen();
  }
  void TearDown() override {
    store_.reset();
    for (const char* s : {".db", ".db-wal", ".db-shm", ".json"}) std::filesystem::remove(base_ + s);
  }
  void reopen() {
    store_.reset();
    for (const char* s : {".db", ".db-wal", ".db-shm"}) std::filesystem::remove(base_ + s);
    store_ = std::make_unique<store::SqliteStore>(base_ + ".db");
  }
  // Loads `json` into a fresh store.
  codecs::Status load(const std::string& json) {
    reopen();
    std::ofstream(base_ + ".json") << json;
    return loadIfEmpty(*store_, base_ + ".json", 0);
  }
  std::string file() const { return base_ + ".json"; }

  std::string base_;
  std::unique_ptr<store::SqliteStore> store_;
};

// Three destinations, a location and two devices that load; each case below breaks one thing.
const std::string kDestinations = R"(
  {"name": "a", "method": "rest", "host": "http://127.0.0.1:8081/in", "filter": null},
  {"name": "b", "method": "binary", "host": "127.0.0.1", "port": 9092, "customTags": "1"},
  {"name": "c", "method": "soap", "host": "http://127.0.0.1:8082/soap", "filter": ["Tracking"]})";

std::string document(const std::string& destinations = kDestinations,
                     const std::string& devices = R"(
  {"serial": "10000001", "location": "Depot", "registration": "AB12CDE"},
  {"serial": "10000002", "location": "Depot"})",
                     const std::string& locations = R"(
  {"name": "Depot", "description": "d", "destinations": ["a", "b", "c"]})",
                     const std::string& settings = "") {
  return "{" + settings + R"("destinations": [)" + destinations + R"(], "locations": [)" +
         locations + R"(], "devices": [)" + devices + "]}";
}

TEST_F(ConfigFile, TheBaseDocumentOfTheseTestsLoads) {
  const codecs::Status s = load(document());
  ASSERT_TRUE(s.ok()) << errorText(s.error());
  EXPECT_EQ(store_->destinations().size(), 3u);
  EXPECT_EQ(store_->devices().size(), 2u);
}

TEST_F(ConfigFile, AnUnknownMemberAnywhereRefusesTheFileNamingItsPath) {
  struct Case {
    std::string json;
    std::string path;
  };
  const std::string c = R"(
  {"name": "c", "method": "soap", "host": "http://127.0.0.1:8082/soap", "filtre": ["Tracking"]})";
  const std::vector<Case> cases = {
      {document(kDestinations.substr(0, kDestinations.rfind('{')) + c), "destinations[2].filtre"},
      {document(kDestinations, R"({"serial": "10000001", "location": "Depot", "serail": "x"})"),
       "devices[0].serail"},
      {document(kDestinations, R"({"serial": "10000001"})",
                R"({"name": "Depot", "destination": ["a"]})"),
       "locations[0].destination"},
      {document(kDestinations, "", "", R"("store": {"synchronus": "normal"},)"),
       "store.synchronus"},
      {document(kDestinations, "", "", R"("uplink": {"port": 0, "tls": {"certFile": "x"}},)"),
       "uplink.tls.certFile"},
      {document(kDestinations, "", "", R"("admin": {"prot": 8080},)"), "admin.prot"},
      {document(kDestinations, "", "", R"("device": [],)"), "device"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.path);
    const codecs::Status s = load(k.json);
    ASSERT_FALSE(s.ok()) << "loaded despite " << k.path;
    EXPECT_EQ(s.error().field, k.path);
    EXPECT_EQ(errorText(s.error()).rfind(k.path + ": unknown member (", 0), 0u)
        << errorText(s.error());
    EXPECT_TRUE(store_->empty()) << "nothing of a refused file is kept";
    // Every reader of the file refuses it, not only the loader (a typo in "uplink" must not
    // leave the listener on its defaults silently).
    EXPECT_FALSE(storeDurability(file()).ok());
    EXPECT_FALSE(uplinkOptions(file()).ok());
  }
}

TEST_F(ConfigFile, TwoDevicesOfOneSerialAreRefusedNamingBoth) {
  const codecs::Status s = load(document(kDestinations, R"(
    {"serial": "10000001", "location": "Depot", "registration": "FIRST"},
    {"serial": "10000002"},
    {"serial": "10000003"},
    {"serial": "10000001", "registration": "SECOND"})"));
  ASSERT_FALSE(s.ok()) << "the second entry silently replaced the first";
  EXPECT_EQ(s.error().field, "devices[3].serial");
  EXPECT_NE(s.error().expected.find("'10000001'"), std::string::npos) << s.error().expected;
  EXPECT_NE(s.error().expected.find("devices[0].serial"), std::string::npos) << s.error().expected;
  EXPECT_TRUE(store_->empty());
}

TEST_F(ConfigFile, TwoDestinationsOrLocationsOfOneNameAreRefusedNamingBoth) {
  codecs::Status s = load(document(kDestinations + R"(,
    {"name": "b", "method": "rest", "host": "http://127.0.0.1:1/"})"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, "destinations[3].name");
  EXPECT_NE(s.error().expected.find("destinations[1].name"), std::string::npos)
      << s.error().expected;
  EXPECT_TRUE(store_->empty());

  s = load(document(kDestinations, R"({"serial": "10000001"})", R"(
    {"name": "Depot", "destinations": ["a"]}, {"name": "Depot", "destinations": ["b"]})"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, "locations[1].name");
  EXPECT_NE(s.error().expected.find("locations[0].name"), std::string::npos) << s.error().expected;
  EXPECT_TRUE(store_->empty());
}

TEST_F(ConfigFile, AMemberGivenTwiceIsRefused) {
  // JSON allows it and the first would win silently; the second is most likely the intended.
  const codecs::Status s =
      load(document(R"(
    {"name": "a", "method": "rest", "host": "http://127.0.0.1:1/", "host": "http://h/"})",
                    R"({"serial": "10000001"})", R"({"name": "Depot", "destinations": ["a"]})"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, "destinations[0].host");
  EXPECT_NE(s.error().expected.find("twice"), std::string::npos) << s.error().expected;
}

TEST_F(ConfigFile, TheStoresRoomIsAWholeNumberOfBytesAndABadOneIsRefusedByName) {
  auto room = [&](const std::string& store) {
    std::ofstream(file()) << document(kDestinations, R"({"serial": "10000001"})",
                                      R"({"name": "Depot", "destinations": ["a"]})",
                                      R"("store": )" + store + ",");
    return storeRoom(file());
  };
  auto defaults = room("{}");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->maxBytes, 0) << "no limit unless set";
  EXPECT_EQ(defaults->minFreeBytes, 64LL << 20);
  auto set = room(R"({"maxBytes": 1073741824, "minFreeBytes": 0})");
  ASSERT_TRUE(set.ok()) << errorText(set.error());
  EXPECT_EQ(set->maxBytes, 1LL << 30);
  EXPECT_EQ(set->minFreeBytes, 0);
  for (const char* bad : {R"({"maxBytes": 1000})", R"({"maxBytes": "1G"})",
                          R"({"maxBytes": 20000000.5})", R"({"minFreeBytes": -1})"}) {
    SCOPED_TRACE(bad);
    auto r = room(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().field.rfind("store.m", 0), 0u) << r.error().field;
  }
}

TEST_F(ConfigFile, TheShippedConfigurationLoads) {
  const std::string etc = std::string(DCGW_SOURCE_DIR) + "/etc/dcgw.json";
  const codecs::Status s = loadIfEmpty(*store_, etc, 0);
  ASSERT_TRUE(s.ok()) << errorText(s.error());
  EXPECT_TRUE(storeDurability(etc).ok());
  EXPECT_TRUE(uplinkOptions(etc).ok());
  EXPECT_TRUE(adminOptions(etc).ok());
  EXPECT_TRUE(retentionMs(etc).ok());
  EXPECT_EQ(store_->devices().size(), 1u);
  auto cards = cardAuthOptions(etc);
  ASSERT_TRUE(cards.ok()) << errorText(cards.error());
  ASSERT_TRUE(cards->has_value()) << "the shipped configuration runs the card relay";
  EXPECT_EQ((*cards)->bridges.port, 7710);
}

// The Debian package's /etc/dcgw/dcgw.json: valid, and nothing loaded from it that a stranger
// knows (no device, so no public demo key; no destination).
TEST_F(ConfigFile, ThePackagedConfigurationLoadsWithoutDevicesOrDestinations) {
  const std::string etc = std::string(DCGW_SOURCE_DIR) + "/etc/debian/dcgw.json";
  const codecs::Status s = loadIfEmpty(*store_, etc, 0);
  ASSERT_TRUE(s.ok()) << errorText(s.error());
  auto durability = storeDurability(etc);
  EXPECT_TRUE(durability.ok()) << errorText(durability.error());
  auto uplink = uplinkOptions(etc);
  EXPECT_TRUE(uplink.ok()) << errorText(uplink.error());
  auto log = logOptions(etc);
  EXPECT_TRUE(log.ok()) << errorText(log.error());
  EXPECT_TRUE(store_->devices().empty());
  EXPECT_TRUE(store_->destinations().empty());
  auto admin = adminOptions(etc);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->bind, "127.0.0.1") << "the admin API is not opened to the network by default";
}

TEST_F(ConfigFile, TheLogSectionDefaultsToStderrTextAndIsCheckedSettingBySetting) {
  std::ofstream(file()) << R"({"uplink": {"port": 0}})";
  auto absent = logOptions(file());
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(absent->level, "info");
  EXPECT_EQ(absent->format, "text");
  EXPECT_EQ(absent->file, "");
  std::ofstream(file()) << R"({"log": {"level": "debug", "format": "json",
      "file": "/var/log/dcgw/dcgw.log", "maxBytes": 1048576, "maxFiles": 3}})";
  auto set = logOptions(file());
  ASSERT_TRUE(set.ok()) << errorText(set.error());
  EXPECT_EQ(set->level, "debug");
  EXPECT_EQ(set->format, "json");
  EXPECT_EQ(set->file, "/var/log/dcgw/dcgw.log");
  EXPECT_EQ(set->maxBytes, 1048576);
  EXPECT_EQ(set->maxFiles, 3);
  for (const auto& [json, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"log": {"level": "loud"}})", "log.level"},
           {R"({"log": {"format": "xml"}})", "log.format"},
           {R"({"log": {"file": ""}})", "log.file"},
           {R"({"log": {"maxBytes": 10}})", "log.maxBytes"},
           {R"({"log": {"maxFiles": 0}})", "log.maxFiles"},
           {R"({"log": {"maxfiles": 2}})", "log.maxfiles"},
           {R"({"log": "stderr"})", "log"}}) {
    std::ofstream(file()) << json;
    auto r = logOptions(file());
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.error().field, field) << json << ": " << errorText(r.error());
  }
}

TEST_F(ConfigFile, TheCardBridgeSectionIsOptionalAndCheckedSettingBySetting) {
  std::ofstream(file()) << R"({"uplink": {"port": 0}})";
  auto none = cardAuthOptions(file());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  std::ofstream(file()) << R"({"cardBridge": {}})";
  auto defaults = cardAuthOptions(file());
  ASSERT_TRUE(defaults.ok());
  ASSERT_TRUE(defaults->has_value());
  EXPECT_EQ((*defaults)->bridges.port, 7710);
  EXPECT_EQ((*defaults)->bridges.heartbeat, std::chrono::seconds(30));
  EXPECT_EQ((*defaults)->limits.idleMs, 60'000);
  std::ofstream(file()) << R"({"cardBridge": {"port": 0, "apduTimeoutMs": 2500,
      "sessionIdleSeconds": 20, "maxSessionSeconds": 120, "maxWaitSeconds": 30, "maxQueue": 4,
      "bind": "0.0.0.0"}})";
  auto set = cardAuthOptions(file());
  ASSERT_TRUE(set.ok()) << errorText(set.error());
  EXPECT_EQ((*set)->bridges.port, 0);
  EXPECT_EQ((*set)->bridges.bind, "0.0.0.0");
  EXPECT_EQ((*set)->limits.apduTimeoutMs, 2500);
  EXPECT_EQ((*set)->limits.idleMs, 20'000);
  EXPECT_EQ((*set)->limits.maxDurationMs, 120'000);
  EXPECT_EQ((*set)->limits.maxWaitMs, 30'000);
  EXPECT_EQ((*set)->limits.maxQueue, 4u);
  EXPECT_EQ((*set)->advertise, "");  // the bind address and the port (serve)
  std::ofstream(file()) << R"({"cardBridge": {"advertise": "gw1.example:7710"}})";
  auto advertised = cardAuthOptions(file());
  ASSERT_TRUE(advertised.ok()) << errorText(advertised.error());
  EXPECT_EQ((*advertised)->advertise, "gw1.example:7710");
  for (const auto& [json, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"cardBridge": {"apduTimeoutMs": 10}})", "cardBridge.apduTimeoutMs"},
           {R"({"cardBridge": {"heartbeatSeconds": 90}})", "cardBridge.idleTimeoutSeconds"},
           {R"({"cardBridge": {"maxQueue": "4"}})", "cardBridge.maxQueue"},
           {R"({"cardBridge": {"tls": {"certificateFile": "a.pem"}}})", "cardBridge.tls"},
           {R"({"cardBridge": {"idleSeconds": 5}})", "cardBridge.idleSeconds"},
           {R"({"cardBridge": {"advertise": "10.0.0.11"}})", "cardBridge.advertise"},
           {R"({"cardBridge": {"advertise": "10.0.0.11:70000"}})", "cardBridge.advertise"},
           {R"({"cardBridge": {"advertise": ":7710"}})", "cardBridge.advertise"},
           {R"({"cardBridge": {"advertise": 7710}})", "cardBridge.advertise"},
           {R"({"cardBridge": 7710})", "cardBridge"}}) {
    std::ofstream(file()) << json;
    auto r = cardAuthOptions(file());
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.error().field, field) << json << ": " << errorText(r.error());
  }
}

TEST_F(ConfigFile, ConsolidatedDdsIsOnUnlessTheDeriveSectionTurnsItOff) {
  std::ofstream(file()) << R"({"uplink": {"port": 0}})";
  auto absent = consolidatedDds(file());
  ASSERT_TRUE(absent.ok());
  EXPECT_TRUE(*absent);
  std::ofstream(file()) << R"({"derive": {"consolidatedDds": false}})";
  auto off = consolidatedDds(file());
  ASSERT_TRUE(off.ok()) << errorText(off.error());
  EXPECT_FALSE(*off);
  for (const auto& [json, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"derive": {"consolidatedDds": "no"}})", "derive.consolidatedDds"},
           {R"({"derive": {"consolidatedDDS": false}})", "derive.consolidatedDDS"}}) {
    std::ofstream(file()) << json;
    auto r = consolidatedDds(file());
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.error().field, field) << json << ": " << errorText(r.error());
  }
}

// Teltonika trackers (issue 15): protocol and family in devices[], the IMEI as serial, no key.
TEST_F(ConfigFile, ATeltonikaDeviceIsLoadedWithItsFamilyInItsCanonicalSpelling) {
  const codecs::Status s = load(document(kDestinations, R"(
    {"serial": "10000001", "location": "Depot"},
    {"serial": "356307042441013", "location": "Depot", "protocol": "teltonika", "family": "fmx6"})"));
  ASSERT_TRUE(s.ok()) << errorText(s.error());
  const auto dcgw = store_->device("10000001");
  ASSERT_TRUE(dcgw);
  EXPECT_EQ(dcgw->protocol, "dcgw");
  EXPECT_EQ(dcgw->family, "");
  const auto t = store_->device("356307042441013");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->protocol, "teltonika");
  EXPECT_EQ(t->family, "FMX6");
  EXPECT_FALSE(t->hasKey);
}

TEST_F(ConfigFile, ABadTeltonikaDeviceIsRefusedNamingTheField) {
  const std::string key =
      R"("key": "40ccd56388dff07bad7dbbeb5a639cde018fd61ced5bfc5bc9c633396118a16e")";
  for (const auto& [device, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"serial": "356307042441013", "protocol": "teltonika"})", "devices[0].family"},
           {R"({"serial": "356307042441013", "protocol": "teltonika", "family": "FMC9"})",
            "devices[0].family"},
           {R"({"serial": "35630704244101", "protocol": "teltonika", "family": "FMBxxx"})",
            "devices[0].serial"},
           {R"({"serial": "35630704244101X", "protocol": "teltonika", "family": "FMBxxx"})",
            "devices[0].serial"},
           {R"({"serial": "356307042441013", "protocol": "teltonika", "family": "FMBxxx", )" + key +
                "}",
            "devices[0].key"},
           {R"({"serial": "10000001", "protocol": "ruptela"})", "devices[0].protocol"},
           {R"({"serial": "10000001", "family": "FMX6"})", "devices[0].family"},
       }) {
    const codecs::Status s = load(document(kDestinations, device));
    ASSERT_FALSE(s.ok()) << device;
    EXPECT_EQ(s.error().field, field) << device << ": " << errorText(s.error());
    EXPECT_TRUE(store_->empty());
  }
}

// Seed 004 section 3 gives third parties 8 characters of serial: an IMEI goes out as its last
// 8 digits (schema/teltonika.md 10.1), so two devices ending in the same 8 are refused.
TEST_F(ConfigFile, TwoDevicesForwardedUnderOneSerialAreRefused) {
  for (const std::string& other :
       {std::string(
            R"({"serial": "490154242441013", "protocol": "teltonika", "family": "FMBxxx"})"),
        std::string(R"({"serial": "42441013"})")}) {
    const codecs::Status s = load(document(kDestinations, R"(
    {"serial": "356307042441013", "protocol": "teltonika", "family": "FMX6"}, )" +
                                                              other));
    ASSERT_FALSE(s.ok()) << other;
    EXPECT_EQ(s.error().field.rfind("devices", 0), 0u) << errorText(s.error());
    EXPECT_NE(s.error().expected.find("'42441013'"), std::string::npos) << errorText(s.error());
    EXPECT_TRUE(store_->empty()) << "nothing of the file is stored";
  }
}

// Issue 14: the PostgreSQL store named in the file (README, "PostgreSQL store").
TEST_F(ConfigFile, TheStoreUrlIsAPostgresqlUrlOrAbsent) {
  std::ofstream(file()) << R"({"store": {"synchronous": "full"}})";
  auto none = storeUrl(file());
  ASSERT_TRUE(none.ok()) << errorText(none.error());
  EXPECT_EQ(*none, "") << "absent: the SQLite file";
  std::ofstream(file()) << R"({"store": {"url": "postgresql://dcgw@db.example/dcgw"}})";
  auto url = storeUrl(file());
  ASSERT_TRUE(url.ok()) << errorText(url.error());
  EXPECT_EQ(*url, "postgresql://dcgw@db.example/dcgw");
  EXPECT_TRUE(uplinkOptions(file()).ok()) << "a known member of store";
  std::ofstream(file()) << R"({"store": {"url": "dcgw.db"}})";
  auto path = storeUrl(file());
  ASSERT_FALSE(path.ok()) << "a path is --db's, not store.url's";
  EXPECT_EQ(path.error().field, "store.url");
}

}  // namespace
}  // namespace dcgw::config
