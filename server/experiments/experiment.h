// The experiment configuration as the experiment service manages it: experiments with their
// phases, forced overrides, layers and holdouts; the rules each must satisfy; and the conversion
// to the assignment engine's configuration (server/assignment/experiment_config.h).
//
// Field names follow proto/lift/v1/experiments.proto, and so do the field names in validation
// messages ("variants[1].weight must be >= 0, got -0.5", "layer.start/layer.end ...").
//
// Thread safety: plain data and pure functions.
#ifndef LIFT_SERVER_EXPERIMENTS_EXPERIMENT_H_
#define LIFT_SERVER_EXPERIMENTS_EXPERIMENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "nlohmann/json.hpp"
#include "server/assignment/experiment_config.h"

namespace lift::experiments {

using assignment::ExperimentStatus;
using assignment::VariantConfig;  // key, weight, payload (JSON text)

// Limits on sizes (documented in experiments.proto).
inline constexpr size_t kMaxKeyLength = 100;
inline constexpr size_t kMaxNameLength = 200;
inline constexpr size_t kMaxTextLength = 10'000;  // hypothesis, descriptions
inline constexpr size_t kMaxTags = 50;
inline constexpr size_t kMaxVariants = 100;
inline constexpr size_t kMaxPayloadBytes = 64 * 1024;
inline constexpr size_t kMaxConditionBytes = 64 * 1024;
inline constexpr size_t kMaxUnitIdLength = 200;
inline constexpr size_t kMaxOverridesPerExperiment = 10'000;

struct GuardrailMetric {
  std::string metric_key;
  double non_inferiority_margin = 0.0;  // relative, in [0, 1)
  bool operator==(const GuardrailMetric& other) const {
    return metric_key == other.metric_key && non_inferiority_margin == other.non_inferiority_margin;
  }
};

struct ExperimentMetrics {
  std::vector<std::string> success;
  std::vector<std::string> secondary;
  std::vector<GuardrailMetric> guardrails;
  bool operator==(const ExperimentMetrics& other) const {
    return success == other.success && secondary == other.secondary &&
           guardrails == other.guardrails;
  }
};

// A period in which every unit keeps its variant.
struct Phase {
  int number = 0;                       // 1, 2, ...
  int64_t started_at_micros = 0;        // Unix epoch microseconds
  int64_t ended_at_micros = 0;          // 0 while current
  std::vector<VariantConfig> variants;  // keys and weights (payloads left empty)
  double coverage = 1.0;
  std::string reason;  // "started" or the change that opened the phase
};

struct Experiment {
  // Editable fields ("input" in the proto).
  std::string key;
  std::string name;
  std::string hypothesis;
  std::string owner;
  std::vector<std::string> tags;
  std::string unit_type = "id";
  std::vector<VariantConfig> variants;
  double coverage = 1.0;
  std::string seed;  // empty: the key
  int hash_version = 2;
  std::string condition;  // JSON text; empty for "every unit"
  std::string layer;      // empty: not in a layer
  double layer_start = 0.0;
  double layer_end = 1.0;
  ExperimentMetrics metrics;

  // Managed by the service ("output only").
  ExperimentStatus status = ExperimentStatus::kDraft;
  int phase = 0;  // current (or last) phase; 0 before the first start
  std::vector<Phase> phases;
  int64_t version = 0;
  std::string winning_variant;  // variant key; empty for none
  int64_t created_at_micros = 0;
  std::string created_by;
  int64_t updated_at_micros = 0;
  std::string updated_by;
};

struct Override {
  std::string experiment_key;
  std::string unit_id;
  std::string variant_key;
  int64_t created_at_micros = 0;
  std::string created_by;
};

// A running experiment's slice of a layer.
struct LayerMember {
  std::string experiment_key;
  double start = 0.0;
  double end = 1.0;
};

struct Layer {
  std::string key;
  std::string name;
  std::string description;
  std::vector<LayerMember> running;  // output only, by slice start
  int64_t created_at_micros = 0;
  std::string created_by;
};

struct Holdout {
  std::string key;
  std::string name;
  std::string description;
  double share = 0.0;
  std::string layer;  // empty: every experiment
  int64_t created_at_micros = 0;
  std::string created_by;
};

// The names of the editable fields, as used by update masks: "name", "hypothesis", "owner",
// "tags", "unit_type", "variants", "coverage", "seed", "hash_version", "condition", "layer",
// "metrics".
const std::vector<std::string>& EditableFieldNames();

// The fields that decide assignment (all editable fields but name, hypothesis, owner, tags,
// metrics); only these are refused for stopped experiments.
bool IsAssignmentField(std::string_view field);

// Copies the editable fields named in `fields` (all of them when empty) from `from` to `to`.
// InvalidArgument "update_mask.paths[i]: ..." for an unknown or output-only name.
absl::Status CopyEditableFields(const Experiment& from, absl::Span<const std::string> fields,
                                Experiment* to);

// Names of the editable fields whose values differ between `a` and `b`, in EditableFieldNames()
// order. Conditions compare as parsed JSON; other fields exactly.
std::vector<std::string> ChangedFields(const Experiment& a, const Experiment& b);

// Fills defaults: unit_type "" -> "id", hash_version 0 -> 2, all weights 0 -> equal weights,
// condition "{}" or blank -> "". Leaves invalid values for Validate to report.
void Normalize(Experiment* experiment);

// Returns OK, or InvalidArgument naming the first editable field that breaks a rule: key, tags,
// text lengths, variants (including the engine's rules: >= 2, unique keys, weights >= 0 summing to
// 1 within 1e-9, payloads valid JSON), coverage in [0, 1], hash_version 1 or 2, a condition that
// parses and compiles, the layer slice, metric keys and guardrail margins.
absl::Status ValidateExperiment(const Experiment& experiment);

// InvalidArgument unless `override` names a unit id (non-empty, at most kMaxUnitIdLength) and a
// variant of `experiment`.
absl::Status ValidateOverride(const Experiment& experiment, const Override& override_spec);

// InvalidArgument naming the field of a layer or holdout that breaks a rule.
absl::Status ValidateLayer(const Layer& layer);
absl::Status ValidateHoldout(const Holdout& holdout);

// The engine's view of `experiment` with its `overrides` (those naming an unknown variant are
// skipped). InvalidArgument when the condition is not valid JSON.
absl::StatusOr<assignment::ExperimentConfig> ToAssignmentConfig(
    const Experiment& experiment, absl::Span<const Override> overrides);

// "draft", "running", "stopped", "archived" <-> status; nullopt for anything else.
std::optional<ExperimentStatus> ParseExperimentStatus(std::string_view name);

// JSON documents with the proto's field names, for the audit log's before/after columns.
nlohmann::json ToJson(const Experiment& experiment);
nlohmann::json ToJson(const Override& override_spec);
nlohmann::json ToJson(const Layer& layer);
nlohmann::json ToJson(const Holdout& holdout);

}  // namespace lift::experiments

#endif  // LIFT_SERVER_EXPERIMENTS_EXPERIMENT_H_
