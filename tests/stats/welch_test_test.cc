#include "stats/welch_test.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "tests/stats/ab_fixtures.h"

namespace lift::stats {
namespace {

using ::lift::stats::testing::ExpectEstimateNear;
using ::lift::stats::testing::LoadFixture;
using ::lift::stats::testing::MeanStatsFromJson;
using ::lift::stats::testing::NearRelative;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// gbstats' published values are rounded to 5 (test_tests.py) or 9 (test_gbstats.py) decimals:
// agreement within half a unit of the last digit.
constexpr double kFiveDecimals = 5e-6;
constexpr double kNineDecimals = 5e-10;

void ExpectAllFinite(const Estimate& e) {
  EXPECT_TRUE(std::isfinite(e.estimate) && std::isfinite(e.se) && std::isfinite(e.ci_low) &&
              std::isfinite(e.ci_high) && std::isfinite(e.p_value) && std::isfinite(e.df));
}

void ExpectNoInference(const Estimate& e) {
  ExpectAllFinite(e);
  EXPECT_FALSE(e.valid);
  EXPECT_EQ(e.se, 0.0);
  EXPECT_EQ(e.p_value, 1.0);
  EXPECT_EQ(e.ci_low, e.estimate);
  EXPECT_EQ(e.ci_high, e.estimate);
}

// Reference: tests/reference/fixtures/ab_welch.json, scipy.stats.ttest_ind(equal_var=False) on the
// raw units the sufficient statistics were summed from (ref_ab.py welch_cases).
TEST(WelchTestTest, MatchesScipyWelchOnRawUnits) {
  const nlohmann::json fixture = LoadFixture("ab_welch.json");
  ASSERT_GE(fixture["cases"].size(), 10u);
  for (const auto& c : fixture["cases"]) {
    const std::string name = c["name"];
    AnalysisSettings settings;
    settings.alpha = c["alpha"];
    const auto result =
        WelchTest(MeanStatsFromJson(c["control"]), MeanStatsFromJson(c["treatment"]), settings);
    ASSERT_TRUE(result.ok()) << name << ": " << result.status();
    EXPECT_TRUE(result->flags.empty()) << name;
    EXPECT_TRUE(NearRelative(result->control.mean, c["control_mean"])) << name;
    EXPECT_TRUE(NearRelative(result->treatment.variance, c["treatment_variance"])) << name;
    EXPECT_TRUE(NearRelative(result->absolute.estimate / result->absolute.se, c["t_statistic"]))
        << name;
    ExpectEstimateNear(result->absolute, c["absolute"], name + " absolute");
    ExpectEstimateNear(result->relative, c["relative"], name + " relative");
  }
}

// GrowthBook gbstats, packages/stats/tests/frequentist/test_tests.py,
// TestTwoSidedTTest.test_two_sided_ttest (relative) and test_two_sided_ttest_absolute.
TEST(WelchTestTest, MatchesGbstatsTwoSidedTTest) {
  const MeanStats control{3407, 1396.87, 52377.9767};
  const MeanStats treatment{3461, 2422.7, 134698.29};
  const auto result = WelchTest(control, treatment);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NEAR(result->relative.estimate, 0.70732, kFiveDecimals);
  EXPECT_NEAR(result->relative.ci_low, -0.03526, kFiveDecimals);
  EXPECT_NEAR(result->relative.ci_high, 1.44989, kFiveDecimals);
  EXPECT_NEAR(result->relative.se, 0.37879, kFiveDecimals);
  EXPECT_NEAR(result->relative.p_value, 0.06191, kFiveDecimals);
  EXPECT_NEAR(result->absolute.estimate, 0.29, kFiveDecimals);
  EXPECT_NEAR(result->absolute.ci_low, 0.04538, kFiveDecimals);
  EXPECT_NEAR(result->absolute.ci_high, 0.53462, kFiveDecimals);
  EXPECT_NEAR(result->absolute.se, 0.12478, kFiveDecimals);
  EXPECT_NEAR(result->absolute.p_value, 0.02016, kFiveDecimals);
}

// GrowthBook gbstats, packages/stats/tests/frequentist/test_tests.py, TestOneSidedGreaterTTest
// (setUp with n = 3000 in control): full-precision expected uplift mean and stddev.
TEST(WelchTestTest, MatchesGbstatsOneSidedSetUpMoments) {
  const auto result =
      WelchTest(MeanStats{3000, 1396.87, 52377.9767}, MeanStats{3461, 2422.7, 134698.29});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(NearRelative(result->relative.estimate, 0.5033610858562358));
  EXPECT_TRUE(NearRelative(result->relative.se, 0.3334122146400735));
  EXPECT_TRUE(NearRelative(result->absolute.estimate, 0.23437666666666668));
  EXPECT_TRUE(NearRelative(result->absolute.se, 0.12983081254184736));
}

// GrowthBook gbstats, packages/stats/tests/test_gbstats.py,
// TestAnalyzeMetricDfFrequentist.test_get_metric_df_frequentist, dimension "one"
// (MULTI_DIMENSION_STATISTICS_DF: control "zero", treatment "one").
TEST(WelchTestTest, MatchesGbstatsAnalyzeMetricDfFrequentist) {
  const auto result = WelchTest(MeanStats{100, 270, 848.79}, MeanStats{120, 300, 869});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NEAR(result->control.mean, 2.7, kNineDecimals);
  EXPECT_NEAR(result->treatment.mean, 2.5, kNineDecimals);
  EXPECT_NEAR(result->relative.estimate, -0.074074074, kNineDecimals);
  EXPECT_NEAR(result->relative.p_value, 0.145219005, kNineDecimals);
}

TEST(WelchTestTest, RelativeLiftDividesByAbsoluteControlMean) {
  // Control mean -2, treatment mean -1: the metric rose, so the lift is +50 %, not -50 %.
  const auto result = WelchTest(MeanStats{4, -8, 18}, MeanStats{4, -4, 6});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_DOUBLE_EQ(result->relative.estimate, 0.5);
  EXPECT_GT(result->absolute.estimate, 0.0);
}

TEST(WelchTestTest, EmptyArmIsFlaggedNotNaN) {
  const auto result = WelchTest(MeanStats{0, 0, 0}, MeanStats{10, 20, 50});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kEmptyArm));
  ExpectNoInference(result->absolute);
  ExpectNoInference(result->relative);
}

TEST(WelchTestTest, ArmBelowMinimumShowsEstimateWithoutInference) {
  AnalysisSettings settings;
  settings.min_n_per_arm = 100;
  const auto result = WelchTest(MeanStats{50, 100, 250}, MeanStats{200, 500, 1400}, settings);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kSampleTooSmall));
  ExpectNoInference(result->absolute);
  EXPECT_DOUBLE_EQ(result->absolute.estimate, 0.5);
  EXPECT_DOUBLE_EQ(result->relative.estimate, 0.25);
  // A single unit is always too small: its variance is undefined.
  const auto single = WelchTest(MeanStats{1, 3, 9}, MeanStats{10, 20, 50});
  ASSERT_TRUE(single.ok());
  EXPECT_THAT(single->flags, ElementsAre(ResultFlag::kSampleTooSmall));
}

TEST(WelchTestTest, ZeroVarianceInBothArmsIsFlagged) {
  const auto result = WelchTest(MeanStats{10, 10, 10}, MeanStats{10, 20, 40});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kZeroVariance));
  ExpectNoInference(result->absolute);
  EXPECT_DOUBLE_EQ(result->absolute.estimate, 1.0);
  ExpectNoInference(result->relative);
}

TEST(WelchTestTest, ZeroVarianceInOneArmStillTests) {
  const auto result = WelchTest(MeanStats{10, 10, 10}, MeanStats{10, 25, 75});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->flags.empty());
  EXPECT_TRUE(result->absolute.valid);
  // Welch–Satterthwaite with one constant arm: df = n_t - 1.
  EXPECT_DOUBLE_EQ(result->absolute.df, 9.0);
}

TEST(WelchTestTest, ZeroBaselineWithholdsOnlyTheRelativeLift) {
  const auto result = WelchTest(MeanStats{10, 0, 20}, MeanStats{10, 5, 30});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kZeroBaseline));
  EXPECT_TRUE(result->absolute.valid);
  ExpectNoInference(result->relative);
  EXPECT_EQ(result->relative.estimate, 0.0);
}

TEST(WelchTestTest, RejectsMalformedInputNamingTheField) {
  AnalysisSettings bad_alpha;
  bad_alpha.alpha = 1.5;
  auto result = WelchTest(MeanStats{10, 1, 1}, MeanStats{10, 1, 1}, bad_alpha);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("alpha must be in (0, 1), got 1.5"));

  result = WelchTest(MeanStats{-3, 1, 1}, MeanStats{10, 1, 1});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("control.n must be >= 0, got -3"));

  // Σy² = 1 is impossible for 10 units summing to 10 (it must be at least 10²/10 = 10).
  result = WelchTest(MeanStats{10, 10, 10}, MeanStats{10, 10, 1});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("treatment.sum_sq"));

  AnalysisSettings bad_minimum;
  bad_minimum.min_n_per_arm = 1;
  result = WelchTest(MeanStats{10, 1, 1}, MeanStats{10, 1, 1}, bad_minimum);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("min_n_per_arm must be >= 2"));
}

}  // namespace
}  // namespace lift::stats
