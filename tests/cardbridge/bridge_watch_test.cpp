// The card bridge's reader watcher and link timers without pcscd: the Bridge with a scripted
// ReaderPort, against a gateway played by the test. A reader that leaves PC/SC's list takes its
// card with it (vsmartcard's readers are configured, never unplugged, so this is provoked here);
// PC/SC lost (SCARD_E_NO_SERVICE) reports the cards removed and, once a new context is
// established, present again; WELCOME's heartbeat and idle timeout are the ones the bridge uses.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "gateway/cardbridge/bridge.hpp"
#include "tests/cardbridge/fake_gateway.hpp"

namespace dcgw::cardbridge {
namespace {

namespace cb = codecs::cardbridge;
using codecs::Bytes;
using common::FrameLink;
using common::LinkFrame;
using testing::next;

const std::string kCard = "1200000000110200";
const std::array<std::uint8_t, 8> kEsn{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
constexpr long kNoService = static_cast<long>(0x8010001D);  // SCARD_E_NO_SERVICE

// PC/SC as the test says: the readers (a card in each or not), PC/SC up or down.
struct Script {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, bool> readers;  // name -> a card present
  bool down{false};
  int opens{0};
  void set(const std::function<void(Script&)>& f) {
    {
      std::lock_guard l(mu);
      f(*this);
    }
    cv.notify_all();
  }
};

class ScriptedPort : public ReaderPort {
 public:
  explicit ScriptedPort(std::shared_ptr<Script> s) : s_(std::move(s)) {}
  PcscStatus open() override {
    std::lock_guard l(s_->mu);
    ++s_->opens;
    if (s_->down) return PcscStatus{kNoService, "SCardEstablishContext: no service"};
    return {};
  }
  PcscStatus poll(std::vector<ReaderState>& states, int timeoutMs, bool& changed) override {
    std::unique_lock l(s_->mu);
    s_->cv.wait_for(l, std::chrono::milliseconds(timeoutMs));
    changed = true;
    if (s_->down) return PcscStatus{kNoService, "SCardGetStatusChange: no service"};
    states.clear();
    for (const auto& [name, present] : s_->readers) states.push_back({name, present, {0x3b}});
    return {};
  }
  PcscStatus readSerial(const std::string&, std::array<std::uint8_t, 8>& out) override {
    out = kEsn;
    return {};
  }
  void cancel() override { s_->cv.notify_all(); }

 private:
  std::shared_ptr<Script> s_;
};

class BridgeWithScriptedReaders : public ::testing::Test {
 protected:
  void run(const cb::Welcome& welcome = {}) {
    script_->readers["reader A 00 00"] = true;
    BridgeConfig c;
    c.gateway.port = gateway_.port();
    c.gateway.connectTimeoutMs = 2000;
    c.ident = "office-1";
    c.key = testing::key();
    c.cards["0011223344556677"] = kCard;
    c.retryFirstMs = 50;
    c.retryMaxMs = 200;
    bridge_ = std::make_unique<Bridge>(c, std::make_unique<ScriptedPort>(script_));
    runner_ = std::thread([this] { bridge_->run(); });
    link_ = gateway_.accept();
    ASSERT_TRUE(link_);
    ASSERT_TRUE(testing::acceptLogin(*link_, welcome));
  }
  void TearDown() override {
    if (bridge_) bridge_->stop();
    if (runner_.joinable()) runner_.join();
  }
  void expectInserted() {
    const LinkFrame f = next(*link_);
    ASSERT_EQ(f.kind, static_cast<std::uint8_t>(cb::Kind::CardInserted)) << cb::kindName(f.kind);
    EXPECT_EQ(cb::parseCardInserted(f.body)->card, kCard);
    EXPECT_EQ(cb::parseCardInserted(f.body)->reader, "reader A 00 00");
  }
  void expectRemoved() {
    const LinkFrame f = next(*link_);
    ASSERT_EQ(f.kind, static_cast<std::uint8_t>(cb::Kind::CardRemoved)) << cb::kindName(f.kind);
    EXPECT_EQ(*cb::parseCardRemoved(f.body), kCard);
  }

  std::shared_ptr<Script> script_ = std::make_shared<Script>();
  testing::Listener gateway_;
  std::unique_ptr<Bridge> bridge_;
  std::thread runner_;
  std::unique_ptr<FrameLink> link_;
};

TEST_F(BridgeWithScriptedReaders, AReaderUnpluggedTakesItsCard) {
  run();
  expectInserted();
  script_->set([](Script& s) { s.readers.erase("reader A 00 00"); });  // unplugged
  expectRemoved();
  script_->set([](Script& s) { s.readers["reader A 00 00"] = true; });  // plugged in again
  expectInserted();
}

TEST_F(BridgeWithScriptedReaders, PcscLostReportsTheCardsAndComesBack) {
  run();
  expectInserted();
  script_->set([](Script& s) { s.down = true; });  // pcscd stopped
  expectRemoved();
  int opensWhileDown = 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  script_->set([&](Script& s) {
    opensWhileDown = s.opens;
    s.down = false;
  });
  EXPECT_GE(opensWhileDown, 2) << "a new context is tried again and again";
  EXPECT_LE(opensWhileDown, 5) << "with a growing delay, not in a loop";
  expectInserted();
}

TEST_F(BridgeWithScriptedReaders, UsesWelcomesHeartbeatAndIdleTimeout) {
  cb::Welcome w;
  w.heartbeatSeconds = 1;
  w.idleTimeoutSeconds = 2;
  run(w);
  expectInserted();
  // The gateway talks (a HEARTBEAT every 300 ms); the bridge, which has nothing to say, sends a
  // HEARTBEAT every second (not every 30 s).
  using Clock = std::chrono::steady_clock;
  const auto began = Clock::now();
  auto said = began;
  int beats = 0;
  while (Clock::now() - began < std::chrono::milliseconds(3500)) {
    if (Clock::now() - said >= std::chrono::milliseconds(300)) {
      Bytes hb;
      cb::appendHeartbeat(hb);
      ASSERT_TRUE(link_->send(hb));
      said = Clock::now();
    }
    LinkFrame f;
    std::string why;
    const auto got = link_->next(100, f, why);
    ASSERT_TRUE(got == FrameLink::Got::Frame || got == FrameLink::Got::Timeout) << why;
    if (got == FrameLink::Got::Frame && f.kind == static_cast<std::uint8_t>(cb::Kind::Heartbeat))
      ++beats;
  }
  EXPECT_GE(beats, 2) << "WELCOME's 1 s heartbeat is not kept to";
  EXPECT_LE(beats, 5);
  // Then the gateway falls silent: after 2 s without a frame the bridge logs in again.
  const auto silent = Clock::now();
  auto again = gateway_.accept(15);
  ASSERT_TRUE(again) << "the bridge did not reconnect after WELCOME's 2 s idle timeout";
  EXPECT_LT(Clock::now() - silent, std::chrono::seconds(10)) << "not the 90 s default";
}

}  // namespace
}  // namespace dcgw::cardbridge
