#include "server/metrics/metric.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <regex>
#include <set>

#include "absl/strings/str_cat.h"

namespace lift::metrics {
namespace {

constexpr size_t kMaxKeyLength = 100;
constexpr size_t kMaxNameLength = 200;
constexpr size_t kMaxTextLength = 10'000;
constexpr size_t kMaxEventLength = 200;
constexpr size_t kMaxPropertyLength = 100;
constexpr size_t kMaxValueLength = 1000;

// "YYYY-MM-DD" naming a real day of the proleptic Gregorian calendar.
bool IsCalendarDate(const std::string& text) {
  static const std::regex kDatePattern("^([0-9]{4})-([0-9]{2})-([0-9]{2})$");
  std::smatch match;
  if (!std::regex_match(text, match, kDatePattern)) return false;
  const int year = std::stoi(match[1]);
  const int month = std::stoi(match[2]);
  const int day = std::stoi(match[3]);
  if (year < 1970 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

bool OneOf(const std::string& value, std::initializer_list<const char*> allowed) {
  for (const char* candidate : allowed) {
    if (value == candidate) return true;
  }
  return false;
}

absl::Status Invalid(const std::string& prefix, const std::string& field,
                     const std::string& rule) {
  return absl::InvalidArgumentError(absl::StrCat(prefix, field, " ", rule));
}

absl::Status ValidateSelector(const EventSelector& selector, const std::string& prefix,
                              const std::string& field) {
  const std::string name = absl::StrCat(field, ".");
  if (selector.event.empty()) return Invalid(prefix, name + "event", "is required");
  if (selector.event.size() > kMaxEventLength) {
    return Invalid(prefix, name + "event", absl::StrCat("must be at most ", kMaxEventLength,
                                                        " characters"));
  }
  if (!OneOf(selector.aggregation, {"sum", "count", "max", "any"})) {
    return Invalid(prefix, name + "aggregation",
                   absl::StrCat("must be sum, count, max or any, got '", selector.aggregation,
                                "'"));
  }
  if (selector.filters.size() > kMaxFilters) {
    return Invalid(prefix, name + "filters", absl::StrCat("must have at most ", kMaxFilters,
                                                          " conditions"));
  }
  for (size_t i = 0; i < selector.filters.size(); ++i) {
    const PropertyFilter& filter = selector.filters[i];
    const std::string at = absl::StrCat(name, "filters[", i, "].");
    if (filter.property.empty() || filter.property.size() > kMaxPropertyLength) {
      return Invalid(prefix, at + "property",
                     absl::StrCat("must have 1..", kMaxPropertyLength, " characters"));
    }
    if (!OneOf(filter.op, {"equal", "not_equal", "in", "not_in"})) {
      return Invalid(prefix, at + "operator",
                     absl::StrCat("must be equal, not_equal, in or not_in, got '", filter.op,
                                  "'"));
    }
    const bool single = filter.op == "equal" || filter.op == "not_equal";
    if (single && filter.values.size() != 1) {
      return Invalid(prefix, at + "values",
                     absl::StrCat("must have exactly one value for ", filter.op, ", got ",
                                  filter.values.size()));
    }
    if (filter.values.empty() || filter.values.size() > kMaxFilterValues) {
      return Invalid(prefix, at + "values",
                     absl::StrCat("must have 1..", kMaxFilterValues, " values, got ",
                                  filter.values.size()));
    }
    for (size_t j = 0; j < filter.values.size(); ++j) {
      if (filter.values[j].size() > kMaxValueLength) {
        return Invalid(prefix, absl::StrCat(at, "values[", j, "]"),
                       absl::StrCat("must be at most ", kMaxValueLength, " characters"));
      }
    }
  }
  return absl::OkStatus();
}

// The integer at json[field] (`fallback` when absent); nullopt when it is not a whole number that
// fits Int (json.value() would convert 1e300 to an int: undefined behaviour).
template <typename Int>
std::optional<Int> IntegerField(const nlohmann::json& json, const char* field, Int fallback) {
  const auto it = json.find(field);
  if (it == json.end()) return fallback;
  if (!it->is_number_integer()) return std::nullopt;
  // Compared as the type nlohmann stored: comparing an unsigned value >= 2^63 with a signed bound
  // casts it to a negative int64 first.
  if (it->is_number_unsigned()) {
    const uint64_t value = it->template get<uint64_t>();
    if (value > static_cast<uint64_t>(std::numeric_limits<Int>::max())) return std::nullopt;
    return static_cast<Int>(value);
  }
  const int64_t value = it->template get<int64_t>();
  if (value < std::numeric_limits<Int>::min() || value > std::numeric_limits<Int>::max()) {
    return std::nullopt;
  }
  return static_cast<Int>(value);
}

nlohmann::json SelectorJson(const EventSelector& selector) {
  return nlohmann::json{{"event", selector.event},
                        {"aggregation", selector.aggregation},
                        {"filters", FiltersJson(selector.filters)}};
}

absl::Status SelectorFromJson(const nlohmann::json& json, EventSelector* selector) {
  if (!json.is_object()) return absl::InvalidArgumentError("event selector must be an object");
  selector->event = json.value("event", "");
  selector->aggregation = json.value("aggregation", "");
  return FiltersFromJson(json.value("filters", nlohmann::json::array()), &selector->filters);
}

}  // namespace

bool IsBinaryKind(const std::string& kind) { return kind == "proportion" || kind == "retention"; }

void Normalize(MetricDefinition* metric) {
  if (IsBinaryKind(metric->kind)) {
    metric->numerator.aggregation = "any";
  } else if (metric->numerator.aggregation.empty()) {
    metric->numerator.aggregation = "sum";
  }
  if (metric->denominator.has_value() && metric->denominator->aggregation.empty()) {
    metric->denominator->aggregation = "sum";
  }
  if (metric->capping.empty()) metric->capping = "none";
  if (metric->capping == "none") metric->capping_value = 0.0;
  if (metric->direction.empty()) metric->direction = "increase";
}

absl::Status ValidateMetric(const MetricDefinition& metric, const std::string& prefix) {
  static const std::regex kKeyPattern("^[a-z0-9_.-]+$");
  if (metric.key.empty() || metric.key.size() > kMaxKeyLength ||
      !std::regex_match(metric.key, kKeyPattern)) {
    return Invalid(prefix, "key",
                   absl::StrCat("must match [a-z0-9_.-]+ with 1..", kMaxKeyLength,
                                " characters, got '", metric.key, "'"));
  }
  if (metric.name.size() > kMaxNameLength) {
    return Invalid(prefix, "name", absl::StrCat("must be at most ", kMaxNameLength, " characters"));
  }
  if (metric.owner.size() > kMaxNameLength) {
    return Invalid(prefix, "owner",
                   absl::StrCat("must be at most ", kMaxNameLength, " characters"));
  }
  if (metric.description.size() > kMaxTextLength) {
    return Invalid(prefix, "description",
                   absl::StrCat("must be at most ", kMaxTextLength, " characters"));
  }
  if (!OneOf(metric.kind, {"proportion", "mean", "ratio", "retention"})) {
    return Invalid(prefix, "kind",
                   absl::StrCat("must be proportion, mean, ratio or retention, got '", metric.kind,
                                "'"));
  }
  if (absl::Status status = ValidateSelector(metric.numerator, prefix, "numerator");
      !status.ok()) {
    return status;
  }
  if (metric.kind == "ratio") {
    if (!metric.denominator.has_value()) {
      return Invalid(prefix, "denominator.event", "is required for kind ratio");
    }
    if (absl::Status status = ValidateSelector(*metric.denominator, prefix, "denominator");
        !status.ok()) {
      return status;
    }
  } else if (metric.denominator.has_value()) {
    return Invalid(prefix, "denominator",
                   absl::StrCat("is only allowed for kind ratio, got kind ", metric.kind));
  }
  if (metric.window_start_seconds < 0) {
    return Invalid(prefix, "window_start_seconds",
                   absl::StrCat("must be >= 0, got ", metric.window_start_seconds));
  }
  if (metric.window_duration_seconds < 0) {
    return Invalid(prefix, "window_duration_seconds",
                   absl::StrCat("must be >= 0, got ", metric.window_duration_seconds));
  }
  if (metric.kind == "retention" && metric.window_duration_seconds == 0) {
    return Invalid(prefix, "window_duration_seconds",
                   "must be > 0 for kind retention (active again on day N..M)");
  }
  if (!OneOf(metric.capping, {"none", "absolute", "percentile"})) {
    return Invalid(prefix, "capping",
                   absl::StrCat("must be none, absolute or percentile, got '", metric.capping,
                                "'"));
  }
  if (metric.capping == "absolute" &&
      !(std::isfinite(metric.capping_value) && metric.capping_value > 0)) {
    return Invalid(prefix, "capping_value",
                   absl::StrCat("must be finite and > 0 for absolute capping, got ",
                                metric.capping_value));
  }
  if (metric.capping == "percentile" &&
      !(metric.capping_value > 0 && metric.capping_value < 1)) {
    return Invalid(prefix, "capping_value",
                   absl::StrCat("must be in (0, 1) for percentile capping, got ",
                                metric.capping_value));
  }
  if (!OneOf(metric.direction, {"increase", "decrease"})) {
    return Invalid(prefix, "direction",
                   absl::StrCat("must be increase or decrease, got '", metric.direction, "'"));
  }
  if (metric.cuped_pre_period_days < 0 || metric.cuped_pre_period_days > kMaxCupedPrePeriodDays) {
    return Invalid(prefix, "cuped_pre_period_days",
                   absl::StrCat("must be in [0, ", kMaxCupedPrePeriodDays, "], got ",
                                metric.cuped_pre_period_days));
  }
  if (metric.mde.has_value() && !(std::isfinite(*metric.mde) && *metric.mde > 0)) {
    return Invalid(prefix, "mde", absl::StrCat("must be finite and > 0, got ", *metric.mde));
  }
  if (metric.target.has_value() && !std::isfinite(*metric.target)) {
    return Invalid(prefix, "target", "must be finite");
  }
  if (metric.baseline.has_value() && !std::isfinite(*metric.baseline)) {
    return Invalid(prefix, "baseline", "must be finite");
  }
  if (!OneOf(metric.tier, {"", "north_star", "key_result", "guardrail", "input"})) {
    return Invalid(prefix, "tier",
                   absl::StrCat("must be north_star, key_result, guardrail or input, got '",
                                metric.tier, "'"));
  }
  if (!metric.target_date.empty() && !IsCalendarDate(metric.target_date)) {
    return Invalid(prefix, "target_date",
                   absl::StrCat("must be a date YYYY-MM-DD, got '", metric.target_date, "'"));
  }
  if (metric.warning_threshold.has_value() && !std::isfinite(*metric.warning_threshold)) {
    return Invalid(prefix, "warning_threshold", "must be finite");
  }
  if (metric.alert_threshold.has_value() && !std::isfinite(*metric.alert_threshold)) {
    return Invalid(prefix, "alert_threshold", "must be finite");
  }
  if (metric.warning_threshold.has_value() && metric.alert_threshold.has_value()) {
    const bool decrease = metric.direction == "decrease";
    const double warning = *metric.warning_threshold;
    const double alert = *metric.alert_threshold;
    if (decrease ? alert < warning : alert > warning) {
      return Invalid(prefix, "alert_threshold",
                     absl::StrCat("must be ", decrease ? ">=" : "<=",
                                  " warning_threshold for a metric whose good direction is ",
                                  metric.direction, ", got ", alert, " vs ", warning));
    }
  }
  return absl::OkStatus();
}

nlohmann::json FiltersJson(const std::vector<PropertyFilter>& filters) {
  nlohmann::json out = nlohmann::json::array();
  for (const PropertyFilter& filter : filters) {
    out.push_back({{"property", filter.property}, {"operator", filter.op},
                   {"values", filter.values}});
  }
  return out;
}

absl::Status FiltersFromJson(const nlohmann::json& json, std::vector<PropertyFilter>* filters) {
  filters->clear();
  if (!json.is_array()) return absl::InvalidArgumentError("filters must be a JSON array");
  try {
    for (const nlohmann::json& item : json) {
      PropertyFilter filter;
      filter.property = item.at("property").get<std::string>();
      filter.op = item.at("operator").get<std::string>();
      filter.values = item.at("values").get<std::vector<std::string>>();
      filters->push_back(std::move(filter));
    }
  } catch (const nlohmann::json::exception& error) {
    return absl::InvalidArgumentError(absl::StrCat("filters: ", error.what()));
  }
  return absl::OkStatus();
}

nlohmann::json DefinitionJson(const MetricDefinition& metric) {
  nlohmann::json out;
  out["name"] = metric.name;
  out["description"] = metric.description;
  out["owner"] = metric.owner;
  out["kind"] = metric.kind;
  out["numerator"] = SelectorJson(metric.numerator);
  out["denominator"] =
      metric.denominator.has_value() ? SelectorJson(*metric.denominator) : nlohmann::json();
  out["window_start_seconds"] = metric.window_start_seconds;
  out["window_duration_seconds"] = metric.window_duration_seconds;
  out["capping"] = metric.capping;
  out["capping_value"] = metric.capping_value;
  out["direction"] = metric.direction;
  out["cuped_pre_period_days"] = metric.cuped_pre_period_days;
  auto optional = [](const std::optional<double>& value) {
    return value.has_value() ? nlohmann::json(*value) : nlohmann::json();
  };
  out["mde"] = optional(metric.mde);
  out["target"] = optional(metric.target);
  out["baseline"] = optional(metric.baseline);
  out["tier"] = metric.tier;
  if (!metric.target_date.empty()) out["target_date"] = metric.target_date;
  if (metric.warning_threshold.has_value()) out["warning_threshold"] = *metric.warning_threshold;
  if (metric.alert_threshold.has_value()) out["alert_threshold"] = *metric.alert_threshold;
  return out;
}

absl::Status DefinitionFromJson(const nlohmann::json& json, MetricDefinition* into) {
  try {
    into->name = json.value("name", "");
    into->description = json.value("description", "");
    into->owner = json.value("owner", "");
    into->kind = json.value("kind", "");
    if (absl::Status status = SelectorFromJson(json.at("numerator"), &into->numerator);
        !status.ok()) {
      return status;
    }
    into->denominator.reset();
    if (json.contains("denominator") && !json["denominator"].is_null()) {
      EventSelector denominator;
      if (absl::Status status = SelectorFromJson(json["denominator"], &denominator);
          !status.ok()) {
        return status;
      }
      into->denominator = std::move(denominator);
    }
    const std::optional<int64_t> window_start =
        IntegerField<int64_t>(json, "window_start_seconds", 0);
    const std::optional<int64_t> window_duration =
        IntegerField<int64_t>(json, "window_duration_seconds", 0);
    const std::optional<int> cuped_days =
        IntegerField<int>(json, "cuped_pre_period_days", kDefaultCupedPrePeriodDays);
    if (!window_start || !window_duration || !cuped_days) {
      return absl::InvalidArgumentError(
          "metric definition: window_start_seconds, window_duration_seconds and "
          "cuped_pre_period_days must be whole numbers in range");
    }
    into->window_start_seconds = *window_start;
    into->window_duration_seconds = *window_duration;
    into->capping = json.value("capping", "none");
    into->capping_value = json.value("capping_value", 0.0);
    into->direction = json.value("direction", "increase");
    into->cuped_pre_period_days = *cuped_days;
    auto optional = [&](const char* field) -> std::optional<double> {
      if (!json.contains(field) || json[field].is_null()) return std::nullopt;
      return json[field].get<double>();
    };
    into->mde = optional("mde");
    into->target = optional("target");
    into->baseline = optional("baseline");
    into->tier = json.value("tier", "");
    into->target_date = json.value("target_date", "");
    into->warning_threshold = optional("warning_threshold");
    into->alert_threshold = optional("alert_threshold");
  } catch (const nlohmann::json::exception& error) {
    return absl::InvalidArgumentError(absl::StrCat("metric definition: ", error.what()));
  }
  return absl::OkStatus();
}

std::vector<FieldChange> DiffDefinitions(const nlohmann::json& before,
                                         const nlohmann::json& after) {
  std::vector<FieldChange> changes;
  auto text = [](const nlohmann::json& json, const std::string& field) -> std::string {
    if (!json.is_object() || !json.contains(field)) return "";
    return json[field].dump();
  };
  std::set<std::string> seen;
  if (after.is_object()) {
    for (auto it = after.begin(); it != after.end(); ++it) {
      seen.insert(it.key());
      const std::string old_text = text(before, it.key());
      const std::string new_text = it.value().dump();
      if (old_text != new_text) changes.push_back({it.key(), old_text, new_text});
    }
  }
  if (before.is_object()) {
    for (auto it = before.begin(); it != before.end(); ++it) {
      if (seen.count(it.key()) == 0) changes.push_back({it.key(), it.value().dump(), ""});
    }
  }
  return changes;
}

}  // namespace lift::metrics
