// Per-unit scratch state shared by the experiments evaluated for one unit in one call.
//
// Experiments of the same unit type (hash attribute) need the same unit id, the same layer buckets
// (one per layer) and the same holdout decisions (one per holdout). UnitResolver looks the id up
// once per hash attribute and UnitContext memoises layer buckets and holdout hashes, so a unit's
// shared hashes are computed once per call instead of once per experiment. Nothing is allocated
// for string ids; contexts live on the caller's stack.
//
// Thread safety: not thread-safe; one UnitResolver per unit per evaluating thread. Internal to the
// engine (engine.h); the Attributes must outlive the resolver.
#ifndef LIFT_SERVER_ASSIGNMENT_UNIT_CONTEXT_H_
#define LIFT_SERVER_ASSIGNMENT_UNIT_CONTEXT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/assignment/attributes.h"
#include "server/assignment/snapshot.h"

namespace lift::assignment {

// What is known about the unit for one hash attribute.
struct UnitContext {
  // Caches cover the first kCached layers / holdouts of a snapshot; others are recomputed.
  static constexpr size_t kCached = 64;

  std::string_view attribute;
  bool has_id = false;  // false: attribute missing, null, "", 0, false, array or object
  std::string_view id;  // the unit id (JavaScript string form for numbers and true)
  std::string storage;  // backs `id` when the attribute is not a string
  uint64_t layer_known = 0;
  uint64_t holdout_known = 0;
  uint64_t holdout_in = 0;
  std::array<double, kCached> layer_buckets;  // valid where layer_known has the bit

  // Returns LayerBucket(e.layer, id), computed once per layer.
  double LayerBucketOf(const CompiledExperiment& e);

  // Returns whether HashV2(h.key, id) < h.share, computed once per holdout.
  bool InHoldout(const CompiledHoldout& h);

  // For an experiment `e` hashed with v2 whose holdout `h` is not known yet: computes the holdout
  // decision and e's bucket HashV2(e.seed, id) in one pass (HashV2PairWithSeedStates), records the
  // former and returns the latter. nullopt (nothing computed) when h is known or not cacheable, or
  // e uses hash v1.
  std::optional<double> ResolveHoldoutWithBucket(const CompiledHoldout& h,
                                                 const CompiledExperiment& e);
};

// Resolves unit ids from the attributes, keeping a UnitContext for each of the last few hash
// attributes seen.
class UnitResolver {
 public:
  explicit UnitResolver(const Attributes& attributes) : attributes_(attributes) {}

  UnitResolver(const UnitResolver&) = delete;
  UnitResolver& operator=(const UnitResolver&) = delete;

  // Returns the context for `attribute` (which must outlive the resolver); valid until the next
  // call, which may evict it when more than four hash attributes are in use.
  UnitContext& Resolve(std::string_view attribute);

 private:
  const Attributes& attributes_;
  std::array<UnitContext, 4> contexts_;
  size_t size_ = 0;
};

}  // namespace lift::assignment

#endif  // LIFT_SERVER_ASSIGNMENT_UNIT_CONTEXT_H_
