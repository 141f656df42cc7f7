// Bucket ranges: how a hash value in [0, 1) maps to a variant.
//
// Variant i owns [cum_i, cum_i + coverage * w_i), where cum_i is the sum of the weights before i.
// Because the start of each range depends only on the weights, raising the coverage only extends
// ranges to the right: a unit that was in a variant stays in it (the "sticky coverage" property).
// Values that fall in no range are outside the experiment (coverage miss).
//
// Source: growthbook/growthbook packages/sdk-js/src/util.ts (getEqualWeights, getBucketRanges,
// inRange, chooseVariation). These functions reproduce GrowthBook's lenient fallbacks exactly
// (coverage clamped to [0, 1]; equal weights when the weights are missing, of the wrong length or
// do not sum to 1 within ±0.01). Lift validates configurations strictly before they get here (see
// experiment_config.h), so in Lift the fallbacks only matter for GrowthBook's own test vectors.
//
// Thread safety: pure functions.
#ifndef LIFT_SERVER_ASSIGNMENT_BUCKET_RANGES_H_
#define LIFT_SERVER_ASSIGNMENT_BUCKET_RANGES_H_

#include <vector>

#include "absl/types/span.h"

namespace lift::assignment {

// Half-open range [start, end) of hash values.
struct BucketRange {
  double start = 0.0;
  double end = 0.0;
};

// Returns n weights of 1/n each; empty when n <= 0.
std::vector<double> GetEqualWeights(int n);

// Returns one range per variation. `coverage` is clamped to [0, 1]. `weights` empty means "equal
// weights"; weights of another length than num_variations, or summing outside [0.99, 1.01], are
// replaced by equal weights (GrowthBook getBucketRanges).
std::vector<BucketRange> GetBucketRanges(int num_variations, double coverage,
                                         absl::Span<const double> weights);

// True when start <= n < end.
inline bool InRange(double n, const BucketRange& range) {
  return n >= range.start && n < range.end;
}

// Returns the index of the first range containing n, or -1 when none does.
int ChooseVariation(double n, absl::Span<const BucketRange> ranges);

}  // namespace lift::assignment

#endif  // LIFT_SERVER_ASSIGNMENT_BUCKET_RANGES_H_
