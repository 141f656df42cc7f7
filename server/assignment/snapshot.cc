#include "server/assignment/snapshot.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/assignment/hash.h"
#include "stats/status_macros.h"

namespace lift::assignment {
namespace {

absl::Status Prefixed(const absl::Status& status, absl::string_view prefix) {
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Snapshot>> Snapshot::Build(
    absl::Span<const ExperimentConfig> experiments, absl::Span<const HoldoutConfig> holdouts,
    int64_t version) {
  std::shared_ptr<Snapshot> snapshot(new Snapshot());
  snapshot->version_ = version;

  absl::flat_hash_map<std::string, size_t> holdout_index;
  snapshot->holdouts_.reserve(holdouts.size());
  for (size_t i = 0; i < holdouts.size(); ++i) {
    const HoldoutConfig& h = holdouts[i];
    const std::string prefix = absl::StrCat("holdouts[", i, "] (\"", h.key, "\"): ");
    if (absl::Status status = ValidateHoldout(h); !status.ok()) return Prefixed(status, prefix);
    const auto [it, inserted] = holdout_index.emplace(h.key, i);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "key must be unique, also used by holdouts[", it->second, "]"));
    }
    snapshot->holdouts_.push_back({h.key, h.share, h.layer, Fnv1a32(h.key), i});
  }

  absl::flat_hash_map<std::string, size_t> layer_index;
  snapshot->experiments_.reserve(experiments.size());
  for (size_t i = 0; i < experiments.size(); ++i) {
    const ExperimentConfig& e = experiments[i];
    const std::string prefix = absl::StrCat("experiments[", i, "] (\"", e.key, "\"): ");
    if (absl::Status status = ValidateExperiment(e); !status.ok()) return Prefixed(status, prefix);
    const auto [it, inserted] = snapshot->index_.emplace(e.key, i);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "key must be unique, also used by experiments[", it->second, "]"));
    }

    CompiledExperiment c;
    c.key = e.key;
    c.status = e.status;
    std::vector<double> weights;
    for (const VariantConfig& v : e.variants) {
      c.variants.push_back({v.key, v.payload});
      weights.push_back(v.weight);
    }
    c.ranges = GetBucketRanges(static_cast<int>(e.variants.size()), e.coverage, weights);
    c.seed = e.seed.empty() ? e.key : e.seed;
    c.seed_state = Fnv1a32(c.seed);
    c.hash_version = e.hash_version;
    c.hash_attribute = e.hash_attribute;
    LIFT_ASSIGN_OR_RETURN(c.condition, Condition::Compile(e.condition));  // validated above
    c.layer = e.layer;
    if (!c.layer.empty())
      c.layer_index = layer_index.emplace(c.layer, layer_index.size()).first->second;
    c.layer_start = e.layer_start;
    c.layer_end = e.layer_end;
    for (const CompiledHoldout& h : snapshot->holdouts_) {
      if (h.layer.empty() || (!c.layer.empty() && h.layer == c.layer)) c.holdouts.push_back(&h);
    }
    for (const auto& [unit_id, index] : e.forced_variants)
      c.forced_variants.emplace(unit_id, index);
    if (e.status == ExperimentStatus::kStopped && e.winning_variant.has_value()) {
      c.winning_variant = *e.winning_variant;
    }
    c.phase = e.phase;
    snapshot->experiments_.push_back(std::move(c));
  }
  LIFT_RETURN_IF_ERROR(ValidateLayerSlices(experiments));

  for (const CompiledExperiment& c : snapshot->experiments_) {
    if (c.status == ExperimentStatus::kRunning) snapshot->running_.push_back(&c);
  }
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

const CompiledExperiment* Snapshot::Find(std::string_view key) const {
  const auto it = index_.find(absl::string_view(key.data(), key.size()));
  return it == index_.end() ? nullptr : &experiments_[it->second];
}

}  // namespace lift::assignment
