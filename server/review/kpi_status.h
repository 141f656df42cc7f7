// KPI judgements of the weekly review, pure functions of weekly values and a metric's targets:
// a key result's progress (on track / at risk / off track by linear extrapolation to its target
// date) and a guardrail KPI's level (green / yellow / red against its thresholds).
//
// Thread safety: pure functions.
#ifndef LIFT_SERVER_REVIEW_KPI_STATUS_H_
#define LIFT_SERVER_REVIEW_KPI_STATUS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "lift/v1/readouts.pb.h"

namespace lift::review {

// Share of the baseline → target distance the projection must cover to be AT_RISK rather than
// OFF_TRACK (ON_TRACK needs all of it).
inline constexpr double kAtRiskFraction = 0.7;

struct WeekPoint {
  int64_t week_start_micros = 0;
  double value = 0;
  bool defined = false;
};

// Key result progress. `history` oldest first, the review week last. The line is the ordinary
// least-squares fit of value on the week's midpoint (in weeks) over the defined points; the
// projection is the line at `target_date_micros` (nullopt: the end of the review week), or the
// review week's value when that date has passed. baseline_used = `baseline`, else the first
// defined value; projected_fraction = (projected - baseline_used) / (target - baseline_used)
// (target = baseline: 1 when the projection is on the good side of it, else 0). Status:
// ON_TRACK fraction >= 1, AT_RISK >= kAtRiskFraction, else OFF_TRACK; UNSPECIFIED (with a note)
// without a target or with fewer than 2 defined weeks.
v1::KeyResultProgress KeyResultProgressOf(const std::vector<WeekPoint>& history,
                                          std::optional<double> target,
                                          std::optional<double> baseline,
                                          std::optional<int64_t> target_date_micros,
                                          bool decrease);

// Guardrail level of `value` (metrics.proto warning_threshold / alert_threshold): RED past the
// alert threshold, YELLOW past the warning threshold, GREEN otherwise; "past" = below for
// increase-is-good metrics, above for decrease-is-good ones. UNSPECIFIED when the value is
// undefined or no threshold is set.
v1::GuardrailLevel GuardrailLevelOf(double value, bool defined, std::optional<double> warning,
                                    std::optional<double> alert, bool decrease);

}  // namespace lift::review

#endif  // LIFT_SERVER_REVIEW_KPI_STATUS_H_
