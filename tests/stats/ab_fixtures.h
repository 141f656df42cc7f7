// Helpers shared by the A/B tests of lift_stats: reading the reference fixtures written by
// tests/reference/generate.py (ref_ab.py) and comparing numbers at a named tolerance.
#ifndef LIFT_TESTS_STATS_AB_FIXTURES_H_
#define LIFT_TESTS_STATS_AB_FIXTURES_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "stats/estimate.h"
#include "stats/sufficient_statistics.h"

namespace lift::stats::testing {

// Closed-form results must agree with scipy / statsmodels to 1e-6 relative.
inline constexpr double kRelativeTolerance = 1e-6;
// Absolute floor so that values which are 0 in both (e.g. an estimate of exactly 0) compare equal.
inline constexpr double kAbsoluteFloor = 1e-12;

// The parsed fixture tests/reference/fixtures/<name>.
inline nlohmann::json LoadFixture(const std::string& name) {
  const std::string path = std::string(LIFT_REFERENCE_DIR) + "/fixtures/" + name;
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path
                  << " (run /usr/bin/python3 tests/reference/generate.py)";
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(in);
}

// |actual - expected| <= tolerance * max(|actual|, |expected|) + kAbsoluteFloor.
inline ::testing::AssertionResult NearRelative(double actual, double expected,
                                               double tolerance = kRelativeTolerance) {
  const double bound =
      tolerance * std::max(std::fabs(actual), std::fabs(expected)) + kAbsoluteFloor;
  if (std::fabs(actual - expected) <= bound) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << actual << " differs from expected " << expected << " by "
         << std::fabs(actual - expected) << " (allowed " << bound << ")";
}

// Compares every field of `actual` with a fixture object {estimate, se, ci_low, ci_high, p_value,
// df}; `context` names the case in failure messages.
inline void ExpectEstimateNear(const Estimate& actual, const nlohmann::json& expected,
                               const std::string& context, double tolerance = kRelativeTolerance) {
  SCOPED_TRACE(context);
  EXPECT_TRUE(actual.valid);
  EXPECT_TRUE(NearRelative(actual.estimate, expected.at("estimate"), tolerance)) << "estimate";
  EXPECT_TRUE(NearRelative(actual.se, expected.at("se"), tolerance)) << "se";
  EXPECT_TRUE(NearRelative(actual.ci_low, expected.at("ci_low"), tolerance)) << "ci_low";
  EXPECT_TRUE(NearRelative(actual.ci_high, expected.at("ci_high"), tolerance)) << "ci_high";
  EXPECT_TRUE(NearRelative(actual.p_value, expected.at("p_value"), tolerance)) << "p_value";
  EXPECT_TRUE(NearRelative(actual.df, expected.at("df"), tolerance)) << "df";
}

inline MeanStats MeanStatsFromJson(const nlohmann::json& j) {
  return MeanStats{j.at("n").get<int64_t>(), j.at("sum").get<double>(),
                   j.at("sum_sq").get<double>()};
}

inline CovariateStats CovariateStatsFromJson(const nlohmann::json& j) {
  CovariateStats stats;
  stats.y = MeanStatsFromJson(j.at("y"));
  stats.sum_x = j.at("sum_x");
  stats.sum_x_sq = j.at("sum_x2");
  stats.sum_xy = j.at("sum_xy");
  return stats;
}

inline RatioStats RatioStatsFromJson(const nlohmann::json& j) {
  RatioStats stats;
  stats.n = j.at("n");
  stats.sum_num = j.at("sum_num");
  stats.sum_num_sq = j.at("sum_num_sq");
  stats.sum_den = j.at("sum_den");
  stats.sum_den_sq = j.at("sum_den_sq");
  stats.sum_num_den = j.at("sum_num_den");
  return stats;
}

inline RatioCovariateStats RatioCovariateStatsFromJson(const nlohmann::json& j) {
  RatioCovariateStats stats;
  stats.post = RatioStatsFromJson(j.at("post"));
  stats.pre = RatioStatsFromJson(j.at("pre"));
  stats.sum_num_post_num_pre = j.at("sum_num_post_num_pre");
  stats.sum_den_post_den_pre = j.at("sum_den_post_den_pre");
  stats.sum_num_post_den_pre = j.at("sum_num_post_den_pre");
  stats.sum_den_post_num_pre = j.at("sum_den_post_num_pre");
  return stats;
}

}  // namespace lift::stats::testing

#endif  // LIFT_TESTS_STATS_AB_FIXTURES_H_
