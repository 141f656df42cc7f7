// Always-valid inference for A/B tests that are looked at repeatedly ("peeking").
//
// The asymptotic confidence sequence (CS) of Waudby-Smith, Arnold, Wu, Howard and Ramdas,
// "Time-uniform central limit theory and asymptotic confidence sequences" (2023,
// arXiv:2103.06476v7), in the two-sample form GrowthBook's gbstats uses
// (`SequentialTwoSidedTTest`, `sequential_rho`, `sequential_interval_halfwidth`): with
// probability at least 1 - alpha the true effect lies inside the interval at EVERY sample size
// simultaneously (asymptotically), so a readout may be refreshed daily without inflating the
// false-positive rate. The price is a wider interval than the fixed-horizon one; it is narrowest
// near n = N*, the tuning parameter.
//
// The estimator is effect-agnostic: the caller passes a point estimate and its (fixed-horizon)
// standard error, for the absolute difference or for the relative lift alike, and the total
// sample size n counted over BOTH arms (as gbstats does).
//
// Formulas (rho: mixing parameter, N*: tuning, n: total units, se: standard error):
//   rho        = sqrt((-2 ln(alpha) + ln(-2 ln(alpha) + 1)) / N*)           // eq. 161
//   half-width = se * sqrt(2 (n rho^2 + 1) / (n rho^2) * ln(sqrt(n rho^2 + 1) / alpha))
//                (eq. 9 with the per-observation variance s^2 = se^2 n)
//   p-value    = min(1, sqrt(n rho^2 + 1) * exp(-rho^2 n z^2 / (2 (n rho^2 + 1)))),  z = est/se
// The p-value is the smallest alpha' at which the confidence sequence built with the same rho
// excludes 0; solving |estimate| = half-width(alpha') for alpha' gives the closed form above, which
// is the reciprocal of the normal-mixture e-value (eq. 155, GrowthBook's always-valid p-value).
// rho stays fixed at the configured alpha and N*: that keeps the sequences nested in alpha', which
// is what makes the p-value always valid (P(some p_n <= alpha) <= alpha), and p < alpha exactly
// when the reported sequence excludes 0.
//
// Pure functions; thread-safe.
#ifndef LIFT_STATS_SEQUENTIAL_H_
#define LIFT_STATS_SEQUENTIAL_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "stats/estimate.h"

namespace lift::stats {

// GrowthBook's default tuning parameter N*: the total sample size (both arms) at which the
// sequence is tightest.
inline constexpr double kDefaultSequentialTuning = 5000.0;

struct SequentialSettings {
  double alpha = 0.05;  // in (0, 1); the sequence covers with prob. >= 1 - alpha
  double tuning = kDefaultSequentialTuning;  // N* > 0, total n over both arms
};

// One always-valid result. `effect.estimate` and `effect.se` echo the input; `effect.ci_low/high`
// are the confidence-sequence bounds, `effect.p_value` the always-valid p-value and `effect.df` is
// 0 (asymptotic normal). When no inference is possible (`effect.valid == false`, reason in
// `flags`) the interval is [estimate, estimate] and the p-value 1.
struct SequentialResult {
  Estimate effect;
  double rho = 0.0;         // mixing parameter used
  double half_width = 0.0;  // ci_high - estimate
  std::vector<ResultFlag> flags;
};

// Mixing parameter rho for `alpha` and tuning `tuning` (Waudby-Smith et al. 2023, eq. 161).
// InvalidArgument unless alpha is in (0, 1) and tuning is finite and > 0.
absl::StatusOr<double> SequentialRho(double alpha, double tuning);

// Half-width of the two-sided sequence at level `alpha` for a given `rho` (eq. 9 with
// s^2 = se^2 * total_n). InvalidArgument when standard_error < 0 or not finite, total_n < 1,
// rho <= 0 or alpha is outside (0, 1).
absl::StatusOr<double> SequentialHalfWidth(double standard_error, int64_t total_n, double rho,
                                           double alpha);

// The confidence sequence and always-valid p-value for an effect `estimate` with fixed-horizon
// standard error `standard_error` after `total_n` units (both arms together).
// InvalidArgument (naming the field) when estimate is not finite, standard_error is negative or not
// finite, total_n < 0, or the settings are out of range. Degenerate data is a flagged, invalid
// result: total_n == 0 -> kEmptyArm, standard_error == 0 -> kZeroVariance.
absl::StatusOr<SequentialResult> SequentialTest(double estimate, double standard_error,
                                                int64_t total_n,
                                                const SequentialSettings& settings = {});

// Convenience: the sequential version of a fixed-horizon `Estimate` (absolute or relative), using
// its estimate and se. An invalid `fixed` gives an invalid result without flags of its own (the
// fixed-horizon result's flags say why). Errors as SequentialTest.
absl::StatusOr<SequentialResult> SequentialFromFixedHorizon(
    const Estimate& fixed, int64_t total_n, const SequentialSettings& settings = {});

}  // namespace lift::stats

#endif  // LIFT_STATS_SEQUENTIAL_H_
