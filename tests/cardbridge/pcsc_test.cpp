// The card bridge's PC/SC layer against a real pcscd with vsmartcard's virtual reader and the
// tests' fake company card: readers and cards seen coming and going, the extended serial number
// read from EF_ICC, the whole generation 1 authentication transmitted in order (T=0 with
// GET RESPONSE, the 6A88 certificate fallback), a reset, and a card pulled in a session.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "gateway/cardbridge/pcsc.hpp"
#include "tests/cardbridge/pcscd_harness.hpp"
#include "tests/support/fake_company_card.hpp"
#include "tests/support/hex.hpp"

namespace dcgw::cardbridge {
namespace {

using codecs::Bytes;
using testing::FakeCompanyCard;

// Polls until the first test reader's card is present (or not): its state.
ReaderState waitFor(PcscContext& ctx, bool present) {
  std::vector<ReaderState> states;
  for (int i = 0; i < 100; ++i) {
    bool changed = false;
    EXPECT_TRUE(ctx.poll(states, 100, changed));
    for (const auto& s : states)
      if (s.reader.rfind(testing::Pcscd::kReaderName, 0) == 0 &&
          s.reader.find("00 00") != std::string::npos && s.present == present)
        return s;
  }
  ADD_FAILURE() << "the test reader's card never became " << (present ? "present" : "absent");
  return {};
}

constexpr auto hex = &dcgw::testing::hexBytes;

std::string sw(const Bytes& r) {
  return r.size() < 2 ? "(" + std::to_string(r.size()) + " bytes)"
                      : codecs::toHex(Bytes(r.end() - 2, r.end()));
}

TEST(Pcsc, AuthenticatesThroughPcscdAndSeesTheCardLeave) {
  testing::Pcscd pcscd;
  std::unique_ptr<PcscContext> ctx;
  for (int i = 0; i < 100; ++i) {  // pcscd takes a moment to start
    ctx = std::make_unique<PcscContext>();
    std::vector<std::string> readers;
    if (ctx->ok() && ctx->readers(readers) && readers.size() >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(ctx && ctx->ok()) << ctx->ok().what << "\n" << pcscd.log();
  waitFor(*ctx, false);

  FakeCompanyCard::Options o;
  o.port = pcscd.port();
  o.certificateFirst = true;
  FakeCompanyCard card(o);
  ASSERT_TRUE(card.connected());
  const ReaderState st = waitFor(*ctx, true);
  EXPECT_EQ(codecs::toHex(st.atr), "3b021450");

  std::unique_ptr<PcscCard> held;
  ASSERT_TRUE(PcscCard::connect(*ctx, st.reader, 0xFF, held)) << pcscd.log();
  EXPECT_EQ(held->protocol(), 0x00);  // the ATR offers T=0 only
  std::array<std::uint8_t, 8> esn{};
  ASSERT_TRUE(readExtendedSerial(*held, esn));
  EXPECT_EQ(esn, o.extendedSerial);

  Bytes r;
  auto tx = [&](const std::string& apdu) {
    PcscStatus s = held->transmit(hex(apdu), r);
    EXPECT_TRUE(s) << s.what;
    return sw(r);
  };
  EXPECT_EQ(tx("00a4040c06ff544143484f"), "9000");             // SELECT the tachograph application
  EXPECT_EQ(tx("0022c1b60a83080000000000000001"), "6a88");     // MSE:SET: no certificate yet
  EXPECT_EQ(tx("002a00ae10" + std::string(32, '1')), "9000");  // PSO: VERIFY CERTIFICATE
  EXPECT_EQ(tx("0022c1b60a83080000000000000001"), "9000");
  EXPECT_EQ(tx("0088000010" + std::string(32, '2') + "80"), "6180");  // T=0: 128 bytes wait
  EXPECT_EQ(tx("00c0000080"), "9000");
  EXPECT_EQ(r.size(), 130u);
  EXPECT_EQ(tx("0084000008"), "9000");
  EXPECT_EQ(r.size(), 10u);
  EXPECT_EQ(tx("0082000080" + std::string(256, '3')), "9000");
  EXPECT_TRUE(card.authenticated());

  // A warm reset: the card forgets, the next step out of order is refused.
  ASSERT_TRUE(held->reset());
  Bytes atr;
  ASSERT_TRUE(held->atr(atr));
  EXPECT_EQ(codecs::toHex(atr), "3b021450");
  EXPECT_EQ(tx("0084000008"), "6985");

  // The card pulled in the session: a transmit fails or answers under 2 bytes.
  card.remove();
  const PcscStatus gone = held->transmit(hex("00a4020c020002"), r);
  EXPECT_TRUE(!gone || r.size() < 2) << "a transmit to a removed card answered " << sw(r);
  waitFor(*ctx, false);
}

}  // namespace
}  // namespace dcgw::cardbridge
