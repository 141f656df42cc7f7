// Assignment: which variant of which experiment a unit gets, and why.
//
// Evaluation of one experiment for one unit, in this order (DESIGN.md "Assignment"):
//   1. status        not running -> NOT_RUNNING, or STOPPED_WINNER when stopped with a winner
//   2. unit id       the experiment's hash_attribute must hold a non-empty id -> MISSING_UNIT_ID
//   3. override      a forced variant for this unit id -> OVERRIDE
//   4. layer         LayerBucket(layer, id) must fall in the experiment's slice -> NOT_IN_LAYER
//   5. holdout       HashV2(holdout key, id) < share for an applicable holdout -> HOLDOUT
//   6. targeting     the condition must match the attributes -> TARGETING_MISS
//   7. hash          bucket = hash(seed, id, hash_version)
//   8. range         the bucket must fall in a variant's range -> SPLIT, else COVERAGE_MISS
// Units that GrowthBook SDKs assign with the same key/seed, hash version, weights, coverage,
// namespace (= layer) and condition get the same variant here (tests/reference/fixtures).
//
// Unit ids: a string attribute is used as it is; a number uses its JavaScript string form (123 ->
// "123"), true becomes "true". Missing, null, "", 0, false (GrowthBook skips falsy ids), arrays
// and objects count as no id.
//
// Layers are GrowthBook namespaces: LayerBucket = hash v1 of the unit id with seed "__" + layer.
// Holdouts use hash v2 with the holdout key as seed, so a unit's holdout membership is the same for
// every experiment the holdout covers. A stopped experiment's winner is served to everyone, before
// (and regardless of) unit id, layer, holdout and targeting.
//
// Cost: no locks, no I/O; no allocation for string unit ids except the caller's output vector.
// The few hashes a unit shares between experiments (layer buckets, holdouts) are computed once per
// call (unit_context.h).
// Results point into the snapshot (and, for UNKNOWN_EXPERIMENT, into the caller's key): keep the
// snapshot (and the keys) alive while using them.
//
// Thread safety: the free functions are pure functions of an immutable Snapshot and the caller's
// Attributes; a UnitEvaluator belongs to one thread.
#ifndef LIFT_SERVER_ASSIGNMENT_ENGINE_H_
#define LIFT_SERVER_ASSIGNMENT_ENGINE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "server/assignment/attributes.h"
#include "server/assignment/snapshot.h"
#include "server/assignment/unit_context.h"

namespace lift::assignment {

// Why a unit got (or did not get) a variant; maps onto OpenFeature's resolution reason/details.
enum class Reason {
  kSplit,              // assigned by hashing into a variant's bucket range (in the experiment)
  kOverride,           // forced variant for this unit id (QA); in_experiment is true, but
                       //   the unit was not randomised: keep it out of the analysis
  kNotRunning,         // the experiment exists but is not running
  kStoppedWinner,      // stopped with a winner: the winner is served to everyone, not in experiment
  kTargetingMiss,      // the targeting condition does not match the attributes
  kNotInLayer,         // the unit's layer bucket is outside the experiment's slice
  kHoldout,            // the unit is in a holdout that covers this experiment
  kCoverageMiss,       // hashed outside every variant's range (coverage < 1)
  kUnknownExperiment,  // no experiment with this key in the snapshot
  kMissingUnitId,      // the hash attribute is absent or empty: the unit cannot be randomised
};

// Returns "SPLIT", "OVERRIDE", "NOT_RUNNING", "STOPPED_WINNER", "TARGETING_MISS", "NOT_IN_LAYER",
// "HOLDOUT", "COVERAGE_MISS", "UNKNOWN_EXPERIMENT" or "MISSING_UNIT_ID".
std::string_view ReasonName(Reason reason);

struct Assignment {
  std::string_view experiment_key;
  int variant_index = -1;        // -1 when no variant is served
  std::string_view variant_key;  // empty when no variant is served
  std::string_view payload;      // the served variant's JSON payload, may be empty
  bool in_experiment = false;    // true for SPLIT and OVERRIDE: count an exposure
  Reason reason = Reason::kUnknownExperiment;
  std::optional<double> bucket;  // the experiment hash in [0, 1), once computed (step 7)
  int phase = 0;
};

// Evaluates experiments for one unit, sharing the per-unit work (unit id lookups, layer buckets,
// holdout hashes) between them. Construct one per unit per request (cheap, no allocation) and call
// it for each key of any container; the snapshot and attributes must outlive it. Not thread-safe.
class UnitEvaluator {
 public:
  UnitEvaluator(const Snapshot& snapshot, const Attributes& attributes);

  UnitEvaluator(const UnitEvaluator&) = delete;
  UnitEvaluator& operator=(const UnitEvaluator&) = delete;

  // Evaluates the experiment `experiment_key` (UNKNOWN_EXPERIMENT when absent).
  Assignment Evaluate(std::string_view experiment_key);

  // Appends one Assignment per running experiment, in snapshot order, to *out.
  void EvaluateAllRunning(std::vector<Assignment>* out);

 private:
  const Snapshot& snapshot_;
  const Attributes& attributes_;
  UnitResolver resolver_;
};

// Evaluates the experiment `experiment_key` for the unit described by `attributes`.
Assignment Evaluate(const Snapshot& snapshot, const Attributes& attributes,
                    std::string_view experiment_key);

// Appends one Assignment per key, in order, to *out (unknown keys give UNKNOWN_EXPERIMENT).
void EvaluateMany(const Snapshot& snapshot, const Attributes& attributes,
                  absl::Span<const std::string> experiment_keys, std::vector<Assignment>* out);

// Appends one Assignment per running experiment, in snapshot order, to *out.
void EvaluateAllRunning(const Snapshot& snapshot, const Attributes& attributes,
                        std::vector<Assignment>* out);

}  // namespace lift::assignment

#endif  // LIFT_SERVER_ASSIGNMENT_ENGINE_H_
