// The conformance suite's sequence rules (schema/uplink.md section 5, gateway/store/sequence.hpp)
// at the store interface, so every backend applies them in its ingest transaction: the wrap
// after 4,294,967,295, a mark of 0, the duplicate window, the largest jump, the refusal of a
// connection's later packets, and an admin's reset of the mark.
#include "tests/store/conformance.hpp"

namespace dcgw::testing {

namespace {

using store::AppendOutcome;
constexpr AppendOutcome kStored = AppendOutcome::Stored;
constexpr AppendOutcome kDuplicate = AppendOutcome::Duplicate;
constexpr AppendOutcome kRefused = AppendOutcome::SequenceOutOfRange;
using Outcomes = std::vector<AppendOutcome>;

constexpr store::SequenceRules kSmall{10, 100};  // duplicateWindow 10, maxJump 100

}  // namespace

// The suite's own tests, run on every backend that instantiates StoreConformance.
#define SEQUENCE_TEST(name) TEST_P(StoreConformance, Sequence##name)

namespace {

Outcomes appendWith(store::Backend& db, std::vector<store::IngestItem> items,
                    const store::SequenceRules& rules, std::uint64_t session = 0) {
  for (auto& i : items)
    if (i.session == 0) i.session = session;
  std::vector<std::int64_t> touched;
  return ingest::RoutedAppender(db, db, rules).append(items, touched);
}

}  // namespace

SEQUENCE_TEST(WrapsAfterTheLargestToOne) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  // The finding: 4294967295, then 1, 2, 100 were all "duplicates", acknowledged and dropped.
  EXPECT_EQ(appendWith(*db_, {item(tracking(1), 4294967295u)}, {}), (Outcomes{kStored}));
  EXPECT_EQ(
      appendWith(*db_, {item(tracking(2), 1), item(tracking(3), 2), item(tracking(4), 100)}, {}),
      (Outcomes{kStored, kStored, kStored}));
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(db_->device("12345678")->lastSequence, 100u);
  // Resends from before the wrap are still recognised.
  EXPECT_EQ(appendWith(*db_, {item(tracking(1), 4294967295u), item(tracking(3), 2)}, {}),
            (Outcomes{kDuplicate, kDuplicate}));
  EXPECT_EQ(pendingMarks(d).size(), 4u) << "stored once";
}

SEQUENCE_TEST(AMarkOfZeroTakesAnySequence) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  EXPECT_EQ(appendWith(*db_, {item(tracking(1), 4000000000u)}, kSmall), (Outcomes{kStored}));
  EXPECT_EQ(db_->device("12345678")->lastSequence, 4000000000u);
}

SEQUENCE_TEST(ResendsWithinTheWindowAreDuplicatesAndFurtherBackAreRefused) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  ASSERT_EQ(appendWith(*db_, {item(tracking(50), 50)}, kSmall), (Outcomes{kStored}));
  EXPECT_EQ(
      appendWith(*db_, {item(tracking(50), 50), item(tracking(40), 40), item(tracking(39), 39)},
                 kSmall),
      (Outcomes{kDuplicate, kDuplicate, kRefused}));
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{50}))
      << "neither a duplicate nor a refusal is stored";
  EXPECT_EQ(db_->device("12345678")->lastSequence, 50u);
  // Behind across the wrap: 50 - 45 = 5 behind 5.
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->setLastSequence("12345678", 5).ok());
    tx->commit();
  }
  EXPECT_EQ(
      appendWith(*db_, {item(tracking(9), 4294967291u), item(tracking(9), 4294967290u)}, kSmall),
      (Outcomes{kDuplicate, kRefused}));
}

SEQUENCE_TEST(GapsUpToMaxJumpAreNewAndLargerJumpsAreRefused) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  ASSERT_EQ(appendWith(*db_, {item(tracking(50), 50)}, kSmall), (Outcomes{kStored}));
  EXPECT_EQ(appendWith(*db_, {item(tracking(150), 150), item(tracking(251), 251)}, kSmall),
            (Outcomes{kStored, kRefused}));
  EXPECT_EQ(db_->device("12345678")->lastSequence, 150u) << "a refusal leaves the mark";
  EXPECT_EQ(appendWith(*db_, {item(tracking(250), 250)}, kSmall), (Outcomes{kStored}));
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{50, 150, 250}));
}

SEQUENCE_TEST(AfterARefusalTheConnectionsLaterPacketsAreRefusedToo) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  ASSERT_EQ(appendWith(*db_, {item(tracking(50), 50)}, kSmall), (Outcomes{kStored}));
  auto other = item(tracking(53), 53);
  other.session = 8;  // another connection of the device
  EXPECT_EQ(
      appendWith(*db_,
                 {item(tracking(51), 51), item(tracking(99), 500), item(tracking(52), 52), other},
                 kSmall, 7),
      (Outcomes{kStored, kRefused, kRefused, kStored}));
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{50, 51, 53}));
}

SEQUENCE_TEST(AnAdminSetsTheMarkInATransaction) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  ASSERT_EQ(appendWith(*db_, {item(tracking(1), 5000)}, kSmall), (Outcomes{kStored}));
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->setLastSequence("12345678", 0).ok());
    EXPECT_EQ(tx->device("12345678")->lastSequence, 0u) << "read in its own transaction";
    // Not committed: nothing changes.
  }
  EXPECT_EQ(db_->device("12345678")->lastSequence, 5000u);
  EXPECT_EQ(appendWith(*db_, {item(tracking(2), 1)}, kSmall), (Outcomes{kRefused}))
      << "a new unit starting at 1 is refused, not acknowledged and dropped";
  {
    auto tx = db_->begin();
    ASSERT_TRUE(tx->setLastSequence("12345678", 0).ok());
    auto missing = tx->setLastSequence("99999999", 0);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().category, store::ErrorCategory::NotFound);
    tx->commit();
  }
  restart();
  EXPECT_EQ(db_->deviceAuth("12345678")->lastSequence, 0u) << "durable";
  EXPECT_EQ(appendWith(*db_, {item(tracking(2), 1), item(tracking(3), 2)}, kSmall),
            (Outcomes{kStored, kStored}));
  EXPECT_EQ(pendingMarks(d), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(db_->device("12345678")->lastSequence, 2u);
}

}  // namespace dcgw::testing
