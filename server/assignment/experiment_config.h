// Configuration of experiments and holdouts as the assignment engine consumes it, and its rules.
//
// These are plain structs: the storage layer fills them from PostgreSQL, tests fill them by hand.
// The Validate* functions state every rule a configuration must satisfy; Snapshot::Build
// (snapshot.h) applies all of them, and the experiment service can call them on create/update to
// reject a bad experiment with InvalidArgument before it is stored. Messages name the field
// (relative to the experiment, e.g. "variants[1].weight") and the rule.
//
// Rules (DESIGN.md "Assignment", issue 4):
//   key, holdout key        match [a-z0-9_.-]+
//   variants                at least 2; keys non-empty and unique; weights finite, >= 0, summing
//                           to 1 within 1e-9; payload empty or valid JSON
//   coverage                in [0, 1]
//   hash_version            1 or 2 (2 is the default; 1 only for GrowthBook v1 compatibility)
//   hash_attribute          non-empty (the unit type, "id" by default)
//   condition               compiles (condition.h)
//   layer slice             0 <= layer_start < layer_end <= 1 when `layer` is set; running
//                           experiments of one layer must not overlap (ValidateLayerSlices)
//   forced_variants         unit ids non-empty, variant indexes in [0, #variants)
//   winning_variant         in [0, #variants)
//   phase                   >= 0
//   holdout share           in [0, 1]
//
// Thread safety: plain data and pure functions.
#ifndef LIFT_SERVER_ASSIGNMENT_EXPERIMENT_CONFIG_H_
#define LIFT_SERVER_ASSIGNMENT_EXPERIMENT_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "nlohmann/json.hpp"

namespace lift::assignment {

// Tolerance on the sum of variant weights.
inline constexpr double kWeightSumTolerance = 1e-9;

enum class ExperimentStatus { kDraft, kRunning, kStopped, kArchived };

// Returns "draft", "running", "stopped" or "archived".
std::string_view ExperimentStatusName(ExperimentStatus status);

struct VariantConfig {
  std::string key;      // e.g. "control", "treatment"
  double weight = 0.0;  // share of the covered units, weights sum to 1
  std::string payload;  // JSON text served to callers (the flag value); empty for none
};

struct ExperimentConfig {
  std::string key;
  ExperimentStatus status = ExperimentStatus::kDraft;
  std::vector<VariantConfig> variants;
  double coverage = 1.0;  // share of eligible units that enter the experiment
  std::string seed;       // hashing seed; empty means the experiment key
  int hash_version = 2;
  std::string hash_attribute = "id";  // attribute holding the unit id (the unit type)
  nlohmann::json condition;           // targeting condition; null or {} targets everyone
  std::string layer;                  // mutual-exclusion layer; empty for none
  double layer_start = 0.0;           // the experiment's slice [layer_start, layer_end) of the
  double layer_end = 1.0;             //   layer's [0, 1) range (GrowthBook namespace)
  std::map<std::string, int> forced_variants;  // unit id -> variant index (QA overrides)
  std::optional<int> winning_variant;          // stopped with a winner: served to everyone
  int phase = 0;                               // current phase; results carry it
};

// A share of units kept out of experiments: out of every experiment in `layer`, or of all
// experiments when `layer` is empty. A unit is held out when HashV2(key, unit id) < share.
struct HoldoutConfig {
  std::string key;
  double share = 0.0;
  std::string layer;
};

// True when `key` matches [a-z0-9_.-]+.
bool IsValidKey(std::string_view key);

// Returns OK, or InvalidArgument naming the first field that breaks a rule listed above.
absl::Status ValidateExperiment(const ExperimentConfig& experiment);

// Returns OK, or InvalidArgument naming the field of the holdout that breaks a rule.
absl::Status ValidateHoldout(const HoldoutConfig& holdout);

// Returns OK when no two running experiments of the same layer have overlapping slices, otherwise
// InvalidArgument naming both experiments, their layer and slices. Experiments that are not
// running do not occupy their slice.
absl::Status ValidateLayerSlices(absl::Span<const ExperimentConfig> experiments);

}  // namespace lift::assignment

#endif  // LIFT_SERVER_ASSIGNMENT_EXPERIMENT_CONFIG_H_
