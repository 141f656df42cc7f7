#include "server/assignment/unit_context.h"

#include "server/assignment/hash.h"
#include "server/assignment/js_value.h"

namespace lift::assignment {
namespace {

// Stores the unit id held by `value` in *id (backed by *storage when not a string); returns false
// when there is none. GrowthBook skips falsy ids; arrays and objects are not ids either.
bool ComputeId(const nlohmann::json* value, std::string* storage, std::string_view* id) {
  if (value == nullptr) return false;
  if (value->is_string()) {
    const std::string& text = value->get_ref<const std::string&>();
    *id = text;
    return !text.empty();
  }
  if ((value->is_number() || value->is_boolean()) && JsTruthy(*value)) {
    *storage = JsToString(*value);
    *id = *storage;
    return true;
  }
  return false;
}

}  // namespace

double UnitContext::LayerBucketOf(const CompiledExperiment& e) {
  if (e.layer_index >= kCached) return LayerBucket(e.layer, id);
  const uint64_t bit = uint64_t{1} << e.layer_index;
  if ((layer_known & bit) == 0) {
    layer_buckets[e.layer_index] = LayerBucket(e.layer, id);
    layer_known |= bit;
  }
  return layer_buckets[e.layer_index];
}

bool UnitContext::InHoldout(const CompiledHoldout& h) {
  if (h.index >= kCached) return HashV2WithSeedState(h.seed_state, id) < h.share;
  const uint64_t bit = uint64_t{1} << h.index;
  if ((holdout_known & bit) == 0) {
    if (HashV2WithSeedState(h.seed_state, id) < h.share) holdout_in |= bit;
    holdout_known |= bit;
  }
  return (holdout_in & bit) != 0;
}

std::optional<double> UnitContext::ResolveHoldoutWithBucket(const CompiledHoldout& h,
                                                            const CompiledExperiment& e) {
  if (h.index >= kCached || e.hash_version != 2) return std::nullopt;
  const uint64_t bit = uint64_t{1} << h.index;
  if ((holdout_known & bit) != 0) return std::nullopt;
  const auto [holdout_hash, bucket] = HashV2PairWithSeedStates(h.seed_state, e.seed_state, id);
  if (holdout_hash < h.share) holdout_in |= bit;
  holdout_known |= bit;
  return bucket;
}

UnitContext& UnitResolver::Resolve(std::string_view attribute) {
  for (size_t i = 0; i < size_; ++i) {
    if (contexts_[i].attribute == attribute) return contexts_[i];
  }
  // Fill a free slot, or reuse the last one when all are taken.
  UnitContext& unit = contexts_[size_ < contexts_.size() ? size_++ : contexts_.size() - 1];
  unit.attribute = attribute;
  unit.layer_known = 0;
  unit.holdout_known = 0;
  unit.holdout_in = 0;
  unit.has_id = ComputeId(attributes_.Find(attribute), &unit.storage, &unit.id);
  return unit;
}

}  // namespace lift::assignment
