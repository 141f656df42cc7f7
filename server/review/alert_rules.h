// Alert rules of the weekly review: pure functions from numbers (or a finished section of the
// review) to ReviewAlert lines. No I/O.
//
//   anomaly       this week's change Δ = v[t] - v[t-1] against the previous kAnomalyLookback
//                 weekly changes (mean m, sample standard deviation s): z = (Δ - m) / s, alert
//                 when |z| > sigmas (a z-score / control-chart rule on first differences, so a
//                 steady trend is not an anomaly). Needs kMinPreviousChanges previous changes;
//                 s = 0 alerts on any Δ ≠ m.
//   tracking gap  for each day of the review week, its count against the median daily count of
//                 the 28 days before it (days without events count 0): a gap when the median is
//                 at least kMinTrailingMedian and count < ratio × median. One alert per event, at
//                 its worst day; CRITICAL when the day has no event at all.
//   threshold     a guardrail KPI at YELLOW (WARNING) or RED (CRITICAL).
//   experiment    INVALID readout (CRITICAL), DONT_SHIP (WARNING), a readout that failed
//                 (WARNING), a verdict that changed since last week (INFO).
// SortAlerts orders by severity (critical first), then kind, then subject.
//
// Thread safety: pure functions.
#ifndef LIFT_SERVER_REVIEW_ALERT_RULES_H_
#define LIFT_SERVER_REVIEW_ALERT_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lift/v1/readouts.pb.h"

namespace lift::review {

inline constexpr int kAnomalyLookback = 8;
inline constexpr int kMinPreviousChanges = 3;
inline constexpr int kTrailingDays = 28;
inline constexpr double kMinTrailingMedian = 10.0;

struct AnomalyCheck {
  bool evaluated = false;  // enough defined weeks to judge
  bool anomalous = false;
  double change = 0;       // Δ of the last week
  double mean_change = 0;  // m
  double sd_change = 0;    // s
  double z = 0;            // (Δ - m) / s; ±inf when s = 0 and Δ ≠ m
  int previous_changes = 0;
};

// `values` oldest first, the review week last; nullopt = undefined week. A change exists only
// between two consecutive defined weeks. Precondition: sigmas > 0.
AnomalyCheck CheckAnomaly(const std::vector<std::optional<double>>& values, double sigmas);

struct TrackingGap {
  int day = 0;                 // index into the counts passed
  int64_t count = 0;
  double trailing_median = 0;
};

// `daily` = kTrailingDays days before the review week followed by its days, oldest first; the
// worst gap among the last `week_days` days (lowest count / median), or nullopt.
std::optional<TrackingGap> FindTrackingGap(const std::vector<int64_t>& daily, int week_days,
                                           double ratio);

// Median of `values` (mean of the two middle ones for an even count); 0 when empty.
double Median(std::vector<double> values);

// The alert lines of each rule (empty when nothing to say).
std::vector<v1::ReviewAlert> KpiAlerts(const v1::Kpi& kpi, double sigmas);
std::optional<v1::ReviewAlert> TrackingGapAlert(const std::string& event,
                                                const std::vector<int64_t>& daily,
                                                int64_t first_day_micros, int week_days,
                                                double ratio);
std::vector<v1::ReviewAlert> ExperimentAlerts(const v1::ReviewExperiment& experiment);

void SortAlerts(std::vector<v1::ReviewAlert>* alerts);

}  // namespace lift::review

#endif  // LIFT_SERVER_REVIEW_ALERT_RULES_H_
