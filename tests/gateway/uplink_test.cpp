// The uplink listener over real loopback sockets (schema/uplink.md): login, acknowledgements
// after commit, per-packet rejects, duplicates, and every protocol error path.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>

#include "codecs/packets/packet.hpp"
#include "codecs/uplink/frame.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "gateway/uplink/auth.hpp"
#include "gateway/uplink/listener.hpp"
#include "tests/support/listener_fixture.hpp"
#include "tests/support/packets.hpp"
#include "tests/support/uplink_client.hpp"

namespace dcgw::uplink {
namespace {

namespace up = codecs::uplink;
using namespace std::chrono_literals;

const codecs::Bytes kKey = dcgw::testing::kUplinkTestKey;

using dcgw::testing::positionalUpdate;

using Client = dcgw::testing::UplinkClient;

class UplinkTest : public testing::ListenerFixture<Listener, ListenerOptions> {
 protected:
  UplinkTest() : ListenerFixture("dcgw-uplink") {}
  void SetUp() override {
    ASSERT_TRUE(store_->upsertDevice({"12345678", store_.depot(), "AB12CDE", kKey}).ok());
    ASSERT_TRUE(
        store_->upsertDevice({"87654321", store_.depot(), "", std::nullopt}).ok());  // no key
  }
};

TEST(UplinkFrame, Crc32IsTheZlibOne) {
  const std::string check = "123456789";
  EXPECT_EQ(up::crc32(codecs::ByteView(reinterpret_cast<const std::uint8_t*>(check.data()),
                                       check.size())),
            0xCBF43926u);
}

TEST_F(UplinkTest, AcknowledgesOnlyWhatIsCommitted) {
  start();
  Client c(listener_->port());
  const up::Welcome w = c.login("12345678");
  EXPECT_EQ(w.lastSequence, 0u);
  EXPECT_EQ(w.window, 1024);
  EXPECT_EQ(w.maxFrameBytes, 65536u);
  codecs::Bytes burst;
  for (std::uint32_t s = 1; s <= 50; ++s) up::appendPacket(burst, s, "", positionalUpdate(s));
  c.send(burst);
  c.awaitAck(50);
  // Acknowledged means committed: every packet is in the store the moment the ACK is read.
  EXPECT_EQ(storedPackets(), 50);
  auto s = store_->db().prepare("SELECT last_sequence FROM devices WHERE serial='12345678'");
  s.step();
  EXPECT_EQ(s.integer(0), 50);
}

TEST_F(UplinkTest, RefusesAnUnknownDeviceAndRecordsTheIdent) {
  start();
  Client c(listener_->port());
  codecs::Bytes b;
  up::appendHello(b, "99999999");
  c.send(b);
  EXPECT_NE(c.expectError(up::ErrorCode::UnknownDevice).find("99999999"), std::string::npos);
  EXPECT_TRUE(c.closedByPeer());
  // A device without a key cannot log in either.
  Client k(listener_->port());
  b.clear();
  up::appendHello(b, "87654321");
  k.send(b);
  EXPECT_NE(k.expectError(up::ErrorCode::UnknownDevice).find("no device key"), std::string::npos);
  std::vector<store::RefusedIdent> refused;
  for (int i = 0; i < 200 && refused.size() < 2; ++i) {  // 10 s: a loaded CI
    std::this_thread::sleep_for(50ms);
    refused = store_->refusedIdents();
  }
  ASSERT_EQ(refused.size(), 2u);
  bool sawUnknown = false;
  for (const auto& r : refused) {
    EXPECT_EQ(r.address.rfind("127.0.0.1:", 0), 0u) << r.address;
    if (r.serial == "99999999") {
      sawUnknown = true;
      EXPECT_EQ(r.reason.rfind("UNKNOWN_DEVICE", 0), 0u) << r.reason;
    }
  }
  EXPECT_TRUE(sawUnknown);
}

TEST_F(UplinkTest, RefusesAWrongProofAndRecordsTheIdent) {
  start();
  Client c(listener_->port());
  codecs::Bytes b;
  up::appendHello(b, "12345678");
  c.send(b);
  auto [kind, body] = c.next();
  ASSERT_EQ(kind, static_cast<std::uint8_t>(up::Kind::Challenge));
  b.clear();
  up::appendProof(b, computeProof(codecs::Bytes(32, 0x22), body, "12345678"));
  c.send(b);
  c.expectError(up::ErrorCode::WrongProof);
  EXPECT_TRUE(c.closedByPeer());
  std::vector<store::RefusedIdent> refused;
  for (int i = 0; i < 200 && refused.empty(); ++i) {  // 10 s: a loaded CI
    std::this_thread::sleep_for(50ms);
    refused = store_->refusedIdents();
  }
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].serial, "12345678");
  EXPECT_EQ(refused[0].reason.rfind("WRONG_PROOF", 0), 0u) << refused[0].reason;
  EXPECT_EQ(listener_->stats().refusedLogins.load(), 1u);
}

TEST_F(UplinkTest, ABadChecksumClosesTheConnectionAndLosesNothingAcknowledged) {
  start();
  Client c(listener_->port());
  c.login("12345678");
  c.sendPacket(1, positionalUpdate(1));
  c.awaitAck(1);
  codecs::Bytes b;
  up::appendPacket(b, 2, "", positionalUpdate(2));
  b.back() ^= 0x01;  // the CRC
  c.send(b);
  EXPECT_NE(c.expectError(up::ErrorCode::BadChecksum).find("crc"), std::string::npos);
  EXPECT_TRUE(c.closedByPeer());
  EXPECT_EQ(storedPackets(), 1);
}

// A full store (store.maxBytes, gateway/forward/store_watch.hpp) refuses with STORE_FULL, and
// the packet is never acknowledged; once there is room the tracker resends it and it is stored.
TEST_F(UplinkTest, AFullStoreRefusesStoreFullAndAcknowledgesNothing) {
  start();
  std::atomic<bool> full{false};
  ingestor_->setFullCheck([&full]() -> std::optional<std::string> {
    if (!full) return std::nullopt;
    return std::string("the store is full: its rows take 2.0 MiB of store.maxBytes 2.0 MiB");
  });
  {
    Client c(listener_->port());
    c.login("12345678");
    c.sendPacket(1, positionalUpdate(1));
    c.awaitAck(1);
    full = true;
    c.sendPacket(2, positionalUpdate(2));
    EXPECT_NE(c.expectError(up::ErrorCode::StoreFull).find("store.maxBytes"), std::string::npos);
    EXPECT_TRUE(c.closedByPeer());
    EXPECT_EQ(storedPackets(), 1);
  }
  full = false;
  Client again(listener_->port());
  EXPECT_EQ(again.login("12345678").lastSequence, 1u) << "resend from 2";
  again.sendPacket(2, positionalUpdate(2));
  again.awaitAck(2);
  EXPECT_EQ(storedPackets(), 2);
}

TEST_F(UplinkTest, AnOversizeFrameIsRefusedFromItsHeader) {
  options_.maxFrameBytes = 1024;
  start();
  Client c(listener_->port());
  c.login("12345678");
  // Only the 6 header bytes are sent: the length alone is judged.
  c.send({0x01, 0x10, 0x00, 0x01, 0x00, 0x00});
  EXPECT_NE(c.expectError(up::ErrorCode::FrameTooLarge).find("65536"), std::string::npos);
  EXPECT_TRUE(c.closedByPeer());
}

TEST_F(UplinkTest, ABadVersionIsRefused) {
  start();
  Client c(listener_->port());
  c.send({0x02, 0x01, 0, 0, 0, 0});
  c.expectError(up::ErrorCode::BadVersion);
  EXPECT_TRUE(c.closedByPeer());
}

TEST_F(UplinkTest, AMalformedPacketInsideAGoodFrameIsRejectedAloneWithTheCodecReason) {
  start();
  Client c(listener_->port());
  c.login("12345678");
  codecs::Bytes burst;
  up::appendPacket(burst, 1, "", positionalUpdate(1));
  up::appendPacket(burst, 2, "", codecs::Bytes{0x47, 0x01, 0x00});  // truncated Tracking
  up::appendPacket(burst, 3, "XY99ZZZ", positionalUpdate(3));
  c.send(burst);
  bool rejected = false;
  std::uint32_t acked = 0;
  while (acked < 3) {
    auto [kind, body] = c.next();
    if (kind == static_cast<std::uint8_t>(up::Kind::Reject)) {
      auto r = up::parseReject(body);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->sequence, 2u);
      EXPECT_EQ(r->code, static_cast<std::uint8_t>(up::RejectCode::InvalidPacket));
      EXPECT_NE(r->text.find("offset"), std::string::npos) << r->text;
      rejected = true;
      continue;
    }
    ASSERT_EQ(kind, static_cast<std::uint8_t>(up::Kind::Ack));
    acked = *up::parseAck(body);
  }
  EXPECT_TRUE(rejected);
  EXPECT_EQ(storedPackets(), 2);
  auto s = store_->db().prepare("SELECT registration FROM packets ORDER BY id");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.text(0), "AB12CDE");  // the device's
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.text(0), "XY99ZZZ");  // the packet's own
}

TEST_F(UplinkTest, ADuplicateSequenceIsAcknowledgedAndStoredOnce) {
  start();
  {
    Client c(listener_->port());
    c.login("12345678");
    for (std::uint32_t s = 1; s <= 3; ++s) c.sendPacket(s, positionalUpdate(s));
    c.awaitAck(3);
    c.sendPacket(3, positionalUpdate(3));  // again on the same connection
    c.awaitAck(3);
  }
  // A reconnecting tracker resends what it did not see acknowledged.
  Client c(listener_->port());
  EXPECT_EQ(c.login("12345678").lastSequence, 3u);
  c.sendPacket(2, positionalUpdate(2));
  c.sendPacket(3, positionalUpdate(3));
  c.sendPacket(4, positionalUpdate(4));
  c.awaitAck(4);
  EXPECT_EQ(storedPackets(), 4);
}

TEST_F(UplinkTest, DuplicatesAreDroppedByTheStoreEvenAcrossConnectionsInFlight) {
  // Two connections of the same device race the same sequence: the store decides.
  start();
  ingest::Ingestor& in = *ingestor_;
  std::atomic<int> ok{0};
  for (int i = 0; i < 2; ++i) {
    store::IngestItem item{"12345678", "", positionalUpdate(7), 1, 7};
    in.submit(std::move(item), [&](const ingest::Outcome& s) { ok += s.ok(); });
  }
  in.stop();
  EXPECT_EQ(ok.load(), 2);
  EXPECT_EQ(storedPackets(), 1);
  EXPECT_EQ(store_->duplicates(), 1u);
}

TEST_F(UplinkTest, AfterAFailedCommitTheLaterPacketsOfThatConnectionAreRefusedToo) {
  // Were packet 11 stored after 10 failed, the device's last sequence would pass 10 and the
  // resent 10 would be taken for a duplicate: acknowledged, never stored.
  ingestor_ = std::make_unique<ingest::Ingestor>(*store_, nullptr);
  auto pages = store_->db().prepare("PRAGMA page_count");
  pages.step();
  store_->db().exec("PRAGMA max_page_count = " + std::to_string(pages.integer(0)));
  std::promise<ingest::Outcome> first;
  codecs::Bytes big(60000, 0x00);
  big[0] = 0x99;  // a type not known yet: accepted by the codecs, stored as it is
  ingestor_->submit({"12345678", "", big, 1, 10, 1},
                    [&](const ingest::Outcome& s) { first.set_value(s); });
  const ingest::Outcome failed = first.get_future().get();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error.field, "store");
  store_->db().exec("PRAGMA max_page_count = 1073741823");
  std::promise<ingest::Outcome> sameSession, otherSession;
  ingestor_->submit({"12345678", "", positionalUpdate(11), 2, 11, 1},
                    [&](const ingest::Outcome& s) { sameSession.set_value(s); });
  ingestor_->submit({"12345678", "", positionalUpdate(10), 3, 10, 2},
                    [&](const ingest::Outcome& s) { otherSession.set_value(s); });
  EXPECT_FALSE(sameSession.get_future().get().ok());
  EXPECT_TRUE(otherSession.get_future().get().ok()) << "the resend on a new connection";
  EXPECT_EQ(storedPackets(), 1);
}

TEST_F(UplinkTest, BeforeTheLoginOnlySmallFramesAndNoHeartbeats) {
  start();
  {
    Client c(listener_->port());
    c.send({0x01, 0x01, 0x00, 0x00, 0x01, 0x00});  // a 256-byte HELLO announced
    EXPECT_NE(c.expectError(up::ErrorCode::FrameTooLarge).find("before the login"),
              std::string::npos);
  }
  Client c(listener_->port());
  codecs::Bytes hb;
  up::appendHeartbeat(hb);
  c.send(hb);
  c.expectError(up::ErrorCode::UnexpectedFrame);
}

TEST_F(UplinkTest, TheNewerConnectionOfADeviceWins) {
  start();
  Client a(listener_->port());
  a.login("12345678");
  Client b(listener_->port());
  b.login("12345678");
  EXPECT_NE(a.expectError(up::ErrorCode::Replaced).find("newer"), std::string::npos);
  EXPECT_TRUE(a.closedByPeer());
  b.sendPacket(1, positionalUpdate(1));
  b.awaitAck(1);
}

TEST_F(UplinkTest, HeartbeatsAreAnsweredAndAnIdleConnectionIsClosed) {
  options_.idleTimeout = 2s;  // the heartbeat below comes first, even on a slow (sanitizer) build
  start();
  Client c(listener_->port());
  const up::Welcome w = c.login("12345678");
  EXPECT_EQ(w.idleTimeoutSeconds, 2);
  codecs::Bytes hb;
  up::appendHeartbeat(hb);
  c.send(hb);
  EXPECT_EQ(c.next().first, static_cast<std::uint8_t>(up::Kind::Heartbeat));
  c.expectError(up::ErrorCode::IdleTimeout);
  EXPECT_TRUE(c.closedByPeer());
}

TEST_F(UplinkTest, AReservedKindIsNotSupportedAndTheConnectionStays) {
  start();
  Client c(listener_->port());
  c.login("12345678");
  codecs::Bytes b;
  up::appendFrame(b, 0x32, codecs::Bytes{0x00, 0xA4, 0x04, 0x0C});  // an APDU, later
  c.send(b);
  EXPECT_NE(c.expectError(up::ErrorCode::NotSupported).find("company-card"), std::string::npos);
  c.sendPacket(1, positionalUpdate(1));
  c.awaitAck(1);
}

TEST_F(UplinkTest, AnUndefinedKindClosesTheConnection) {
  start();
  Client c(listener_->port());
  c.login("12345678");
  codecs::Bytes b;
  up::appendFrame(b, 0x66, {});
  c.send(b);
  c.expectError(up::ErrorCode::UnknownKind);
  EXPECT_TRUE(c.closedByPeer());
}

TEST_F(UplinkTest, APacketBeforeTheLoginIsUnexpected) {
  start();
  Client c(listener_->port());
  c.sendPacket(1, positionalUpdate(1));
  c.expectError(up::ErrorCode::UnexpectedFrame);
  EXPECT_TRUE(c.closedByPeer());
  EXPECT_EQ(storedPackets(), 0);
}

TEST_F(UplinkTest, AMalformedHelloNamesTheField) {
  start();
  Client c(listener_->port());
  codecs::Bytes b;
  up::appendFrame(b, up::Kind::Hello, codecs::Bytes{9, '1', '2'});
  c.send(b);
  EXPECT_NE(c.expectError(up::ErrorCode::MalformedFrame).find("serial"), std::string::npos);
}

TEST_F(UplinkTest, MoreThanTheWindowInFlightIsRefused) {
  options_.window = 4;
  start();
  Client c(listener_->port());
  EXPECT_EQ(c.login("12345678").window, 4);
  codecs::Bytes burst;
  for (std::uint32_t s = 1; s <= 40; ++s) up::appendPacket(burst, s, "", positionalUpdate(s));
  c.send(burst);
  // Acknowledgements of the first packets may come first; then the refusal.
  for (;;) {
    auto [kind, body] = c.next();
    ASSERT_NE(kind, 0) << "closed without WINDOW_EXCEEDED";
    if (kind == static_cast<std::uint8_t>(up::Kind::Ack)) continue;
    ASSERT_EQ(kind, static_cast<std::uint8_t>(up::Kind::Error));
    EXPECT_EQ(up::parseError(body)->code, static_cast<std::uint8_t>(up::ErrorCode::WindowExceeded));
    break;
  }
}

TEST_F(UplinkTest, ConnectionsBeyondTheMaximumAreTurnedAway) {
  options_.maxConnections = 2;
  start();
  Client a(listener_->port());
  Client b(listener_->port());
  a.login("12345678");  // both accepted before the third arrives
  Client c(listener_->port());
  c.expectError(up::ErrorCode::TooManyConnections);
  EXPECT_TRUE(c.closedByPeer());
}

TEST_F(UplinkTest, SpeaksTlsWhenGivenACertificate) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("dcgw-uplink-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string key = (dir / "gw.key").string(), cert = (dir / "gw.pem").string();
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost -keyout " +
      key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  options_.tlsCertificateFile = cert;
  options_.tlsPrivateKeyFile = key;
  start();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  ASSERT_EQ(SSL_CTX_load_verify_locations(ctx, cert.c_str(), nullptr), 1);
  {
    Client c(listener_->port(), ctx);
    c.login("12345678");
    codecs::Bytes burst;
    for (std::uint32_t s = 1; s <= 30; ++s) up::appendPacket(burst, s, "", positionalUpdate(s));
    c.send(burst);
    c.awaitAck(30);
  }
  SSL_CTX_free(ctx);
  EXPECT_EQ(storedPackets(), 30);
  std::filesystem::remove_all(dir);
}

TEST_F(UplinkTest, StoppingAcknowledgesWhatWasInFlightThenSaysSo) {
  start();
  Client c(listener_->port());
  c.login("12345678");
  codecs::Bytes burst;
  for (std::uint32_t s = 1; s <= 20; ++s) up::appendPacket(burst, s, "", positionalUpdate(s));
  c.send(burst);
  c.awaitAck(20);
  listener_->stop();
  c.expectError(up::ErrorCode::ShuttingDown);
  EXPECT_EQ(storedPackets(), 20);
}

}  // namespace
}  // namespace dcgw::uplink

namespace dcgw::uplink {
namespace {

// Section 9 of schema/uplink.md, byte for byte: the spec's hex is checked against the codec
// and the HMAC here, so the document cannot drift from the code.
TEST(UplinkFrame, WorkedExampleOfTheSpec) {
  codecs::Bytes key(32);
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  const codecs::Bytes nonce(32, 0xA5);
  codecs::Bytes packet;
  codecs::fromHex("47016b016cea01d7219cffe81a58001e000003846b016cea", packet);
  std::vector<std::pair<std::string, codecs::Bytes>> frames(6);
  up::appendHello(frames[0].second, "12345678");
  up::appendChallenge(frames[1].second, nonce);
  up::appendProof(frames[2].second, computeProof(key, nonce, "12345678"));
  up::appendWelcome(frames[3].second, up::Welcome{});
  up::appendPacket(frames[4].second, 1, "", packet);
  up::appendAck(frames[5].second, 1);
  std::ifstream f(DCGW_SOURCE_DIR "/schema/uplink.md");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string spec = ss.str();
  for (auto& [name, bytes] : frames) {
    const std::string hex = codecs::toHex(bytes);
    std::string spaced;
    for (std::size_t i = 0; i < hex.size(); i += 2) spaced += (i ? " " : "") + hex.substr(i, 2);
    EXPECT_NE(spec.find(spaced), std::string::npos) << "schema/uplink.md lacks: " << spaced;
  }
}

}  // namespace
}  // namespace dcgw::uplink

namespace dcgw::uplink {
namespace {

// The device list as the uplink reads it, 300 us slower per login (a busy store, or a login
// that costs more than usual), counting the reads.
class SlowDirectory final : public store::DeviceDirectory {
 public:
  explicit SlowDirectory(store::DeviceDirectory& inner) : inner_(inner) {}
  std::optional<store::DeviceAuth> deviceAuth(const std::string& serial) override {
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    ++reads;
    return inner_.deviceAuth(serial);
  }
  void recordRefusedIdents(const std::vector<store::RefusedIdent>& idents) override {
    inner_.recordRefusedIdents(idents);
  }
  std::vector<store::RefusedIdent> refusedIdents() override { return inner_.refusedIdents(); }
  std::atomic<int> reads{0};

 private:
  store::DeviceDirectory& inner_;
};

// 600 trackers send their HELLO at once (a reconnect storm; each costs the event loop a read of
// the device list, 300 us here, so about 180 ms in all). A tracker already logged in sends a
// packet behind them: it is read in the next turn of the loop, and only a few turns' share of
// the logins (8 each, schema/uplink.md section 10) is served before its ACK, not the whole storm as
// when every ready connection was served in arrival order.
TEST_F(UplinkTest, AStormOfLoginsDoesNotHoldUpTheAcksOfALoggedInTracker) {
  SlowDirectory slow(*store_);
  options_.loginTimeout = std::chrono::seconds(30);
  ingestor_ = std::make_unique<ingest::Ingestor>(*store_, nullptr);
  listener_ = std::make_unique<Listener>(slow, *ingestor_, clock_, options_);
  listener_->start();
  Client c(listener_->port());
  c.login("12345678");
  std::uint32_t seq = 0;
  for (int i = 0; i < 5; ++i) {  // warm
    ++seq;
    c.sendPacket(seq, positionalUpdate(seq));
    c.awaitAck(seq);
  }
  constexpr int kStorm = 600;
  // Both ends of 600 connections in this process: more descriptors than a 1,024 soft limit.
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < 4096 && files.rlim_max >= 4096) {
    files.rlim_cur = 4096;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  std::vector<int> storm;
  for (int i = 0; i < kStorm; ++i) {
    const int fd = testing::connectLoopback(listener_->port(), SOCK_STREAM | SOCK_CLOEXEC);
    ASSERT_GE(fd, 0);
    storm.push_back(fd);
  }
  // Every storm connection accepted (and idle) before their HELLOs go out together.
  for (int i = 0; i < 500 && listener_->stats().connections < kStorm + 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(listener_->stats().connections, static_cast<std::uint64_t>(kStorm + 1));
  codecs::Bytes hello;
  up::appendHello(hello, "12345678");
  for (int fd : storm)
    ASSERT_EQ(::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(hello.size()));
  const int before = slow.reads.load();
  ++seq;
  c.sendPacket(seq, positionalUpdate(seq));
  c.awaitAck(seq);
  const int during = slow.reads.load() - before;
  std::cout << "logins served while the packet waited for its ACK: " << during << " of " << kStorm
            << "\n";
  EXPECT_LT(during, kStorm / 2) << "the logged-in tracker's packet waited behind the storm";
  // And the storm is served all the same: every one of them gets its CHALLENGE.
  for (int fd : storm) {
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    codecs::Bytes in;
    up::ScanResult r;
    for (;;) {
      r = up::scanFrame(in);
      if (r.scan != up::Scan::NeedMore) break;
      std::uint8_t chunk[256];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      in.insert(in.end(), chunk, chunk + n);
    }
    ASSERT_EQ(r.scan, up::Scan::Frame) << "no CHALLENGE for a storm connection";
    EXPECT_EQ(r.frame.kind, static_cast<std::uint8_t>(up::Kind::Challenge));
    ::close(fd);
  }
}

}  // namespace
}  // namespace dcgw::uplink
