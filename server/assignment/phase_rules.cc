#include "server/assignment/phase_rules.h"

#include <cstddef>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/assignment/js_value.h"

namespace lift::assignment {
namespace {

PhaseDecision NewPhase(std::string reason) { return {true, std::move(reason)}; }

std::string Num(double value) { return JsNumberToString(value); }

}  // namespace

PhaseDecision ClassifyChange(const ExperimentConfig& before, const ExperimentConfig& after) {
  if (before.variants.size() != after.variants.size()) {
    return NewPhase(absl::StrCat("number of variants changed from ", before.variants.size(), " to ",
                                 after.variants.size()));
  }
  for (size_t i = 0; i < before.variants.size(); ++i) {
    const VariantConfig& b = before.variants[i];
    const VariantConfig& a = after.variants[i];
    if (b.key != a.key) {
      return NewPhase(
          absl::StrCat("variants[", i, "].key changed from \"", b.key, "\" to \"", a.key, "\""));
    }
    if (b.weight != a.weight) {
      return NewPhase(absl::StrCat("variants[", i, "].weight changed from ", Num(b.weight), " to ",
                                   Num(a.weight)));
    }
  }
  const std::string& seed_before = before.seed.empty() ? before.key : before.seed;
  const std::string& seed_after = after.seed.empty() ? after.key : after.seed;
  if (seed_before != seed_after) {
    return NewPhase(
        absl::StrCat("seed changed from \"", seed_before, "\" to \"", seed_after, "\""));
  }
  if (before.hash_version != after.hash_version) {
    return NewPhase(absl::StrCat("hash_version changed from ", before.hash_version, " to ",
                                 after.hash_version));
  }
  if (before.hash_attribute != after.hash_attribute) {
    return NewPhase(absl::StrCat("hash_attribute changed from \"", before.hash_attribute,
                                 "\" to \"", after.hash_attribute, "\""));
  }
  if (after.coverage < before.coverage) {
    return NewPhase(
        absl::StrCat("coverage lowered from ", Num(before.coverage), " to ", Num(after.coverage)));
  }
  if (before.layer != after.layer) {
    return NewPhase(
        absl::StrCat("layer changed from \"", before.layer, "\" to \"", after.layer, "\""));
  }
  if (!before.layer.empty() &&
      (after.layer_start > before.layer_start || after.layer_end < before.layer_end)) {
    return NewPhase(absl::StrCat("layer slice [", Num(after.layer_start), ", ",
                                 Num(after.layer_end), ") does not contain the previous slice [",
                                 Num(before.layer_start), ", ", Num(before.layer_end), ")"));
  }
  return {};
}

}  // namespace lift::assignment
