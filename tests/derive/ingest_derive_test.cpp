// The gateway's own packets through the Ingestor, with the SQLite store: Consolidated DDS right
// after its source in the same queue (not for a resend, filtered like any packet), New Driver
// before the Clocking packet that first names a driver (seed 004 sections 8, 11.2, 14.4).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>

#include "codecs/packets/derived.hpp"
#include "gateway/derive/driver_notices.hpp"
#include "gateway/derive/packet_deriver.hpp"
#include "gateway/ingest/ingestor.hpp"
#include "gateway/store/sqlite/sqlite_store.hpp"
#include "tests/support/packets.hpp"
#include "tests/support/vector.hpp"

namespace dcgw::testing {
namespace {

using ingest::Outcome;

// A VDO Counter packet (section 14.2) with every counter given; n marks its DateTime.
codecs::Bytes vdoCounter(std::uint32_t n) {
  Vec v(0x4D, 0x03, 60);
  v.u32be(2, 1'780'000'000 + n).ascii(6, "DRV0000000001A", 14).u8(20, 3).u16be(21, 10);
  for (std::size_t off = 24; off < 58; off += 2) v.u16be(off, 100);
  v.u16be(58, 0b1'0001);
  return v.bytes();
}

// A new-digipostpro Clocking packet (section 11.2) naming a driver.
codecs::Bytes clocking(std::string_view card, std::u16string_view surname,
                       std::u16string_view first) {
  Vec v(0x6B, 0x01, 194);
  v.u32be(2, 1'780'000'000).ascii(6, card, 14).ascii(20, "REF", 16).u8(36, 2).u8(53, 0);
  v.utf16(54, surname, 70).utf16(124, first, 70);
  return v.bytes();
}

class IngestDerive : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("dcgw-derive-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
    removeDb();
    store_ = std::make_unique<store::SqliteStore>(path_);
    store::DestinationConfig all;
    all.settings.name = "all";
    all.settings.host = "http://127.0.0.1:9/a";
    all_ = *store_->createDestination(all, 0);
    store::DestinationConfig noDds;  // takes the feeds but not the consolidated view
    noDds.settings.name = "noDds";
    noDds.settings.host = "http://127.0.0.1:9/b";
    noDds.filter = std::vector<std::string>{"VDO Counter", "Clocking"};
    noDds_ = *store_->createDestination(noDds, 0);
    auto loc = store_->createLocation({0, "Depot", "", {all_, noDds_}});
    ASSERT_TRUE(store_->upsertDevice({"12345678", *loc, "AB12CDE", std::nullopt}).ok());
  }
  void start(derive::DeriveOptions options = {}) {
    deriver_ = std::make_unique<derive::PacketDeriver>(*store_, options);
    ingestor_ = std::make_unique<ingest::Ingestor>(*store_, nullptr, 512, store::SequenceRules{},
                                                   deriver_.get());
  }
  void TearDown() override {
    ingestor_.reset();
    deriver_.reset();
    store_.reset();
    removeDb();
  }
  void removeDb() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + s);
  }
  // Submits and waits for the commit.
  Outcome ingest(codecs::Bytes p, std::uint32_t sequence, std::int64_t atMs = 1000) {
    store::IngestItem item;
    item.serial = "12345678";
    item.packet = std::move(p);
    item.sequence = sequence;
    item.receivedAtMs = atMs;
    std::promise<Outcome> done;
    ingestor_->submit(std::move(item), [&](const Outcome& o) { done.set_value(o); });
    return done.get_future().get();
  }
  // The queue as (type, subtype) pairs.
  std::vector<std::pair<int, int>> queue(std::int64_t dest) {
    std::vector<std::pair<int, int>> out;
    for (const auto& p : store_->pendingBatch(dest, 100))
      out.emplace_back(p.packet[0], p.packet[1]);
    return out;
  }

  std::string path_;
  std::int64_t all_{0}, noDds_{0};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<derive::PacketDeriver> deriver_;
  std::unique_ptr<ingest::Ingestor> ingestor_;
};

using Q = std::vector<std::pair<int, int>>;

TEST_F(IngestDerive, ConsolidatedDdsIsQueuedRightAfterItsSource) {
  start();
  EXPECT_EQ(ingest(vdoCounter(1), 1).kind, Outcome::Kind::Stored);
  EXPECT_EQ(ingest(positionalUpdate(2), 2).kind, Outcome::Kind::Stored);
  EXPECT_EQ(queue(all_), (Q{{0x4D, 0x03}, {0x4D, 0x0C}, {0x47, 0x01}}));
  auto rows = store_->pendingBatch(all_, 10);
  EXPECT_EQ(rows[1].packet, *codecs::consolidatedDds(vdoCounter(1))) << "section 14.4's bytes";
  EXPECT_EQ(rows[1].serial, "12345678");
  EXPECT_EQ(rows[1].registration, "AB12CDE");
  EXPECT_EQ(store_->device("12345678")->lastSequence, 2u);
  // Filtered like any packet: "Consolidated DDS" is not in noDds's filter.
  EXPECT_EQ(queue(noDds_), (Q{{0x4D, 0x03}}));
  EXPECT_EQ(store_->counters(noDds_).filtered, 2);
}

TEST_F(IngestDerive, AResentSourceDerivesNothingMore) {
  start();
  EXPECT_EQ(ingest(vdoCounter(1), 5).kind, Outcome::Kind::Stored);
  EXPECT_EQ(ingest(vdoCounter(1), 5).kind, Outcome::Kind::Duplicate);
  EXPECT_EQ(queue(all_), (Q{{0x4D, 0x03}, {0x4D, 0x0C}}));
  EXPECT_EQ(store_->device("12345678")->lastSequence, 5u);
}

TEST_F(IngestDerive, ConsolidatedDdsCanBeTurnedOff) {
  start({.consolidatedDds = false});
  EXPECT_EQ(ingest(vdoCounter(1), 1).kind, Outcome::Kind::Stored);
  EXPECT_EQ(queue(all_), (Q{{0x4D, 0x03}}));
}

TEST_F(IngestDerive, NewDriverPrecedesTheClockingPacketThatFirstNamesTheDriver) {
  start();
  const auto named = clocking("DRV0000000001A", u"Smith", u"Jo");
  EXPECT_EQ(ingest(named, 1, 1000).kind, Outcome::Kind::Stored);
  EXPECT_EQ(ingest(named, 2, 2000).kind, Outcome::Kind::Stored);  // known now: no second 0x44
  EXPECT_EQ(ingest(named, 2, 2500).kind, Outcome::Kind::Duplicate);
  EXPECT_EQ(queue(all_), (Q{{0x44, 0x00}, {0x6B, 0x01}, {0x6B, 0x01}}));
  auto rows = store_->pendingBatch(all_, 10);
  Vec want(0x44, 0x00, 156);
  want.ascii(2, "DRV0000000001A", 14).utf16(16, u"Smith", 70).utf16(86, u"Jo", 70);
  EXPECT_EQ(rows[0].packet, want.bytes()) << "section 8's layout";
  auto d = store_->driver("DRV0000000001A");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->surname, "Smith");
  EXPECT_EQ(d->firstSeenAtMs, 1000);
  EXPECT_EQ(d->lastSeenAtMs, 2000);
  EXPECT_EQ(d->lastSerial, "12345678");

  // A new name is news: another 0x44, with the new name, before its packet.
  EXPECT_EQ(ingest(clocking("DRV0000000001A", u"Smith-Jones", u"Jo"), 3).kind,
            Outcome::Kind::Stored);
  EXPECT_EQ(queue(all_).size(), 5u);
  EXPECT_EQ(queue(all_)[3], (std::pair<int, int>{0x44, 0x00}));
  // Without a name (a clocking card with no names) there is nothing to notify.
  EXPECT_EQ(ingest(clocking("CLOCK000000001", u"", u""), 4).kind, Outcome::Kind::Stored);
  EXPECT_EQ(queue(all_).size(), 6u);
  EXPECT_FALSE(store_->driver("CLOCK000000001"));
}

// A tracker may send a New Driver packet itself (seed 004 section 8, 156 bytes): it is forwarded
// as sent and derives nothing (the notice is cut from section 11.2's 194-byte layout; reading a
// 0x44 with those offsets ran past its end, found by ASan).
TEST_F(IngestDerive, ADevicesOwnNewDriverPacketDerivesNothing) {
  start();
  Vec own(0x44, 0x00, 156);
  own.ascii(2, "DRV0000000002B", 14).utf16(16, u"Brown", 70).utf16(86, u"Al", 70);
  EXPECT_EQ(ingest(own.bytes(), 1).kind, Outcome::Kind::Stored);
  EXPECT_EQ(queue(all_), (Q{{0x44, 0x00}}));
  EXPECT_EQ(store_->pendingBatch(all_, 10)[0].packet, own.bytes());
  EXPECT_FALSE(store_->driver("DRV0000000002B"));
}

TEST_F(IngestDerive, KnownDriversSurviveARestart) {
  start();
  EXPECT_EQ(ingest(clocking("DRV0000000001A", u"Smith", u"Jo"), 1).kind, Outcome::Kind::Stored);
  ingestor_.reset();
  start();  // a new deriver: its knowledge comes from the store
  EXPECT_EQ(ingest(clocking("DRV0000000001A", u"Smith", u"Jo"), 2).kind, Outcome::Kind::Stored);
  EXPECT_EQ(queue(all_), (Q{{0x44, 0x00}, {0x6B, 0x01}, {0x6B, 0x01}}));
}

TEST_F(IngestDerive, TwoRevealingPacketsInOneBatchMakeOneNotice) {
  start();
  std::vector<std::future<Outcome>> results;
  std::vector<std::shared_ptr<std::promise<Outcome>>> promises;
  for (std::uint32_t s = 1; s <= 3; ++s) {
    store::IngestItem item;
    item.serial = "12345678";
    item.packet = clocking("DRV0000000001A", u"Smith", u"Jo");
    item.sequence = s;
    auto p = std::make_shared<std::promise<Outcome>>();
    results.push_back(p->get_future());
    ingestor_->submit(std::move(item), [p](const Outcome& o) { p->set_value(o); });
  }
  for (auto& r : results) EXPECT_EQ(r.get().kind, Outcome::Kind::Stored);
  EXPECT_EQ(queue(all_), (Q{{0x44, 0x00}, {0x6B, 0x01}, {0x6B, 0x01}, {0x6B, 0x01}}));
}

TEST_F(IngestDerive, ADriverCardFileNotifiesANewDriverOnce) {
  start();
  auto fromFile = [&](const std::string& surname) {
    std::promise<std::pair<Outcome, bool>> done;
    derive::submitDriverFromFile(*ingestor_, "12345678", "", "DRV0000000001A00", surname, "Jo",
                                 3000, [&](const Outcome& o, bool isNew) {
                                   done.set_value({o, isNew});
                                 });
    return done.get_future().get();
  };
  auto first = fromFile("Smith");
  EXPECT_EQ(first.first.kind, Outcome::Kind::Stored);
  EXPECT_TRUE(first.second);
  auto again = fromFile("Smith");
  EXPECT_EQ(again.first.kind, Outcome::Kind::Duplicate);
  EXPECT_FALSE(again.second);
  EXPECT_EQ(queue(all_), (Q{{0x44, 0x00}}));
  EXPECT_EQ(store_->pendingBatch(all_, 1)[0].packet,
            *codecs::newDriverPacket("DRV0000000001A", "Smith", "Jo"));
  // The clocking packet naming the same driver the same way adds no notice either.
  EXPECT_EQ(ingest(clocking("DRV0000000001A", u"Smith", u"Jo"), 1).kind, Outcome::Kind::Stored);
  EXPECT_EQ(queue(all_), (Q{{0x44, 0x00}, {0x6B, 0x01}}));
  EXPECT_EQ(store_->device("12345678")->lastSequence, 1u) << "gateway-made packets move no mark";
  auto bad = fromFile(std::string(40, 'x'));
  EXPECT_EQ(bad.first.kind, Outcome::Kind::Invalid);
  EXPECT_FALSE(bad.second);
}

}  // namespace
}  // namespace dcgw::testing
