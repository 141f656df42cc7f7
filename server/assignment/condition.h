// Targeting conditions: GrowthBook/MongoDB-style JSON rules on unit attributes, compiled once.
//
// A condition is a JSON object. Its keys are attribute paths ("country", "father.age") whose values
// are either literals (implicit equality) or operator objects, or the logical operators $and, $or,
// $nor (arrays of conditions) and $not (a condition). Operators on a value:
//   $eq $ne $gt $gte $lt $lte      JavaScript === / !== / relational comparison ("8" > 5 holds)
//   $in $nin                       membership; an array attribute matches when any element is in
//   $exists                        attribute present and not null (true) / absent or null (false)
//   $regex                         partial match of the attribute's string form
//   $not                           negates an operator object or literal
//   $all $size $elemMatch          array operators ($size takes a number or an operator object)
//   $type                          "string" "number" "boolean" "object" "array" "null"
//   $veq $vne $vgt $vgte $vlt $vlte  version comparison (version_string.h)
// Literal semantics follow GrowthBook's evalCondition: a string literal matches the attribute's
// string form, a number literal its numeric form, true/false its truthiness (never a null or
// missing attribute), null a null or missing attribute, arrays and plain objects deep JSON
// equality. Source: growthbook/growthbook packages/sdk-js/src/mongrule.ts (evalCondition), checked
// against the published spec vectors in tests/reference/fixtures/growthbook_cases.json.
//
// Differences from GrowthBook, all on the side of refusing a condition at save time that GrowthBook
// would silently evaluate to "never matches" (or match oddly):
//   - unknown operators, invalid regexes, non-array $in/$nin/$all, bad $type names and other
//     malformed operands are rejected by Compile with InvalidArgument naming the path and the rule;
//   - $eq/$ne with an array or object operand ("never ===") and operator objects that mix "$" and
//     plain keys are rejected;
//   - regexes use RE2 (linear time, no catastrophic backtracking on the hot path): RE2 lacks
//     backreferences and lookaround, and such patterns are rejected. Common JavaScript patterns
//     (classes, anchors, alternation, quantifiers, groups) behave the same;
//   - deep equality ignores object key order (JavaScript compares JSON.stringify output, which
//     depends on insertion order);
//   - a condition may nest objects and arrays at most kMaxConditionDepth levels deep (real
//     conditions use a handful; the limit bounds the compiler's recursion and memory).
//
// Thread safety: a compiled Condition is immutable; Matches may run concurrently. Copies share the
// compiled tree.
#ifndef LIFT_SERVER_ASSIGNMENT_CONDITION_H_
#define LIFT_SERVER_ASSIGNMENT_CONDITION_H_

#include <memory>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "server/assignment/attributes.h"

namespace lift::assignment {

// Deepest nesting of objects and arrays a condition may have ({"a": 1} is 1 level deep).
inline constexpr int kMaxConditionDepth = 64;

namespace condition_internal {
struct ConditionNode;
}  // namespace condition_internal

class Condition {
 public:
  // The empty condition: matches every unit.
  Condition() = default;

  // Compiles `condition` (null or {} for "everyone"). Returns InvalidArgument when it is not an
  // object, nests deeper than kMaxConditionDepth, or any part of it is malformed; the message names
  // the location, e.g. `condition.$and[1]["father.age"].$in: must be an array, got number`.
  static absl::StatusOr<Condition> Compile(const nlohmann::json& condition);

  // True when the attributes satisfy the condition.
  bool Matches(const Attributes& attributes) const { return Matches(attributes.json()); }
  bool Matches(const nlohmann::json& attributes) const;

  // True for the empty condition (no need to evaluate it).
  bool MatchesEverything() const { return root_ == nullptr; }

 private:
  std::shared_ptr<const condition_internal::ConditionNode> root_;
};

}  // namespace lift::assignment

#endif  // LIFT_SERVER_ASSIGNMENT_CONDITION_H_
