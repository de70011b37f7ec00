// The card-bridge listener over TLS (cardBridge.tls): the bridge's link (the one dcgw card-bridge
// uses) checks the gateway's certificate against its CA file and logs in with its key; a
// certificate it does not trust, or plain TCP to the TLS port, gets no further.
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <filesystem>

#include "codecs/cardbridge/frame.hpp"
#include "gateway/cardauth/card_relay.hpp"
#include "gateway/common/frame_link.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/uplink_client.hpp"

namespace dcgw::cardauth {
namespace {

namespace fs = std::filesystem;
namespace cb = codecs::cardbridge;
using codecs::Bytes;

class BridgeTls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dcgw-bridge-tls-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const char* name : {"gw", "other"}) {
      const std::string cmd =
          "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
          "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
          (dir_ / (std::string(name) + ".key")).string() + " -out " +
          (dir_ / (std::string(name) + ".pem")).string() + " 2>/dev/null";
      ASSERT_EQ(std::system(cmd.c_str()), 0);
    }
    store_ = std::make_unique<store::SqliteStore>((dir_ / "dcgw.db").string());
    auto tx = store_->begin();
    ASSERT_TRUE(tx->upsertCardBridge({"office-1", "", key_}).ok());
    tx->commit();
    CardAuthOptions o;
    o.bridges.port = 0;
    o.bridges.tlsCertificateFile = (dir_ / "gw.pem").string();
    o.bridges.tlsPrivateKeyFile = (dir_ / "gw.key").string();
    relay_ = std::make_unique<CardRelay>(*store_, clock_, o, nullptr);
    relay_->start(nullptr);
  }
  void TearDown() override {
    relay_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  common::LinkOptions link(const std::string& ca) {
    common::LinkOptions o;
    o.port = relay_->auth().bridgePort();
    o.tls = true;
    o.caFile = (dir_ / ca).string();
    o.serverName = "localhost";
    o.connectTimeoutMs = 5000;
    return o;
  }

  fs::path dir_;
  Bytes key_ = Bytes(32, 0x42);
  common::SystemClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<CardRelay> relay_;
};

TEST_F(BridgeTls, TheBridgeChecksTheCertificateAndLogsIn) {
  std::string why;
  auto l = common::FrameLink::open(link("gw.pem"), why);
  ASSERT_TRUE(l) << why;
  Bytes b;
  cb::appendHello(b, "office-1");
  ASSERT_TRUE(l->send(b));
  common::LinkFrame f;
  ASSERT_EQ(l->next(5000, f, why), common::FrameLink::Got::Frame) << why;
  ASSERT_EQ(f.kind, static_cast<std::uint8_t>(cb::Kind::Challenge));
  const Bytes m = cb::proofMessage(f.body, "office-1");
  unsigned char mac[32];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), m.data(), m.size(), mac, &n);
  b.clear();
  cb::appendProof(b, codecs::ByteView(mac, 32));
  ASSERT_TRUE(l->send(b));
  ASSERT_EQ(l->next(5000, f, why), common::FrameLink::Got::Frame) << why;
  EXPECT_EQ(f.kind, static_cast<std::uint8_t>(cb::Kind::Welcome));
  EXPECT_EQ(relay_->auth().liveBridges().size(), 1u);
}

TEST_F(BridgeTls, AnUntrustedCertificateOrPlainTcpGetsNoFurther) {
  std::string why;
  EXPECT_FALSE(common::FrameLink::open(link("other.pem"), why));
  EXPECT_NE(why.find("certificate"), std::string::npos) << why;
  // Plain TCP to the TLS port: the HELLO is not a TLS record; the gateway closes.
  testing::UplinkClient plain(relay_->auth().bridgePort());
  Bytes b;
  cb::appendHello(b, "office-1");
  plain.send(b);
  EXPECT_TRUE(plain.closedByPeer());
  EXPECT_TRUE(relay_->auth().liveBridges().empty());
}

}  // namespace
}  // namespace dcgw::cardauth
