#include "server/assignment/experiment_config.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/assignment/condition.h"
#include "server/assignment/js_value.h"

namespace lift::assignment {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, " ", rule));
}

std::string Quote(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

// Doubles in messages use the shortest form that round-trips ("1.00000001", not "1").
std::string Num(double value) { return JsNumberToString(value); }

bool InUnitInterval(double value) { return std::isfinite(value) && value >= 0.0 && value <= 1.0; }

}  // namespace

std::string_view ExperimentStatusName(ExperimentStatus status) {
  switch (status) {
    case ExperimentStatus::kDraft:
      return "draft";
    case ExperimentStatus::kRunning:
      return "running";
    case ExperimentStatus::kStopped:
      return "stopped";
    case ExperimentStatus::kArchived:
      return "archived";
  }
  return "unknown";
}

bool IsValidKey(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

absl::Status ValidateExperiment(const ExperimentConfig& e) {
  if (!IsValidKey(e.key))
    return Invalid("key", absl::StrCat("must match [a-z0-9_.-]+, got ", Quote(e.key)));

  const size_t n = e.variants.size();
  if (n < 2) return Invalid("variants", absl::StrCat("must have at least 2 entries, got ", n));
  std::set<std::string_view> variant_keys;
  double weight_sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const VariantConfig& v = e.variants[i];
    const std::string field = absl::StrCat("variants[", i, "]");
    if (v.key.empty()) return Invalid(absl::StrCat(field, ".key"), "must not be empty");
    if (!variant_keys.insert(v.key).second) {
      return Invalid(absl::StrCat(field, ".key"),
                     absl::StrCat("must be unique, ", Quote(v.key), " appears more than once"));
    }
    if (!std::isfinite(v.weight) || v.weight < 0.0) {
      return Invalid(absl::StrCat(field, ".weight"),
                     absl::StrCat("must be >= 0, got ", Num(v.weight)));
    }
    weight_sum += v.weight;
    if (!v.payload.empty() && !nlohmann::json::accept(v.payload)) {
      return Invalid(absl::StrCat(field, ".payload"),
                     absl::StrCat("must be valid JSON, got ", Quote(v.payload)));
    }
  }
  if (std::fabs(weight_sum - 1.0) > kWeightSumTolerance) {
    return Invalid("variants[].weight",
                   absl::StrCat("must sum to 1 within 1e-9, got a sum of ", Num(weight_sum)));
  }

  if (!InUnitInterval(e.coverage)) {
    return Invalid("coverage", absl::StrCat("must be in [0, 1], got ", Num(e.coverage)));
  }
  if (e.hash_version != 1 && e.hash_version != 2) {
    return Invalid("hash_version", absl::StrCat("must be 1 or 2, got ", e.hash_version));
  }
  if (e.hash_attribute.empty()) return Invalid("hash_attribute", "must not be empty");

  const absl::StatusOr<Condition> condition = Condition::Compile(e.condition);
  if (!condition.ok()) return condition.status();  // message starts with "condition..."

  if (!e.layer.empty()) {
    if (!IsValidKey(e.layer)) {
      return Invalid("layer", absl::StrCat("must match [a-z0-9_.-]+, got ", Quote(e.layer)));
    }
    if (!InUnitInterval(e.layer_start) || !InUnitInterval(e.layer_end) ||
        !(e.layer_start < e.layer_end)) {
      return Invalid("layer_start/layer_end",
                     absl::StrCat("must satisfy 0 <= layer_start < layer_end <= 1, got [",
                                  Num(e.layer_start), ", ", Num(e.layer_end), ")"));
    }
  }

  for (const auto& [unit_id, index] : e.forced_variants) {
    if (unit_id.empty()) return Invalid("forced_variants", "unit ids must not be empty");
    if (index < 0 || static_cast<size_t>(index) >= n) {
      return Invalid(absl::StrCat("forced_variants[", Quote(unit_id), "]"),
                     absl::StrCat("must be a variant index in [0, ", n, "), got ", index));
    }
  }
  if (e.winning_variant.has_value() &&
      (*e.winning_variant < 0 || static_cast<size_t>(*e.winning_variant) >= n)) {
    return Invalid("winning_variant", absl::StrCat("must be a variant index in [0, ", n, "), got ",
                                                   *e.winning_variant));
  }
  if (e.phase < 0) return Invalid("phase", absl::StrCat("must be >= 0, got ", e.phase));
  return absl::OkStatus();
}

absl::Status ValidateHoldout(const HoldoutConfig& h) {
  if (!IsValidKey(h.key))
    return Invalid("key", absl::StrCat("must match [a-z0-9_.-]+, got ", Quote(h.key)));
  if (!InUnitInterval(h.share))
    return Invalid("share", absl::StrCat("must be in [0, 1], got ", Num(h.share)));
  if (!h.layer.empty() && !IsValidKey(h.layer)) {
    return Invalid("layer", absl::StrCat("must match [a-z0-9_.-]+, got ", Quote(h.layer)));
  }
  return absl::OkStatus();
}

absl::Status ValidateLayerSlices(absl::Span<const ExperimentConfig> experiments) {
  // Sort the running members of each layer by slice start; neighbours must not overlap.
  std::vector<const ExperimentConfig*> members;
  for (const ExperimentConfig& e : experiments) {
    if (e.status == ExperimentStatus::kRunning && !e.layer.empty()) members.push_back(&e);
  }
  std::sort(members.begin(), members.end(),
            [](const ExperimentConfig* a, const ExperimentConfig* b) {
              return std::tie(a->layer, a->layer_start) < std::tie(b->layer, b->layer_start);
            });
  for (size_t i = 1; i < members.size(); ++i) {
    const ExperimentConfig& previous = *members[i - 1];
    const ExperimentConfig& current = *members[i];
    if (previous.layer == current.layer && current.layer_start < previous.layer_end) {
      return absl::InvalidArgumentError(absl::StrCat(
          "layer ", Quote(current.layer), ": slices of running experiments must not overlap, but ",
          Quote(previous.key), " has [", Num(previous.layer_start), ", ", Num(previous.layer_end),
          ") and ", Quote(current.key), " has [", Num(current.layer_start), ", ",
          Num(current.layer_end), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace lift::assignment
