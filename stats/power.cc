#include "stats/power.h"

#include <algorithm>
#include <boost/math/policies/policy.hpp>
#include <boost/math/tools/toms748_solve.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "stats/distributions.h"
#include "stats/settings.h"
#include "stats/status_macros.h"

namespace lift::stats {
namespace {

// Roots are found to about 1e-14 relative: far inside the 1e-6 the reference tests ask.
constexpr int kRootBits = 46;
constexpr std::uintmax_t kMaxRootIterations = 200;
// Upper limits of the bracket searches (far beyond any real experiment).
constexpr double kMaxSampleSize = 1e15;
constexpr double kMaxEffectSize = 1e6;

// The root finder reports failures through its result, never by throwing.
using RootPolicy = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::ignore_error>>;

absl::Status ValidatePowerSettings(const PowerSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidateOpenUnitInterval(settings.alpha, "alpha"));
  if (!(settings.power > settings.alpha && settings.power < 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "power must be in (alpha, 1), got ", settings.power, " with alpha = ", settings.alpha));
  }
  if (settings.arms < 2) {
    return absl::InvalidArgumentError(absl::StrCat("arms must be >= 2, got ", settings.arms));
  }
  return absl::OkStatus();
}

absl::Status ValidateMeanMetric(double mean, double sd) {
  if (!std::isfinite(mean) || mean == 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("mean must be finite and non-zero (the MDE is relative to it), got ", mean));
  }
  if (!std::isfinite(sd) || sd <= 0.0) {
    return absl::InvalidArgumentError(absl::StrCat("sd must be finite and > 0, got ", sd));
  }
  return absl::OkStatus();
}

absl::Status ValidateRelativeMde(double relative_mde) {
  if (!std::isfinite(relative_mde) || relative_mde == 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("mde must be finite and non-zero, got ", relative_mde));
  }
  return absl::OkStatus();
}

absl::Status ValidateBaselineRate(double baseline_rate) {
  if (!(baseline_rate > 0.0 && baseline_rate < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("baseline rate must be in (0, 1), got ", baseline_rate));
  }
  return absl::OkStatus();
}

// Effect size of the unpooled two-proportion z-test (see power.h).
double ProportionEffectSize(double p1, double p2) {
  return std::fabs(p2 - p1) / std::sqrt((p1 * (1.0 - p1) + p2 * (1.0 - p2)) / 2.0);
}

// Root of the increasing function `f` on (low, high]: doubles `high` (up to `limit`) until
// f(high) >= 0, then brackets with TOMS 748 (Alefeld, Potra, Shi 1995). OutOfRange when f stays
// negative.
absl::StatusOr<double> SolveIncreasing(const std::function<double(double)>& increasing, double low,
                                       double high, double limit, const char* what) {
  // A power Boost cannot evaluate (NaN, e.g. df near 0) counts as "not reached".
  auto f = [&increasing](double x) {
    const double value = increasing(x);
    return std::isnan(value) ? -1.0 : value;
  };
  double f_low = f(low);
  if (f_low >= 0.0) return low;
  double f_high = f(high);
  while (f_high < 0.0) {
    if (high >= limit) {
      return absl::OutOfRangeError(
          absl::StrCat("no ", what, " up to ", limit, " reaches the requested power"));
    }
    low = high;
    f_low = f_high;
    high = std::min(limit, high * 2.0);
    f_high = f(high);
  }
  std::uintmax_t iterations = kMaxRootIterations;
  const std::pair<double, double> root = boost::math::tools::toms748_solve(
      f, low, high, f_low, f_high, boost::math::tools::eps_tolerance<double>(kRootBits), iterations,
      RootPolicy());
  return (root.first + root.second) / 2.0;
}

absl::StatusOr<SampleSize> SolveSampleSize(double effect_size, const PowerSettings& settings,
                                           bool t_test) {
  const double alpha = settings.alpha;
  const double target = settings.power;
  std::function<double(double)> excess;
  double low = 0.0;
  if (t_test) {
    excess = [=](double n) { return TTestPower(effect_size, n, alpha) - target; };
    low = 1.0 + 1e-6;  // the t-test needs df = 2n - 2 > 0
  } else {
    excess = [=](double n) { return NormalTestPower(effect_size, n, alpha) - target; };
    low = 1e-6;
  }
  LIFT_ASSIGN_OR_RETURN(const double n,
                        SolveIncreasing(excess, low, 16.0, kMaxSampleSize, "sample size"));
  SampleSize result;
  result.effect_size = effect_size;
  result.n_per_arm_exact = n;
  result.n_per_arm = static_cast<int64_t>(std::ceil(n));
  result.total_n = result.n_per_arm * settings.arms;
  return result;
}

}  // namespace

double TTestPower(double effect_size, double n_per_arm, double alpha) {
  const double df = 2.0 * n_per_arm - 2.0;
  const double noncentrality = effect_size * std::sqrt(n_per_arm / 2.0);
  const double critical = StudentTQuantile(df, 1.0 - alpha / 2.0);
  return NonCentralTUpperTail(df, noncentrality, critical) +
         NonCentralTCdf(df, noncentrality, -critical);
}

double NormalTestPower(double effect_size, double n_per_arm, double alpha) {
  const double shift = effect_size * std::sqrt(n_per_arm / 2.0);
  const double critical = NormalQuantile(1.0 - alpha / 2.0);
  return NormalUpperTail(critical - shift) + NormalCdf(-critical - shift);
}

absl::StatusOr<SampleSize> SampleSizeForMean(double mean, double sd, double relative_mde,
                                             const PowerSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidatePowerSettings(settings));
  LIFT_RETURN_IF_ERROR(ValidateMeanMetric(mean, sd));
  LIFT_RETURN_IF_ERROR(ValidateRelativeMde(relative_mde));
  const double effect_size = std::fabs(relative_mde * mean) / sd;
  return SolveSampleSize(effect_size, settings, /*t_test=*/true);
}

absl::StatusOr<SampleSize> SampleSizeForProportion(double baseline_rate, double relative_mde,
                                                   const PowerSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidatePowerSettings(settings));
  LIFT_RETURN_IF_ERROR(ValidateBaselineRate(baseline_rate));
  LIFT_RETURN_IF_ERROR(ValidateRelativeMde(relative_mde));
  const double treated_rate = baseline_rate * (1.0 + relative_mde);
  if (!(treated_rate > 0.0 && treated_rate < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("mde moves the rate outside (0, 1): baseline rate ", baseline_rate, " × (1 + ",
                     relative_mde, ") = ", treated_rate));
  }
  return SolveSampleSize(ProportionEffectSize(baseline_rate, treated_rate), settings,
                         /*t_test=*/false);
}

absl::StatusOr<double> MinimumDetectableEffectForMean(double mean, double sd, double n_per_arm,
                                                      const PowerSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidatePowerSettings(settings));
  LIFT_RETURN_IF_ERROR(ValidateMeanMetric(mean, sd));
  if (!std::isfinite(n_per_arm) || n_per_arm < 2.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("n per arm must be finite and >= 2, got ", n_per_arm));
  }
  const double alpha = settings.alpha;
  const double target = settings.power;
  LIFT_ASSIGN_OR_RETURN(
      const double effect_size,
      SolveIncreasing([=](double d) { return TTestPower(d, n_per_arm, alpha) - target; }, 0.0, 1.0,
                      kMaxEffectSize, "effect size"));
  return effect_size * sd / std::fabs(mean);
}

absl::StatusOr<double> MinimumDetectableEffectForProportion(double baseline_rate, double n_per_arm,
                                                            const PowerSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidatePowerSettings(settings));
  LIFT_RETURN_IF_ERROR(ValidateBaselineRate(baseline_rate));
  if (!std::isfinite(n_per_arm) || n_per_arm <= 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("n per arm must be finite and > 0, got ", n_per_arm));
  }
  const double alpha = settings.alpha;
  const double target = settings.power;
  auto excess = [=](double lift) {
    const double treated_rate = baseline_rate * (1.0 + lift);
    return NormalTestPower(ProportionEffectSize(baseline_rate, treated_rate), n_per_arm, alpha) -
           target;
  };
  // Largest lift that keeps the treated rate below 1.
  const double max_lift =
      (1.0 - baseline_rate) / baseline_rate * (1.0 - std::numeric_limits<double>::epsilon());
  if (excess(max_lift) < 0.0) {
    return absl::OutOfRangeError(absl::StrCat("n per arm = ", n_per_arm, " cannot reach power ",
                                              target, " for any rate below 1"));
  }
  std::uintmax_t iterations = kMaxRootIterations;
  const std::pair<double, double> root = boost::math::tools::toms748_solve(
      excess, 0.0, max_lift, excess(0.0), excess(max_lift),
      boost::math::tools::eps_tolerance<double>(kRootBits), iterations, RootPolicy());
  return (root.first + root.second) / 2.0;
}

absl::StatusOr<Duration> DaysNeeded(int64_t total_n, double daily_units, int64_t units_so_far) {
  if (!std::isfinite(daily_units) || daily_units <= 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("daily units must be finite and > 0, got ", daily_units));
  }
  if (total_n < 0) {
    return absl::InvalidArgumentError(absl::StrCat("total n must be >= 0, got ", total_n));
  }
  if (units_so_far < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("units so far must be >= 0, got ", units_so_far));
  }
  Duration duration;
  const double remaining = static_cast<double>(std::max<int64_t>(0, total_n - units_so_far));
  duration.days_exact = remaining / daily_units;
  duration.days = static_cast<int64_t>(std::ceil(duration.days_exact));
  return duration;
}

}  // namespace lift::stats
