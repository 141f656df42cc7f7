#include "server/readout/readout_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/ingest/first_exposure_backlog.h"
#include "server/readout/aggregation.h"
#include "server/store/table_statistics.h"
#include "server/wall_clock.h"
#include "stats/ab_analysis.h"
#include "stats/multiple_testing.h"
#include "stats/power.h"
#include "stats/srm.h"

namespace lift::readout {
namespace {

constexpr double kMicrosPerDay = 86400.0 * 1e6;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct RoleMetric {
  std::string key;
  v1::MetricRole role = v1::METRIC_ROLE_UNSPECIFIED;
  double margin = 0.0;
};

stats::MetricKind StatsKind(const std::string& kind) {
  if (kind == "ratio") return stats::MetricKind::kRatio;
  if (metrics::IsBinaryKind(kind)) return stats::MetricKind::kProportion;
  return stats::MetricKind::kMean;
}

v1::MetricKind ProtoKind(const std::string& kind) {
  if (kind == "proportion") return v1::METRIC_KIND_PROPORTION;
  if (kind == "mean") return v1::METRIC_KIND_MEAN;
  if (kind == "ratio") return v1::METRIC_KIND_RATIO;
  if (kind == "retention") return v1::METRIC_KIND_RETENTION;
  return v1::METRIC_KIND_UNSPECIFIED;
}

stats::VariantStats ToVariantStats(const std::string& name, const MetricMoments& m,
                                   stats::MetricKind kind, bool covariate) {
  if (kind == stats::MetricKind::kRatio) {
    stats::RatioCovariateStats r;
    r.post = {m.n, m.sum_y, m.sum_y2, m.sum_d, m.sum_d2, m.sum_yd};
    r.pre = {m.n, m.sum_x, m.sum_x2, m.sum_e, m.sum_e2, m.sum_xe};
    r.sum_num_post_num_pre = m.sum_xy;
    r.sum_den_post_den_pre = m.sum_de;
    r.sum_num_post_den_pre = m.sum_ye;
    r.sum_den_post_num_pre = m.sum_dx;
    return covariate ? stats::VariantStats::RatioWithCovariate(name, r)
                     : stats::VariantStats::Ratio(name, r.post);
  }
  stats::CovariateStats c;
  c.y = {m.n, m.sum_y, m.sum_y2};
  c.sum_x = m.sum_x;
  c.sum_x_sq = m.sum_x2;
  c.sum_xy = m.sum_xy;
  return covariate ? stats::VariantStats::WithCovariate(name, c)
                   : stats::VariantStats::Mean(name, c.y);
}

void ToProto(const stats::Estimate& estimate, v1::Effect* out) {
  out->set_estimate(estimate.estimate);
  out->set_se(estimate.se);
  out->set_ci_low(estimate.ci_low);
  out->set_ci_high(estimate.ci_high);
  out->set_p_value(estimate.p_value);
  out->set_df(estimate.df);
  out->set_valid(estimate.valid);
}

v1::ResultFlag ProtoFlag(stats::ResultFlag flag) {
  // The proto enum lists the flags in stats' order after UNSPECIFIED.
  return static_cast<v1::ResultFlag>(static_cast<int>(flag) + 1);
}

v1::GuardrailCheck::Status ProtoGuardrail(stats::GuardrailStatus status) {
  switch (status) {
    case stats::GuardrailStatus::kPass:
      return v1::GuardrailCheck::STATUS_PASS;
    case stats::GuardrailStatus::kFail:
      return v1::GuardrailCheck::STATUS_FAIL;
    case stats::GuardrailStatus::kInconclusive:
      break;
  }
  return v1::GuardrailCheck::STATUS_INCONCLUSIVE;
}

void FillEffect(const stats::VariantResult& r, v1::VariantEffect* out) {
  out->set_variant(r.name);
  out->set_n(r.n);
  out->set_mean(r.mean);
  out->set_control_n(r.control_n);
  out->set_control_mean(r.control_mean);
  ToProto(r.absolute, out->mutable_absolute());
  ToProto(r.relative, out->mutable_relative());
  if (r.cuped.has_value()) {
    v1::CupedEffect* cuped = out->mutable_cuped();
    cuped->set_theta(r.cuped->theta);
    cuped->set_variance_reduction(r.cuped->variance_reduction);
    cuped->set_adjusted(r.cuped->adjusted);
    ToProto(r.cuped->absolute, cuped->mutable_absolute());
    ToProto(r.cuped->relative, cuped->mutable_relative());
  }
  out->set_primary_is_cuped(r.primary_is_cuped);
  out->set_p_value(r.p_value);
  if (r.sequential.has_value()) {
    v1::SequentialEffect* sequential = out->mutable_sequential();
    sequential->set_tuning(r.sequential->tuning);
    sequential->set_total_n(r.sequential->total_n);
    ToProto(r.sequential->absolute.effect, sequential->mutable_absolute());
    ToProto(r.sequential->relative.effect, sequential->mutable_relative());
  }
  v1::BayesianEffect* bayesian = out->mutable_bayesian();
  bayesian->set_chance_to_win(r.bayesian.chance_to_win);
  bayesian->set_risk_control(r.bayesian.risk_control);
  bayesian->set_risk_treatment(r.bayesian.risk_treatment);
  bayesian->set_posterior_mean(r.bayesian.posterior_mean);
  bayesian->set_posterior_sd(r.bayesian.posterior_sd);
  bayesian->set_ci_low(r.bayesian.ci_low);
  bayesian->set_ci_high(r.bayesian.ci_high);
  bayesian->set_valid(r.bayesian.valid);
  if (r.guardrail.has_value()) {
    v1::GuardrailCheck* guardrail = out->mutable_guardrail();
    guardrail->set_status(ProtoGuardrail(r.guardrail->status));
    guardrail->set_margin(r.guardrail->margin);
    guardrail->set_p_value(r.guardrail->p_value);
    guardrail->set_lower_bound(r.guardrail->lower_bound);
  }
  out->set_adjusted_p_value(r.adjusted_p_value);
  for (stats::ResultFlag flag : r.flags) out->add_flags(ProtoFlag(flag));
}

std::string Percent(double fraction) { return absl::StrFormat("%+.2f%%", 100.0 * fraction); }

// Relative effect text of the primary estimate, e.g. "+5.10% (95% CI +2.00% to +8.20%)".
std::string EffectText(const v1::VariantEffect& effect, double alpha) {
  const v1::Effect& relative =
      effect.primary_is_cuped() ? effect.cuped().relative() : effect.relative();
  return absl::StrFormat("%s (%g%% CI %s to %s)", Percent(relative.estimate()),
                         100.0 * (1.0 - alpha), Percent(relative.ci_low()),
                         Percent(relative.ci_high()));
}

// Per-unit baseline (mean and standard deviation) of the control arm for power planning. Ratio
// metrics use the delta-method linearisation (num - R·den) / mean(den) (Deng et al. 2018).
bool ControlBaseline(const std::string& kind, const MetricMoments& m, double* mean, double* sd) {
  if (m.n < 2) return false;
  const double n = static_cast<double>(m.n);
  if (kind == "ratio") {
    if (m.sum_d == 0) return false;
    const double ratio = m.sum_y / m.sum_d;
    const double mean_den = m.sum_d / n;
    const double var_num = (m.sum_y2 - m.sum_y * m.sum_y / n) / (n - 1);
    const double var_den = (m.sum_d2 - m.sum_d * m.sum_d / n) / (n - 1);
    const double cov = (m.sum_yd - m.sum_y * m.sum_d / n) / (n - 1);
    const double var = (var_num - 2 * ratio * cov + ratio * ratio * var_den) / (mean_den * mean_den);
    *mean = ratio;
    *sd = var > 0 ? std::sqrt(var) : 0.0;
    return *sd > 0;
  }
  *mean = m.sum_y / n;
  const double var = (m.sum_y2 - m.sum_y * m.sum_y / n) / (n - 1);
  *sd = var > 0 ? std::sqrt(var) : 0.0;
  return *sd > 0;
}

// The phase's variants as the readout analyses them.
struct Arms {
  const experiments::Phase* phase = nullptr;
  std::vector<double> weights;   // configured, per phase variant
  double weight_sum = 0.0;
  std::vector<size_t> analysed;  // indices of variants with weight > 0, control first
};

stats::AbAnalysisSettings MetricSettings(const stats::AbAnalysisSettings& base,
                                         const metrics::MetricDefinition& metric,
                                         const RoleMetric& role) {
  stats::AbAnalysisSettings settings = base;
  settings.direction = metric.direction == "decrease" ? stats::Direction::kDecreaseIsGood
                                                      : stats::Direction::kIncreaseIsGood;
  if (role.role == v1::METRIC_ROLE_GUARDRAIL) settings.guardrail_margin = role.margin;
  return settings;
}

// stats::AnalyzeAb over the analysed arms of one metric (absent variants count as empty arms).
// Internal when the statistics reject the aggregated sums: that is a bug, not a user error.
absl::StatusOr<stats::AbAnalysisResult> AnalyzeMoments(
    const metrics::MetricDefinition& metric, const std::map<std::string, MetricMoments>& moments,
    const Arms& arms, const stats::AbAnalysisSettings& settings) {
  const stats::MetricKind kind = StatsKind(metric.kind);
  const bool covariate = metric.cuped_pre_period_days > 0;
  stats::AbAnalysisInput input;
  input.kind = kind;
  input.has_covariate = covariate;
  input.control_index = 0;
  for (size_t v : arms.analysed) {
    const std::string& key = arms.phase->variants[v].key;
    const auto it = moments.find(key);
    input.variants.push_back(
        ToVariantStats(key, it == moments.end() ? MetricMoments{} : it->second, kind, covariate));
    input.weights.push_back(arms.weights[v]);
  }
  absl::StatusOr<stats::AbAnalysisResult> analysis = stats::AnalyzeAb(input, settings);
  if (!analysis.ok()) {
    return absl::InternalError(absl::StrCat("metric '", metric.key,
                                            "': the statistics rejected the aggregated data: ",
                                            analysis.status().message()));
  }
  return analysis;
}

// The result of one metric over `moments` (the readout's, or one segment's): the summary of every
// analysed variant and the effect of every treatment, adjusted_p_value = p_value (the readout
// Holm-adjusts its success metrics afterwards), significance not yet marked.
absl::Status FillMetricResult(const metrics::MetricDefinition& metric, const RoleMetric& role,
                              const std::map<std::string, MetricMoments>& moments,
                              const Arms& arms, const stats::AbAnalysisSettings& base_settings,
                              v1::MetricResult* result) {
  const stats::MetricKind kind = StatsKind(metric.kind);
  const bool covariate = metric.cuped_pre_period_days > 0;
  result->set_metric_key(metric.key);
  result->set_metric_version(metric.version);
  result->set_name(metric.name);
  result->set_role(role.role);
  result->set_kind(ProtoKind(metric.kind));
  result->set_direction(metric.direction == "decrease" ? v1::METRIC_DIRECTION_DECREASE
                                                       : v1::METRIC_DIRECTION_INCREASE);
  result->set_cuped_pre_period_days(metric.cuped_pre_period_days);
  result->set_guardrail_margin(role.margin);
  for (size_t v : arms.analysed) {
    const std::string& key = arms.phase->variants[v].key;
    const auto it = moments.find(key);
    const MetricMoments m = it == moments.end() ? MetricMoments{} : it->second;
    v1::VariantMetricSummary* summary = result->add_variants();
    summary->set_variant(key);
    summary->set_n(m.n);
    summary->set_sum(m.sum_y);
    summary->set_denominator_sum(m.sum_d);
    const double denominator =
        kind == stats::MetricKind::kRatio ? m.sum_d : static_cast<double>(m.n);
    summary->set_mean(denominator != 0 ? m.sum_y / denominator : 0.0);
    summary->set_units_missing_pre_period(covariate ? m.units_missing_pre_period : 0);
  }
  absl::StatusOr<stats::AbAnalysisResult> analysis =
      AnalyzeMoments(metric, moments, arms, MetricSettings(base_settings, metric, role));
  if (!analysis.ok()) return analysis.status();
  for (const stats::VariantResult& variant : analysis->results) {
    v1::VariantEffect* effect = result->add_effects();
    FillEffect(variant, effect);
    effect->set_adjusted_p_value(variant.p_value);
  }
  return absl::OkStatus();
}

// significant_better / significant_worse of every effect: the primary estimate is valid, its
// adjusted_p_value <= alpha, and it points in the good / bad direction of the metric.
void MarkSignificance(double alpha, v1::MetricResult* result) {
  const bool increase = result->direction() != v1::METRIC_DIRECTION_DECREASE;
  for (v1::VariantEffect& effect : *result->mutable_effects()) {
    const v1::Effect& primary =
        effect.primary_is_cuped() ? effect.cuped().absolute() : effect.absolute();
    const bool significant = primary.valid() && effect.adjusted_p_value() <= alpha;
    const bool up = primary.estimate() > 0;
    const bool down = primary.estimate() < 0;
    effect.set_significant_better(significant && (increase ? up : down));
    effect.set_significant_worse(significant && (increase ? down : up));
  }
}

// Units per phase variant (0 when absent) and the ReadoutVariant list; returns the total.
int64_t FillVariants(const Arms& arms, const std::map<std::string, int64_t>& units,
                     std::vector<int64_t>* counts,
                     google::protobuf::RepeatedPtrField<v1::ReadoutVariant>* out) {
  int64_t total = 0;
  counts->clear();
  for (const auto& variant : arms.phase->variants) {
    const auto it = units.find(variant.key);
    counts->push_back(it == units.end() ? 0 : it->second);
    total += counts->back();
  }
  for (size_t v = 0; v < arms.phase->variants.size(); ++v) {
    v1::ReadoutVariant* variant = out->Add();
    variant->set_key(arms.phase->variants[v].key);
    variant->set_weight(arms.weights[v]);
    variant->set_units((*counts)[v]);
    variant->set_expected_fraction(arms.weight_sum > 0 ? arms.weights[v] / arms.weight_sum : 0.0);
    variant->set_observed_fraction(
        total > 0 ? static_cast<double>((*counts)[v]) / static_cast<double>(total) : 0.0);
  }
  return total;
}

void FillSrm(const stats::SrmResult& srm, v1::SampleRatioMismatch* out) {
  out->set_chi2(srm.chi2);
  out->set_p_value(srm.p_value);
  out->set_df(srm.df);
  out->set_flagged(srm.flagged);
  out->set_threshold(stats::kDefaultSrmThreshold);
}

// "segment_by must be ..." when the attribute name is not 1..kMaxSegmentNameLength characters
// (UTF-8 code points) without control characters; OK for "" (no segments).
absl::Status ValidateSegmentBy(const std::string& name) {
  size_t characters = 0;
  for (unsigned char c : name) {
    if ((c & 0xC0) != 0x80) ++characters;
    if (c < 0x20 || c == 0x7F) {
      return absl::InvalidArgumentError(
          "segment_by must be an exposure attribute name without control characters");
    }
  }
  if (characters > kMaxSegmentNameLength) {
    return absl::InvalidArgumentError(absl::StrCat("segment_by must be 1 to ",
                                                   kMaxSegmentNameLength,
                                                   " characters long, got ", characters));
  }
  return absl::OkStatus();
}

// The readout's segments (see SegmentReadout in readouts.proto): each analysed like the readout,
// uncorrected, significance against alpha.
absl::Status FillSegments(const AggregationResult& sums, const AggregationRequest& aggregation,
                          const std::vector<RoleMetric>& roles, const Arms& arms,
                          const stats::AbAnalysisSettings& base_settings, double alpha,
                          v1::Readout* readout) {
  for (const SegmentAggregate& segment : sums.segments) {
    v1::SegmentReadout* out = readout->add_segments();
    out->set_value(segment.value);
    out->set_other(segment.other);
    out->set_none(segment.none);
    out->set_pooled_values(segment.pooled_values);
    std::vector<int64_t> counts;
    out->set_units(FillVariants(arms, segment.units, &counts, out->mutable_variants()));
    std::vector<int64_t> srm_counts;
    std::vector<double> srm_weights;
    for (size_t v : arms.analysed) {
      srm_counts.push_back(counts[v]);
      srm_weights.push_back(arms.weights[v]);
    }
    absl::StatusOr<stats::SrmResult> srm = stats::SampleRatioMismatch(srm_counts, srm_weights);
    if (!srm.ok()) return srm.status();
    FillSrm(*srm, out->mutable_srm());
    for (size_t i = 0; i < roles.size(); ++i) {
      v1::MetricResult* result = out->add_metrics();
      absl::Status filled = FillMetricResult(aggregation.metrics[i], roles[i],
                                             segment.moments[i], arms, base_settings, result);
      if (!filled.ok()) return filled;
      MarkSignificance(alpha, result);
    }
  }
  return absl::OkStatus();
}

// One point of each treatment's series (series[t] for the t-th treatment) of `metric`, from its
// moments as of `as_of`: the primary relative effect (CUPED when adjusted) and its always-valid
// interval (settings.sequential must be on).
absl::Status AddTimeseriesPoints(const metrics::MetricDefinition& metric,
                                 const std::map<std::string, MetricMoments>& moments,
                                 int64_t as_of, bool running, const Arms& arms,
                                 const stats::AbAnalysisSettings& settings,
                                 const std::vector<v1::MetricTimeseries*>& series) {
  absl::StatusOr<stats::AbAnalysisResult> analysis =
      AnalyzeMoments(metric, moments, arms, settings);
  if (!analysis.ok()) return analysis.status();
  for (size_t t = 0; t < analysis->results.size(); ++t) {
    const stats::VariantResult& r = analysis->results[t];
    v1::TimeseriesPoint* point = series[t]->add_points();
    point->set_as_of_micros(as_of);
    point->set_running(running);
    point->set_control_n(r.control_n);
    point->set_control_mean(r.control_mean);
    point->set_n(r.n);
    point->set_mean(r.mean);
    ToProto(r.primary_relative, point->mutable_relative());
    point->set_cuped_adjusted(r.primary_is_cuped);
    if (r.sequential.has_value()) {
      ToProto(r.sequential->relative.effect, point->mutable_sequential_relative());
    }
    for (stats::ResultFlag flag : r.flags) point->add_flags(ProtoFlag(flag));
  }
  return absl::OkStatus();
}

// What a readout of one experiment phase analyses: the experiment, the phase, its metrics by role
// (latest definition versions) and the aggregation request without an analysis end or segment.
struct ReadoutPlan {
  experiments::Experiment experiment;
  size_t phase_index = 0;
  std::vector<RoleMetric> roles;
  AggregationRequest aggregation;

  const experiments::Phase& phase() const { return experiment.phases[phase_index]; }
};

// Loads the plan of `experiment_key`'s phase `phase_number` (0: the current one). NotFound
// (experiment, phase, metric), FailedPrecondition (not started, fewer than two variants, no
// metrics), Unavailable (database down).
absl::StatusOr<ReadoutPlan> PlanReadout(experiments::ExperimentStore& experiments,
                                        metrics::MetricStore& metrics,
                                        const std::string& experiment_key, int phase_number) {
  absl::StatusOr<std::optional<experiments::Experiment>> found =
      experiments.FindExperiment(experiment_key);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return absl::NotFoundError(absl::StrCat("experiment '", experiment_key, "' not found"));
  }
  ReadoutPlan plan;
  plan.experiment = std::move(**found);
  const experiments::Experiment& experiment = plan.experiment;
  if (phase_number == 0) phase_number = experiment.phase;
  if (phase_number == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "experiment '", experiment.key, "' has not started: there is no phase to analyse"));
  }
  const auto phase = std::find_if(
      experiment.phases.begin(), experiment.phases.end(),
      [phase_number](const experiments::Phase& candidate) {
        return candidate.number == phase_number;
      });
  if (phase == experiment.phases.end()) {
    return absl::NotFoundError(
        absl::StrCat("experiment '", experiment.key, "' has no phase ", phase_number));
  }
  plan.phase_index = static_cast<size_t>(phase - experiment.phases.begin());
  if (phase->variants.size() < 2) {
    return absl::FailedPreconditionError(
        absl::StrCat("phase ", phase_number, " has fewer than two variants"));
  }
  for (const std::string& key : experiment.metrics.success) {
    plan.roles.push_back({key, v1::METRIC_ROLE_SUCCESS, 0.0});
  }
  for (const std::string& key : experiment.metrics.secondary) {
    plan.roles.push_back({key, v1::METRIC_ROLE_SECONDARY, 0.0});
  }
  for (const experiments::GuardrailMetric& guardrail : experiment.metrics.guardrails) {
    plan.roles.push_back({guardrail.metric_key, v1::METRIC_ROLE_GUARDRAIL,
                          guardrail.non_inferiority_margin});
  }
  if (plan.roles.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("experiment '", experiment.key, "' names no metrics to analyse"));
  }
  plan.aggregation.experiment_key = experiment.key;
  plan.aggregation.phase = phase_number;
  plan.aggregation.phase_start_micros = phase->started_at_micros;
  for (const RoleMetric& role : plan.roles) {
    absl::StatusOr<std::optional<metrics::MetricDefinition>> metric = metrics.Find(role.key, 0);
    if (!metric.ok()) return metric.status();
    if (!metric->has_value()) {
      return absl::NotFoundError(absl::StrCat("metric '", role.key, "' of experiment '",
                                              experiment.key, "' is not defined"));
    }
    plan.aggregation.metrics.push_back(std::move(**metric));
  }
  return plan;
}

}  // namespace

ReadoutService::ReadoutService(store::ConnectionPool* pool,
                               experiments::ExperimentStore* experiments,
                               metrics::MetricStore* metrics,
                               std::function<int64_t()> now_micros)
    : pool_(pool),
      experiments_(experiments),
      metrics_(metrics),
      now_micros_(now_micros ? std::move(now_micros) : WallClockMicros) {}

absl::StatusOr<v1::Readout> ReadoutService::GetReadout(const v1::GetReadoutRequest& request) {
  if (request.experiment_key().empty()) {
    return absl::InvalidArgumentError("experiment_key is required");
  }
  const double alpha = request.alpha() == 0 ? stats::kDefaultAlpha : request.alpha();
  if (!(alpha > 0 && alpha < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("alpha must be in (0, 1) (0 = 0.05), got ", request.alpha()));
  }
  if (request.phase() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("phase must be >= 0, got ", request.phase()));
  }
  if (request.as_of_micros() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("as_of_micros must be >= 0, got ", request.as_of_micros()));
  }
  if (absl::Status segment = ValidateSegmentBy(request.segment_by()); !segment.ok()) {
    return segment;
  }

  // --- configuration ---
  absl::StatusOr<ReadoutPlan> plan =
      PlanReadout(*experiments_, *metrics_, request.experiment_key(), request.phase());
  if (!plan.ok()) return plan.status();
  const experiments::Experiment& experiment = plan->experiment;
  const experiments::Phase* phase = &plan->phase();
  const int phase_number = phase->number;
  const std::vector<RoleMetric>& roles = plan->roles;
  AggregationRequest& aggregation = plan->aggregation;
  const int64_t now = now_micros_();
  int64_t end = request.as_of_micros() != 0 ? request.as_of_micros() : now;
  if (phase->ended_at_micros != 0) end = std::min(end, phase->ended_at_micros);
  aggregation.analysis_end_micros = end;
  aggregation.segment_by = request.segment_by();

  // --- aggregation ---
  const auto aggregation_start = std::chrono::steady_clock::now();
  // Every exposure acknowledged so far in first_exposures, and fresh planner statistics (a plan on
  // never-analysed partitions can take minutes).
  if (absl::Status folded = ingest::FoldFirstExposureBacklog(*pool_); !folded.ok()) return folded;
  if (absl::StatusOr<int> analysed = store::RefreshStaleStatistics(*pool_); !analysed.ok()) {
    return analysed.status();
  }
  absl::StatusOr<AggregationResult> sums = Aggregate(*pool_, aggregation);
  if (!sums.ok()) return sums.status();
  double aggregation_seconds = SecondsSince(aggregation_start);
  const auto stats_start = std::chrono::steady_clock::now();

  v1::Readout readout;
  readout.set_experiment_key(experiment.key);
  readout.set_phase(phase_number);
  readout.set_phase_started_at_micros(phase->started_at_micros);
  readout.set_phase_ended_at_micros(phase->ended_at_micros);
  readout.set_analysis_end_micros(end);
  readout.set_computed_at_micros(now);
  readout.set_alpha(alpha);
  readout.set_sequential(!request.fixed_horizon());
  readout.set_control_variant(phase->variants[0].key);

  Arms arms;
  arms.phase = phase;
  for (const auto& variant : phase->variants) {
    arms.weights.push_back(variant.weight);
    arms.weight_sum += variant.weight;
  }
  std::vector<int64_t> counts;
  const int64_t total_units = FillVariants(arms, sums->units, &counts, readout.mutable_variants());
  const std::vector<double>& weights = arms.weights;
  // Variants with weight 0 receive no traffic by design; SRM and the analysis use the others.
  std::vector<size_t>& analysed = arms.analysed;
  for (size_t v = 0; v < weights.size(); ++v) {
    if (weights[v] > 0) analysed.push_back(v);
  }
  if (analysed.size() < 2 || analysed[0] != 0) {
    return absl::FailedPreconditionError(
        "the control (first variant) and at least one treatment need a weight > 0");
  }
  std::vector<int64_t> srm_counts;
  std::vector<double> srm_weights;
  for (size_t v : analysed) {
    srm_counts.push_back(counts[v]);
    srm_weights.push_back(weights[v]);
  }
  absl::StatusOr<stats::SrmResult> srm = stats::SampleRatioMismatch(srm_counts, srm_weights);
  if (!srm.ok()) return srm.status();

  // --- statistics per metric ---
  stats::AbAnalysisSettings base_settings;
  base_settings.analysis.alpha = alpha;
  base_settings.sequential = !request.fixed_horizon();
  base_settings.correction = stats::Correction::kNone;
  std::vector<std::pair<v1::VariantEffect*, double>> family;  // success metrics × variants
  for (size_t i = 0; i < roles.size(); ++i) {
    v1::MetricResult* result = readout.add_metrics();
    absl::Status filled = FillMetricResult(aggregation.metrics[i], roles[i], sums->moments[i],
                                           arms, base_settings, result);
    if (!filled.ok()) return filled;
    if (roles[i].role != v1::METRIC_ROLE_SUCCESS) continue;
    for (v1::VariantEffect& effect : *result->mutable_effects()) {
      family.emplace_back(&effect, effect.p_value());
    }
  }
  // Holm across success metrics × variants.
  {
    std::vector<double> p_values;
    for (const auto& entry : family) p_values.push_back(entry.second);
    absl::StatusOr<std::vector<double>> adjusted = stats::HolmAdjust(p_values);
    if (!adjusted.ok()) return adjusted.status();
    for (size_t k = 0; k < family.size(); ++k) {
      family[k].first->set_adjusted_p_value((*adjusted)[k]);
    }
  }
  for (v1::MetricResult& result : *readout.mutable_metrics()) MarkSignificance(alpha, &result);

  // --- segments (descriptive: uncorrected, not a decision input) ---
  if (!request.segment_by().empty()) {
    readout.set_segment_by(request.segment_by());
    absl::Status segmented =
        FillSegments(*sums, aggregation, roles, arms, base_settings, alpha, &readout);
    if (!segmented.ok()) return segmented;
  }

  // --- health ---
  v1::Health* health = readout.mutable_health();
  health->mutable_srm()->set_chi2(srm->chi2);
  health->mutable_srm()->set_p_value(srm->p_value);
  health->mutable_srm()->set_df(srm->df);
  health->mutable_srm()->set_flagged(srm->flagged);
  health->mutable_srm()->set_threshold(stats::kDefaultSrmThreshold);
  health->set_multiple_exposure_units(sums->multiple_exposure_units);
  const double days_running =
      std::max(0.0, static_cast<double>(end - phase->started_at_micros) / kMicrosPerDay);
  health->set_days_running(days_running);
  const metrics::MetricDefinition* primary = nullptr;
  size_t primary_index = 0;
  for (size_t i = 0; i < roles.size(); ++i) {
    if (roles[i].role == v1::METRIC_ROLE_SUCCESS) {
      primary = &aggregation.metrics[i];
      primary_index = i;
      break;
    }
  }
  v1::PowerStatus* power = health->mutable_power();
  if (primary != nullptr) {
    int64_t missing = 0;
    for (const auto& entry : sums->moments[primary_index]) {
      missing += entry.second.units_missing_pre_period;
    }
    health->set_units_missing_pre_period(primary->cuped_pre_period_days > 0 ? missing : 0);
    power->set_metric_key(primary->key);
    int64_t smallest_arm = -1;
    for (size_t v : analysed) {
      smallest_arm = smallest_arm < 0 ? counts[v] : std::min(smallest_arm, counts[v]);
    }
    power->set_units_per_arm(std::max<int64_t>(smallest_arm, 0));
    const double daily_units = days_running > 0 ? total_units / days_running : 0.0;
    power->set_daily_units(daily_units);
    const auto control = sums->moments[primary_index].find(phase->variants[0].key);
    double mean = 0.0, sd = 0.0;
    stats::PowerSettings power_settings;
    power_settings.alpha = alpha;
    power_settings.power = kPlannedPower;
    power_settings.arms = static_cast<int>(analysed.size());
    if (!primary->mde.has_value()) {
      power->set_note(absl::StrCat("metric '", primary->key, "' has no mde: set one to plan power"));
    } else if (control == sums->moments[primary_index].end() ||
               !ControlBaseline(primary->kind, control->second, &mean, &sd)) {
      power->set_mde(*primary->mde);
      power->set_note("the control arm has too little data (or no variance) to plan power yet");
    } else {
      power->set_mde(*primary->mde);
      absl::StatusOr<stats::SampleSize> size =
          metrics::IsBinaryKind(primary->kind)
              ? stats::SampleSizeForProportion(mean, *primary->mde, power_settings)
              : stats::SampleSizeForMean(mean, sd, *primary->mde, power_settings);
      if (!size.ok()) {
        power->set_note(absl::StrCat("power cannot be planned: ", size.status().message()));
      } else {
        power->set_available(true);
        power->set_required_units_per_arm(size->n_per_arm);
        power->set_reached(power->units_per_arm() >= size->n_per_arm);
        if (!power->reached()) {
          if (daily_units > 0) {
            absl::StatusOr<stats::Duration> duration =
                stats::DaysNeeded(size->total_n, daily_units, total_units);
            if (duration.ok()) power->set_days_to_go(duration->days);
          } else {
            power->set_note("no traffic yet: days to go unknown");
          }
        }
      }
    }
  }

  // --- decision ---
  v1::Decision* decision = readout.mutable_decision();
  const int64_t exposed = total_units + sums->multiple_exposure_units;
  std::vector<std::string> invalid;
  if (srm->flagged) {
    std::string observed;
    for (size_t k = 0; k < srm_counts.size(); ++k) {
      absl::StrAppend(&observed, k == 0 ? "" : ", ", phase->variants[analysed[k]].key, " ",
                      srm_counts[k]);
    }
    invalid.push_back(absl::StrFormat(
        "Sample ratio mismatch: the units per variant (%s) do not match the configured weights "
        "(chi-square p = %.2g < %g); assignment or exposure logging is broken, so no result can "
        "be trusted.",
        observed, srm->p_value, stats::kDefaultSrmThreshold));
  }
  if (exposed > 0 &&
      static_cast<double>(sums->multiple_exposure_units) / exposed > kMaxMultipleExposureShare) {
    invalid.push_back(absl::StrFormat(
        "%d of %d exposed units (%.1f%%) were seen in more than one variant (limit %.0f%%): "
        "assignment is not sticky.",
        sums->multiple_exposure_units, exposed,
        100.0 * sums->multiple_exposure_units / exposed, 100.0 * kMaxMultipleExposureShare));
  }
  std::vector<std::string> harms;
  std::vector<std::string> wins_reasons;
  std::string best_variant;
  double best_p = 2.0;
  // Per variant: did a success metric win, and did every guardrail pass?
  for (size_t t = 1; t < analysed.size(); ++t) {
    const std::string& variant = phase->variants[analysed[t]].key;
    bool won = false;
    bool guardrails_pass = true;
    double smallest_p = 2.0;
    std::vector<std::string> variant_wins;
    for (const v1::MetricResult& result : readout.metrics()) {
      const v1::VariantEffect& effect = result.effects(static_cast<int>(t) - 1);
      if (result.role() == v1::METRIC_ROLE_SUCCESS) {
        if (effect.significant_better()) {
          won = true;
          smallest_p = std::min(smallest_p, effect.adjusted_p_value());
          variant_wins.push_back(absl::StrFormat(
              "Success metric '%s' improved in '%s': %s, adjusted p = %.3g.",
              result.metric_key(), variant, EffectText(effect, alpha), effect.adjusted_p_value()));
        } else if (effect.significant_worse()) {
          harms.push_back(absl::StrFormat(
              "Success metric '%s' is significantly worse in '%s': %s, adjusted p = %.3g.",
              result.metric_key(), variant, EffectText(effect, alpha),
              effect.adjusted_p_value()));
        }
      } else if (result.role() == v1::METRIC_ROLE_GUARDRAIL) {
        const v1::GuardrailCheck::Status status = effect.guardrail().status();
        if (status == v1::GuardrailCheck::STATUS_FAIL) {
          harms.push_back(absl::StrFormat(
              "Guardrail '%s' is significantly harmed in '%s': %s.", result.metric_key(),
              variant, EffectText(effect, alpha)));
        }
        if (status != v1::GuardrailCheck::STATUS_PASS) guardrails_pass = false;
      }
    }
    if (won && guardrails_pass && smallest_p < best_p) {
      best_p = smallest_p;
      best_variant = variant;
      wins_reasons = variant_wins;
    }
  }
  if (!invalid.empty()) {
    decision->set_verdict(v1::Decision::VERDICT_INVALID);
    for (const std::string& reason : invalid) decision->add_reasons(reason);
  } else if (!harms.empty()) {
    decision->set_verdict(v1::Decision::VERDICT_DONT_SHIP);
    for (const std::string& reason : harms) decision->add_reasons(reason);
  } else if (!best_variant.empty()) {
    decision->set_verdict(v1::Decision::VERDICT_SHIP);
    decision->set_variant(best_variant);
    for (const std::string& reason : wins_reasons) decision->add_reasons(reason);
    int guardrails = 0;
    for (const v1::MetricResult& result : readout.metrics()) {
      guardrails += result.role() == v1::METRIC_ROLE_GUARDRAIL;
    }
    decision->add_reasons(
        guardrails == 0
            ? std::string("No guardrail metrics are configured.")
            : guardrails == 1
                  ? absl::StrFormat("The guardrail was shown non-inferior for '%s'.", best_variant)
                  : absl::StrFormat("All %d guardrails were shown non-inferior for '%s'.",
                                    guardrails, best_variant));
    decision->add_reasons("Sample ratio is as configured (no SRM).");
  } else {
    decision->set_verdict(v1::Decision::VERDICT_KEEP_RUNNING);
    if (total_units == 0) {
      decision->add_reasons("No units have been exposed in this phase yet.");
    }
    bool winner_blocked = false;
    for (const v1::MetricResult& result : readout.metrics()) {
      if (result.role() != v1::METRIC_ROLE_SUCCESS) continue;
      for (const v1::VariantEffect& effect : result.effects()) {
        if (effect.significant_better()) winner_blocked = true;
      }
    }
    if (winner_blocked) {
      decision->add_reasons(
          "A success metric improved significantly, but not every guardrail has been shown "
          "non-inferior yet.");
    } else if (total_units > 0) {
      double smallest = 1.0;
      for (const auto& entry : family) smallest = std::min(smallest, entry.first->adjusted_p_value());
      decision->add_reasons(absl::StrFormat(
          "No success metric has a significant effect yet (smallest adjusted p = %.3g, alpha = "
          "%g).",
          smallest, alpha));
    }
    if (power->available()) {
      if (power->reached()) {
        decision->add_reasons(absl::StrFormat(
            "The planned sample (%d units per arm for a %.1f%% change in '%s') has been "
            "reached: the effect is likely smaller than that.",
            power->required_units_per_arm(), 100.0 * power->mde(), power->metric_key()));
      } else if (power->days_to_go() > 0) {
        decision->add_reasons(absl::StrFormat(
            "About %d more days to reach 80%% power for a %.1f%% change in '%s' (%d of %d "
            "units per arm, %.0f units per day).",
            power->days_to_go(), 100.0 * power->mde(), power->metric_key(),
            power->units_per_arm(), power->required_units_per_arm(), power->daily_units()));
      }
    } else if (!power->note().empty()) {
      decision->add_reasons(absl::StrCat("Power: ", power->note(), "."));
    }
  }
  double stats_seconds = SecondsSince(stats_start);

  // --- daily cumulative time series (from stored snapshots) ---
  if (request.include_timeseries()) {
    const auto snapshots_start = std::chrono::steady_clock::now();
    std::vector<int64_t> days = UtcMidnightsBetween(phase->started_at_micros, end);
    const bool truncated = days.size() > static_cast<size_t>(kMaxTimeseriesDays);
    if (truncated) days.erase(days.begin(), days.end() - kMaxTimeseriesDays);
    DailySnapshotsRequest snapshots_request;
    snapshots_request.base = aggregation;
    snapshots_request.days = days;
    for (const auto& variant : phase->variants) snapshots_request.variants.push_back(variant.key);
    snapshots_request.store_before_micros = now - kSnapshotSettleMicros;
    // An analysis end that is itself a midnight not to be stored yet (e.g. "now" at midnight) has
    // the readout's own statistics: it is not aggregated a second time.
    const bool end_is_unstored_day = !days.empty() && days.back() == end &&
                                     end >= snapshots_request.store_before_micros;
    if (end_is_unstored_day) snapshots_request.days.pop_back();
    absl::StatusOr<DailySnapshotsResult> snapshots = DailySnapshots(*pool_, snapshots_request);
    if (!snapshots.ok()) return snapshots.status();
    aggregation_seconds += SecondsSince(snapshots_start);
    const auto series_start = std::chrono::steady_clock::now();
    // Every point uses the always-valid interval too, whatever fixed_horizon says.
    stats::AbAnalysisSettings series_settings = base_settings;
    series_settings.sequential = true;
    const bool running = days.empty() || days.back() != end;
    for (size_t i = 0; i < roles.size(); ++i) {
      const metrics::MetricDefinition& metric = aggregation.metrics[i];
      std::vector<v1::MetricTimeseries*> series;
      for (size_t t = 1; t < analysed.size(); ++t) {
        v1::MetricTimeseries* out = readout.add_timeseries();
        out->set_metric_key(metric.key);
        out->set_metric_version(metric.version);
        out->set_variant(phase->variants[analysed[t]].key);
        out->set_control_variant(phase->variants[0].key);
        out->set_truncated(truncated);
        series.push_back(out);
      }
      RoleMetric plain = roles[i];
      plain.role = v1::METRIC_ROLE_SECONDARY;  // no guardrail test per point
      const stats::AbAnalysisSettings settings = MetricSettings(series_settings, metric, plain);
      for (size_t k = 0; k < snapshots_request.days.size(); ++k) {
        absl::Status added = AddTimeseriesPoints(metric, snapshots->moments[i][k], days[k],
                                                 /*running=*/false, arms, settings, series);
        if (!added.ok()) return added;
      }
      if (end_is_unstored_day) {
        absl::Status added = AddTimeseriesPoints(metric, sums->moments[i], end,
                                                 /*running=*/false, arms, settings, series);
        if (!added.ok()) return added;
      }
      if (running) {
        absl::Status added = AddTimeseriesPoints(metric, sums->moments[i], end,
                                                 /*running=*/true, arms, settings, series);
        if (!added.ok()) return added;
      }
    }
    stats_seconds += SecondsSince(series_start);
  }
  readout.set_aggregation_seconds(aggregation_seconds);
  readout.set_stats_seconds(stats_seconds);
  return readout;
}

absl::StatusOr<SnapshotRefresh> ReadoutService::StoreDailySnapshots(
    const std::string& experiment_key) {
  absl::StatusOr<ReadoutPlan> plan = PlanReadout(*experiments_, *metrics_, experiment_key, 0);
  if (!plan.ok()) return plan.status();
  const experiments::Phase& phase = plan->phase();
  SnapshotRefresh refresh;
  refresh.phase = phase.number;
  absl::StatusOr<int64_t> deleted =
      DeleteSupersededSnapshots(*pool_, experiment_key, plan->aggregation.metrics);
  if (!deleted.ok()) return deleted.status();
  refresh.superseded_rows_deleted = *deleted;
  // The midnights a time series would store now: settled, within the phase, the last
  // kMaxTimeseriesDays of them.
  const int64_t store_before = now_micros_() - kSnapshotSettleMicros;
  int64_t until = store_before - 1;
  if (phase.ended_at_micros != 0) until = std::min(until, phase.ended_at_micros);
  std::vector<int64_t> days = UtcMidnightsBetween(phase.started_at_micros, until);
  if (days.size() > static_cast<size_t>(kMaxTimeseriesDays)) {
    days.erase(days.begin(), days.end() - kMaxTimeseriesDays);
  }
  if (days.empty()) return refresh;
  DailySnapshotsRequest request;
  request.base = std::move(plan->aggregation);
  request.days = std::move(days);
  for (const auto& variant : phase.variants) request.variants.push_back(variant.key);
  request.store_before_micros = store_before;
  if (absl::Status folded = ingest::FoldFirstExposureBacklog(*pool_); !folded.ok()) return folded;
  if (absl::StatusOr<int> analysed = store::RefreshStaleStatistics(*pool_); !analysed.ok()) {
    return analysed.status();
  }
  absl::StatusOr<DailySnapshotsResult> snapshots = DailySnapshots(*pool_, request);
  if (!snapshots.ok()) return snapshots.status();
  refresh.days_aggregated = snapshots->days_aggregated;
  refresh.days_stored = snapshots->days_stored;
  return refresh;
}

}  // namespace lift::readout
