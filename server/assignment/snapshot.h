// An immutable, compiled view of the experiment configuration that assignment reads.
//
// Snapshot::Build validates every experiment and holdout (experiment_config.h), compiles targeting
// conditions and regexes, parses nothing later, precomputes bucket ranges and hash seed states, and
// indexes experiments by key. The result is shared and never modified, so the serving path can keep
// the current snapshot in a std::shared_ptr<const Snapshot>, swap in a new one atomically when the
// configuration changes (std::atomic_load / std::atomic_store on the shared_ptr), and evaluate with
// no locks while old snapshots die with their last reader.
//
// A snapshot holds experiments of every status: running ones are assigned; a stopped one with a
// winning variant serves the winner to everyone; the others answer NOT_RUNNING. Keys that are not
// in the snapshot answer UNKNOWN_EXPERIMENT (engine.h).
//
// Thread safety: immutable after Build; any number of threads may read one snapshot.
#ifndef LIFT_SERVER_ASSIGNMENT_SNAPSHOT_H_
#define LIFT_SERVER_ASSIGNMENT_SNAPSHOT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "server/assignment/bucket_ranges.h"
#include "server/assignment/condition.h"
#include "server/assignment/experiment_config.h"

namespace lift::assignment {

struct CompiledVariant {
  std::string key;
  std::string payload;  // JSON text, validated; may be empty
};

struct CompiledHoldout {
  std::string key;
  double share = 0.0;
  std::string layer;        // empty: applies to every experiment
  uint32_t seed_state = 0;  // Fnv1a32(key), for HashV2WithSeedState
  size_t index = 0;         // position in Snapshot::holdouts()
};

// One experiment, ready to evaluate. Read-only; owned by its Snapshot.
struct CompiledExperiment {
  std::string key;
  ExperimentStatus status = ExperimentStatus::kDraft;
  std::vector<CompiledVariant> variants;
  std::vector<BucketRange> ranges;  // GetBucketRanges(#variants, coverage, weights)
  std::string seed;                 // the effective seed (the key when configured empty)
  uint32_t seed_state = 0;          // Fnv1a32(seed)
  int hash_version = 2;
  std::string hash_attribute;
  Condition condition;
  std::string layer;       // empty: not in a layer
  size_t layer_index = 0;  // dense id of `layer` within the snapshot (for per-unit caching)
  double layer_start = 0.0;
  double layer_end = 1.0;
  std::vector<const CompiledHoldout*> holdouts;  // global ones and those of `layer`
  absl::flat_hash_map<std::string, int> forced_variants;
  int winning_variant = -1;  // >= 0 only for a stopped experiment with a winner
  int phase = 0;
};

class Snapshot {
 public:
  // Validates and compiles the configuration. Returns InvalidArgument naming the offending entry
  // and field, e.g. `experiments[2] ("checkout"): variants[1].weight must be >= 0, got -0.5`, for
  // a rule broken by one experiment or holdout, duplicate keys, or overlapping layer slices.
  // `version` is an opaque configuration version reported back by version().
  static absl::StatusOr<std::shared_ptr<const Snapshot>> Build(
      absl::Span<const ExperimentConfig> experiments, absl::Span<const HoldoutConfig> holdouts = {},
      int64_t version = 0);

  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // Returns the experiment with `key`, or nullptr.
  const CompiledExperiment* Find(std::string_view key) const;

  // All experiments, in the order given to Build.
  const std::vector<CompiledExperiment>& experiments() const { return experiments_; }

  // The running experiments, in the order given to Build.
  const std::vector<const CompiledExperiment*>& running() const { return running_; }

  const std::vector<CompiledHoldout>& holdouts() const { return holdouts_; }

  int64_t version() const { return version_; }

 private:
  Snapshot() = default;

  std::vector<CompiledExperiment> experiments_;
  std::vector<CompiledHoldout> holdouts_;
  std::vector<const CompiledExperiment*> running_;
  absl::flat_hash_map<std::string, size_t> index_;
  int64_t version_ = 0;
};

}  // namespace lift::assignment

#endif  // LIFT_SERVER_ASSIGNMENT_SNAPSHOT_H_
