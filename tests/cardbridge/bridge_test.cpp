// The card bridge end to end on its side: the real Bridge (PC/SC through a real pcscd, the
// virtual reader and the fake company card) against a gateway played by this test with the
// protocol's codec (schema/card-bridge.md): login, the card reported with its number, a whole
// generation 1 authentication relayed, the card reset between sessions, the card pulled in a
// session, a card not in the configuration never reported, and a reconnect that reports again.
#include <gtest/gtest.h>

#include <thread>

#include "gateway/cardbridge/bridge.hpp"
#include "tests/cardbridge/fake_gateway.hpp"
#include "tests/cardbridge/pcscd_harness.hpp"
#include "tests/support/fake_company_card.hpp"

namespace dcgw::cardbridge {
namespace {

namespace cb = codecs::cardbridge;
using codecs::Bytes;
using common::FrameLink;
using common::LinkFrame;
using testing::acceptLogin;
using testing::key;
using testing::Listener;
using testing::next;

const std::string kCard = "1200000000110200";

TEST(CardBridge, ServesSessionsThroughPcscAndReconnects) {
  testing::Pcscd pcscd;
  Listener gateway;
  BridgeConfig c;
  c.gateway.host = "127.0.0.1";
  c.gateway.port = gateway.port();
  c.gateway.connectTimeoutMs = 2000;
  c.ident = "office-1";
  c.key = key();
  c.cards["0011223344556677"] = kCard;
  c.readers = {testing::Pcscd::kReaderName};
  c.retryFirstMs = 50;
  c.retryMaxMs = 200;
  testing::FakeCompanyCard::Options o;
  o.port = pcscd.port();
  testing::FakeCompanyCard card(o);
  ASSERT_TRUE(card.connected()) << pcscd.log();
  testing::FakeCompanyCard::Options stranger;  // the second reader: a card not configured
  stranger.port = static_cast<std::uint16_t>(pcscd.port() + 1);
  stranger.extendedSerial = {9, 9, 9, 9, 9, 9, 9, 9};
  testing::FakeCompanyCard other(stranger);

  Bridge bridge(c);
  std::thread runner([&] { bridge.run(); });
  struct Joined {  // however the test ends (a failed ASSERT returns early)
    Bridge& b;
    std::thread& t;
    ~Joined() {
      b.stop();
      if (t.joinable()) t.join();
    }
  } joined{bridge, runner};
  auto link = gateway.accept();
  ASSERT_TRUE(link);
  ASSERT_TRUE(acceptLogin(*link)) << "the bridge's PROOF is not HMAC-SHA256 of the spec";

  // The configured card is reported with its number and serial; the other one never.
  LinkFrame f = next(*link);
  ASSERT_EQ(f.kind, static_cast<std::uint8_t>(cb::Kind::CardInserted)) << cb::kindName(f.kind);
  auto in = cb::parseCardInserted(f.body);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->card, kCard);
  EXPECT_EQ(in->extendedSerial, o.extendedSerial);
  EXPECT_EQ(in->reader.rfind("dcgw test reader 00 00", 0), 0u) << in->reader;

  // Session 1: the whole authentication, T=0 with GET RESPONSE.
  Bytes out;
  cb::appendSessionStart(out, {1, kCard, 0xFF});
  link->send(out);
  f = next(*link);
  ASSERT_EQ(f.kind, static_cast<std::uint8_t>(cb::Kind::SessionStarted)) << cb::kindName(f.kind);
  auto st = cb::parseSessionStarted(f.body);
  EXPECT_EQ(st->protocol, 0x00);
  EXPECT_EQ(codecs::toHex(st->atr), "3b021450");
  std::uint16_t number = 0;
  auto tx = [&](const std::string& hex) {
    Bytes apdu, frame;
    codecs::fromHex(hex, apdu);
    cb::appendTransmit(frame, 1, ++number, apdu);
    link->send(frame);
    LinkFrame r = next(*link);
    EXPECT_EQ(r.kind, static_cast<std::uint8_t>(cb::Kind::Transmitted)) << cb::kindName(r.kind);
    auto t = cb::parseTransmitted(r.body);
    if (!t) return std::string("?");
    EXPECT_EQ(t->number, number);
    return codecs::toHex(Bytes(t->apdu.end() - 2, t->apdu.end()));
  };
  EXPECT_EQ(tx("00a4020c020002"), "9000");
  EXPECT_EQ(tx("00b0000108"), "9000");
  EXPECT_EQ(tx("00a4040c06ff544143484f"), "9000");
  EXPECT_EQ(tx("0022c1b60a83080000000000000001"), "9000");
  EXPECT_EQ(tx("0088000010" + std::string(32, '2') + "80"), "6180");
  EXPECT_EQ(tx("00c0000080"), "9000");
  EXPECT_EQ(tx("0084000008"), "9000");
  EXPECT_EQ(tx("0082000080" + std::string(256, '3')), "9000");
  EXPECT_TRUE(card.authenticated());
  out.clear();
  cb::appendSessionEnd(out, 1, codecs::uplink::CardReason::Finished, "finished");
  link->send(out);
  f = next(*link);
  ASSERT_EQ(f.kind, static_cast<std::uint8_t>(cb::Kind::SessionEnded));
  EXPECT_EQ(*cb::parseSessionEnded(f.body), 1u);

  // A session for a card this bridge does not have.
  out.clear();
  cb::appendSessionStart(out, {2, "1200000000999999", 0xFF});
  link->send(out);
  f = next(*link);
  ASSERT_EQ(f.kind, static_cast<std::uint8_t>(cb::Kind::SessionFailed));
  EXPECT_EQ(cb::parseSessionFailed(f.body)->code, static_cast<std::uint8_t>(cb::Failure::NotHere));

  // Session 3: the card is pulled; the next APDU fails as CARD_GONE, and the card is reported.
  out.clear();
  cb::appendSessionStart(out, {3, kCard, 0xFF});
  link->send(out);
  ASSERT_EQ(next(*link).kind, static_cast<std::uint8_t>(cb::Kind::SessionStarted));
  card.remove();
  out.clear();
  cb::appendTransmit(out, 3, 1, Bytes{0x00, 0x84, 0x00, 0x00, 0x08});
  link->send(out);
  // The TRANSMIT may cross the session's end (when the bridge saw the card go first): it is
  // then answered NOT_HERE.
  bool failed = false, removed = false;
  for (int i = 0; i < 3 && !(failed && removed); ++i) {
    f = next(*link);
    if (f.kind == static_cast<std::uint8_t>(cb::Kind::SessionFailed) &&
        cb::parseSessionFailed(f.body)->code != static_cast<std::uint8_t>(cb::Failure::NotHere)) {
      failed = true;
      EXPECT_EQ(cb::parseSessionFailed(f.body)->code,
                static_cast<std::uint8_t>(cb::Failure::CardGone));
    }
    if (f.kind == static_cast<std::uint8_t>(cb::Kind::CardRemoved)) {
      removed = true;
      EXPECT_EQ(*cb::parseCardRemoved(f.body), kCard);
    }
  }
  EXPECT_TRUE(failed && removed);

  // The gateway drops the bridge; the card returns meanwhile; the bridge logs in again and
  // reports it.
  out.clear();
  cb::appendSessionEnd(out, 3, codecs::uplink::CardReason::CardRemoved, "removed");
  link->send(out);
  link.reset();
  card.insert();
  link = gateway.accept();
  ASSERT_TRUE(link);
  ASSERT_TRUE(acceptLogin(*link));
  f = next(*link);
  ASSERT_EQ(f.kind, static_cast<std::uint8_t>(cb::Kind::CardInserted)) << cb::kindName(f.kind);
  EXPECT_EQ(cb::parseCardInserted(f.body)->card, kCard);
  EXPECT_GE(bridge.stats().logins, 2u);
}

}  // namespace
}  // namespace dcgw::cardbridge
