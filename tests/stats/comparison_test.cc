#include "stats/comparison.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace lift::stats {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ComparisonTest, WelchSatterthwaiteByHand) {
  // v_c/n_c = 4/10 = 0.4, v_t/n_t = 9/20 = 0.45: df = 0.85² / (0.4²/9 + 0.45²/19).
  const double df = WelchSatterthwaiteDf(ArmSummary{10, 0.0, 4.0}, ArmSummary{20, 0.0, 9.0});
  EXPECT_DOUBLE_EQ(df, 0.85 * 0.85 / (0.16 / 9.0 + 0.2025 / 19.0));
  EXPECT_EQ(WelchSatterthwaiteDf(ArmSummary{1, 0.0, 4.0}, ArmSummary{20, 0.0, 9.0}), 0.0);
  EXPECT_EQ(WelchSatterthwaiteDf(ArmSummary{5, 0.0, 0.0}, ArmSummary{5, 0.0, 0.0}), 0.0);
}

TEST(ComparisonTest, NormalEstimateUsesZQuantile) {
  const Estimate e = TwoSidedEstimate(1.96, 1.0, 0.0, 0.05);
  EXPECT_TRUE(e.valid);
  EXPECT_EQ(e.df, 0.0);
  EXPECT_NEAR(e.ci_low, 1.96 - 1.959963984540054, 1e-12);  // scipy.stats.norm.ppf(0.975)
  EXPECT_NEAR(e.p_value, 0.04999579029644087, 1e-12);      // 2 * scipy.stats.norm.sf(1.96)
}

TEST(ComparisonTest, TinyControlMeanIsTreatedAsZeroBaseline) {
  const auto result =
      CompareArms(ArmSummary{100, 1e-320, 1.0}, ArmSummary{100, 1.0, 1.0}, AnalysisSettings{});
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kZeroBaseline));
  EXPECT_TRUE(result->absolute.valid);
  EXPECT_FALSE(result->relative.valid);
  EXPECT_TRUE(std::isfinite(result->relative.estimate));
}

TEST(ComparisonTest, RejectsInvalidArmsNamingTheField) {
  auto result = CompareArms(ArmSummary{10, 1.0, -1.0}, ArmSummary{10, 1.0, 1.0}, {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("control.variance must be finite and >= 0"));
  result = CompareArms(ArmSummary{10, 1.0, 1.0},
                       ArmSummary{10, std::numeric_limits<double>::infinity(), 1.0}, {});
  EXPECT_THAT(result.status().message(), HasSubstr("treatment.mean must be finite"));
}

TEST(ComparisonTest, FlagNamesAreStable) {
  EXPECT_EQ(ResultFlagName(ResultFlag::kNoCovariateVariance), "no_covariate_variance");
  EXPECT_TRUE(
      HasFlag({ResultFlag::kEmptyArm, ResultFlag::kZeroBaseline}, ResultFlag::kZeroBaseline));
  EXPECT_FALSE(HasFlag({}, ResultFlag::kEmptyArm));
}

}  // namespace
}  // namespace lift::stats
