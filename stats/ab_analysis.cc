#include "stats/ab_analysis.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "stats/comparison.h"
#include "stats/cuped.h"
#include "stats/proportion_test.h"
#include "stats/ratio_metric.h"
#include "stats/status_macros.h"
#include "stats/welch_test.h"

namespace lift::stats {
namespace {

void AddFlags(std::vector<ResultFlag>& into, const std::vector<ResultFlag>& flags) {
  for (ResultFlag flag : flags) {
    if (!HasFlag(into, flag)) into.push_back(flag);
  }
}

// 0/1 values as a mean metric's statistics: Σy² = Σy (the proportion format allows Σy² = 0).
CovariateStats AsZeroOneCovariate(const CovariateStats& stats) {
  CovariateStats copy = stats;
  copy.y.sum_sq = copy.y.sum;
  return copy;
}

absl::Status ValidateSettings(const AbAnalysisSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidateAnalysisSettings(settings.analysis));
  if (!std::isfinite(settings.sequential_tuning) || settings.sequential_tuning <= 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sequential_tuning must be finite and > 0, got ", settings.sequential_tuning));
  }
  if (settings.guardrail_margin.has_value() &&
      (!std::isfinite(*settings.guardrail_margin) || *settings.guardrail_margin < 0.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("guardrail_margin must be finite and >= 0, got ", *settings.guardrail_margin));
  }
  if (settings.prior.proper) {
    if (!std::isfinite(settings.prior.mean)) {
      return absl::InvalidArgumentError(
          absl::StrCat("prior.mean must be finite, got ", settings.prior.mean));
    }
    if (!std::isfinite(settings.prior.sd) || settings.prior.sd <= 0.0) {
      return absl::InvalidArgumentError(
          absl::StrCat("prior.sd must be finite and > 0, got ", settings.prior.sd));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateVariant(const VariantStats& variant, MetricKind kind, bool has_covariate,
                             size_t index) {
  const std::string prefix = absl::StrCat("variants[", index, "].");
  switch (kind) {
    case MetricKind::kMean:
      return has_covariate ? ValidateCovariateStats(variant.values, prefix.c_str())
                           : ValidateMeanStats(variant.values.y, prefix.c_str());
    case MetricKind::kProportion:
      LIFT_RETURN_IF_ERROR(ValidateProportionStats(variant.values.y, prefix.c_str()));
      return has_covariate
                 ? ValidateCovariateStats(AsZeroOneCovariate(variant.values), prefix.c_str())
                 : absl::OkStatus();
    case MetricKind::kRatio:
      return has_covariate ? ValidateRatioCovariateStats(variant.ratio, prefix.c_str())
                           : ValidateRatioStats(variant.ratio.post, prefix.c_str());
  }
  return absl::InvalidArgumentError("kind is not a known metric kind");
}

int64_t UnitCount(const VariantStats& variant, MetricKind kind) {
  return kind == MetricKind::kRatio ? variant.ratio.post.n : variant.values.y.n;
}

// The plain comparison and, with a covariate, the CUPED one.
struct PairComparison {
  ComparisonResult plain;
  std::optional<CupedResult> cuped;
};

absl::StatusOr<PairComparison> ComparePair(const AbAnalysisInput& input,
                                           const VariantStats& control,
                                           const VariantStats& treatment,
                                           const AnalysisSettings& settings) {
  PairComparison pair;
  switch (input.kind) {
    case MetricKind::kMean: {
      if (input.has_covariate) {
        LIFT_ASSIGN_OR_RETURN(pair.cuped, CupedTest(control.values, treatment.values, settings));
        pair.plain = pair.cuped->unadjusted;  // WelchTest, computed once inside CupedTest
      } else {
        LIFT_ASSIGN_OR_RETURN(pair.plain,
                              WelchTest(control.values.y, treatment.values.y, settings));
      }
      return pair;
    }
    case MetricKind::kProportion: {
      LIFT_ASSIGN_OR_RETURN(pair.plain,
                            ProportionTest(control.values.y, treatment.values.y, settings));
      if (input.has_covariate) {
        LIFT_ASSIGN_OR_RETURN(pair.cuped,
                              CupedTest(AsZeroOneCovariate(control.values),
                                        AsZeroOneCovariate(treatment.values), settings));
      }
      return pair;
    }
    case MetricKind::kRatio: {
      if (input.has_covariate) {
        LIFT_ASSIGN_OR_RETURN(pair.cuped, CupedRatioTest(control.ratio, treatment.ratio, settings));
        pair.plain = pair.cuped->unadjusted;  // RatioMetricTest, computed once inside
      } else {
        LIFT_ASSIGN_OR_RETURN(pair.plain,
                              RatioMetricTest(control.ratio.post, treatment.ratio.post, settings));
      }
      return pair;
    }
  }
  return absl::InvalidArgumentError("kind is not a known metric kind");
}

}  // namespace

absl::StatusOr<MetricKind> ParseMetricKind(std::string_view text) {
  if (text == "mean") return MetricKind::kMean;
  if (text == "proportion") return MetricKind::kProportion;
  if (text == "ratio") return MetricKind::kRatio;
  return absl::InvalidArgumentError(
      absl::StrCat("kind must be mean, proportion or ratio, got \"", std::string(text), "\""));
}

std::string_view MetricKindName(MetricKind kind) {
  switch (kind) {
    case MetricKind::kMean:
      return "mean";
    case MetricKind::kProportion:
      return "proportion";
    case MetricKind::kRatio:
      return "ratio";
  }
  return "unknown";
}

VariantStats VariantStats::Mean(std::string name, const MeanStats& stats) {
  VariantStats variant;
  variant.name = std::move(name);
  variant.values.y = stats;
  return variant;
}

VariantStats VariantStats::WithCovariate(std::string name, const CovariateStats& stats) {
  VariantStats variant;
  variant.name = std::move(name);
  variant.values = stats;
  return variant;
}

VariantStats VariantStats::Ratio(std::string name, const RatioStats& stats) {
  VariantStats variant;
  variant.name = std::move(name);
  variant.ratio.post = stats;
  return variant;
}

VariantStats VariantStats::RatioWithCovariate(std::string name, const RatioCovariateStats& stats) {
  VariantStats variant;
  variant.name = std::move(name);
  variant.ratio = stats;
  return variant;
}

absl::StatusOr<AbAnalysisResult> AnalyzeAb(const AbAnalysisInput& input,
                                           const AbAnalysisSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidateSettings(settings));
  const size_t arms = input.variants.size();
  if (arms < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("variants must hold at least 2 arms (control and a treatment), got ", arms));
  }
  if (input.control_index < 0 || static_cast<size_t>(input.control_index) >= arms) {
    return absl::InvalidArgumentError(
        absl::StrCat("control_index must be in [0, ", arms, "), got ", input.control_index));
  }
  if (!input.weights.empty() && input.weights.size() != arms) {
    return absl::InvalidArgumentError(
        absl::StrCat("weights must be empty or hold one entry per "
                     "variant (",
                     arms, "), got ", input.weights.size()));
  }
  for (size_t i = 0; i < arms; ++i) {
    LIFT_RETURN_IF_ERROR(ValidateVariant(input.variants[i], input.kind, input.has_covariate, i));
  }

  AbAnalysisResult result;
  result.kind = input.kind;
  result.control_index = input.control_index;
  const VariantStats& control = input.variants[input.control_index];
  result.control_name = control.name;
  result.control_n = UnitCount(control, input.kind);

  std::vector<int64_t> counts(arms);
  for (size_t i = 0; i < arms; ++i) counts[i] = UnitCount(input.variants[i], input.kind);
  result.weights = input.weights.empty() ? std::vector<double>(arms, 1.0) : input.weights;
  LIFT_ASSIGN_OR_RETURN(
      result.srm, SampleRatioMismatch(counts, result.weights, settings.analysis.srm_threshold));

  SequentialSettings sequential_settings;
  sequential_settings.alpha = settings.analysis.alpha;
  sequential_settings.tuning = settings.sequential_tuning;
  BayesianSettings bayesian_settings;
  bayesian_settings.alpha = settings.analysis.alpha;
  bayesian_settings.prior = settings.prior;
  bayesian_settings.decrease_is_good = settings.direction == Direction::kDecreaseIsGood;
  GuardrailSettings guardrail_settings;
  guardrail_settings.margin = settings.guardrail_margin.value_or(0.0);
  guardrail_settings.direction = settings.direction;
  guardrail_settings.alpha = settings.analysis.alpha;

  std::vector<double> family;
  result.results.reserve(arms - 1);
  for (size_t i = 0; i < arms; ++i) {
    if (static_cast<int>(i) == input.control_index) continue;
    const VariantStats& treatment = input.variants[i];
    LIFT_ASSIGN_OR_RETURN(PairComparison pair,
                          ComparePair(input, control, treatment, settings.analysis));

    VariantResult variant;
    variant.name = treatment.name;
    variant.variant_index = static_cast<int>(i);
    variant.n = pair.plain.treatment.n;
    variant.mean = pair.plain.treatment.mean;
    variant.control_n = pair.plain.control.n;
    variant.control_mean = pair.plain.control.mean;
    variant.absolute = pair.plain.absolute;
    variant.relative = pair.plain.relative;
    AddFlags(variant.flags, pair.plain.flags);
    variant.primary_absolute = pair.plain.absolute;
    variant.primary_relative = pair.plain.relative;
    if (pair.cuped.has_value()) {
      const CupedResult& cuped = *pair.cuped;
      variant.cuped = CupedSummary{cuped.theta, cuped.variance_reduction, cuped.adjusted,
                                   cuped.absolute, cuped.relative};
      AddFlags(variant.flags, cuped.flags);
      if (cuped.adjusted) {
        variant.primary_is_cuped = true;
        variant.primary_absolute = cuped.absolute;
        variant.primary_relative = cuped.relative;
      }
    }
    variant.p_value = variant.primary_absolute.p_value;

    if (settings.sequential) {
      SequentialSummary sequential;
      sequential.tuning = settings.sequential_tuning;
      sequential.total_n = variant.n + variant.control_n;
      LIFT_ASSIGN_OR_RETURN(sequential.absolute,
                            SequentialFromFixedHorizon(variant.primary_absolute, sequential.total_n,
                                                       sequential_settings));
      LIFT_ASSIGN_OR_RETURN(sequential.relative,
                            SequentialFromFixedHorizon(variant.primary_relative, sequential.total_n,
                                                       sequential_settings));
      AddFlags(variant.flags, sequential.absolute.flags);
      AddFlags(variant.flags, sequential.relative.flags);
      variant.p_value = sequential.absolute.effect.p_value;
      variant.sequential = std::move(sequential);
    }

    LIFT_ASSIGN_OR_RETURN(variant.bayesian,
                          BayesianFromEstimate(variant.primary_relative, bayesian_settings));
    AddFlags(variant.flags, variant.bayesian.flags);

    if (settings.guardrail_margin.has_value()) {
      LIFT_ASSIGN_OR_RETURN(
          variant.guardrail,
          EvaluateGuardrail(variant.primary_relative, guardrail_settings, variant.flags));
    }
    family.push_back(variant.p_value);
    result.results.push_back(std::move(variant));
  }

  LIFT_ASSIGN_OR_RETURN(const std::vector<double> adjusted,
                        AdjustPValues(family, settings.correction));
  for (size_t k = 0; k < result.results.size(); ++k) {
    result.results[k].adjusted_p_value = adjusted[k];
  }
  result.control_mean = result.results.front().control_mean;  // arms >= 2: never empty
  return result;
}

}  // namespace lift::stats
