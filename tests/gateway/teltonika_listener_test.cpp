// The Teltonika listener over real loopback sockets (schema/teltonika.md section 10): the IMEI
// login against the device store, record counts acknowledged after the commit, a resent frame
// stored once (in memory and across a restart), every bad-input path, UDP, a replaced connection.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "codecs/teltonika/avl.hpp"
#include "codecs/teltonika/frame.hpp"
#include "codecs/teltonika/udp.hpp"
#include "gateway/derive/avl_deriver.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/uplink/teltonika_listener.hpp"
#include "tests/support/listener_fixture.hpp"
#include "tests/support/loopback.hpp"

namespace dcgw::uplink {
namespace {

namespace tk = codecs::teltonika;
using namespace std::chrono_literals;

constexpr const char* kImei = "356307042441013";
constexpr const char* kOtherImei = "356307042441021";

// A device's side of a TCP connection: bytes out, exact reads in, with a deadline.
class Device {
 public:
  explicit Device(std::uint16_t port) : fd_(testing::connectLoopback(port)) {
    EXPECT_GE(fd_, 0) << "connect to port " << port;
  }
  ~Device() {
    if (fd_ >= 0) ::close(fd_);
  }
  void send(const codecs::Bytes& b) {
    ASSERT_EQ(::send(fd_, b.data(), b.size(), MSG_NOSIGNAL), static_cast<ssize_t>(b.size()));
  }
  // n bytes, or fewer if the peer closed or nothing came within `wait`.
  codecs::Bytes read(std::size_t n, std::chrono::milliseconds wait = 20s) {
    codecs::Bytes got;
    const auto end = std::chrono::steady_clock::now() + wait;
    while (got.size() < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      std::uint8_t buf[256];
      const ssize_t r = ::recv(fd_, buf, std::min(sizeof buf, n - got.size()), 0);
      if (r <= 0) {
        closed_ = true;
        break;
      }
      got.insert(got.end(), buf, buf + r);
    }
    return got;
  }
  bool login(const std::string& imei) {
    send(tk::encodeLogin(imei));
    return read(1) == codecs::Bytes{tk::kLoginAccept};
  }
  std::uint32_t ack() {
    const codecs::Bytes a = read(4);
    EXPECT_EQ(a.size(), 4u) << "no record count";
    if (a.size() != 4) return 0xFFFFFFFF;
    return (std::uint32_t{a[0]} << 24) | (a[1] << 16) | (a[2] << 8) | a[3];
  }
  // Sends a frame and reads the record count it is answered with.
  std::uint32_t sendForAck(const codecs::Bytes& b) {
    send(b);
    return ack();
  }
  bool closedByPeer() {
    if (!closed_) read(1, 10s);
    return closed_;
  }

 private:
  int fd_{-1};
  bool closed_{false};
};

// Records of a moving FMX6 vehicle with a fix: each one a Tracking point (schema/teltonika.md 9).
tk::RecordOut movingRecord(std::uint64_t timestampMs, int step) {
  tk::RecordOut r;
  r.timestampMs = timestampMs;
  r.gps.latitude = 515000000 + step * 1000;
  r.gps.longitude = -1000000 + step * 1000;
  r.gps.altitude = 50;
  r.gps.angle = 90;
  r.gps.satellites = 9;
  r.gps.speed = 60;
  r.io = {tk::ioValue(239, 1, 1)};
  return r;
}

codecs::Bytes avlData(std::uint64_t firstMs, int records) {
  std::vector<tk::RecordOut> out;
  for (int i = 0; i < records; ++i) out.push_back(movingRecord(firstMs + 10'000 * i, i));
  auto data = tk::encodeAvlData(tk::kCodec8Extended, out);
  EXPECT_TRUE(data.ok());
  return *data;
}

codecs::Bytes frame(std::uint64_t firstMs, int records) {
  return tk::wrapFrame(avlData(firstMs, records));
}

class TeltonikaListenerTest : public testing::ListenerFixture<TeltonikaListener, TeltonikaOptions> {
 protected:
  TeltonikaListenerTest() : ListenerFixture("dcgw-teltonika") {}
  void SetUp() override {
    addTeltonika(kImei, "FMX6");
    store::DeviceConfig uplinkDevice;
    uplinkDevice.serial = "12345678";
    uplinkDevice.locationId = store_.depot();
    ASSERT_TRUE(store_->upsertDevice(uplinkDevice).ok());
    options_.enabled = true;
  }
  void addTeltonika(const std::string& imei, const std::string& family) {
    store::DeviceConfig d;
    d.serial = imei;
    d.locationId = store_.depot();
    d.protocol = "teltonika";
    d.family = family;
    ASSERT_TRUE(store_->upsertDevice(d).ok());
  }
  std::int64_t count(const std::string& sql) { return store_.count(sql); }
  // `first` on a new connection is answered 00 (refused) and the connection closed.
  void expectRefused(const codecs::Bytes& first, const std::string& what) {
    Device d(listener_->port());
    d.send(first);
    EXPECT_EQ(d.read(1), codecs::Bytes{tk::kLoginRefuse}) << what;
    EXPECT_TRUE(d.closedByPeer()) << what;
  }
  bool refused(const std::string& imei) {
    // Written off the loop: give the writer a moment.
    for (int i = 0; i < 200; ++i) {
      for (const auto& r : store_->refusedIdents())
        if (r.serial == imei) return true;
      std::this_thread::sleep_for(25ms);
    }
    return false;
  }
};

TEST_F(TeltonikaListenerTest, AcknowledgesTheRecordCountOnlyAfterTheirPacketsAreCommitted) {
  start();
  Device d(listener_->port());
  ASSERT_TRUE(d.login(kImei));
  EXPECT_EQ(d.sendForAck(frame(1'700'000'000'000, 3)), 3u);
  // Acknowledged means committed: a Tracking point per record with a fix, each with its record.
  EXPECT_EQ(
      count("SELECT COUNT(*) FROM packets WHERE serial='" + std::string(kImei) + "' AND type=71"),
      3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM packets WHERE origin IS NULL"), 0);
  // The origin is the codec id and the record's bytes as received.
  auto s = store_->db().prepare("SELECT origin FROM packets ORDER BY id LIMIT 1");
  ASSERT_TRUE(s.step());
  const codecs::Bytes origin = s.blob(0);
  ASSERT_FALSE(origin.empty());
  EXPECT_EQ(origin[0], tk::kCodec8Extended);
  const codecs::Bytes data = avlData(1'700'000'000'000, 3);
  auto decoded = tk::decodeAvlData(data);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(codecs::Bytes(origin.begin() + 1, origin.end()), decoded->records[0].raw);
}

TEST_F(TeltonikaListenerTest, AResentFrameEntersTheQueuesOnceEvenAfterARestart) {
  start();
  {
    Device d(listener_->port());
    ASSERT_TRUE(d.login(kImei));
    EXPECT_EQ(d.sendForAck(frame(1'700'000'000'000, 2)), 2u);
    const std::int64_t stored = storedPackets();
    EXPECT_GT(stored, 0);
    // The acknowledgement was lost on the way: the device sends the same frame again.
    EXPECT_EQ(d.sendForAck(frame(1'700'000'000'000, 2)), 2u);
    EXPECT_EQ(storedPackets(), stored);
  }
  const std::int64_t stored = storedPackets();
  // The gateway restarts (its memory of the frame is gone, the store's frame key is not).
  stop();
  start();
  Device d(listener_->port());
  ASSERT_TRUE(d.login(kImei));
  EXPECT_EQ(d.sendForAck(frame(1'700'000'000'000, 2)), 2u);
  EXPECT_EQ(storedPackets(), stored);
  // The next frame is new.
  EXPECT_EQ(d.sendForAck(frame(1'700'000'100'000, 2)), 2u);
  EXPECT_GT(storedPackets(), stored);
}

// A frame's packets commit in one transaction (all or none), even when they are more than the
// Ingestor's batch: a failure in between would store a part that the resend stores again.
TEST_F(TeltonikaListenerTest, AFramesPacketsAreCommittedTogetherEvenOverTheBatchSize) {
  ingestor_ = std::make_unique<ingest::Ingestor>(*store_, nullptr, /*maxBatch=*/2);
  auto data = tk::decodeAvlData(avlData(1'700'000'000'000, 5));
  ASSERT_TRUE(data.ok());
  derive::AvlDeriver deriver(tk::Family::FMX6);
  std::vector<store::IngestItem> items;
  for (derive::AvlPacket& p : deriver.derive(data->records)) {
    store::IngestItem item;
    item.serial = kImei;
    item.packet = std::move(p.packet);
    item.frameKey = 42;
    items.push_back(std::move(item));
  }
  ASSERT_EQ(items.size(), 5u);
  items.back().frameEnd = true;
  std::mutex mu;
  std::condition_variable cv;
  int settled = 0;
  ingestor_->submitGroup(std::move(items), [&](const ingest::Outcome& o) {
    EXPECT_EQ(o.kind, ingest::Outcome::Kind::Stored);
    std::lock_guard l(mu);
    ++settled;
    cv.notify_all();
  });
  std::unique_lock l(mu);
  ASSERT_TRUE(cv.wait_for(l, 10s, [&] { return settled == 5; }));
  EXPECT_EQ(ingestor_->commits(), 1u);
  EXPECT_EQ(storedPackets(), 5);
}

// Section 10.2: the frame key covers the records' bytes, not only their timestamps: two frames
// of the same second (an event record, then the periodic one) are two frames.
TEST_F(TeltonikaListenerTest, AnotherFrameWithTheSameTimestampsIsStoredNotTakenForAResend) {
  start();
  Device d(listener_->port());
  ASSERT_TRUE(d.login(kImei));
  d.send(frame(1'700'000'000'000, 1));
  EXPECT_EQ(d.ack(), 1u);
  const std::int64_t stored = storedPackets();
  tk::RecordOut other = movingRecord(1'700'000'000'000, 7);  // same time, elsewhere
  auto data = tk::encodeAvlData(tk::kCodec8Extended, {other});
  ASSERT_TRUE(data.ok());
  d.send(tk::wrapFrame(*data));
  EXPECT_EQ(d.ack(), 1u);
  EXPECT_GT(storedPackets(), stored);
}

// Section 10.2: answers leave in the order of the frames, a broken frame's 0 in its turn (the
// device pairs them by order alone).
TEST_F(TeltonikaListenerTest, PipelinedFramesAreAnsweredInOrderABrokenOnesZeroInItsTurn) {
  start();
  Device d(listener_->port());
  ASSERT_TRUE(d.login(kImei));
  codecs::Bytes broken = frame(1'700'000'100'000, 4);
  broken.back() ^= 0x01;  // its CRC
  codecs::Bytes all = frame(1'700'000'000'000, 2);
  all.insert(all.end(), broken.begin(), broken.end());
  const codecs::Bytes third = frame(1'700'000'200'000, 3);
  all.insert(all.end(), third.begin(), third.end());
  d.send(all);
  EXPECT_EQ(d.ack(), 2u);
  EXPECT_EQ(d.ack(), 0u);
  EXPECT_EQ(d.ack(), 3u);
}

TEST_F(TeltonikaListenerTest, RefusesAnUnknownImeiWith00ClosesAndListsIt) {
  start();
  expectRefused(tk::encodeLogin("356307042449999"), "an unknown IMEI");
  EXPECT_TRUE(refused("356307042449999"));
  EXPECT_EQ(listener_->stats().refusedLogins.load(), 1u);
}

TEST_F(TeltonikaListenerTest, RefusesADeviceRegisteredForTheUplinkProtocol) {
  addTeltonika(kOtherImei, "FMBxxx");
  store::DeviceConfig d;
  d.serial = kOtherImei;
  d.protocol = "dcgw";
  d.family = "";
  ASSERT_TRUE(store_->upsertDevice(d).ok());
  start();
  expectRefused(tk::encodeLogin(kOtherImei), "a device of the uplink protocol");
}

TEST_F(TeltonikaListenerTest, AnImeiThatIsNotFifteenDigitsOrAFrameBeforeTheLoginIsRefused) {
  start();
  expectRefused(codecs::Bytes{0x00, 0x0E, '3', '5', '6', '3', '0', '7', '0', '4', '2', '4', '4',
                              '1', '0', '1'},
                "14 digits");
  expectRefused(codecs::Bytes{0x00, 0x0F, '3', '5', '6', '3', '0', '7', 'x', '4', '2', '4', '4',
                              '1', '0', '1', '3'},
                "a letter among the digits");
  expectRefused(frame(1'700'000'000'000, 1), "a frame before the login");
  EXPECT_EQ(storedPackets(), 0);
}

TEST_F(TeltonikaListenerTest, ABrokenFrameIsAnsweredZeroStoresNothingAndTheLinkGoesOn) {
  start();
  Device d(listener_->port());
  ASSERT_TRUE(d.login(kImei));
  codecs::Bytes badCrc = frame(1'700'000'000'000, 2);
  badCrc.back() ^= 0x01;
  EXPECT_EQ(d.sendForAck(badCrc), 0u);
  // N1 != N2: the data field's last byte says 3 records.
  codecs::Bytes data = avlData(1'700'000'000'000, 2);
  data.back() = 3;
  EXPECT_EQ(d.sendForAck(tk::wrapFrame(data)), 0u);
  // A record count over what the frame holds.
  data = avlData(1'700'000'000'000, 2);
  data[1] = 9;
  data.back() = 9;
  EXPECT_EQ(d.sendForAck(tk::wrapFrame(data)), 0u);
  EXPECT_EQ(storedPackets(), 0);
  // A ping, then the frame sent right: accepted on the same connection.
  d.send(codecs::Bytes{tk::kPing});
  EXPECT_EQ(d.sendForAck(frame(1'700'000'000'000, 2)), 2u);
  EXPECT_GT(storedPackets(), 0);
}

TEST_F(TeltonikaListenerTest, ALengthOverTheMaximumClosesTheConnection) {
  options_.maxFrameBytes = 1024;
  start();
  Device d(listener_->port());
  ASSERT_TRUE(d.login(kImei));
  d.send(codecs::Bytes{0, 0, 0, 0, 0x00, 0x10, 0x00, 0x00, 0x8E});
  EXPECT_TRUE(d.closedByPeer());
  EXPECT_EQ(storedPackets(), 0);
}

TEST_F(TeltonikaListenerTest, ACommandResponseIsTakenWithoutAnAnswer) {
  start();
  Device d(listener_->port());
  ASSERT_TRUE(d.login(kImei));
  tk::CommandMessage m;
  m.type = tk::kResponseType;
  const std::string text = "Ver:03.27.07_00 GPS:1";
  m.payload.assign(text.begin(), text.end());
  d.send(tk::encodeCommandFrame(m));
  EXPECT_TRUE(d.read(1, 300ms).empty());
  // One whose size lies (its CRC right) is logged and not answered either (section 4).
  codecs::Bytes lying = {tk::kCodec12, 0x01, tk::kResponseType, 0x00, 0x00, 0x00, 0x40};
  lying.insert(lying.end(), text.begin(), text.end());
  lying.push_back(0x01);
  d.send(tk::wrapFrame(lying));
  EXPECT_TRUE(d.read(1, 300ms).empty());
  EXPECT_EQ(d.sendForAck(frame(1'700'000'000'000, 1)), 1u);
}

TEST_F(TeltonikaListenerTest, ANewerConnectionOfTheSameImeiReplacesTheOlder) {
  start();
  Device first(listener_->port());
  ASSERT_TRUE(first.login(kImei));
  Device second(listener_->port());
  ASSERT_TRUE(second.login(kImei));
  EXPECT_TRUE(first.closedByPeer());
  EXPECT_EQ(second.sendForAck(frame(1'700'000'000'000, 1)), 1u);
}

class Udp {
 public:
  explicit Udp(std::uint16_t port)
      : fd_(::socket(AF_INET, SOCK_DGRAM, 0)), to_(testing::loopbackAddress(port)) {}
  ~Udp() { ::close(fd_); }
  void send(const codecs::Bytes& b) {
    ::sendto(fd_, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&to_), sizeof to_);
  }
  codecs::Bytes receive(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return {};
    std::uint8_t buf[64];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? codecs::Bytes(buf, buf + n) : codecs::Bytes{};
  }

 private:
  int fd_;
  sockaddr_in to_;
};

TEST_F(TeltonikaListenerTest, UdpDatagramsAreAcknowledgedAfterCommitAndStoredOnce) {
  start();
  ASSERT_NE(listener_->udpPort(), 0);
  Udp u(listener_->udpPort());
  const codecs::Bytes datagram = tk::encodeUdp(0xCAFE, 0x07, kImei, avlData(1'700'000'000'000, 2));
  u.send(datagram);
  EXPECT_EQ(u.receive(20s), tk::encodeUdpAck(0xCAFE, 0x07, 2));
  const std::int64_t stored = storedPackets();
  EXPECT_GT(stored, 0);
  u.send(datagram);  // the acknowledgement was lost: the same datagram again
  EXPECT_EQ(u.receive(20s), tk::encodeUdpAck(0xCAFE, 0x07, 2));
  EXPECT_EQ(storedPackets(), stored);
}

TEST_F(TeltonikaListenerTest, AUdpDatagramFromAnUnregisteredImeiIsNeverAnsweredOrStored) {
  start();
  Udp u(listener_->udpPort());
  u.send(tk::encodeUdp(1, 1, "356307042449999", avlData(1'700'000'000'000, 1)));
  EXPECT_TRUE(u.receive(500ms).empty());
  EXPECT_TRUE(refused("356307042449999"));
  // A datagram whose header lies about its length is dropped too.
  codecs::Bytes lying = tk::encodeUdp(2, 2, kImei, avlData(1'700'000'000'000, 1));
  lying[1] ^= 0x10;
  u.send(lying);
  EXPECT_TRUE(u.receive(500ms).empty());
  EXPECT_EQ(storedPackets(), 0);
}

}  // namespace
}  // namespace dcgw::uplink
