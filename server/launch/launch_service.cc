#include "server/launch/launch_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/ingest/first_exposure_backlog.h"
#include "server/launch/launch.h"
#include "server/launch/launch_query.h"
#include "server/metrics/metric.h"
#include "server/store/table_statistics.h"
#include "server/wall_clock.h"
#include "stats/diff_in_diff.h"
#include "stats/status_macros.h"

namespace lift::launch {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

v1::LaunchFlag ToProtoFlag(stats::ResultFlag flag) {
  switch (flag) {
    case stats::ResultFlag::kEmptyArm:
      return v1::LAUNCH_FLAG_EMPTY_ARM;
    case stats::ResultFlag::kSampleTooSmall:
      return v1::LAUNCH_FLAG_SAMPLE_TOO_SMALL;
    case stats::ResultFlag::kZeroVariance:
      return v1::LAUNCH_FLAG_ZERO_VARIANCE;
    case stats::ResultFlag::kZeroBaseline:
      return v1::LAUNCH_FLAG_ZERO_BASELINE;
    case stats::ResultFlag::kNotIdentified:
      return v1::LAUNCH_FLAG_NOT_IDENTIFIED;
    case stats::ResultFlag::kNoPrePeriods:
      return v1::LAUNCH_FLAG_NO_PRE_PERIODS;
    default:
      return v1::LAUNCH_FLAG_UNSPECIFIED;
  }
}

void SetEffect(const stats::Estimate& estimate, v1::LaunchEffect* proto) {
  proto->set_estimate(estimate.estimate);
  proto->set_se(estimate.se);
  proto->set_ci_low(estimate.ci_low);
  proto->set_ci_high(estimate.ci_high);
  proto->set_p_value(estimate.p_value);
  proto->set_df(estimate.df);
  proto->set_valid(estimate.valid);
}

// The relative effect: the absolute one divided by |baseline| (baseline treated as known).
stats::Estimate Relative(const stats::Estimate& absolute, double baseline) {
  stats::Estimate relative = absolute;
  const double scale = std::fabs(baseline);
  relative.estimate = absolute.estimate / scale;
  relative.se = absolute.se / scale;
  relative.ci_low = absolute.ci_low / scale;
  relative.ci_high = absolute.ci_high / scale;
  return relative;
}

// The launch to analyse and its parsed groups.
struct Resolved {
  Launch launch;
  LaunchGroups groups;
};

}  // namespace

LaunchService::LaunchService(store::ConnectionPool* pool, LaunchStore* launches,
                             metrics::MetricStore* metrics, std::function<int64_t()> now_micros)
    : pool_(pool),
      launches_(launches),
      metrics_(metrics),
      now_micros_(now_micros ? std::move(now_micros) : WallClockMicros) {}

absl::StatusOr<std::vector<metrics::MetricDefinition>> LaunchService::LoadMetrics(
    const std::vector<std::string>& keys) {
  std::vector<metrics::MetricDefinition> definitions;
  for (const std::string& key : keys) {
    LIFT_ASSIGN_OR_RETURN(std::optional<metrics::MetricDefinition> found, metrics_->Find(key, 0));
    if (!found.has_value()) {
      return absl::NotFoundError(absl::StrCat("metric '", key, "' not found"));
    }
    if (found->kind == "ratio") {
      return absl::InvalidArgumentError(absl::StrCat(
          "metric '", key,
          "' is a ratio metric: ratio metrics are not supported for launches yet (use a mean "
          "or proportion metric)"));
    }
    metrics::MetricDefinition definition = *std::move(found);
    if (metrics::IsBinaryKind(definition.kind)) definition.numerator.aggregation = "any";
    if (definition.numerator.aggregation.empty()) definition.numerator.aggregation = "sum";
    definitions.push_back(std::move(definition));
  }
  return definitions;
}

absl::StatusOr<v1::Launch> LaunchService::Create(const v1::CreateLaunchRequest& request,
                                                 const std::string& actor) {
  if (!request.has_launch()) return absl::InvalidArgumentError("launch is required");
  LIFT_ASSIGN_OR_RETURN(Launch launch, LaunchFromProto(request.launch(), "launch."));
  LIFT_RETURN_IF_ERROR(ValidateLaunch(launch, /*require_key=*/true, "launch.").status());
  LIFT_RETURN_IF_ERROR(LoadMetrics(launch.metric_keys).status());
  LIFT_ASSIGN_OR_RETURN(Launch created, launches_->Create(launch, actor));
  v1::Launch proto;
  LaunchToProto(created, &proto);
  return proto;
}

absl::StatusOr<v1::ListLaunchesResponse> LaunchService::List(
    const v1::ListLaunchesRequest& request) {
  if (request.launched_from_micros() < 0 || request.launched_to_micros() < 0) {
    return absl::InvalidArgumentError(
        "launched_from_micros and launched_to_micros must be >= 0 (0 = no bound)");
  }
  LIFT_ASSIGN_OR_RETURN(
      std::vector<Launch> launches,
      launches_->List(request.launched_from_micros(), request.launched_to_micros()));
  v1::ListLaunchesResponse response;
  for (const Launch& launch : launches) LaunchToProto(launch, response.add_launches());
  return response;
}

absl::StatusOr<v1::LaunchAnalysis> LaunchService::Analyze(const v1::AnalyzeLaunchRequest& request) {
  // The launch.
  Resolved resolved;
  switch (request.source_case()) {
    case v1::AnalyzeLaunchRequest::kLaunchKey: {
      if (request.launch_key().empty()) return absl::InvalidArgumentError("launch_key is empty");
      LIFT_ASSIGN_OR_RETURN(std::optional<Launch> found, launches_->Find(request.launch_key()));
      if (!found.has_value()) {
        return absl::NotFoundError(absl::StrCat("launch '", request.launch_key(), "' not found"));
      }
      resolved.launch = *std::move(found);
      LIFT_ASSIGN_OR_RETURN(resolved.groups,
                            ValidateLaunch(resolved.launch, /*require_key=*/true, "launch."));
      break;
    }
    case v1::AnalyzeLaunchRequest::kDefinition: {
      LIFT_ASSIGN_OR_RETURN(resolved.launch, LaunchFromProto(request.definition(), "definition."));
      LIFT_ASSIGN_OR_RETURN(resolved.groups,
                            ValidateLaunch(resolved.launch, /*require_key=*/false, "definition."));
      break;
    }
    default:
      return absl::InvalidArgumentError("launch_key or definition is required");
  }
  const Launch& launch = resolved.launch;
  const double alpha = request.alpha() == 0.0 ? kDefaultAlpha : request.alpha();
  if (!(alpha > 0.0 && alpha < 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat("alpha must be in (0, 1), got ", alpha));
  }
  std::vector<std::string> metric_keys = launch.metric_keys;
  if (!request.metric_keys().empty()) {
    const std::set<std::string> known(launch.metric_keys.begin(), launch.metric_keys.end());
    metric_keys.clear();
    for (int i = 0; i < request.metric_keys_size(); ++i) {
      const std::string& key = request.metric_keys(i);
      if (known.count(key) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("metric_keys[", i, "] '", key, "' is not one of the launch's metrics"));
      }
      if (std::find(metric_keys.begin(), metric_keys.end(), key) == metric_keys.end()) {
        metric_keys.push_back(key);
      }
    }
  }
  // Every acknowledged exposure in first_exposures, and fresh planner statistics (a plan on
  // never-analysed partitions can take minutes).
  LIFT_RETURN_IF_ERROR(ingest::FoldFirstExposureBacklog(*pool_));
  LIFT_RETURN_IF_ERROR(store::RefreshStaleStatistics(*pool_).status());
  const int pre_periods = launch.pre_periods();
  const int post_periods = launch.post_periods();
  if (pre_periods < kMinPrePeriods) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the window has ", pre_periods, " pre-period(s) of a ", PeriodName(launch.period_days),
        " before the launch; difference in differences with a pre-trend check needs at least ",
        kMinPrePeriods, " (raise pre_days or use daily periods)"));
  }
  LIFT_ASSIGN_OR_RETURN(std::vector<metrics::MetricDefinition> definitions,
                        LoadMetrics(metric_keys));

  // The panel, from the database.
  const auto aggregation_start = std::chrono::steady_clock::now();
  LaunchQueryRequest query;
  query.window_start_micros = launch.window_start_micros();
  query.period_micros = launch.period_micros();
  query.periods = pre_periods + post_periods;
  query.treated = resolved.groups.treated;
  query.control = resolved.groups.control;
  query.metrics = definitions;
  LIFT_ASSIGN_OR_RETURN(LaunchPanel panel, LoadLaunchPanel(*pool_, query));
  const double aggregation_seconds = SecondsSince(aggregation_start);

  int64_t treated_units = 0;
  for (const PanelUnit& unit : panel.units) treated_units += unit.treated ? 1 : 0;
  const int64_t control_units = static_cast<int64_t>(panel.units.size()) - treated_units;
  if (treated_units == 0 || control_units == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the ", treated_units == 0 ? "treated" : "control",
        " group has no units with events in the analysis window (treated ", treated_units,
        ", control ", control_units, ", in both groups and excluded ", panel.units_in_both_groups,
        "): check the group conditions and the launch date"));
  }

  // The statistics, per metric.
  const auto stats_start = std::chrono::steady_clock::now();
  v1::LaunchAnalysis analysis;
  LaunchToProto(launch, analysis.mutable_launch());
  analysis.set_window_start_micros(launch.window_start_micros());
  analysis.set_window_end_micros(launch.window_end_micros());
  analysis.set_pre_periods(pre_periods);
  analysis.set_post_periods(post_periods);
  analysis.set_treated_units(treated_units);
  analysis.set_control_units(control_units);
  analysis.set_units_in_both_groups(panel.units_in_both_groups);
  analysis.set_alpha(alpha);
  stats::DidSettings settings;
  settings.alpha = alpha;
  const int periods = pre_periods + post_periods;
  for (size_t m = 0; m < definitions.size(); ++m) {
    const metrics::MetricDefinition& metric = definitions[m];
    std::vector<stats::PanelObservation> observations;
    observations.reserve(panel.units.size() * periods);
    std::vector<double> treated_sum(periods, 0.0), control_sum(periods, 0.0);
    for (size_t u = 0; u < panel.units.size(); ++u) {
      const PanelUnit& unit = panel.units[u];
      for (int t = 0; t < periods; ++t) {
        const double value = unit.values[m][t];
        observations.push_back({static_cast<int64_t>(u), t, unit.treated, value});
        (unit.treated ? treated_sum : control_sum)[t] += value;
      }
    }
    LIFT_ASSIGN_OR_RETURN(stats::TwfeDidResult did,
                          stats::TwoWayFixedEffectsDid(observations, pre_periods, settings));

    v1::LaunchMetricResult* result = analysis.add_metrics();
    result->set_metric_key(metric.key);
    result->set_metric_version(metric.version);
    result->set_name(metric.name);
    result->set_kind(metric.kind);
    result->set_aggregation(metric.numerator.aggregation);
    result->set_direction(metric.direction);
    SetEffect(did.did.effect, result->mutable_absolute());
    for (stats::ResultFlag flag : did.did.flags) result->add_flags(ToProtoFlag(flag));
    double treated_pre_sum = 0.0;
    for (int t = 0; t < pre_periods; ++t) treated_pre_sum += treated_sum[t];
    const double baseline = treated_pre_sum / (static_cast<double>(treated_units) * pre_periods);
    result->set_treated_pre_mean(baseline);
    if (baseline != 0.0) {
      SetEffect(Relative(did.did.effect, baseline), result->mutable_relative());
    } else {
      SetEffect(stats::Estimate{}, result->mutable_relative());
      result->add_flags(v1::LAUNCH_FLAG_ZERO_BASELINE);
    }
    v1::PreTrendCheck* pre_trend = result->mutable_pre_trend();
    SetEffect(did.pre_trend, pre_trend->mutable_placebo());
    pre_trend->set_flagged(did.pre_trend.valid && did.pre_trend.p_value < alpha);
    for (stats::ResultFlag flag : did.pre_trend_flags) pre_trend->add_flags(ToProtoFlag(flag));
    result->set_cr1_factor(did.cr1_factor);
    for (int t = 0; t < periods; ++t) {
      v1::LaunchPeriodMeans* means = result->add_periods();
      means->set_index(t);
      means->set_start_micros(launch.window_start_micros() + t * launch.period_micros());
      means->set_post(t >= pre_periods);
      means->set_treated_mean(treated_sum[t] / static_cast<double>(treated_units));
      means->set_control_mean(control_sum[t] / static_cast<double>(control_units));
      means->set_treated_units(treated_units);
      means->set_control_units(control_units);
    }
  }
  analysis.set_computed_at_micros(now_micros_());
  analysis.set_aggregation_seconds(aggregation_seconds);
  analysis.set_stats_seconds(SecondsSince(stats_start));
  return analysis;
}

}  // namespace lift::launch
