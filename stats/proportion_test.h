// Two-proportion test for 0/1 metrics (conversion rates) with the normal approximation.
//
// Input: MeanStats per arm where each unit's value is 0 or 1, so Σy is the number of successes
// (Σy² equals Σy; it may be left 0). With p = Σy/n and the unpooled per-arm variance p(1-p)/n,
// used for both the CI and the p-value (Wald test):
//   absolute  p_t - p_c, se² = p_t(1-p_t)/n_t + p_c(1-p_c)/n_c; equals statsmodels
//             test_proportions_2indep(method="wald") / confint_proportions_2indep(method="wald");
//   relative  (p_t - p_c)/p_c, se² = p_t(1-p_t)/(n_t p_c²) + p_c(1-p_c) p_t²/(n_c p_c⁴) (delta
//             method).
// Both refer z to the standard normal (Estimate::df = 0). Arms with p in {0, 1} have variance 0;
// when both do the result is flagged kZeroVariance; p_c = 0 flags kZeroBaseline.
// Pure function; thread-safe.
#ifndef LIFT_STATS_PROPORTION_TEST_H_
#define LIFT_STATS_PROPORTION_TEST_H_

#include "absl/status/statusor.h"
#include "stats/comparison.h"
#include "stats/settings.h"
#include "stats/sufficient_statistics.h"

namespace lift::stats {

// The summary a 0/1 metric's arm contributes: n, p = Σy/n and the unit variance p(1 - p).
ArmSummary ProportionArmSummary(const MeanStats& stats);

// InvalidArgument naming the field when the settings are invalid, n < 0, Σy is outside [0, n],
// or Σy² is neither 0 nor equal to Σy (the values are then not 0/1), e.g.
// "control.sum must be in [0, n] (successes of 0/1 values), got 12 with n = 10".
absl::StatusOr<ComparisonResult> ProportionTest(const MeanStats& control,
                                                const MeanStats& treatment,
                                                const AnalysisSettings& settings = {});

// Checks that `stats` can describe 0/1 values (see ProportionTest).
absl::Status ValidateProportionStats(const MeanStats& stats, const char* field_prefix = "");

}  // namespace lift::stats

#endif  // LIFT_STATS_PROPORTION_TEST_H_
