// Targeting conditions (server/assignment/condition.h): compiles the first line of the input as a
// JSON condition and evaluates it against the rest of the input as the unit's attributes (and
// against a few fixed attribute documents).
// Properties: compiling never crashes and errors name a location; evaluation is deterministic;
// {"$not": c} matches exactly when c does not.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "nlohmann/json.hpp"
#include "server/assignment/attributes.h"
#include "server/assignment/condition.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using lift::assignment::Attributes;
using lift::assignment::Condition;
using nlohmann::json;

const std::vector<json>& FixedAttributes() {
  static const std::vector<json>* const kDocuments = new std::vector<json>{
      json::object(),
      json::parse(R"({"id": "u1", "country": "US", "age": 31, "plan": "pro",
                      "tags": ["beta", "early"], "address": {"city": "Oslo", "zip": "0150"},
                      "app_version": "2.3.1-rc.1", "score": 8.5, "vip": true, "nothing": null})"),
      json::parse(R"({"id": 42, "country": ["US", "CA"], "age": "8", "tags": [[1, 2], {"a": 1}],
                      "address": [{"city": "x"}], "app_version": 3})"),
  };
  return *kDocuments;
}

void Evaluate(const Condition& condition, const json& attributes) {
  const bool first = condition.Matches(attributes);
  LIFT_FUZZ_CHECK(condition.Matches(attributes) == first);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [condition_text, attributes_text] = lift::fuzz::SplitAt(lift::fuzz::AsText(data, size), '\n');
  json condition_json = json::parse(condition_text, nullptr, /*allow_exceptions=*/false);
  if (condition_json.is_discarded()) return 0;

  absl::StatusOr<Condition> condition = Condition::Compile(condition_json);
  if (!condition.ok()) {
    LIFT_FUZZ_CHECK(absl::IsInvalidArgument(condition.status()));
    LIFT_FUZZ_CHECK(!condition.status().message().empty());
    return 0;
  }

  // Attributes are moved, never copied: the harness itself must not recurse over deep documents.
  std::optional<Attributes> unit;
  json attributes = json::parse(attributes_text, nullptr, /*allow_exceptions=*/false);
  if (!attributes.is_discarded()) {
    const bool is_object = attributes.is_object();
    absl::StatusOr<Attributes> parsed = Attributes::FromJson(std::move(attributes));
    LIFT_FUZZ_CHECK(parsed.ok() == is_object);
    if (parsed.ok()) unit = *std::move(parsed);
  }
  for (const json& document : FixedAttributes()) Evaluate(*condition, document);
  if (unit.has_value()) Evaluate(*condition, unit->json());

  // Negation: {"$not": condition} (not for the empty condition, which compiles to "everyone").
  if (condition_json.is_object() && !condition_json.empty()) {
    json wrapper = json::object();
    wrapper["$not"] = std::move(condition_json);
    absl::StatusOr<Condition> negated = Condition::Compile(wrapper);
    if (negated.ok()) {  // may exceed a nesting limit the original just met
      for (const json& document : FixedAttributes()) {
        LIFT_FUZZ_CHECK(negated->Matches(document) == !condition->Matches(document));
      }
      if (unit.has_value()) {
        LIFT_FUZZ_CHECK(negated->Matches(unit->json()) == !condition->Matches(unit->json()));
      }
    }
  }
  return 0;
}
