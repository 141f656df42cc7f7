// Result types shared by every estimator in lift_stats.
//
// An Estimate is one effect (absolute or relative) with its standard error, a two-sided confidence
// interval and a p-value. Degenerate data never produces NaN: the estimator fills what it can, sets
// `valid = false` where no inference is possible, and records why in `flags`.
// Plain value types; safe to copy and share between threads.
#ifndef LIFT_STATS_ESTIMATE_H_
#define LIFT_STATS_ESTIMATE_H_

#include <string_view>
#include <vector>

namespace lift::stats {

// Why a result is degenerate or needs care. Mirrored by the `ResultFlag` enum in the proto API.
enum class ResultFlag {
  kEmptyArm,            // an arm has n == 0: nothing to estimate
  kSampleTooSmall,      // an arm is below the configured minimum n: estimate shown, inference withheld
  kZeroVariance,        // both arms have zero variance: the standard error is 0, no test is possible
  kZeroBaseline,        // the control mean is 0: the relative lift is undefined
  kNoCovariateVariance, // CUPED asked for but Var(x) == 0: the plain estimate is used instead
  kZeroDenominator,     // a ratio metric's denominator sums to 0 in an arm
  kNotIdentified,       // the effect is absorbed by fixed effects (DiD: no treated unit observed
                        // on both sides of the start, or no control rows after it)
  kNoPrePeriods,        // a pre-trend (placebo) check needs at least two pre-periods
};

// Stable lower_snake_case name of a flag, e.g. "zero_baseline" (used in JSON and logs).
std::string_view ResultFlagName(ResultFlag flag);

// One effect with its uncertainty. All fields are finite; when `valid` is false the interval and
// p-value carry no information (se = 0, CI = [estimate, estimate], p_value = 1).
struct Estimate {
  double estimate = 0.0;
  double se = 0.0;       // standard error of `estimate`
  double ci_low = 0.0;   // lower end of the two-sided (1 - alpha) interval
  double ci_high = 0.0;  // upper end of the two-sided (1 - alpha) interval
  double p_value = 1.0;  // two-sided, against "no effect"
  double df = 0.0;       // degrees of freedom of the reference t distribution; 0 for the normal
  bool valid = false;    // false when no inference was possible (see the result's flags)
};

}  // namespace lift::stats

#endif  // LIFT_STATS_ESTIMATE_H_
