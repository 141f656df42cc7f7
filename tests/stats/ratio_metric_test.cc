#include "stats/ratio_metric.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/stats/ab_fixtures.h"

namespace lift::stats {
namespace {

using ::lift::stats::testing::ExpectEstimateNear;
using ::lift::stats::testing::LoadFixture;
using ::lift::stats::testing::NearRelative;
using ::lift::stats::testing::RatioStatsFromJson;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Reference: tests/reference/fixtures/ab_ratio.json: the delta-method variance of Σnum/Σden from
// np.cov of the raw (numerator, denominator) unit pairs, Welch–Satterthwaite df, scipy.stats.t
// (ref_ab.py ratio_cases).
TEST(RatioMetricTest, MatchesDeltaMethodOnRawUnits) {
  const nlohmann::json fixture = LoadFixture("ab_ratio.json");
  ASSERT_GE(fixture["cases"].size(), 4u);
  for (const auto& c : fixture["cases"]) {
    const std::string name = c["name"];
    AnalysisSettings settings;
    settings.alpha = c["alpha"];
    const auto result = RatioMetricTest(RatioStatsFromJson(c["control"]),
                                        RatioStatsFromJson(c["treatment"]), settings);
    ASSERT_TRUE(result.ok()) << name << ": " << result.status();
    EXPECT_TRUE(result->flags.empty()) << name;
    EXPECT_TRUE(NearRelative(result->control.mean, c["control_ratio"])) << name;
    EXPECT_TRUE(NearRelative(result->treatment.mean, c["treatment_ratio"])) << name;
    EXPECT_TRUE(NearRelative(result->control.variance, c["control_variance"])) << name;
    EXPECT_TRUE(NearRelative(result->treatment.variance, c["treatment_variance"])) << name;
    ExpectEstimateNear(result->absolute, c["absolute"], name + " absolute");
    ExpectEstimateNear(result->relative, c["relative"], name + " relative");
  }
}

TEST(RatioMetricTest, ArmSummaryOfConstantDenominatorIsTheMeanOfTheNumerator) {
  // Denominator 1 for every unit: the ratio is a plain mean and s_R² the numerator's variance.
  RatioStats stats;
  stats.n = 4;
  stats.sum_num = 10;  // 1, 2, 3, 4
  stats.sum_num_sq = 30;
  stats.sum_den = 4;
  stats.sum_den_sq = 4;
  stats.sum_num_den = 10;
  const ArmSummary summary = RatioArmSummary(stats);
  EXPECT_DOUBLE_EQ(summary.mean, 2.5);
  EXPECT_DOUBLE_EQ(summary.variance, 5.0 / 3.0);
}

TEST(RatioMetricTest, ZeroDenominatorWithholdsInference) {
  RatioStats control;
  control.n = 100;
  control.sum_num = 0;
  RatioStats treatment;
  treatment.n = 120;
  treatment.sum_num = 300;
  treatment.sum_num_sq = 900;
  treatment.sum_den = 500;
  treatment.sum_den_sq = 2500;
  treatment.sum_num_den = 1400;
  const auto result = RatioMetricTest(control, treatment);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kZeroDenominator));
  EXPECT_FALSE(result->absolute.valid);
  EXPECT_FALSE(result->relative.valid);
  EXPECT_EQ(result->absolute.p_value, 1.0);
}

TEST(RatioMetricTest, EmptyArmIsFlagged) {
  RatioStats treatment;
  treatment.n = 3;
  treatment.sum_num = 3;
  treatment.sum_num_sq = 5;
  treatment.sum_den = 3;
  treatment.sum_den_sq = 3;
  treatment.sum_num_den = 3;
  const auto result = RatioMetricTest(RatioStats{}, treatment);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kEmptyArm));
}

// GrowthBook gbstats, packages/stats/tests/test_gbstats.py, RATIO_STATISTICS_DF (variation
// "one"): denominator_sum 500 with denominator_sum_squares 800 over 120 users cannot come from
// real data (Σd² >= (Σd)²/n = 2083.3), so Lift rejects it instead of computing on it.
TEST(RatioMetricTest, RejectsInconsistentSumsNamingTheField) {
  RatioStats control;
  control.n = 100;
  control.sum_num = 270;
  control.sum_num_sq = 848.79;
  control.sum_den = 510;
  control.sum_den_sq = 2700;
  control.sum_num_den = 1400;
  RatioStats treatment;
  treatment.n = 120;
  treatment.sum_num = 300;
  treatment.sum_num_sq = 869;
  treatment.sum_den = 500;
  treatment.sum_den_sq = 800;
  treatment.sum_num_den = -905;
  const auto result = RatioMetricTest(control, treatment);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("treatment.sum_den_sq"));

  treatment.n = -1;
  EXPECT_THAT(RatioMetricTest(control, treatment).status().message(),
              HasSubstr("treatment.n must be >= 0"));
}

}  // namespace
}  // namespace lift::stats
