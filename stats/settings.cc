#include "stats/settings.h"

#include "absl/strings/str_cat.h"

namespace lift::stats {

absl::Status ValidateOpenUnitInterval(double value, const char* field) {
  if (value > 0.0 && value < 1.0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " must be in (0, 1), got ", value));
}

absl::Status ValidateAnalysisSettings(const AnalysisSettings& settings) {
  if (auto s = ValidateOpenUnitInterval(settings.alpha, "alpha"); !s.ok()) return s;
  if (auto s = ValidateOpenUnitInterval(settings.srm_threshold, "srm_threshold"); !s.ok()) {
    return s;
  }
  if (settings.min_n_per_arm < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_n_per_arm must be >= 2 (a variance needs two units), got ", settings.min_n_per_arm));
  }
  return absl::OkStatus();
}

}  // namespace lift::stats
