// One A/B(/n) analysis of one metric: the composition of lift_stats' estimators that a readout,
// the weekly review and `liftctl analyze ab` all run.
//
// Input: the metric kind, per-variant additive sufficient statistics (with an optional pre-period
// covariate for CUPED), which variant is control, the configured traffic weights and the settings.
// Output: sample ratio mismatch over all variants, and for every treatment variant against control
//   plain       absolute and relative effect: WelchTest (mean), ProportionTest (proportion),
//               RatioMetricTest (ratio);
//   cuped       when a covariate is present: CupedTest (mean and proportion, Σy² = Σy for 0/1
//               values) or CupedRatioTest (ratio), with θ and the variance reduction;
//   sequential  when enabled: always-valid confidence sequences on both scales (sequential.h),
//               total n over the pair of arms;
//   bayesian    chance to win and risks on the relative lift (bayesian.h), flat prior by default;
//   guardrail   when a margin is configured: non-inferiority on the relative lift (guardrail.h),
//               at the one-sided level alpha, fixed horizon;
//   adjusted_p_value  the correction (none / Holm / BH) across the treatment variants.
//
// Which estimate feeds the downstream results. The "primary" estimate is the CUPED one when a
// covariate is present and CUPED adjusted (CupedResult::adjusted), else the plain one. It feeds
// sequential, Bayesian and guardrail results and the p-value entered into the correction family:
// the p-value of the primary ABSOLUTE effect (the test that is defined even with a zero baseline;
// for means it is exactly Welch's t-test), replaced by its always-valid sequential p-value when
// sequential is enabled (so corrected p-values stay valid under peeking). Every treatment variant
// is in the family, including those without inference (p = 1), so m is the number of treatments.
//
// Notes on conventions.
//   * Proportions with a covariate: the plain result is the z-test (unpooled p(1-p), normal); CUPED
//     runs on the same 0/1 values as a mean metric (n - 1 variances, Welch–Satterthwaite t), as
//     GrowthBook's regression adjustment does, and its variance reduction is measured against
//     that Welch variance, so both sides use the same variance convention.
//   * The metric direction is shared: the guardrail's harmful side and the Bayesian "win" both
//     follow `direction`.
//   * Flags of a variant are the union (without repeats, in order of discovery) of the plain,
//     CUPED, sequential, Bayesian and guardrail flags; SRM is reported once, for the experiment.
//
// Errors: InvalidArgument naming the field, e.g. "variants[2].sum_sq ...", "control_index must be
// in [0, 3), got 3", "sequential_tuning must be finite and > 0, got 0". Degenerate data
// (empty arm, zero variance, zero baseline, too few units) is a flagged result, never an error.
// Pure function over values; thread-safe.
#ifndef LIFT_STATS_AB_ANALYSIS_H_
#define LIFT_STATS_AB_ANALYSIS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "stats/bayesian.h"
#include "stats/estimate.h"
#include "stats/guardrail.h"
#include "stats/multiple_testing.h"
#include "stats/sequential.h"
#include "stats/settings.h"
#include "stats/srm.h"
#include "stats/sufficient_statistics.h"

namespace lift::stats {

enum class MetricKind {
  kMean,        // per-unit values, Welch t
  kProportion,  // per-unit 0/1 values, two-proportion z
  kRatio,       // Σnum / Σden over units, delta method
};

// "mean" / "proportion" / "ratio"; InvalidArgument "kind must be mean, proportion or ratio, got
// ..." otherwise.
absl::StatusOr<MetricKind> ParseMetricKind(std::string_view text);
std::string_view MetricKindName(MetricKind kind);

// One variant's statistics. Which members are read depends on the input's kind and has_covariate:
//   kMean / kProportion   values.y, plus values.sum_x, sum_x_sq, sum_xy with a covariate;
//   kRatio                ratio.post, plus ratio.pre and the cross products with a covariate.
// For proportions values.y.sum counts successes; values.y.sum_sq may be 0 or equal to sum.
struct VariantStats {
  std::string name;  // for results and messages; may be empty
  CovariateStats values;
  RatioCovariateStats ratio;

  static VariantStats Mean(std::string name, const MeanStats& stats);
  static VariantStats WithCovariate(std::string name, const CovariateStats& stats);
  static VariantStats Ratio(std::string name, const RatioStats& stats);
  static VariantStats RatioWithCovariate(std::string name, const RatioCovariateStats& stats);
};

struct AbAnalysisInput {
  MetricKind kind = MetricKind::kMean;
  bool has_covariate = false;          // run CUPED on the pre-period statistics
  std::vector<VariantStats> variants;  // at least two, in display order
  int control_index = 0;               // index of control in `variants`
  std::vector<double> weights;         // configured traffic weights for SRM; empty = equal
};

struct AbAnalysisSettings {
  // alpha (two-sided level of every interval; one-sided level of the guardrail test),
  // min_n_per_arm and srm_threshold.
  AnalysisSettings analysis;
  // Which way is good for this metric: guardrail harm and Bayesian chance to win follow it.
  Direction direction = Direction::kIncreaseIsGood;
  bool sequential = false;  // also report always-valid results (and correct their p-values)
  double sequential_tuning = kDefaultSequentialTuning;  // N*, total n over both arms, > 0
  std::optional<double> guardrail_margin;  // relative non-inferiority margin >= 0; none = no test
  Correction correction = Correction::kNone;  // across the treatment variants
  GaussianPrior prior;                        // flat (improper) by default
};

// CUPED part of a variant's result (present when the input has a covariate).
struct CupedSummary {
  double theta = 0.0;               // pooled over the pair compared; 0 when not adjusted
  double variance_reduction = 0.0;  // 1 - Var(CUPED absolute)/Var(unadjusted absolute)
  bool adjusted = false;            // false: fell back to the plain estimate (flags say why)
  Estimate absolute;                // adjusted treatment - adjusted control
  Estimate relative;                // divided by the unadjusted |control mean|
};

// Always-valid versions of the primary absolute and relative estimates.
struct SequentialSummary {
  double tuning = kDefaultSequentialTuning;
  int64_t total_n = 0;  // units of control + this treatment
  SequentialResult absolute;
  SequentialResult relative;
};

// One treatment variant against control.
struct VariantResult {
  std::string name;
  int variant_index = 0;  // index into AbAnalysisInput::variants
  int64_t n = 0;          // units of this variant
  double mean = 0.0;      // unadjusted mean, rate or ratio
  int64_t control_n = 0;
  double control_mean = 0.0;  // unadjusted; the relative lift's denominator
  Estimate absolute;          // plain (unadjusted) treatment - control
  Estimate relative;          // plain (treatment - control) / |control|
  std::optional<CupedSummary> cuped;
  bool primary_is_cuped = false;  // which estimate fed the results below (see file comment)
  Estimate primary_absolute;      // copies of the estimates that fed them
  Estimate primary_relative;
  double p_value = 1.0;  // entered into the correction family (see file comment)
  std::optional<SequentialSummary> sequential;
  BayesianResult bayesian;
  std::optional<GuardrailResult> guardrail;
  double adjusted_p_value = 1.0;
  std::vector<ResultFlag> flags;
};

struct AbAnalysisResult {
  MetricKind kind = MetricKind::kMean;
  int control_index = 0;
  std::string control_name;
  int64_t control_n = 0;
  double control_mean = 0.0;
  std::vector<double> weights;  // as used by SRM (equal when none were given)
  SrmResult srm;
  std::vector<VariantResult> results;  // treatment variants, in input order (control skipped)
};

// Runs the analysis described in the file comment. InvalidArgument naming the field when the
// input or settings are malformed: fewer than two variants, control_index out of range, weights of
// the wrong length or not finite and > 0, statistics invalid for the kind (ValidateMeanStats,
// ValidateProportionStats, ValidateCovariateStats, ValidateRatioStats or
// ValidateRatioCovariateStats with the prefix "variants[i]."), invalid settings.
absl::StatusOr<AbAnalysisResult> AnalyzeAb(const AbAnalysisInput& input,
                                           const AbAnalysisSettings& settings = {});

}  // namespace lift::stats

#endif  // LIFT_STATS_AB_ANALYSIS_H_
