#include "stats/srm.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "stats/distributions.h"
#include "stats/status_macros.h"

namespace lift::stats {

absl::StatusOr<SrmResult> SampleRatioMismatch(const std::vector<int64_t>& counts,
                                              const std::vector<double>& weights,
                                              double threshold) {
  LIFT_RETURN_IF_ERROR(ValidateOpenUnitInterval(threshold, "threshold"));
  if (counts.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("counts must have at least 2 arms, got ", counts.size()));
  }
  if (weights.size() != counts.size()) {
    return absl::InvalidArgumentError(absl::StrCat("weights must have one entry per arm (",
                                                   counts.size(), "), got ", weights.size()));
  }
  double total_weight = 0.0;
  double total_count = 0.0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("counts[", i, "] must be >= 0, got ", counts[i]));
    }
    if (!std::isfinite(weights[i]) || weights[i] <= 0.0) {
      return absl::InvalidArgumentError(
          absl::StrCat("weights[", i, "] must be finite and > 0, got ", weights[i]));
    }
    total_weight += weights[i];
    total_count += static_cast<double>(counts[i]);
  }
  if (!std::isfinite(total_weight)) {
    return absl::InvalidArgumentError("weights must have a finite sum");
  }

  SrmResult result;
  result.df = static_cast<int64_t>(counts.size()) - 1;
  result.expected_counts.resize(counts.size());
  result.observed_fractions.assign(counts.size(), 0.0);
  for (size_t i = 0; i < counts.size(); ++i) {
    result.expected_counts[i] = total_count * weights[i] / total_weight;
  }
  if (total_count == 0.0) {
    result.flags.push_back(ResultFlag::kEmptyArm);
    return result;
  }
  for (size_t i = 0; i < counts.size(); ++i) {
    const double observed = static_cast<double>(counts[i]);
    const double deviation = observed - result.expected_counts[i];
    result.chi2 += deviation * deviation / result.expected_counts[i];
    result.observed_fractions[i] = observed / total_count;
  }
  result.p_value = ChiSquaredUpperTail(static_cast<double>(result.df), result.chi2);
  result.flagged = result.p_value < threshold;
  return result;
}

}  // namespace lift::stats
