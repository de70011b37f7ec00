// The uplink's seams (schema/uplink.md sections 3, 6.1 and 8): a channel plugged in for a range
// of frame kinds, answers posted through the outbox from any thread, and what happens to a
// live session when an admin removes its device or changes its key.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "codecs/uplink/frame.hpp"
#include "gateway/common/change_feed.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "gateway/uplink/channel.hpp"
#include "gateway/uplink/listener.hpp"
#include "gateway/uplink/outbox.hpp"
#include "tests/support/listener_fixture.hpp"
#include "tests/support/packets.hpp"
#include "tests/support/uplink_client.hpp"

namespace dcgw::uplink {
namespace {

namespace up = codecs::uplink;
using namespace std::chrono_literals;
using Client = dcgw::testing::UplinkClient;
using dcgw::testing::kUplinkTestKey;
using dcgw::testing::positionalUpdate;

constexpr std::uint8_t kCardOpen = 0x30;
constexpr std::uint8_t kApduCommand = 0x32;
constexpr std::uint8_t kApduResponse = 0x33;

// Stands in for the company-card relay: every APDU command is answered from another thread
// (as the card reader's answer will be), with the same bytes as an APDU response.
class EchoChannel : public Channel {
 public:
  explicit EchoChannel(Listener& listener) : listener_(listener) {}
  ~EchoChannel() override { waitForReplies(); }

  void onFrame(Session& s, std::uint8_t kind, codecs::ByteView body) override {
    std::lock_guard lock(mu_);
    lastId = s.id();
    lastSerial = s.serial();
    kinds.push_back(kind);
    if (kind != kApduCommand) return;
    loopThread = std::this_thread::get_id();
    replies_.push_back(std::async(
        std::launch::async, [this, id = s.id(), apdu = codecs::Bytes(body.begin(), body.end())] {
          {
            std::lock_guard l(mu_);
            replyThread = std::this_thread::get_id();
          }
          codecs::Bytes frame;
          up::appendFrame(frame, kApduResponse, apdu);
          listener_.outbox()->post(id, std::move(frame));
        }));
  }
  void onClose(Session& s) override {
    std::lock_guard lock(mu_);
    closed.push_back(s.id());
  }
  void waitForReplies() {
    std::vector<std::future<void>> all;
    {
      std::lock_guard lock(mu_);
      all.swap(replies_);
    }
    for (auto& f : all) f.wait();
  }

  std::mutex mu_;
  ConnectionId lastId{0};
  std::string lastSerial;
  std::vector<std::uint8_t> kinds;
  std::vector<ConnectionId> closed;
  std::thread::id loopThread, replyThread;

 private:
  Listener& listener_;
  std::vector<std::future<void>> replies_;
};

class UplinkChannelsTest : public testing::ListenerFixture<Listener, ListenerOptions> {
 protected:
  UplinkChannelsTest() : ListenerFixture("dcgw-uplink-channels") {}
  void SetUp() override {
    for (const char* serial : {"12345678", "22222222", "33333333"})
      ASSERT_TRUE(store_->upsertDevice({serial, store_.depot(), "", kUplinkTestKey}).ok());
    ingestor_ = std::make_unique<ingest::Ingestor>(*store_, nullptr);
    listener_ = std::make_unique<Listener>(*store_, *ingestor_, clock_, options_, &feed_);
    echo_ = std::make_unique<EchoChannel>(*listener_);
  }
  void TearDown() override {
    if (echo_) echo_->waitForReplies();
    stop();
    echo_.reset();
  }
  void startWithCardChannel() {
    listener_->registerChannel(0x30, 0x3F, *echo_);
    listener_->start();
  }
  // A HEARTBEAT answered: the connection is open and nothing else was queued before it.
  static void expectAlive(Client& c) {
    codecs::Bytes hb;
    up::appendHeartbeat(hb);
    c.send(hb);
    EXPECT_EQ(c.next().first, static_cast<std::uint8_t>(up::Kind::Heartbeat));
  }
  template <class Pred>
  static bool eventually(Pred pred) {
    for (int i = 0; i < 1000; ++i) {  // 10 s: a loaded CI
      if (pred()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return pred();
  }

  common::ChangeFeed feed_;
  std::unique_ptr<EchoChannel> echo_;
};

TEST_F(UplinkChannelsTest, ARegisteredChannelGetsItsKindsAndAnswersThroughTheOutboxFromAnyThread) {
  startWithCardChannel();
  Client c(listener_->port());
  c.login("12345678");
  codecs::Bytes b;
  up::appendFrame(b, kCardOpen, {});
  const codecs::Bytes apdu{0x00, 0xA4, 0x04, 0x0C};
  up::appendFrame(b, kApduCommand, apdu);
  c.send(b);
  auto [kind, body] = c.next();
  EXPECT_EQ(kind, kApduResponse);
  EXPECT_EQ(body, apdu);
  {
    std::lock_guard lock(echo_->mu_);
    EXPECT_EQ(echo_->kinds, (std::vector<std::uint8_t>{kCardOpen, kApduCommand}));
    EXPECT_EQ(echo_->lastSerial, "12345678");
    EXPECT_NE(echo_->replyThread, echo_->loopThread);
  }
  // The packet channel is untouched by it.
  c.sendPacket(1, positionalUpdate(1));
  c.awaitAck(1);
}

TEST_F(UplinkChannelsTest, AChannelKindBeforeTheLoginIsUnexpected) {
  startWithCardChannel();
  Client c(listener_->port());
  codecs::Bytes b;
  up::appendFrame(b, kApduCommand, codecs::Bytes{0x00});
  c.send(b);
  c.expectError(up::ErrorCode::UnexpectedFrame);
  EXPECT_TRUE(c.closedByPeer());
  std::lock_guard lock(echo_->mu_);
  EXPECT_TRUE(echo_->kinds.empty());
}

TEST_F(UplinkChannelsTest, AReservedKindWithNoChannelIsStillNotSupportedAndTheConnectionStays) {
  startWithCardChannel();
  Client c(listener_->port());
  c.login("12345678");
  codecs::Bytes b;
  up::appendFrame(b, 0x41, codecs::Bytes{0x01, 0x02});  // a file chunk: no channel for 0x40-0x4F
  c.send(b);
  c.expectError(up::ErrorCode::NotSupported);
  expectAlive(c);
  c.sendPacket(1, positionalUpdate(1));
  c.awaitAck(1);
  std::lock_guard lock(echo_->mu_);
  EXPECT_TRUE(echo_->kinds.empty());
}

TEST_F(UplinkChannelsTest, AChannelCannotTakeTheKindsOfTheSessionOrOfAnotherChannel) {
  EXPECT_THROW(listener_->registerChannel(0x10, 0x10, *echo_), std::invalid_argument);  // PACKET
  EXPECT_THROW(listener_->registerChannel(0x01, 0x04, *echo_), std::invalid_argument);  // login
  EXPECT_THROW(listener_->registerChannel(0x20, 0x20, *echo_), std::invalid_argument);
  listener_->registerChannel(0x30, 0x3F, *echo_);
  EXPECT_THROW(listener_->registerChannel(0x3F, 0x40, *echo_), std::invalid_argument);
  listener_->start();
  EXPECT_THROW(listener_->registerChannel(0x40, 0x4F, *echo_), std::logic_error);
}

TEST_F(UplinkChannelsTest, PostsToAClosedConnectionAreDropped) {
  startWithCardChannel();
  ConnectionId old = 0;
  {
    Client c(listener_->port());
    c.login("12345678");
    codecs::Bytes b;
    up::appendFrame(b, kCardOpen, {});
    c.send(b);
    expectAlive(c);
    std::lock_guard lock(echo_->mu_);
    old = echo_->lastId;
  }
  ASSERT_NE(old, 0u);
  ASSERT_TRUE(eventually([&] { return listener_->stats().connections == 0; }));
  {
    std::lock_guard lock(echo_->mu_);
    EXPECT_EQ(echo_->closed, std::vector<ConnectionId>{old});  // the channel heard of it
  }
  // The same device again: a new connection, which the stale posts must not reach.
  Client again(listener_->port());
  again.login("12345678");
  std::atomic<bool> ran{false};
  std::thread other([&] {
    codecs::Bytes frame;
    up::appendFrame(frame, kApduResponse, codecs::Bytes{0x90, 0x00});
    listener_->outbox()->post(old, std::move(frame));
    listener_->outbox()->post(old, [&ran](Session&) { ran = true; });
  });
  other.join();
  std::atomic<bool> loopRan{false};
  listener_->outbox()->post([&loopRan] { loopRan = true; });  // after the stale ones, in order
  ASSERT_TRUE(eventually([&] { return loopRan.load(); }));
  EXPECT_FALSE(ran);
  expectAlive(again);  // the next frame is the HEARTBEAT's answer, not the stale response
  EXPECT_EQ(listener_->stats().connections, 1u);
}

TEST_F(UplinkChannelsTest, AnAdminChangeClosesOnlyTheSessionsItInvalidates) {
  listener_->start();
  Client removed(listener_->port()), rotated(listener_->port()), untouched(listener_->port());
  removed.login("12345678");
  rotated.login("22222222");
  untouched.login("33333333");

  ASSERT_TRUE(store_->removeDevice("12345678").ok());
  ASSERT_TRUE(store_->upsertDevice({"22222222", store_.depot(), "", codecs::Bytes(32, 0x22)}).ok());
  // Same key, another registration: nothing the session logged in with has changed.
  ASSERT_TRUE(store_->upsertDevice({"33333333", store_.depot(), "XY99ZZZ", kUplinkTestKey}).ok());
  feed_.publish({common::Change::device("12345678"), common::Change::device("22222222"),
                 common::Change::device("33333333"), common::Change::device("99999999")});

  EXPECT_NE(removed.expectError(up::ErrorCode::UnknownDevice).find("12345678"), std::string::npos);
  EXPECT_TRUE(removed.closedByPeer());
  EXPECT_NE(rotated.expectError(up::ErrorCode::WrongProof).find("22222222"), std::string::npos);
  EXPECT_TRUE(rotated.closedByPeer());
  // The three were re-read in one batch, in no set order: give the third time to be wrongly
  // closed before looking.
  std::this_thread::sleep_for(300ms);
  expectAlive(untouched);
  untouched.sendPacket(1, positionalUpdate(1));
  untouched.awaitAck(1);
  EXPECT_EQ(listener_->stats().loggedIn, 1u);

  // The rotated device logs in again with its new key.
  Client back(listener_->port());
  EXPECT_EQ(back.login("22222222", codecs::Bytes(32, 0x22)).window, options_.window);
}

}  // namespace
}  // namespace dcgw::uplink
