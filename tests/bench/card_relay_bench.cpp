// What the card relay adds to an APDU's round trip (issue 12's target: under 2 ms on loopback).
//
//   build/tests/bench/card_relay_bench [APDUS]      (needs pcscd and vsmartcard-vpcd; root or a
//                                                   free /run/pcscd: it starts its own pcscd)
//
// The same APDU (GET CHALLENGE) to the same fake company card in vsmartcard's virtual reader,
// APDUS times (default 2000) each way: directly through PC/SC (SCardTransmit), as the bridge
// does it, and through the whole relay as a tracker sees it (tracker -> uplink listener -> relay
// -> card-bridge listener -> dcgw card-bridge -> PC/SC -> card, and back). Prints p50, p90, p99
// and max of both, and the difference of the medians.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include "codecs/uplink/card.hpp"
#include "gateway/cardauth/service.hpp"
#include "gateway/cardbridge/bridge.hpp"
#include "gateway/cardbridge/pcsc.hpp"
#include "gateway/common/frame_link.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "gateway/uplink/auth.hpp"
#include "gateway/uplink/listener.hpp"
#include "tests/cardbridge/pcscd_harness.hpp"
#include "tests/support/fake_company_card.hpp"

using namespace dcgw;
using codecs::Bytes;
namespace up = codecs::uplink;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kCard = "1200000000110200";
const Bytes kKey(32, 0x11);
const Bytes kApdu{0x00, 0x84, 0x00, 0x00, 0x08};

class Registry : public cardauth::Registry {
 public:
  std::int64_t location{0};
  std::optional<cardauth::CardInfo> card(const std::string& n) override {
    if (n != kCard) return std::nullopt;
    return cardauth::CardInfo{kCard, "bench", {location}, 4'102'444'800'000};
  }
  std::optional<Bytes> bridgeKey(const std::string& ident) override {
    return ident == "bench" ? std::optional(kKey) : std::nullopt;
  }
  std::optional<cardauth::DeviceCardInfo> device(const std::string&) override {
    return cardauth::DeviceCardInfo{location, kCard};
  }
};

void report(const char* what, std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    return us[std::min(us.size() - 1, static_cast<std::size_t>(q * us.size()))];
  };
  std::printf("%-34s p50 %7.1f us  p90 %7.1f us  p99 %7.1f us  max %8.1f us  (%zu APDUs)\n", what,
              at(0.5), at(0.9), at(0.99), us.back(), us.size());
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  testing::Pcscd pcscd;
  testing::FakeCompanyCard::Options o;
  o.port = pcscd.port();
  testing::FakeCompanyCard card(o);
  if (!card.connected()) {
    std::fprintf(stderr, "card_relay_bench: the fake card could not reach pcscd's reader:\n%s",
                 pcscd.log().c_str());
    return 1;
  }

  // 1. Directly through PC/SC.
  std::vector<double> direct;
  {
    std::unique_ptr<cardbridge::PcscContext> ctx;
    std::vector<cardbridge::ReaderState> states;
    std::string reader;
    for (int i = 0; i < 200 && reader.empty(); ++i) {
      if (!ctx || !ctx->ok()) ctx = std::make_unique<cardbridge::PcscContext>();
      if (!ctx->ok()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      bool changed = false;
      if (ctx->ok() && ctx->poll(states, 100, changed))
        for (const auto& s : states)
          if (s.present && s.reader.find("00 00") != std::string::npos) reader = s.reader;
    }
    std::unique_ptr<cardbridge::PcscCard> held;
    if (reader.empty() || !cardbridge::PcscCard::connect(*ctx, reader, 0xFF, held)) {
      std::fprintf(stderr, "card_relay_bench: no card in the test reader\n");
      return 1;
    }
    Bytes r;
    for (int i = 0; i < n; ++i) {
      const auto t = Clock::now();
      held->transmit(kApdu, r);
      direct.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
    }
    held->release(false);
  }

  // 2. Through the relay.
  const std::string db =
      (std::filesystem::temp_directory_path() / "dcgw-card-relay-bench.db").string();
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db + s);
  std::vector<double> relayed;
  double atCardUs = 0;     // the mean SCardTransmit of the relayed APDUs, measured by the bridge
  double atGatewayUs = 0;  // TRANSMIT to TRANSMITTED, measured by the gateway's relay
  {
    store::SqliteStore store(db);
    Registry registry;
    registry.location = *store.createLocation({0, "Depot", "", {}});
    store.upsertDevice({"12345678", registry.location, "", kKey});
    common::SystemClock clock;
    ingest::Ingestor ingestor(store, nullptr);
    cardauth::CardAuthOptions co;
    co.bridges.port = 0;
    cardauth::CardAuth cardAuth(registry, clock, co, nullptr);
    uplink::ListenerOptions uo;
    uo.port = 0;
    uplink::Listener listener(store, ingestor, clock, uo);
    listener.registerChannel(0x30, 0x36, cardAuth);
    listener.start();
    cardAuth.start(listener.outbox());
    cardbridge::BridgeConfig bc;
    bc.gateway.port = cardAuth.bridgePort();
    bc.ident = "bench";
    bc.key = kKey;
    bc.cards["0011223344556677"] = kCard;
    bc.readers = {testing::Pcscd::kReaderName};
    spdlog::set_level(spdlog::level::warn);
    cardbridge::Bridge bridge(bc);
    std::thread bt([&] { bridge.run(); });
    for (int i = 0; i < 400 && cardAuth.relay().stats().cardsOnline == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));

    common::LinkOptions lo;
    lo.port = listener.port();
    std::string why;
    auto link = common::FrameLink::open(lo, why);
    common::LinkFrame f;
    Bytes b;
    up::appendHello(b, "12345678");
    link->send(b);
    link->next(5000, f, why);
    b.clear();
    up::appendProof(b, uplink::computeProof(kKey, f.body, "12345678"));
    link->send(b);
    link->next(5000, f, why);  // WELCOME
    b.clear();
    up::appendCardOpen(b, {"", 0xFF});
    link->send(b);
    std::uint32_t session = 0;
    while (session == 0 && link->next(10'000, f, why) == common::FrameLink::Got::Frame)
      if (f.kind == static_cast<std::uint8_t>(up::CardKind::CardOpened))
        session = up::parseCardOpened(f.body)->session;
    if (session == 0) {
      std::fprintf(stderr, "card_relay_bench: no card session opened\n");
    } else {
      const auto before = bridge.stats();
      const std::uint64_t gwSum0 = cardAuth.stats().apduSumUs,
                          gwCount0 = cardAuth.stats().apduCount;
      for (int i = 0; i < n; ++i) {
        b.clear();
        up::appendApduCommand(b, session, kApdu);
        const auto t = Clock::now();
        link->send(b);
        if (link->next(10'000, f, why) != common::FrameLink::Got::Frame ||
            f.kind != static_cast<std::uint8_t>(up::CardKind::ApduResponse))
          break;
        relayed.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
      }
      const auto after = bridge.stats();
      const std::uint64_t gwCount = cardAuth.stats().apduCount - gwCount0;
      if (gwCount > 0)
        atGatewayUs =
            static_cast<double>(cardAuth.stats().apduSumUs - gwSum0) / static_cast<double>(gwCount);
      if (after.transmits > before.transmits)
        atCardUs = static_cast<double>(after.transmitUsSum - before.transmitUsSum) /
                   static_cast<double>(after.transmits - before.transmits);
    }
    link.reset();
    bridge.stop();
    bt.join();
    listener.stop();
    cardAuth.stop();
    ingestor.stop();
  }
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db + s);
  if (relayed.empty()) return 1;
  report("direct PC/SC (SCardTransmit)", direct);
  report("through the relay (tracker's view)", relayed);
  double mean = 0;
  for (double us : relayed) mean += us;
  mean /= static_cast<double>(relayed.size());
  // The card's own time (vpcd's virtual reader is slow and noisy) is taken out APDU by APDU:
  // what is left is the relay's work (the tracker's uplink, the gateway, the bridge's link).
  const double added = mean - atCardUs;
  std::printf(
      "mean round trip %.1f us; gateway -> card -> gateway %.1f us; at the card (the bridge's "
      "SCardTransmit) %.1f us: the relay adds %.1f us per APDU (target: under 2000 us)\n",
      mean, atGatewayUs, atCardUs, added);
  return added < 2000 ? 0 : 1;
}
