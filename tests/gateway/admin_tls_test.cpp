// The admin listener over TLS (admin.tls in etc/dcgw.json): the API answers https with the
// configured certificate, and a token is still required.
#include <gtest/gtest.h>
#include <unistd.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <vector>

#include "adapters/adapter.hpp"
#include "gateway/admin/api_server.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/raw_http.hpp"

namespace dcgw::admin {
namespace {

TEST(AdminTls, AnswersHttpsWithTheConfiguredCertificateAndStillWantsAToken) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("dcgw-admin-tls-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string key = (dir / "admin.key").string(), cert = (dir / "admin.pem").string();
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  {
    store::SqliteStore store((dir / "dcgw.db").string());
    common::SystemClock clock;
    forward::Forwarder forwarder(store, clock, {});
    AdminOptions options;
    options.port = 0;
    options.tlsCertificateFile = cert;
    options.tlsPrivateKeyFile = key;
    ApiServer api(store, forwarder, clock, options);
    api.start();
    const std::string token = store.createToken("t", "auditor", clock.nowMs()).second;
    adapters::initialiseTls();
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "",
                                                         cert, Poco::Net::Context::VERIFY_RELAXED);
    auto get = [&](const std::string& path, const std::string& bearer) {
      Poco::Net::HTTPSClientSession session("localhost", api.port(), ctx);
      Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, path,
                                 Poco::Net::HTTPMessage::HTTP_1_1);
      if (!bearer.empty()) req.set("Authorization", "Bearer " + bearer);
      session.sendRequest(req);
      Poco::Net::HTTPResponse resp;
      std::stringstream body;
      body << session.receiveResponse(resp).rdbuf();
      return std::pair{static_cast<int>(resp.getStatus()), body.str()};
    };
    EXPECT_EQ(get("/healthz", "").first, 200);
    EXPECT_EQ(get("/api/v1/queues", "").first, 401);
    const auto [status, body] = get("/api/v1/me", token);
    EXPECT_EQ(status, 200);
    EXPECT_NE(body.find("auditor"), std::string::npos) << body;
    api.stop();
  }
  fs::remove_all(dir);
}

// TLS is done on the front's event loop: connections that never start their handshake (or
// stop in the middle of it) hold no worker, and are closed at the request deadline.
TEST(AdminTls, ConnectionsStuckBeforeTheHandshakeDoNotHoldTheListener) {
  using namespace std::chrono_literals;
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("dcgw-admin-tls-slow-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string key = (dir / "admin.key").string(), cert = (dir / "admin.pem").string();
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  {
    store::SqliteStore store((dir / "dcgw.db").string());
    common::SystemClock clock;
    forward::Forwarder forwarder(store, clock, {});
    AdminOptions options;
    options.port = 0;
    options.tlsCertificateFile = cert;
    options.tlsPrivateKeyFile = key;
    options.requestTimeout = 6s;  // room for the client's answer first on a slow (sanitizer) build
    ApiServer api(store, forwarder, clock, options);
    api.start();
    // Twice as many as there are workers: silent, and half a ClientHello (a TLS record header
    // announcing more than is sent).
    std::vector<std::unique_ptr<testing::RawHttp>> stuck;
    const auto opened = std::chrono::steady_clock::now();
    for (int i = 0; i < 2 * options.threads; ++i) {
      stuck.push_back(std::make_unique<testing::RawHttp>(api.port()));
      if (i % 2) stuck.back()->send(std::string("\x16\x03\x01\x02\x00\x01", 6));
    }
    adapters::initialiseTls();
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "",
                                                         cert, Poco::Net::Context::VERIFY_RELAXED);
    Poco::Net::HTTPSClientSession session("localhost", api.port(), ctx);
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/healthz",
                               Poco::Net::HTTPMessage::HTTP_1_1);
    int status = 0;
    try {
      session.sendRequest(req);
      Poco::Net::HTTPResponse resp;
      std::stringstream body;
      body << session.receiveResponse(resp).rdbuf();
      status = resp.getStatus();
    } catch (const Poco::Exception& e) {
      ADD_FAILURE() << "no answer while " << stuck.size()
                    << " connections are stuck: " << e.displayText();
    }
    EXPECT_EQ(status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - opened, 5s);
    for (auto& c : stuck) EXPECT_TRUE(c->closedWithin(10s)) << "a stuck connection stays open";
    EXPECT_GE(std::chrono::steady_clock::now() - opened, 5900ms);
    api.stop();
  }
  fs::remove_all(dir);
}

TEST(AdminTls, AMissingKeyFileIsAClearStartError) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  store::SqliteStore store(
      (dir / ("dcgw-admin-tls-bad-" + std::to_string(getpid()) + ".db")).string());
  common::SystemClock clock;
  forward::Forwarder forwarder(store, clock, {});
  AdminOptions options;
  options.port = 0;
  options.tlsCertificateFile = "/nonexistent/admin.pem";
  options.tlsPrivateKeyFile = "/nonexistent/admin.key";
  ApiServer api(store, forwarder, clock, options);
  try {
    api.start();
    FAIL() << "started without its certificate";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("admin API"), std::string::npos) << e.what();
  }
  for (const char* s : {"", "-wal", "-shm"})
    std::filesystem::remove(dir / ("dcgw-admin-tls-bad-" + std::to_string(getpid()) + ".db" + s));
}

}  // namespace
}  // namespace dcgw::admin
