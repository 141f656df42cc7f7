#include "stats/sufficient_statistics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

namespace lift::stats {
namespace {

using ::testing::HasSubstr;

TEST(SufficientStatisticsTest, MeanAndSampleVariance) {
  const MeanStats stats{4, 10, 30};  // 1, 2, 3, 4
  EXPECT_DOUBLE_EQ(stats.Mean(), 2.5);
  EXPECT_DOUBLE_EQ(stats.Variance(), 5.0 / 3.0);
  EXPECT_EQ(MeanStats{}.Mean(), 0.0);
  EXPECT_EQ((MeanStats{1, 3, 9}).Variance(), 0.0);
}

TEST(SufficientStatisticsTest, CovariateMoments) {
  CovariateStats stats;
  stats.y = MeanStats{3, 6, 14};  // y = 1, 2, 3
  stats.sum_x = 12;               // x = 2, 4, 6
  stats.sum_x_sq = 56;
  stats.sum_xy = 28;
  EXPECT_DOUBLE_EQ(stats.MeanX(), 4.0);
  EXPECT_DOUBLE_EQ(stats.VarianceX(), 4.0);
  EXPECT_DOUBLE_EQ(stats.Covariance(), 2.0);
}

TEST(SufficientStatisticsTest, RatioCovariateStatsAddFieldByField) {
  RatioCovariateStats a;
  a.post = RatioStats{2, 3, 5, 2, 2, 3};
  a.pre = RatioStats{2, 1, 1, 2, 2, 1};
  a.sum_num_post_num_pre = 2;
  a.sum_den_post_den_pre = 2;
  a.sum_num_post_den_pre = 3;
  a.sum_den_post_num_pre = 1;
  const RatioCovariateStats sum = a + a;
  EXPECT_EQ(sum.post.n, 4);
  EXPECT_EQ(sum.pre.sum_num_den, 2);
  EXPECT_EQ(sum.sum_num_post_num_pre, 4);
  EXPECT_EQ(sum.sum_den_post_den_pre, 4);
  EXPECT_EQ(sum.sum_num_post_den_pre, 6);
  EXPECT_EQ(sum.sum_den_post_num_pre, 2);
  EXPECT_TRUE(ValidateRatioCovariateStats(sum).ok());
}

TEST(SufficientStatisticsTest, ValidationNamesTheField) {
  auto status = ValidateMeanStats(MeanStats{3, 6, 1}, "variants[1].");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("variants[1].sum_sq (1) is inconsistent"));

  status = ValidateMeanStats(MeanStats{2, std::numeric_limits<double>::quiet_NaN(), 1});
  EXPECT_THAT(status.message(), HasSubstr("sum must be finite"));

  RatioCovariateStats ratio;
  ratio.post.n = 2;
  ratio.pre.n = 2;
  ratio.sum_den_post_num_pre = std::numeric_limits<double>::infinity();
  status = ValidateRatioCovariateStats(ratio, "control.");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("control.sum_den_post_num_pre must be finite"));

  ratio.sum_den_post_num_pre = 0;
  ratio.pre.sum_den = 4;
  ratio.pre.sum_den_sq = 1;  // < 4²/2
  status = ValidateRatioCovariateStats(ratio, "control.");
  EXPECT_THAT(status.message(), HasSubstr("control.pre.sum_den_sq"));
}

}  // namespace
}  // namespace lift::stats
