#include "stats/comparison.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "stats/distributions.h"

namespace lift::stats {
namespace {

absl::Status ValidateArm(const ArmSummary& arm, const char* prefix) {
  if (arm.n < 0) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "n must be >= 0, got ", arm.n));
  }
  if (!std::isfinite(arm.mean)) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "mean must be finite, got ", arm.mean));
  }
  if (!std::isfinite(arm.variance) || arm.variance < 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "variance must be finite and >= 0, got ", arm.variance));
  }
  return absl::OkStatus();
}

void AddFlag(std::vector<ResultFlag>& flags, ResultFlag flag) {
  if (!HasFlag(flags, flag)) flags.push_back(flag);
}

}  // namespace

bool HasFlag(const std::vector<ResultFlag>& flags, ResultFlag flag) {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

double WelchSatterthwaiteDf(const ArmSummary& control, const ArmSummary& treatment) {
  if (control.n < 2 || treatment.n < 2) return 0.0;
  const double var_mean_c = control.variance / static_cast<double>(control.n);
  const double var_mean_t = treatment.variance / static_cast<double>(treatment.n);
  const double denominator = var_mean_c * var_mean_c / static_cast<double>(control.n - 1) +
                             var_mean_t * var_mean_t / static_cast<double>(treatment.n - 1);
  if (!(denominator > 0.0)) return 0.0;
  const double total = var_mean_c + var_mean_t;
  return total * total / denominator;
}

double TwoSidedCriticalValue(double df, double alpha) {
  return StudentTQuantile(df > 0.0 && std::isfinite(df) ? df : 0.0, 1.0 - alpha / 2.0);
}

Estimate TwoSidedEstimate(double estimate, double se, double df, double alpha) {
  return TwoSidedEstimateWithCritical(estimate, se, df, TwoSidedCriticalValue(df, alpha));
}

Estimate TwoSidedEstimateWithCritical(double estimate, double se, double df, double critical) {
  Estimate result;
  result.estimate = estimate;
  result.se = se;
  result.df = df > 0.0 && std::isfinite(df) ? df : 0.0;
  const double half_width = critical * se;
  result.ci_low = estimate - half_width;
  result.ci_high = estimate + half_width;
  result.p_value = std::min(1.0, 2.0 * StudentTUpperTail(result.df, std::fabs(estimate) / se));
  result.valid = true;
  return result;
}

Estimate InvalidEstimate(double estimate) {
  Estimate result;
  result.estimate = estimate;
  result.ci_low = estimate;
  result.ci_high = estimate;
  return result;
}

absl::StatusOr<ComparisonResult> CompareArms(const ArmSummary& control, const ArmSummary& treatment,
                                             const AnalysisSettings& settings,
                                             Reference reference) {
  if (auto s = ValidateAnalysisSettings(settings); !s.ok()) return s;
  if (auto s = ValidateArm(control, "control."); !s.ok()) return s;
  if (auto s = ValidateArm(treatment, "treatment."); !s.ok()) return s;

  ComparisonResult result;
  result.control = control;
  result.treatment = treatment;
  if (control.n == 0 || treatment.n == 0) {
    result.flags.push_back(ResultFlag::kEmptyArm);
    return result;  // both estimates default to invalid at 0
  }

  const double difference = treatment.mean - control.mean;
  // A control mean so close to 0 that the lift overflows is treated as 0 as well.
  double relative = control.mean == 0.0 ? 0.0 : difference / std::fabs(control.mean);
  const bool zero_baseline = control.mean == 0.0 || !std::isfinite(relative);
  if (zero_baseline) relative = 0.0;
  if (zero_baseline) AddFlag(result.flags, ResultFlag::kZeroBaseline);
  result.absolute = InvalidEstimate(difference);
  result.relative = InvalidEstimate(relative);

  if (control.n < settings.min_n_per_arm || treatment.n < settings.min_n_per_arm) {
    AddFlag(result.flags, ResultFlag::kSampleTooSmall);
    return result;
  }

  const double n_c = static_cast<double>(control.n);
  const double n_t = static_cast<double>(treatment.n);
  const double variance_absolute = treatment.variance / n_t + control.variance / n_c;
  if (!(variance_absolute > 0.0)) {
    AddFlag(result.flags, ResultFlag::kZeroVariance);
    return result;
  }
  const double df =
      reference == Reference::kNormal ? 0.0 : WelchSatterthwaiteDf(control, treatment);
  const double critical = TwoSidedCriticalValue(df, settings.alpha);
  result.absolute =
      TwoSidedEstimateWithCritical(difference, std::sqrt(variance_absolute), df, critical);

  if (zero_baseline) return result;
  const double c2 = control.mean * control.mean;
  const double variance_relative =
      treatment.variance / (n_t * c2) +
      control.variance * treatment.mean * treatment.mean / (n_c * c2 * c2);
  if (!std::isfinite(variance_relative)) {
    AddFlag(result.flags, ResultFlag::kZeroBaseline);
    return result;
  }
  if (!(variance_relative > 0.0)) {
    AddFlag(result.flags, ResultFlag::kZeroVariance);
    return result;
  }
  result.relative =
      TwoSidedEstimateWithCritical(relative, std::sqrt(variance_relative), df, critical);
  return result;
}

}  // namespace lift::stats
