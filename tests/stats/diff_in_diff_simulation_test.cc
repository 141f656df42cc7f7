// Simulations (fixed seeds): the 95% intervals of stats/diff_in_diff cover the true effect
// 95% +- 1.5 points of the time.
//
// Panels have unit effects, period effects and AR(1) errors within units (rho = 0.5), the case
// unit-clustered standard errors exist for (Bertrand, Duflo & Mullainathan 2004); 2,000 panels per
// estimator (binomial SE of the coverage ~0.5 points).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "stats/diff_in_diff.h"

namespace lift::stats {
namespace {

constexpr int kRuns = 2000;
constexpr double kTrueEffect = 0.5;
constexpr double kNominal = 0.95;
constexpr double kCoverageSlack = 0.015;

struct PanelDesign {
  int units;
  int periods;
  int first_post;
  double missing;  // probability that a unit-period row is absent (unbalanced panels)
};

std::vector<PanelObservation> SimulatePanel(const PanelDesign& design, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> period_effect(design.periods);
  for (double& p : period_effect) p = normal(rng);
  std::vector<PanelObservation> observations;
  observations.reserve(static_cast<size_t>(design.units) * design.periods);
  for (int u = 0; u < design.units; ++u) {
    const bool treated = u % 2 == 0;
    const double unit_effect = 2.0 * normal(rng);
    double error = 0.0;
    for (int t = 0; t < design.periods; ++t) {
      error = 0.5 * error + normal(rng);
      if (uniform(rng) < design.missing) continue;
      const double effect = treated && t >= design.first_post ? kTrueEffect : 0.0;
      observations.push_back(
          PanelObservation{u, t, treated, 10.0 + unit_effect + period_effect[t] + effect + error});
    }
  }
  return observations;
}

bool Covers(const Estimate& estimate) {
  return estimate.valid && estimate.ci_low <= kTrueEffect && kTrueEffect <= estimate.ci_high;
}

TEST(DiffInDiffSimulationTest, TwoWayFixedEffectsCoverageOnUnbalancedPanels) {
  std::mt19937_64 rng(20240612);
  const PanelDesign design{100, 8, 5, 0.15};
  int covered = 0, placebo_covered_zero = 0;
  for (int run = 0; run < kRuns; ++run) {
    const auto result = TwoWayFixedEffectsDid(SimulatePanel(design, rng), design.first_post);
    ASSERT_TRUE(result.ok()) << result.status();
    covered += Covers(result->did.effect);
    // No pre-trend in the data: the placebo's interval covers 0 at the nominal rate too.
    const Estimate& placebo = result->pre_trend;
    placebo_covered_zero += placebo.valid && placebo.ci_low <= 0.0 && 0.0 <= placebo.ci_high;
  }
  const double coverage = static_cast<double>(covered) / kRuns;
  const double placebo_coverage = static_cast<double>(placebo_covered_zero) / kRuns;
  RecordProperty("twfe_coverage", std::to_string(coverage));
  RecordProperty("placebo_coverage", std::to_string(placebo_coverage));
  EXPECT_NEAR(coverage, kNominal, kCoverageSlack);
  EXPECT_NEAR(placebo_coverage, kNominal, kCoverageSlack);
}

TEST(DiffInDiffSimulationTest, PanelChangesCoverage) {
  std::mt19937_64 rng(20240613);
  const PanelDesign design{80, 4, 2, 0.0};
  int covered = 0;
  for (int run = 0; run < kRuns; ++run) {
    const auto changes = CollapsePanelToChanges(SimulatePanel(design, rng), design.first_post);
    ASSERT_TRUE(changes.ok()) << changes.status();
    const auto result = PanelDid(changes->treated, changes->control);
    ASSERT_TRUE(result.ok()) << result.status();
    covered += Covers(result->effect);
  }
  const double coverage = static_cast<double>(covered) / kRuns;
  RecordProperty("panel_changes_coverage", std::to_string(coverage));
  EXPECT_NEAR(coverage, kNominal, kCoverageSlack);
}

TEST(DiffInDiffSimulationTest, CrossSectionCoverage) {
  // Different units in each cell; unequal sizes and variances (where Welch-type df matters).
  std::mt19937_64 rng(20240614);
  std::normal_distribution<double> normal(0.0, 1.0);
  struct Cell {
    int n;
    double mean, sd;
  };
  const Cell design[4] = {
      {25, 5.0, 1.0}, {40, 5.8 + kTrueEffect, 2.5}, {60, 4.6, 0.8}, {18, 5.4, 1.5}};
  int covered = 0;
  for (int run = 0; run < kRuns; ++run) {
    MeanStats cells[4];
    for (int k = 0; k < 4; ++k) {
      for (int i = 0; i < design[k].n; ++i) {
        const double y = design[k].mean + design[k].sd * normal(rng);
        cells[k] += MeanStats{1, y, y * y};
      }
    }
    // Order in `design`: treated_pre, treated_post, control_pre, control_post; the true DiD is
    // (5.8 + effect - 5.0) - (5.4 - 4.6) = effect.
    const auto result = CrossSectionDid({cells[0], cells[1], cells[2], cells[3]});
    ASSERT_TRUE(result.ok()) << result.status();
    covered += Covers(result->effect);
  }
  const double coverage = static_cast<double>(covered) / kRuns;
  RecordProperty("cross_section_coverage", std::to_string(coverage));
  EXPECT_NEAR(coverage, kNominal, kCoverageSlack);
}

}  // namespace
}  // namespace lift::stats
