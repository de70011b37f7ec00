// The fixture of the card registry's admin API tests (card_api_test.cpp,
// card_bridge_api_test.cpp): a real store and admin API on loopback, the live state of a card
// relay as a fixed view source the test sets, a manual clock, and the change feed's notices.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <set>

#include "codecs/json.hpp"
#include "gateway/admin/api_server.hpp"
#include "gateway/control/views.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"

namespace dcgw::admin::cardtest {

using codecs::JsonValue;

// 2027-05-31T12:00:00Z: the last day of the test card's validity.
inline constexpr std::int64_t kNoon = 1811764800000;
inline const std::string kCard = "B000000000012301";

// What a running relay reports, set by the test.
class FixedLive : public cardauth::LiveStatus {
 public:
  std::vector<cardauth::CardView> liveCards() const override {
    std::lock_guard l(mu_);
    return cards;
  }
  std::vector<cardauth::BridgeView> liveBridges() const override {
    std::lock_guard l(mu_);
    return bridges;
  }
  void set(std::vector<cardauth::CardView> c, std::vector<cardauth::BridgeView> b) {
    std::lock_guard l(mu_);
    cards = std::move(c);
    bridges = std::move(b);
  }

 private:
  mutable std::mutex mu_;
  std::vector<cardauth::CardView> cards;
  std::vector<cardauth::BridgeView> bridges;
};

struct Reply {
  int status{0};
  std::string body;
  JsonValue json;
  const JsonValue& operator[](std::string_view k) const {
    static const JsonValue null;
    const JsonValue* v = json.find(k);
    return v ? *v : null;
  }
};

inline std::string str(const JsonValue& v) {
  return v.isString() ? v.asString() : v.isNull() ? "<null>" : "<not a string>";
}
inline std::int64_t num(const JsonValue& v) {
  return v.isNumber() ? v.asExactInteger().value_or(-999) : -999;
}
inline bool yes(const JsonValue& v) {
  return v.kind() == JsonValue::Kind::Bool && v.asBool();
}
inline std::vector<std::string> strings(const JsonValue& v) {
  std::vector<std::string> out;
  if (v.isArray())
    for (const auto& x : v.asArray()) out.push_back(str(x));
  return out;
}
inline const JsonValue& at(const JsonValue& array, std::size_t i) {
  static const JsonValue null;
  return array.isArray() && i < array.asArray().size() ? array.asArray()[i] : null;
}
inline const JsonValue& member(const JsonValue& o, std::string_view k) {
  static const JsonValue null;
  const JsonValue* v = o.find(k);
  return v ? *v : null;
}

inline std::set<std::string> badFields(const Reply& r) {
  std::set<std::string> out;
  if (const JsonValue* f = r.json.find("fields"); f && f->isArray())
    for (const auto& x : f->asArray()) out.insert(str(member(x, "field")));
  return out;
}

class CardApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("dcgw-cards-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
    removeDb();
    store_ = std::make_unique<store::SqliteStore>(path_);
    forwarder_ = std::make_unique<forward::Forwarder>(
        *store_, clock_, forward::BackoffPolicy{60'000, 3'600'000}, adapters::makeAdapter, &feed_);
    forwarder_->start();
    AdminOptions options;
    options.port = 0;
    MetricSources sources;
    sources.cards = &live_;
    api_ = std::make_unique<ApiServer>(*store_, *forwarder_, clock_, options, sources, &feed_);
    api_->start();
    admin_ = store_->createToken("alice", "admin", clock_.nowMs()).second;
    auditor_ = store_->createToken("olga", "auditor", clock_.nowMs()).second;
    sub_ = feed_.subscribe([this](const std::vector<common::Change>& cs) {
      std::lock_guard l(mu_);
      for (const auto& c : cs) changes_.push_back(c);
    });
    depot_ = createLocation("Depot");
    yard_ = createLocation("Yard");
  }
  void TearDown() override {
    sub_.reset();
    if (api_) api_->stop();
    api_.reset();
    if (forwarder_) forwarder_->stop();
    forwarder_.reset();
    store_.reset();
    removeDb();
  }
  void removeDb() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + s);
  }

  Reply as(const std::string& token, const std::string& method, const std::string& uri,
           const std::string& body = "") {
    Poco::Net::HTTPClientSession s("127.0.0.1", api_->port());
    s.setTimeout(Poco::Timespan(20, 0));
    Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + token);
    if (!body.empty()) req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    s.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = s.receiveResponse(resp);
    Reply r;
    r.status = resp.getStatus();
    Poco::StreamCopier::copyToString(in, r.body);
    if (auto v = codecs::parseJson(r.body)) r.json = *v;
    return r;
  }
  Reply call(const std::string& method, const std::string& uri, const std::string& body = "") {
    return as(admin_, method, uri, body);
  }
  Reply get(const std::string& uri) { return call("GET", uri); }

  std::int64_t createLocation(const std::string& name) {
    Reply r = call("POST", "/api/v1/locations", R"({"name":")" + name + "\"}");
    EXPECT_EQ(r.status, 201) << r.body;
    return num(r["id"]);
  }
  Reply createCard(const std::string& number, const std::string& expiresOn = "2027-05-31") {
    return call("POST", "/api/v1/cards",
                R"({"number":")" + number + R"(","name":"Depot card","locationIds":[)" +
                    std::to_string(depot_) + R"(],"expiresOn":")" + expiresOn + "\"}");
  }
  void createDevice(const std::string& serial, const std::string& extra = "") {
    Reply r = call(
        "POST", "/api/v1/devices",
        R"({"serial":")" + serial + R"(","locationId":)" + std::to_string(depot_) + extra + "}");
    ASSERT_EQ(r.status, 201) << r.body;
  }
  // The newest audit row.
  JsonValue lastAudit() { return at(get("/api/v1/audit?limit=1")["entries"], 0); }
  std::vector<common::Change> changes() {
    std::lock_guard l(mu_);
    return changes_;
  }
  void clearChanges() {
    std::lock_guard l(mu_);
    changes_.clear();
  }
  bool published(common::Change::Kind kind, const std::string& key) {
    for (const auto& c : changes())
      if (c.kind == kind && c.serial == key) return true;
    return false;
  }
  void expectInvalid(const Reply& r, const std::set<std::string>& fields, const std::string& what) {
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_EQ(badFields(r), fields) << what << ": " << r.body;
    if (const JsonValue* f = r.json.find("fields"); f && f->isArray()) {
      for (const auto& x : f->asArray()) {
        EXPECT_FALSE(str(member(x, "reason")).empty()) << what << ": " << r.body;
      }
    }
  }

  std::string path_;
  common::ManualClock clock_{kNoon};
  FixedLive live_;
  common::ChangeFeed feed_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<forward::Forwarder> forwarder_;
  std::unique_ptr<ApiServer> api_;
  std::string admin_, auditor_;
  std::int64_t depot_{0}, yard_{0};
  std::mutex mu_;
  std::vector<common::Change> changes_;
  common::ChangeFeed::Subscription sub_;
};

}  // namespace dcgw::admin::cardtest
