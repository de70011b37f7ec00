// An admin API server configured from an "admin" section of etc/dcgw.json (so the settings
// are read the way `dcgw serve` reads them) over a real store, for the tests of the HTTP front:
// framing, limits, timeouts and connection caps.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "codecs/json.hpp"
#include "gateway/admin/api_server.hpp"
#include "gateway/config/config_file.hpp"
#include "gateway/forward/forwarder.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/raw_http.hpp"

namespace dcgw::admin {

class AdminFrontTest : public ::testing::Test {
 protected:
  // `admin`: the members of the "admin" object besides the port (0: any free one).
  void start(const std::string& admin = "") {
    dir_ = std::filesystem::temp_directory_path() /
           ("dcgw-front-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const std::string config = (dir_ / "dcgw.json").string();
    std::ofstream(config) << R"({"admin": {"port": 0)" << (admin.empty() ? "" : ", ") << admin
                          << "}}";
    auto options = config::adminOptions(config);
    ASSERT_TRUE(options) << options.error().message();
    options->port = 0;
    store_ = std::make_unique<store::SqliteStore>((dir_ / "dcgw.db").string());
    forwarder_ = std::make_unique<forward::Forwarder>(*store_, clock_, forward::BackoffPolicy{});
    api_ = std::make_unique<ApiServer>(*store_, *forwarder_, clock_, *options);
    api_->start();
    token_ = store_->createToken("alice", "admin", clock_.nowMs()).second;
  }
  void TearDown() override {
    if (api_) api_->stop();
    api_.reset();
    forwarder_.reset();
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::uint16_t port() const { return api_->port(); }
  // A request's head with the admin token; `extra` holds more header lines ("Name: v\r\n").
  std::string head(const std::string& method, const std::string& target,
                   const std::string& extra = "") const {
    return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
           token_ + "\r\n" + extra + "\r\n";
  }
  std::string post(const std::string& target, const std::string& body) const {
    return head("POST", target,
                "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n") +
           body;
  }
  // The number of locations, through a fresh connection.
  std::size_t locations() {
    testing::RawHttp c(port());
    c.send(head("GET", "/api/v1/locations"));
    auto r = c.response();
    if (!r || r->status != 200) return 9999;
    auto v = codecs::parseJson(r->body);
    const codecs::JsonValue* list = v ? v->find("locations") : nullptr;
    return list && list->isArray() ? list->asArray().size() : 9999;
  }

  std::filesystem::path dir_;
  common::SystemClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<forward::Forwarder> forwarder_;
  std::unique_ptr<ApiServer> api_;
  std::string token_;
};

}  // namespace dcgw::admin
