// Power analysis: sample size for a minimum detectable effect (MDE), the MDE reachable with a
// given sample, and the days needed at the current traffic.
//
// Every comparison is one treatment against control, two-sided at level alpha, with equal arms.
// Conventions (stated because tools differ):
//   * Means: the relative MDE δ on a metric with mean μ and standard deviation σ is the
//     standardised effect d = δ|μ|/σ of a two-sample t-test (pooled-df t, df = 2n - 2,
//     non-centrality d·sqrt(n/2)); power counts both rejection tails. This is exactly
//     statsmodels.stats.power.TTestIndPower().power / solve_power(ratio=1,
//     alternative="two-sided").
//   * Proportions: baseline p1, p2 = p1(1 + δ), the unpooled-variance z-test Lift runs
//     (proportion_test.h). Its power is NormalIndPower().power(ratio=1) with the effect size
//     d = |p2 - p1| / sqrt((p1(1-p1) + p2(1-p2))/2), so solve_power matches statsmodels given
//     that d. (statsmodels' proportion_effectsize is Cohen's arcsine h, a different test.)
//   * Any number of arms, Bonferroni-free: each of the arms - 1 treatments is compared with
//     control at the full alpha, so n per arm equals the two-arm answer and the total is
//     arms × n per arm. statsmodels has no multi-arm notion; for 2 arms the two agree exactly.
//     (Holm/BH corrections at analysis time cost power that this plan does not budget for.)
//   * n_per_arm_exact is the real-valued root (what statsmodels returns); n_per_arm rounds it up.
// Pure functions; thread-safe.
#ifndef LIFT_STATS_POWER_H_
#define LIFT_STATS_POWER_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace lift::stats {

struct PowerSettings {
  double alpha = 0.05;  // two-sided significance level, in (0, 1)
  double power = 0.8;   // probability of detecting the MDE, in (alpha, 1)
  int arms = 2;         // arms including control, all the same size, >= 2
};

struct SampleSize {
  double effect_size = 0.0;      // standardised effect d the solver used
  double n_per_arm_exact = 0.0;  // real-valued solution
  int64_t n_per_arm = 0;         // ceil(n_per_arm_exact)
  int64_t total_n = 0;           // arms × n_per_arm
};

struct Duration {
  double days_exact = 0.0;  // remaining units / daily units
  int64_t days = 0;         // whole days, rounded up
};

// Power of the two-sided two-sample t-test with n units per arm and standardised effect d
// (statsmodels TTestIndPower().power(d, n, alpha, ratio=1)). Requires n > 1.
double TTestPower(double effect_size, double n_per_arm, double alpha);
// Power of the two-sided two-sample z-test (statsmodels NormalIndPower().power(d, n, alpha)).
double NormalTestPower(double effect_size, double n_per_arm, double alpha);

// Units per arm to detect a relative change `relative_mde` of a mean metric (mean, sd).
// InvalidArgument naming the field: mean 0 or not finite, sd <= 0, relative_mde 0 or not finite,
// invalid settings ("power must be in (alpha, 1), got 0.03").
absl::StatusOr<SampleSize> SampleSizeForMean(double mean, double sd, double relative_mde,
                                             const PowerSettings& settings = {});

// Units per arm to detect a relative change of a conversion rate `baseline_rate`.
// InvalidArgument naming the field: baseline_rate outside (0, 1), relative_mde 0, or
// baseline_rate·(1 + relative_mde) outside (0, 1).
absl::StatusOr<SampleSize> SampleSizeForProportion(double baseline_rate, double relative_mde,
                                                   const PowerSettings& settings = {});

// Smallest relative change (> 0) of a mean metric detectable with n_per_arm units per arm.
// InvalidArgument as above, or when n_per_arm < 2.
absl::StatusOr<double> MinimumDetectableEffectForMean(double mean, double sd, double n_per_arm,
                                                      const PowerSettings& settings = {});

// Smallest relative increase of a conversion rate detectable with n_per_arm units per arm.
// InvalidArgument as above or when n_per_arm <= 0; OutOfRange when no rate below 1 is detectable.
absl::StatusOr<double> MinimumDetectableEffectForProportion(double baseline_rate, double n_per_arm,
                                                            const PowerSettings& settings = {});

// Days until `total_n` units are enrolled at `daily_units` per day (all arms together), counting
// `units_so_far` already enrolled. InvalidArgument when daily_units <= 0 or not finite, or a
// count is negative.
absl::StatusOr<Duration> DaysNeeded(int64_t total_n, double daily_units, int64_t units_so_far = 0);

}  // namespace lift::stats

#endif  // LIFT_STATS_POWER_H_
