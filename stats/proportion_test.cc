#include "stats/proportion_test.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "stats/status_macros.h"

namespace lift::stats {
namespace {

// Σy² of 0/1 values equals Σy exactly for integer counts; allow rounding in aggregated doubles.
constexpr double kSquaresSlack = 1e-9;

}  // namespace

absl::Status ValidateProportionStats(const MeanStats& stats, const char* field_prefix) {
  if (stats.n < 0) {
    return absl::InvalidArgumentError(absl::StrCat(field_prefix, "n must be >= 0, got ", stats.n));
  }
  const double n = static_cast<double>(stats.n);
  if (!std::isfinite(stats.sum) || stats.sum < 0.0 || stats.sum > n) {
    return absl::InvalidArgumentError(absl::StrCat(field_prefix,
                                                   "sum must be in [0, n] (successes of 0/1 "
                                                   "values), got ",
                                                   stats.sum, " with n = ", stats.n));
  }
  if (stats.sum_sq != 0.0 &&
      std::fabs(stats.sum_sq - stats.sum) > kSquaresSlack * std::max(1.0, stats.sum)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field_prefix, "sum_sq must equal sum (or be 0) for 0/1 values, got sum_sq = ", stats.sum_sq,
        " and sum = ", stats.sum));
  }
  return absl::OkStatus();
}

ArmSummary ProportionArmSummary(const MeanStats& stats) {
  const double p = stats.Mean();
  return ArmSummary{stats.n, p, std::max(0.0, p * (1.0 - p))};
}

absl::StatusOr<ComparisonResult> ProportionTest(const MeanStats& control,
                                                const MeanStats& treatment,
                                                const AnalysisSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidateAnalysisSettings(settings));
  LIFT_RETURN_IF_ERROR(ValidateProportionStats(control, "control."));
  LIFT_RETURN_IF_ERROR(ValidateProportionStats(treatment, "treatment."));
  return CompareArms(ProportionArmSummary(control), ProportionArmSummary(treatment), settings,
                     Reference::kNormal);
}

}  // namespace lift::stats
