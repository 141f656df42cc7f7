// Welch's two-sample t-test on means, with the relative lift by the delta method.
//
// Input: additive sufficient statistics (n, Σy, Σy²) per arm. Output: a ComparisonResult with
//   absolute  ȳ_t - ȳ_c, se² = s_t²/n_t + s_c²/n_c, t with Welch–Satterthwaite df
//             (Welch 1947); identical to scipy.stats.ttest_ind(equal_var=False) on the raw units;
//   relative  (ȳ_t - ȳ_c)/|ȳ_c|, se² = s_t²/(n_t ȳ_c²) + s_c² ȳ_t²/(n_c ȳ_c⁴) (delta method, as
//             GrowthBook gbstats' frequentist TwoSidedTTest), referred to the same t.
// s² is the sample variance (n - 1 denominator). Degenerate data is flagged (see comparison.h).
// Pure function; thread-safe.
#ifndef LIFT_STATS_WELCH_TEST_H_
#define LIFT_STATS_WELCH_TEST_H_

#include "absl/status/statusor.h"
#include "stats/comparison.h"
#include "stats/settings.h"
#include "stats/sufficient_statistics.h"

namespace lift::stats {

// The summary a mean metric's arm contributes: n, ȳ and the sample variance s².
ArmSummary MeanArmSummary(const MeanStats& stats);

// Welch t-test of treatment against control. InvalidArgument naming the field when the settings
// are invalid or a MeanStats is malformed (n < 0, non-finite sums, Σy² < (Σy)²/n), e.g.
// "treatment.sum_sq (1) is inconsistent with n and treatment.sum: ...".
absl::StatusOr<ComparisonResult> WelchTest(const MeanStats& control, const MeanStats& treatment,
                                           const AnalysisSettings& settings = {});

}  // namespace lift::stats

#endif  // LIFT_STATS_WELCH_TEST_H_
