#include "server/review/kpi_status.h"

#include "absl/strings/str_format.h"
#include "server/review/iso_week.h"

namespace lift::review {

v1::KeyResultProgress KeyResultProgressOf(const std::vector<WeekPoint>& history,
                                          std::optional<double> target,
                                          std::optional<double> baseline,
                                          std::optional<int64_t> target_date_micros,
                                          bool decrease) {
  v1::KeyResultProgress progress;
  if (target_date_micros.has_value()) progress.set_target_date(FormatDate(*target_date_micros));
  if (!target.has_value()) {
    progress.set_note("no target set");
    return progress;
  }
  if (history.empty()) {
    progress.set_note("no weekly values");
    return progress;
  }
  // x = week midpoint in weeks, relative to the review week's midpoint.
  const int64_t review_start = history.back().week_start_micros;
  const double review_mid = static_cast<double>(review_start) + kMicrosPerWeek / 2.0;
  std::vector<std::pair<double, double>> points;
  for (const WeekPoint& point : history) {
    if (!point.defined) continue;
    const double mid = static_cast<double>(point.week_start_micros) + kMicrosPerWeek / 2.0;
    points.emplace_back((mid - review_mid) / kMicrosPerWeek, point.value);
  }
  if (points.size() < 2) {
    progress.set_note("fewer than 2 weeks with a value: no trend");
    return progress;
  }
  double mean_x = 0, mean_y = 0;
  for (const auto& [x, y] : points) {
    mean_x += x;
    mean_y += y;
  }
  mean_x /= points.size();
  mean_y /= points.size();
  double sxx = 0, sxy = 0;
  for (const auto& [x, y] : points) {
    sxx += (x - mean_x) * (x - mean_x);
    sxy += (x - mean_x) * (y - mean_y);
  }
  const double slope = sxx > 0 ? sxy / sxx : 0.0;
  const double intercept = mean_y - slope * mean_x;
  progress.set_slope_per_week(slope);

  const int64_t review_end = review_start + kMicrosPerWeek;
  const int64_t horizon = target_date_micros.value_or(review_end);
  double projected;
  if (horizon <= review_end) {
    // The date has passed (or is now): judge the review week's value, or the line at it.
    projected = history.back().defined ? history.back().value : intercept;
  } else {
    projected = intercept + slope * ((static_cast<double>(horizon) - review_mid) / kMicrosPerWeek);
  }
  progress.set_projected_value(projected);
  const double base = baseline.has_value() ? *baseline : points.front().second;
  progress.set_baseline_used(base);
  double fraction;
  if (*target == base) {
    const bool good_side = decrease ? projected <= *target : projected >= *target;
    fraction = good_side ? 1.0 : 0.0;
  } else {
    fraction = (projected - base) / (*target - base);
  }
  progress.set_projected_fraction(fraction);
  if (fraction >= 1.0) {
    progress.set_status(v1::KeyResultProgress::STATUS_ON_TRACK);
  } else if (fraction >= kAtRiskFraction) {
    progress.set_status(v1::KeyResultProgress::STATUS_AT_RISK);
  } else {
    progress.set_status(v1::KeyResultProgress::STATUS_OFF_TRACK);
  }
  progress.set_note(absl::StrFormat(
      "projected %.4g at %s (%.0f%% of the way from %.4g to the target %.4g; trend %+.4g/week)",
      projected, FormatDate(horizon), 100 * fraction, base, *target, slope));
  return progress;
}

v1::GuardrailLevel GuardrailLevelOf(double value, bool defined, std::optional<double> warning,
                                    std::optional<double> alert, bool decrease) {
  v1::GuardrailLevel level;
  if (warning.has_value()) level.set_warning_threshold(*warning);
  if (alert.has_value()) level.set_alert_threshold(*alert);
  if (!defined || (!warning.has_value() && !alert.has_value())) return level;
  auto past = [&](double threshold) { return decrease ? value > threshold : value < threshold; };
  if (alert.has_value() && past(*alert)) {
    level.set_level(v1::GuardrailLevel::LEVEL_RED);
  } else if (warning.has_value() && past(*warning)) {
    level.set_level(v1::GuardrailLevel::LEVEL_YELLOW);
  } else {
    level.set_level(v1::GuardrailLevel::LEVEL_GREEN);
  }
  return level;
}

}  // namespace lift::review
