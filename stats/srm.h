// Sample ratio mismatch (SRM): Pearson's χ² goodness-of-fit test of the units counted per arm
// against the configured traffic weights.
//
// With counts o_i, total N and weights normalised to w_i / Σw, the expected counts are
// e_i = N w_i / Σw and χ² = Σ (o_i - e_i)² / e_i with k - 1 degrees of freedom (Pearson 1900;
// identical to scipy.stats.chisquare(o, e)). An SRM means assignment or logging is broken, so
// every other result of the experiment is suspect: it is flagged when p < threshold (default
// 0.001, the industry convention: Fabijan et al. 2019, "Diagnosing Sample Ratio Mismatch").
// Pure function; thread-safe.
#ifndef LIFT_STATS_SRM_H_
#define LIFT_STATS_SRM_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "stats/estimate.h"
#include "stats/settings.h"

namespace lift::stats {

struct SrmResult {
  double chi2 = 0.0;
  double p_value = 1.0;
  int64_t df = 0;                          // arms - 1
  bool flagged = false;                    // p_value < threshold
  std::vector<double> expected_counts;     // N w_i / Σw, in the order of the input
  std::vector<double> observed_fractions;  // o_i / N (0 when N == 0)
  std::vector<ResultFlag> flags;           // kEmptyArm when no unit was counted at all
};

// InvalidArgument naming the field when fewer than two arms are given, counts and weights differ
// in length, a count is negative, a weight is not finite or <= 0, or threshold is outside (0, 1),
// e.g. "weights[1] must be finite and > 0, got 0". With no units at all (N = 0) the result is
// not flagged, p = 1, and carries kEmptyArm.
absl::StatusOr<SrmResult> SampleRatioMismatch(const std::vector<int64_t>& counts,
                                              const std::vector<double>& weights,
                                              double threshold = kDefaultSrmThreshold);

}  // namespace lift::stats

#endif  // LIFT_STATS_SRM_H_
