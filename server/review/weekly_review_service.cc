#include "server/review/weekly_review_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/review/alert_rules.h"
#include "server/review/cohort_query.h"
#include "server/review/event_volume_query.h"
#include "server/review/iso_week.h"
#include "server/review/kpi_query.h"
#include "server/metrics/metric_enums.h"
#include "server/review/kpi_status.h"
#include "server/store/table_statistics.h"
#include "server/wall_clock.h"

namespace lift::review {
namespace {

constexpr int kExperimentPage = 500;
constexpr int kWeekDays = 7;


struct Settings {
  IsoWeek week;
  int64_t start = 0;
  int64_t end = 0;
  double alpha = 0;
  double sigmas = 0;
  int cohort_weeks = 0;
  int trend_weeks = 0;
  double gap_ratio = 0;
};

absl::StatusOr<Settings> Validate(const v1::GetWeeklyReviewRequest& request, int64_t now) {
  Settings settings;
  if (request.week().empty()) {
    settings.week = LastCompleteWeek(now);
  } else {
    absl::StatusOr<IsoWeek> week = ParseIsoWeek(request.week());
    if (!week.ok()) return week.status();
    settings.week = *week;
  }
  settings.start = WeekStartMicros(settings.week);
  settings.end = settings.start + kMicrosPerWeek;
  settings.alpha = request.alpha() == 0 ? 0.05 : request.alpha();
  if (!(settings.alpha > 0 && settings.alpha < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("alpha must be in (0, 1) (0 = 0.05), got ", request.alpha()));
  }
  settings.sigmas = request.anomaly_sigmas() == 0 ? kDefaultAnomalySigmas : request.anomaly_sigmas();
  if (!(std::isfinite(settings.sigmas) && settings.sigmas > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "anomaly_sigmas must be finite and > 0 (0 = 3), got ", request.anomaly_sigmas()));
  }
  settings.cohort_weeks =
      request.cohort_weeks() == 0 ? kDefaultCohortWeeks : request.cohort_weeks();
  if (settings.cohort_weeks < 1 || settings.cohort_weeks > kMaxWeeks) {
    return absl::InvalidArgumentError(absl::StrCat("cohort_weeks must be in [1, ", kMaxWeeks,
                                                   "] (0 = 8), got ", request.cohort_weeks()));
  }
  settings.trend_weeks = request.trend_weeks() == 0 ? kDefaultTrendWeeks : request.trend_weeks();
  if (settings.trend_weeks < 2 || settings.trend_weeks > kMaxWeeks) {
    return absl::InvalidArgumentError(absl::StrCat("trend_weeks must be in [2, ", kMaxWeeks,
                                                   "] (0 = 12), got ", request.trend_weeks()));
  }
  settings.gap_ratio =
      request.tracking_gap_ratio() == 0 ? kDefaultTrackingGapRatio : request.tracking_gap_ratio();
  if (!(settings.gap_ratio > 0 && settings.gap_ratio < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tracking_gap_ratio must be in (0, 1) (0 = 0.3), got ", request.tracking_gap_ratio()));
  }
  return settings;
}

v1::KpiChange ChangeAgainst(const v1::WeeklyValue& now, const v1::WeeklyValue& then) {
  v1::KpiChange change;
  change.set_week(then.week());
  change.set_previous(then.value());
  if (!now.defined() || !then.defined()) return change;
  change.set_absolute(now.value() - then.value());
  if (then.value() != 0) {
    change.set_relative((now.value() - then.value()) / std::fabs(then.value()));
    change.set_defined(true);
  }
  return change;
}

// The KPI section: one query for every tiered metric.
absl::Status FillKpis(store::ConnectionPool& pool, const std::vector<metrics::MetricDefinition>& kpis,
                      const Settings& settings, v1::WeeklyReview* review,
                      std::vector<v1::ReviewAlert>* alerts) {
  if (kpis.empty()) return absl::OkStatus();
  const int weeks = std::max(settings.trend_weeks, kAnomalyLookback + 2);
  KpiQueryRequest query;
  query.metrics = kpis;
  query.weeks = weeks;
  query.first_week_start_micros = settings.start - (weeks - 1) * kMicrosPerWeek;
  absl::StatusOr<std::vector<KpiWeekSums>> sums = RunKpiQuery(pool, query);
  if (!sums.ok()) return sums.status();
  for (size_t i = 0; i < kpis.size(); ++i) {
    const metrics::MetricDefinition& metric = kpis[i];
    std::vector<v1::WeeklyValue> all;
    for (int w = 0; w < weeks; ++w) {
      const KpiWeekSums& week = (*sums)[w];
      const int64_t week_start = query.first_week_start_micros + w * kMicrosPerWeek;
      v1::WeeklyValue value;
      value.set_week(FormatIsoWeek(IsoWeekOf(week_start)));
      value.set_week_start_micros(week_start);
      value.set_active_units(week.active_units);
      value.set_numerator_sum(week.numerator_sums[i]);
      value.set_denominator_sum(week.denominator_sums[i]);
      const KpiValueResult result = KpiValue(week.numerator_sums[i], week.denominator_sums[i]);
      value.set_value(result.value);
      value.set_defined(result.defined);
      all.push_back(std::move(value));
    }
    v1::Kpi kpi;
    kpi.set_metric_key(metric.key);
    kpi.set_metric_version(metric.version);
    kpi.set_name(metric.name);
    kpi.set_owner(metric.owner);
    kpi.set_tier(metrics::TierProto(metric.tier));
    kpi.set_kind(metrics::KindProto(metric.kind));
    const bool decrease = metric.direction == "decrease";
    kpi.set_direction(decrease ? v1::METRIC_DIRECTION_DECREASE : v1::METRIC_DIRECTION_INCREASE);
    *kpi.mutable_current() = all.back();
    for (int w = weeks - settings.trend_weeks; w < weeks; ++w) *kpi.add_history() = all[w];
    *kpi.mutable_vs_last_week() = ChangeAgainst(all.back(), all[weeks - 2]);
    if (weeks >= 5) *kpi.mutable_vs_4_weeks_ago() = ChangeAgainst(all.back(), all[weeks - 5]);
    if (metric.target.has_value()) kpi.set_target(*metric.target);
    if (metric.baseline.has_value()) kpi.set_baseline(*metric.baseline);
    if (metric.target.has_value() && *metric.target != 0 && all.back().defined()) {
      kpi.set_target_attainment(all.back().value() / *metric.target);
    }
    if (metric.tier == "key_result") {
      std::vector<WeekPoint> points;
      for (const v1::WeeklyValue& value : kpi.history()) {
        points.push_back({value.week_start_micros(), value.value(), value.defined()});
      }
      std::optional<int64_t> target_date;
      if (!metric.target_date.empty()) {
        absl::StatusOr<int64_t> date = ParseDateMicros(metric.target_date, "target_date");
        if (date.ok()) target_date = *date;
      }
      *kpi.mutable_key_result() =
          KeyResultProgressOf(points, metric.target, metric.baseline, target_date, decrease);
    }
    if (metric.tier == "guardrail") {
      *kpi.mutable_guardrail() =
          GuardrailLevelOf(all.back().value(), all.back().defined(), metric.warning_threshold,
                           metric.alert_threshold, decrease);
    }
    // Anomalies over the full queried range (it includes the 8 previous changes).
    v1::Kpi for_alerts = kpi;
    for_alerts.clear_history();
    for (const v1::WeeklyValue& value : all) *for_alerts.add_history() = value;
    for (v1::ReviewAlert& alert : KpiAlerts(for_alerts, settings.sigmas)) {
      alerts->push_back(std::move(alert));
    }
    if (metric.tier == "north_star") {
      *review->add_north_star() = std::move(kpi);
    } else if (metric.tier == "key_result") {
      *review->add_key_results() = std::move(kpi);
    } else if (metric.tier == "guardrail") {
      *review->add_guardrails() = std::move(kpi);
    } else {
      *review->add_inputs() = std::move(kpi);
    }
  }
  return absl::OkStatus();
}

// The primary (first success) metric's first treatment effect, relative, as fed to the decision.
struct PrimaryEffect {
  std::string metric_key;
  std::string variant;
  v1::Effect effect;
  bool found = false;
};

PrimaryEffect FindPrimaryEffect(const v1::Readout& readout) {
  PrimaryEffect primary;
  for (const v1::MetricResult& metric : readout.metrics()) {
    if (metric.role() != v1::METRIC_ROLE_SUCCESS || metric.effects().empty()) continue;
    const v1::VariantEffect& effect = metric.effects(0);
    primary.metric_key = metric.metric_key();
    primary.variant = effect.variant();
    primary.effect = effect.primary_is_cuped() ? effect.cuped().relative() : effect.relative();
    primary.found = true;
    break;
  }
  return primary;
}

int64_t AnalysedUnits(const v1::Readout& readout) {
  int64_t units = 0;
  for (const v1::ReadoutVariant& variant : readout.variants()) units += variant.units();
  return units;
}

std::string VerdictWord(v1::Decision::Verdict verdict) {
  const std::string name = v1::Decision::Verdict_Name(verdict);
  return name.rfind("VERDICT_", 0) == 0 ? name.substr(8) : name;
}

v1::ExperimentChange ChangeSince(const v1::Readout& now, const v1::Readout* before) {
  v1::ExperimentChange change;
  change.set_verdict(now.decision().verdict());
  change.set_units(AnalysedUnits(now));
  const PrimaryEffect primary = FindPrimaryEffect(now);
  change.set_primary_metric_key(primary.metric_key);
  change.set_variant(primary.variant);
  if (primary.found) *change.mutable_primary_effect() = primary.effect;
  if (before == nullptr) {
    change.set_summary(absl::StrCat("new this week: ", VerdictWord(now.decision().verdict()),
                                    " with ", change.units(), " units"));
    return change;
  }
  change.set_has_previous(true);
  change.set_previous_verdict(before->decision().verdict());
  change.set_verdict_changed(before->decision().verdict() != now.decision().verdict());
  change.set_previous_units(AnalysedUnits(*before));
  const PrimaryEffect previous = FindPrimaryEffect(*before);
  if (previous.found) *change.mutable_previous_primary_effect() = previous.effect;
  std::string summary =
      change.verdict_changed()
          ? absl::StrCat(VerdictWord(before->decision().verdict()), " → ",
                         VerdictWord(now.decision().verdict()))
          : absl::StrCat("still ", VerdictWord(now.decision().verdict()));
  absl::StrAppend(&summary, absl::StrFormat("; units %d → %d", change.previous_units(),
                                            change.units()));
  if (primary.found && previous.found && primary.effect.valid() && previous.effect.valid()) {
    absl::StrAppend(&summary,
                    absl::StrFormat("; %s %+.2f%% → %+.2f%%", primary.metric_key,
                                    100 * previous.effect.estimate(),
                                    100 * primary.effect.estimate()));
  }
  change.set_summary(summary);
  return change;
}

}  // namespace

WeeklyReviewService::WeeklyReviewService(store::ConnectionPool* pool,
                                         experiments::ExperimentStore* experiments,
                                         metrics::MetricStore* metrics,
                                         readout::ReadoutService* readouts,
                                         std::function<int64_t()> now_micros)
    : pool_(pool),
      experiments_(experiments),
      metrics_(metrics),
      readouts_(readouts),
      now_micros_(now_micros ? std::move(now_micros) : WallClockMicros) {}

absl::StatusOr<v1::WeeklyReview> WeeklyReviewService::GetWeeklyReview(
    const v1::GetWeeklyReviewRequest& request) {
  const int64_t now = now_micros_();
  absl::StatusOr<Settings> settings_or = Validate(request, now);
  if (!settings_or.ok()) return settings_or.status();
  const Settings& settings = *settings_or;

  v1::WeeklyReview review;
  review.set_week(FormatIsoWeek(settings.week));
  review.set_week_start_micros(settings.start);
  review.set_week_end_micros(settings.end);
  review.set_computed_at_micros(now);
  review.set_alpha(settings.alpha);
  std::vector<v1::ReviewAlert> alerts;
  // Fresh planner statistics first: a plan on never-analysed partitions can take minutes.
  if (absl::StatusOr<int> analysed = store::RefreshStaleStatistics(*pool_); !analysed.ok()) {
    return analysed.status();
  }

  // --- KPIs ---
  absl::StatusOr<std::vector<metrics::MetricDefinition>> all_metrics = metrics_->ListLatest("");
  if (!all_metrics.ok()) return all_metrics.status();
  std::vector<metrics::MetricDefinition> kpis;
  for (metrics::MetricDefinition& metric : *all_metrics) {
    if (!metric.tier.empty()) kpis.push_back(std::move(metric));
  }
  if (absl::Status status = FillKpis(*pool_, kpis, settings, &review, &alerts); !status.ok()) {
    return status;
  }

  // --- experiments ---
  std::string after;
  while (true) {
    absl::StatusOr<std::vector<experiments::Experiment>> page =
        experiments_->ListExperiments(experiments::ExperimentFilter{}, after, kExperimentPage);
    if (!page.ok()) return page.status();
    for (const experiments::Experiment& experiment : *page) {
      const experiments::Phase* phase = nullptr;
      for (const experiments::Phase& candidate : experiment.phases) {
        const bool overlaps =
            candidate.started_at_micros < settings.end &&
            (candidate.ended_at_micros == 0 || candidate.ended_at_micros > settings.start);
        if (overlaps && (phase == nullptr || candidate.number > phase->number)) phase = &candidate;
      }
      if (phase == nullptr) continue;
      v1::ReviewExperiment* out = review.add_experiments();
      out->set_key(experiment.key);
      out->set_name(experiment.name);
      out->set_owner(experiment.owner);
      out->set_status(std::string(assignment::ExperimentStatusName(experiment.status)));
      out->set_phase(phase->number);
      v1::GetReadoutRequest readout_request;
      readout_request.set_experiment_key(experiment.key);
      readout_request.set_phase(phase->number);
      readout_request.set_alpha(settings.alpha);
      readout_request.set_as_of_micros(settings.end);
      readout_request.set_include_timeseries(true);  // cumulative effect charts
      absl::StatusOr<v1::Readout> readout = readouts_->GetReadout(readout_request);
      readout_request.set_include_timeseries(false);
      if (!readout.ok()) {
        if (readout.status().code() == absl::StatusCode::kUnavailable) return readout.status();
        out->set_error(std::string(readout.status().message()));
      } else {
        std::optional<v1::Readout> previous;
        if (phase->started_at_micros < settings.start) {
          readout_request.set_as_of_micros(settings.start);
          absl::StatusOr<v1::Readout> before = readouts_->GetReadout(readout_request);
          if (!before.ok() && before.status().code() == absl::StatusCode::kUnavailable) {
            return before.status();
          }
          if (before.ok()) previous = std::move(*before);
        }
        *out->mutable_change() =
            ChangeSince(*readout, previous.has_value() ? &*previous : nullptr);
        *out->mutable_readout() = std::move(*readout);
      }
      for (v1::ReviewAlert& alert : ExperimentAlerts(*out)) alerts.push_back(std::move(alert));
    }
    if (static_cast<int>(page->size()) < kExperimentPage) break;
    after = page->back().key;
  }

  // --- audience: cohorts and DAU/MAU ---
  CohortQueryRequest cohort_request;
  cohort_request.cohorts = settings.cohort_weeks;
  cohort_request.first_cohort_start_micros =
      settings.start - (settings.cohort_weeks - 1) * kMicrosPerWeek;
  absl::StatusOr<CohortCounts> cohorts = RunCohortQuery(*pool_, cohort_request);
  if (!cohorts.ok()) return cohorts.status();
  for (int c = 0; c < settings.cohort_weeks; ++c) {
    const int64_t cohort_start = cohort_request.first_cohort_start_micros + c * kMicrosPerWeek;
    v1::Cohort* cohort = review.add_cohorts();
    cohort->set_week(FormatIsoWeek(IsoWeekOf(cohort_start)));
    cohort->set_week_start_micros(cohort_start);
    const std::vector<int64_t>& counts = (*cohorts)[c];
    cohort->set_units(counts.empty() ? 0 : counts[0]);
    for (int64_t active : counts) {
      cohort->add_active_units(active);
      cohort->add_retention(cohort->units() > 0 ? static_cast<double>(active) / cohort->units()
                                                : 0.0);
    }
  }
  const int64_t trend_start = settings.start - (settings.trend_weeks - 1) * kMicrosPerWeek;
  absl::StatusOr<std::vector<DauMauCounts>> dau_mau =
      RunDauMauQuery(*pool_, trend_start, settings.trend_weeks);
  if (!dau_mau.ok()) return dau_mau.status();
  for (int w = 0; w < settings.trend_weeks; ++w) {
    const int64_t week_start = trend_start + w * kMicrosPerWeek;
    v1::DauMau* out = review.add_dau_mau_trend();
    out->set_week(FormatIsoWeek(IsoWeekOf(week_start)));
    out->set_week_start_micros(week_start);
    out->set_dau(static_cast<double>((*dau_mau)[w].unit_days) / kWeekDays);
    out->set_mau((*dau_mau)[w].mau);
    out->set_ratio(out->mau() > 0 ? out->dau() / static_cast<double>(out->mau()) : 0.0);
  }
  *review.mutable_dau_mau() = review.dau_mau_trend(settings.trend_weeks - 1);

  // --- tracking gaps ---
  const int64_t volume_start = settings.start - kTrailingDays * kMicrosPerDay;
  absl::StatusOr<EventVolumes> volumes =
      RunEventVolumeQuery(*pool_, volume_start, kTrailingDays + kWeekDays);
  if (!volumes.ok()) return volumes.status();
  for (const auto& [event, daily] : *volumes) {
    std::optional<v1::ReviewAlert> alert =
        TrackingGapAlert(event, daily, volume_start, kWeekDays, settings.gap_ratio);
    if (alert.has_value()) alerts.push_back(std::move(*alert));
  }

  // --- launches whose post-launch window overlaps the week ---
  if (launches_ != nullptr) {
    v1::ListLaunchesRequest list;
    list.set_launched_from_micros(settings.start - kMaxLaunchLookbackDays * kMicrosPerDay);
    list.set_launched_to_micros(settings.end);
    absl::StatusOr<v1::ListLaunchesResponse> listed = launches_->List(list);
    if (!listed.ok()) return listed.status();
    for (const v1::Launch& launch : listed->launches()) {
      const int64_t post_end = launch.launch_at_micros() + launch.post_days() * kMicrosPerDay;
      if (post_end <= settings.start) continue;
      v1::ReviewLaunch* out = review.add_launches();
      *out->mutable_launch() = launch;
      v1::AnalyzeLaunchRequest analyze;
      analyze.set_launch_key(launch.key());
      analyze.set_alpha(settings.alpha);
      absl::StatusOr<v1::LaunchAnalysis> analysis = launches_->Analyze(analyze);
      if (analysis.ok()) {
        *out->mutable_analysis() = std::move(*analysis);
      } else if (analysis.status().code() == absl::StatusCode::kUnavailable) {
        return analysis.status();
      } else {
        out->set_error(std::string(analysis.status().message()));
      }
    }
  }

  SortAlerts(&alerts);
  for (v1::ReviewAlert& alert : alerts) *review.add_alerts() = std::move(alert);
  return review;
}

}  // namespace lift::review
