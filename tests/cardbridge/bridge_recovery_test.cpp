// The card bridge when things go wrong around a session, on a real pcscd with the virtual reader
// and the fake company card, against a gateway played by the test (schema/card-bridge.md):
// pcscd restarted under the bridge (the cards reported removed, then present again), a card
// pulled between two APDUs (CARD_REMOVED, then SESSION_FAILED CARD_GONE, unasked), the replies
// to frames for a session the bridge no longer holds (section 5), no APDU answered after the
// session's end, and a card held by another program waited for within the APDU timeout.
#include <gtest/gtest.h>

#include <thread>

#include "gateway/cardbridge/bridge.hpp"
#include "gateway/cardbridge/pcsc.hpp"
#include "tests/cardbridge/fake_gateway.hpp"
#include "tests/cardbridge/pcscd_harness.hpp"
#include "tests/support/fake_company_card.hpp"

namespace dcgw::cardbridge {
namespace {

namespace cb = codecs::cardbridge;
using codecs::Bytes;
using common::LinkFrame;
using testing::next;

const std::string kCard = "1200000000110200";

std::uint8_t kindOf(cb::Kind k) {
  return static_cast<std::uint8_t>(k);
}

class BridgeOnPcscd : public ::testing::Test {
 protected:
  void SetUp() override {
    cardOptions_.port = pcscd_.port();
    card_ = std::make_unique<testing::FakeCompanyCard>(cardOptions_);
    ASSERT_TRUE(card_->connected()) << pcscd_.log();
    BridgeConfig c;
    c.gateway.host = "127.0.0.1";
    c.gateway.port = gateway_.port();
    c.gateway.connectTimeoutMs = 2000;
    c.ident = "office-1";
    c.key = testing::key();
    c.cards["0011223344556677"] = kCard;
    c.readers = {testing::Pcscd::kReaderName};
    c.retryFirstMs = 50;
    c.retryMaxMs = 200;
    bridge_ = std::make_unique<Bridge>(c);
    runner_ = std::thread([this] { bridge_->run(); });
    link_ = gateway_.accept();
    ASSERT_TRUE(link_);
    ASSERT_TRUE(testing::acceptLogin(*link_));
    const LinkFrame f = next(*link_);
    ASSERT_EQ(f.kind, kindOf(cb::Kind::CardInserted)) << cb::kindName(f.kind);
  }
  void TearDown() override {
    if (bridge_) bridge_->stop();
    if (runner_.joinable()) runner_.join();
  }
  void start(std::uint32_t session) {
    Bytes out;
    cb::appendSessionStart(out, {session, kCard, 0xFF});
    link_->send(out);
  }
  void transmit(std::uint32_t session, std::uint16_t number) {
    Bytes out;
    cb::appendTransmit(out, session, number, Bytes{0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x02});
    link_->send(out);
  }
  void end(std::uint32_t session) {
    Bytes out;
    cb::appendSessionEnd(out, session, codecs::uplink::CardReason::Finished, "finished");
    link_->send(out);
  }

  testing::Pcscd pcscd_;
  testing::Listener gateway_;
  testing::FakeCompanyCard::Options cardOptions_;
  std::unique_ptr<testing::FakeCompanyCard> card_;
  std::unique_ptr<Bridge> bridge_;
  std::thread runner_;
  std::unique_ptr<common::FrameLink> link_;
};

TEST_F(BridgeOnPcscd, ReportsItsCardsAgainAfterPcscdRestarts) {
  start(1);
  ASSERT_EQ(next(*link_).kind, kindOf(cb::Kind::SessionStarted));

  pcscd_.restart();  // the fake card's vpcd connection dies with the old pcscd
  LinkFrame f = next(*link_);
  ASSERT_EQ(f.kind, kindOf(cb::Kind::CardRemoved)) << cb::kindName(f.kind);
  EXPECT_EQ(*cb::parseCardRemoved(f.body), kCard);
  f = next(*link_);  // the open session ends: PC/SC is gone
  ASSERT_EQ(f.kind, kindOf(cb::Kind::SessionFailed)) << cb::kindName(f.kind);
  EXPECT_EQ(cb::parseSessionFailed(f.body)->session, 1u);
  EXPECT_EQ(cb::parseSessionFailed(f.body)->code,
            static_cast<std::uint8_t>(cb::Failure::ReaderError));

  card_->insert();  // the card is back in the reader of the new pcscd
  ASSERT_TRUE(card_->connected()) << pcscd_.log();
  f = next(*link_);
  ASSERT_EQ(f.kind, kindOf(cb::Kind::CardInserted)) << cb::kindName(f.kind);
  EXPECT_EQ(cb::parseCardInserted(f.body)->card, kCard);

  start(2);  // and it serves sessions again
  ASSERT_EQ(next(*link_).kind, kindOf(cb::Kind::SessionStarted));
  transmit(2, 1);
  f = next(*link_);
  ASSERT_EQ(f.kind, kindOf(cb::Kind::Transmitted)) << cb::kindName(f.kind);
  EXPECT_EQ(cb::parseTransmitted(f.body)->number, 1u);
}

TEST_F(BridgeOnPcscd, EndsTheSessionOfACardPulledBetweenApdus) {
  start(1);
  ASSERT_EQ(next(*link_).kind, kindOf(cb::Kind::SessionStarted));
  card_->remove();
  LinkFrame f = next(*link_);
  ASSERT_EQ(f.kind, kindOf(cb::Kind::CardRemoved)) << cb::kindName(f.kind);
  f = next(*link_);  // unasked: no APDU was in flight
  ASSERT_EQ(f.kind, kindOf(cb::Kind::SessionFailed)) << cb::kindName(f.kind);
  EXPECT_EQ(cb::parseSessionFailed(f.body)->code, static_cast<std::uint8_t>(cb::Failure::CardGone));

  // Section 5: the session is over; a TRANSMIT for it is NOT_HERE, a SESSION_END is answered.
  transmit(1, 1);
  f = next(*link_);
  ASSERT_EQ(f.kind, kindOf(cb::Kind::SessionFailed)) << cb::kindName(f.kind);
  EXPECT_EQ(cb::parseSessionFailed(f.body)->code, static_cast<std::uint8_t>(cb::Failure::NotHere));
  end(1);
  f = next(*link_);
  ASSERT_EQ(f.kind, kindOf(cb::Kind::SessionEnded)) << cb::kindName(f.kind);
  EXPECT_EQ(*cb::parseSessionEnded(f.body), 1u);
}

TEST_F(BridgeOnPcscd, AnswersNoApduAfterTheSessionsEnd) {
  start(1);
  ASSERT_EQ(next(*link_).kind, kindOf(cb::Kind::SessionStarted));
  card_->setDelay(600);
  transmit(1, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  end(1);  // while APDU 1 is at the card
  const LinkFrame f = next(*link_);
  EXPECT_EQ(f.kind, kindOf(cb::Kind::SessionEnded)) << cb::kindName(f.kind);
  card_->setDelay(0);
  start(2);  // the card was reset and released
  EXPECT_EQ(next(*link_).kind, kindOf(cb::Kind::SessionStarted));
}

TEST_F(BridgeOnPcscd, WaitsForACardHeldByAnotherProgram) {
  PcscContext ctx;
  ASSERT_TRUE(ctx.ok()) << ctx.ok().what;
  std::vector<std::string> readers;
  ASSERT_TRUE(ctx.readers(readers));
  ASSERT_FALSE(readers.empty());
  std::unique_ptr<PcscCard> held;  // exclusive, as another program at the office might
  ASSERT_TRUE(PcscCard::connect(ctx, readers.front(), 0xFF, held));
  start(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  held->release(false);
  const LinkFrame f = next(*link_);  // within the APDU timeout (WELCOME: 5000 ms)
  ASSERT_EQ(f.kind, kindOf(cb::Kind::SessionStarted))
      << cb::kindName(f.kind) << ": "
      << (f.kind == kindOf(cb::Kind::SessionFailed) ? cb::parseSessionFailed(f.body)->text : "");
}

}  // namespace
}  // namespace dcgw::cardbridge
