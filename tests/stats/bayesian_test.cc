// Tests of stats/bayesian: the Gaussian effect model on the relative lift.
#include "stats/bayesian.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace lift::stats {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Closed forms are compared with their references at this relative tolerance.
constexpr double kClosedFormTolerance = 1e-6;
// Tail quantities (risks near 1e-12) are compared absolutely below this floor: scipy's truncated
// normal and the closed form agree to ~1e-17 there, far below any reported digit.
constexpr double kAbsoluteFloor = 1e-15;
// GrowthBook's published test vectors are rounded to 5 decimals.
constexpr double kGrowthBookRounding = 5e-6 + 1e-12;

void ExpectRelativeNear(double actual, double expected, const std::string& what) {
  EXPECT_LE(std::fabs(actual - expected),
            std::max(kClosedFormTolerance * std::fabs(expected), kAbsoluteFloor))
      << what << ": actual " << actual << ", expected " << expected;
}

nlohmann::json LoadFixture(const std::string& name) {
  std::ifstream in(std::string(LIFT_REFERENCE_DIR) + "/fixtures/" + name);
  EXPECT_TRUE(in.good()) << "missing fixture " << name
                         << "; run /usr/bin/python3 tests/reference/ref_bayesian.py";
  return nlohmann::json::parse(in);
}

BayesianSettings Flat(double alpha = 0.05) {
  BayesianSettings settings;
  settings.alpha = alpha;
  return settings;
}
BayesianSettings Informative(double mean, double sd, double alpha = 0.05) {
  BayesianSettings settings;
  settings.alpha = alpha;
  settings.prior = GaussianPrior{true, mean, sd};
  return settings;
}

TEST(BayesianTest, MatchesReferenceFixture) {
  // Source: tests/reference/ref_bayesian.py (scipy.stats.norm and scipy.stats.truncnorm, following
  // gbstats EffectBayesianABTest).
  const nlohmann::json fixture = LoadFixture("bayesian.json");
  ASSERT_GE(fixture["cases"].size(), 25u);
  for (const auto& c : fixture["cases"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    BayesianSettings settings;
    settings.alpha = c["alpha"];
    settings.prior = GaussianPrior{c["prior_proper"].get<bool>(), c["prior_mean"].get<double>(),
                                   c["prior_sd"].get<double>()};
    settings.decrease_is_good = c["decrease_is_good"];
    const auto result =
        BayesianEffectTest(c["estimate"].get<double>(), c["se"].get<double>(), settings);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(result->valid);
    EXPECT_TRUE(result->flags.empty());
    ExpectRelativeNear(result->posterior_mean, c["posterior_mean"], "posterior_mean");
    ExpectRelativeNear(result->posterior_sd, c["posterior_sd"], "posterior_sd");
    ExpectRelativeNear(result->ci_low, c["ci_low"], "ci_low");
    ExpectRelativeNear(result->ci_high, c["ci_high"], "ci_high");
    ExpectRelativeNear(result->chance_to_win, c["chance_to_win"], "chance_to_win");
    ExpectRelativeNear(result->risk_control, c["risk_control"], "risk_control");
    ExpectRelativeNear(result->risk_treatment, c["risk_treatment"], "risk_treatment");
  }
}

// Relative lift and delta-method se of GrowthBook's TestNorm inputs:
// SampleMeanStatistic(sum=100, sum_squares=1002.25, n=10) vs (sum=105, sum_squares=1111.5, n=10),
// i.e. means 10 and 10.5, sample variances 0.25 and 1.
double NormCaseSe() { return std::sqrt(1.0 / (100.0 * 10.0) + 0.25 * 10.5 * 10.5 / (1e4 * 10.0)); }

// Published vectors: GrowthBook packages/stats/tests/bayesian/test_tests.py,
// TestNorm.test_bayesian_gaussian_ab_test (flat prior): expected 0.05, ci [-0.02, 0.12],
// uplift stddev 0.03572, chance_to_win 0.91923, risk [0.05131, 0.00131] (risk[0]: control).
TEST(BayesianTest, GrowthBookPublishedGaussianFlat) {
  const auto result = BayesianEffectTest(0.05, NormCaseSe(), Flat());
  ASSERT_TRUE(result.ok());
  EXPECT_NEAR(result->posterior_mean, 0.05, kGrowthBookRounding);
  EXPECT_NEAR(result->posterior_sd, 0.03572, kGrowthBookRounding);
  EXPECT_NEAR(result->ci_low, -0.02, kGrowthBookRounding);
  EXPECT_NEAR(result->ci_high, 0.12, kGrowthBookRounding);
  EXPECT_NEAR(result->chance_to_win, 0.91923, kGrowthBookRounding);
  EXPECT_NEAR(result->risk_control, 0.05131, kGrowthBookRounding);
  EXPECT_NEAR(result->risk_treatment, 0.00131, kGrowthBookRounding);
}

// Published vectors: same file, TestNorm.test_bayesian_gaussian_ab_test_informative with
// GaussianPrior(mean=0.1, variance=0.1, proper=True): expected 0.05063, ci [-0.01893, 0.12019],
// uplift stddev 0.03549, chance_to_win 0.92315, risk [0.05186, 0.00123].
TEST(BayesianTest, GrowthBookPublishedGaussianInformative) {
  const auto result = BayesianEffectTest(0.05, NormCaseSe(), Informative(0.1, std::sqrt(0.1)));
  ASSERT_TRUE(result.ok());
  EXPECT_NEAR(result->posterior_mean, 0.05063, kGrowthBookRounding);
  EXPECT_NEAR(result->posterior_sd, 0.03549, kGrowthBookRounding);
  EXPECT_NEAR(result->ci_low, -0.01893, kGrowthBookRounding);
  EXPECT_NEAR(result->ci_high, 0.12019, kGrowthBookRounding);
  EXPECT_NEAR(result->chance_to_win, 0.92315, kGrowthBookRounding);
  EXPECT_NEAR(result->risk_control, 0.05186, kGrowthBookRounding);
  EXPECT_NEAR(result->risk_treatment, 0.00123, kGrowthBookRounding);
}

// Published vectors: same file, TestBinom.test_bayesian_binomial_ab_test:
// ProportionStatistic(sum=49, n=100) vs ProportionStatistic(sum=51, n=100): expected 0.04082,
// ci [-0.24779, 0.32943], uplift stddev 0.14725, chance_to_win 0.60918, risk [0.0814, 0.04058].
TEST(BayesianTest, GrowthBookPublishedBinomial) {
  const double p_a = 0.49, p_b = 0.51;
  const double estimate = (p_b - p_a) / p_a;
  const double se = std::sqrt(p_b * (1 - p_b) / (p_a * p_a * 100) +
                              p_a * (1 - p_a) * p_b * p_b / (std::pow(p_a, 4) * 100));
  const auto result = BayesianEffectTest(estimate, se, Flat());
  ASSERT_TRUE(result.ok());
  EXPECT_NEAR(result->posterior_mean, 0.04082, kGrowthBookRounding);
  EXPECT_NEAR(result->posterior_sd, 0.14725, kGrowthBookRounding);
  EXPECT_NEAR(result->ci_low, -0.24779, kGrowthBookRounding);
  EXPECT_NEAR(result->ci_high, 0.32943, kGrowthBookRounding);
  EXPECT_NEAR(result->chance_to_win, 0.60918, kGrowthBookRounding);
  EXPECT_NEAR(result->risk_control, 0.0814, kGrowthBookRounding);
  EXPECT_NEAR(result->risk_treatment, 0.04058, kGrowthBookRounding);
}

TEST(BayesianTest, SwappingArmsMirrorsThePosterior) {
  for (const BayesianSettings& settings : {Flat(), Informative(0.0, 0.1)}) {
    const auto forward = BayesianEffectTest(0.031, 0.012, settings);
    const auto swapped = BayesianEffectTest(-0.031, 0.012, settings);
    ASSERT_TRUE(forward.ok() && swapped.ok());
    EXPECT_DOUBLE_EQ(swapped->posterior_mean, -forward->posterior_mean);
    EXPECT_DOUBLE_EQ(swapped->posterior_sd, forward->posterior_sd);
    EXPECT_NEAR(swapped->chance_to_win, 1.0 - forward->chance_to_win, 1e-15);
    EXPECT_NEAR(swapped->risk_control, forward->risk_treatment, 1e-15);
    EXPECT_NEAR(swapped->risk_treatment, forward->risk_control, 1e-15);
    EXPECT_NEAR(swapped->ci_low, -forward->ci_high, 1e-15);
  }
}

TEST(BayesianTest, DecreaseIsGoodFlipsWinAndRisks) {
  BayesianSettings increase = Flat();
  BayesianSettings decrease = Flat();
  decrease.decrease_is_good = true;
  const auto up = BayesianEffectTest(-0.02, 0.01, increase);
  const auto down = BayesianEffectTest(-0.02, 0.01, decrease);
  ASSERT_TRUE(up.ok() && down.ok());
  EXPECT_NEAR(down->chance_to_win, 1.0 - up->chance_to_win, 1e-15);
  EXPECT_DOUBLE_EQ(down->risk_control, up->risk_treatment);
  EXPECT_DOUBLE_EQ(down->risk_treatment, up->risk_control);
  EXPECT_DOUBLE_EQ(down->ci_low, up->ci_low);  // the interval is about the lift itself
  EXPECT_GT(down->chance_to_win, 0.95);
}

TEST(BayesianTest, RisksDifferByThePosteriorMean) {
  // E[max(d, 0)] - E[max(-d, 0)] = E[d].
  for (double estimate : {-0.3, -0.01, 0.0, 0.004, 0.2}) {
    const auto result = BayesianEffectTest(estimate, 0.05, Informative(0.02, 0.2));
    ASSERT_TRUE(result.ok());
    EXPECT_NEAR(result->risk_control - result->risk_treatment, result->posterior_mean, 1e-14);
    EXPECT_GE(result->risk_control, 0.0);
    EXPECT_GE(result->risk_treatment, 0.0);
  }
}

TEST(BayesianTest, PriorShrinksTowardsItsMeanAndVanishesWhenWide) {
  const auto flat = BayesianEffectTest(0.08, 0.03, Flat());
  const auto tight = BayesianEffectTest(0.08, 0.03, Informative(0.0, 0.01));
  const auto wide = BayesianEffectTest(0.08, 0.03, Informative(0.0, 1e4));
  ASSERT_TRUE(flat.ok() && tight.ok() && wide.ok());
  EXPECT_LT(tight->posterior_mean, 0.02);
  EXPECT_LT(tight->posterior_sd, 0.01);
  EXPECT_NEAR(wide->posterior_mean, flat->posterior_mean, 1e-9);
  EXPECT_NEAR(wide->posterior_sd, flat->posterior_sd, 1e-9);
  // With a flat prior the posterior is the likelihood.
  EXPECT_EQ(flat->posterior_mean, 0.08);
  EXPECT_EQ(flat->posterior_sd, 0.03);
}

TEST(BayesianTest, ZeroStandardErrorIsFlaggedUninformative) {
  const auto result = BayesianEffectTest(0.1, 0.0, Informative(0.0, 0.2));
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->valid);
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kZeroVariance));
  EXPECT_EQ(result->chance_to_win, 0.5);
  EXPECT_EQ(result->risk_control, 0.0);
  EXPECT_EQ(result->risk_treatment, 0.0);
  EXPECT_EQ(result->posterior_mean, 0.1);
  EXPECT_EQ(result->ci_low, 0.1);
  EXPECT_EQ(result->ci_high, 0.1);
}

TEST(BayesianTest, FromEstimate) {
  Estimate relative;
  relative.estimate = 0.05;
  relative.se = NormCaseSe();
  relative.valid = true;
  const auto result = BayesianFromEstimate(relative);
  ASSERT_TRUE(result.ok());
  EXPECT_NEAR(result->chance_to_win, 0.91923, kGrowthBookRounding);

  relative.valid = false;  // e.g. zero control mean upstream
  relative.estimate = 0.0;
  relative.se = 0.0;
  const auto invalid = BayesianFromEstimate(relative);
  ASSERT_TRUE(invalid.ok());
  EXPECT_FALSE(invalid->valid);
  EXPECT_EQ(invalid->chance_to_win, 0.5);
}

TEST(BayesianTest, RejectsMalformedInput) {
  struct Case {
    double estimate, se;
    BayesianSettings settings;
    const char* message;
  };
  const Case cases[] = {
      {0.1, 0.1, Flat(0.0), "alpha must be in (0, 1), got 0"},
      {0.1, 0.1, Flat(1.0), "alpha must be in (0, 1)"},
      {0.1, 0.1, Informative(0.0, 0.0), "prior.sd must be finite and > 0"},
      {0.1, 0.1, Informative(0.0, -1.0), "prior.sd must be finite and > 0"},
      {0.1, 0.1, Informative(std::nan(""), 0.3), "prior.mean must be finite"},
      {0.1, -0.1, Flat(), "standard_error must be finite and >= 0"},
      {0.1, INFINITY, Flat(), "standard_error must be finite and >= 0"},
      {std::nan(""), 0.1, Flat(), "estimate must be finite"},
  };
  for (const Case& c : cases) {
    const auto result = BayesianEffectTest(c.estimate, c.se, c.settings);
    ASSERT_FALSE(result.ok()) << c.message;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(c.message));
  }
  // An improper prior ignores its mean and sd.
  BayesianSettings improper = Flat();
  improper.prior.sd = -1.0;
  EXPECT_TRUE(BayesianEffectTest(0.1, 0.1, improper).ok());
}

}  // namespace
}  // namespace lift::stats
