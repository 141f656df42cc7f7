// The attributes of one unit (user, device, company, ...) that an assignment is computed for.
//
// Attributes are a JSON object: the randomisation unit's id lives under its unit type (the
// experiment's `hash_attribute`, "id" by default) and targeting conditions read any attribute,
// including nested ones through dotted paths ("address.country"). JSON keeps the typed values that
// GrowthBook conditions compare (numbers, booleans, arrays) and is what SDK users already send. The
// gRPC layer, whose `map<string, string>` carries strings only, builds one Attributes per unit with
// FromStrings (values stay strings: GrowthBook's conditions coerce "8" > 5 like JavaScript does).
//
// Build an Attributes once per unit and evaluate every experiment against it; evaluation only
// reads. Thread safety: immutable after construction; concurrent reads are safe.
#ifndef LIFT_SERVER_ASSIGNMENT_ATTRIBUTES_H_
#define LIFT_SERVER_ASSIGNMENT_ATTRIBUTES_H_

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace lift::assignment {

// Deepest nesting of objects and arrays in attributes ({"a": [1]} is 2 levels deep): evaluation
// (JavaScript string forms, deep equality) and serialisation recurse over it.
inline constexpr int kMaxAttributeDepth = 64;

// True when `value` nests objects or arrays more than `max_depth` levels deep. Recurses at most
// max_depth + 1 levels whatever the depth of `value`, so it is safe on any parsed document.
bool JsonNestsDeeperThan(const nlohmann::json& value, int max_depth);

class Attributes {
 public:
  // No attributes (an empty object).
  Attributes() : json_(nlohmann::json::object()) {}

  // Returns the attributes held by `object`; InvalidArgument when it is not a JSON object or
  // nests deeper than kMaxAttributeDepth.
  static absl::StatusOr<Attributes> FromJson(nlohmann::json object);

  // Returns attributes whose values are the strings of `pairs` (any range of pairs of
  // string-convertible keys and values, e.g. a protobuf Map<string, string> or std::map).
  template <typename PairRange>
  static Attributes FromStrings(const PairRange& pairs) {
    Attributes attributes;
    for (const auto& [key, value] : pairs) {
      attributes.json_[std::string(key)] = std::string(value);
    }
    return attributes;
  }

  // The whole object, for condition evaluation.
  const nlohmann::json& json() const { return json_; }

  // Returns the top-level attribute `name`, or nullptr when absent.
  const nlohmann::json* Find(std::string_view name) const;

 private:
  explicit Attributes(nlohmann::json object) : json_(std::move(object)) {}

  nlohmann::json json_;
};

}  // namespace lift::assignment

#endif  // LIFT_SERVER_ASSIGNMENT_ATTRIBUTES_H_
