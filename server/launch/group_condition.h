// Group conditions of launch analyses: the tiny, safe language that says which units are treated
// and which are control (proto/lift/v1/launches.proto has the user-facing description).
//
//   condition := clause { " and " clause }
//   clause    := name "=" value | name "!=" value | name "in" list | name "not" "in" list
//   list      := "(" value { "," value } ")"
//   name      := ["exposure."] 1..100 characters of [A-Za-z0-9_.-]
//   value     := bare word (no whitespace, ',', '(', ')', '\'', '"', '=', '!')
//                | '…' | "…" (any characters but the quote itself; may be empty)
// Keywords (and, in, not) are case-insensitive; whitespace around operators and list items is
// free. A plain name tests an event property; `exposure.NAME` the unit's first-exposure attribute
// NAME. Limits: 20 clauses, 1,000 values per list, 1,000 characters per value.
//
// The parsed form is a plain struct; launch_query.h compiles it to SQL with the names and values
// as bound parameters, so nothing a user types ever becomes SQL text.
//
// Thread safety: plain data and pure functions.
#ifndef LIFT_SERVER_LAUNCH_GROUP_CONDITION_H_
#define LIFT_SERVER_LAUNCH_GROUP_CONDITION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lift::launch {

inline constexpr size_t kMaxAttributeNameLength = 100;
inline constexpr size_t kMaxClauses = 20;
inline constexpr size_t kMaxListValues = 1000;
inline constexpr size_t kMaxValueLength = 1000;
inline constexpr absl::string_view kExposurePrefix = "exposure.";

enum class AttributeSource {
  kEventProperty,      // metric_events.properties ->> name
  kExposureAttribute,  // the unit's first-exposure attributes ->> name
};

enum class ConditionOperator { kEqual, kNotEqual, kIn, kNotIn };

struct ConditionClause {
  AttributeSource source = AttributeSource::kEventProperty;
  std::string attribute;  // without the "exposure." prefix
  ConditionOperator op = ConditionOperator::kEqual;
  std::vector<std::string> values;  // one for = and !=; one or more for in / not in
  bool operator==(const ConditionClause& other) const {
    return source == other.source && attribute == other.attribute && op == other.op &&
           values == other.values;
  }
};

struct GroupCondition {
  std::vector<ConditionClause> clauses;  // all must hold; never empty once parsed
  bool HasSource(AttributeSource source) const;
};

// Parses `text`. InvalidArgument "<field>: <what> at position N" (N 1-based, the character where
// the problem starts; the end of the text is length + 1), e.g.
//   "treated: expected an operator (=, !=, in, not in) at position 8, found '>'",
//   "control: attribute name longer than 100 characters at position 1",
//   "treated is required" for an empty or blank text.
absl::StatusOr<GroupCondition> ParseGroupCondition(absl::string_view text, absl::string_view field);

// Canonical text of a condition (parses back to the same struct): single spaces, lower-case
// keywords, values quoted with '…' when they are not bare words (or with "…" if they contain ').
std::string FormatGroupCondition(const GroupCondition& condition);

}  // namespace lift::launch

#endif  // LIFT_SERVER_LAUNCH_GROUP_CONDITION_H_
