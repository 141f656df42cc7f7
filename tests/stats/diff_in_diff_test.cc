// Tests of stats/diff_in_diff: panel 2x2, repeated cross-sections and two-way fixed effects with
// unit-clustered standard errors, plus the placebo pre-trend check.
#include "stats/diff_in_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace lift::stats {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Closed forms and exact regressions are compared with their references at this relative tolerance.
constexpr double kClosedFormTolerance = 1e-6;
// Two computations of the same quantity in double precision (properties) agree to this tolerance.
constexpr double kRoundingTolerance = 1e-9;

void ExpectRelativeNear(double actual, double expected, const std::string& what) {
  EXPECT_LE(std::fabs(actual - expected),
            kClosedFormTolerance * std::max(std::fabs(expected), 1e-12))
      << what << ": actual " << actual << ", expected " << expected;
}

void ExpectEstimateMatches(const Estimate& actual, const nlohmann::json& expected,
                           const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_TRUE(actual.valid);
  ExpectRelativeNear(actual.estimate, expected["estimate"], "estimate");
  ExpectRelativeNear(actual.se, expected["se"], "se");
  ExpectRelativeNear(actual.p_value, expected["p_value"], "p_value");
  ExpectRelativeNear(actual.ci_low, expected["ci_low"], "ci_low");
  ExpectRelativeNear(actual.ci_high, expected["ci_high"], "ci_high");
  ExpectRelativeNear(actual.df, expected["df"], "df");
}

nlohmann::json LoadFixture() {
  std::ifstream in(std::string(LIFT_REFERENCE_DIR) + "/fixtures/diff_in_diff.json");
  EXPECT_TRUE(in.good()) << "missing fixture; run /usr/bin/python3 tests/reference/ref_did.py";
  return nlohmann::json::parse(in);
}

std::vector<PanelObservation> Observations(const nlohmann::json& rows) {
  std::vector<PanelObservation> observations;
  for (const auto& row : rows) {
    observations.push_back(PanelObservation{row[0].get<int64_t>(), row[1].get<int64_t>(),
                                            row[2].get<bool>(), row[3].get<double>()});
  }
  return observations;
}

MeanStats Stats(const nlohmann::json& j) {
  return MeanStats{j["n"].get<int64_t>(), j["sum"].get<double>(), j["sum_sq"].get<double>()};
}

// A balanced panel: value = 3 + unit effect + period effect + effect * treated * post + noise.
std::vector<PanelObservation> SimulatedPanel(int units, int periods, int first_post, double effect,
                                             uint64_t seed, double noise = 1.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> period_effect(periods);
  for (double& p : period_effect) p = normal(rng);
  std::vector<PanelObservation> observations;
  for (int u = 0; u < units; ++u) {
    const bool treated = u % 2 == 0;
    const double unit_effect = 2.0 * normal(rng);
    for (int t = 0; t < periods; ++t) {
      const double value = 3.0 + unit_effect + period_effect[t] +
                           (treated && t >= first_post ? effect : 0.0) + noise * normal(rng);
      observations.push_back(PanelObservation{100 + u, t, treated, value});
    }
  }
  return observations;
}

// --- References
// -----------------------------------------------------------------------------------

TEST(DiffInDiffTest, PanelChangesMatchScipyWelch) {
  // Source: tests/reference/ref_did.py, scipy.stats.ttest_ind(equal_var=False) on per-unit changes.
  const nlohmann::json fixture = LoadFixture();
  DidSettings settings;
  settings.alpha = fixture["alpha"];
  for (const auto& c : fixture["panel_changes"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    const auto changes = CollapsePanelToChanges(Observations(c["observations"]),
                                                c["first_post_period"].get<int64_t>());
    ASSERT_TRUE(changes.ok()) << changes.status();
    EXPECT_EQ(changes->units_dropped, c["units_dropped"].get<int64_t>());
    EXPECT_EQ(changes->treated.n, c["treated_change"]["n"].get<int64_t>());
    EXPECT_EQ(changes->control.n, c["control_change"]["n"].get<int64_t>());
    ExpectRelativeNear(changes->treated.sum, c["treated_change"]["sum"], "treated sum");
    ExpectRelativeNear(changes->control.sum_sq, c["control_change"]["sum_sq"], "control sum_sq");

    const auto from_panel = PanelDid(changes->treated, changes->control, settings);
    ASSERT_TRUE(from_panel.ok()) << from_panel.status();
    EXPECT_EQ(from_panel->method, DidMethod::kPanelChanges);
    ExpectEstimateMatches(from_panel->effect, c["expected"], "from observations");

    const auto from_stats =
        PanelDid(Stats(c["treated_change"]), Stats(c["control_change"]), settings);
    ASSERT_TRUE(from_stats.ok()) << from_stats.status();
    ExpectEstimateMatches(from_stats->effect, c["expected"], "from fixture statistics");
  }
}

TEST(DiffInDiffTest, CrossSectionsMatchStatsmodelsHc2) {
  // Source: tests/reference/ref_did.py, statsmodels OLS y ~ treated * post with cov_type='HC2'
  // (saturated model: the HC2 se equals sqrt(sum s_k^2 / n_k)); four-cell Satterthwaite df.
  const nlohmann::json fixture = LoadFixture();
  for (const auto& c : fixture["cross_sections"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    DidSettings settings;
    settings.alpha = fixture["alpha"];
    settings.cross_section_df =
        c["df"] == "normal" ? CrossSectionDf::kNormal : CrossSectionDf::kWelchSatterthwaite;
    const CrossSectionCells cells{
        Stats(c["cells"]["treated_pre"]), Stats(c["cells"]["treated_post"]),
        Stats(c["cells"]["control_pre"]), Stats(c["cells"]["control_post"])};
    const auto result = CrossSectionDid(cells, settings);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->method, DidMethod::kCrossSections);
    ExpectEstimateMatches(result->effect, c["expected"], name);
  }
}

TEST(DiffInDiffTest, TwoWayFixedEffectsMatchStatsmodelsCluster) {
  // Source: tests/reference/ref_did.py, statsmodels OLS value ~ D + C(unit) + C(period) with
  // cov_type='cluster' by unit, se rescaled from statsmodels' K (all dummy columns) to K = 1, and
  // t(G - 1); cross-checked there by a numpy Frisch-Waugh-Lovell computation.
  const nlohmann::json fixture = LoadFixture();
  DidSettings settings;
  settings.alpha = fixture["alpha"];
  ASSERT_GE(fixture["twfe"].size(), 4u);
  for (const auto& c : fixture["twfe"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    const auto result = TwoWayFixedEffectsDid(Observations(c["observations"]),
                                              c["first_post_period"].get<int64_t>(), settings);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->did.method, DidMethod::kTwoWayFixedEffects);
    EXPECT_TRUE(result->did.flags.empty());
    const auto& expected = c["expected"];
    ExpectEstimateMatches(result->did.effect, expected, "effect");
    EXPECT_EQ(result->n_observations, expected["n_observations"].get<int64_t>());
    EXPECT_EQ(result->n_units, expected["n_units"].get<int64_t>());
    EXPECT_EQ(result->n_periods, expected["n_periods"].get<int64_t>());
    EXPECT_EQ(result->n_regressors, 1);
    ExpectRelativeNear(result->cr1_factor, expected["cr1_factor"], "cr1_factor");

    EXPECT_TRUE(result->pre_trend_flags.empty());
    ExpectEstimateMatches(result->pre_trend, c["expected_pre_trend"], "pre_trend");
  }
}

// --- Properties ---------------------------------------------------------------------------------

TEST(DiffInDiffTest, SwappingTreatmentAndControlFlipsTheSign) {
  std::vector<PanelObservation> panel = SimulatedPanel(24, 6, 3, 0.7, 11);
  std::vector<PanelObservation> swapped = panel;
  for (PanelObservation& observation : swapped) observation.treated = !observation.treated;

  const auto twfe = TwoWayFixedEffectsDid(panel, 3);
  const auto twfe_swapped = TwoWayFixedEffectsDid(swapped, 3);
  ASSERT_TRUE(twfe.ok() && twfe_swapped.ok());
  EXPECT_NEAR(twfe_swapped->did.effect.estimate, -twfe->did.effect.estimate, kRoundingTolerance);
  EXPECT_NEAR(twfe_swapped->did.effect.se, twfe->did.effect.se, kRoundingTolerance);
  EXPECT_NEAR(twfe_swapped->did.effect.p_value, twfe->did.effect.p_value, kRoundingTolerance);
  EXPECT_NEAR(twfe_swapped->pre_trend.estimate, -twfe->pre_trend.estimate, kRoundingTolerance);

  const auto changes = CollapsePanelToChanges(panel, 3);
  ASSERT_TRUE(changes.ok());
  const auto forward = PanelDid(changes->treated, changes->control);
  const auto backward = PanelDid(changes->control, changes->treated);
  ASSERT_TRUE(forward.ok() && backward.ok());
  EXPECT_DOUBLE_EQ(backward->effect.estimate, -forward->effect.estimate);
  EXPECT_DOUBLE_EQ(backward->effect.p_value, forward->effect.p_value);
  EXPECT_DOUBLE_EQ(backward->effect.ci_low, -forward->effect.ci_high);

  const CrossSectionCells cells{
      {50, 100.0, 260.0}, {60, 150.0, 420.0}, {55, 99.0, 210.0}, {45, 90.0, 200.0}};
  const CrossSectionCells cells_swapped{cells.control_pre, cells.control_post, cells.treated_pre,
                                        cells.treated_post};
  const auto cross = CrossSectionDid(cells);
  const auto cross_swapped = CrossSectionDid(cells_swapped);
  ASSERT_TRUE(cross.ok() && cross_swapped.ok());
  EXPECT_DOUBLE_EQ(cross_swapped->effect.estimate, -cross->effect.estimate);
  EXPECT_DOUBLE_EQ(cross_swapped->effect.p_value, cross->effect.p_value);
}

TEST(DiffInDiffTest, TwoWayFixedEffectsIgnoresRowOrderAndUnitIds) {
  const std::vector<PanelObservation> panel = SimulatedPanel(30, 7, 4, 0.4, 12);
  std::vector<PanelObservation> shuffled = panel;
  std::mt19937_64 rng(13);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  for (PanelObservation& observation : shuffled)
    observation.unit = 7'000'000'000 - 3 * observation.unit;
  const auto a = TwoWayFixedEffectsDid(panel, 4);
  const auto b = TwoWayFixedEffectsDid(shuffled, 4);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NEAR(b->did.effect.estimate, a->did.effect.estimate, kRoundingTolerance);
  EXPECT_NEAR(b->did.effect.se, a->did.effect.se, kRoundingTolerance);
  EXPECT_NEAR(b->pre_trend.p_value, a->pre_trend.p_value, kRoundingTolerance);
}

TEST(DiffInDiffTest, TwoWayFixedEffectsIsInvariantToUnitAndPeriodShifts) {
  const std::vector<PanelObservation> panel = SimulatedPanel(20, 5, 2, 1.1, 14);
  std::vector<PanelObservation> shifted = panel;
  for (PanelObservation& observation : shifted) {
    observation.value += 0.37 * static_cast<double>(observation.unit % 7) +
                         1.9 * static_cast<double>(observation.period * observation.period);
  }
  const auto a = TwoWayFixedEffectsDid(panel, 2);
  const auto b = TwoWayFixedEffectsDid(shifted, 2);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NEAR(b->did.effect.estimate, a->did.effect.estimate, kRoundingTolerance);
  EXPECT_NEAR(b->did.effect.se, a->did.effect.se, kRoundingTolerance);
}

TEST(DiffInDiffTest, BalancedTwoWayFixedEffectsEqualsTheCollapsedDifference) {
  // In a balanced panel with one treatment date, the TWFE coefficient is exactly
  // (mean change of treated units) - (mean change of control units), changes being
  // mean(post) - mean(pre) per unit.
  const std::vector<PanelObservation> panel = SimulatedPanel(26, 8, 5, -0.3, 15);
  const auto twfe = TwoWayFixedEffectsDid(panel, 5);
  const auto changes = CollapsePanelToChanges(panel, 5);
  ASSERT_TRUE(twfe.ok() && changes.ok());
  const auto collapsed = PanelDid(changes->treated, changes->control);
  ASSERT_TRUE(collapsed.ok());
  EXPECT_NEAR(twfe->did.effect.estimate, collapsed->effect.estimate, kRoundingTolerance);
  EXPECT_EQ(twfe->n_periods, 8);
  EXPECT_EQ(twfe->n_pre_periods, 5);
  EXPECT_EQ(twfe->n_treated_units, 13);
}

TEST(DiffInDiffTest, StatisticsAddAcrossShards) {
  // Per-unit changes are additive statistics: two shards combine to the whole.
  const std::vector<PanelObservation> panel = SimulatedPanel(40, 4, 2, 0.5, 16);
  const std::vector<PanelObservation> first(panel.begin(), panel.begin() + 80);
  const std::vector<PanelObservation> second(panel.begin() + 80, panel.end());
  const auto whole = CollapsePanelToChanges(panel, 2);
  const auto a = CollapsePanelToChanges(first, 2);
  const auto b = CollapsePanelToChanges(second, 2);
  ASSERT_TRUE(whole.ok() && a.ok() && b.ok());
  const MeanStats treated = a->treated + b->treated;
  EXPECT_EQ(treated.n, whole->treated.n);
  EXPECT_NEAR(treated.sum, whole->treated.sum, kRoundingTolerance);
  EXPECT_NEAR(treated.sum_sq, whole->treated.sum_sq, kRoundingTolerance);
}

// --- Degenerate data and errors -----------------------------------------------------------------

TEST(DiffInDiffTest, TwoWayFixedEffectsDegenerateDataIsFlagged) {
  std::vector<PanelObservation> no_treated = SimulatedPanel(10, 4, 2, 0.0, 17);
  for (PanelObservation& observation : no_treated) observation.treated = false;
  auto result = TwoWayFixedEffectsDid(no_treated, 2);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->did.effect.valid);
  EXPECT_THAT(result->did.flags, ElementsAre(ResultFlag::kEmptyArm));
  EXPECT_EQ(result->did.effect.p_value, 1.0);

  // Treated units observed only after the start: the effect is absorbed by their unit effects.
  std::vector<PanelObservation> late;
  for (const PanelObservation& observation : SimulatedPanel(10, 4, 2, 0.0, 18)) {
    if (observation.treated && observation.period < 2) continue;
    late.push_back(observation);
  }
  result = TwoWayFixedEffectsDid(late, 2);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->did.effect.valid);
  EXPECT_THAT(result->did.flags, ElementsAre(ResultFlag::kNotIdentified));

  // Control units observed only before the start: the post-period effects absorb the treatment.
  std::vector<PanelObservation> control_stops;
  for (const PanelObservation& observation : SimulatedPanel(10, 4, 2, 0.0, 22)) {
    if (!observation.treated && observation.period >= 2) continue;
    control_stops.push_back(observation);
  }
  result = TwoWayFixedEffectsDid(control_stops, 2);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->did.effect.valid);
  EXPECT_THAT(result->did.flags, ElementsAre(ResultFlag::kNotIdentified));
  EXPECT_TRUE(result->pre_trend.valid);  // the pre-periods still have both groups

  // Exactly additive data: residuals are 0, so is the standard error.
  const std::vector<PanelObservation> exact = SimulatedPanel(10, 4, 2, 0.25, 19, /*noise=*/0.0);
  result = TwoWayFixedEffectsDid(exact, 2);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->did.effect.valid);
  EXPECT_THAT(result->did.flags, ElementsAre(ResultFlag::kZeroVariance));
  EXPECT_NEAR(result->did.effect.estimate, 0.25, kRoundingTolerance);

  // One pre-period: the effect is estimable, the placebo is not.
  result = TwoWayFixedEffectsDid(SimulatedPanel(10, 4, 1, 0.5, 20), 1);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->did.effect.valid);
  EXPECT_FALSE(result->pre_trend.valid);
  EXPECT_THAT(result->pre_trend_flags, ElementsAre(ResultFlag::kNoPrePeriods));
}

TEST(DiffInDiffTest, TwoWayFixedEffectsRejectsMalformedInput) {
  const std::vector<PanelObservation> panel = SimulatedPanel(6, 4, 2, 0.0, 21);
  struct Case {
    std::vector<PanelObservation> observations;
    int64_t first_post;
    double alpha;
    const char* message;
  };
  std::vector<PanelObservation> nan_value = panel;
  nan_value[3].value = std::nan("");
  std::vector<PanelObservation> flip = panel;
  flip[5].treated = !flip[5].treated;
  const Case cases[] = {
      {{}, 2, 0.05, "observations must not be empty"},
      {nan_value, 2, 0.05, "observations[3].value must be finite"},
      {flip, 2, 0.05, "observations[5].treated must be the same for every observation of a unit"},
      {panel, 0, 0.05, "first_post_period (0) must leave a pre-period: the earliest period is 0"},
      {panel, 4, 0.05, "first_post_period (4) must leave a post-period: the latest period is 3"},
      {panel, 2, 1.0, "alpha must be in (0, 1)"},
  };
  for (const Case& c : cases) {
    DidSettings settings;
    settings.alpha = c.alpha;
    const auto result = TwoWayFixedEffectsDid(c.observations, c.first_post, settings);
    ASSERT_FALSE(result.ok()) << c.message;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(c.message));
    if (c.alpha == 0.05) {
      const auto changes = CollapsePanelToChanges(c.observations, c.first_post);
      EXPECT_EQ(changes.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(DiffInDiffTest, PanelDegenerateDataIsFlagged) {
  auto result = PanelDid(MeanStats{}, MeanStats{10, 5.0, 10.0});
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->effect.valid);
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kEmptyArm));

  result = PanelDid(MeanStats{1, 2.0, 4.0}, MeanStats{10, 5.0, 10.0});
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kSampleTooSmall));
  EXPECT_DOUBLE_EQ(result->effect.estimate, 1.5);

  // Every change equal in both groups (0.1 repeated: sums carry rounding residue).
  result = PanelDid(MeanStats{3, 0.1 + 0.1 + 0.1, 0.01 + 0.01 + 0.01}, MeanStats{4, 2.0, 1.0});
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kZeroVariance));
  EXPECT_FALSE(result->effect.valid);

  // One group constant, the other not: Welch df reduces to n - 1 of the varying group.
  result = PanelDid(MeanStats{5, 5.0, 5.0}, MeanStats{8, 4.0, 6.0});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->effect.valid);
  EXPECT_DOUBLE_EQ(result->effect.df, 7.0);

  const auto bad = PanelDid(MeanStats{-1, 0.0, 0.0}, MeanStats{4, 2.0, 1.0});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("treated_change.n must be >= 0"));
}

TEST(DiffInDiffTest, CrossSectionDegenerateDataIsFlagged) {
  const MeanStats cell{20, 40.0, 100.0};
  auto result = CrossSectionDid({cell, cell, MeanStats{}, cell});
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kEmptyArm));
  EXPECT_FALSE(result->effect.valid);

  result = CrossSectionDid({cell, MeanStats{1, 3.0, 9.0}, cell, cell});
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kSampleTooSmall));
  EXPECT_DOUBLE_EQ(result->effect.estimate, 1.0);

  const MeanStats constant{10, 20.0, 40.0};
  result = CrossSectionDid({constant, constant, constant, constant});
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kZeroVariance));

  const auto bad = CrossSectionDid({cell, cell, cell, MeanStats{5, 10.0, 1.0}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("cells.control_post.sum_sq"));
}

TEST(DiffInDiffTest, MethodNames) {
  EXPECT_EQ(DidMethodName(DidMethod::kPanelChanges), "panel_changes");
  EXPECT_EQ(DidMethodName(DidMethod::kCrossSections), "cross_sections");
  EXPECT_EQ(DidMethodName(DidMethod::kTwoWayFixedEffects), "twfe_cluster");
}

}  // namespace
}  // namespace lift::stats
