#include "stats/bayesian.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lift::stats {
namespace {

// Evaluate in double precision (Boost's default promotes to long double, ~3x slower here, for
// accuracy the result cannot show).
using DoublePolicy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
using Normal = boost::math::normal_distribution<double, DoublePolicy>;

absl::Status ValidateSettings(const BayesianSettings& settings) {
  if (!(settings.alpha > 0.0 && settings.alpha < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("alpha must be in (0, 1), got ", settings.alpha));
  }
  if (settings.prior.proper) {
    if (!std::isfinite(settings.prior.mean)) {
      return absl::InvalidArgumentError(
          absl::StrCat("prior.mean must be finite, got ", settings.prior.mean));
    }
    if (!(std::isfinite(settings.prior.sd) && settings.prior.sd > 0.0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "prior.sd must be finite and > 0 for a proper prior, got ", settings.prior.sd));
    }
  }
  return absl::OkStatus();
}

BayesianResult Uninformative(double estimate) {
  BayesianResult result;
  result.posterior_mean = estimate;
  result.posterior_sd = 0.0;
  result.ci_low = estimate;
  result.ci_high = estimate;
  result.chance_to_win = 0.5;
  result.risk_control = 0.0;
  result.risk_treatment = 0.0;
  result.valid = false;
  return result;
}

}  // namespace

absl::StatusOr<BayesianResult> BayesianEffectTest(double estimate, double standard_error,
                                                  const BayesianSettings& settings) {
  if (absl::Status status = ValidateSettings(settings); !status.ok()) return status;
  if (!std::isfinite(estimate)) {
    return absl::InvalidArgumentError(absl::StrCat("estimate must be finite, got ", estimate));
  }
  if (!(std::isfinite(standard_error) && standard_error >= 0.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("standard_error must be finite and >= 0, got ", standard_error));
  }
  if (standard_error == 0.0) {
    BayesianResult result = Uninformative(estimate);
    result.flags.push_back(ResultFlag::kZeroVariance);
    return result;
  }

  // Conjugate normal update (gbstats EffectBayesianABTest.compute_result).
  const double data_variance = standard_error * standard_error;
  double mean = estimate;
  double variance = data_variance;
  if (settings.prior.proper) {
    const double prior_variance = settings.prior.sd * settings.prior.sd;
    const double precision = 1.0 / data_variance + 1.0 / prior_variance;
    mean = (estimate / data_variance + settings.prior.mean / prior_variance) / precision;
    variance = 1.0 / precision;
  }
  const double sd = std::sqrt(variance);

  const Normal posterior(mean, sd);
  const Normal standard(0.0, 1.0);
  BayesianResult result;
  result.valid = true;
  result.posterior_mean = mean;
  result.posterior_sd = sd;
  // Equal-tailed interval mu -/+ z_{1 - alpha/2} sigma.
  const double critical =
      boost::math::quantile(boost::math::complement(standard, settings.alpha / 2.0));
  result.ci_low = mean - critical * sd;
  result.ci_high = mean + critical * sd;

  // Positive and negative parts of delta ~ N(mean, sd^2).
  const double z = mean / sd;
  const double density = boost::math::pdf(standard, z);
  const double prob_positive = boost::math::cdf(boost::math::complement(posterior, 0.0));
  const double prob_negative = boost::math::cdf(posterior, 0.0);
  // E[max(delta, 0)] = mu Phi(z) + sigma phi(z); E[max(-delta, 0)] = -mu Phi(-z) + sigma phi(z).
  // Both are >= 0 mathematically; clamp away rounding in the far tails.
  const double expected_positive = std::max(0.0, mean * prob_positive + sd * density);
  const double expected_negative = std::max(0.0, -mean * prob_negative + sd * density);

  if (settings.decrease_is_good) {
    result.chance_to_win = prob_negative;
    result.risk_control = expected_negative;
    result.risk_treatment = expected_positive;
  } else {
    result.chance_to_win = prob_positive;
    result.risk_control = expected_positive;
    result.risk_treatment = expected_negative;
  }
  return result;
}

absl::StatusOr<BayesianResult> BayesianFromEstimate(const Estimate& relative,
                                                    const BayesianSettings& settings) {
  if (!relative.valid) {
    if (absl::Status status = ValidateSettings(settings); !status.ok()) return status;
    return Uninformative(std::isfinite(relative.estimate) ? relative.estimate : 0.0);
  }
  return BayesianEffectTest(relative.estimate, relative.se, settings);
}

}  // namespace lift::stats
