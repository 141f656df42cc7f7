#include "server/assignment/bucket_ranges.h"

#include <cstddef>

namespace lift::assignment {
namespace {

// GrowthBook accepts weights whose sum is within this distance of 1.
constexpr double kWeightSumSlack = 0.01;

}  // namespace

std::vector<double> GetEqualWeights(int n) {
  if (n <= 0) return {};
  return std::vector<double>(static_cast<size_t>(n), 1.0 / n);
}

std::vector<BucketRange> GetBucketRanges(int num_variations, double coverage,
                                         absl::Span<const double> weights) {
  if (coverage < 0.0) coverage = 0.0;
  if (coverage > 1.0) coverage = 1.0;

  const std::vector<double> equal = GetEqualWeights(num_variations);
  absl::Span<const double> chosen = weights;
  if (chosen.empty() || chosen.size() != equal.size()) chosen = equal;
  double total = 0.0;
  for (double w : chosen) total += w;
  if (total < 1.0 - kWeightSumSlack || total > 1.0 + kWeightSumSlack) chosen = equal;

  std::vector<BucketRange> ranges;
  ranges.reserve(chosen.size());
  double cumulative = 0.0;
  for (double w : chosen) {
    const double start = cumulative;
    cumulative += w;
    ranges.push_back({start, start + coverage * w});
  }
  return ranges;
}

int ChooseVariation(double n, absl::Span<const BucketRange> ranges) {
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (InRange(n, ranges[i])) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace lift::assignment
