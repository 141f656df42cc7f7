#include "stats/cuped.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

#include "stats/ratio_metric.h"
#include "stats/status_macros.h"
#include "stats/welch_test.h"

namespace lift::stats {
namespace {

bool NoInferencePossible(const std::vector<ResultFlag>& flags) {
  return HasFlag(flags, ResultFlag::kEmptyArm) || HasFlag(flags, ResultFlag::kSampleTooSmall) ||
         HasFlag(flags, ResultFlag::kZeroDenominator);
}

// The plain (unadjusted) comparison reported as the CUPED result.
CupedResult FallBack(const ComparisonResult& plain) {
  CupedResult result;
  result.control_mean = plain.control.mean;
  result.treatment_mean = plain.treatment.mean;
  result.control = plain.control;
  result.treatment = plain.treatment;
  result.absolute = plain.absolute;
  result.relative = plain.relative;
  result.flags = plain.flags;
  result.unadjusted = plain;
  return result;
}

CupedResult FallBackWithoutCovariate(const ComparisonResult& plain) {
  CupedResult result = FallBack(plain);
  result.flags.push_back(ResultFlag::kNoCovariateVariance);
  return result;
}

// Fills absolute, variance_reduction, and the df and critical value shared with the relative
// estimate, from the adjusted arms; returns false (and flags kZeroVariance) when the adjusted
// variance is 0.
bool FillAbsolute(const ComparisonResult& plain, const AnalysisSettings& settings,
                  CupedResult& result, double& df, double& critical) {
  const double difference = result.treatment.mean - result.control.mean;
  const double variance = result.treatment.variance / static_cast<double>(result.treatment.n) +
                          result.control.variance / static_cast<double>(result.control.n);
  if (!(variance > 0.0)) {
    result.flags.push_back(ResultFlag::kZeroVariance);
    result.absolute = InvalidEstimate(difference);
    return false;
  }
  df = WelchSatterthwaiteDf(result.control, result.treatment);
  critical = TwoSidedCriticalValue(df, settings.alpha);
  result.absolute = TwoSidedEstimateWithCritical(difference, std::sqrt(variance), df, critical);
  if (plain.absolute.valid && plain.absolute.se > 0.0) {
    result.variance_reduction = 1.0 - variance / (plain.absolute.se * plain.absolute.se);
  }
  return true;
}

// (adjusted treatment - adjusted control) / |unadjusted control mean|; 0 without a baseline.
double AdjustedLift(const CupedResult& result) {
  if (result.control_mean == 0.0) return 0.0;
  const double lift =
      (result.treatment.mean - result.control.mean) / std::fabs(result.control_mean);
  return std::isfinite(lift) ? lift : 0.0;
}

// Sets the relative estimate from its delta-method variance, or flags why it has none.
void FillRelative(double variance, double df, double critical, CupedResult& result) {
  const double difference = result.treatment.mean - result.control.mean;
  const double lift = difference / std::fabs(result.control_mean);
  if (!std::isfinite(lift) || !std::isfinite(variance)) {
    if (!HasFlag(result.flags, ResultFlag::kZeroBaseline)) {
      result.flags.push_back(ResultFlag::kZeroBaseline);
    }
    result.relative = InvalidEstimate(0.0);
    return;
  }
  if (!(variance > 0.0)) {
    if (!HasFlag(result.flags, ResultFlag::kZeroVariance)) {
      result.flags.push_back(ResultFlag::kZeroVariance);
    }
    result.relative = InvalidEstimate(lift);
    return;
  }
  result.relative = TwoSidedEstimateWithCritical(lift, std::sqrt(variance), df, critical);
}

// Sample covariance with the n - 1 denominator; 0 when n < 2.
double SampleCovariance(int64_t n, double sum_a, double sum_b, double sum_ab) {
  if (n < 2) return 0.0;
  const double count = static_cast<double>(n);
  return (sum_ab - sum_a * sum_b / count) / (count - 1.0);
}

// One ratio arm's moments: β = (m̄_post, d̄_post, m̄_pre, d̄_pre) and their unit covariance Λ.
struct RatioMoments {
  int64_t n = 0;
  Eigen::Vector4d beta;
  Eigen::Matrix4d lambda;

  explicit RatioMoments(const RatioCovariateStats& s) : n(s.post.n) {
    const double count = static_cast<double>(n);
    beta << s.post.sum_num / count, s.post.sum_den / count, s.pre.sum_num / count,
        s.pre.sum_den / count;
    const double sums[4] = {s.post.sum_num, s.post.sum_den, s.pre.sum_num, s.pre.sum_den};
    const double products[4][4] = {
        {s.post.sum_num_sq, s.post.sum_num_den, s.sum_num_post_num_pre, s.sum_num_post_den_pre},
        {s.post.sum_num_den, s.post.sum_den_sq, s.sum_den_post_num_pre, s.sum_den_post_den_pre},
        {s.sum_num_post_num_pre, s.sum_den_post_num_pre, s.pre.sum_num_sq, s.pre.sum_num_den},
        {s.sum_num_post_den_pre, s.sum_den_post_den_pre, s.pre.sum_num_den, s.pre.sum_den_sq}};
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 4; ++j) {
        lambda(i, j) = SampleCovariance(n, sums[i], sums[j], products[i][j]);
      }
    }
  }

  double Ratio() const { return beta(0) / beta(1); }
  double PreRatio() const { return beta(2) / beta(3); }
  // Gradient of R = m̄_post/d̄_post and of R_pre = m̄_pre/d̄_pre with respect to β.
  Eigen::Vector4d PostGradient() const {
    return Eigen::Vector4d(1.0 / beta(1), -beta(0) / (beta(1) * beta(1)), 0.0, 0.0);
  }
  Eigen::Vector4d PreGradient() const {
    return Eigen::Vector4d(0.0, 0.0, 1.0 / beta(3), -beta(2) / (beta(3) * beta(3)));
  }
  double Quadratic(const Eigen::Vector4d& a, const Eigen::Vector4d& b) const {
    return a.dot(lambda * b);
  }
};

}  // namespace

double CupedTheta(const CovariateStats& control, const CovariateStats& treatment) {
  const CovariateStats pooled = control + treatment;
  const double variance_x = pooled.VarianceX();
  if (!(variance_x > 0.0)) return 0.0;
  return pooled.Covariance() / variance_x;
}

absl::StatusOr<CupedResult> CupedTest(const CovariateStats& control,
                                      const CovariateStats& treatment,
                                      const AnalysisSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidateAnalysisSettings(settings));
  LIFT_RETURN_IF_ERROR(ValidateCovariateStats(control, "control."));
  LIFT_RETURN_IF_ERROR(ValidateCovariateStats(treatment, "treatment."));
  LIFT_ASSIGN_OR_RETURN(const ComparisonResult plain, WelchTest(control.y, treatment.y, settings));
  if (NoInferencePossible(plain.flags)) return FallBack(plain);
  if (!((control + treatment).VarianceX() > 0.0)) return FallBackWithoutCovariate(plain);

  const double theta = CupedTheta(control, treatment);
  CupedResult result;
  result.theta = theta;
  result.adjusted = true;
  result.unadjusted = plain;
  result.control_mean = control.y.Mean();
  result.treatment_mean = treatment.y.Mean();
  if (HasFlag(plain.flags, ResultFlag::kZeroBaseline)) {
    result.flags.push_back(ResultFlag::kZeroBaseline);
  }
  auto adjust = [theta](const CovariateStats& arm) {
    const double variance =
        arm.y.Variance() + theta * theta * arm.VarianceX() - 2.0 * theta * arm.Covariance();
    return ArmSummary{arm.y.n, arm.y.Mean() - theta * arm.MeanX(), std::max(0.0, variance)};
  };
  result.control = adjust(control);
  result.treatment = adjust(treatment);

  double df = 0.0;
  double critical = 0.0;
  if (!FillAbsolute(plain, settings, result, df, critical)) {
    result.relative = InvalidEstimate(AdjustedLift(result));
    return result;
  }
  if (result.control_mean == 0.0) {
    result.relative = InvalidEstimate(0.0);
    return result;
  }
  // gbstats frequentist_variance_relative_cuped: gradients (1/ȳ_c, -θ/ȳ_c) for treatment and
  // (-ȳ_t/ȳ_c², θ/ȳ_c) for control over each arm's (ȳ, x̄).
  const double c = result.control_mean;
  const double c2 = c * c;
  const double t = result.treatment_mean;
  const double variance_treatment =
      result.treatment.variance / (static_cast<double>(treatment.y.n) * c2);
  const double variance_control =
      (control.y.Variance() * t * t / c2 - 2.0 * theta * control.Covariance() * t / c +
       theta * theta * control.VarianceX()) /
      (static_cast<double>(control.y.n) * c2);
  FillRelative(variance_treatment + variance_control, df, critical, result);
  return result;
}

absl::StatusOr<CupedResult> CupedRatioTest(const RatioCovariateStats& control,
                                           const RatioCovariateStats& treatment,
                                           const AnalysisSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidateAnalysisSettings(settings));
  LIFT_RETURN_IF_ERROR(ValidateRatioCovariateStats(control, "control."));
  LIFT_RETURN_IF_ERROR(ValidateRatioCovariateStats(treatment, "treatment."));
  LIFT_ASSIGN_OR_RETURN(const ComparisonResult plain,
                        RatioMetricTest(control.post, treatment.post, settings));
  if (NoInferencePossible(plain.flags)) return FallBack(plain);
  if (control.pre.sum_den == 0.0 || treatment.pre.sum_den == 0.0) {
    return FallBackWithoutCovariate(plain);
  }

  const RatioMoments moments_c(control);
  const RatioMoments moments_t(treatment);
  const double pre_variance =
      moments_c.Quadratic(moments_c.PreGradient(), moments_c.PreGradient()) +
      moments_t.Quadratic(moments_t.PreGradient(), moments_t.PreGradient());
  if (!(pre_variance > 0.0)) return FallBackWithoutCovariate(plain);
  const double covariance = moments_c.Quadratic(moments_c.PostGradient(), moments_c.PreGradient()) +
                            moments_t.Quadratic(moments_t.PostGradient(), moments_t.PreGradient());
  const double theta = covariance / pre_variance;

  CupedResult result;
  result.theta = theta;
  result.adjusted = true;
  result.unadjusted = plain;
  result.control_mean = moments_c.Ratio();
  result.treatment_mean = moments_t.Ratio();
  if (HasFlag(plain.flags, ResultFlag::kZeroBaseline)) {
    result.flags.push_back(ResultFlag::kZeroBaseline);
  }
  const Eigen::Vector4d gradient_c = moments_c.PostGradient() - theta * moments_c.PreGradient();
  const Eigen::Vector4d gradient_t = moments_t.PostGradient() - theta * moments_t.PreGradient();
  result.control = ArmSummary{moments_c.n, moments_c.Ratio() - theta * moments_c.PreRatio(),
                              std::max(0.0, moments_c.Quadratic(gradient_c, gradient_c))};
  result.treatment = ArmSummary{moments_t.n, moments_t.Ratio() - theta * moments_t.PreRatio(),
                                std::max(0.0, moments_t.Quadratic(gradient_t, gradient_t))};

  double df = 0.0;
  double critical = 0.0;
  const double difference = result.treatment.mean - result.control.mean;
  if (!FillAbsolute(plain, settings, result, df, critical)) {
    result.relative = InvalidEstimate(AdjustedLift(result));
    return result;
  }
  if (result.control_mean == 0.0) {
    result.relative = InvalidEstimate(0.0);
    return result;
  }
  // Exact delta method for g = (adj_t - adj_c)/|R_c|: with s = sign(R_c),
  // ∂g/∂β_c = s(-∇adj_c R_c - (adj_t - adj_c) ∇R_c)/R_c² and ∂g/∂β_t = s ∇adj_t / R_c.
  const double r_c = result.control_mean;
  const Eigen::Vector4d relative_gradient_c =
      (-gradient_c * r_c - difference * moments_c.PostGradient()) / (r_c * r_c);
  const Eigen::Vector4d relative_gradient_t = gradient_t / r_c;
  const double variance = moments_c.Quadratic(relative_gradient_c, relative_gradient_c) /
                              static_cast<double>(moments_c.n) +
                          moments_t.Quadratic(relative_gradient_t, relative_gradient_t) /
                              static_cast<double>(moments_t.n);
  FillRelative(variance, df, critical, result);
  return result;
}

}  // namespace lift::stats
