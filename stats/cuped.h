// CUPED: variance reduction with a pre-experiment covariate (Deng, Xu, Kohavi, Walker 2013,
// "Improving the Sensitivity of Online Controlled Experiments by Utilizing Pre-Experiment Data",
// WSDM), computed from sufficient statistics as GrowthBook's gbstats does.
//
// Means (CupedTest). θ = Cov(y, x)/Var(x) on the two arms pooled (sums added, one mean; gbstats
// compute_theta; the paper's θ of Sec. 3.1 estimated on all units). Per arm the adjusted mean and
// unit variance are
//   ȳ_adj = ȳ - θ x̄,        s_adj² = s_y² + θ² s_x² - 2θ s_xy      (paper, Sec. 3.1),
// so with the arm's own optimal θ, s_adj² = s_y²(1 - ρ²) (paper, Sec. 3.1: Var·(1 - ρ²)).
//   absolute  ȳ_adj,t - ȳ_adj,c, se² = s_adj,t²/n_t + s_adj,c²/n_c, Welch–Satterthwaite df on the
//             adjusted variances;
//   relative  (ȳ_adj,t - ȳ_adj,c)/|ȳ_c| with the UNADJUSTED control mean ȳ_c (gbstats). Delta
//             method over each arm's (ȳ, x̄) with gradients (1/ȳ_c, -θ/ȳ_c) for treatment and
//             (-ȳ_t/ȳ_c², θ/ȳ_c) for control; like gbstats' frequentist_variance_relative_cuped
//             it evaluates the control gradient at the unadjusted ȳ_t (the exact gradient adds
//             θ(x̄_c - x̄_t), zero in expectation under randomisation). Same df.
// variance_reduction = 1 - se²(CUPED absolute)/se²(plain absolute) (≈ ρ² for large samples).
// When the pooled Var(x) is 0 the plain Welch result is returned with kNoCovariateVariance.
//
// Ratio metrics (CupedRatioTest), following gbstats' RegressionAdjustedRatioStatistic. Per arm
// β = (m̄_post, d̄_post, m̄_pre, d̄_pre) with 4×4 sample covariance Λ; R = m̄_post/d̄_post and
// R_pre = m̄_pre/d̄_pre have delta-method gradients g_post, g_pre. Then
//   θ = Σ_arms g_postᵀΛ g_pre / Σ_arms g_preᵀΛ g_pre     (gbstats
//       compute_theta_regression_adjusted_ratio: unweighted sum over the two arms),
//   adjusted mean R - θ R_pre, unit variance (g_post - θ g_pre)ᵀ Λ (g_post - θ g_pre),
//   absolute as for means; relative (adj_t - adj_c)/|R_c| with the exact delta-method gradient
// (equals gbstats' frequentist_variance_relative_cuped_ratio when R_c > 0).
// Falls back to the plain ratio test (kNoCovariateVariance) when the pre-period ratio has no
// variance or a pre-period denominator sums to 0.
//
// Degenerate data as in comparison.h; inference is never computed on an empty or too-small arm.
// Pure functions; thread-safe.
#ifndef LIFT_STATS_CUPED_H_
#define LIFT_STATS_CUPED_H_

#include <vector>

#include "absl/status/statusor.h"
#include "stats/comparison.h"
#include "stats/estimate.h"
#include "stats/settings.h"
#include "stats/sufficient_statistics.h"

namespace lift::stats {

struct CupedResult {
  // Pooled regression coefficient of y on x; 0 when not adjusted.
  double theta = 0.0;
  // 1 - Var(CUPED absolute)/Var(plain absolute); 0 when not adjusted.
  double variance_reduction = 0.0;
  // False when the plain estimate is reported instead (the flags say why).
  bool adjusted = false;
  // Unadjusted control and treatment means (or ratios); control_mean is the relative lift's
  // denominator.
  double control_mean = 0.0;
  double treatment_mean = 0.0;
  // Adjusted mean and unit variance per arm (the plain ones when not adjusted).
  ArmSummary control;
  ArmSummary treatment;
  Estimate absolute;  // adjusted treatment - adjusted control
  Estimate relative;  // (adjusted treatment - adjusted control) / |control_mean|
  std::vector<ResultFlag> flags;
  // The plain comparison on the same data (WelchTest / RatioMetricTest): what CUPED is measured
  // against, so a caller that reports both need not compute it again.
  ComparisonResult unadjusted;
};

// Pooled θ = Cov(y, x)/Var(x) over control + treatment; 0 when n < 2 or Var(x) == 0.
double CupedTheta(const CovariateStats& control, const CovariateStats& treatment);

// CUPED on a mean metric (for 0/1 metrics pass Σy² = Σy; variances then use n - 1).
// InvalidArgument naming the field for invalid settings or malformed statistics (see
// ValidateCovariateStats), e.g. "control.sum_x2 (...) is inconsistent with n and control.sum_x".
absl::StatusOr<CupedResult> CupedTest(const CovariateStats& control,
                                      const CovariateStats& treatment,
                                      const AnalysisSettings& settings = {});

// CUPED on a ratio metric with the pre-period ratio as covariate. InvalidArgument naming the
// field for invalid settings or malformed statistics (see ValidateRatioCovariateStats).
absl::StatusOr<CupedResult> CupedRatioTest(const RatioCovariateStats& control,
                                           const RatioCovariateStats& treatment,
                                           const AnalysisSettings& settings = {});

}  // namespace lift::stats

#endif  // LIFT_STATS_CUPED_H_
