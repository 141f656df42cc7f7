#include "stats/sequential.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "stats/status_macros.h"

namespace lift::stats {
namespace {

absl::Status ValidateAlpha(double alpha) {
  if (!(alpha > 0.0 && alpha < 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat("alpha must be in (0, 1), got ", alpha));
  }
  return absl::OkStatus();
}

absl::Status ValidateSettings(const SequentialSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidateAlpha(settings.alpha));
  if (!(std::isfinite(settings.tuning) && settings.tuning > 0.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tuning must be finite and > 0, got ", settings.tuning));
  }
  return absl::OkStatus();
}

// A result that carries the point estimate but no inference.
SequentialResult Degenerate(double estimate, double standard_error, double rho) {
  SequentialResult result;
  result.rho = rho;
  result.effect.estimate = estimate;
  result.effect.se = standard_error;
  result.effect.ci_low = estimate;
  result.effect.ci_high = estimate;
  result.effect.p_value = 1.0;
  result.effect.df = 0.0;
  result.effect.valid = false;
  return result;
}

}  // namespace

absl::StatusOr<double> SequentialRho(double alpha, double tuning) {
  LIFT_RETURN_IF_ERROR(ValidateSettings(SequentialSettings{alpha, tuning}));
  const double minus_two_log_alpha = -2.0 * std::log(alpha);
  return std::sqrt((minus_two_log_alpha + std::log(minus_two_log_alpha + 1.0)) / tuning);
}

absl::StatusOr<double> SequentialHalfWidth(double standard_error, int64_t total_n, double rho,
                                           double alpha) {
  LIFT_RETURN_IF_ERROR(ValidateAlpha(alpha));
  if (!(std::isfinite(standard_error) && standard_error >= 0.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("standard_error must be finite and >= 0, got ", standard_error));
  }
  if (total_n < 1) {
    return absl::InvalidArgumentError(absl::StrCat("total_n must be >= 1, got ", total_n));
  }
  if (!(std::isfinite(rho) && rho > 0.0)) {
    return absl::InvalidArgumentError(absl::StrCat("rho must be finite and > 0, got ", rho));
  }
  // With t = n rho^2: half-width = se * sqrt(2 (t + 1) / t * ln(sqrt(t + 1) / alpha)).
  const double t = static_cast<double>(total_n) * rho * rho;
  const double log_term = 0.5 * std::log1p(t) - std::log(alpha);
  return standard_error * std::sqrt(2.0 * (t + 1.0) / t * log_term);
}

absl::StatusOr<SequentialResult> SequentialTest(double estimate, double standard_error,
                                                int64_t total_n,
                                                const SequentialSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidateSettings(settings));
  if (!std::isfinite(estimate)) {
    return absl::InvalidArgumentError(absl::StrCat("estimate must be finite, got ", estimate));
  }
  if (!(std::isfinite(standard_error) && standard_error >= 0.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("standard_error must be finite and >= 0, got ", standard_error));
  }
  if (total_n < 0) {
    return absl::InvalidArgumentError(absl::StrCat("total_n must be >= 0, got ", total_n));
  }
  LIFT_ASSIGN_OR_RETURN(const double rho, SequentialRho(settings.alpha, settings.tuning));

  if (total_n == 0) {
    SequentialResult result = Degenerate(estimate, standard_error, rho);
    result.flags.push_back(ResultFlag::kEmptyArm);
    return result;
  }
  if (standard_error == 0.0) {
    SequentialResult result = Degenerate(estimate, standard_error, rho);
    result.flags.push_back(ResultFlag::kZeroVariance);
    return result;
  }

  LIFT_ASSIGN_OR_RETURN(const double half_width,
                        SequentialHalfWidth(standard_error, total_n, rho, settings.alpha));
  SequentialResult result;
  result.rho = rho;
  result.half_width = half_width;
  result.effect.estimate = estimate;
  result.effect.se = standard_error;
  result.effect.ci_low = estimate - half_width;
  result.effect.ci_high = estimate + half_width;
  result.effect.df = 0.0;
  result.effect.valid = true;

  // Always-valid p-value, in logs so that extreme z neither overflows nor produces NaN:
  // log p = ln(sqrt(t + 1)) - rho^2 n z^2 / (2 (t + 1)) with t = n rho^2 and z = estimate / se.
  const double t = static_cast<double>(total_n) * rho * rho;
  const double z = estimate / standard_error;
  const double log_p = 0.5 * std::log1p(t) - t * z * z / (2.0 * (t + 1.0));
  result.effect.p_value = std::exp(std::min(0.0, log_p));
  return result;
}

absl::StatusOr<SequentialResult> SequentialFromFixedHorizon(const Estimate& fixed, int64_t total_n,
                                                            const SequentialSettings& settings) {
  if (!fixed.valid) {
    LIFT_RETURN_IF_ERROR(ValidateSettings(settings));
    if (total_n < 0) {
      return absl::InvalidArgumentError(absl::StrCat("total_n must be >= 0, got ", total_n));
    }
    LIFT_ASSIGN_OR_RETURN(const double rho, SequentialRho(settings.alpha, settings.tuning));
    const double estimate = std::isfinite(fixed.estimate) ? fixed.estimate : 0.0;
    return Degenerate(estimate, 0.0, rho);
  }
  return SequentialTest(fixed.estimate, fixed.se, total_n, settings);
}

}  // namespace lift::stats
