#include "stats/ratio_metric.h"

#include <algorithm>

#include "stats/status_macros.h"

namespace lift::stats {
namespace {

// Sample covariance with the n - 1 denominator; 0 when n < 2.
double SampleCovariance(int64_t n, double sum_a, double sum_b, double sum_ab) {
  if (n < 2) return 0.0;
  const double count = static_cast<double>(n);
  return (sum_ab - sum_a * sum_b / count) / (count - 1.0);
}

}  // namespace

ArmSummary RatioArmSummary(const RatioStats& stats) {
  ArmSummary summary;
  summary.n = stats.n;
  if (stats.n == 0 || stats.sum_den == 0.0) return summary;
  const double n = static_cast<double>(stats.n);
  const double mean_num = stats.sum_num / n;
  const double mean_den = stats.sum_den / n;
  summary.mean = stats.sum_num / stats.sum_den;
  if (stats.n < 2) return summary;
  const double var_num =
      std::max(0.0, SampleCovariance(stats.n, stats.sum_num, stats.sum_num, stats.sum_num_sq));
  const double var_den =
      std::max(0.0, SampleCovariance(stats.n, stats.sum_den, stats.sum_den, stats.sum_den_sq));
  const double cov = SampleCovariance(stats.n, stats.sum_num, stats.sum_den, stats.sum_num_den);
  const double d2 = mean_den * mean_den;
  const double variance = var_num / d2 + var_den * mean_num * mean_num / (d2 * d2) -
                          2.0 * cov * mean_num / (d2 * mean_den);
  summary.variance = std::max(0.0, variance);
  return summary;
}

absl::StatusOr<ComparisonResult> RatioMetricTest(const RatioStats& control,
                                                 const RatioStats& treatment,
                                                 const AnalysisSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidateAnalysisSettings(settings));
  LIFT_RETURN_IF_ERROR(ValidateRatioStats(control, "control."));
  LIFT_RETURN_IF_ERROR(ValidateRatioStats(treatment, "treatment."));
  LIFT_ASSIGN_OR_RETURN(ComparisonResult result,
                        CompareArms(RatioArmSummary(control), RatioArmSummary(treatment), settings,
                                    Reference::kStudentT));
  const bool zero_denominator =
      (control.n > 0 && control.sum_den == 0.0) || (treatment.n > 0 && treatment.sum_den == 0.0);
  if (zero_denominator && !HasFlag(result.flags, ResultFlag::kEmptyArm)) {
    // The ratio of an arm without denominator is undefined: withhold every inference. Flags that
    // only restate it (zero baseline, zero variance) are dropped.
    const bool too_small = HasFlag(result.flags, ResultFlag::kSampleTooSmall);
    result.flags.clear();
    if (too_small) result.flags.push_back(ResultFlag::kSampleTooSmall);
    result.flags.push_back(ResultFlag::kZeroDenominator);
    result.absolute = InvalidEstimate(0.0);
    result.relative = InvalidEstimate(0.0);
  }
  return result;
}

}  // namespace lift::stats
