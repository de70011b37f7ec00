// The conformance suite's tests of a store that loses its storage while open: health() says so
// with a reason, and from then on nothing is accepted that would be lost (no packet would be
// acknowledged, no configuration change confirmed, no delivery sent from it).
#include "tests/store/conformance.hpp"

namespace dcgw::testing {

using store::AppendOutcome;
using store::ErrorCategory;
using store::StoreError;

namespace {

// The category of what `f` threw, or nullopt when it returned.
template <class F>
std::optional<ErrorCategory> thrown(F&& f) {
  try {
    f();
  } catch (const StoreError& e) {
    return e.category();
  }
  return std::nullopt;
}

}  // namespace

TEST_P(StoreConformance, ALostStorageIsReportedAndNothingMoreIsAccepted) {
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  ASSERT_EQ(append({item(tracking(1), 1)}), (std::vector<AppendOutcome>{AppendOutcome::Stored}));
  const store::Health before = db_->health();
  EXPECT_TRUE(before.ok) << before.reason;
  EXPECT_TRUE(before.reason.empty());

  GetParam().loseStorage(*db_);
  const store::Health after = db_->health();
  EXPECT_FALSE(after.ok);
  EXPECT_FALSE(after.reason.empty()) << "a reason for the operator";
  EXPECT_EQ(thrown([&] { append({item(tracking(2), 2)}); }), ErrorCategory::Unavailable)
      << "a packet must not be acknowledged into storage that is gone";
  EXPECT_EQ(thrown([&] { db_->begin(); }), ErrorCategory::Unavailable)
      << "a configuration change would be lost too";
  EXPECT_EQ(thrown([&] { db_->pendingBatch(d, 64); }), ErrorCategory::Unavailable)
      << "nothing is forwarded from it";
  EXPECT_EQ(thrown([&] { db_->deviceAuth("12345678"); }), ErrorCategory::Unavailable)
      << "a login would be told sequence marks of packets never acknowledged";
  EXPECT_FALSE(db_->health().ok) << "it stays lost";
}

TEST_P(StoreConformance, StorageLostJustBeforeACommitFailsThatCommit) {
  // No health() call in between: the check that matters is the one before the packets are
  // acknowledged, i.e. with the append itself.
  const auto d = destination("d");
  device("12345678", location("Depot", {d}));
  ASSERT_TRUE(db_->health().ok);
  GetParam().loseStorage(*db_);
  EXPECT_EQ(thrown([&] {
              append({item(tracking(1), 1), item(tracking(2), 2)});
            }),
            ErrorCategory::Unavailable);
  EXPECT_FALSE(db_->health().ok);
}

}  // namespace dcgw::testing
