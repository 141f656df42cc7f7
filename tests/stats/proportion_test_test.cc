#include "stats/proportion_test.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/stats/ab_fixtures.h"

namespace lift::stats {
namespace {

using ::lift::stats::testing::ExpectEstimateNear;
using ::lift::stats::testing::LoadFixture;
using ::lift::stats::testing::MeanStatsFromJson;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kFiveDecimals = 5e-6;  // gbstats values rounded to 5 decimals

// Reference: tests/reference/fixtures/ab_proportion.json, statsmodels
// test_proportions_2indep / confint_proportions_2indep(method="wald", compare="diff") for the
// difference; the delta method with p(1-p)/n per arm for the relative lift (ref_ab.py).
TEST(ProportionTestTest, MatchesStatsmodelsWald) {
  const nlohmann::json fixture = LoadFixture("ab_proportion.json");
  ASSERT_GE(fixture["cases"].size(), 6u);
  for (const auto& c : fixture["cases"]) {
    const std::string name = c["name"];
    AnalysisSettings settings;
    settings.alpha = c["alpha"];
    const auto result = ProportionTest(MeanStatsFromJson(c["control"]),
                                       MeanStatsFromJson(c["treatment"]), settings);
    ASSERT_TRUE(result.ok()) << name << ": " << result.status();
    ExpectEstimateNear(result->absolute, c["absolute"], name + " absolute");
    if (c["relative"].is_null()) {
      EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kZeroBaseline)) << name;
      EXPECT_FALSE(result->relative.valid) << name;
    } else {
      EXPECT_TRUE(result->flags.empty()) << name;
      ExpectEstimateNear(result->relative, c["relative"], name + " relative");
    }
  }
}

// GrowthBook gbstats, packages/stats/tests/frequentist/test_tests.py,
// TestTwoSidedTTest.test_two_sided_ttest_binom: ProportionStatistic(14/28) vs (16/30). gbstats
// uses the same delta-method variance p(1-p)/n, so the lift and its standard error agree; its CI
// and p-value refer to a t distribution while Lift's proportion test uses the normal.
TEST(ProportionTestTest, MatchesGbstatsBinomialLiftAndStandardError) {
  const auto result = ProportionTest(MeanStats{28, 14, 14}, MeanStats{30, 16, 16});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NEAR(result->relative.estimate, 0.06667, kFiveDecimals);
  EXPECT_NEAR(result->relative.se, 0.2717, kFiveDecimals);
  EXPECT_EQ(result->relative.df, 0.0);
}

TEST(ProportionTestTest, SumOfSquaresMayBeOmitted) {
  const auto with = ProportionTest(MeanStats{1000, 100, 100}, MeanStats{1000, 130, 130});
  const auto without = ProportionTest(MeanStats{1000, 100, 0}, MeanStats{1000, 130, 0});
  ASSERT_TRUE(with.ok() && without.ok());
  EXPECT_EQ(with->absolute.p_value, without->absolute.p_value);
}

TEST(ProportionTestTest, NoConversionsInEitherArmIsZeroVariance) {
  const auto result = ProportionTest(MeanStats{500, 0, 0}, MeanStats{500, 0, 0});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kZeroBaseline, ResultFlag::kZeroVariance));
  EXPECT_FALSE(result->absolute.valid);
  EXPECT_EQ(result->absolute.p_value, 1.0);
}

TEST(ProportionTestTest, EmptyArmIsFlagged) {
  const auto result = ProportionTest(MeanStats{500, 50, 50}, MeanStats{0, 0, 0});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kEmptyArm));
  EXPECT_FALSE(result->absolute.valid);
}

TEST(ProportionTestTest, RejectsValuesThatAreNotZeroOrOne) {
  auto result = ProportionTest(MeanStats{10, 12, 12}, MeanStats{10, 5, 5});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("control.sum must be in [0, n]"));

  result = ProportionTest(MeanStats{10, 5, 5}, MeanStats{10, 5, 9});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("treatment.sum_sq must equal sum"));

  result = ProportionTest(MeanStats{10, -1, 0}, MeanStats{10, 5, 5});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("control.sum"));

  AnalysisSettings settings;
  settings.alpha = 0.0;
  result = ProportionTest(MeanStats{10, 5, 5}, MeanStats{10, 5, 5}, settings);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("alpha must be in (0, 1), got 0"));
}

}  // namespace
}  // namespace lift::stats
