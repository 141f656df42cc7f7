#include "server/assignment/bucket_ranges.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/server/assignment/growthbook_cases.h"

namespace lift::assignment {
namespace {

using testdata::GrowthBookCases;

// Range ends are sums and products of decimal weights (0.2 + 0.3·0.2 = 0.26000000000000001);
// GrowthBook's own test compares them rounded to 6 decimals. Ours: absolute 1e-12.
constexpr double kRangeTolerance = 1e-12;

// Published vectors: cases.json "getBucketRange" = [name, [n, coverage, weights|null], ranges].
TEST(BucketRangesTest, MatchesGrowthBookGetBucketRangeVectors) {
  const auto& cases = GrowthBookCases().at("getBucketRange");
  ASSERT_EQ(cases.size(), 13u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c[0].get<std::string>());
    const auto& args = c[1];
    std::vector<double> weights;
    if (!args[2].is_null()) weights = args[2].get<std::vector<double>>();
    const std::vector<BucketRange> ranges =
        GetBucketRanges(args[0].get<int>(), args[1].get<double>(), weights);
    const auto& expected = c[2];
    ASSERT_EQ(ranges.size(), expected.size());
    for (size_t i = 0; i < ranges.size(); ++i) {
      EXPECT_NEAR(ranges[i].start, expected[i][0].get<double>(), kRangeTolerance) << "range " << i;
      EXPECT_NEAR(ranges[i].end, expected[i][1].get<double>(), kRangeTolerance) << "range " << i;
    }
  }
}

// Published vectors: cases.json "chooseVariation" = [name, n, ranges, expected index].
TEST(BucketRangesTest, MatchesGrowthBookChooseVariationVectors) {
  const auto& cases = GrowthBookCases().at("chooseVariation");
  ASSERT_EQ(cases.size(), 13u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c[0].get<std::string>());
    std::vector<BucketRange> ranges;
    for (const auto& r : c[2]) ranges.push_back({r[0].get<double>(), r[1].get<double>()});
    EXPECT_EQ(ChooseVariation(c[1].get<double>(), ranges), c[3].get<int>());
  }
}

// Published vectors: cases.json "getEqualWeights" = [n, weights] (weights printed to 8 digits).
TEST(BucketRangesTest, MatchesGrowthBookGetEqualWeightsVectors) {
  constexpr double kPrintedDigitsTolerance = 1e-8;
  const auto& cases = GrowthBookCases().at("getEqualWeights");
  ASSERT_EQ(cases.size(), 6u);
  for (const auto& c : cases) {
    const std::vector<double> weights = GetEqualWeights(c[0].get<int>());
    ASSERT_EQ(weights.size(), c[1].size()) << "n = " << c[0];
    for (size_t i = 0; i < weights.size(); ++i) {
      EXPECT_NEAR(weights[i], c[1][i].get<double>(), kPrintedDigitsTolerance);
    }
  }
}

TEST(BucketRangesTest, InRangeIsHalfOpen) {
  const BucketRange range{0.25, 0.5};
  EXPECT_TRUE(InRange(0.25, range));
  EXPECT_TRUE(InRange(0.4999, range));
  EXPECT_FALSE(InRange(0.5, range));
  EXPECT_FALSE(InRange(0.2499, range));
  EXPECT_FALSE(InRange(0.3, BucketRange{0.3, 0.3}));  // empty range
}

TEST(BucketRangesTest, RaisingCoverageOnlyExtendsRangesToTheRight) {
  const std::vector<double> weights = {0.2, 0.3, 0.5};
  std::vector<BucketRange> previous = GetBucketRanges(3, 0.0, weights);
  for (double coverage : {0.1, 0.25, 0.5, 0.75, 1.0}) {
    const std::vector<BucketRange> ranges = GetBucketRanges(3, coverage, weights);
    for (size_t i = 0; i < ranges.size(); ++i) {
      EXPECT_EQ(ranges[i].start, previous[i].start);
      EXPECT_GE(ranges[i].end, previous[i].end);
    }
    previous = ranges;
  }
}

}  // namespace
}  // namespace lift::assignment
