// `dcgw simulate`: the packet pool, the outbox bookkeeping of ACK/REJECT/resend, the summary and
// the argument errors (the network loop is exercised against the real gateway, not here).
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "codecs/packets/packet.hpp"
#include "gateway/simulate/packet_mix.hpp"
#include "gateway/simulate/simulator.hpp"

namespace dcgw::simulate {
namespace {

TEST(PacketMix, EveryPacketDecodes) {
  PacketMix mix;
  ASSERT_EQ(mix.size(), MixSettings{}.poolSize);
  for (std::size_t i = 0; i < mix.size(); ++i) {
    auto p = codecs::decodePacket(mix.packet(i));
    ASSERT_TRUE(p.ok()) << i << ": " << p.error().message();
  }
}

TEST(PacketMix, IsMostlyTrackingWithEveryOtherFamily) {
  PacketMix mix;
  std::set<int> types;
  std::size_t tracking = 0;
  for (std::size_t i = 0; i < mix.size(); ++i) {
    types.insert(mix.packet(i)[0]);
    if (mix.packet(i)[0] == 0x47) ++tracking;
  }
  EXPECT_GT(tracking * 2, mix.size());
  // Seed 004: alerts, new driver, vehicle CAN, tracking, time source, tachograph mode and DDS,
  // odometer, sensors, file summary, clocking, tachograph mode (0x6D).
  for (int t : {0x61, 0x44, 0x46, 0x47, 0x49, 0x4D, 0x4F, 0x53, 0x66, 0x6B, 0x6D})
    EXPECT_TRUE(types.count(t)) << "type 0x" << std::hex << t;
}

TEST(PacketMix, TrackingMovesAlongARouteAndTimeAdvances) {
  MixSettings s;
  s.endSeconds = 1'800'000'000;
  PacketMix mix(s);
  std::set<std::pair<std::uint32_t, std::uint32_t>> positions;
  std::uint32_t lastTime = 0;
  for (std::size_t i = 0; i < mix.size(); ++i) {
    auto p = mix.packet(i);
    if (p[0] != 0x47 || p[1] != 0x00) continue;
    auto be32 = [&](std::size_t o) {
      return std::uint32_t{p[o]} << 24 | std::uint32_t{p[o + 1]} << 16 |
             std::uint32_t{p[o + 2]} << 8 | p[o + 3];
    };
    positions.insert({be32(6), be32(10)});  // seed 004 section 12: latitude, longitude
    EXPECT_GT(be32(2), lastTime);
    EXPECT_LE(be32(2), 1'800'000'000u);
    lastTime = be32(2);
  }
  EXPECT_GT(positions.size(), mix.size() / 4);
}

TEST(PacketMix, InvalidPacketsFailToDecode) {
  PacketMix mix;
  for (std::size_t i = 0; i < mix.size(); ++i)
    EXPECT_FALSE(codecs::decodePacket(mix.invalidPacket(i)).ok()) << i;
}

TEST(PacketMix, InvalidEverySelectsEveryNthPacket) {
  EXPECT_FALSE(isInvalidPacket(5, 0));
  EXPECT_FALSE(isInvalidPacket(4, 5));
  EXPECT_TRUE(isInvalidPacket(5, 5));
  EXPECT_TRUE(isInvalidPacket(10, 5));
  EXPECT_TRUE(isInvalidPacket(1, 1));
}

TEST(Outbox, CumulativeAckDropsEverythingUpToIt) {
  Outbox box;
  for (std::uint32_t s = 10; s < 15; ++s) box.add(s, s, false);
  for (int i = 0; i < 5; ++i) {
    ASSERT_NE(box.nextUnsent(), nullptr);
    EXPECT_FALSE(box.markSent(100 + i));
  }
  EXPECT_EQ(box.inFlight(), 5u);
  std::vector<std::uint32_t> acked;
  EXPECT_EQ(box.ack(12, [&](const Outbox::Entry& e) { acked.push_back(e.sequence); }), 3u);
  EXPECT_EQ(acked, (std::vector<std::uint32_t>{10, 11, 12}));
  EXPECT_EQ(box.inFlight(), 2u);
  EXPECT_EQ(box.live(), 2u);
}

TEST(Outbox, RejectedPacketIsNeitherAckedNorResent) {
  Outbox box;
  for (std::uint32_t s = 1; s <= 4; ++s) box.add(s, 0, s == 2);
  while (box.nextUnsent()) box.markSent(1);
  ASSERT_NE(box.reject(2), nullptr);
  EXPECT_EQ(box.reject(2), nullptr);  // twice is once
  EXPECT_EQ(box.inFlight(), 3u);
  EXPECT_EQ(box.live(), 3u);
  // The connection drops before any ACK: 1, 3 and 4 are resent, 2 is not.
  box.restart();
  std::vector<std::uint32_t> resent;
  while (Outbox::Entry* e = box.nextUnsent()) {
    resent.push_back(e->sequence);
    EXPECT_TRUE(box.markSent(2));
  }
  EXPECT_EQ(resent, (std::vector<std::uint32_t>{1, 3, 4}));
  std::size_t callbacks = 0;
  EXPECT_EQ(box.ack(4, [&](const Outbox::Entry&) { ++callbacks; }), 3u);
  EXPECT_EQ(callbacks, 3u);
  EXPECT_EQ(box.live(), 0u);
  EXPECT_FALSE(box.hasUnsent());
}

TEST(Outbox, AckCoversOnlyWhatWasSentOnThisConnection) {
  Outbox box;
  box.add(1, 0, false);
  box.add(2, 0, false);
  box.markSent(1);
  EXPECT_EQ(box.ack(2, [](const Outbox::Entry&) {}), 1u);
  EXPECT_TRUE(box.hasUnsent());
  EXPECT_EQ(box.nextUnsent()->sequence, 2u);
}

TEST(Outbox, AckCoversTheWrapAfterTheLargestSequence) {
  Outbox box;
  for (std::uint32_t s : {4294967294u, 4294967295u, 1u, 2u}) box.add(s, 0, false);
  while (box.nextUnsent()) box.markSent(0);
  std::vector<std::uint32_t> acked;
  EXPECT_EQ(box.ack(1, [&](const Outbox::Entry& e) { acked.push_back(e.sequence); }), 3u);
  EXPECT_EQ(acked, (std::vector<std::uint32_t>{4294967294u, 4294967295u, 1u}));
  EXPECT_EQ(box.ack(4294967295u, [](const Outbox::Entry&) {}), 0u) << "an old ACK covers nothing";
  ASSERT_NE(box.reject(2), nullptr);
  EXPECT_EQ(box.live(), 0u);
}

TEST(Outbox, RenumberFollowsTheGatewaysMarkAcrossTheWrap) {
  Outbox box;
  for (std::uint32_t s = 100; s < 103; ++s) box.add(s, s, false);
  std::uint32_t next = 4294967295u;
  box.renumber(next);
  EXPECT_EQ(next, 3u);
  std::vector<std::uint32_t> order;
  while (Outbox::Entry* e = box.nextUnsent()) {
    order.push_back(e->sequence);
    box.markSent(0);
  }
  EXPECT_EQ(order, (std::vector<std::uint32_t>{4294967295u, 1u, 2u}));
}

TEST(Outbox, GrowsPastItsFirstRingAndKeepsOrder) {
  Outbox box;
  std::uint32_t next = 1;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 20; ++i) box.add(next++, 0, false);
    while (box.nextUnsent()) box.markSent(0);
    std::uint32_t expect = next - 20 - (round == 0 ? 0 : 3);
    box.ack(next - 4, [&](const Outbox::Entry& e) { EXPECT_EQ(e.sequence, expect++); });
  }
  EXPECT_EQ(box.live(), 3u);
}

TEST(Summary, PercentilesAreNearestRank) {
  std::vector<std::uint32_t> us;
  for (std::uint32_t i = 1; i <= 100; ++i) us.push_back(i * 1000);
  EXPECT_DOUBLE_EQ(percentileMs(us, 50), 50.0);
  EXPECT_DOUBLE_EQ(percentileMs(us, 99), 99.0);
  std::vector<std::uint32_t> none;
  EXPECT_DOUBLE_EQ(percentileMs(none, 99), 0.0);
}

TEST(Summary, JsonHasTheDocumentedKeys) {
  Summary s;
  s.devices = 2;
  s.loggedIn = 2;
  s.sent = 10;
  s.acknowledged = 8;
  s.rejected = 1;
  s.errors["REPLACED"] = 1;
  s.p50Ms = 1.23456;
  s.seconds = 2;
  std::ostringstream out;
  printSummary(s, true, out);
  EXPECT_EQ(
      out.str(),
      R"({"devices":2,"loggedIn":2,"sent":10,"resent":0,"acknowledged":8,"rejected":1,"refused":1,)"
      R"("outstanding":1,"reconnects":0,"errors":{"REPLACED":1},)"
      R"("latencyMs":{"p50":1.235,"p99":0,"max":0},"ackRate":4,"seconds":2})"
      "\n");
}

TEST(Summary, TextHasOneLinePerFigure) {
  Summary s;
  s.devices = 1;
  std::ostringstream out;
  printSummary(s, false, out);
  const std::string text = out.str();
  for (const char* line : {"devices: 1\n", "logged in: 0\n", "outstanding: 0\n", "errors: none\n",
                           "ack latency: p50 0.000 ms, p99 0.000 ms, max 0.000 ms\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line;
}

int simulate(const std::vector<std::string>& args, std::string& err) {
  std::ostringstream out, e;
  int rc = runSimulate(args, out, e);
  err = e.str();
  return rc;
}

TEST(SimulateArgs, UnknownOptionIsRefused) {
  std::string err;
  EXPECT_EQ(simulate({"--frobnicate", "3"}, err), 2);
  EXPECT_NE(err.find("--frobnicate"), std::string::npos) << err;
}

TEST(SimulateArgs, BadNumbersNameTheOptionAndTheValue) {
  for (const auto& [option, value] :
       std::vector<std::pair<std::string, std::string>>{{"--rate", "fast"},
                                                        {"--devices", "0"},
                                                        {"--port", "70000"},
                                                        {"--window", "-1"},
                                                        {"--count", "12x"},
                                                        {"--duration", ""},
                                                        {"--drop-every", "1.5"},
                                                        {"--connect-rate", "0"},
                                                        {"--reconnect-every", "0"}}) {
    std::string err;
    EXPECT_EQ(simulate({option, value}, err), 2) << option;
    EXPECT_NE(err.find(option), std::string::npos) << err;
    EXPECT_NE(err.find("'" + value + "'"), std::string::npos) << err;
  }
}

TEST(SimulateArgs, MissingValueIsRefused) {
  std::string err;
  EXPECT_EQ(simulate({"--host"}, err), 2);
  EXPECT_NE(err.find("--host"), std::string::npos) << err;
}

TEST(SimulateArgs, SerialsLongerThanEightCharactersAreRefused) {
  std::string err;
  EXPECT_EQ(simulate({"--first-serial", "99999999", "--devices", "2"}, err), 2);
  EXPECT_NE(err.find("--first-serial"), std::string::npos) << err;
}

TEST(SimulateArgs, BadKeyIsRefused) {
  std::string err;
  EXPECT_EQ(simulate({"--key", "abcd"}, err), 2);
  EXPECT_NE(err.find("--key"), std::string::npos) << err;
}

TEST(SimulateArgs, DefaultsAreTheDocumentedOnes) {
  auto o = parseOptions({});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, 7700);
  EXPECT_EQ(o->devices, 1u);
  EXPECT_EQ(o->firstSerial, 12345678u);
  EXPECT_EQ(o->key.size(), 32u);
  EXPECT_EQ(o->rate, 10);
  EXPECT_EQ(o->durationSeconds, 10);
  EXPECT_FALSE(o->count);
  EXPECT_EQ(o->window, 64u);
  EXPECT_EQ(o->connectRate, 5000);
  EXPECT_EQ(o->drainSeconds, 10);
}

TEST(SimulateArgs, LocationGoesWithProvisionDb) {
  std::string err;
  EXPECT_EQ(simulate({"--provision-db", "/nonexistent/x.db"}, err), 2);
  EXPECT_NE(err.find("--location"), std::string::npos) << err;
}

}  // namespace
}  // namespace dcgw::simulate
