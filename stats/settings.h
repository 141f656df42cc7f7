// Options shared by the A/B estimators of lift_stats.
//
// AnalysisSettings is a plain value picked once per readout (or per `liftctl analyze` call) and
// passed to every estimator. ValidateAnalysisSettings is the single place that checks it; each
// estimator calls it and returns its InvalidArgument unchanged. Thread-compatible value type.
#ifndef LIFT_STATS_SETTINGS_H_
#define LIFT_STATS_SETTINGS_H_

#include <cstdint>

#include "absl/status/status.h"

namespace lift::stats {

// Default two-sided significance level.
inline constexpr double kDefaultAlpha = 0.05;
// Default smallest arm on which inference is reported. A variance needs two units; readouts may
// raise this (e.g. to 100) so that tiny arms show their means but no p-value.
inline constexpr int64_t kDefaultMinimumNPerArm = 2;
// Default p-value below which a sample ratio mismatch is flagged (industry convention).
inline constexpr double kDefaultSrmThreshold = 0.001;

struct AnalysisSettings {
  double alpha = kDefaultAlpha;                    // two-sided level of CIs and tests, in (0, 1)
  int64_t min_n_per_arm = kDefaultMinimumNPerArm;  // below it: kSampleTooSmall, no inference
  double srm_threshold = kDefaultSrmThreshold;     // SRM flagged when p < this, in (0, 1)
};

// InvalidArgument naming the field when alpha or srm_threshold is outside (0, 1) or
// min_n_per_arm < 2, e.g. "alpha must be in (0, 1), got 1.5".
absl::Status ValidateAnalysisSettings(const AnalysisSettings& settings);

// InvalidArgument "<field> must be in (0, 1), got <value>" unless 0 < value < 1 (NaN fails).
absl::Status ValidateOpenUnitInterval(double value, const char* field);

}  // namespace lift::stats

#endif  // LIFT_STATS_SETTINGS_H_
