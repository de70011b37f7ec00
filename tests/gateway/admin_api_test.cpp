// The admin HTTP API (schema/openapi.yaml) through real HTTP on loopback, over a real store,
// forwarder and ingestor: every endpoint, every validation error, the 401/403 rules, the audit log.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "codecs/json.hpp"
#include "codecs/packets/packet.hpp"
#include "codecs/packets/registry.hpp"
#include "gateway/admin/api_server.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/interfaces.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "gateway/uplink/listener.hpp"
#include "tests/support/packets.hpp"

namespace dcgw::admin {
namespace {

using namespace std::chrono_literals;
using codecs::JsonValue;

const std::string kKeyHex(64, '1');  // 32 bytes of 0x11
const std::string kOtherKeyHex(64, '2');

using dcgw::testing::positionalUpdate;

// Seed 004 section 10 (etc/examples/packets.hex): a second packet type (0x49) for the filters.
codecs::Bytes timeSourceComparison() {
  codecs::Bytes p;
  codecs::fromHex("49006b00df02016b00df00", p);
  return p;
}

// Read-only access to a parsed body that never throws: a missing member reads as null. Holds its
// value (JsonValue copies share their arrays and objects), so it may outlive the Reply.
class J {
 public:
  J(JsonValue v) : v_(std::move(v)) {}  // NOLINT(runtime/explicit): chains read better
  J operator[](std::string_view key) const {
    const JsonValue* m = v_.find(key);
    return m ? J(*m) : J(JsonValue());
  }
  J item(std::size_t i) const {
    return v_.isArray() && i < v_.asArray().size() ? J(v_.asArray()[i]) : J(JsonValue());
  }
  std::vector<J> items() const {
    std::vector<J> out;
    if (v_.isArray())
      for (const auto& x : v_.asArray()) out.emplace_back(x);
    return out;
  }
  std::size_t size() const { return v_.isArray() ? v_.asArray().size() : 0; }
  bool has(std::string_view key) const { return v_.find(key) != nullptr; }
  bool isNull() const { return v_.isNull(); }
  bool isString() const { return v_.isString(); }
  bool isObject() const { return v_.isObject(); }
  bool isArray() const { return v_.isArray(); }
  std::string str() const { return v_.isString() ? v_.asString() : "<not a string>"; }
  std::int64_t num() const { return v_.isNumber() ? v_.asExactInteger().value_or(-999) : -999; }
  double real() const { return v_.isNumber() ? v_.asDouble() : -999; }
  bool boolean() const { return v_.kind() == JsonValue::Kind::Bool && v_.asBool(); }
  bool isBool() const { return v_.kind() == JsonValue::Kind::Bool; }
  const JsonValue& value() const { return v_; }

 private:
  JsonValue v_;
};

// A canonical rendering (member order kept, `skip` members left out) to compare whole bodies.
std::string canon(const JsonValue& v, const std::set<std::string>& skip = {}) {
  std::string out;
  switch (v.kind()) {
    case JsonValue::Kind::Null:
      return "null";
    case JsonValue::Kind::Bool:
      return v.asBool() ? "true" : "false";
    case JsonValue::Kind::Number: {
      if (auto n = v.asExactInteger()) return std::to_string(*n);
      std::ostringstream s;
      s << v.asDouble();
      return s.str();
    }
    case JsonValue::Kind::String:
      codecs::appendJsonString(out, v.asString());
      return out;
    case JsonValue::Kind::Array:
      out = "[";
      for (const auto& x : v.asArray()) out += canon(x, skip) + ",";
      return out + "]";
    case JsonValue::Kind::Object:
      out = "{";
      for (const auto& [k, x] : v.asObject()) {
        if (skip.count(k)) continue;
        codecs::appendJsonString(out, k);
        out += ":" + canon(x, skip) + ",";
      }
      return out + "}";
  }
  return out;
}

struct Reply {
  int status{0};
  std::string contentType;
  std::string body;
  JsonValue json;
  J j() const { return J(json); }
};

// The names in an Error body's `fields`; each must come with a reason.
std::set<std::string> badFields(const Reply& r) {
  std::set<std::string> out;
  for (const J& f : r.j()["fields"].items()) {
    out.insert(f["field"].str());
    EXPECT_FALSE(f["reason"].str().empty() || f["reason"].str() == "<not a string>")
        << "field " << f["field"].str() << " has no reason: " << r.body;
  }
  return out;
}

void expectError(const Reply& r, int status, const std::string& what) {
  EXPECT_EQ(r.status, status) << what << ": " << r.body;
  EXPECT_TRUE(r.j()["error"].isString() && !r.j()["error"].str().empty())
      << what << ": an Error body with `error`, got " << r.body;
}

void expectInvalid(const Reply& r, const std::set<std::string>& fields, const std::string& what) {
  expectError(r, 400, what);
  EXPECT_EQ(badFields(r), fields) << what << ": " << r.body;
}

// Waits (real time) for what the workers bring about.
bool eventually(const std::function<bool()>& f) {
  for (int i = 0; i < 1000; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

// A port nothing listens on: the REST adapter's connection is refused, so the destination backs
// off (the backoff of these tests is a minute: a queue stays still while a test looks at it).
std::uint16_t closedPort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::uint16_t port = s.address().port();
  s.close();
  return port;
}

// A REST receiver that takes every message (HTTP 200), for destinations that deliver.
class Receiver {
 public:
  Receiver() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), socket, params);
    server_->start();
  }
  ~Receiver() { server_->stopAll(true); }
  std::uint16_t port() const { return port_; }
  int received() const { return received_; }

 private:
  struct Handler : Poco::Net::HTTPRequestHandler {
    explicit Handler(Receiver* r) : r_(r) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      std::string body;
      Poco::StreamCopier::copyToString(req.stream(), body);
      ++r_->received_;
      resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
      resp.setContentLength(0);
      resp.send();
    }
    Receiver* r_;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(Receiver* r) : r_(r) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(r_);
    }
    Receiver* r_;
  };
  std::uint16_t port_{0};
  std::atomic<int> received_{0};
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

struct Endpoint {
  std::string method, path, body;
};

// What most tests need in place: a delivering and a failing destination in one location, a
// device, a refused ident, three packets (delivered to `good`; `bad` blocked, its first entry
// skipped so it has a dead letter), and a spare token.
struct World {
  std::int64_t good{0}, bad{0}, location{0}, spareToken{0}, deadEntry{0}, firstAtMs{0};
};

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("dcgw-admin-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
    removeDb();
    store_ = std::make_unique<store::SqliteStore>(path_);
    forwarder_ = std::make_unique<forward::Forwarder>(
        *store_, clock_, forward::BackoffPolicy{60'000, 3'600'000}, adapters::makeAdapter, &feed_);
    forwarder_->start();
    ingestor_ = std::make_unique<ingest::Ingestor>(*store_, &feed_);
    AdminOptions options;
    options.port = 0;  // any free port: tests run side by side
    api_ = std::make_unique<ApiServer>(*store_, *forwarder_, clock_, options,
                                       MetricSources{&uplink_, ingestor_.get()}, &feed_);
    api_->start();
    admin_ = store_->createToken("alice", "admin", clock_.nowMs()).second;
    auditor_ = store_->createToken("olga", "auditor", clock_.nowMs()).second;
  }
  void TearDown() override {
    if (api_) api_->stop();
    api_.reset();
    if (ingestor_) ingestor_->stop();
    ingestor_.reset();
    if (forwarder_) forwarder_->stop();
    forwarder_.reset();
    receiver_.reset();
    store_.reset();
    removeDb();
  }
  void removeDb() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + s);
  }

  // ---- HTTP ----
  // `authorization` nullopt: no header at all.
  Reply raw(const std::string& method, const std::string& uri, const std::string& body,
            const std::optional<std::string>& authorization) {
    Poco::Net::HTTPClientSession s("127.0.0.1", api_->port());
    s.setTimeout(Poco::Timespan(20, 0));
    Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    if (authorization) req.set("Authorization", *authorization);
    if (!body.empty()) req.setContentType("application/json");
    // Always a length, so a body-less POST is not read until the connection closes.
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    s.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = s.receiveResponse(resp);
    Reply r;
    r.status = resp.getStatus();
    r.contentType = resp.getContentType();
    Poco::StreamCopier::copyToString(in, r.body);
    if (auto v = codecs::parseJson(r.body)) r.json = *v;
    return r;
  }
  Reply as(const std::string& token, const std::string& method, const std::string& uri,
           const std::string& body = "") {
    return raw(method, uri, body, "Bearer " + token);
  }
  Reply call(const std::string& method, const std::string& uri, const std::string& body = "") {
    return as(admin_, method, uri, body);
  }
  Reply get(const std::string& uri) { return call("GET", uri); }

  // ---- set-up through the API ----
  static std::string restJson(const std::string& name, const std::string& url,
                              const std::string& extra = "") {
    return R"({"name":")" + name + R"(","method":"rest","host":")" + url + "\"" + extra + "}";
  }
  std::int64_t createDestination(const std::string& body) {
    Reply r = call("POST", "/api/v1/destinations", body);
    EXPECT_EQ(r.status, 201) << body << " -> " << r.body;
    return r.j()["id"].num();
  }
  std::int64_t failing(const std::string& name, const std::string& extra = "") {
    return createDestination(
        restJson(name, "http://127.0.0.1:" + std::to_string(closedPort()) + "/" + name, extra));
  }
  std::int64_t delivering(const std::string& name, const std::string& extra = "") {
    if (!receiver_) receiver_ = std::make_unique<Receiver>();
    return createDestination(restJson(
        name, "http://127.0.0.1:" + std::to_string(receiver_->port()) + "/" + name, extra));
  }
  static std::string ids(const std::vector<std::int64_t>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "]";
  }
  std::int64_t createLocation(const std::string& name, const std::vector<std::int64_t>& dests) {
    Reply r = call("POST", "/api/v1/locations",
                   R"({"name":")" + name + R"(","destinationIds":)" + ids(dests) + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.j()["id"].num();
  }
  void createDevice(const std::string& serial, std::int64_t location) {
    Reply r = call("POST", "/api/v1/devices",
                   R"({"serial":")" + serial + R"(","locationId":)" + std::to_string(location) +
                       R"(,"registration":"AB12CDE","key":")" + kKeyHex + "\"}");
    EXPECT_EQ(r.status, 201) << r.body;
  }

  // Through the Ingestor, as the uplink does; returns when the packet is committed.
  void ingest(const std::string& serial, const codecs::Bytes& packet, std::int64_t atMs) {
    std::promise<void> done;
    std::string why = "not committed";
    ingestor_->submit(store::IngestItem{serial, "", packet, atMs}, [&](const ingest::Outcome& s) {
      why = s.ok() ? "" : s.error.message();
      done.set_value();
    });
    done.get_future().wait();
    ASSERT_EQ(why, "");
  }

  Reply queue(std::int64_t id) { return get("/api/v1/queues/" + std::to_string(id)); }
  // The worker tried, failed and now waits out its (minute-long) backoff.
  void waitBackingOff(std::int64_t id, std::int64_t failedAttempts) {
    ASSERT_TRUE(eventually([&] {
      Reply q = queue(id);
      return q.j()["state"].str() == "backing-off" &&
             q.j()["counters"]["failedAttempts"].num() >= failedAttempts;
    })) << queue(id).body;
  }
  void waitDelivered(std::int64_t id, std::int64_t delivered) {
    ASSERT_TRUE(eventually([&] {
      Reply q = queue(id);
      return q.j()["counters"]["delivered"].num() == delivered && q.j()["depth"].num() == 0 &&
             q.j()["state"].str() == "idle";
    })) << queue(id).body;
  }
  std::vector<std::int64_t> entryIds(const std::string& uri) {
    Reply r = get(uri);
    EXPECT_EQ(r.status, 200) << uri << ": " << r.body;
    std::vector<std::int64_t> out;
    for (const J& e : r.j()["entries"].items()) out.push_back(e["id"].num());
    return out;
  }
  // Whole seconds, in the past: the times of the packets a test ingests.
  std::int64_t past(std::int64_t secondsAgo) { return (clock_.nowMs() / 1000 - secondsAgo) * 1000; }

  void populate(World& w) {
    w.good = delivering("good");
    w.bad = failing("bad");
    w.location = createLocation("Depot", {w.good, w.bad});
    createDevice("12345678", w.location);
    store_->recordRefusedIdents({store::RefusedIdent{
        "99999999", "203.0.113.7:51234", "UNKNOWN_DEVICE: no device '99999999' is registered",
        clock_.nowMs()}});
    w.spareToken = store_->createToken("spare", "admin", clock_.nowMs()).first.id;
    w.firstAtMs = past(600);
    for (std::uint32_t i = 0; i < 3; ++i)
      ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(i), w.firstAtMs + i * 1000));
    ASSERT_NO_FATAL_FAILURE(waitDelivered(w.good, 3));
    ASSERT_NO_FATAL_FAILURE(waitBackingOff(w.bad, 1));
    Reply skip =
        call("POST", "/api/v1/queues/" + std::to_string(w.bad) + "/skip", R"({"reason":"set-up"})");
    ASSERT_EQ(skip.status, 200) << skip.body;
    w.deadEntry = skip.j()["skipped"].num();
    // The skip ends the backoff: the worker tries the next entry, fails, and waits again.
    ASSERT_NO_FATAL_FAILURE(waitBackingOff(w.bad, 2));
  }

  std::vector<Endpoint> reads(const World& w) {
    const std::string good = std::to_string(w.good), bad = std::to_string(w.bad);
    return {{"GET", "/api/v1/me", ""},
            {"GET", "/api/v1/filter-keys", ""},
            {"GET", "/api/v1/destinations", ""},
            {"GET", "/api/v1/destinations/" + good, ""},
            {"GET", "/api/v1/locations", ""},
            {"GET", "/api/v1/locations/" + std::to_string(w.location), ""},
            {"GET", "/api/v1/devices", ""},
            {"GET", "/api/v1/devices/12345678", ""},
            {"GET", "/api/v1/refused-idents", ""},
            {"GET", "/api/v1/queues", ""},
            {"GET", "/api/v1/queues/" + bad, ""},
            {"GET", "/api/v1/queues/" + bad + "/entries", ""},
            {"GET", "/api/v1/queues/" + bad + "/entries/" + std::to_string(w.deadEntry), ""},
            {"GET", "/api/v1/audit", ""},
            {"GET", "/metrics", ""}};
  }
  // Every change the API offers, each with a valid body (so only the role can refuse it).
  std::vector<Endpoint> writes(const World& w) {
    const std::string good = std::to_string(w.good), bad = std::to_string(w.bad);
    const std::string loc = std::to_string(w.location);
    return {
        {"POST", "/api/v1/destinations", restJson("new", "http://127.0.0.1:1/new")},
        {"PUT", "/api/v1/destinations/" + bad, restJson("bad", "http://127.0.0.1:2/moved")},
        {"DELETE", "/api/v1/destinations/" + good, ""},
        {"POST", "/api/v1/destinations/" + bad + "/disable", ""},
        {"POST", "/api/v1/destinations/" + bad + "/enable", ""},
        {"POST", "/api/v1/locations", R"({"name":"Elsewhere"})"},
        {"PUT", "/api/v1/locations/" + loc, R"({"name":"Renamed","destinationIds":[]})"},
        {"DELETE", "/api/v1/locations/" + loc, ""},
        {"POST", "/api/v1/devices", R"({"serial":"55555555"})"},
        {"PUT", "/api/v1/devices/12345678", R"({"registration":"ZZ99ZZZ"})"},
        {"DELETE", "/api/v1/devices/12345678", ""},
        {"POST", "/api/v1/devices/12345678/key", ""},
        {"POST", "/api/v1/refused-idents/99999999/register", "{}"},
        {"POST", "/api/v1/queues/" + bad + "/retry", ""},
        {"POST", "/api/v1/queues/" + bad + "/pause", ""},
        {"POST", "/api/v1/queues/" + bad + "/resume", ""},
        {"POST", "/api/v1/queues/" + bad + "/skip", R"({"reason":"not mine to skip"})"},
        {"POST", "/api/v1/queues/" + bad + "/requeue-dead", ""},
        {"POST", "/api/v1/queues/" + good + "/replay",
         R"({"from":")" + formatTimeMs(w.firstAtMs) + "\"}"},
        {"POST", "/api/v1/tokens", R"({"name":"sneaky","role":"admin"})"},
        {"DELETE", "/api/v1/tokens/" + std::to_string(w.spareToken), ""},
    };
  }

  // Everything an admin can read (and the device key), minus what moves with the wall clock.
  std::string snapshot(const World& w) {
    const std::set<std::string> moving = {"oldestPendingAgeSeconds", "lastUsedAt"};
    std::string s;
    for (const std::string& uri : std::vector<std::string>{
             "/api/v1/destinations", "/api/v1/locations", "/api/v1/devices",
             "/api/v1/refused-idents", "/api/v1/tokens", "/api/v1/audit?limit=500",
             "/api/v1/queues", "/api/v1/queues/" + std::to_string(w.good) + "/entries?limit=500",
             "/api/v1/queues/" + std::to_string(w.bad) + "/entries?limit=500"}) {
      Reply r = get(uri);
      EXPECT_EQ(r.status, 200) << uri << ": " << r.body;
      s += uri + " " + canon(r.json, moving) + "\n";
    }
    if (auto a = store_->deviceAuth("12345678")) s += "key " + codecs::toHex(a->key) + "\n";
    return s;
  }

  std::string path_;
  common::SystemClock clock_;
  uplink::ListenerStats uplink_;
  std::unique_ptr<store::SqliteStore> store_;
  common::ChangeFeed feed_;
  std::unique_ptr<forward::Forwarder> forwarder_;
  std::unique_ptr<ingest::Ingestor> ingestor_;
  std::unique_ptr<ApiServer> api_;
  std::unique_ptr<Receiver> receiver_;
  std::string admin_, auditor_;
};

// ---------------------------------------------------------------------------------------------
// Access control

TEST_F(AdminApiTest, HealthzAnswersWithoutAToken) {
  Reply r = raw("GET", "/healthz", "", std::nullopt);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.contentType.find("text/plain"), std::string::npos) << r.contentType;
  EXPECT_NE(r.body.find("ok"), std::string::npos) << r.body;
}

TEST_F(AdminApiTest, EveryEndpointAndMetricsRefuseAMissingOrUnknownToken) {
  World w;
  ASSERT_NO_FATAL_FAILURE(populate(w));
  const std::string before = snapshot(w);
  std::vector<Endpoint> all = reads(w);
  all.push_back({"GET", "/api/v1/tokens", ""});
  for (const Endpoint& e : writes(w)) all.push_back(e);
  const std::vector<std::optional<std::string>> refused = {
      std::nullopt,                                      // no header
      "Bearer dcgw_" + std::string(64, '0'),             // a token nobody was given
      "Bearer ",                                         // an empty one
      "Basic " + admin_,                                 // a real secret, but not as a bearer token
      "Bearer " + admin_.substr(0, admin_.size() - 1)};  // a near miss
  for (const Endpoint& e : all)
    for (const auto& auth : refused)
      expectError(raw(e.method, e.path, e.body, auth), 401,
                  e.method + " " + e.path + " with " + auth.value_or("no Authorization"));
  // Refused requests change nothing and leave no trace in the audit log.
  EXPECT_EQ(snapshot(w), before);
}

TEST_F(AdminApiTest, AuditorReadsEveryGetEndpoint) {
  World w;
  ASSERT_NO_FATAL_FAILURE(populate(w));
  for (const Endpoint& e : reads(w)) {
    Reply r = as(auditor_, e.method, e.path);
    EXPECT_EQ(r.status, 200) << e.path << ": " << r.body;
  }
  Reply me = as(auditor_, "GET", "/api/v1/me");
  EXPECT_EQ(me.j()["name"].str(), "olga");
  EXPECT_EQ(me.j()["role"].str(), "auditor");
}

TEST_F(AdminApiTest, AuditorCannotListTokens) {
  expectError(as(auditor_, "GET", "/api/v1/tokens"), 403, "GET /api/v1/tokens as auditor");
}

TEST_F(AdminApiTest, AuditorCannotChangeAnything) {
  World w;
  ASSERT_NO_FATAL_FAILURE(populate(w));
  as(auditor_, "GET", "/api/v1/me");  // its first use is recorded (lastUsedAt) before the snapshot
  const std::string before = snapshot(w);
  for (const Endpoint& e : writes(w))
    expectError(as(auditor_, e.method, e.path, e.body), 403, e.method + " " + e.path);
  // Unknown targets too: the role is refused before anything is looked up.
  expectError(as(auditor_, "DELETE", "/api/v1/destinations/9999"), 403, "DELETE unknown");
  expectError(as(auditor_, "POST", "/api/v1/queues/9999/skip", R"({"reason":"x"})"), 403,
              "skip unknown");
  // A retry or replay that slipped through would only show once the worker has run.
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(snapshot(w), before);
  EXPECT_EQ(receiver_->received(), 3);
}

// ---------------------------------------------------------------------------------------------
// Small reads

TEST_F(AdminApiTest, MeNamesTheCallersTokenAndRole) {
  Reply r = get("/api/v1/me");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.j()["name"].str(), "alice");
  EXPECT_EQ(r.j()["role"].str(), "admin");
}

TEST_F(AdminApiTest, FilterKeysAreTheRegistrysInFigure5Order) {
  Reply r = get("/api/v1/filter-keys");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> keys;
  for (const J& k : r.j()["keys"].items()) keys.push_back(k.str());
  const auto expected = codecs::filterKeys();
  EXPECT_EQ(keys, std::vector<std::string>(expected.begin(), expected.end()));
  ASSERT_FALSE(keys.empty());
  EXPECT_EQ(keys.front(), "New Driver notification");  // seed 004 figure 5, first column
}

// The store's room (issue 17) for any token: here a server without the gateway's watcher, so
// the size is read from the store and no limit is set.
TEST_F(AdminApiTest, TheStoresRoomIsReadByAnyToken) {
  Reply r = as(auditor_, "GET", "/api/v1/store");
  ASSERT_EQ(r.status, 200) << r.body;
  const J s = r.j();
  EXPECT_GT(s["usedBytes"].num(), 0);
  EXPECT_GE(s["fileBytes"].num(), s["usedBytes"].num());
  EXPECT_EQ(s["maxBytes"].num(), 0);
  EXPECT_FALSE(s["full"].boolean());
  EXPECT_TRUE(s["fullReason"].isNull());
  EXPECT_FALSE(s["freeDiskBytes"].isNull()) << "a SQLite file's disk is known";
  expectError(raw("GET", "/api/v1/store", "", std::nullopt), 401, "no token");
}

TEST_F(AdminApiTest, MethodsAreTheAdaptersTableForAnyToken) {
  Reply r = as(auditor_, "GET", "/api/v1/methods");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.contentType.find("application/json"), std::string::npos) << r.contentType;
  std::vector<std::string> names;
  for (const J& m : r.j()["methods"].items()) names.push_back(m["name"].str());
  EXPECT_EQ(names, (std::vector<std::string>{"rest", "soap", "xml-tcp", "xml-udp", "binary"}));
  // Seed 004 figures 1 and 4: the REST row and the binary row, setting by setting.
  const J rest = r.j()["methods"].item(0);
  EXPECT_EQ(rest["label"].str(), "REST JSON");
  EXPECT_EQ(rest["addressing"].str(), "url");
  EXPECT_EQ(rest["host"]["example"].str(), "http://www.sample.com/api/datapacket");
  EXPECT_EQ(rest["customTags"]["format"].str(), "key-value-pairs");
  EXPECT_EQ(rest["customTags"]["example"].str(), "accountID:\"123456\"");
  EXPECT_FALSE(rest["customTags"]["description"].str().empty());
  std::map<std::string, J> restSettings;
  for (const J& s : rest["settings"].items()) restSettings.emplace(s["name"].str(), s);
  EXPECT_EQ(restSettings.size(), 5u) << r.body;
  EXPECT_EQ(restSettings.at("format")["default"].str(), "base64binary");
  EXPECT_EQ(restSettings.at("format")["values"].size(), 2u);
  EXPECT_TRUE(restSettings.at("tlsVerify")["default"].boolean());
  EXPECT_EQ(restSettings.at("tlsCaFile")["default"].str(), "");
  EXPECT_EQ(restSettings.at("customTags")["type"].str(), "string");
  EXPECT_FALSE(restSettings.count("port")) << "REST takes its port from the URL";
  // The HTTP response is REST's reply: replyTimeoutMs bounds it (issue 11).
  EXPECT_EQ(restSettings.at("replyTimeoutMs")["default"].num(), 20000);
  const J binary = r.j()["methods"].item(4);
  EXPECT_EQ(binary["label"].str(), "Binary Mode");
  EXPECT_EQ(binary["addressing"].str(), "host-port");
  EXPECT_EQ(binary["customTags"]["format"].str(), "ascii-text");
  EXPECT_EQ(binary["customTags"]["example"].str(), "123456");
  std::map<std::string, J> binarySettings;
  for (const J& s : binary["settings"].items()) binarySettings.emplace(s["name"].str(), s);
  EXPECT_EQ(binarySettings.size(), 3u) << r.body;
  EXPECT_TRUE(binarySettings.at("port")["required"].boolean());
  EXPECT_TRUE(binarySettings.at("port")["default"].isNull());
  EXPECT_EQ(binarySettings.at("port")["minimum"].num(), 1);
  EXPECT_EQ(binarySettings.at("port")["maximum"].num(), 65535);
  EXPECT_EQ(binarySettings.at("replyTimeoutMs")["default"].num(), 20000);
  EXPECT_FALSE(binarySettings.count("format")) << "binary mode sends the packet bytes as they are";
  // A read like /api/v1/filter-keys: a token is needed, any role will do.
  expectError(raw("GET", "/api/v1/methods", "", std::nullopt), 401, "no token");
  EXPECT_EQ(get("/api/v1/methods").status, 200);
}

TEST_F(AdminApiTest, UnknownPathsAre404) {
  expectError(get("/api/v1/nothing-here"), 404, "/api/v1/nothing-here");
  expectError(get("/api/v1/destinations/not-a-number"), 404, "a non-numeric id");
  expectError(get("/api/v1/destinations/9999"), 404, "destination 9999");
  expectError(get("/api/v1/locations/9999"), 404, "location 9999");
  expectError(get("/api/v1/devices/NOPE"), 404, "device NOPE");
  expectError(get("/api/v1/queues/9999"), 404, "queue 9999");
  expectError(get("/api/v1/queues/9999/entries"), 404, "entries of queue 9999");
}

// ---------------------------------------------------------------------------------------------
// Destinations

TEST_F(AdminApiTest, DestinationLifecycleIsServedAndAuditedStepByStep) {
  const std::string url = "http://127.0.0.1:" + std::to_string(closedPort()) + "/in";
  Reply created = call("POST", "/api/v1/destinations",
                       restJson("north", url,
                                R"(,"customTags":"accountID:\"42\"",)"
                                R"("filter":["Positional update"],"enabled":false)"));
  ASSERT_EQ(created.status, 201) << created.body;
  const J d = created.j();
  const std::int64_t id = d["id"].num();
  EXPECT_GT(id, 0);
  EXPECT_EQ(d["name"].str(), "north");
  EXPECT_EQ(d["method"].str(), "rest");
  EXPECT_EQ(d["host"].str(), url);
  EXPECT_EQ(d["format"].str(), "base64binary");  // the defaults of DestinationInput
  EXPECT_EQ(d["customTags"].str(), "accountID:\"42\"");
  ASSERT_EQ(d["filter"].size(), 1u);
  EXPECT_EQ(d["filter"].item(0).str(), "Positional update");
  EXPECT_TRUE(d["enabled"].isBool() && !d["enabled"].boolean());
  EXPECT_TRUE(d["paused"].isBool() && !d["paused"].boolean());
  EXPECT_TRUE(d["tlsVerify"].boolean());
  EXPECT_EQ(d["tlsCaFile"].str(), "");
  EXPECT_EQ(d["replyTimeoutMs"].num(), 20000);
  EXPECT_TRUE(d["locationIds"].isArray() && d["locationIds"].size() == 0) << created.body;
  const std::string path = "/api/v1/destinations/" + std::to_string(id);

  Reply one = get(path);
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(canon(one.json), canon(created.json));
  Reply list = get("/api/v1/destinations");
  ASSERT_EQ(list.j()["destinations"].size(), 1u) << list.body;
  EXPECT_EQ(canon(list.j()["destinations"].item(0).value()), canon(created.json));

  const std::string url2 = "http://127.0.0.1:" + std::to_string(closedPort()) + "/v2";
  Reply updated = call("PUT", path, restJson("north", url2, R"(,"format":"hex","enabled":false)"));
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.j()["host"].str(), url2);
  EXPECT_EQ(updated.j()["format"].str(), "hex");
  EXPECT_EQ(updated.j()["customTags"].str(), "");  // PUT replaces the whole input
  EXPECT_TRUE(updated.j()["filter"].isNull()) << updated.body;
  EXPECT_EQ(canon(get(path).json), canon(updated.json));

  Reply enabled = call("POST", path + "/enable");
  ASSERT_EQ(enabled.status, 200) << enabled.body;
  EXPECT_TRUE(enabled.j()["enabled"].boolean());
  Reply disabled = call("POST", path + "/disable");
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  EXPECT_FALSE(disabled.j()["enabled"].boolean());

  Reply removed = call("DELETE", path);
  EXPECT_EQ(removed.status, 204) << removed.body;
  EXPECT_TRUE(removed.body.empty()) << removed.body;
  expectError(get(path), 404, "GET of a removed destination");
  EXPECT_EQ(get("/api/v1/destinations").j()["destinations"].size(), 0u);
  expectError(call("PUT", path, restJson("north", url2)), 404, "PUT of a removed destination");
  expectError(call("POST", path + "/enable"), 404, "enable of a removed destination");
  expectError(call("DELETE", path), 404, "DELETE of a removed destination");

  // Newest first: delete, disable, enable, update, create.
  Reply audit = get("/api/v1/audit");
  ASSERT_EQ(audit.j()["entries"].size(), 5u) << audit.body;
  const std::vector<std::string> actions = {"destination.delete", "destination.disable",
                                            "destination.enable", "destination.update",
                                            "destination.create"};
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const J e = audit.j()["entries"].item(i);
    EXPECT_EQ(e["action"].str(), actions[i]);
    EXPECT_EQ(e["actor"].str(), "alice");
    EXPECT_EQ(e["role"].str(), "admin");
    EXPECT_EQ(e["target"].str(), "destination " + std::to_string(id));
    EXPECT_TRUE(parseTimeMs(e["at"].str())) << e["at"].str();
  }
  const J del = audit.j()["entries"].item(0), dis = audit.j()["entries"].item(1);
  const J en = audit.j()["entries"].item(2), upd = audit.j()["entries"].item(3);
  const J cre = audit.j()["entries"].item(4);
  EXPECT_TRUE(cre["before"].isNull());
  EXPECT_EQ(cre["after"]["host"].str(), url);
  EXPECT_EQ(upd["before"]["host"].str(), url);
  EXPECT_EQ(upd["after"]["host"].str(), url2);
  EXPECT_FALSE(en["before"]["enabled"].boolean());
  EXPECT_TRUE(en["after"]["enabled"].boolean());
  EXPECT_TRUE(dis["before"]["enabled"].boolean());
  EXPECT_FALSE(dis["after"]["enabled"].boolean());
  EXPECT_EQ(del["before"]["name"].str(), "north");
  EXPECT_TRUE(del["after"].isNull());
}

TEST_F(AdminApiTest, DestinationAcceptsEveryMethodWithItsOwnHostAndTagForms) {
  EXPECT_GT(
      createDestination(R"({"name":"s","method":"soap","host":"https://receiver.example/soap",)"
                        R"("customTags":"<accountID>1</accountID>","enabled":false})"),
      0);
  EXPECT_GT(createDestination(R"({"name":"t","method":"xml-tcp","host":"127.0.0.1","port":9,)"
                              R"("customTags":"<a>b</a>","enabled":false})"),
            0);
  EXPECT_GT(
      createDestination(
          R"({"name":"u","method":"xml-udp","host":"localhost","port":65535,"enabled":false})"),
      0);
  // Binary custom tags: up to 255 characters is the limit itself (seed 004 section 3).
  EXPECT_GT(createDestination(R"({"name":"b","method":"binary","host":"::1","port":1,)"
                              R"("customTags":")" +
                              std::string(255, 'x') + R"(","enabled":false})"),
            0);
  EXPECT_EQ(get("/api/v1/destinations").j()["destinations"].size(), 4u);
}

TEST_F(AdminApiTest, DestinationInputErrorsNameTheFieldAndWhy) {
  const std::string post = "/api/v1/destinations";
  auto invalid = [&](const std::string& body, const std::set<std::string>& fields) {
    expectInvalid(call("POST", post, body), fields, body);
  };
  // REST and SOAP need a URL; every other method a bare host.
  invalid(R"({"name":"n","method":"rest","host":"receiver.example/in"})", {"host"});
  invalid(R"({"name":"n","method":"soap","host":"www.sample.com"})", {"host"});
  invalid(R"({"name":"n","method":"xml-tcp","host":"http://receiver.example/","port":9})",
          {"host"});
  // A port for xml-tcp, xml-udp and binary: required, 1-65535.
  for (const std::string method : {"xml-tcp", "xml-udp", "binary"}) {
    const std::string head = R"({"name":"n","method":")" + method + R"(","host":"127.0.0.1")";
    invalid(head + R"(,"port":0})", {"port"});
    invalid(head + R"(,"port":70000})", {"port"});
    invalid(head + "}", {"port"});
  }
  // Custom tags the method cannot carry.
  invalid(R"({"name":"n","method":"rest","host":"http://h/","customTags":"accountID=42"})",
          {"customTags"});
  invalid(R"({"name":"n","method":"soap","host":"http://h/","customTags":"<a><b></a>"})",
          {"customTags"});
  invalid(R"({"name":"n","method":"xml-tcp","host":"h","port":1,"customTags":"<open>"})",
          {"customTags"});
  invalid(R"({"name":"n","method":"xml-udp","host":"h","port":1,"customTags":"a < b"})",
          {"customTags"});
  invalid(R"({"name":"n","method":"binary","host":"h","port":1,"customTags":")" +
              std::string(256, 'x') + "\"}",
          {"customTags"});
  // A CA file is for https only, and must hold a certificate.
  invalid(R"({"name":"n","method":"rest","host":"http://h/","tlsCaFile":"/etc/hostname"})",
          {"tlsCaFile"});
  invalid(R"({"name":"n","method":"rest","host":"https://h/","tlsCaFile":"/nonexistent/ca.pem"})",
          {"tlsCaFile"});
  // The adapters' checks report every field, not only the first they meet.
  invalid(R"({"name":"n","method":"rest","host":"h","customTags":"x=1"})", {"host", "customTags"});
  // Filter keys are the registry's.
  invalid(R"({"name":"n","method":"rest","host":"http://h/","filter":["Tracking","Teleport"]})",
          {"filter"});
  // Required members and their types.
  invalid("{}", {"name", "method", "host"});
  invalid(R"({"name":"","method":"carrier-pigeon","host":"http://h/"})", {"name", "method"});
  invalid(R"({"name":5,"method":true,"host":[],"port":"80","format":3,"customTags":{},)"
          R"("filter":"Tracking","enabled":"yes","tlsVerify":1,"tlsCaFile":false,)"
          R"("replyTimeoutMs":"fast"})",
          {"name", "method", "host", "port", "format", "customTags", "filter", "enabled",
           "tlsVerify", "tlsCaFile", "replyTimeoutMs"});
  invalid(R"({"name":"n","method":"rest","host":"http://h/","format":"binary","port":1.5,)"
          R"("replyTimeoutMs":0})",
          {"format", "port", "replyTimeoutMs"});
  // A member the schema does not have.
  invalid(R"({"name":"n","method":"rest","host":"http://h/","colour":"red"})", {"colour"});
  // Every bad field of one request in one answer.
  invalid(R"({"method":"binary","host":"http://receiver.example/","port":0,"customTags":")" +
              std::string(300, 'x') + R"(","filter":["Nope"],"colour":1})",
          {"name", "host", "port", "customTags", "filter", "colour"});
  // Bodies that are not a JSON object.
  expectError(call("POST", post, "name=north&method=rest"), 400, "a form body");
  expectError(call("POST", post, R"({"name":"n",)"), 400, "truncated JSON");
  expectError(call("POST", post, "[1,2]"), 400, "a JSON array");
  EXPECT_EQ(get("/api/v1/destinations").j()["destinations"].size(), 0u)
      << "an invalid request created something";
}

TEST_F(AdminApiTest, InvalidUpdateReportsEveryFieldAndChangesNothing) {
  const std::int64_t id = failing("west", R"(,"enabled":false)");
  const std::string path = "/api/v1/destinations/" + std::to_string(id);
  const std::string before = canon(get(path).json);
  expectInvalid(call("PUT", path, R"({"name":"west","method":"xml-tcp","host":"a b","port":0})"),
                {"host", "port"}, "PUT with a bad host and port");
  expectError(call("PUT", path, "not json"), 400, "PUT with a body that is not JSON");
  EXPECT_EQ(canon(get(path).json), before);
}

TEST_F(AdminApiTest, DestinationNameTakenIsAConflict) {
  const std::int64_t a = failing("east", R"(,"enabled":false)");
  const std::int64_t b = failing("south", R"(,"enabled":false)");
  expectError(call("POST", "/api/v1/destinations", restJson("east", "http://127.0.0.1:1/")), 409,
              "POST with a taken name");
  const std::string pathB = "/api/v1/destinations/" + std::to_string(b);
  const std::string before = canon(get(pathB).json);
  expectError(call("PUT", pathB, restJson("east", "http://127.0.0.1:1/")), 409,
              "PUT renaming to a taken name");
  EXPECT_EQ(canon(get(pathB).json), before);
  // The name of a removed destination is free again.
  ASSERT_EQ(call("DELETE", "/api/v1/destinations/" + std::to_string(a)).status, 204);
  EXPECT_GT(createDestination(restJson("east", "http://127.0.0.1:1/", R"(,"enabled":false)")), 0);
}

TEST_F(AdminApiTest, FilterNullSelectsEveryPacketAndEmptySelectsNone) {
  const std::int64_t all = failing("all", R"(,"filter":null)");
  const std::int64_t none = failing("none", R"(,"filter":[])");
  const std::int64_t omitted = failing("omitted");
  EXPECT_TRUE(get("/api/v1/destinations/" + std::to_string(all)).j()["filter"].isNull());
  const J noneFilter = get("/api/v1/destinations/" + std::to_string(none)).j()["filter"];
  EXPECT_TRUE(noneFilter.isArray() && noneFilter.size() == 0) << canon(noneFilter.value());
  EXPECT_TRUE(get("/api/v1/destinations/" + std::to_string(omitted)).j()["filter"].isNull());
  const std::int64_t loc = createLocation("Depot", {all, none});
  createDevice("12345678", loc);
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(1), past(10)));
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", timeSourceComparison(), past(9)));
  ASSERT_TRUE(eventually([&] { return queue(all).j()["counters"]["queued"].num() == 2; }))
      << queue(all).body;
  const J n = queue(none).j();
  EXPECT_EQ(n["counters"]["queued"].num(), 0);
  EXPECT_EQ(n["counters"]["filtered"].num(), 2);
  EXPECT_EQ(n["depth"].num(), 0);
}

TEST_F(AdminApiTest, DisabledDestinationQueuesNothingNew) {
  const std::int64_t id = failing("quiet");
  createDevice("12345678", createLocation("Depot", {id}));
  ASSERT_EQ(call("POST", "/api/v1/destinations/" + std::to_string(id) + "/disable").status, 200);
  EXPECT_EQ(queue(id).j()["state"].str(), "disabled");
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(1), past(5)));
  EXPECT_EQ(queue(id).j()["counters"]["queued"].num(), 0);
  ASSERT_EQ(call("POST", "/api/v1/destinations/" + std::to_string(id) + "/enable").status, 200);
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(2), past(4)));
  EXPECT_EQ(queue(id).j()["counters"]["queued"].num(), 1);
  EXPECT_NE(queue(id).j()["state"].str(), "disabled");
}

// ---------------------------------------------------------------------------------------------
// Locations

TEST_F(AdminApiTest, LocationLifecycleWithDestinationIdsIsAudited) {
  const std::int64_t d1 = failing("d1", R"(,"enabled":false)");
  const std::int64_t d2 = failing("d2", R"(,"enabled":false)");
  Reply created = call("POST", "/api/v1/locations",
                       R"({"name":"Depot","description":"Main yard","destinationIds":[)" +
                           std::to_string(d1) + "]}");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::int64_t id = created.j()["id"].num();
  const std::string path = "/api/v1/locations/" + std::to_string(id);
  EXPECT_EQ(created.j()["name"].str(), "Depot");
  EXPECT_EQ(created.j()["description"].str(), "Main yard");
  EXPECT_EQ(canon(created.j()["destinationIds"].value()), "[" + std::to_string(d1) + ",]");
  EXPECT_EQ(created.j()["devices"].num(), 0);
  EXPECT_EQ(canon(get(path).json), canon(created.json));
  EXPECT_EQ(get("/api/v1/locations").j()["locations"].size(), 1u);
  EXPECT_EQ(canon(get("/api/v1/destinations/" + std::to_string(d1)).j()["locationIds"].value()),
            "[" + std::to_string(id) + ",]");

  createDevice("12345678", id);
  EXPECT_EQ(get(path).j()["devices"].num(), 1);

  Reply updated =
      call("PUT", path, R"({"name":"Depot North","destinationIds":[)" + std::to_string(d2) + "]}");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.j()["name"].str(), "Depot North");
  EXPECT_EQ(updated.j()["description"].str(), "");  // the whole LocationInput is replaced
  EXPECT_EQ(canon(updated.j()["destinationIds"].value()), "[" + std::to_string(d2) + ",]");
  EXPECT_EQ(get("/api/v1/destinations/" + std::to_string(d1)).j()["locationIds"].size(), 0u);

  Reply removed = call("DELETE", path);
  EXPECT_EQ(removed.status, 204) << removed.body;
  expectError(get(path), 404, "GET of a removed location");
  expectError(call("DELETE", path), 404, "DELETE of a removed location");
  expectError(call("PUT", path, R"({"name":"Ghost"})"), 404, "PUT of a removed location");
  // Its devices are left without a location; its destinations belong to none.
  EXPECT_TRUE(get("/api/v1/devices/12345678").j()["locationId"].isNull());
  EXPECT_EQ(get("/api/v1/destinations/" + std::to_string(d2)).j()["locationIds"].size(), 0u);

  Reply audit = get("/api/v1/audit?limit=3");
  ASSERT_EQ(audit.j()["entries"].size(), 3u) << audit.body;
  const J del = audit.j()["entries"].item(0), upd = audit.j()["entries"].item(1);
  EXPECT_EQ(del["action"].str(), "location.delete");
  EXPECT_EQ(del["target"].str(), "location " + std::to_string(id));
  EXPECT_EQ(del["before"]["name"].str(), "Depot North");
  EXPECT_TRUE(del["after"].isNull());
  EXPECT_EQ(upd["action"].str(), "location.update");
  EXPECT_EQ(upd["before"]["name"].str(), "Depot");
  EXPECT_EQ(upd["after"]["name"].str(), "Depot North");
  EXPECT_EQ(upd["actor"].str(), "alice");
  // The third newest is the device; the location's creation comes before it.
  Reply all = get("/api/v1/audit");
  bool createdAudited = false;
  for (const J& e : all.j()["entries"].items())
    if (e["action"].str() == "location.create") {
      createdAudited = true;
      EXPECT_TRUE(e["before"].isNull());
      EXPECT_EQ(e["after"]["description"].str(), "Main yard");
    }
  EXPECT_TRUE(createdAudited) << all.body;
}

TEST_F(AdminApiTest, LocationInputErrorsNameTheField) {
  const std::int64_t d = failing("d", R"(,"enabled":false)");
  const std::int64_t gone = failing("gone", R"(,"enabled":false)");
  ASSERT_EQ(call("DELETE", "/api/v1/destinations/" + std::to_string(gone)).status, 204);
  const std::string post = "/api/v1/locations";
  expectInvalid(
      call("POST", post, R"({"name":"A","destinationIds":[)" + std::to_string(d) + ",9999]}"),
      {"destinationIds"}, "an unknown destination id");
  expectInvalid(
      call("POST", post, R"({"name":"A","destinationIds":[)" + std::to_string(gone) + "]}"),
      {"destinationIds"}, "a removed destination's id");
  expectInvalid(call("POST", post, "{}"), {"name"}, "no name");
  expectInvalid(call("POST", post, R"({"name":"","destinationIds":"1","colour":1})"),
                {"name", "destinationIds", "colour"}, "three bad fields");
  expectInvalid(call("POST", post, R"({"name":"A","description":7,"destinationIds":[1.5]})"),
                {"description", "destinationIds"}, "wrong types");
  expectError(call("POST", post, "{name: A}"), 400, "not JSON");
  EXPECT_EQ(get("/api/v1/locations").j()["locations"].size(), 0u);

  const std::int64_t id = createLocation("Depot", {d});
  const std::string path = "/api/v1/locations/" + std::to_string(id);
  const std::string before = canon(get(path).json);
  expectInvalid(call("PUT", path, R"({"name":"Depot","destinationIds":[9999]})"),
                {"destinationIds"}, "PUT with an unknown destination id");
  EXPECT_EQ(canon(get(path).json), before);
}

// Issue 13: a location's tachograph-file settings (schema/openapi.yaml LocationFiles).
TEST_F(AdminApiTest, LocationFileSettingsDefaultMergeAndNameTheirErrors) {
  const std::int64_t id = createLocation("Depot", {});
  const std::string path = "/api/v1/locations/" + std::to_string(id);
  auto files = get(path).j()["files"];
  EXPECT_EQ(files["naming"].str(), "eu");
  EXPECT_EQ(files["timeZone"].str(), "UTC");
  EXPECT_EQ(files["vehicleUnitDownloadDays"].num(), 90);
  EXPECT_EQ(files["driverCardDownloadDays"].num(), 28);

  Reply r =
      call("PUT", path, R"({"name":"Depot","files":{"naming":"fr","timeZone":"Europe/Paris"}})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = call("PUT", path, R"({"name":"Depot","files":{"driverCardDownloadDays":21}})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = call("PUT", path, R"({"name":"Depot","description":"no files member"})");
  ASSERT_EQ(r.status, 200) << r.body;
  files = get(path).j()["files"];
  EXPECT_EQ(files["naming"].str(), "fr") << "members not given keep their value";
  EXPECT_EQ(files["timeZone"].str(), "Europe/Paris");
  EXPECT_EQ(files["driverCardDownloadDays"].num(), 21);
  EXPECT_EQ(files["vehicleUnitDownloadDays"].num(), 90);

  const std::string before = canon(get(path).json);
  expectInvalid(call("PUT", path, R"({"name":"Depot","files":{"naming":"de"}})"), {"files.naming"},
                "an unknown naming convention");
  expectInvalid(call("PUT", path, R"({"name":"Depot","files":{"timeZone":"Mars/Olympus"}})"),
                {"files.timeZone"}, "a zone the system does not know");
  expectInvalid(call("PUT", path, R"({"name":"Depot","files":{"timeZone":"../../etc/passwd"}})"),
                {"files.timeZone"}, "a path as a zone");
  expectInvalid(
      call("PUT", path, R"({"name":"Depot","files":{"vehicleUnitDownloadDays":0,"colour":1}})"),
      {"files.vehicleUnitDownloadDays", "files.colour"}, "out of range and unknown");
  expectInvalid(call("PUT", path, R"({"name":"Depot","files":"fr"})"), {"files"}, "not an object");
  EXPECT_EQ(canon(get(path).json), before);

  r = call("POST", "/api/v1/locations", R"({"name":"Madrid","files":{"naming":"es"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.j()["files"]["naming"].str(), "es");
  EXPECT_EQ(r.j()["files"]["timeZone"].str(), "UTC") << "the others take their defaults";
}

// Issue 13: download compliance from the DownloadLog and the locations' periods.
TEST_F(AdminApiTest, ComplianceListsOverdueNeverDueAndOkByLocationPeriods) {
  const std::int64_t depot = createLocation("Depot", {});
  const std::int64_t yard = createLocation("Yard", {});
  ASSERT_EQ(call("PUT", "/api/v1/locations/" + std::to_string(yard),
                 R"({"name":"Yard","files":{"vehicleUnitDownloadDays":120}})")
                .status,
            200);
  createDevice("1001", depot);
  createDevice("1002", depot);
  createDevice("2001", yard);
  const std::int64_t day = 86'400'000, now = clock_.nowMs();
  auto record = [&](store::TachoDownloadRecord::Kind kind, std::string subject, std::string serial,
                    std::int64_t loc, std::int64_t agoDays) {
    store::TachoDownloadRecord r;
    r.kind = kind;
    r.subject = std::move(subject);
    r.serial = std::move(serial);
    r.locationId = loc;
    r.fileId = agoDays;
    r.downloadedAtMs = now - agoDays * day;
    store_->recordDownload(r);
  };
  using K = store::TachoDownloadRecord::Kind;
  record(K::VehicleUnit, "VIN00000000000001", "1001", depot, 100);  // 90 days: overdue
  record(K::VehicleUnit, "VIN00000000000002", "2001", yard, 100);   // 120 days: ok
  record(K::DriverCard, "DF00000000000100", "1001", depot, 25);     // 28 days: due within 7
  record(K::DriverCard, "DF00000000000200", "1001", depot, 1);      // ok

  auto items = get("/api/v1/compliance").j()["items"];
  ASSERT_EQ(items.size(), 5u) << get("/api/v1/compliance").body;
  EXPECT_EQ(items.item(0)["subject"].str(), "VIN00000000000001");
  EXPECT_EQ(items.item(0)["status"].str(), "overdue");
  EXPECT_EQ(items.item(1)["serial"].str(), "1002");
  EXPECT_EQ(items.item(1)["status"].str(), "never");
  EXPECT_EQ(items.item(1)["subject"].str(), "");
  EXPECT_EQ(items.item(2)["subject"].str(), "DF00000000000100");
  EXPECT_EQ(items.item(2)["status"].str(), "due");
  EXPECT_EQ(items.item(2)["kind"].str(), "driverCard");
  EXPECT_EQ(items.item(3)["status"].str(), "ok");
  EXPECT_EQ(items.item(4)["status"].str(), "ok");

  auto yardItems = get("/api/v1/compliance?location=" + std::to_string(yard)).j()["items"];
  ASSERT_EQ(yardItems.size(), 1u);
  EXPECT_EQ(yardItems.item(0)["status"].str(), "ok") << "the yard's period is 120 days";
  EXPECT_EQ(get("/api/v1/compliance?status=due,overdue").j()["items"].size(), 2u);
  EXPECT_EQ(get("/api/v1/compliance?soonDays=0&status=due").j()["items"].size(), 0u);
  expectInvalid(call("GET", "/api/v1/compliance?status=late&soonDays=400"), {"soonDays", "status"},
                "a bad status and a bad window");
  expectError(call("GET", "/api/v1/compliance?location=999999"), 404, "an unknown location");
}

TEST_F(AdminApiTest, LocationNameTakenIsAConflict) {
  createLocation("Depot", {});
  const std::int64_t other = createLocation("Yard", {});
  expectError(call("POST", "/api/v1/locations", R"({"name":"Depot"})"), 409, "POST taken name");
  expectError(call("PUT", "/api/v1/locations/" + std::to_string(other), R"({"name":"Depot"})"), 409,
              "PUT renaming to a taken name");
  EXPECT_EQ(get("/api/v1/locations/" + std::to_string(other)).j()["name"].str(), "Yard");
}

// ---------------------------------------------------------------------------------------------
// Devices

TEST_F(AdminApiTest, DeviceLifecycleNeverReturnsTheKey) {
  const std::int64_t loc = createLocation("Depot", {});
  Reply created = call("POST", "/api/v1/devices",
                       R"({"serial":"12345678","locationId":)" + std::to_string(loc) +
                           R"(,"registration":"AB12CDE","key":")" + kKeyHex + "\"}");
  ASSERT_EQ(created.status, 201) << created.body;
  const J d = created.j();
  EXPECT_EQ(d["serial"].str(), "12345678");
  EXPECT_EQ(d["locationId"].num(), loc);
  EXPECT_EQ(d["registration"].str(), "AB12CDE");
  EXPECT_TRUE(d["hasKey"].boolean());
  EXPECT_EQ(d["lastSequence"].num(), 0);
  EXPECT_FALSE(d.has("key")) << created.body;
  Reply bare = call("POST", "/api/v1/devices", R"({"serial":"A1"})");
  ASSERT_EQ(bare.status, 201) << bare.body;
  EXPECT_FALSE(bare.j()["hasKey"].boolean());
  EXPECT_TRUE(bare.j()["locationId"].isNull());
  EXPECT_EQ(bare.j()["registration"].str(), "");

  Reply list = get("/api/v1/devices");
  ASSERT_EQ(list.j()["devices"].size(), 2u) << list.body;
  for (const J& x : list.j()["devices"].items()) EXPECT_FALSE(x.has("key")) << list.body;
  Reply one = get("/api/v1/devices/12345678");
  EXPECT_EQ(canon(one.json), canon(created.json));
  for (const Reply& r : {created, list, one, get("/api/v1/audit")})
    EXPECT_EQ(r.body.find(kKeyHex), std::string::npos) << "the key was returned: " << r.body;

  // PUT without a key keeps it; with one, sets it.
  Reply renamed = call("PUT", "/api/v1/devices/12345678",
                       R"({"locationId":)" + std::to_string(loc) + R"(,"registration":"XY99ZZZ"})");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.j()["registration"].str(), "XY99ZZZ");
  EXPECT_TRUE(renamed.j()["hasKey"].boolean());
  EXPECT_EQ(codecs::toHex(store_->deviceAuth("12345678")->key), kKeyHex);
  Reply rekeyed = call("PUT", "/api/v1/devices/12345678",
                       R"({"serial":"12345678","locationId":null,"registration":"XY99ZZZ",)"
                       R"("key":")" +
                           kOtherKeyHex + "\"}");
  ASSERT_EQ(rekeyed.status, 200) << rekeyed.body;
  EXPECT_FALSE(rekeyed.j().has("key"));
  EXPECT_TRUE(rekeyed.j()["locationId"].isNull());
  EXPECT_EQ(codecs::toHex(store_->deviceAuth("12345678")->key), kOtherKeyHex);
  EXPECT_EQ(get("/api/v1/audit?limit=1").j()["entries"].item(0)["action"].str().rfind("device.", 0),
            0u);

  Reply removed = call("DELETE", "/api/v1/devices/12345678");
  EXPECT_EQ(removed.status, 204) << removed.body;
  expectError(get("/api/v1/devices/12345678"), 404, "GET of a removed device");
  expectError(call("DELETE", "/api/v1/devices/12345678"), 404, "DELETE of a removed device");
  expectError(call("PUT", "/api/v1/devices/12345678", R"({"registration":"X"})"), 404,
              "PUT of a removed device");
  EXPECT_FALSE(store_->deviceAuth("12345678")) << "a removed device could still log in";
  EXPECT_EQ(get("/api/v1/audit?limit=1").j()["entries"].item(0)["action"].str(), "device.delete");
}

TEST_F(AdminApiTest, RotatedKeyIsShownOnceAndIsTheDevicesNewKey) {
  createDevice("12345678", createLocation("Depot", {}));
  Reply rotated = call("POST", "/api/v1/devices/12345678/key");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_EQ(rotated.j()["serial"].str(), "12345678");
  const std::string key = rotated.j()["key"].str();
  ASSERT_EQ(key.size(), 64u) << rotated.body;  // 32 random bytes, hex
  EXPECT_EQ(codecs::toHex(store_->deviceAuth("12345678")->key), key);
  for (const std::string uri : {"/api/v1/devices/12345678", "/api/v1/devices", "/api/v1/audit"})
    EXPECT_EQ(get(uri).body.find(key), std::string::npos) << uri << " shows the key";
  EXPECT_TRUE(get("/api/v1/devices/12345678").j()["hasKey"].boolean());
  const J audit = get("/api/v1/audit?limit=1").j()["entries"].item(0);
  EXPECT_EQ(audit["action"].str(), "device.rotate-key");
  EXPECT_EQ(audit["target"].str(), "device 12345678");
  Reply again = call("POST", "/api/v1/devices/12345678/key");
  EXPECT_NE(again.j()["key"].str(), key);
  expectError(call("POST", "/api/v1/devices/NOPE/key"), 404, "rotate the key of no device");
}

TEST_F(AdminApiTest, DeviceInputErrorsNameEveryBadField) {
  const std::string post = "/api/v1/devices";
  expectInvalid(call("POST", post,
                     R"({"serial":"123456789","locationId":9999,"registration":"ABCDEFGHIJKLMN",)"
                     R"("key":"xyz"})"),
                {"serial", "locationId", "registration", "key"}, "four bad fields");
  expectInvalid(call("POST", post, "{}"), {"serial"}, "no serial");
  expectInvalid(call("POST", post, R"({"serial":""})"), {"serial"}, "an empty serial");
  expectInvalid(call("POST", post, R"({"serial":"ab cd"})"), {"serial"}, "a space in the serial");
  expectInvalid(call("POST", post, R"({"serial":12345678})"), {"serial"}, "a numeric serial");
  expectInvalid(call("POST", post, R"({"serial":"A","key":"abcd"})"), {"key"}, "a short key");
  expectInvalid(call("POST", post, R"({"serial":"A","key":")" + std::string(130, 'a') + "\"}"),
                {"key"}, "a 65-byte key");
  expectInvalid(call("POST", post, R"({"serial":"A","locationId":"1","colour":1})"),
                {"locationId", "colour"}, "a string locationId and an unknown member");
  expectError(call("POST", post, "serial=A"), 400, "not JSON");
  EXPECT_EQ(get("/api/v1/devices").j()["devices"].size(), 0u);

  createDevice("12345678", createLocation("Depot", {}));
  expectError(call("POST", post, R"({"serial":"12345678"})"), 409, "a serial taken");
  const std::string before = canon(get("/api/v1/devices/12345678").json);
  expectInvalid(call("PUT", "/api/v1/devices/12345678",
                     R"({"registration":"ABCDEFGHIJKLMN","key":"zz","locationId":9999})"),
                {"registration", "key", "locationId"}, "PUT with three bad fields");
  expectInvalid(call("PUT", "/api/v1/devices/12345678", R"({"serial":"87654321"})"), {"serial"},
                "PUT renaming the device");
  EXPECT_EQ(canon(get("/api/v1/devices/12345678").json), before);
  EXPECT_EQ(codecs::toHex(store_->deviceAuth("12345678")->key), kKeyHex);
}

TEST_F(AdminApiTest, PuttingLastSequenceResetsTheMarkAuditedAndPublished) {
  createDevice("12345678", createLocation("Depot", {}));
  {
    auto tx = store_->begin();
    ASSERT_TRUE(tx->setLastSequence("12345678", 5000).ok());  // as if 5000 were stored
    tx->commit();
  }
  std::mutex mu;
  std::vector<common::Change> seen;
  auto sub = feed_.subscribe([&](const std::vector<common::Change>& cs) {
    std::lock_guard lock(mu);
    seen.insert(seen.end(), cs.begin(), cs.end());
  });
  auto resets = [&] {
    std::lock_guard lock(mu);
    return std::count_if(seen.begin(), seen.end(), [](const common::Change& c) {
      return c.kind == common::Change::Kind::SequenceReset && c.serial == "12345678";
    });
  };
  Reply r = call("PUT", "/api/v1/devices/12345678", R"({"lastSequence":0})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j()["lastSequence"].num(), 0);
  EXPECT_EQ(store_->deviceAuth("12345678")->lastSequence, 0u) << "the mark was not reset";
  EXPECT_TRUE(r.j()["hasKey"].boolean()) << "the rest of the device stays";
  J audit = get("/api/v1/audit?limit=1").j()["entries"].item(0);
  EXPECT_EQ(audit["action"].str(), "device.reset-sequence");
  EXPECT_EQ(audit["target"].str(), "device 12345678");
  EXPECT_EQ(resets(), 1) << "the uplink is told (it closes a logged-in session)";

  // The same value again changes nothing: no reset, no session closed.
  Reply same = call("PUT", "/api/v1/devices/12345678", R"({"lastSequence":0,"registration":"R2"})");
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(get("/api/v1/audit?limit=1").j()["entries"].item(0)["action"].str(), "device.update");
  EXPECT_EQ(resets(), 1);

  Reply top = call("PUT", "/api/v1/devices/12345678", R"({"lastSequence":4294967295})");
  ASSERT_EQ(top.status, 200) << top.body;
  EXPECT_EQ(store_->deviceAuth("12345678")->lastSequence, 4294967295u);
  for (const char* bad :
       {R"({"lastSequence":-1})", R"({"lastSequence":4294967296})", R"({"lastSequence":"7"})",
        R"({"lastSequence":1.5})", R"({"lastSequence":null})"})
    expectInvalid(call("PUT", "/api/v1/devices/12345678", bad), {"lastSequence"}, bad);
  EXPECT_EQ(store_->deviceAuth("12345678")->lastSequence, 4294967295u);
  expectError(call("PUT", "/api/v1/devices/NOPE", R"({"lastSequence":0})"), 404, "no device");
  expectInvalid(call("POST", "/api/v1/devices", R"({"serial":"A1","lastSequence":7})"),
                {"lastSequence"}, "a new device's mark");
  Reply created = call("POST", "/api/v1/devices", R"({"serial":"A1","lastSequence":0})");
  EXPECT_EQ(created.status, 201) << created.body;
}

// ---------------------------------------------------------------------------------------------
// Refused idents

TEST_F(AdminApiTest, RefusedIdentsAreListedMostRecentFirst) {
  const std::int64_t t0 = past(300), t1 = past(200), t2 = past(100);
  store_->recordRefusedIdents(
      {store::RefusedIdent{"99999999", "203.0.113.7:51234", "UNKNOWN_DEVICE: first", t0}});
  store_->recordRefusedIdents({store::RefusedIdent{
      "99999999", "203.0.113.7:51299", "UNKNOWN_DEVICE: no device '99999999' is registered", t1}});
  store_->recordRefusedIdents(
      {store::RefusedIdent{"77777777", "198.51.100.1:4000", "BAD_SIGNATURE: wrong key", t2}});
  Reply r = get("/api/v1/refused-idents");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.j()["refusedIdents"].size(), 2u) << r.body;
  EXPECT_EQ(r.j()["refusedIdents"].item(0)["serial"].str(), "77777777");
  const J x = r.j()["refusedIdents"].item(1);
  EXPECT_EQ(x["serial"].str(), "99999999");
  EXPECT_EQ(x["address"].str(), "203.0.113.7:51299");
  EXPECT_EQ(x["reason"].str(), "UNKNOWN_DEVICE: no device '99999999' is registered");
  EXPECT_EQ(x["firstAt"].str(), formatTimeMs(t0));
  EXPECT_EQ(x["lastAt"].str(), formatTimeMs(t1));
  EXPECT_EQ(x["attempts"].num(), 2);
}

TEST_F(AdminApiTest, RegisteringARefusedIdentCreatesTheDeviceInOneCall) {
  const std::int64_t loc = createLocation("Depot", {});
  store_->recordRefusedIdents({store::RefusedIdent{"99999999", "203.0.113.7:51234",
                                                   "UNKNOWN_DEVICE: no device", past(10)}});
  store_->recordRefusedIdents(
      {store::RefusedIdent{"77777777", "203.0.113.8:51234", "UNKNOWN_DEVICE: no device", past(5)}});
  const std::string register9 = "/api/v1/refused-idents/99999999/register";
  // Errors first: the ident stays.
  expectInvalid(call("POST", register9, R"({"serial":"99999999"})"), {"serial"},
                "a serial in the body");
  expectInvalid(call("POST", register9, R"({"registration":"ABCDEFGHIJKLMN","locationId":9999})"),
                {"registration", "locationId"}, "two bad fields");
  expectError(call("POST", "/api/v1/refused-idents/55555555/register", "{}"), 404,
              "a serial that was never refused");
  EXPECT_EQ(get("/api/v1/refused-idents").j()["refusedIdents"].size(), 2u);

  Reply r = call("POST", register9,
                 R"({"locationId":)" + std::to_string(loc) + R"(,"registration":"AB12CDE"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.j()["serial"].str(), "99999999");
  EXPECT_EQ(r.j()["locationId"].num(), loc);
  EXPECT_EQ(r.j()["registration"].str(), "AB12CDE");
  EXPECT_TRUE(r.j()["hasKey"].boolean());
  const std::string key = r.j()["key"].str();
  ASSERT_EQ(key.size(), 64u) << "a generated key, in this response: " << r.body;
  EXPECT_EQ(codecs::toHex(store_->deviceAuth("99999999")->key), key);
  Reply device = get("/api/v1/devices/99999999");
  EXPECT_EQ(device.status, 200);
  EXPECT_FALSE(device.j().has("key")) << device.body;
  EXPECT_TRUE(device.j()["hasKey"].boolean());
  Reply idents = get("/api/v1/refused-idents");
  ASSERT_EQ(idents.j()["refusedIdents"].size(), 1u) << idents.body;
  EXPECT_EQ(idents.j()["refusedIdents"].item(0)["serial"].str(), "77777777");
  const J audit = get("/api/v1/audit?limit=1").j()["entries"].item(0);
  EXPECT_EQ(audit["target"].str(), "device 99999999");
  EXPECT_TRUE(audit["before"].isNull());
  EXPECT_EQ(get("/api/v1/audit").body.find(key), std::string::npos) << "the audit shows the key";

  // A key given is not echoed ("only when generated").
  Reply given = call("POST", "/api/v1/refused-idents/77777777/register",
                     R"({"key":")" + kOtherKeyHex + "\"}");
  ASSERT_EQ(given.status, 201) << given.body;
  EXPECT_FALSE(given.j().has("key")) << given.body;
  EXPECT_EQ(codecs::toHex(store_->deviceAuth("77777777")->key), kOtherKeyHex);

  // Refused again while registered (e.g. a wrong key): registering again is a conflict.
  store_->recordRefusedIdents(
      {store::RefusedIdent{"99999999", "203.0.113.7:51234", "BAD_SIGNATURE", clock_.nowMs()}});
  expectError(call("POST", register9, "{}"), 409, "a serial already registered");
}

// ---------------------------------------------------------------------------------------------
// Queues: the overview and the entries

TEST_F(AdminApiTest, QueueOverviewShowsTheBlockingEntryWithItsHistory) {
  const std::int64_t bad = failing("bad");
  const std::int64_t idle = failing("idle");
  const std::int64_t off = failing("off", R"(,"enabled":false)");
  createDevice("12345678", createLocation("Depot", {bad}));
  const std::int64_t t0 = past(30);
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(1), t0));
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(2), t0 + 1000));
  ASSERT_NO_FATAL_FAILURE(waitBackingOff(bad, 1));

  Reply all = get("/api/v1/queues");
  ASSERT_EQ(all.status, 200) << all.body;
  ASSERT_EQ(all.j()["queues"].size(), 3u) << all.body;
  EXPECT_EQ(all.j()["queues"].item(0)["destinationId"].num(), bad);  // in destination order
  EXPECT_EQ(all.j()["queues"].item(1)["destinationId"].num(), idle);
  EXPECT_EQ(all.j()["queues"].item(2)["destinationId"].num(), off);

  Reply one = queue(bad);
  ASSERT_EQ(one.status, 200) << one.body;
  const J q = one.j();
  EXPECT_EQ(canon(q.value(), {"oldestPendingAgeSeconds"}),
            canon(all.j()["queues"].item(0).value(), {"oldestPendingAgeSeconds"}));
  EXPECT_EQ(q["name"].str(), "bad");
  EXPECT_EQ(q["method"].str(), "rest");
  EXPECT_TRUE(q["enabled"].boolean());
  EXPECT_EQ(q["state"].str(), "backing-off");
  const auto nextRetry = parseTimeMs(q["nextRetryAt"].str());
  ASSERT_TRUE(nextRetry) << one.body;
  EXPECT_GT(*nextRetry, clock_.nowMs() + 30'000);  // a minute after the failure
  EXPECT_EQ(q["depth"].num(), 2);
  EXPECT_EQ(q["oldestPendingAt"].str(), formatTimeMs(t0));
  EXPECT_GE(q["oldestPendingAgeSeconds"].real(), 29.0);
  EXPECT_EQ(q["consecutiveFailures"].num(), 1);
  EXPECT_FALSE(q["lastError"].str().empty()) << one.body;
  EXPECT_TRUE(parseTimeMs(q["lastErrorAt"].str())) << one.body;
  EXPECT_EQ(q["counters"]["queued"].num(), 2);
  EXPECT_EQ(q["counters"]["delivered"].num(), 0);
  EXPECT_EQ(q["counters"]["failedAttempts"].num(), 1);
  EXPECT_EQ(q["counters"]["deadLetters"].num(), 0);
  EXPECT_EQ(q["counters"]["filtered"].num(), 0);

  const J b = q["blocking"];
  ASSERT_TRUE(b.isObject()) << one.body;
  EXPECT_EQ(b["destinationId"].num(), bad);
  EXPECT_GT(b["packetId"].num(), 0);
  EXPECT_EQ(b["state"].str(), "pending");
  EXPECT_EQ(b["attempts"].num(), 1);
  EXPECT_EQ(b["receivedAt"].str(), formatTimeMs(t0));
  EXPECT_TRUE(b["finishedAt"].isNull());
  EXPECT_TRUE(b["reason"].isNull());
  EXPECT_EQ(b["serial"].str(), "12345678");
  EXPECT_EQ(b["registration"].str(), "AB12CDE");
  EXPECT_EQ(b["type"].num(), 0x47);
  EXPECT_EQ(b["filterKey"].str(), "Positional update");
  EXPECT_EQ(b["data"].str(), codecs::toHex(positionalUpdate(1)));
  EXPECT_EQ(b["packet"]["type"].num(), 0x47);
  EXPECT_EQ(b["packet"]["subtype"].num(), 0x01);
  EXPECT_EQ(b["packet"]["name"].str(), "Positional update");
  ASSERT_EQ(b["history"].size(), 1u) << one.body;
  const J h = b["history"].item(0);
  EXPECT_EQ(h["outcome"].str(), "failed");
  EXPECT_EQ(h["reason"].str(), q["lastError"].str());
  EXPECT_TRUE(parseTimeMs(h["at"].str())) << h["at"].str();
  EXPECT_GE(h["durationUs"].num(), 0);

  const J i = queue(idle).j();
  EXPECT_EQ(i["state"].str(), "idle");
  EXPECT_EQ(i["depth"].num(), 0);
  EXPECT_TRUE(i["blocking"].isNull());
  EXPECT_TRUE(i["oldestPendingAt"].isNull());
  EXPECT_TRUE(i["oldestPendingAgeSeconds"].isNull());
  EXPECT_TRUE(i["nextRetryAt"].isNull());
  EXPECT_TRUE(i["lastErrorAt"].isNull());
  EXPECT_EQ(queue(off).j()["state"].str(), "disabled");
}

class AdminApiEntriesTest : public AdminApiTest {
 protected:
  // Five entries of one queue: two devices, two packet types, a second apart from t_.
  void SetUp() override {
    AdminApiTest::SetUp();
    bad_ = failing("bad");
    const std::int64_t loc = createLocation("Depot", {bad_});
    createDevice("12345678", loc);
    createDevice("87654321", loc);
    t_ = past(3600);
    const std::pair<const char*, codecs::Bytes> packets[] = {{"12345678", positionalUpdate(1)},
                                                             {"12345678", timeSourceComparison()},
                                                             {"87654321", positionalUpdate(3)},
                                                             {"12345678", positionalUpdate(4)},
                                                             {"87654321", timeSourceComparison()}};
    for (int i = 0; i < 5; ++i)
      ASSERT_NO_FATAL_FAILURE(ingest(packets[i].first, packets[i].second, t_ + i * 1000));
    ASSERT_NO_FATAL_FAILURE(waitBackingOff(bad_, 1));
    e_ = entryIds(base());
    ASSERT_EQ(e_.size(), 5u);
  }
  std::string base() { return "/api/v1/queues/" + std::to_string(bad_) + "/entries"; }
  std::string at(int i) { return formatTimeMs(t_ + i * 1000); }
  std::vector<std::int64_t> pick(std::initializer_list<int> idx) {
    std::vector<std::int64_t> out;
    for (int i : idx) out.push_back(e_[i]);
    return out;
  }

  std::int64_t bad_{0}, t_{0};
  std::vector<std::int64_t> e_;
};

TEST_F(AdminApiEntriesTest, PagesWithLimitAndTheNextCursor) {
  Reply p1 = get(base() + "?limit=2");
  ASSERT_EQ(p1.status, 200) << p1.body;
  ASSERT_EQ(p1.j()["entries"].size(), 2u);
  EXPECT_EQ(p1.j()["entries"].item(0)["id"].num(), e_[0]);  // oldest first
  EXPECT_EQ(p1.j()["entries"].item(1)["id"].num(), e_[1]);
  const std::int64_t next1 = p1.j()["next"].num();
  Reply p2 = get(base() + "?limit=2&after=" + std::to_string(next1));
  ASSERT_EQ(p2.j()["entries"].size(), 2u) << p2.body;
  EXPECT_EQ(p2.j()["entries"].item(0)["id"].num(), e_[2]);
  EXPECT_EQ(p2.j()["entries"].item(1)["id"].num(), e_[3]);
  Reply p3 = get(base() + "?limit=2&after=" + std::to_string(p2.j()["next"].num()));
  ASSERT_EQ(p3.j()["entries"].size(), 1u) << p3.body;
  EXPECT_EQ(p3.j()["entries"].item(0)["id"].num(), e_[4]);
  EXPECT_TRUE(p3.j().has("next") && p3.j()["next"].isNull()) << p3.body;
  Reply whole = get(base());  // default limit 50
  EXPECT_EQ(whole.j()["entries"].size(), 5u);
  EXPECT_TRUE(whole.j()["next"].isNull()) << whole.body;
  // Each entry as the list shows it, and by id.
  const J second = whole.j()["entries"].item(1);
  Reply byId = get(base() + "/" + std::to_string(e_[1]));
  ASSERT_EQ(byId.status, 200) << byId.body;
  EXPECT_EQ(canon(byId.json), canon(second.value()));
  EXPECT_EQ(byId.j()["type"].num(), 0x49);
  EXPECT_EQ(byId.j()["packet"]["name"].str(), "Time source comparison");
  EXPECT_EQ(byId.j()["history"].size(), 0u);  // not tried yet: the first entry blocks it
}

// The contract: `next` is "null on the last page", also when that page happens to be full.
TEST_F(AdminApiEntriesTest, FullLastPageHasANullNext) {
  Reply p = get(base() + "?limit=5");
  ASSERT_EQ(p.j()["entries"].size(), 5u) << p.body;
  EXPECT_TRUE(p.j()["next"].isNull()) << "no entry follows, yet next is " << p.body;
}

TEST_F(AdminApiEntriesTest, FiltersByStateTypeDeviceAndTime) {
  EXPECT_EQ(entryIds(base() + "?state=pending"), e_);
  EXPECT_EQ(entryIds(base() + "?state=delivered"), std::vector<std::int64_t>{});
  EXPECT_EQ(entryIds(base() + "?state=dead"), std::vector<std::int64_t>{});
  EXPECT_EQ(entryIds(base() + "?type=71"), pick({0, 2, 3}));
  EXPECT_EQ(entryIds(base() + "?type=0x47"), pick({0, 2, 3}));
  EXPECT_EQ(entryIds(base() + "?type=0x49"), pick({1, 4}));
  EXPECT_EQ(entryIds(base() + "?type=73"), pick({1, 4}));
  EXPECT_EQ(entryIds(base() + "?type=0x53"), std::vector<std::int64_t>{});
  EXPECT_EQ(entryIds(base() + "?device=87654321"), pick({2, 4}));
  EXPECT_EQ(entryIds(base() + "?device=11111111"), std::vector<std::int64_t>{});
  EXPECT_EQ(entryIds(base() + "?from=" + at(1)), pick({1, 2, 3, 4}));  // at or after
  EXPECT_EQ(entryIds(base() + "?to=" + at(3)), pick({0, 1, 2}));       // before
  EXPECT_EQ(entryIds(base() + "?from=" + at(1) + "&to=" + at(3)), pick({1, 2}));
  EXPECT_EQ(entryIds(base() + "?type=0x47&device=12345678&from=" + at(1)), pick({3}));
  // Filters and paging together.
  Reply p = get(base() + "?type=71&limit=2");
  ASSERT_EQ(p.j()["entries"].size(), 2u) << p.body;
  EXPECT_EQ(p.j()["next"].num(), e_[2]);
  EXPECT_EQ(entryIds(base() + "?type=71&limit=2&after=" + std::to_string(e_[2])), pick({3}));

  Reply skip = call("POST", "/api/v1/queues/" + std::to_string(bad_) + "/skip",
                    R"({"reason":"malformed for the receiver"})");
  ASSERT_EQ(skip.status, 200) << skip.body;
  EXPECT_EQ(entryIds(base() + "?state=dead"), pick({0}));
  EXPECT_EQ(entryIds(base() + "?state=pending"), pick({1, 2, 3, 4}));
  EXPECT_EQ(entryIds(base() + "?state=dead&device=87654321"), std::vector<std::int64_t>{});
}

TEST_F(AdminApiEntriesTest, TypeInDecimalIsNotReadAsOctal) {
  // "decimal or 0x hex": a leading zero is still decimal (071 is 71, 0x47).
  EXPECT_EQ(entryIds(base() + "?type=071"), pick({0, 2, 3}));
}

TEST_F(AdminApiEntriesTest, BadParametersAreA400NamingEachOne) {
  const std::string b = base();
  expectInvalid(get(b + "?state=stuck"), {"state"}, "state=stuck");
  expectInvalid(get(b + "?type=abc"), {"type"}, "type=abc");
  expectInvalid(get(b + "?type=256"), {"type"}, "type=256");
  expectInvalid(get(b + "?type=0x1G"), {"type"}, "type=0x1G");
  expectInvalid(get(b + "?type=-1"), {"type"}, "type=-1");
  expectInvalid(get(b + "?from=yesterday"), {"from"}, "from=yesterday");
  expectInvalid(get(b + "?to=2026-13-01T00:00:00Z"), {"to"}, "to in month 13");
  expectInvalid(get(b + "?limit=0"), {"limit"}, "limit=0");
  expectInvalid(get(b + "?limit=501"), {"limit"}, "limit=501");
  expectInvalid(get(b + "?limit=ten"), {"limit"}, "limit=ten");
  expectInvalid(get(b + "?after=x"), {"after"}, "after=x");
  expectInvalid(get(b + "?state=stuck&type=abc&from=yesterday&to=never&limit=0&after=x"),
                {"state", "type", "from", "to", "limit", "after"}, "every parameter bad");
  EXPECT_EQ(get(b + "?limit=500").status, 200);
  EXPECT_EQ(get(b + "?limit=1").status, 200);
}

// Integer parameters are whole integers: "2x" is not 2.
TEST_F(AdminApiEntriesTest, NumbersWithTrailingGarbageAreRefused) {
  expectInvalid(get(base() + "?limit=2x"), {"limit"}, "entries limit=2x");
  expectInvalid(get(base() + "?after=1x"), {"after"}, "entries after=1x");
  expectInvalid(get("/api/v1/audit?limit=2x"), {"limit"}, "audit limit=2x");
  expectInvalid(get("/api/v1/audit?before=9x"), {"before"}, "audit before=9x");
}

TEST_F(AdminApiEntriesTest, EntryOfAnotherQueueOrNoneIs404) {
  const std::int64_t other = failing("other");
  expectError(get(base() + "/999999"), 404, "no such entry");
  expectError(get(base() + "/abc"), 404, "a non-numeric entry id");
  expectError(get("/api/v1/queues/" + std::to_string(other) + "/entries/" + std::to_string(e_[0])),
              404, "an entry of another queue");
  expectError(get("/api/v1/queues/9999/entries/" + std::to_string(e_[0])), 404, "no such queue");
}

// ---------------------------------------------------------------------------------------------
// Queue actions

TEST_F(AdminApiTest, PauseAndResumeAreQueueActionsThatAnswerTheQueue) {
  const std::int64_t bad = failing("bad");
  createDevice("12345678", createLocation("Depot", {bad}));
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(1), past(10)));
  ASSERT_NO_FATAL_FAILURE(waitBackingOff(bad, 1));
  const std::string q = "/api/v1/queues/" + std::to_string(bad);

  Reply paused = call("POST", q + "/pause");
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(paused.j()["destinationId"].num(), bad);
  EXPECT_EQ(paused.j()["state"].str(), "paused");
  EXPECT_EQ(paused.j()["depth"].num(), 1);
  EXPECT_TRUE(get("/api/v1/destinations/" + std::to_string(bad)).j()["paused"].boolean());
  // Packets keep being queued while paused.
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(2), past(9)));
  EXPECT_EQ(queue(bad).j()["depth"].num(), 2);
  EXPECT_EQ(queue(bad).j()["state"].str(), "paused");
  // A settings update does not unpause it (pausing is a queue action).
  ASSERT_EQ(call("PUT", "/api/v1/destinations/" + std::to_string(bad),
                 restJson("bad", "http://127.0.0.1:" + std::to_string(closedPort()) + "/x"))
                .status,
            200);
  EXPECT_TRUE(get("/api/v1/destinations/" + std::to_string(bad)).j()["paused"].boolean());

  Reply resumed = call("POST", q + "/resume");
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_NE(resumed.j()["state"].str(), "paused") << "the queue after resume: " << resumed.body;
  EXPECT_FALSE(get("/api/v1/destinations/" + std::to_string(bad)).j()["paused"].boolean());
  EXPECT_TRUE(eventually([&] { return queue(bad).j()["state"].str() == "backing-off"; }))
      << queue(bad).body;

  Reply audit = get("/api/v1/audit?limit=3");
  const J resume = audit.j()["entries"].item(0), pause = audit.j()["entries"].item(2);
  EXPECT_EQ(resume["action"].str(), "queue.resume");
  EXPECT_EQ(resume["target"].str(), "queue " + std::to_string(bad));
  EXPECT_EQ(resume["before"]["state"].str(), "paused");
  EXPECT_EQ(pause["action"].str(), "queue.pause");
  EXPECT_EQ(pause["before"]["state"].str(), "backing-off");
  EXPECT_EQ(pause["after"]["state"].str(), "paused");
}

TEST_F(AdminApiTest, RetryEndsTheBackoffWait) {
  const std::int64_t bad = failing("bad");
  createDevice("12345678", createLocation("Depot", {bad}));
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(1), past(10)));
  ASSERT_NO_FATAL_FAILURE(waitBackingOff(bad, 1));
  Reply r = call("POST", "/api/v1/queues/" + std::to_string(bad) + "/retry");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j()["destinationId"].num(), bad);
  // Without the retry the next attempt would be a minute away.
  ASSERT_NO_FATAL_FAILURE(waitBackingOff(bad, 2));
  EXPECT_EQ(queue(bad).j()["consecutiveFailures"].num(), 2);
  EXPECT_EQ(get("/api/v1/audit?limit=1").j()["entries"].item(0)["action"].str(), "queue.retry");
}

TEST_F(AdminApiTest, SkipDeadLettersTheBlockingEntryWithTheReason) {
  const std::int64_t bad = failing("bad");
  const std::int64_t empty = failing("empty");
  createDevice("12345678", createLocation("Depot", {bad}));
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(1), past(10)));
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(2), past(9)));
  ASSERT_NO_FATAL_FAILURE(waitBackingOff(bad, 1));
  const std::string q = "/api/v1/queues/" + std::to_string(bad);
  const std::int64_t blocking = queue(bad).j()["blocking"]["id"].num();

  expectInvalid(call("POST", q + "/skip"), {"reason"}, "skip without a body");
  expectInvalid(call("POST", q + "/skip", "{}"), {"reason"}, "skip without a reason");
  expectInvalid(call("POST", q + "/skip", R"({"reason":""})"), {"reason"}, "an empty reason");
  expectInvalid(call("POST", q + "/skip", R"({"reason":"  "})"), {"reason"}, "a blank reason");
  expectInvalid(call("POST", q + "/skip", R"({"reason":7})"), {"reason"}, "a numeric reason");
  expectError(call("POST", q + "/skip", "reason=x"), 400, "a body that is not JSON");
  EXPECT_EQ(queue(bad).j()["depth"].num(), 2) << "a refused skip changed the queue";

  expectError(call("POST", "/api/v1/queues/" + std::to_string(empty) + "/skip",
                   R"({"reason":"nothing there"})"),
              409, "skip of an empty queue");
  expectError(call("POST", "/api/v1/queues/9999/skip", R"({"reason":"x"})"), 404, "no queue");

  Reply r = call("POST", q + "/skip", R"({"reason":"the receiver rejects this packet"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j()["skipped"].num(), blocking);
  Reply e = get(q + "/entries/" + std::to_string(blocking));
  EXPECT_EQ(e.j()["state"].str(), "dead") << e.body;
  EXPECT_NE(e.j()["reason"].str().find("the receiver rejects this packet"), std::string::npos)
      << e.body;
  EXPECT_TRUE(parseTimeMs(e.j()["finishedAt"].str())) << e.body;
  const J history = e.j()["history"];
  ASSERT_GE(history.size(), 2u) << e.body;
  EXPECT_EQ(history.item(history.size() - 1)["outcome"].str(), "skipped");
  // The next entry blocks now (and is tried at once: the skip ends the wait).
  ASSERT_NO_FATAL_FAILURE(waitBackingOff(bad, 2));
  const J after = queue(bad).j();
  EXPECT_EQ(after["depth"].num(), 1);
  EXPECT_EQ(after["counters"]["deadLetters"].num(), 1);
  EXPECT_GT(after["blocking"]["id"].num(), blocking);

  bool audited = false;
  for (const J& a : get("/api/v1/audit").j()["entries"].items())
    if (a["action"].str() == "queue.skip") {
      audited = true;
      EXPECT_EQ(a["target"].str(), "queue " + std::to_string(bad));
      EXPECT_EQ(a["after"]["skipped"].num(), blocking);
      EXPECT_EQ(a["after"]["reason"].str(), "the receiver rejects this packet");
    }
  EXPECT_TRUE(audited);
}

TEST_F(AdminApiTest, RequeueDeadPutsDeadLettersBackInOrder) {
  const std::int64_t bad = failing("bad");
  createDevice("12345678", createLocation("Depot", {bad}));
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(1), past(10)));
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(2), past(9)));
  ASSERT_NO_FATAL_FAILURE(waitBackingOff(bad, 1));
  const std::string q = "/api/v1/queues/" + std::to_string(bad);
  const std::int64_t first = queue(bad).j()["blocking"]["id"].num();
  ASSERT_EQ(call("POST", q + "/skip", R"({"reason":"later"})").status, 200);
  ASSERT_NO_FATAL_FAILURE(waitBackingOff(bad, 2));
  // Pause so the worker leaves the queue as the requeue makes it.
  ASSERT_EQ(call("POST", q + "/pause").status, 200);

  Reply r = call("POST", q + "/requeue-dead");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j()["requeued"].num(), 1);
  EXPECT_EQ(entryIds(q + "/entries?state=dead"), std::vector<std::int64_t>{});
  const J after = queue(bad).j();
  EXPECT_EQ(after["depth"].num(), 2);
  EXPECT_EQ(after["blocking"]["id"].num(), first) << "the dead letter keeps its place";
  // Back in the queue it is no dead letter: no reason, not finished (the skip stays in history).
  const J requeued = get(q + "/entries/" + std::to_string(first)).j();
  EXPECT_EQ(requeued["state"].str(), "pending");
  EXPECT_TRUE(requeued["finishedAt"].isNull()) << canon(requeued.value());
  EXPECT_TRUE(requeued["reason"].isNull()) << canon(requeued.value());
  EXPECT_EQ(requeued["history"].item(requeued["history"].size() - 1)["outcome"].str(), "skipped");
  EXPECT_EQ(call("POST", q + "/requeue-dead").j()["requeued"].num(), 0);
  const J a = get("/api/v1/audit?limit=2").j()["entries"].item(1);
  EXPECT_EQ(a["action"].str(), "queue.requeue-dead");
  EXPECT_EQ(a["after"]["requeued"].num(), 1);
  expectError(call("POST", "/api/v1/queues/9999/requeue-dead"), 404, "no queue");
}

TEST_F(AdminApiTest, ReplaySendsDeliveredEntriesFromATimeAgain) {
  const std::int64_t good = delivering("good");
  createDevice("12345678", createLocation("Depot", {good}));
  const std::int64_t t0 = past(60);
  for (int i = 0; i < 3; ++i)
    ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(i), t0 + i * 1000));
  ASSERT_NO_FATAL_FAILURE(waitDelivered(good, 3));
  ASSERT_EQ(receiver_->received(), 3);
  const std::string q = "/api/v1/queues/" + std::to_string(good);

  expectInvalid(call("POST", q + "/replay", "{}"), {"from"}, "replay without from");
  expectInvalid(call("POST", q + "/replay", R"({"from":"yesterday"})"), {"from"}, "from=yesterday");
  expectInvalid(call("POST", q + "/replay", R"({"from":5})"), {"from"}, "a numeric from");
  expectError(call("POST", q + "/replay", "from=now"), 400, "a body that is not JSON");
  expectError(call("POST", "/api/v1/queues/9999/replay", R"({"from":"2026-01-01T00:00:00Z"})"), 404,
              "no queue");
  EXPECT_EQ(receiver_->received(), 3);

  Reply r = call("POST", q + "/replay", R"({"from":")" + formatTimeMs(t0 + 1000) + "\"}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j()["replayed"].num(), 2);
  ASSERT_NO_FATAL_FAILURE(waitDelivered(good, 5));
  EXPECT_EQ(receiver_->received(), 5);
  Reply entries = get(q + "/entries");
  ASSERT_EQ(entries.j()["entries"].size(), 3u);
  EXPECT_EQ(entries.j()["entries"].item(0)["attempts"].num(), 1);
  EXPECT_EQ(entries.j()["entries"].item(1)["attempts"].num(), 2);
  EXPECT_EQ(entries.j()["entries"].item(2)["history"].size(), 2u);
  for (const J& e : entries.j()["entries"].items()) EXPECT_EQ(e["state"].str(), "delivered");
  const J a = get("/api/v1/audit?limit=1").j()["entries"].item(0);
  EXPECT_EQ(a["action"].str(), "queue.replay");
  EXPECT_EQ(a["after"]["replayed"].num(), 2);
}

TEST_F(AdminApiTest, UnknownQueueActionOrQueueIs404) {
  const std::int64_t d = failing("d");
  expectError(call("POST", "/api/v1/queues/" + std::to_string(d) + "/explode"), 404,
              "an unknown action");
  for (const char* action : {"retry", "pause", "resume"})
    expectError(call("POST", std::string("/api/v1/queues/9999/") + action), 404, action);
  EXPECT_FALSE(get("/api/v1/destinations/" + std::to_string(d)).j()["paused"].boolean());
}

// ---------------------------------------------------------------------------------------------
// Audit log and tokens

TEST_F(AdminApiTest, AuditPagesNewestFirstWithBeforeAndNext) {
  for (int i = 0; i < 5; ++i) createLocation("L" + std::to_string(i), {});
  Reply p1 = get("/api/v1/audit?limit=2");
  ASSERT_EQ(p1.status, 200) << p1.body;
  ASSERT_EQ(p1.j()["entries"].size(), 2u);
  EXPECT_EQ(p1.j()["entries"].item(0)["after"]["name"].str(), "L4");
  EXPECT_EQ(p1.j()["entries"].item(1)["after"]["name"].str(), "L3");
  EXPECT_GT(p1.j()["entries"].item(0)["id"].num(), p1.j()["entries"].item(1)["id"].num());
  Reply p2 = get("/api/v1/audit?limit=2&before=" + std::to_string(p1.j()["next"].num()));
  ASSERT_EQ(p2.j()["entries"].size(), 2u) << p2.body;
  EXPECT_EQ(p2.j()["entries"].item(0)["after"]["name"].str(), "L2");
  EXPECT_EQ(p2.j()["entries"].item(1)["after"]["name"].str(), "L1");
  Reply p3 = get("/api/v1/audit?limit=2&before=" + std::to_string(p2.j()["next"].num()));
  ASSERT_EQ(p3.j()["entries"].size(), 1u) << p3.body;
  EXPECT_EQ(p3.j()["entries"].item(0)["after"]["name"].str(), "L0");
  EXPECT_TRUE(p3.j().has("next") && p3.j()["next"].isNull()) << p3.body;
  Reply all = get("/api/v1/audit");
  EXPECT_EQ(all.j()["entries"].size(), 5u);
  EXPECT_TRUE(all.j()["next"].isNull());

  expectInvalid(get("/api/v1/audit?limit=0"), {"limit"}, "limit=0");
  expectInvalid(get("/api/v1/audit?limit=501"), {"limit"}, "limit=501");
  expectInvalid(get("/api/v1/audit?before=x&limit=y"), {"before", "limit"}, "both bad");
}

// The contract: `next` is null on the last page, also when that page happens to be full.
TEST_F(AdminApiTest, AuditFullLastPageHasANullNext) {
  for (int i = 0; i < 2; ++i) createLocation("L" + std::to_string(i), {});
  Reply p = get("/api/v1/audit?limit=2");
  ASSERT_EQ(p.j()["entries"].size(), 2u) << p.body;
  EXPECT_TRUE(p.j()["next"].isNull()) << "no entry follows, yet next is " << p.body;
}

TEST_F(AdminApiTest, TokenCreatedThroughTheApiWorksIsListedWithoutSecretsAndCanBeRevoked) {
  Reply created = call("POST", "/api/v1/tokens", R"({"name":"ci-bot","role":"auditor"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::int64_t id = created.j()["id"].num();
  const std::string secret = created.j()["token"].str();
  EXPECT_EQ(secret.rfind("dcgw_", 0), 0u) << created.body;
  EXPECT_EQ(created.j()["name"].str(), "ci-bot");
  EXPECT_EQ(created.j()["role"].str(), "auditor");
  EXPECT_TRUE(parseTimeMs(created.j()["createdAt"].str())) << created.body;
  EXPECT_TRUE(created.j()["lastUsedAt"].isNull());

  Reply me = as(secret, "GET", "/api/v1/me");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.j()["name"].str(), "ci-bot");
  EXPECT_EQ(me.j()["role"].str(), "auditor");
  expectError(as(secret, "POST", "/api/v1/locations", R"({"name":"X"})"), 403,
              "the new auditor token changing something");

  Reply list = get("/api/v1/tokens");
  ASSERT_EQ(list.status, 200) << list.body;
  std::set<std::string> names;
  for (const J& t : list.j()["tokens"].items()) {
    names.insert(t["name"].str());
    EXPECT_FALSE(t.has("token")) << list.body;
    EXPECT_TRUE(t["role"].str() == "admin" || t["role"].str() == "auditor");
    if (t["name"].str() == "ci-bot") {
      EXPECT_EQ(t["id"].num(), id);
      EXPECT_TRUE(parseTimeMs(t["lastUsedAt"].str())) << "it was used: " << list.body;
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"alice", "olga", "ci-bot"}));
  for (const std::string& s : {secret, admin_, auditor_}) {
    EXPECT_EQ(list.body.find(s), std::string::npos) << "a secret is listed";
    EXPECT_EQ(get("/api/v1/audit").body.find(s), std::string::npos) << "a secret is audited";
  }
  const J audit = get("/api/v1/audit?limit=1").j()["entries"].item(0);
  EXPECT_EQ(audit["action"].str(), "token.create");
  EXPECT_EQ(audit["after"]["name"].str(), "ci-bot");

  Reply revoked = call("DELETE", "/api/v1/tokens/" + std::to_string(id));
  EXPECT_EQ(revoked.status, 204) << revoked.body;
  expectError(as(secret, "GET", "/api/v1/me"), 401, "a revoked token");
  EXPECT_EQ(get("/api/v1/tokens").j()["tokens"].size(), 2u);
  expectError(call("DELETE", "/api/v1/tokens/" + std::to_string(id)), 404, "revoked twice");
  expectError(call("DELETE", "/api/v1/tokens/9999"), 404, "no such token");
  EXPECT_EQ(get("/api/v1/audit?limit=1").j()["entries"].item(0)["action"].str(), "token.revoke");
}

TEST_F(AdminApiTest, AdminTokenCreatedThroughTheApiActsUnderItsOwnName) {
  Reply created = call("POST", "/api/v1/tokens", R"({"name":"ops","role":"admin"})");
  ASSERT_EQ(created.status, 201) << created.body;
  Reply loc = as(created.j()["token"].str(), "POST", "/api/v1/locations", R"({"name":"Depot"})");
  ASSERT_EQ(loc.status, 201) << loc.body;
  const J a = get("/api/v1/audit?limit=1").j()["entries"].item(0);
  EXPECT_EQ(a["action"].str(), "location.create");
  EXPECT_EQ(a["actor"].str(), "ops");
  EXPECT_EQ(a["role"].str(), "admin");
}

TEST_F(AdminApiTest, TokenInputErrorsNameTheField) {
  expectInvalid(call("POST", "/api/v1/tokens", R"({"name":"x","role":"root"})"), {"role"},
                "an unknown role");
  expectInvalid(call("POST", "/api/v1/tokens", "{}"), {"name", "role"}, "nothing given");
  expectInvalid(call("POST", "/api/v1/tokens", R"({"name":"","role":"admin","scope":"all"})"),
                {"name", "scope"}, "an empty name and an unknown member");
  expectInvalid(call("POST", "/api/v1/tokens", R"({"name":5,"role":true})"), {"name", "role"},
                "wrong types");
  expectError(call("POST", "/api/v1/tokens", "name=x"), 400, "not JSON");
  EXPECT_EQ(get("/api/v1/tokens").j()["tokens"].size(), 2u);
}

// ---------------------------------------------------------------------------------------------
// Metrics and the console

TEST_F(AdminApiTest, MetricsHaveEveryDocumentedFamilyWithTheDestinationLabel) {
  const std::int64_t bad = failing("bad");
  // A name with a quote and a backslash: label values escape both.
  createDestination(R"({"name":"odd \"name\\","method":"rest","host":"http://127.0.0.1:1/",)"
                    R"("enabled":false})");
  createDevice("12345678", createLocation("Depot", {bad}));
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(1), past(20)));
  ASSERT_NO_FATAL_FAILURE(waitBackingOff(bad, 1));
  uplink_.packets = 7;
  uplink_.connections = 2;

  Reply m = get("/metrics");
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_NE(m.contentType.find("text/plain"), std::string::npos) << m.contentType;
  EXPECT_NE(m.contentType.find("version=0.0.4"), std::string::npos) << m.contentType;
  auto has = [&](const std::string& s) { return m.body.find(s) != std::string::npos; };
  for (const char* family :
       {"dcgw_queue_depth", "dcgw_queue_oldest_pending_age_seconds", "dcgw_delivered_total",
        "dcgw_failed_attempts_total", "dcgw_dead_letters_total", "dcgw_filtered_total",
        "dcgw_queued_total", "dcgw_consecutive_failures", "dcgw_destination_state"}) {
    EXPECT_TRUE(has(std::string("# TYPE ") + family + " ")) << family;
    EXPECT_TRUE(has(std::string(family) + "{destination=\"bad\"")) << family;
    EXPECT_TRUE(has(std::string(family) + R"({destination="odd \"name\\")")) << family;
  }
  EXPECT_TRUE(has("dcgw_queue_depth{destination=\"bad\"} 1\n"));
  EXPECT_TRUE(has("dcgw_queued_total{destination=\"bad\"} 1\n"));
  EXPECT_TRUE(has("dcgw_failed_attempts_total{destination=\"bad\"} 1\n"));
  EXPECT_TRUE(has("dcgw_consecutive_failures{destination=\"bad\"} 1\n"));
  EXPECT_TRUE(has("dcgw_destination_state{destination=\"bad\",state=\"backing-off\"} 1\n"));
  EXPECT_TRUE(has("dcgw_destination_state{destination=\"bad\",state=\"idle\"} 0\n"));
  for (const char* family :
       {"dcgw_uplink_connections", "dcgw_uplink_logged_in", "dcgw_uplink_packets_total",
        "dcgw_uplink_stored_total", "dcgw_uplink_rejected_total", "dcgw_uplink_duplicates_total",
        "dcgw_uplink_refused_logins_total", "dcgw_uplink_sequence_refused_total",
        "dcgw_ingest_commits_total"})
    EXPECT_TRUE(has(std::string("# TYPE ") + family + " ")) << family;
  EXPECT_TRUE(has("dcgw_uplink_packets_total 7\n"));
  EXPECT_TRUE(has("dcgw_uplink_connections 2\n"));
  EXPECT_FALSE(has("dcgw_ingest_commits_total 0\n")) << "an ingest commit happened";
  EXPECT_TRUE(has("# TYPE dcgw_store_commit_seconds histogram"));
  EXPECT_TRUE(has("dcgw_store_commit_seconds_bucket{le=\"+Inf\"} "));
  EXPECT_TRUE(has("dcgw_store_commit_seconds_sum "));
  EXPECT_TRUE(has("dcgw_store_commit_seconds_count "));
  EXPECT_TRUE(has("# TYPE dcgw_store_healthy gauge\ndcgw_store_healthy 1\n"));
  EXPECT_TRUE(
      has("# TYPE dcgw_ingest_commit_failures_total counter\n"
          "dcgw_ingest_commit_failures_total 0\n"));
}

TEST_F(AdminApiTest, DeviceSaysWhenItLastSentAPacket) {
  createDevice("12345678", createLocation("Depot", {}));
  EXPECT_TRUE(get("/api/v1/devices/12345678").j()["lastPacketAt"].isNull());
  const std::int64_t at = past(90);
  ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(1), at));
  EXPECT_EQ(get("/api/v1/devices/12345678").j()["lastPacketAt"].str(), formatTimeMs(at));
  EXPECT_EQ(get("/api/v1/devices").j()["devices"].item(0)["lastPacketAt"].str(), formatTimeMs(at));
}

TEST_F(AdminApiTest, QueueHistoryEndsWithTheCurrentStateAndRefusesAnUnknownRange) {
  const std::int64_t good = delivering("good");
  createDevice("12345678", createLocation("Depot", {good}));
  for (std::uint32_t i = 0; i < 4; ++i)
    ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(i), past(30)));
  ASSERT_NO_FATAL_FAILURE(waitDelivered(good, 4));
  for (const char* range : {"hour", "day"}) {
    Reply r = get(std::string("/api/v1/queues/history?range=") + range);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.j()["range"].str(), range);
    EXPECT_EQ(r.j()["stepSeconds"].real(), std::string(range) == "hour" ? 10.0 : 60.0);
    ASSERT_EQ(r.j()["queues"].size(), 1u) << r.body;
    const J q = r.j()["queues"].item(0);
    EXPECT_EQ(q["destinationId"].num(), good);
    EXPECT_EQ(q["name"].str(), "good");
    ASSERT_GE(q["points"].size(), 1u) << r.body;
    const J last = q["points"].item(q["points"].size() - 1);
    EXPECT_EQ(last["at"].str(), r.j()["to"].str()) << "the last point is now";
    EXPECT_EQ(last["depth"].num(), 0);
    EXPECT_EQ(last["delivered"].num(), 4);
    EXPECT_TRUE(q["points"].item(0)["deliveredPerMinute"].isNull()) << r.body;
  }
  EXPECT_EQ(get("/api/v1/queues/history").j()["range"].str(), "hour");
  expectInvalid(get("/api/v1/queues/history?range=week"), {"range"}, "an unknown range");
  EXPECT_EQ(call("POST", "/api/v1/queues/history").status, 405);
  EXPECT_EQ(as(auditor_, "GET", "/api/v1/queues/history").status, 200);
  EXPECT_EQ(raw("GET", "/api/v1/queues/history", "", std::nullopt).status, 401);
}

TEST_F(AdminApiTest, QueueHistorySamplesDepthAndDeliveryRateAtEachStep) {
  // A server sampling every 50 ms (the default is 10 s), so the test sees several samples.
  api_->stop();
  AdminOptions options;
  options.port = 0;
  options.historyStep = 50ms;
  api_ = std::make_unique<ApiServer>(*store_, *forwarder_, clock_, options,
                                     MetricSources{&uplink_, ingestor_.get()}, &feed_);
  api_->start();
  const std::int64_t bad = failing("bad");
  const std::int64_t good = delivering("good");
  createDevice("12345678", createLocation("Depot", {good, bad}));
  ASSERT_TRUE(eventually(
      [&] { return get("/api/v1/queues/history").j()["queues"].item(0)["points"].size() >= 3; }));
  for (std::uint32_t i = 0; i < 5; ++i)
    ASSERT_NO_FATAL_FAILURE(ingest("12345678", positionalUpdate(i), past(30)));
  ASSERT_NO_FATAL_FAILURE(waitDelivered(good, 5));
  ASSERT_NO_FATAL_FAILURE(waitBackingOff(bad, 1));
  // Wait for a sample taken after both settled, then read the whole series.
  ASSERT_TRUE(eventually([&] {
    const J h = get("/api/v1/queues/history").j();
    for (const J& q : h["queues"].items()) {
      const auto n = q["points"].size();
      if (n < 2 || q["points"].item(n - 2)["depth"].num() != (q["name"].str() == "bad" ? 5 : 0) ||
          q["points"].item(n - 2)["delivered"].num() != (q["name"].str() == "bad" ? 0 : 5))
        return false;
    }
    return true;
  })) << get("/api/v1/queues/history").body;
  const J h = get("/api/v1/queues/history").j();
  for (const J& q : h["queues"].items()) {
    std::int64_t delivered = 0, depthMax = 0;
    double perMinuteSum = 0;
    std::string previous;
    for (const J& p : q["points"].items()) {
      EXPECT_GT(p["at"].str(), previous) << "points are oldest first";
      previous = p["at"].str();
      EXPECT_GE(p["delivered"].num(), delivered) << "the counter only grows";
      delivered = p["delivered"].num();
      depthMax = std::max(depthMax, p["depth"].num());
      if (!p["deliveredPerMinute"].isNull()) perMinuteSum += p["deliveredPerMinute"].real();
    }
    if (q["name"].str() == "good") {
      EXPECT_EQ(delivered, 5);
      EXPECT_GT(perMinuteSum, 0.0) << "deliveries show as a rate";
    } else {
      EXPECT_EQ(depthMax, 5) << "the failing queue's depth";
      EXPECT_EQ(perMinuteSum, 0.0);
    }
  }
}

TEST_F(AdminApiTest, ConsoleIsServedAtTheRoot) {
  // The page loads before anyone has typed a token; every call it then makes carries one.
  Reply page = raw("GET", "/", "", std::nullopt);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.contentType.find("text/html"), std::string::npos) << page.contentType;
  EXPECT_NE(page.body.find("<html"), std::string::npos);
  Reply js = raw("GET", "/console/app.js", "", std::nullopt);
  EXPECT_EQ(js.status, 200);
  EXPECT_NE(js.contentType.find("javascript"), std::string::npos) << js.contentType;
  EXPECT_FALSE(js.body.empty());
  EXPECT_EQ(raw("GET", "/console/missing.js", "", std::nullopt).status, 404);
}

TEST_F(AdminApiTest, ConsoleModulesInASubfolderAreServedAsJavaScript) {
  // Browsers refuse an ES module served with any type but a JavaScript one.
  Reply page = raw("GET", "/", "", std::nullopt);
  EXPECT_NE(page.body.find(R"(type="module")"), std::string::npos);
  for (const char* path : {"/console/js/api.js", "/console/js/destinations.js"}) {
    Reply js = raw("GET", path, "", std::nullopt);
    EXPECT_EQ(js.status, 200) << path;
    EXPECT_NE(js.contentType.find("text/javascript"), std::string::npos) << js.contentType;
    EXPECT_NE(js.body.find("export "), std::string::npos) << path;
  }
  EXPECT_EQ(raw("GET", "/console/js/missing.js", "", std::nullopt).status, 404);
}

}  // namespace
}  // namespace dcgw::admin
