// The sequence rules as a pure function (gateway/store/sequence.hpp): the boundaries of the
// duplicate window and of the largest jump, on both sides of the wrap after 4,294,967,295.
#include "gateway/store/sequence.hpp"

#include <gtest/gtest.h>

namespace dcgw::store {
namespace {

constexpr SequenceRules kRules{10, 50};  // duplicateWindow 10, maxJump 50
constexpr std::uint32_t kTop = 0xFFFF'FFFFu;

TEST(Sequence, AMarkOfZeroTakesAnything) {
  for (std::uint32_t s : {1u, 2u, 60u, kTop}) EXPECT_EQ(classify(0, s, kRules), SequenceClass::New);
}

TEST(Sequence, TheBoundariesOfTheWindowAndTheJump) {
  EXPECT_EQ(classify(100, 100, kRules), SequenceClass::Duplicate);
  EXPECT_EQ(classify(100, 101, kRules), SequenceClass::New);
  EXPECT_EQ(classify(100, 150, kRules), SequenceClass::New);
  EXPECT_EQ(classify(100, 151, kRules), SequenceClass::OutOfRange);
  EXPECT_EQ(classify(100, 90, kRules), SequenceClass::Duplicate);
  EXPECT_EQ(classify(100, 89, kRules), SequenceClass::OutOfRange);
}

TEST(Sequence, ArithmeticWrapsAfterTheLargest) {
  EXPECT_EQ(classify(kTop, 1, kRules), SequenceClass::New);
  EXPECT_EQ(classify(kTop - 5, 5, kRules), SequenceClass::New);  // 11 ahead
  // Distances are modulo 2^32 (0 counts, though it is never sent): 44 is 50 ahead.
  EXPECT_EQ(classify(kTop - 5, 44, kRules), SequenceClass::New);
  EXPECT_EQ(classify(kTop - 5, 45, kRules), SequenceClass::OutOfRange);
  EXPECT_EQ(classify(3, kTop - 5, kRules), SequenceClass::Duplicate);  // 9 behind
  EXPECT_EQ(classify(3, kTop - 7, kRules), SequenceClass::OutOfRange);
  EXPECT_EQ(classify(1, kTop, kRules), SequenceClass::Duplicate);
}

TEST(Sequence, TheRefusalNamesTheSequenceTheMarkAndTheRange) {
  const std::string t = describeOutOfRange(6, 5000, {1024, 1000});
  EXPECT_NE(t.find("sequence 5000"), std::string::npos) << t;
  EXPECT_NE(t.find("last sequence stored is 6"), std::string::npos) << t;
  EXPECT_NE(t.find("7 to 1006"), std::string::npos) << t;
  EXPECT_NE(t.find("1024 behind"), std::string::npos) << t;
  EXPECT_NE(describeOutOfRange(kTop, 7, {1024, 1000}).find("1 to 999"), std::string::npos);
}

TEST(Sequence, NonsenseRulesAreNamed) {
  EXPECT_EQ(sequenceRulesError({}, 1024), "");
  EXPECT_NE(sequenceRulesError({1024, 0}, 1024).find("maxJump must be at least 1"),
            std::string::npos);
  EXPECT_NE(sequenceRulesError({1023, 10}, 1024).find("at least uplink.window (1024)"),
            std::string::npos);
  EXPECT_EQ(sequenceRulesError({1u << 30, 1u << 30}, 1024), "");
  EXPECT_NE(sequenceRulesError({(1u << 30) + 1, 1u << 30}, 1024).find("half the sequence space"),
            std::string::npos);
}

}  // namespace
}  // namespace dcgw::store
