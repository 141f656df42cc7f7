#include "stats/multiple_testing.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "absl/strings/str_cat.h"
#include "stats/status_macros.h"

namespace lift::stats {
namespace {

absl::Status ValidatePValues(const std::vector<double>& p_values) {
  for (size_t i = 0; i < p_values.size(); ++i) {
    if (!(p_values[i] >= 0.0 && p_values[i] <= 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("p_values[", i, "] must be in [0, 1], got ", p_values[i]));
    }
  }
  return absl::OkStatus();
}

// Indices of `p_values` in ascending order of value (stable: ties keep input order).
std::vector<size_t> AscendingOrder(const std::vector<double>& p_values) {
  std::vector<size_t> order(p_values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&p_values](size_t a, size_t b) { return p_values[a] < p_values[b]; });
  return order;
}

}  // namespace

absl::StatusOr<Correction> ParseCorrection(std::string_view text) {
  if (text == "none") return Correction::kNone;
  if (text == "holm") return Correction::kHolm;
  if (text == "bh" || text == "fdr_bh") return Correction::kBenjaminiHochberg;
  return absl::InvalidArgumentError(
      absl::StrCat("correction must be none, holm or bh, got \"", std::string(text), "\""));
}

std::string_view CorrectionName(Correction correction) {
  switch (correction) {
    case Correction::kNone:
      return "none";
    case Correction::kHolm:
      return "holm";
    case Correction::kBenjaminiHochberg:
      return "bh";
  }
  return "none";
}

absl::StatusOr<std::vector<double>> HolmAdjust(const std::vector<double>& p_values) {
  LIFT_RETURN_IF_ERROR(ValidatePValues(p_values));
  const std::vector<size_t> order = AscendingOrder(p_values);
  const size_t m = p_values.size();
  std::vector<double> adjusted(m);
  double running_max = 0.0;
  for (size_t rank = 0; rank < m; ++rank) {
    const size_t index = order[rank];
    running_max = std::max(running_max, static_cast<double>(m - rank) * p_values[index]);
    adjusted[index] = std::min(1.0, running_max);
  }
  return adjusted;
}

absl::StatusOr<std::vector<double>> BenjaminiHochbergAdjust(const std::vector<double>& p_values) {
  LIFT_RETURN_IF_ERROR(ValidatePValues(p_values));
  const std::vector<size_t> order = AscendingOrder(p_values);
  const size_t m = p_values.size();
  std::vector<double> adjusted(m);
  double running_min = 1.0;
  for (size_t rank = m; rank-- > 0;) {
    const size_t index = order[rank];
    running_min = std::min(
        running_min, static_cast<double>(m) * p_values[index] / static_cast<double>(rank + 1));
    adjusted[index] = running_min;
  }
  return adjusted;
}

absl::StatusOr<std::vector<double>> AdjustPValues(const std::vector<double>& p_values,
                                                  Correction correction) {
  switch (correction) {
    case Correction::kHolm:
      return HolmAdjust(p_values);
    case Correction::kBenjaminiHochberg:
      return BenjaminiHochbergAdjust(p_values);
    case Correction::kNone:
      break;
  }
  LIFT_RETURN_IF_ERROR(ValidatePValues(p_values));
  return p_values;
}

}  // namespace lift::stats
