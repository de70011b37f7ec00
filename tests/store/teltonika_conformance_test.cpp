// The store conformance suite, Teltonika part (issue 15): each device's protocol and family, the
// frame key that makes a resent Teltonika frame a duplicate in the ingest transaction
// (IngestLog::append), and the raw record kept with each packet (packets.origin).
#include "tests/store/conformance.hpp"

namespace dcgw::testing {
namespace {

using store::AppendOutcome;
constexpr AppendOutcome kStored = AppendOutcome::Stored;
constexpr AppendOutcome kDuplicate = AppendOutcome::Duplicate;
using Outcomes = std::vector<AppendOutcome>;

constexpr const char* kImei = "356307042441013";

// One packet of a Teltonika frame: every packet of the frame carries its key, the last one
// frameEnd.
store::IngestItem framed(codecs::Bytes p, std::int64_t key, bool end,
                         const std::string& serial = kImei) {
  store::IngestItem i;
  i.serial = serial;
  i.packet = std::move(p);
  i.receivedAtMs = 5000;
  i.frameKey = key;
  i.frameEnd = end;
  return i;
}

store::DeviceConfig teltonika(const std::string& serial, std::optional<std::int64_t> loc) {
  store::DeviceConfig d{serial, loc, "AB12CDE", std::nullopt};
  d.protocol = "teltonika";
  d.family = "FMX6";
  return d;
}

TEST_P(StoreConformance, ANewDeviceSpeaksDcgwAndATeltonikaOneKeepsItsProtocolAndFamily) {
  device("12345678", std::nullopt);
  EXPECT_EQ(db_->device("12345678")->protocol, "dcgw");
  EXPECT_EQ(db_->device("12345678")->family, "");
  EXPECT_EQ(db_->deviceAuth("12345678")->protocol, "dcgw");
  EXPECT_EQ(db_->deviceAuth("12345678")->frameKey, 0);

  ASSERT_TRUE(db_->upsertDevice(teltonika(kImei, std::nullopt)).ok());
  EXPECT_EQ(db_->device(kImei)->protocol, "teltonika");
  EXPECT_EQ(db_->device(kImei)->family, "FMX6");
  // nullopt keeps them: an update of the registration alone.
  ASSERT_TRUE(db_->upsertDevice({kImei, std::nullopt, "R2", std::nullopt}).ok());
  const auto auth = db_->deviceAuth(kImei);
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->protocol, "teltonika");
  EXPECT_EQ(auth->family, "FMX6");
  EXPECT_TRUE(auth->key.empty());
  EXPECT_EQ(db_->device(kImei)->registration, "R2");
  // Given, they change (the family alone too).
  store::DeviceConfig fmb{kImei, std::nullopt, "R2", std::nullopt};
  fmb.family = "FMBxxx";
  ASSERT_TRUE(db_->upsertDevice(fmb).ok());
  EXPECT_EQ(db_->device(kImei)->family, "FMBxxx");
  EXPECT_EQ(db_->device(kImei)->protocol, "teltonika");
  restart();
  EXPECT_EQ(db_->devices().back().family, "FMBxxx") << "durable";
}

TEST_P(StoreConformance, AFrameCommittedWholeMakesItsResendADuplicate) {
  const auto d = destination("d");
  ASSERT_TRUE(db_->upsertDevice(teltonika(kImei, location("Depot", {d}))).ok());
  const std::uint64_t before = db_->duplicates();
  EXPECT_EQ(append({framed(tracking(1), 7, false), framed(tracking(2), 7, false),
                    framed(tracking(3), 7, true)}),
            (Outcomes{kStored, kStored, kStored}));
  EXPECT_EQ(db_->deviceAuth(kImei)->frameKey, 7);
  // The device never got the count and sends the frame again.
  EXPECT_EQ(append({framed(tracking(1), 7, false), framed(tracking(2), 7, false),
                    framed(tracking(3), 7, true)}),
            (Outcomes{kDuplicate, kDuplicate, kDuplicate}));
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{1, 2, 3})) << "stored once";
  EXPECT_EQ(db_->duplicates(), before + 3);
  // The next frame is new; after a restart the key is still the last frame's.
  EXPECT_EQ(append({framed(tracking(4), 8, true)}), (Outcomes{kStored}));
  restart();
  EXPECT_EQ(db_->deviceAuth(kImei)->frameKey, 8) << "durable";
  EXPECT_EQ(append({framed(tracking(4), 8, true)}), (Outcomes{kDuplicate}));
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{1, 2, 3, 4}));
}

TEST_P(StoreConformance, AFrameResentInTheSameBatchIsADuplicateOfItsEarlierCopy) {
  const auto d = destination("d");
  ASSERT_TRUE(db_->upsertDevice(teltonika(kImei, location("Depot", {d}))).ok());
  EXPECT_EQ(append({framed(tracking(1), 7, false), framed(tracking(2), 7, true),
                    framed(tracking(1), 7, false), framed(tracking(2), 7, true),
                    framed(tracking(3), 9, true)}),
            (Outcomes{kStored, kStored, kDuplicate, kDuplicate, kStored}));
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(db_->deviceAuth(kImei)->frameKey, 9);
}

TEST_P(StoreConformance, AFrameSplitOverTwoBatchesStoresItsFirstPartBeforeTheKeyIsRaised) {
  const auto d = destination("d");
  ASSERT_TRUE(db_->upsertDevice(teltonika(kImei, location("Depot", {d}))).ok());
  EXPECT_EQ(append({framed(tracking(1), 7, false), framed(tracking(2), 7, false)}),
            (Outcomes{kStored, kStored}));
  EXPECT_EQ(db_->deviceAuth(kImei)->frameKey, 0) << "no frame end yet";
  EXPECT_EQ(append({framed(tracking(3), 7, true)}), (Outcomes{kStored}));
  EXPECT_EQ(db_->deviceAuth(kImei)->frameKey, 7);
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{1, 2, 3}));
}

TEST_P(StoreConformance, TheFrameKeyIsEachDevicesOwnAndZeroIsNoFrame) {
  const auto d = destination("d");
  const auto loc = location("Depot", {d});
  ASSERT_TRUE(db_->upsertDevice(teltonika(kImei, loc)).ok());
  ASSERT_TRUE(db_->upsertDevice(teltonika("356307042441021", loc)).ok());
  EXPECT_EQ(append({framed(tracking(1), 7, true), framed(tracking(2), 7, true, "356307042441021"),
                    framed(tracking(3), 0, true), framed(tracking(4), 0, true)}),
            (Outcomes{kStored, kStored, kStored, kStored}));
  EXPECT_EQ(db_->deviceAuth(kImei)->frameKey, 7) << "a packet of no frame moves no key";
  EXPECT_EQ(db_->deviceAuth("356307042441021")->frameKey, 7);
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{1, 2, 3, 4}));
}

TEST_P(StoreConformance, AFrameDuplicateHasNothingDerivedStored) {
  const auto d = destination("d");
  ASSERT_TRUE(db_->upsertDevice(teltonika(kImei, location("Depot", {d}))).ok());
  std::vector<store::IngestItem> items{framed(tracking(1), 7, true)};
  std::vector<ingest::DerivedItems> derived(1);
  derived[0].after.push_back(framed(sensor(2), 0, false));
  std::vector<std::int64_t> touched;
  EXPECT_EQ(ingest::RoutedAppender(*db_, *db_).append(items, touched, &derived),
            (Outcomes{kStored}));
  EXPECT_EQ(ingest::RoutedAppender(*db_, *db_).append(items, touched, &derived),
            (Outcomes{kDuplicate}));
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{1, 2}));
}

TEST_P(StoreConformance, ThePacketsRawRecordIsStoredAndReadBackWithItsEntry) {
  const auto d = destination("d");
  ASSERT_TRUE(db_->upsertDevice(teltonika(kImei, location("Depot", {d}))).ok());
  auto withOrigin = framed(tracking(1), 7, true);
  // [codec id 0x8E][an AVL record's first bytes]: the store keeps the bytes as given.
  withOrigin.origin = {0x8E, 0x00, 0x00, 0x01, 0x6B, 0x40, 0xD8, 0xEA, 0x30, 0x01};
  ASSERT_EQ(append({withOrigin, framed(tracking(2), 0, false)}), (Outcomes{kStored, kStored}));
  const auto pending = db_->pendingBatch(d, 10);
  ASSERT_EQ(pending.size(), 2u);
  const auto first = db_->entry(d, pending[0].id);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->origin, withOrigin.origin);
  EXPECT_EQ(first->data, tracking(1)) << "the packet itself is unchanged";
  EXPECT_TRUE(db_->entry(d, pending[1].id)->origin.empty()) << "none given: none kept";
  const auto page = db_->entries(d, {});
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].origin, withOrigin.origin);
}

}  // namespace
}  // namespace dcgw::testing
