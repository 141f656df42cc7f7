#include "server/assignment/engine.h"

#include <cstddef>
#include <string>

#include "server/assignment/hash.h"
#include "server/assignment/unit_context.h"

namespace lift::assignment {
namespace {

Assignment NotInExperiment(const CompiledExperiment& e, Reason reason) {
  Assignment a;
  a.experiment_key = e.key;
  a.reason = reason;
  a.phase = e.phase;
  return a;
}

Assignment Serve(const CompiledExperiment& e, int index, Reason reason, bool in_experiment) {
  Assignment a = NotInExperiment(e, reason);
  a.variant_index = index;
  a.variant_key = e.variants[static_cast<size_t>(index)].key;
  a.payload = e.variants[static_cast<size_t>(index)].payload;
  a.in_experiment = in_experiment;
  return a;
}

Assignment EvaluateExperiment(const CompiledExperiment& e, const Attributes& attributes,
                              UnitResolver& resolver) {
  if (e.status != ExperimentStatus::kRunning) {
    if (e.winning_variant >= 0) return Serve(e, e.winning_variant, Reason::kStoppedWinner, false);
    return NotInExperiment(e, Reason::kNotRunning);
  }

  UnitContext& unit = resolver.Resolve(e.hash_attribute);
  if (!unit.has_id) return NotInExperiment(e, Reason::kMissingUnitId);

  if (!e.forced_variants.empty()) {
    const auto it = e.forced_variants.find(absl::string_view(unit.id.data(), unit.id.size()));
    if (it != e.forced_variants.end()) return Serve(e, it->second, Reason::kOverride, true);
  }

  if (!e.layer.empty()) {
    const double layer_bucket = unit.LayerBucketOf(e);
    if (!(layer_bucket >= e.layer_start && layer_bucket < e.layer_end)) {
      return NotInExperiment(e, Reason::kNotInLayer);
    }
  }

  // The first holdout hash of a unit is computed together with this experiment's bucket (two
  // independent hash chains in one pass cost about one); the bucket is used only at step 7.
  std::optional<double> early_bucket;
  for (const CompiledHoldout* holdout : e.holdouts) {
    if (!early_bucket) early_bucket = unit.ResolveHoldoutWithBucket(*holdout, e);
    if (unit.InHoldout(*holdout)) return NotInExperiment(e, Reason::kHoldout);
  }

  if (!e.condition.MatchesEverything() && !e.condition.Matches(attributes)) {
    return NotInExperiment(e, Reason::kTargetingMiss);
  }

  const double bucket = early_bucket                ? *early_bucket
                        : e.hash_version == 2 ? HashV2WithSeedState(e.seed_state, unit.id)
                                              : HashV1(e.seed, unit.id);
  const int index = ChooseVariation(bucket, e.ranges);
  Assignment a =
      index < 0 ? NotInExperiment(e, Reason::kCoverageMiss) : Serve(e, index, Reason::kSplit, true);
  a.bucket = bucket;
  return a;
}

Assignment Unknown(std::string_view key) {
  Assignment a;
  a.experiment_key = key;
  a.reason = Reason::kUnknownExperiment;
  return a;
}

}  // namespace

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kSplit:
      return "SPLIT";
    case Reason::kOverride:
      return "OVERRIDE";
    case Reason::kNotRunning:
      return "NOT_RUNNING";
    case Reason::kStoppedWinner:
      return "STOPPED_WINNER";
    case Reason::kTargetingMiss:
      return "TARGETING_MISS";
    case Reason::kNotInLayer:
      return "NOT_IN_LAYER";
    case Reason::kHoldout:
      return "HOLDOUT";
    case Reason::kCoverageMiss:
      return "COVERAGE_MISS";
    case Reason::kUnknownExperiment:
      return "UNKNOWN_EXPERIMENT";
    case Reason::kMissingUnitId:
      return "MISSING_UNIT_ID";
  }
  return "UNKNOWN";
}

UnitEvaluator::UnitEvaluator(const Snapshot& snapshot, const Attributes& attributes)
    : snapshot_(snapshot), attributes_(attributes), resolver_(attributes) {}

Assignment UnitEvaluator::Evaluate(std::string_view experiment_key) {
  const CompiledExperiment* experiment = snapshot_.Find(experiment_key);
  if (experiment == nullptr) return Unknown(experiment_key);
  return EvaluateExperiment(*experiment, attributes_, resolver_);
}

void UnitEvaluator::EvaluateAllRunning(std::vector<Assignment>* out) {
  out->reserve(out->size() + snapshot_.running().size());
  for (const CompiledExperiment* experiment : snapshot_.running()) {
    out->push_back(EvaluateExperiment(*experiment, attributes_, resolver_));
  }
}

Assignment Evaluate(const Snapshot& snapshot, const Attributes& attributes,
                    std::string_view experiment_key) {
  return UnitEvaluator(snapshot, attributes).Evaluate(experiment_key);
}

void EvaluateMany(const Snapshot& snapshot, const Attributes& attributes,
                  absl::Span<const std::string> experiment_keys, std::vector<Assignment>* out) {
  UnitEvaluator evaluator(snapshot, attributes);
  out->reserve(out->size() + experiment_keys.size());
  for (const std::string& key : experiment_keys) out->push_back(evaluator.Evaluate(key));
}

void EvaluateAllRunning(const Snapshot& snapshot, const Attributes& attributes,
                        std::vector<Assignment>* out) {
  UnitEvaluator(snapshot, attributes).EvaluateAllRunning(out);
}

}  // namespace lift::assignment
