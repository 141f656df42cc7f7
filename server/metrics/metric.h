// A metric definition as the metric service manages it (proto/lift/v1/metrics.proto), its rules,
// and its canonical JSON form (used to compare versions, print diffs and fill the audit log).
//
// Enumerations are kept as their lower_snake_case names (the names stored in
// migrations/0004_metrics.up.sql): kind "proportion" | "mean" | "ratio" | "retention",
// aggregation "sum" | "count" | "max" | "any", capping "none" | "absolute" | "percentile",
// direction "increase" | "decrease", tier "" | "north_star" | "key_result" | "guardrail" |
// "input", filter operator "equal" | "not_equal" | "in" | "not_in".
//
// Thread safety: plain data and pure functions.
#ifndef LIFT_SERVER_METRICS_METRIC_H_
#define LIFT_SERVER_METRICS_METRIC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace lift::metrics {

inline constexpr int kDefaultCupedPrePeriodDays = 14;
inline constexpr int kMaxCupedPrePeriodDays = 365;
inline constexpr size_t kMaxFilters = 20;
inline constexpr size_t kMaxFilterValues = 1000;

struct PropertyFilter {
  std::string property;
  std::string op;  // "equal", "not_equal", "in", "not_in"
  std::vector<std::string> values;
  bool operator==(const PropertyFilter& other) const {
    return property == other.property && op == other.op && values == other.values;
  }
};

struct EventSelector {
  std::string event;
  std::string aggregation;  // "" = the kind's default (Normalize fills it)
  std::vector<PropertyFilter> filters;
};

struct MetricDefinition {
  std::string key;
  int64_t version = 0;  // output: 1, 2, ...
  std::string name;
  std::string description;
  std::string owner;
  std::string kind;
  EventSelector numerator;
  std::optional<EventSelector> denominator;  // ratio metrics only
  int64_t window_start_seconds = 0;
  int64_t window_duration_seconds = 0;  // 0 = until the phase's end
  std::string capping = "none";
  double capping_value = 0.0;
  std::string direction = "increase";
  int cuped_pre_period_days = kDefaultCupedPrePeriodDays;  // 0 = no CUPED
  std::optional<double> mde;
  std::optional<double> target;
  std::optional<double> baseline;
  std::string tier;
  // Weekly review KPI fields (migrations/0007_review.up.sql): key results' target date
  // "YYYY-MM-DD" ("" = none); guardrail KPIs' thresholds (see metrics.proto).
  std::string target_date;
  std::optional<double> warning_threshold;
  std::optional<double> alert_threshold;
  int64_t created_at_micros = 0;  // output
  std::string created_by;         // output
};

// True for kinds whose per-unit value is 0/1 (proportion, retention).
bool IsBinaryKind(const std::string& kind);

// Fills defaults: aggregation "" -> "any" for proportion/retention, else "sum"; capping "" ->
// "none"; direction "" -> "increase"; proportion/retention numerators always aggregate "any".
void Normalize(MetricDefinition* metric);

// OK, or InvalidArgument naming the first field that breaks a rule, prefixed by `field_prefix`
// (e.g. "metrics[2]."): key pattern and lengths, kind, events, aggregation, filters (operator,
// value counts), denominator present exactly for ratio metrics, window >= 0 (retention needs a
// duration), capping value (> 0 absolute; in (0, 1) percentile), direction, CUPED days in
// [0, 365], mde > 0, finite target/baseline, tier, target_date a real YYYY-MM-DD date, finite
// thresholds with the alert threshold not on the good side of the warning threshold.
absl::Status ValidateMetric(const MetricDefinition& metric, const std::string& field_prefix = "");

// The definition's fields (not version / created_*), with the proto's field names; equal JSON =
// equal definition. The weekly review fields (target_date, warning_threshold, alert_threshold)
// appear only when set, so definitions stored before they existed compare unchanged.
nlohmann::json DefinitionJson(const MetricDefinition& metric);
// The inverse of DefinitionJson (key, version and created_* are left as given in `into`).
// InvalidArgument when a field has the wrong JSON type.
absl::Status DefinitionFromJson(const nlohmann::json& json, MetricDefinition* into);
// Filters as stored in the database ([{"property", "operator", "values"}]).
nlohmann::json FiltersJson(const std::vector<PropertyFilter>& filters);
absl::Status FiltersFromJson(const nlohmann::json& json, std::vector<PropertyFilter>* filters);

struct FieldChange {
  std::string field;
  std::string before;  // JSON text, "" when absent
  std::string after;   // JSON text, "" when absent
};
// Fields whose values differ between two DefinitionJson documents, in field order of `after`
// (then fields only in `before`).
std::vector<FieldChange> DiffDefinitions(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace lift::metrics

#endif  // LIFT_SERVER_METRICS_METRIC_H_
