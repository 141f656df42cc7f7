// Two-arm comparison of means: the engine shared by the Welch, proportion, ratio and CUPED tests.
//
// Every A/B estimator reduces an arm to an ArmSummary (n, mean of the per-unit quantity, unit-level
// variance) and compares treatment against control on two scales:
//   absolute  treatment.mean - control.mean,             Var = v_t/n_t + v_c/n_c
//   relative  (treatment.mean - control.mean) / |c|,     c = control.mean, delta method:
//             Var = v_t/(n_t c^2) + v_c t^2/(n_c c^4)    (first-order Taylor expansion of t/c)
// Both use the same reference distribution: Student's t with Welch–Satterthwaite degrees of
// freedom (Welch 1947; Satterthwaite 1946), or the standard normal (proportions).
//
// Degenerate data is an answer: an empty arm (kEmptyArm), an arm below min_n_per_arm
// (kSampleTooSmall), zero variance in both arms (kZeroVariance) or a zero control mean
// (kZeroBaseline, relative only) give an invalid Estimate (se 0, CI = [estimate, estimate], p 1)
// and the flag; never NaN. Pure functions over values; thread-safe.
#ifndef LIFT_STATS_COMPARISON_H_
#define LIFT_STATS_COMPARISON_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "stats/estimate.h"
#include "stats/settings.h"

namespace lift::stats {

// One arm reduced to what a two-sample comparison of means needs.
struct ArmSummary {
  int64_t n = 0;          // units in the arm
  double mean = 0.0;      // estimate of the arm's metric (a mean, a ratio, a CUPED-adjusted mean)
  double variance = 0.0;  // unit-level variance: Var(mean) = variance / n
};

// Treatment against control on the absolute and relative scales.
struct ComparisonResult {
  ArmSummary control;
  ArmSummary treatment;
  Estimate absolute;              // treatment.mean - control.mean
  Estimate relative;              // (treatment.mean - control.mean) / |control.mean|
  std::vector<ResultFlag> flags;  // why an estimate is invalid; empty when both are valid
};

// Which distribution the test statistic is referred to.
enum class Reference {
  kStudentT,  // Welch–Satterthwaite degrees of freedom
  kNormal,    // large-sample normal approximation (Estimate::df = 0)
};

// True when `flag` is in `flags`.
bool HasFlag(const std::vector<ResultFlag>& flags, ResultFlag flag);

// Welch–Satterthwaite degrees of freedom (v_t/n_t + v_c/n_c)^2 /
// ((v_t/n_t)^2/(n_t-1) + (v_c/n_c)^2/(n_c-1)). Requires n >= 2 in both arms and a positive
// variance in at least one; returns 0 otherwise.
double WelchSatterthwaiteDf(const ArmSummary& control, const ArmSummary& treatment);

// A valid two-sided Estimate from a point estimate, its standard error (> 0) and the degrees of
// freedom of the reference t (df <= 0 or infinite: standard normal):
//   CI = estimate -/+ q(1 - alpha/2) se,  p = 2 P(T > |estimate| / se).
Estimate TwoSidedEstimate(double estimate, double se, double df, double alpha);

// The same from a precomputed critical value q(1 - alpha/2) = TwoSidedCriticalValue(df, alpha):
// estimates that share df and alpha (absolute and relative) evaluate the quantile once.
double TwoSidedCriticalValue(double df, double alpha);
Estimate TwoSidedEstimateWithCritical(double estimate, double se, double df, double critical);

// An Estimate with no inference: se 0, CI [estimate, estimate], p 1, valid false.
Estimate InvalidEstimate(double estimate);

// Compares two arms as described above. InvalidArgument (naming "control." / "treatment." fields
// or the setting) when settings are invalid, n < 0, or mean / variance is not finite or the
// variance is negative.
absl::StatusOr<ComparisonResult> CompareArms(const ArmSummary& control, const ArmSummary& treatment,
                                             const AnalysisSettings& settings,
                                             Reference reference = Reference::kStudentT);

}  // namespace lift::stats

#endif  // LIFT_STATS_COMPARISON_H_
