// Tests of stats/sequential: asymptotic confidence sequences and always-valid p-values.
#include "stats/sequential.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace lift::stats {
namespace {

using ::testing::HasSubstr;

// Closed forms are compared with their references at this relative tolerance.
constexpr double kClosedFormTolerance = 1e-6;
// Values that underflow towards 0 (p-values of huge effects) are compared absolutely below this.
constexpr double kAbsoluteFloor = 1e-300;
// GrowthBook's published test vectors are rounded to 5 decimals: allow half a unit in the last
// place plus rounding of the comparison itself.
constexpr double kGrowthBookRounding = 5e-6 + 1e-12;

void ExpectRelativeNear(double actual, double expected, const std::string& what) {
  const double scale = std::max(std::fabs(expected), kAbsoluteFloor);
  EXPECT_LE(std::fabs(actual - expected), kClosedFormTolerance * scale)
      << what << ": actual " << actual << ", expected " << expected;
}

nlohmann::json LoadFixture(const std::string& name) {
  std::ifstream in(std::string(LIFT_REFERENCE_DIR) + "/fixtures/" + name);
  EXPECT_TRUE(in.good()) << "missing fixture " << name
                         << "; run /usr/bin/python3 tests/reference/ref_sequential.py";
  return nlohmann::json::parse(in);
}

// Relative lift b/a - 1 and its delta-method standard error from sufficient statistics, as gbstats
// computes them (used to feed GrowthBook's published test inputs).
struct Relative {
  double estimate;
  double se;
};
Relative RelativeLift(double n_a, double mean_a, double var_a, double n_b, double mean_b,
                      double var_b) {
  const double variance =
      var_b / (mean_a * mean_a * n_b) + var_a * mean_b * mean_b / (std::pow(mean_a, 4) * n_a);
  return {(mean_b - mean_a) / mean_a, std::sqrt(variance)};
}
double SampleVariance(double n, double sum, double sum_sq) {
  return (sum_sq - sum * sum / n) / (n - 1.0);
}

TEST(SequentialTest, MatchesReferenceFixture) {
  // Source: tests/reference/ref_sequential.py (numpy reimplementation of Waudby-Smith et al. 2023,
  // eqs. 9, 155, 161; p-value cross-checked by scipy.optimize.brentq).
  const nlohmann::json fixture = LoadFixture("sequential.json");
  ASSERT_GE(fixture["cases"].size(), 100u);
  for (const auto& c : fixture["cases"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    const SequentialSettings settings{c["alpha"].get<double>(), c["tuning"].get<double>()};
    const auto result = SequentialTest(c["estimate"].get<double>(), c["se"].get<double>(),
                                       c["total_n"].get<int64_t>(), settings);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(result->effect.valid);
    EXPECT_TRUE(result->flags.empty());
    ExpectRelativeNear(result->rho, c["rho"], "rho");
    ExpectRelativeNear(result->half_width, c["half_width"], "half_width");
    ExpectRelativeNear(result->effect.ci_low, c["ci_low"], "ci_low");
    ExpectRelativeNear(result->effect.ci_high, c["ci_high"], "ci_high");
    ExpectRelativeNear(result->effect.p_value, c["p_value"], "p_value");
    EXPECT_EQ(result->effect.df, 0.0);
    EXPECT_EQ(result->effect.estimate, c["estimate"].get<double>());
    EXPECT_EQ(result->effect.se, c["se"].get<double>());
  }
}

// Published vectors: GrowthBook packages/stats/tests/frequentist/test_tests.py,
// TestSequentialTTest.test_sequential_test_runs (relative, sequential_tuning_parameter=1000):
// stat_a = SampleMeanStatistic(sum=1396.87, sum_squares=52377.9767, n=3000),
// stat_b = SampleMeanStatistic(sum=2422.7, sum_squares=134698.29, n=3461)
// -> expected 0.50336, ci (-0.55844, 1.56516), uplift stddev 0.33341, pValue 1.
TEST(SequentialTest, GrowthBookPublishedMeanCase) {
  const Relative lift =
      RelativeLift(3000, 1396.87 / 3000, SampleVariance(3000, 1396.87, 52377.9767), 3461,
                   2422.7 / 3461, SampleVariance(3461, 2422.7, 134698.29));
  EXPECT_NEAR(lift.estimate, 0.50336, kGrowthBookRounding);
  EXPECT_NEAR(lift.se, 0.33341, kGrowthBookRounding);
  const auto result = SequentialTest(lift.estimate, lift.se, 3000 + 3461, {0.05, 1000.0});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NEAR(result->effect.ci_low, -0.55844, kGrowthBookRounding);
  EXPECT_NEAR(result->effect.ci_high, 1.56516, kGrowthBookRounding);
  EXPECT_EQ(result->effect.p_value, 1.0);
}

// Published vectors: GrowthBook test_tests.py, TestSequentialTTest.test_sequential_test_runs_prop
// (default tuning 5000): ProportionStatistic(sum=1396, n=3000) vs ProportionStatistic(sum=2422,
// n=3461) -> expected 0.50386, ci (0.40098, 0.60675), uplift stddev 0.03386, pValue 0.0 (rounded).
TEST(SequentialTest, GrowthBookPublishedProportionCase) {
  const double p_a = 1396.0 / 3000, p_b = 2422.0 / 3461;
  const Relative lift = RelativeLift(3000, p_a, p_a * (1 - p_a), 3461, p_b, p_b * (1 - p_b));
  EXPECT_NEAR(lift.estimate, 0.50386, kGrowthBookRounding);
  EXPECT_NEAR(lift.se, 0.03386, kGrowthBookRounding);
  const auto result = SequentialTest(lift.estimate, lift.se, 3000 + 3461);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NEAR(result->effect.ci_low, 0.40098, kGrowthBookRounding);
  EXPECT_NEAR(result->effect.ci_high, 0.60675, kGrowthBookRounding);
  EXPECT_NEAR(result->effect.p_value, 0.0, kGrowthBookRounding);
}

// GrowthBook test_sequential_test_tuning_as_expected: with n = 6461, N* = 10 gives a wider
// sequence than N* = 10000, which is wider than N* = 6461 (tightest near n).
TEST(SequentialTest, TighterWhenTuningIsNearN) {
  const Relative lift =
      RelativeLift(3000, 1396.87 / 3000, SampleVariance(3000, 1396.87, 52377.9767), 3461,
                   2422.7 / 3461, SampleVariance(3461, 2422.7, 134698.29));
  const auto below = SequentialTest(lift.estimate, lift.se, 6461, {0.05, 10.0});
  const auto near = SequentialTest(lift.estimate, lift.se, 6461, {0.05, 6461.0});
  const auto above = SequentialTest(lift.estimate, lift.se, 6461, {0.05, 10000.0});
  ASSERT_TRUE(below.ok() && near.ok() && above.ok());
  EXPECT_GT(below->half_width, above->half_width);
  EXPECT_GT(above->half_width, near->half_width);
}

TEST(SequentialTest, WiderThanTheFixedHorizonInterval) {
  // 1.959963984540054 = scipy.stats.norm.ppf(0.975).
  for (int64_t n : {10, 1000, 5000, 100000, 10000000}) {
    const auto result = SequentialTest(0.1, 0.05, n);
    ASSERT_TRUE(result.ok());
    EXPECT_GT(result->half_width, 1.959963984540054 * 0.05) << "n = " << n;
  }
}

TEST(SequentialTest, PValueIsTheSmallestAlphaWhoseSequenceExcludesZero) {
  const SequentialSettings settings{0.05, 5000.0};
  for (double z : {2.0, 3.0, 4.0, 5.5}) {
    const double se = 0.02;
    const auto result = SequentialTest(z * se, se, 8000, settings);
    ASSERT_TRUE(result.ok());
    const double p = result->effect.p_value;
    ASSERT_LT(p, 1.0) << "z = " << z;
    // At alpha' = p (same rho) the half-width touches 0 exactly.
    const auto touching = SequentialHalfWidth(se, 8000, result->rho, p);
    ASSERT_TRUE(touching.ok());
    ExpectRelativeNear(*touching, z * se, "half-width at alpha' = p");
    // And the reported sequence excludes 0 exactly when p < alpha.
    const bool excludes_zero = result->effect.ci_low > 0.0 || result->effect.ci_high < 0.0;
    EXPECT_EQ(excludes_zero, p < settings.alpha) << "z = " << z << ", p = " << p;
  }
}

TEST(SequentialTest, SwappingArmsMirrorsTheSequence) {
  const auto forward = SequentialTest(0.07, 0.02, 12000);
  const auto swapped = SequentialTest(-0.07, 0.02, 12000);
  ASSERT_TRUE(forward.ok() && swapped.ok());
  EXPECT_DOUBLE_EQ(swapped->effect.ci_low, -forward->effect.ci_high);
  EXPECT_DOUBLE_EQ(swapped->effect.ci_high, -forward->effect.ci_low);
  EXPECT_DOUBLE_EQ(swapped->effect.p_value, forward->effect.p_value);
}

TEST(SequentialTest, ExtremeEvidenceGivesAFiniteZeroPValue) {
  const auto result = SequentialTest(1.0, 1e-4, 1000000);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(std::isfinite(result->effect.p_value));
  EXPECT_GE(result->effect.p_value, 0.0);
  EXPECT_LT(result->effect.p_value, 1e-300);
}

TEST(SequentialTest, FromFixedHorizonUsesEstimateAndSe) {
  Estimate fixed;
  fixed.estimate = 0.03;
  fixed.se = 0.01;
  fixed.valid = true;
  const auto from_fixed = SequentialFromFixedHorizon(fixed, 20000);
  const auto direct = SequentialTest(0.03, 0.01, 20000);
  ASSERT_TRUE(from_fixed.ok() && direct.ok());
  EXPECT_EQ(from_fixed->effect.ci_low, direct->effect.ci_low);
  EXPECT_EQ(from_fixed->effect.p_value, direct->effect.p_value);

  fixed.valid = false;  // e.g. a zero baseline upstream
  const auto invalid = SequentialFromFixedHorizon(fixed, 20000);
  ASSERT_TRUE(invalid.ok());
  EXPECT_FALSE(invalid->effect.valid);
  EXPECT_EQ(invalid->effect.p_value, 1.0);
  EXPECT_EQ(invalid->effect.ci_low, 0.03);
  EXPECT_EQ(invalid->effect.ci_high, 0.03);
}

TEST(SequentialTest, DegenerateDataIsFlagged) {
  const auto empty = SequentialTest(0.0, 0.0, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->effect.valid);
  EXPECT_THAT(empty->flags, ::testing::ElementsAre(ResultFlag::kEmptyArm));

  const auto constant = SequentialTest(0.25, 0.0, 500);
  ASSERT_TRUE(constant.ok());
  EXPECT_FALSE(constant->effect.valid);
  EXPECT_THAT(constant->flags, ::testing::ElementsAre(ResultFlag::kZeroVariance));
  EXPECT_EQ(constant->effect.estimate, 0.25);
  EXPECT_EQ(constant->effect.ci_low, 0.25);
  EXPECT_EQ(constant->effect.ci_high, 0.25);
  EXPECT_EQ(constant->effect.p_value, 1.0);
}

TEST(SequentialTest, RejectsMalformedInput) {
  struct Case {
    double estimate, se;
    int64_t n;
    SequentialSettings settings;
    const char* message;
  };
  const Case cases[] = {
      {0.1, 0.1, 100, {0.0, 5000.0}, "alpha must be in (0, 1)"},
      {0.1, 0.1, 100, {1.0, 5000.0}, "alpha must be in (0, 1)"},
      {0.1, 0.1, 100, {1.5, 5000.0}, "alpha must be in (0, 1), got 1.5"},
      {0.1, 0.1, 100, {std::nan(""), 5000.0}, "alpha must be in (0, 1)"},
      {0.1, 0.1, 100, {0.05, 0.0}, "tuning must be finite and > 0"},
      {0.1, 0.1, 100, {0.05, -3.0}, "tuning must be finite and > 0"},
      {0.1, 0.1, 100, {0.05, INFINITY}, "tuning must be finite and > 0"},
      {0.1, -0.1, 100, {}, "standard_error must be finite and >= 0"},
      {0.1, std::nan(""), 100, {}, "standard_error must be finite and >= 0"},
      {std::nan(""), 0.1, 100, {}, "estimate must be finite"},
      {0.1, 0.1, -1, {}, "total_n must be >= 0, got -1"},
  };
  for (const Case& c : cases) {
    const auto result = SequentialTest(c.estimate, c.se, c.n, c.settings);
    ASSERT_FALSE(result.ok()) << c.message;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(c.message));
  }
  const auto rho = SequentialRho(0.05, 0.0);
  EXPECT_EQ(rho.status().code(), absl::StatusCode::kInvalidArgument);
  const auto width = SequentialHalfWidth(0.1, 0, 0.04, 0.05);
  EXPECT_EQ(width.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(width.status().message()), HasSubstr("total_n must be >= 1"));
}

}  // namespace
}  // namespace lift::stats
