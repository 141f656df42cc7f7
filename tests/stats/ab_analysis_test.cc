// Tests of stats/ab_analysis: the composition must equal the individual estimators it composes
// (themselves checked against scipy / statsmodels in their own tests), agree with the committed
// reference fixtures (tests/reference/ref_ab.py), correct p-values across variants exactly as
// AdjustPValues (statsmodels multipletests-backed), and stay defined on degenerate arms.
#include "stats/ab_analysis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ab_fixtures.h"
#include "stats/cuped.h"
#include "stats/proportion_test.h"
#include "stats/ratio_metric.h"
#include "stats/welch_test.h"

namespace lift::stats {
namespace {

using ::lift::stats::testing::CovariateStatsFromJson;
using ::lift::stats::testing::ExpectEstimateNear;
using ::lift::stats::testing::LoadFixture;
using ::lift::stats::testing::MeanStatsFromJson;
using ::lift::stats::testing::NearRelative;
using ::lift::stats::testing::RatioCovariateStatsFromJson;
using ::lift::stats::testing::RatioStatsFromJson;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The composition calls the same functions with the same inputs: results are bit-identical, so
// the comparisons below are exact (EXPECT_EQ on doubles) unless a fixture is involved.
void ExpectSameEstimate(const Estimate& actual, const Estimate& expected, const char* what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(actual.estimate, expected.estimate);
  EXPECT_EQ(actual.se, expected.se);
  EXPECT_EQ(actual.ci_low, expected.ci_low);
  EXPECT_EQ(actual.ci_high, expected.ci_high);
  EXPECT_EQ(actual.p_value, expected.p_value);
  EXPECT_EQ(actual.df, expected.df);
  EXPECT_EQ(actual.valid, expected.valid);
}

const nlohmann::json& FixtureCase(const nlohmann::json& fixture, const std::string& name) {
  for (const nlohmann::json& c : fixture.at("cases")) {
    if (c.at("name") == name) return c;
  }
  ADD_FAILURE() << "no fixture case " << name;
  static const nlohmann::json empty = nlohmann::json::object();
  return empty;
}

// Mean stats of n units with the given mean and sample sd (as a database would sum them).
MeanStats Arm(int64_t n, double mean, double sd) {
  const double count = static_cast<double>(n);
  return MeanStats{n, count * mean, (count - 1.0) * sd * sd + count * mean * mean};
}

TEST(AbAnalysisTest, MeanWithCovariateComposesCupedSequentialBayesianGuardrail) {
  const nlohmann::json fixture = LoadFixture("ab_cuped.json");
  const nlohmann::json& c = FixtureCase(fixture, "rho_0_7");
  const CovariateStats control = CovariateStatsFromJson(c.at("control"));
  const CovariateStats treatment = CovariateStatsFromJson(c.at("treatment"));

  AbAnalysisInput input;
  input.kind = MetricKind::kMean;
  input.has_covariate = true;
  input.variants = {VariantStats::WithCovariate("control", control),
                    VariantStats::WithCovariate("treatment", treatment)};
  AbAnalysisSettings settings;
  settings.analysis.alpha = c.at("alpha");
  settings.sequential = true;
  settings.sequential_tuning = 3000;
  settings.guardrail_margin = 0.01;
  settings.prior = GaussianPrior{true, 0.0, 0.3};
  auto result = AnalyzeAb(input, settings);
  ASSERT_TRUE(result.ok()) << result.status();

  EXPECT_EQ(result->control_name, "control");
  EXPECT_EQ(result->control_n, control.y.n);
  ASSERT_EQ(result->results.size(), 1u);
  const VariantResult& v = result->results[0];
  EXPECT_EQ(v.name, "treatment");
  EXPECT_EQ(v.variant_index, 1);
  EXPECT_EQ(v.n, treatment.y.n);
  EXPECT_EQ(v.control_n, control.y.n);

  // Plain = WelchTest; CUPED = CupedTest; both equal the scipy/numpy reference (ref_ab.py).
  const auto welch = WelchTest(control.y, treatment.y, settings.analysis);
  const auto cuped = CupedTest(control, treatment, settings.analysis);
  ASSERT_TRUE(welch.ok() && cuped.ok());
  ExpectSameEstimate(v.absolute, welch->absolute, "plain absolute");
  ExpectSameEstimate(v.relative, welch->relative, "plain relative");
  EXPECT_EQ(v.mean, treatment.y.Mean());
  EXPECT_EQ(v.control_mean, control.y.Mean());
  ASSERT_TRUE(v.cuped.has_value());
  EXPECT_TRUE(v.cuped->adjusted);
  EXPECT_EQ(v.cuped->theta, cuped->theta);
  EXPECT_EQ(v.cuped->variance_reduction, cuped->variance_reduction);
  ExpectSameEstimate(v.cuped->absolute, cuped->absolute, "cuped absolute");
  ExpectSameEstimate(v.cuped->relative, cuped->relative, "cuped relative");
  // Reference: CUPED on raw units with pooled theta (ref_ab.py _cuped_reference).
  ExpectEstimateNear(v.cuped->absolute, c.at("absolute"), "cuped absolute vs reference");
  ExpectEstimateNear(v.cuped->relative, c.at("relative"), "cuped relative vs reference");
  EXPECT_TRUE(NearRelative(v.cuped->theta, c.at("theta")));
  EXPECT_TRUE(NearRelative(v.cuped->variance_reduction, c.at("variance_reduction")));

  // The CUPED estimate is primary: it feeds sequential, Bayesian, guardrail and the family.
  EXPECT_TRUE(v.primary_is_cuped);
  ExpectSameEstimate(v.primary_absolute, cuped->absolute, "primary absolute");
  ExpectSameEstimate(v.primary_relative, cuped->relative, "primary relative");
  const SequentialSettings sequential_settings{settings.analysis.alpha, 3000};
  const int64_t total_n = control.y.n + treatment.y.n;
  const auto seq_abs = SequentialFromFixedHorizon(cuped->absolute, total_n, sequential_settings);
  const auto seq_rel = SequentialFromFixedHorizon(cuped->relative, total_n, sequential_settings);
  ASSERT_TRUE(seq_abs.ok() && seq_rel.ok());
  ASSERT_TRUE(v.sequential.has_value());
  EXPECT_EQ(v.sequential->total_n, total_n);
  EXPECT_EQ(v.sequential->tuning, 3000);
  ExpectSameEstimate(v.sequential->absolute.effect, seq_abs->effect, "sequential absolute");
  ExpectSameEstimate(v.sequential->relative.effect, seq_rel->effect, "sequential relative");
  // Always-valid intervals are wider than the fixed-horizon ones.
  EXPECT_LT(v.sequential->absolute.effect.ci_low, v.cuped->absolute.ci_low);
  EXPECT_EQ(v.p_value, seq_abs->effect.p_value);
  EXPECT_EQ(v.adjusted_p_value, v.p_value);  // a family of one

  BayesianSettings bayesian_settings;
  bayesian_settings.alpha = settings.analysis.alpha;
  bayesian_settings.prior = settings.prior;
  const auto bayesian = BayesianFromEstimate(cuped->relative, bayesian_settings);
  ASSERT_TRUE(bayesian.ok());
  EXPECT_EQ(v.bayesian.chance_to_win, bayesian->chance_to_win);
  EXPECT_EQ(v.bayesian.risk_control, bayesian->risk_control);
  EXPECT_EQ(v.bayesian.risk_treatment, bayesian->risk_treatment);
  EXPECT_EQ(v.bayesian.posterior_mean, bayesian->posterior_mean);

  const auto guardrail = EvaluateGuardrail(cuped->relative, GuardrailSettings{0.01});
  ASSERT_TRUE(guardrail.ok());
  ASSERT_TRUE(v.guardrail.has_value());
  EXPECT_EQ(v.guardrail->status, guardrail->status);
  EXPECT_EQ(v.guardrail->p_value, guardrail->p_value);
  EXPECT_EQ(v.guardrail->margin, 0.01);
  EXPECT_THAT(v.flags, IsEmpty());

  // SRM with equal weights.
  const auto srm = SampleRatioMismatch({control.y.n, treatment.y.n}, {1.0, 1.0});
  ASSERT_TRUE(srm.ok());
  EXPECT_EQ(result->srm.chi2, srm->chi2);
  EXPECT_EQ(result->srm.p_value, srm->p_value);
  EXPECT_THAT(result->weights, ElementsAre(1.0, 1.0));
}

TEST(AbAnalysisTest, MeanWithoutCovariateUsesThePlainEstimateAndScipyReference) {
  const nlohmann::json fixture = LoadFixture("ab_welch.json");
  const nlohmann::json& c = FixtureCase(fixture, "unequal_variance_and_n");
  AbAnalysisInput input;
  input.variants = {VariantStats::Mean("c", MeanStatsFromJson(c.at("control"))),
                    VariantStats::Mean("t", MeanStatsFromJson(c.at("treatment")))};
  AbAnalysisSettings settings;
  settings.analysis.alpha = c.at("alpha");
  auto result = AnalyzeAb(input, settings);
  ASSERT_TRUE(result.ok()) << result.status();
  const VariantResult& v = result->results.at(0);
  // scipy.stats.ttest_ind(equal_var=False) + delta-method relative lift (ref_ab.py).
  ExpectEstimateNear(v.absolute, c.at("absolute"), "absolute");
  ExpectEstimateNear(v.relative, c.at("relative"), "relative");
  EXPECT_FALSE(v.cuped.has_value());
  EXPECT_FALSE(v.primary_is_cuped);
  EXPECT_FALSE(v.sequential.has_value());
  EXPECT_FALSE(v.guardrail.has_value());
  EXPECT_EQ(v.p_value, v.absolute.p_value);
  // Flat prior: the posterior is the likelihood of the relative lift.
  EXPECT_EQ(v.bayesian.posterior_mean, v.relative.estimate);
  EXPECT_EQ(v.bayesian.posterior_sd, v.relative.se);
}

TEST(AbAnalysisTest, ProportionUsesTheZTestAndCupedOnZeroOneValues) {
  const nlohmann::json fixture = LoadFixture("ab_proportion.json");
  const nlohmann::json& c = FixtureCase(fixture, "ten_percent");
  const MeanStats control = MeanStatsFromJson(c.at("control"));
  const MeanStats treatment = MeanStatsFromJson(c.at("treatment"));
  AbAnalysisInput input;
  input.kind = MetricKind::kProportion;
  input.variants = {VariantStats::Mean("control", control),
                    VariantStats::Mean("treatment", treatment)};
  AbAnalysisSettings settings;
  settings.analysis.alpha = c.at("alpha");
  auto result = AnalyzeAb(input, settings);
  ASSERT_TRUE(result.ok()) << result.status();
  const VariantResult& v = result->results.at(0);
  // statsmodels test_proportions_2indep / confint_proportions_2indep (wald), ref_ab.py.
  ExpectEstimateNear(v.absolute, c.at("absolute"), "absolute");
  ExpectEstimateNear(v.relative, c.at("relative"), "relative");
  EXPECT_EQ(v.absolute.df, 0.0);

  // With a covariate (Σy² left 0, allowed for proportions), CUPED runs on the 0/1 values as a mean.
  CovariateStats covariate_c{MeanStats{control.n, control.sum, 0.0}, 0.0, 0.0, 0.0};
  CovariateStats covariate_t{MeanStats{treatment.n, treatment.sum, 0.0}, 0.0, 0.0, 0.0};
  // x: a pre-period 0/1 flag equal to y for half of the converters (sums consistent by design).
  covariate_c.sum_x = covariate_c.sum_x_sq = covariate_c.sum_xy = control.sum / 2;
  covariate_t.sum_x = covariate_t.sum_x_sq = covariate_t.sum_xy = treatment.sum / 2;
  input.has_covariate = true;
  input.variants = {VariantStats::WithCovariate("control", covariate_c),
                    VariantStats::WithCovariate("treatment", covariate_t)};
  result = AnalyzeAb(input, settings);
  ASSERT_TRUE(result.ok()) << result.status();
  const VariantResult& w = result->results.at(0);
  const auto plain = ProportionTest(control, treatment, settings.analysis);
  CovariateStats zero_one_c = covariate_c, zero_one_t = covariate_t;
  zero_one_c.y.sum_sq = zero_one_c.y.sum;
  zero_one_t.y.sum_sq = zero_one_t.y.sum;
  const auto cuped = CupedTest(zero_one_c, zero_one_t, settings.analysis);
  ASSERT_TRUE(plain.ok() && cuped.ok());
  ExpectSameEstimate(w.absolute, plain->absolute, "plain is the z-test");
  ASSERT_TRUE(w.cuped.has_value());
  ASSERT_TRUE(w.cuped->adjusted);
  ExpectSameEstimate(w.cuped->absolute, cuped->absolute, "cuped absolute");
  EXPECT_EQ(w.cuped->variance_reduction, cuped->variance_reduction);
  EXPECT_GT(w.cuped->variance_reduction, 0.0);
  EXPECT_TRUE(w.primary_is_cuped);
  EXPECT_EQ(w.p_value, cuped->absolute.p_value);
}

TEST(AbAnalysisTest, RatioPlainAndCupedMatchTheirEstimatorsAndReferences) {
  const nlohmann::json ratio_fixture = LoadFixture("ab_ratio.json");
  const nlohmann::json& r = FixtureCase(ratio_fixture, "unequal_n");
  AbAnalysisInput input;
  input.kind = MetricKind::kRatio;
  input.variants = {VariantStats::Ratio("control", RatioStatsFromJson(r.at("control"))),
                    VariantStats::Ratio("treatment", RatioStatsFromJson(r.at("treatment")))};
  input.weights = {1.0, 3.0};  // 500 vs 1500 units: no mismatch against 1:3
  AbAnalysisSettings settings;
  settings.analysis.alpha = r.at("alpha");
  auto result = AnalyzeAb(input, settings);
  ASSERT_TRUE(result.ok()) << result.status();
  const VariantResult& v = result->results.at(0);
  // Delta method on raw units (ref_ab.py ratio_cases).
  ExpectEstimateNear(v.absolute, r.at("absolute"), "ratio absolute");
  ExpectEstimateNear(v.relative, r.at("relative"), "ratio relative");
  EXPECT_TRUE(NearRelative(v.mean, r.at("treatment_ratio")));
  EXPECT_TRUE(NearRelative(v.control_mean, r.at("control_ratio")));
  EXPECT_FALSE(result->srm.flagged);
  EXPECT_LT(result->srm.chi2, 1e-20);

  const nlohmann::json cuped_fixture = LoadFixture("ab_cuped_ratio.json");
  const nlohmann::json& c = FixtureCase(cuped_fixture, "revenue_per_session");
  const RatioCovariateStats control = RatioCovariateStatsFromJson(c.at("control"));
  const RatioCovariateStats treatment = RatioCovariateStatsFromJson(c.at("treatment"));
  input.has_covariate = true;
  input.weights.clear();
  input.variants = {VariantStats::RatioWithCovariate("control", control),
                    VariantStats::RatioWithCovariate("treatment", treatment)};
  settings.analysis.alpha = c.at("alpha");
  result = AnalyzeAb(input, settings);
  ASSERT_TRUE(result.ok()) << result.status();
  const VariantResult& w = result->results.at(0);
  const auto plain = RatioMetricTest(control.post, treatment.post, settings.analysis);
  ASSERT_TRUE(plain.ok());
  ExpectSameEstimate(w.absolute, plain->absolute, "plain ratio");
  ASSERT_TRUE(w.cuped.has_value());
  // gbstats RegressionAdjustedRatioStatistic conventions on raw units (ref_ab.py).
  ExpectEstimateNear(w.cuped->absolute, c.at("absolute"), "cuped ratio absolute");
  ExpectEstimateNear(w.cuped->relative, c.at("relative"), "cuped ratio relative");
  EXPECT_TRUE(NearRelative(w.cuped->theta, c.at("theta")));
  EXPECT_TRUE(w.primary_is_cuped);
}

// Four arms, control second; Holm and BH across the three treatments equal AdjustPValues on the
// treatments' p-values (AdjustPValues is checked against statsmodels multipletests).
TEST(AbAnalysisTest, CorrectionAcrossVariantsEqualsAdjustPValues) {
  AbAnalysisInput input;
  input.variants = {VariantStats::Mean("a", Arm(1000, 10.3, 3.0)),
                    VariantStats::Mean("control", Arm(1000, 10.0, 3.0)),
                    VariantStats::Mean("b", Arm(1000, 10.1, 3.0)),
                    VariantStats::Mean("c", Arm(1000, 10.45, 3.0))};
  input.control_index = 1;
  for (Correction correction :
       {Correction::kNone, Correction::kHolm, Correction::kBenjaminiHochberg}) {
    for (bool sequential : {false, true}) {
      SCOPED_TRACE(std::string(CorrectionName(correction)) + (sequential ? " sequential" : ""));
      AbAnalysisSettings settings;
      settings.correction = correction;
      settings.sequential = sequential;
      auto result = AnalyzeAb(input, settings);
      ASSERT_TRUE(result.ok()) << result.status();
      ASSERT_EQ(result->results.size(), 3u);
      EXPECT_EQ(result->results[0].name, "a");
      EXPECT_EQ(result->results[1].name, "b");
      EXPECT_EQ(result->results[2].name, "c");
      EXPECT_EQ(result->control_name, "control");
      std::vector<double> family;
      for (const VariantResult& v : result->results) {
        family.push_back(sequential ? v.sequential->absolute.effect.p_value : v.absolute.p_value);
        EXPECT_EQ(v.p_value, family.back());
      }
      const auto adjusted = AdjustPValues(family, correction);
      ASSERT_TRUE(adjusted.ok());
      for (size_t k = 0; k < family.size(); ++k) {
        EXPECT_EQ(result->results[k].adjusted_p_value, (*adjusted)[k]) << k;
        EXPECT_GE(result->results[k].adjusted_p_value, result->results[k].p_value);
      }
    }
  }
}

TEST(AbAnalysisTest, SrmUsesConfiguredWeightsAndFlags) {
  // scipy.stats.chisquare([5000, 5400, 4600], [5000, 5000, 5000]) = (64.0, 1.2664165549094e-14).
  AbAnalysisInput input;
  input.variants = {VariantStats::Mean("control", Arm(5000, 1.0, 1.0)),
                    VariantStats::Mean("t1", Arm(5400, 1.0, 1.0)),
                    VariantStats::Mean("t2", Arm(4600, 1.0, 1.0))};
  input.weights = {2.0, 2.0, 2.0};  // unnormalised weights are fine
  auto result = AnalyzeAb(input);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(NearRelative(result->srm.chi2, 64.0));
  EXPECT_TRUE(NearRelative(result->srm.p_value, 1.2664165549094e-14, 1e-6));
  EXPECT_TRUE(result->srm.flagged);
  EXPECT_EQ(result->srm.df, 2);
}

TEST(AbAnalysisTest, SwappingArmsFlipsTheAbsoluteEffectAndKeepsItsPValue) {
  const nlohmann::json fixture = LoadFixture("ab_cuped.json");
  const nlohmann::json& c = FixtureCase(fixture, "rho_0_3_unequal_n");
  AbAnalysisInput input;
  input.has_covariate = true;
  input.variants = {
      VariantStats::WithCovariate("control", CovariateStatsFromJson(c.at("control"))),
      VariantStats::WithCovariate("treatment", CovariateStatsFromJson(c.at("treatment")))};
  AbAnalysisSettings settings;
  settings.sequential = true;
  auto forward = AnalyzeAb(input, settings);
  input.control_index = 1;
  auto backward = AnalyzeAb(input, settings);
  ASSERT_TRUE(forward.ok() && backward.ok());
  const VariantResult& f = forward->results.at(0);
  const VariantResult& b = backward->results.at(0);
  EXPECT_EQ(b.name, "control");
  EXPECT_EQ(backward->control_name, "treatment");
  EXPECT_EQ(f.n, b.control_n);
  EXPECT_EQ(b.n, f.control_n);
  EXPECT_DOUBLE_EQ(b.absolute.estimate, -f.absolute.estimate);
  EXPECT_DOUBLE_EQ(b.absolute.p_value, f.absolute.p_value);
  EXPECT_DOUBLE_EQ(b.absolute.ci_low, -f.absolute.ci_high);
  // θ is pooled over the pair, so the CUPED effect flips too.
  EXPECT_DOUBLE_EQ(b.cuped->theta, f.cuped->theta);
  EXPECT_NEAR(b.cuped->absolute.estimate, -f.cuped->absolute.estimate, 1e-12);
  EXPECT_NEAR(b.cuped->absolute.p_value, f.cuped->absolute.p_value, 1e-12);
  EXPECT_NEAR(b.sequential->absolute.effect.p_value, f.sequential->absolute.effect.p_value, 1e-12);
  EXPECT_EQ(backward->srm.p_value, forward->srm.p_value);
  // Relative lifts are not antisymmetric, but their signs flip.
  EXPECT_LT(b.relative.estimate * f.relative.estimate, 0.0);
}

TEST(AbAnalysisTest, DirectionDecreaseFlipsBayesianAndGuardrail) {
  AbAnalysisInput input;
  input.variants = {VariantStats::Mean("control", Arm(20000, 100.0, 20.0)),
                    VariantStats::Mean("treatment", Arm(20000, 102.0, 20.0))};  // +2 %
  AbAnalysisSettings settings;
  settings.guardrail_margin = 0.01;
  auto up = AnalyzeAb(input, settings);
  settings.direction = Direction::kDecreaseIsGood;
  auto down = AnalyzeAb(input, settings);
  ASSERT_TRUE(up.ok() && down.ok());
  const VariantResult& u = up->results.at(0);
  const VariantResult& d = down->results.at(0);
  EXPECT_GT(u.bayesian.chance_to_win, 0.99);
  EXPECT_NEAR(d.bayesian.chance_to_win, 1.0 - u.bayesian.chance_to_win, 1e-12);
  EXPECT_EQ(d.bayesian.risk_control, u.bayesian.risk_treatment);
  EXPECT_EQ(u.guardrail->status, GuardrailStatus::kPass);
  EXPECT_EQ(d.guardrail->status, GuardrailStatus::kFail);  // a significant increase is harm
}

TEST(AbAnalysisTest, DegenerateArmsAreFlaggedNotErrors) {
  AbAnalysisSettings settings;
  settings.sequential = true;
  settings.guardrail_margin = 0.02;
  settings.correction = Correction::kHolm;

  // An empty treatment arm next to a healthy one.
  AbAnalysisInput input;
  input.variants = {VariantStats::Mean("control", Arm(500, 3.0, 1.0)),
                    VariantStats::Mean("empty", MeanStats{}),
                    VariantStats::Mean("fine", Arm(500, 3.3, 1.0))};
  auto result = AnalyzeAb(input, settings);
  ASSERT_TRUE(result.ok()) << result.status();
  const VariantResult& empty = result->results.at(0);
  EXPECT_THAT(empty.flags, ElementsAre(ResultFlag::kEmptyArm));
  EXPECT_FALSE(empty.absolute.valid);
  EXPECT_EQ(empty.p_value, 1.0);
  EXPECT_EQ(empty.adjusted_p_value, 1.0);
  EXPECT_FALSE(empty.sequential->absolute.effect.valid);
  EXPECT_EQ(empty.bayesian.chance_to_win, 0.5);
  EXPECT_EQ(empty.guardrail->status, GuardrailStatus::kInconclusive);
  EXPECT_THAT(empty.guardrail->flags, ElementsAre(ResultFlag::kEmptyArm));
  // The healthy arm is still tested, in a family of two (Holm: 2 p when it is the smaller).
  const VariantResult& fine = result->results.at(1);
  EXPECT_THAT(fine.flags, IsEmpty());
  EXPECT_DOUBLE_EQ(fine.adjusted_p_value, std::min(1.0, 2.0 * fine.p_value));
  EXPECT_TRUE(result->srm.flagged);  // 500 / 0 / 500 against equal weights

  // A zero control mean: absolute inference, no relative lift.
  input.variants = {VariantStats::Mean("control", MeanStats{100, 0.0, 50.0}),
                    VariantStats::Mean("treatment", Arm(100, 0.2, 0.7))};
  result = AnalyzeAb(input, settings);
  ASSERT_TRUE(result.ok()) << result.status();
  const VariantResult& zero = result->results.at(0);
  EXPECT_THAT(zero.flags, ElementsAre(ResultFlag::kZeroBaseline));
  EXPECT_TRUE(zero.absolute.valid);
  EXPECT_FALSE(zero.relative.valid);
  EXPECT_EQ(zero.bayesian.chance_to_win, 0.5);
  EXPECT_EQ(zero.guardrail->status, GuardrailStatus::kInconclusive);

  // Below the configured minimum n: means shown, no inference.
  settings.analysis.min_n_per_arm = 200;
  input.variants = {VariantStats::Mean("control", Arm(150, 3.0, 1.0)),
                    VariantStats::Mean("treatment", Arm(300, 3.3, 1.0))};
  result = AnalyzeAb(input, settings);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->results.at(0).flags, ElementsAre(ResultFlag::kSampleTooSmall));
  EXPECT_DOUBLE_EQ(result->results.at(0).absolute.estimate, 0.3);
  EXPECT_EQ(result->results.at(0).p_value, 1.0);
  settings.analysis.min_n_per_arm = kDefaultMinimumNPerArm;

  // Both arms constant.
  input.variants = {VariantStats::Mean("control", MeanStats{10, 20.0, 40.0}),
                    VariantStats::Mean("treatment", MeanStats{10, 30.0, 90.0})};
  result = AnalyzeAb(input, settings);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->results.at(0).flags, ElementsAre(ResultFlag::kZeroVariance));

  // A covariate without variance: CUPED falls back, the plain estimate is primary.
  input.has_covariate = true;
  CovariateStats c{Arm(400, 5.0, 2.0), 400 * 7.0, 400 * 49.0, 0.0};
  c.sum_xy = 7.0 * c.y.sum;
  CovariateStats t{Arm(400, 5.4, 2.0), 400 * 7.0, 400 * 49.0, 0.0};
  t.sum_xy = 7.0 * t.y.sum;
  input.variants = {VariantStats::WithCovariate("control", c),
                    VariantStats::WithCovariate("treatment", t)};
  result = AnalyzeAb(input, settings);
  ASSERT_TRUE(result.ok()) << result.status();
  const VariantResult& fallback = result->results.at(0);
  ASSERT_TRUE(fallback.cuped.has_value());
  EXPECT_FALSE(fallback.cuped->adjusted);
  EXPECT_FALSE(fallback.primary_is_cuped);
  EXPECT_THAT(fallback.flags, ElementsAre(ResultFlag::kNoCovariateVariance));
  ExpectSameEstimate(fallback.primary_absolute, fallback.absolute, "fallback primary");

  // A ratio arm whose denominators sum to 0.
  input.has_covariate = false;
  input.kind = MetricKind::kRatio;
  input.variants = {VariantStats::Ratio("control", RatioStats{50, 10.0, 4.0, 0.0, 0.0, 0.0}),
                    VariantStats::Ratio("treatment", RatioStats{50, 10.0, 4.0, 60.0, 80.0, 14.0})};
  result = AnalyzeAb(input, settings);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(HasFlag(result->results.at(0).flags, ResultFlag::kZeroDenominator));
  EXPECT_FALSE(result->results.at(0).absolute.valid);
}

TEST(AbAnalysisTest, MalformedInputIsInvalidArgumentNamingTheField) {
  auto expect_error = [](const AbAnalysisInput& input, const AbAnalysisSettings& settings,
                         const std::string& substring) {
    auto result = AnalyzeAb(input, settings);
    ASSERT_FALSE(result.ok()) << substring;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(substring));
  };
  AbAnalysisInput input;
  input.variants = {VariantStats::Mean("control", Arm(100, 1.0, 1.0))};
  expect_error(input, {}, "variants must hold at least 2 arms");

  input.variants.push_back(VariantStats::Mean("treatment", Arm(100, 1.1, 1.0)));
  input.control_index = 2;
  expect_error(input, {}, "control_index must be in [0, 2), got 2");
  input.control_index = 0;

  input.weights = {1.0};
  expect_error(input, {}, "weights must be empty or hold one entry per variant (2), got 1");
  input.weights = {1.0, 0.0};
  expect_error(input, {}, "weights[1] must be finite and > 0");
  input.weights.clear();

  input.variants[1].values.y.sum_sq = 1.0;  // below (Σy)²/n
  expect_error(input, {}, "variants[1].sum_sq");
  input.kind = MetricKind::kProportion;
  input.variants = {VariantStats::Mean("control", MeanStats{100, 10.0, 10.0}),
                    VariantStats::Mean("treatment", MeanStats{100, 120.0, 120.0})};
  expect_error(input, {}, "variants[1].sum must be in [0, n]");
  input.kind = MetricKind::kMean;
  input.has_covariate = true;
  input.variants[1] = VariantStats::Mean("treatment", MeanStats{100, 12.0, 12.0});
  input.variants[1].values.sum_x = NAN;
  expect_error(input, {}, "variants[1].sum_x must be finite");
  input.has_covariate = false;
  input.kind = MetricKind::kRatio;
  input.variants[1].ratio.post.n = -1;
  expect_error(input, {}, "variants[1].n must be >= 0");
  input.kind = MetricKind::kMean;

  AbAnalysisSettings settings;
  settings.analysis.alpha = 1.5;
  expect_error(input, settings, "alpha must be in (0, 1), got 1.5");
  settings = {};
  settings.sequential_tuning = 0.0;
  expect_error(input, settings, "sequential_tuning must be finite and > 0, got 0");
  settings = {};
  settings.guardrail_margin = -0.1;
  expect_error(input, settings, "guardrail_margin must be finite and >= 0, got -0.1");
  settings = {};
  settings.prior = GaussianPrior{true, 0.0, 0.0};
  expect_error(input, settings, "prior.sd must be finite and > 0, got 0");
}

TEST(AbAnalysisTest, NamesRoundTrip) {
  for (MetricKind kind : {MetricKind::kMean, MetricKind::kProportion, MetricKind::kRatio}) {
    auto parsed = ParseMetricKind(MetricKindName(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
  auto bad = ParseMetricKind("median");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("kind must be mean, proportion or ratio, got \"median\""));
  EXPECT_EQ(ResultFlagName(ResultFlag::kNotIdentified), "not_identified");
  EXPECT_EQ(ResultFlagName(ResultFlag::kNoPrePeriods), "no_pre_periods");
}

}  // namespace
}  // namespace lift::stats
