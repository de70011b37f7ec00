// The uplink's sequence rules end to end (schema/uplink.md sections 4-6): a real listener,
// ingestor and SQLite store on loopback, a raw tracker. The wrap after 4,294,967,295, a jump
// refused with SEQUENCE_OUT_OF_RANGE and no ACK, an admin's reset of the mark (the session is
// closed with SEQUENCE_RESET), and the invariant: an ACK only ever covers stored packets.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "codecs/uplink/frame.hpp"
#include "gateway/common/change_feed.hpp"
#include "gateway/config/config_file.hpp"
#include "gateway/control/devices.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/sqlite/db.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "gateway/uplink/listener.hpp"
#include "tests/support/listener_fixture.hpp"
#include "tests/support/packets.hpp"
#include "tests/support/uplink_client.hpp"

namespace dcgw::uplink {
namespace {

namespace up = codecs::uplink;
using Client = dcgw::testing::UplinkClient;
using dcgw::testing::positionalUpdate;
constexpr std::uint8_t kAck = static_cast<std::uint8_t>(up::Kind::Ack);
constexpr std::uint8_t kError = static_cast<std::uint8_t>(up::Kind::Error);

class UplinkSequenceTest : public testing::ListenerFixture<Listener, ListenerOptions> {
 protected:
  UplinkSequenceTest() : ListenerFixture("dcgw-useq") {}
  void SetUp() override {
    ASSERT_TRUE(
        store_->upsertDevice({"12345678", store_.depot(), "AB12CDE", testing::kUplinkTestKey})
            .ok());
  }
  // With the change feed (an admin's reset reaches the session) and the sequence rules.
  void start() {
    ingestor_ = std::make_unique<ingest::Ingestor>(*store_, &feed_, 512, options_.sequence);
    listener_ = std::make_unique<Listener>(*store_, *ingestor_, clock_, options_, &feed_);
    listener_->start();
  }
  // The packets stored, by the n of positionalUpdate(n) they were made with.
  std::multiset<std::uint32_t> stored() {
    std::multiset<std::uint32_t> out;
    auto s = store_->db().prepare("SELECT data FROM packets ORDER BY id");
    while (s.step()) {
      const codecs::Bytes p = s.blob(0);
      const std::uint32_t t = std::uint32_t{p.at(2)} << 24 | std::uint32_t{p.at(3)} << 16 |
                              std::uint32_t{p.at(4)} << 8 | p.at(5);
      out.insert(t - 1'780'000'000u);
    }
    return out;
  }
  // Reads frames until ACK `last`; returns the ACKs seen (every frame must be an ACK).
  static std::vector<std::uint32_t> acksUntil(Client& c, std::uint32_t last) {
    std::vector<std::uint32_t> acks;
    for (;;) {
      auto [kind, body] = c.next();
      EXPECT_EQ(kind, kAck) << "waiting for ACK " << last;
      if (kind != kAck) return acks;
      auto a = up::parseAck(body);
      EXPECT_TRUE(a.ok());
      if (!a) return acks;
      acks.push_back(*a);
      if (*a == last) return acks;
    }
  }

  common::ChangeFeed feed_;
};

// The finding: after 4294967295 every packet was answered ACK 4294967295 and dropped.
TEST_F(UplinkSequenceTest, SequencesWrapAfterTheLargestAndEveryPacketIsStored) {
  start();
  {
    Client c(listener_->port());
    EXPECT_EQ(c.login("12345678").lastSequence, 0u);
    c.sendPacket(4294967295u, positionalUpdate(1));
    c.sendPacket(1, positionalUpdate(2));
    c.sendPacket(2, positionalUpdate(3));
    c.sendPacket(100, positionalUpdate(4));
    acksUntil(c, 100);
  }
  EXPECT_EQ(stored(), (std::multiset<std::uint32_t>{1, 2, 3, 4}));
  Client again(listener_->port());
  EXPECT_EQ(again.login("12345678").lastSequence, 100u);
  again.sendPacket(4294967295u, positionalUpdate(1));  // a resend from before the wrap
  again.sendPacket(101, positionalUpdate(5));
  acksUntil(again, 101);
  EXPECT_EQ(stored(), (std::multiset<std::uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(listener_->stats().duplicates.load(), 1u);
}

TEST_F(UplinkSequenceTest, AJumpIsRefusedAfterTheEarlierPacketsAreAcknowledgedAndNothingAfter) {
  options_.sequence = store::SequenceRules{1024, 1000};
  start();
  {
    Client c(listener_->port());
    c.login("12345678");
    c.sendPacket(5, positionalUpdate(5));
    c.sendPacket(6, positionalUpdate(6));
    c.sendPacket(5000, positionalUpdate(50));  // 4994 ahead of 6: more than maxJump
    c.sendPacket(7, positionalUpdate(7));      // after the refused one: not taken
    std::uint32_t lastAck = 0;
    for (;;) {
      auto [kind, body] = c.next();
      if (kind != kAck) {
        ASSERT_EQ(kind, kError);
        auto e = up::parseError(body);
        ASSERT_TRUE(e.ok());
        EXPECT_EQ(e->code, static_cast<std::uint8_t>(up::ErrorCode::SequenceOutOfRange));
        EXPECT_NE(e->text.find("sequence 5000"), std::string::npos) << e->text;
        EXPECT_NE(e->text.find("last sequence stored is 6"), std::string::npos) << e->text;
        EXPECT_NE(e->text.find("7 to 1006"), std::string::npos) << e->text;
        break;
      }
      lastAck = *up::parseAck(body);
    }
    EXPECT_EQ(lastAck, 6u) << "the packets before the refused one are acknowledged first";
    EXPECT_TRUE(c.closedByPeer());
  }
  EXPECT_EQ(stored(), (std::multiset<std::uint32_t>{5, 6}));
  EXPECT_EQ(listener_->stats().sequenceRefused.load(), 1u);
  // The documented restart point: WELCOME's lastSequence + 1.
  Client c(listener_->port());
  EXPECT_EQ(c.login("12345678").lastSequence, 6u);
  c.sendPacket(7, positionalUpdate(50));
  acksUntil(c, 7);
  EXPECT_EQ(stored(), (std::multiset<std::uint32_t>{5, 6, 50}));
}

TEST_F(UplinkSequenceTest, AnAdminResetClosesTheSessionAndTheTrackerStartsAgain) {
  start();
  Client c(listener_->port());
  c.login("12345678");
  c.sendPacket(70000, positionalUpdate(1));
  acksUntil(c, 70000);
  // A replacement unit with the same serial starts at 1: far behind the mark, so refused (not
  // acknowledged and dropped) until an admin resets the mark.
  {
    Client other(listener_->port());
    other.login("12345678");  // replaces c
    other.sendPacket(1, positionalUpdate(2));
    other.expectError(up::ErrorCode::SequenceOutOfRange);
  }
  Client unit(listener_->port());
  EXPECT_EQ(unit.login("12345678").lastSequence, 70000u);
  control::Devices devices(control::Context{*store_, clock_, &feed_});
  control::DeviceChanges reset;
  reset.lastSequence = 0;
  auto done = devices.update(control::Actor{"alice", "admin"}, "12345678", reset);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->lastSequence, 0u);
  EXPECT_NE(unit.expectError(up::ErrorCode::SequenceReset).find("log in again"), std::string::npos);
  const auto audit = store_->audit(INT64_MAX, 1);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].action, "device.reset-sequence");
  EXPECT_EQ(audit[0].actor, "alice");
  EXPECT_NE(audit[0].before->find("\"lastSequence\":70000"), std::string::npos);
  EXPECT_NE(audit[0].after->find("\"lastSequence\":0"), std::string::npos);

  Client fresh(listener_->port());
  EXPECT_EQ(fresh.login("12345678").lastSequence, 0u);
  fresh.sendPacket(1, positionalUpdate(2));
  fresh.sendPacket(2, positionalUpdate(3));
  acksUntil(fresh, 2);
  EXPECT_EQ(stored(), (std::multiset<std::uint32_t>{1, 2, 3}));
}

// The invariant, by a randomized tracker: resends, gaps, the wrap, out-of-range jumps and
// reconnects. Every sequence an ACK covers is stored, and nothing is stored twice.
TEST_F(UplinkSequenceTest, EveryAcknowledgedSequenceIsStored) {
  options_.sequence = store::SequenceRules{4096, 5000};
  start();
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  auto after = [](std::uint32_t s, std::uint32_t by) {
    for (std::uint32_t i = 0; i < by; ++i) s = s == 0xFFFF'FFFFu ? 1 : s + 1;
    return s;
  };
  std::map<std::uint32_t, std::uint32_t> packetOf;  // sequence -> the n of its packet
  std::uint32_t nextN = 1;
  std::set<std::uint32_t> acknowledged;
  std::vector<std::uint32_t> resendable;       // acknowledged ones
  std::uint32_t counter = 0xFFFF'FFFFu - 400;  // the next new sequence: the wrap comes soon
  bool renumber = false;
  int refusals = 0;
  for (int link = 0; link < 14; ++link) {
    Client c(listener_->port());
    const std::uint32_t mark = c.login("12345678").lastSequence;
    if (renumber) counter = after(mark, 1);
    renumber = false;
    std::vector<std::uint32_t> sent;
    std::uint32_t refusedAt = 0;
    const int n = 20 + static_cast<int>(pick(40));
    auto sendNew = [&](std::uint32_t s) {
      if (!packetOf.count(s)) packetOf[s] = nextN++;
      c.sendPacket(s, positionalUpdate(packetOf[s]));
      sent.push_back(s);
    };
    for (int i = 0; i < n && refusedAt == 0; ++i) {
      const std::uint32_t r = pick(100);
      if (r < 15 && !resendable.empty()) {
        const std::size_t from = resendable.size() > 40 ? resendable.size() - 40 : 0;
        sendNew(resendable[from + pick(static_cast<std::uint32_t>(resendable.size() - from))]);
      } else if (r < 19 && link > 0) {
        refusedAt = after(counter, 5000 + 1 + pick(100000));  // beyond maxJump
        sendNew(refusedAt);
        sendNew(after(refusedAt, 1));  // after the refusal: never acknowledged
      } else {
        if (r < 35) counter = after(counter, 1 + pick(60));  // a gap
        sendNew(counter);
        counter = after(counter, 1);
      }
    }
    if (refusedAt == 0) {
      sendNew(counter);  // the last, to wait for its ACK
      counter = after(counter, 1);
    }
    // Every ACK covers what was sent on this connection up to its sequence.
    std::size_t covered = 0;
    std::uint32_t lastAck = mark;
    for (;;) {
      auto [kind, body] = c.next();
      if (kind == kError) {
        auto e = up::parseError(body);
        ASSERT_TRUE(e.ok());
        EXPECT_EQ(e->code, static_cast<std::uint8_t>(up::ErrorCode::SequenceOutOfRange)) << e->text;
        EXPECT_NE(refusedAt, 0u) << e->text;
        break;
      }
      ASSERT_EQ(kind, kAck) << "link " << link;
      const std::uint32_t a = *up::parseAck(body);
      if (a == lastAck) {  // the mark, or a repeat (a resend answered at once): nothing new
        if (a != 0) acknowledged.insert(a);
        continue;
      }
      lastAck = a;
      std::size_t j = sent.size();
      for (std::size_t k = sent.size(); k-- > covered;)
        if (sent[k] == a) {
          j = k;
          break;
        }
      ASSERT_LT(j, sent.size()) << "ACK " << a << " of nothing sent on link " << link;
      for (std::size_t k = covered; k <= j; ++k) {
        EXPECT_NE(sent[k], refusedAt) << "a refused sequence was acknowledged";
        if (refusedAt != 0) {
          EXPECT_NE(sent[k], after(refusedAt, 1));
        }
        acknowledged.insert(sent[k]);
        resendable.push_back(sent[k]);
      }
      covered = j + 1;
      if (refusedAt == 0 && covered == sent.size()) break;
    }
    if (refusedAt != 0) {
      ++refusals;
      renumber = true;
    }
  }
  const auto all = stored();
  const std::set<std::uint32_t> distinct(all.begin(), all.end());
  EXPECT_EQ(all.size(), distinct.size()) << "a packet was stored twice";
  for (std::uint32_t s : acknowledged)
    EXPECT_EQ(distinct.count(packetOf.at(s)), 1u) << "ACKed sequence " << s << " is not stored";
  EXPECT_GT(acknowledged.size(), 100u);
  EXPECT_LT(counter, 0xFFFF'FFFFu - 400) << "the run wrapped";
  RecordProperty("refusals", refusals);
}

// uplink.sequence in etc/dcgw.json: nonsense is refused with the setting named.
TEST(UplinkSequenceConfig, NonsenseSettingsAreRefusedByName) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("dcgw-useq-config-" + std::to_string(::getpid()) + ".json"))
                               .string();
  auto load = [&](const std::string& uplink) {
    std::ofstream(path) << R"({"uplink":)" << uplink << "}";
    return config::uplinkOptions(path);
  };
  auto refused = [&](const std::string& uplink, const std::string& field,
                     const std::string& words) {
    auto o = load(uplink);
    ASSERT_FALSE(o.ok()) << uplink;
    EXPECT_EQ(o.error().field, field) << uplink;
    EXPECT_NE(o.error().expected.find(words), std::string::npos) << o.error().message();
  };
  auto fine = load("{}");
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(fine->sequence.duplicateWindow, 65536u);
  EXPECT_EQ(fine->sequence.maxJump, 1'000'000u);
  auto set = load(R"({"window":16,"sequence":{"duplicateWindow":16,"maxJump":10}})");
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_EQ(set->sequence.duplicateWindow, 16u);
  EXPECT_EQ(set->sequence.maxJump, 10u);
  refused(R"({"sequence":5})", "uplink.sequence", "an object");
  refused(R"({"sequence":{"maxjump":5}})", "uplink.sequence.maxjump", "duplicateWindow, maxJump");
  refused(R"({"sequence":{"maxJump":0}})", "uplink.sequence.maxJump", "from 1 to 2147483647");
  refused(R"({"sequence":{"maxJump":"9"}})", "uplink.sequence.maxJump", "from 1 to 2147483647");
  refused(R"({"sequence":{"duplicateWindow":4294967296}})", "uplink.sequence.duplicateWindow",
          "from 1 to 2147483647");
  refused(R"({"sequence":{"duplicateWindow":100}})", "uplink.sequence",
          "at least uplink.window (1024)");
  refused(R"({"sequence":{"maxJump":2147483647}})", "uplink.sequence", "half the sequence space");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace dcgw::uplink
