// `dcgw tls-cert`: a self-signed ECDSA P-256 certificate that the uplink and the admin API start
// with and that a verifying client accepts for the names it was made for (and only those).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/adapter.hpp"
#include "gateway/admin/api_server.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "gateway/uplink/listener.hpp"
#include "tests/support/packets.hpp"
#include "tests/support/uplink_client.hpp"

namespace dcgw {
namespace {

namespace fs = std::filesystem;

// Runs a shell command; its exit status and what it printed (stdout and stderr).
std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  std::array<char, 512> buf{};
  while (p && std::fgets(buf.data(), buf.size(), p)) out += buf.data();
  const int status = p ? ::pclose(p) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class TlsCertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dcgw-tls-cert-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    cert_ = (dir_ / "gw.pem").string();
    key_ = (dir_ / "gw.key").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string cert_, key_;
};

TEST_F(TlsCertTest, MakesAP256KeyOwnerOnlyAndACertificateForTheNamesGiven) {
  auto [rc, out] = run(std::string(DCGW_BINARY) + " tls-cert --out-cert " + cert_ + " --out-key " +
                       key_ + " --name localhost --name 127.0.0.1 --days 2");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("ECDSA P-256"), std::string::npos) << out;
  EXPECT_NE(out.find("sha256 "), std::string::npos) << out;
  struct stat st {};
  ASSERT_EQ(::stat(key_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  FILE* kf = std::fopen(key_.c_str(), "r");
  ASSERT_NE(kf, nullptr);
  EVP_PKEY* pkey = PEM_read_PrivateKey(kf, nullptr, nullptr, nullptr);
  std::fclose(kf);
  ASSERT_NE(pkey, nullptr);
  char group[64] = "";
  EXPECT_EQ(EVP_PKEY_get_base_id(pkey), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_group_name(pkey, group, sizeof group, nullptr), 1);
  EXPECT_STREQ(group, "prime256v1");
  EVP_PKEY_free(pkey);

  FILE* cf = std::fopen(cert_.c_str(), "r");
  ASSERT_NE(cf, nullptr);
  X509* x = PEM_read_X509(cf, nullptr, nullptr, nullptr);
  std::fclose(cf);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(X509_check_host(x, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
  EXPECT_NE(X509_check_host(x, "example.com", 0, 0, nullptr), 1);
  // Self-signed: issued by its own subject, signed by its own key.
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
  EXPECT_EQ(X509_verify(x, X509_get0_pubkey(x)), 1);
  X509_free(x);
}

TEST_F(TlsCertTest, RefusesABadNameOrAMissingFileOption) {
  auto [rc, out] = run(std::string(DCGW_BINARY) + " tls-cert --out-cert " + cert_ + " --out-key " +
                       key_ + " --name 'bad name!'");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("'bad name!' is neither an IP address nor a DNS name"), std::string::npos)
      << out;
  EXPECT_FALSE(fs::exists(key_));
  auto [rc2, out2] = run(std::string(DCGW_BINARY) + " tls-cert --out-cert " + cert_);
  EXPECT_EQ(rc2, 2);
  EXPECT_NE(out2.find("--out-key is required"), std::string::npos) << out2;
}

TEST_F(TlsCertTest, TheUplinkAndTheAdminApiStartWithItAndAVerifyingClientAcceptsIt) {
  auto [rc, out] = run(std::string(DCGW_BINARY) + " tls-cert --out-cert " + cert_ + " --out-key " +
                       key_);  // the default names: localhost, 127.0.0.1, ::1
  ASSERT_EQ(rc, 0) << out;
  store::SqliteStore store((dir_ / "dcgw.db").string());
  auto loc = store.createLocation({0, "Depot", "", {}});
  ASSERT_TRUE(loc.ok());
  ASSERT_TRUE(store.upsertDevice({"12345678", *loc, "", dcgw::testing::kUplinkTestKey}).ok());
  common::SystemClock clock;

  // The uplink: a client that checks the chain and the name "localhost".
  {
    ingest::Ingestor ingestor(store, nullptr);
    uplink::ListenerOptions o;
    o.port = 0;
    o.tlsCertificateFile = cert_;
    o.tlsPrivateKeyFile = key_;
    uplink::Listener listener(store, ingestor, clock, o);
    listener.start();
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    ASSERT_EQ(SSL_CTX_load_verify_locations(ctx, cert_.c_str(), nullptr), 1);
    {
      dcgw::testing::UplinkClient c(listener.port(), ctx);
      c.login("12345678");
      c.sendPacket(1, dcgw::testing::positionalUpdate(1));
      c.awaitAck(1);
    }
    SSL_CTX_free(ctx);
    listener.stop();
    ingestor.stop();
  }

  // The admin API: POCO's client checks the chain and the host name.
  {
    forward::Forwarder forwarder(store, clock, {});
    admin::AdminOptions options;
    options.port = 0;
    options.tlsCertificateFile = cert_;
    options.tlsPrivateKeyFile = key_;
    admin::ApiServer api(store, forwarder, clock, options);
    api.start();
    adapters::initialiseTls();
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "",
                                                         cert_, Poco::Net::Context::VERIFY_STRICT);
    Poco::Net::HTTPSClientSession session("localhost", api.port(), ctx);
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/healthz",
                               Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::stringstream body;
    body << session.receiveResponse(resp).rdbuf();
    EXPECT_EQ(static_cast<int>(resp.getStatus()), 200) << body.str();
    api.stop();
  }
}

}  // namespace
}  // namespace dcgw
