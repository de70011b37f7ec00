// The card frames of both protocols: the uplink's (schema/uplink.md section 8) and the card
// bridges' (schema/card-bridge.md): round trips, every limit refused naming its field, and the
// worked exchanges of both documents generated here byte for byte.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>

#include "codecs/cardbridge/frame.hpp"
#include "codecs/cardbridge/node_link.hpp"
#include "codecs/uplink/card.hpp"
#include "tests/support/hex.hpp"

namespace dcgw::codecs {
namespace {

namespace up = uplink;
namespace cb = cardbridge;

using FrameView = up::FrameView;

FrameView only(const Bytes& frame) {
  auto s = up::scanFrame(frame);
  EXPECT_EQ(s.scan, up::Scan::Frame) << s.reason;
  EXPECT_EQ(s.frameBytes, frame.size());
  return s.frame;
}

using dcgw::testing::hexBytes;

std::string spaced(const Bytes& b) {
  const std::string hex = toHex(b);
  std::string s;
  for (std::size_t i = 0; i < hex.size(); i += 2) s += (i ? " " : "") + hex.substr(i, 2);
  return s;
}

std::string readSpec(const char* path) {
  std::ifstream f(std::string(DCGW_SOURCE_DIR) + "/" + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(CardFrames, UplinkRoundTrips) {
  Bytes f;
  up::appendCardOpen(f, {"1200000000110200", 0x01});
  auto open = up::parseCardOpen(only(f).body);
  ASSERT_TRUE(open.ok()) << open.error().message();
  EXPECT_EQ(open->card, "1200000000110200");
  EXPECT_EQ(open->protocol, 0x01);

  f.clear();
  up::appendCardOpened(f, 7, 0x00, hexBytes("3b021450"));
  auto opened = up::parseCardOpened(only(f).body);
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  EXPECT_EQ(opened->session, 7u);
  EXPECT_EQ(toHex(opened->atr), "3b021450");

  f.clear();
  const Bytes apdu(261, 0x00);
  up::appendApduCommand(f, 7, apdu);
  auto cmd = up::parseApduCommand(only(f).body);
  ASSERT_TRUE(cmd.ok()) << cmd.error().message();
  EXPECT_EQ(cmd->apdu.size(), 261u);

  f.clear();
  up::appendCardClosed(f, 7, up::CardReason::CardRemoved, "the card was removed");
  auto closed = up::parseCardClosed(only(f).body);
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->reason, 0x09);
  EXPECT_STREQ(up::cardReasonName(closed->reason), "CARD_REMOVED");
  EXPECT_EQ(closed->text, "the card was removed");
}

TEST(CardFrames, UplinkLimitsAreRefusedNamingTheField) {
  auto fieldOf = [](auto r) { return r.ok() ? std::string("accepted") : r.error().field; };
  // CARD_OPEN: 17 characters, a space, protocol 2, a trailing byte.
  EXPECT_EQ(fieldOf(up::parseCardOpen(hexBytes("11" + std::string(34, '3') + "ff"))), "card");
  EXPECT_EQ(fieldOf(up::parseCardOpen(hexBytes("0241"
                                               "20"
                                               "ff"))),
            "card");
  EXPECT_EQ(fieldOf(up::parseCardOpen(hexBytes("00"
                                               "02"))),
            "protocol");
  EXPECT_EQ(fieldOf(up::parseCardOpen(hexBytes("00"
                                               "ff"
                                               "00"))),
            "CARD_OPEN");
  EXPECT_EQ(fieldOf(up::parseCardOpen(hexBytes("00"
                                               "ff"))),
            "accepted");
  // APDU_COMMAND: 3 and 262 bytes, session 0.
  EXPECT_EQ(fieldOf(up::parseApduCommand(hexBytes("00000001"
                                                  "00a402"))),
            "apdu");
  EXPECT_EQ(fieldOf(up::parseApduCommand(hexBytes("00000001" + std::string(524, '0')))), "apdu");
  EXPECT_EQ(fieldOf(up::parseApduCommand(hexBytes("00000000"
                                                  "00a4020c"))),
            "session");
  // APDU_RESPONSE: 1 and 259 bytes.
  EXPECT_EQ(fieldOf(up::parseApduResponse(hexBytes("00000001"
                                                   "90"))),
            "response");
  EXPECT_EQ(fieldOf(up::parseApduResponse(hexBytes("00000001" + std::string(518, '0')))),
            "response");
  // CARD_OPENED: T=any is not a protocol a session runs, an ATR of 0 or 34 bytes.
  EXPECT_EQ(fieldOf(up::parseCardOpened(hexBytes("00000001"
                                                 "ff"
                                                 "023b00"))),
            "protocol");
  EXPECT_EQ(fieldOf(up::parseCardOpened(hexBytes("00000001"
                                                 "01"
                                                 "00"))),
            "atr");
  EXPECT_EQ(fieldOf(up::parseCardOpened(hexBytes("00000001"
                                                 "01"
                                                 "22" +
                                                 std::string(68, '3')))),
            "atr");
  EXPECT_EQ(fieldOf(up::parseCardClose(hexBytes("0000000100"))), "CARD_CLOSE");
  EXPECT_EQ(fieldOf(up::parseCardWaiting(hexBytes("0000"))), "place");
}

TEST(CardFrames, BridgeRoundTripsAndLimits) {
  Bytes f;
  cb::CardInserted in{
      "1200000000110200", {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}, "Virtual PCD 00 00"};
  cb::appendCardInserted(f, in);
  auto got = cb::parseCardInserted(only(f).body);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->card, in.card);
  EXPECT_EQ(got->extendedSerial, in.extendedSerial);
  EXPECT_EQ(got->reader, in.reader);

  f.clear();
  cb::appendTransmitted(f, 3, 9, hexBytes("9000"));
  auto t = cb::parseTransmitted(only(f).body);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->session, 3u);
  EXPECT_EQ(t->number, 9);
  EXPECT_EQ(toHex(t->apdu), "9000");

  // A reply over 258 bytes is refused naming the response, and its session can still be read
  // (the gateway ends that one session only).
  const Bytes big = hexBytes(
      "00000003"
      "0009" +
      std::string(2 * 259, 'a'));
  auto tooBig = cb::parseTransmitted(big);
  ASSERT_FALSE(tooBig.ok());
  EXPECT_EQ(tooBig.error().field, "response");
  EXPECT_EQ(cb::sessionOf(big), 3u);

  EXPECT_FALSE(cb::parseHello(hexBytes("00")).ok());
  EXPECT_FALSE(cb::parseHello(hexBytes("21" + std::string(66, '4'))).ok());  // 33 characters
  EXPECT_FALSE(cb::parseSessionEnded(hexBytes("0000000100")).ok());
  EXPECT_FALSE(cb::parseCardRemoved(hexBytes("00")).ok());
  EXPECT_TRUE(cb::parseWelcome(hexBytes("001e005a00001388"
                                        "ff"))
                  .ok());  // later members
}

// schema/uplink.md section 8.4: WELCOME's capability list after its 14 bytes.
TEST(CardFrames, WelcomeCapabilities) {
  up::Welcome w;
  w.lastSequence = 7;
  w.capabilities = {0x01, 0x02};
  Bytes f;
  up::appendWelcome(f, w);
  auto s = up::scanFrame(f);
  ASSERT_EQ(s.scan, up::Scan::Frame);
  EXPECT_EQ(s.frame.body.size(), 17u);
  EXPECT_EQ(codecs::toHex(Bytes(s.frame.body.begin() + 14, s.frame.body.end())), "020102");
  auto back = up::parseWelcome(s.frame.body);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->capabilities, (std::vector<std::uint8_t>{0x01, 0x02}));
  EXPECT_EQ(back->lastSequence, 7u);
  // None: exactly 14 bytes, as before the capabilities existed.
  f.clear();
  up::appendWelcome(f, up::Welcome{});
  EXPECT_EQ(up::scanFrame(f).frame.body.size(), 14u);
  // A count that the body does not hold is refused; later members after the list are not.
  Bytes body(14, 0);
  body.push_back(0x03);
  body.push_back(0x01);
  EXPECT_FALSE(up::parseWelcome(body).ok());
  body = Bytes(14, 0);
  for (std::uint8_t b : {0x01, 0x01, 0xEE, 0xEE}) body.push_back(b);
  auto later = up::parseWelcome(body);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->capabilities, (std::vector<std::uint8_t>{0x01}));
}

Bytes hmac(const Bytes& key, const Bytes& message) {
  unsigned char out[32];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), message.data(), message.size(), out,
       &n);
  return Bytes(out, out + n);
}

// schema/uplink.md section 8.5: a card session, byte for byte.
TEST(CardFrames, WorkedExampleOfTheUplinkSpec) {
  const Bytes atr = hexBytes("3b021450");
  std::vector<Bytes> frames(9);
  up::appendCardOpen(frames[0], {"", 0xFF});
  up::appendCardWaiting(frames[1], 1, "in use by device 87654321");
  up::appendCardOpened(frames[2], 1, 0x01, atr);
  up::appendApduCommand(frames[3], 1, hexBytes("00a4020c020002"));
  up::appendApduResponse(frames[4], 1, hexBytes("9000"));
  up::appendApduCommand(frames[5], 1, hexBytes("00b0000108"));
  up::appendApduResponse(frames[6], 1, hexBytes("00112233445566779000"));
  up::appendCardClose(frames[7], 1);
  up::appendCardClosed(frames[8], 1, up::CardReason::Finished, "finished");
  const std::string spec = readSpec("schema/uplink.md");
  for (const auto& f : frames)
    EXPECT_NE(spec.find(spaced(f)), std::string::npos) << "schema/uplink.md lacks: " << spaced(f);
}

// schema/card-bridge.md section 7: a bridge's login, its card, and the same session.
TEST(CardFrames, WorkedExampleOfTheBridgeSpec) {
  Bytes key(32);
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  const Bytes nonce(32, 0xA5);
  const std::string card = "1200000000110200";
  std::vector<Bytes> frames(14);
  cb::appendHello(frames[0], "office-1");
  cb::appendChallenge(frames[1], nonce);
  cb::appendProof(frames[2], hmac(key, cb::proofMessage(nonce, "office-1")));
  cb::appendWelcome(frames[3], cb::Welcome{});
  cb::appendCardInserted(
      frames[4], {card, {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77}, "Virtual PCD 00 00"});
  cb::appendCardStatus(frames[5], card, cb::CardStatus::Online, "online");
  cb::appendSessionStart(frames[6], {1, card, 0xFF});
  cb::appendSessionStarted(frames[7], 1, 0x01, hexBytes("3b021450"));
  cb::appendTransmit(frames[8], 1, 1, hexBytes("00a4020c020002"));
  cb::appendTransmitted(frames[9], 1, 1, hexBytes("9000"));
  cb::appendSessionEnd(frames[10], 1, up::CardReason::Finished, "finished");
  cb::appendSessionEnded(frames[11], 1);
  cb::appendCardRemoved(frames[12], card);
  cb::appendHeartbeat(frames[13]);
  const std::string spec = readSpec("schema/card-bridge.md");
  for (const auto& f : frames)
    EXPECT_NE(spec.find(spaced(f)), std::string::npos)
        << "schema/card-bridge.md lacks: " << spaced(f);
}

// schema/card-bridge.md section 9.5, byte for byte: a node link's login with the cluster key
// 0x40..0x5F, node 3, nonces of 0x11 and 0x22 bytes, and one tracker's request relayed.
TEST(NodeLinkFrames, WorkedExampleOfTheNodeLinkSpec) {
  Bytes key;
  for (int i = 0; i < 32; ++i) key.push_back(static_cast<std::uint8_t>(0x40 + i));
  cb::NodeHello h;
  h.node = 3;
  h.nonce.fill(0x11);
  Bytes f;
  cb::appendNodeHello(f, h);
  EXPECT_EQ(f, hexBytes("0105000000280000000000000003" + std::string(64, '1') + "5a25389b"));
  cb::NodeChallenge c;
  c.nonce.fill(0x22);
  c.proof = cb::gatewayNodeProof(key, h.nonce, c.nonce);
  f.clear();
  cb::appendNodeChallenge(f, c);
  EXPECT_EQ(f,
            hexBytes("010600000040" + std::string(64, '2') +
                     "910a383f5083ddeb8be6e5499e8d103dd1caa0637eb0c75ce27fb46414ccbc79ff442e6a"));
  f.clear();
  cb::appendNodeProof(f, cb::nodeProof(key, c.nonce, h.nonce, 3));
  EXPECT_EQ(f,
            hexBytes("010700000020"
                     "79c6a8e2fff5520998cdfcb8cea609b8cb0ad61d9a0acd0415bb9b1dea8c2db0fe39f070"));
  // After WELCOME each frame is sealed with the session key, numbered per sender from 0.
  const auto sk = cb::nodeSessionKey(key, h.nonce, c.nonce);
  EXPECT_EQ(Bytes(sk.begin(), sk.end()),
            hexBytes("2a56a9adbe4f591ac54a885939950dd40c7b151ef783c1d8abf9a63a18d022a8"));
  Bytes open;
  up::appendCardOpen(open, {"", 0xFF});
  f.clear();
  cb::appendTrackerOpen(f, 7, "12345678", up::scanFrame(open).frame.body);
  const Bytes trackerOpen = cb::sealNodeFrame(f, sk, 'N', 0);
  EXPECT_EQ(trackerOpen, hexBytes("015000000023000000000000000708313233343536373800ff"
                                  "cf5f890294e176c66998216b9a2e556a"
                                  "da984702"));
  // The receiver opens it (the tag checked, then cut) and parses the body.
  const auto sr = up::scanFrame(trackerOpen);
  auto body = cb::openNodeFrame(sr.frame.kind, sr.frame.body, sk, 'N', 0);
  ASSERT_TRUE(body.ok()) << body.error().message();
  auto o = cb::parseTrackerOpen(*body);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->tracker, 7u);
  EXPECT_EQ(o->serial, "12345678");
  // Replayed (another number), sent by the other side, or changed: refused.
  EXPECT_FALSE(cb::openNodeFrame(sr.frame.kind, sr.frame.body, sk, 'N', 1).ok());
  EXPECT_FALSE(cb::openNodeFrame(sr.frame.kind, sr.frame.body, sk, 'G', 0).ok());
  Bytes changed(sr.frame.body.begin(), sr.frame.body.end());
  changed[9] ^= 0x01;
  EXPECT_NE(cb::openNodeFrame(sr.frame.kind, changed, sk, 'N', 0).error().message().find("tag"),
            std::string::npos);
  Bytes opened;
  up::appendCardOpened(opened, 1, 0x00, Bytes{0x3b, 0x02, 0x14, 0x50});
  f.clear();
  cb::appendToTracker(f, 7, opened);
  EXPECT_EQ(cb::sealNodeFrame(f, sk, 'G', 0),
            hexBytes("01530000002c000000000000000701320000000a0000000100043b021450f6c1121b"
                     "a8619d43cbe147f3780b6e8d01af8d37"
                     "da6e8ed3"));
  f.clear();
  cb::appendTrackerCard(f, 7, 0x33, hexBytes("0000000100a4020c020002"));
  EXPECT_EQ(cb::sealNodeFrame(f, sk, 'N', 1),
            hexBytes("0151000000240000000000000007330000000100a4020c020002"
                     "77278f24c791fcf785b0af2d9fa0d00d"
                     "c7a4ba59"));
  Bytes resp;
  up::appendApduResponse(resp, 1, Bytes{0x90, 0x00});
  f.clear();
  cb::appendToTracker(f, 7, resp);
  EXPECT_EQ(cb::sealNodeFrame(f, sk, 'G', 1),
            hexBytes("01530000002800000000000000070134000000060000000190006b906789"
                     "59fd948ac2ebcb2eaf41697f7b2ccdc5"
                     "46aab908"));
  f.clear();
  cb::appendTrackerGone(f, 7);
  EXPECT_EQ(cb::sealNodeFrame(f, sk, 'N', 2), hexBytes("0152000000180000000000000007"
                                                       "bb135067955a500d319838f081ea6c1e"
                                                       "798a47c4"));
}

TEST(NodeLinkFrames, EachParseNamesWhatIsWrong) {
  EXPECT_EQ(
      cb::parseNodeHello(Bytes(39, 1)).error().message().find("40 bytes") != std::string::npos,
      true);
  Bytes zeroNode(40, 0);
  EXPECT_NE(cb::parseNodeHello(zeroNode).error().message().find("node"), std::string::npos);
  EXPECT_FALSE(cb::parseNodeChallenge(Bytes(63, 0)).ok());
  EXPECT_FALSE(cb::parseNodeProof(Bytes(31, 0)).ok());
  EXPECT_NE(cb::parseTrackerGone(Bytes(8, 0)).error().message().find("tracker"), std::string::npos);
  EXPECT_FALSE(cb::parseTrackerGone(Bytes{0, 0, 0, 0, 0, 0, 0, 1, 9}).ok());
  // Only APDU_COMMAND and CARD_CLOSE travel to the card's node.
  Bytes card{0, 0, 0, 0, 0, 0, 0, 1, 0x30};
  EXPECT_NE(cb::parseTrackerCard(card).error().message().find("kind"), std::string::npos);
  EXPECT_FALSE(cb::parseToTracker(Bytes{0, 0, 0, 0, 0, 0, 0, 1}).ok());  // no frame
  Bytes noSerial{0, 0, 0, 0, 0, 0, 0, 1, 0};
  EXPECT_NE(cb::parseTrackerOpen(noSerial).error().message().find("serial"), std::string::npos);
}

}  // namespace
}  // namespace dcgw::codecs
