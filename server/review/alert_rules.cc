#include "server/review/alert_rules.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/review/iso_week.h"

namespace lift::review {
namespace {

v1::ReviewAlert MakeAlert(v1::ReviewAlert::Kind kind, v1::ReviewAlert::Severity severity,
                          const std::string& subject, const std::string& message) {
  v1::ReviewAlert alert;
  alert.set_kind(kind);
  alert.set_severity(severity);
  alert.set_subject(subject);
  alert.set_message(message);
  return alert;
}

std::string VerdictWord(v1::Decision::Verdict verdict) {
  std::string name = v1::Decision::Verdict_Name(verdict);
  return name.rfind("VERDICT_", 0) == 0 ? name.substr(8) : name;
}

std::string KpiName(const v1::Kpi& kpi) {
  return kpi.name().empty() ? kpi.metric_key() : kpi.name();
}

}  // namespace

double Median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

AnomalyCheck CheckAnomaly(const std::vector<std::optional<double>>& values, double sigmas) {
  AnomalyCheck check;
  const int n = static_cast<int>(values.size());
  if (n < 2 || !values[n - 1].has_value() || !values[n - 2].has_value()) return check;
  check.change = *values[n - 1] - *values[n - 2];
  std::vector<double> previous;
  for (int t = std::max(1, n - 1 - kAnomalyLookback); t < n - 1; ++t) {
    if (values[t].has_value() && values[t - 1].has_value()) {
      previous.push_back(*values[t] - *values[t - 1]);
    }
  }
  check.previous_changes = static_cast<int>(previous.size());
  if (check.previous_changes < kMinPreviousChanges) return check;
  check.evaluated = true;
  double mean = 0;
  for (double change : previous) mean += change;
  mean /= previous.size();
  double squares = 0;
  for (double change : previous) squares += (change - mean) * (change - mean);
  check.mean_change = mean;
  check.sd_change = std::sqrt(squares / (previous.size() - 1));
  const double deviation = check.change - mean;
  if (check.sd_change > 0) {
    check.z = deviation / check.sd_change;
  } else {
    const double scale = std::max({1.0, std::fabs(check.change), std::fabs(mean)});
    check.z = std::fabs(deviation) > 1e-12 * scale
                  ? std::copysign(std::numeric_limits<double>::infinity(), deviation)
                  : 0.0;
  }
  check.anomalous = std::fabs(check.z) > sigmas;
  return check;
}

std::optional<TrackingGap> FindTrackingGap(const std::vector<int64_t>& daily, int week_days,
                                           double ratio) {
  std::optional<TrackingGap> worst;
  double worst_share = std::numeric_limits<double>::infinity();
  const int n = static_cast<int>(daily.size());
  for (int day = std::max(kTrailingDays, n - week_days); day < n; ++day) {
    std::vector<double> trailing;
    for (int t = day - kTrailingDays; t < day; ++t) trailing.push_back(static_cast<double>(daily[t]));
    const double median = Median(std::move(trailing));
    if (median < kMinTrailingMedian) continue;
    const double share = static_cast<double>(daily[day]) / median;
    if (share < ratio && share < worst_share) {
      worst_share = share;
      worst = TrackingGap{day, daily[day], median};
    }
  }
  return worst;
}

std::vector<v1::ReviewAlert> KpiAlerts(const v1::Kpi& kpi, double sigmas) {
  std::vector<v1::ReviewAlert> alerts;
  const v1::GuardrailLevel::Level level = kpi.guardrail().level();
  if (level == v1::GuardrailLevel::LEVEL_RED || level == v1::GuardrailLevel::LEVEL_YELLOW) {
    const bool red = level == v1::GuardrailLevel::LEVEL_RED;
    const double threshold =
        red ? kpi.guardrail().alert_threshold() : kpi.guardrail().warning_threshold();
    alerts.push_back(MakeAlert(
        v1::ReviewAlert::KIND_THRESHOLD,
        red ? v1::ReviewAlert::SEVERITY_CRITICAL : v1::ReviewAlert::SEVERITY_WARNING,
        kpi.metric_key(),
        absl::StrFormat("%s is %.4g, %s its %s threshold %.4g", KpiName(kpi),
                        kpi.current().value(),
                        kpi.direction() == v1::METRIC_DIRECTION_DECREASE ? "above" : "below",
                        red ? "alert" : "warning", threshold)));
  }
  std::vector<std::optional<double>> values;
  for (const v1::WeeklyValue& week : kpi.history()) {
    values.push_back(week.defined() ? std::optional<double>(week.value()) : std::nullopt);
  }
  const AnomalyCheck anomaly = CheckAnomaly(values, sigmas);
  if (anomaly.anomalous) {
    const bool bad = (anomaly.change < 0) != (kpi.direction() == v1::METRIC_DIRECTION_DECREASE);
    alerts.push_back(MakeAlert(
        v1::ReviewAlert::KIND_ANOMALY,
        bad ? v1::ReviewAlert::SEVERITY_WARNING : v1::ReviewAlert::SEVERITY_INFO,
        kpi.metric_key(),
        absl::StrFormat("%s moved %+.4g week over week (%s), %s; usual change %+.4g ± %.4g over "
                        "the previous %d weeks",
                        KpiName(kpi), anomaly.change,
                        std::isinf(anomaly.z) ? std::string("after flat weeks")
                                              : absl::StrFormat("z = %+.1f", anomaly.z),
                        bad ? "in the bad direction" : "in the good direction",
                        anomaly.mean_change, anomaly.sd_change, anomaly.previous_changes)));
  }
  return alerts;
}

std::optional<v1::ReviewAlert> TrackingGapAlert(const std::string& event,
                                                const std::vector<int64_t>& daily,
                                                int64_t first_day_micros, int week_days,
                                                double ratio) {
  const std::optional<TrackingGap> gap = FindTrackingGap(daily, week_days, ratio);
  if (!gap.has_value()) return std::nullopt;
  const std::string day = FormatDate(first_day_micros + gap->day * kMicrosPerDay);
  return MakeAlert(
      v1::ReviewAlert::KIND_TRACKING_GAP,
      gap->count == 0 ? v1::ReviewAlert::SEVERITY_CRITICAL : v1::ReviewAlert::SEVERITY_WARNING,
      event,
      absl::StrFormat("event '%s' was logged %d times on %s, %.0f%% below its trailing %d-day "
                      "median of %.4g a day: check its tracking",
                      event, gap->count, day,
                      100 * (1 - static_cast<double>(gap->count) / gap->trailing_median),
                      kTrailingDays, gap->trailing_median));
}

std::vector<v1::ReviewAlert> ExperimentAlerts(const v1::ReviewExperiment& experiment) {
  std::vector<v1::ReviewAlert> alerts;
  if (!experiment.error().empty()) {
    alerts.push_back(MakeAlert(v1::ReviewAlert::KIND_EXPERIMENT, v1::ReviewAlert::SEVERITY_WARNING,
                               experiment.key(),
                               absl::StrCat("no readout for ", experiment.key(), ": ",
                                            experiment.error())));
    return alerts;
  }
  const v1::Decision& decision = experiment.readout().decision();
  const std::string first_reason = decision.reasons().empty() ? "" : decision.reasons(0);
  if (decision.verdict() == v1::Decision::VERDICT_INVALID) {
    alerts.push_back(MakeAlert(
        v1::ReviewAlert::KIND_EXPERIMENT, v1::ReviewAlert::SEVERITY_CRITICAL, experiment.key(),
        absl::StrCat(experiment.key(), " is INVALID: ", first_reason)));
  } else if (decision.verdict() == v1::Decision::VERDICT_DONT_SHIP) {
    alerts.push_back(MakeAlert(
        v1::ReviewAlert::KIND_EXPERIMENT, v1::ReviewAlert::SEVERITY_WARNING, experiment.key(),
        absl::StrCat(experiment.key(), " should not ship: ", first_reason)));
  }
  const v1::ExperimentChange& change = experiment.change();
  if (change.has_previous() && change.verdict_changed()) {
    alerts.push_back(MakeAlert(
        v1::ReviewAlert::KIND_EXPERIMENT, v1::ReviewAlert::SEVERITY_INFO, experiment.key(),
        absl::StrCat(experiment.key(), " changed verdict: ", VerdictWord(change.previous_verdict()),
                     " → ", VerdictWord(change.verdict()))));
  }
  return alerts;
}

void SortAlerts(std::vector<v1::ReviewAlert>* alerts) {
  std::stable_sort(alerts->begin(), alerts->end(),
                   [](const v1::ReviewAlert& a, const v1::ReviewAlert& b) {
                     return std::make_tuple(-static_cast<int>(a.severity()),
                                            static_cast<int>(a.kind()), a.subject()) <
                            std::make_tuple(-static_cast<int>(b.severity()),
                                            static_cast<int>(b.kind()), b.subject());
                   });
}

}  // namespace lift::review
