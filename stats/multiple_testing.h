// Multiple-testing corrections over a family of p-values (success metrics × variants).
//
// Adjusted p-values are returned in the input order; reject H_i at level alpha exactly when
// adjusted[i] <= alpha. With p_(1) <= ... <= p_(m) the sorted p-values:
//   Holm (1979), family-wise error rate:       p̃_(i) = min(1, max_{j<=i} (m - j + 1) p_(j))
//   Benjamini–Hochberg (1995), false discovery: p̃_(i) = min(1, min_{j>=i} m p_(j) / j)
// Both match statsmodels.stats.multitest.multipletests(method="holm" / "fdr_bh"). Ties keep
// their input order. Guardrails are not part of the family (Spotify's risk-aware rule).
// Pure functions; thread-safe.
#ifndef LIFT_STATS_MULTIPLE_TESTING_H_
#define LIFT_STATS_MULTIPLE_TESTING_H_

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace lift::stats {

enum class Correction {
  kNone,               // p-values unchanged
  kHolm,               // Holm step-down
  kBenjaminiHochberg,  // Benjamini–Hochberg step-up
};

// "none" / "holm" / "bh" (also "fdr_bh"); InvalidArgument
// "correction must be none, holm or bh, got ..." otherwise.
absl::StatusOr<Correction> ParseCorrection(std::string_view text);
std::string_view CorrectionName(Correction correction);  // "none" / "holm" / "bh"

// Adjusted p-values, same length and order as `p_values` (an empty family gives an empty
// vector). InvalidArgument "p_values[i] must be in [0, 1], got x" for NaN or out-of-range input.
absl::StatusOr<std::vector<double>> AdjustPValues(const std::vector<double>& p_values,
                                                  Correction correction);
absl::StatusOr<std::vector<double>> HolmAdjust(const std::vector<double>& p_values);
absl::StatusOr<std::vector<double>> BenjaminiHochbergAdjust(const std::vector<double>& p_values);

}  // namespace lift::stats

#endif  // LIFT_STATS_MULTIPLE_TESTING_H_
