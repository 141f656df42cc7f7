// Ratio metrics (Σnum / Σden over units, e.g. revenue per session) by the delta method.
//
// Units are the randomisation unit, and numerator and denominator are per-unit sums, so the
// per-unit pairs are i.i.d. while the events inside a unit are not. Per arm, with m̄ = Σnum/n,
// d̄ = Σden/n and the sample (co)variances s_m², s_d², s_md (n - 1 denominators):
//   R = Σnum/Σden = m̄/d̄,
//   unit variance  s_R² = s_m²/d̄² + s_d² m̄²/d̄⁴ - 2 s_md m̄/d̄³   (delta method; Deng, Knoblich,
//                  Lu 2018, "Applying the Delta Method in Metric Analytics", KDD; as gbstats'
//                  RatioStatistic), Var(R) = s_R²/n.
// The arms are then compared as means (comparison.h): absolute R_t - R_c and relative
// (R_t - R_c)/|R_c|, Welch–Satterthwaite degrees of freedom on the s_R².
// An arm whose denominators sum to 0 has no ratio: the result carries kZeroDenominator (plus
// kSampleTooSmall if that applies) and no inference. Pure functions; thread-safe.
#ifndef LIFT_STATS_RATIO_METRIC_H_
#define LIFT_STATS_RATIO_METRIC_H_

#include "absl/status/statusor.h"
#include "stats/comparison.h"
#include "stats/settings.h"
#include "stats/sufficient_statistics.h"

namespace lift::stats {

// The arm's ratio R and its delta-method unit variance s_R² (0 when n < 2 or Σden == 0; the
// mean is 0 when Σden == 0).
ArmSummary RatioArmSummary(const RatioStats& stats);

// Compares two ratio-metric arms. InvalidArgument naming the field when the settings are invalid
// or a RatioStats is malformed (see ValidateRatioStats).
absl::StatusOr<ComparisonResult> RatioMetricTest(const RatioStats& control,
                                                 const RatioStats& treatment,
                                                 const AnalysisSettings& settings = {});

}  // namespace lift::stats

#endif  // LIFT_STATS_RATIO_METRIC_H_
