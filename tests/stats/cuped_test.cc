#include "stats/cuped.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "stats/ratio_metric.h"
#include "stats/welch_test.h"
#include "tests/stats/ab_fixtures.h"

namespace lift::stats {
namespace {

using ::lift::stats::testing::CovariateStatsFromJson;
using ::lift::stats::testing::ExpectEstimateNear;
using ::lift::stats::testing::LoadFixture;
using ::lift::stats::testing::NearRelative;
using ::lift::stats::testing::RatioCovariateStatsFromJson;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kFiveDecimals = 5e-6;   // gbstats test_tests.py rounds to 5 decimals
constexpr double kNineDecimals = 5e-10;  // gbstats test_gbstats.py rounds to 9 decimals

void ExpectCupedMatches(const CupedResult& result, const nlohmann::json& c) {
  const std::string name = c["name"];
  EXPECT_TRUE(result.adjusted) << name;
  EXPECT_TRUE(result.flags.empty()) << name;
  EXPECT_TRUE(NearRelative(result.theta, c["theta"])) << name;
  EXPECT_TRUE(NearRelative(result.variance_reduction, c["variance_reduction"])) << name;
  EXPECT_TRUE(NearRelative(result.control_mean, c["control_mean"])) << name;
  EXPECT_TRUE(NearRelative(result.treatment_mean, c["treatment_mean"])) << name;
  EXPECT_TRUE(NearRelative(result.control.mean, c["control_adjusted_mean"])) << name;
  EXPECT_TRUE(NearRelative(result.treatment.mean, c["treatment_adjusted_mean"])) << name;
  EXPECT_TRUE(NearRelative(result.control.variance, c["control_adjusted_variance"])) << name;
  EXPECT_TRUE(NearRelative(result.treatment.variance, c["treatment_adjusted_variance"])) << name;
  ExpectEstimateNear(result.absolute, c["absolute"], name + " absolute");
  ExpectEstimateNear(result.relative, c["relative"], name + " relative");
}

// Reference: tests/reference/fixtures/ab_cuped.json: θ from np.cov of both arms' raw units pooled,
// adjusted units y - θx built explicitly, relative lift over the unadjusted control mean with
// gbstats' delta-method gradients (ref_ab.py cuped_cases).
TEST(CupedTest, MatchesNumpyOnRawUnits) {
  const nlohmann::json fixture = LoadFixture("ab_cuped.json");
  int checked = 0;
  for (const auto& c : fixture["cases"]) {
    if (!c.contains("theta")) continue;  // the variance-identity case, below
    AnalysisSettings settings;
    settings.alpha = c["alpha"];
    const auto result = CupedTest(CovariateStatsFromJson(c["control"]),
                                  CovariateStatsFromJson(c["treatment"]), settings);
    ASSERT_TRUE(result.ok()) << c["name"] << ": " << result.status();
    ExpectCupedMatches(*result, c);
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

// Deng, Xu, Kohavi, Walker 2013, Sec. 3.1: with θ = Cov(y,x)/Var(x),
// Var(y - θx) = Var(y)(1 - ρ²). ab_cuped.json "variance_identity": treatment repeats control's
// units with y shifted, so the pooled θ is each arm's own optimal θ.
TEST(CupedTest, AdjustedVarianceFollowsThePaperIdentity) {
  const nlohmann::json fixture = LoadFixture("ab_cuped.json");
  const nlohmann::json* identity = nullptr;
  for (const auto& c : fixture["cases"]) {
    if (c["name"] == "variance_identity") identity = &c;
  }
  ASSERT_NE(identity, nullptr);
  const auto result = CupedTest(CovariateStatsFromJson((*identity)["control"]),
                                CovariateStatsFromJson((*identity)["treatment"]));
  ASSERT_TRUE(result.ok()) << result.status();
  const double expected = (*identity)["expected_adjusted_variance"];
  EXPECT_TRUE(NearRelative(result->control.variance, expected));
  EXPECT_TRUE(NearRelative(result->treatment.variance, expected));
  const double rho = (*identity)["rho"];
  EXPECT_TRUE(NearRelative(result->variance_reduction, rho * rho));
}

// GrowthBook gbstats, packages/stats/tests/test_gbstats.py,
// TestAnalyzeMetricDfRegressionAdjustment.test_analyze_metric_df_ra (RA_STATISTICS_DF: control
// "zero", treatment "one"; frequentist, relative).
TEST(CupedTest, MatchesGbstatsRegressionAdjustment) {
  CovariateStats control;
  control.y = MeanStats{3001, 300, 600};
  control.sum_x = 210;
  control.sum_x_sq = 415;
  control.sum_xy = -20;
  CovariateStats treatment;
  treatment.y = MeanStats{3000, 222, 555};
  treatment.sum_x = 120;
  treatment.sum_x_sq = 405;
  treatment.sum_xy = -10;
  const auto result = CupedTest(control, treatment);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NEAR(result->control_mean, 0.099966678, kNineDecimals);  // unadjusted
  EXPECT_NEAR(result->treatment_mean, 0.074, kNineDecimals);
  EXPECT_NEAR(result->relative.estimate, -0.281707154, kNineDecimals);
  EXPECT_NEAR(result->relative.p_value, 0.003732549, kNineDecimals);
}

// GrowthBook gbstats: packages/stats/tests/test_gbstats.py,
// TestAnalyzeMetricDfRegressionAdjustment.test_analyze_metric_df_ratio_ra (RATIO_RA_STATISTICS_DF)
// and packages/stats/tests/frequentist/test_tests.py,
// TestTwoSidedTTest.test_two_sided_ttest_test_runs_ratio_ra (same data; CI and stddev).
TEST(CupedTest, MatchesGbstatsRegressionAdjustedRatio) {
  RatioCovariateStats control;
  control.post = RatioStats{100,
                            485.112236689623,
                            2715.484666118136,
                            679.9093275844917,
                            4939.424001640236,
                            3602.146836776702};
  control.pre = RatioStats{100,
                           192.59138069991536,
                           460.076026390857,
                           290.1398399750233,
                           920.9461385038898,
                           634.239482353647};
  control.sum_num_post_num_pre = 1113.6215759318352;
  control.sum_den_post_den_pre = 2130.9404074446747;
  control.sum_num_post_den_pre = 1559.2878434944676;
  control.sum_den_post_num_pre = 1460.3181079276983;
  RatioCovariateStats treatment;
  treatment.post = RatioStats{100,
                              514.7757826608777,
                              2994.897482705013,
                              705.4090874383759,
                              5291.36604146392,
                              3918.1561431600717};
  treatment.pre = RatioStats{100,
                             206.94157227402536,
                             514.2903702246757,
                             302.54389139107326,
                             994.4506208125663,
                             698.4173425817913};
  treatment.sum_num_post_num_pre = 1237.0953021125997;
  treatment.sum_den_post_den_pre = 2292.081739775257;
  treatment.sum_num_post_den_pre = 1701.0287270040265;
  treatment.sum_den_post_num_pre = 1604.075950326651;
  const auto result = CupedRatioTest(control, treatment);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->adjusted);
  EXPECT_NEAR(result->control_mean, 0.713495487, kNineDecimals);
  EXPECT_NEAR(result->treatment_mean, 0.729754963, kNineDecimals);
  EXPECT_NEAR(result->relative.estimate, -0.000701483, kNineDecimals);
  EXPECT_NEAR(result->relative.p_value, 0.857710405, kNineDecimals);
  EXPECT_NEAR(result->relative.ci_low, -0.00841, kFiveDecimals);
  EXPECT_NEAR(result->relative.ci_high, 0.00700, kFiveDecimals);
  EXPECT_NEAR(result->relative.se, 0.00391, kFiveDecimals);
}

// Reference: tests/reference/fixtures/ab_cuped_ratio.json, gbstats'
// RegressionAdjustedRatioStatistic recomputed in numpy from raw units (ref_ab.py).
TEST(CupedTest, RatioMatchesNumpyOnRawUnits) {
  const nlohmann::json fixture = LoadFixture("ab_cuped_ratio.json");
  ASSERT_GE(fixture["cases"].size(), 3u);
  for (const auto& c : fixture["cases"]) {
    AnalysisSettings settings;
    settings.alpha = c["alpha"];
    const auto result = CupedRatioTest(RatioCovariateStatsFromJson(c["control"]),
                                       RatioCovariateStatsFromJson(c["treatment"]), settings);
    ASSERT_TRUE(result.ok()) << c["name"] << ": " << result.status();
    ExpectCupedMatches(*result, c);
  }
}

TEST(CupedTest, ConstantCovariateFallsBackToWelch) {
  CovariateStats control;
  control.y = MeanStats{4, 10, 30};
  control.sum_x = 8;  // x = 2 for every unit
  control.sum_x_sq = 16;
  control.sum_xy = 20;
  CovariateStats treatment;
  treatment.y = MeanStats{5, 20, 90};
  treatment.sum_x = 10;
  treatment.sum_x_sq = 20;
  treatment.sum_xy = 40;
  const auto cuped = CupedTest(control, treatment);
  const auto welch = WelchTest(control.y, treatment.y);
  ASSERT_TRUE(cuped.ok() && welch.ok());
  EXPECT_FALSE(cuped->adjusted);
  EXPECT_THAT(cuped->flags, ElementsAre(ResultFlag::kNoCovariateVariance));
  EXPECT_EQ(cuped->theta, 0.0);
  EXPECT_EQ(cuped->variance_reduction, 0.0);
  EXPECT_EQ(cuped->absolute.p_value, welch->absolute.p_value);
  EXPECT_EQ(cuped->relative.estimate, welch->relative.estimate);
  EXPECT_EQ(cuped->unadjusted.absolute.p_value, welch->absolute.p_value);
}

TEST(CupedTest, UncorrelatedCovariateChangesLittle) {
  // x orthogonal to y within each arm: θ = 0 and CUPED equals the plain test.
  CovariateStats control;
  control.y = MeanStats{4, 10, 30};  // y = 1, 2, 3, 4
  control.sum_x = 0;                 // x = 1, -1, -1, 1
  control.sum_x_sq = 4;
  control.sum_xy = 0;
  CovariateStats treatment = control;
  treatment.y = MeanStats{4, 14, 54};  // y = 2, 3, 4, 5
  treatment.sum_xy = 0;
  const auto cuped = CupedTest(control, treatment);
  const auto welch = WelchTest(control.y, treatment.y);
  ASSERT_TRUE(cuped.ok() && welch.ok());
  EXPECT_TRUE(cuped->adjusted);
  EXPECT_EQ(cuped->theta, 0.0);
  EXPECT_DOUBLE_EQ(cuped->absolute.p_value, welch->absolute.p_value);
  EXPECT_NEAR(cuped->variance_reduction, 0.0, 1e-15);
  EXPECT_EQ(cuped->unadjusted.relative.p_value, welch->relative.p_value);
}

TEST(CupedTest, RatioWithoutPrePeriodDenominatorFallsBack) {
  RatioCovariateStats control;
  control.post = RatioStats{3, 6, 14, 3, 3, 6};  // num 1, 2, 3; den 1
  control.pre.n = 3;                             // no pre-period activity at all
  RatioCovariateStats treatment = control;
  treatment.post = RatioStats{3, 9, 29, 3, 3, 9};  // num 2, 3, 4
  const auto cuped = CupedRatioTest(control, treatment);
  const auto plain = RatioMetricTest(control.post, treatment.post);
  ASSERT_TRUE(cuped.ok() && plain.ok()) << cuped.status();
  EXPECT_FALSE(cuped->adjusted);
  EXPECT_THAT(cuped->flags, ElementsAre(ResultFlag::kNoCovariateVariance));
  EXPECT_EQ(cuped->absolute.p_value, plain->absolute.p_value);
}

TEST(CupedTest, DegenerateArmsAreFlaggedNotAdjusted) {
  CovariateStats empty;
  CovariateStats arm;
  arm.y = MeanStats{3, 6, 14};
  arm.sum_x = 3;
  arm.sum_x_sq = 5;
  arm.sum_xy = 7;
  auto result = CupedTest(empty, arm);
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kEmptyArm));
  EXPECT_FALSE(result->adjusted);
  EXPECT_FALSE(result->absolute.valid);

  AnalysisSettings settings;
  settings.min_n_per_arm = 10;
  result = CupedTest(arm, arm, settings);
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kSampleTooSmall));
  EXPECT_FALSE(result->absolute.valid);
}

TEST(CupedTest, RejectsMalformedInputNamingTheField) {
  CovariateStats control;
  control.y = MeanStats{10, 10, 20};
  control.sum_x = 10;
  control.sum_x_sq = 5;  // < 10²/10
  auto result = CupedTest(control, control);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("control.sum_x2"));

  RatioCovariateStats ratio;
  ratio.post.n = 5;
  ratio.pre.n = 4;
  const auto ratio_result = CupedRatioTest(ratio, ratio);
  EXPECT_EQ(ratio_result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ratio_result.status().message(), HasSubstr("control.pre.n (4) must equal"));
}

}  // namespace
}  // namespace lift::stats
