#include "server/experiments/experiment.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/assignment/js_value.h"

namespace lift::experiments {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, " ", rule));
}

std::string Quote(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

std::string Num(double value) { return assignment::JsNumberToString(value); }

absl::Status CheckKey(absl::string_view field, const std::string& key) {
  if (!assignment::IsValidKey(key)) {
    return Invalid(field, absl::StrCat("must match [a-z0-9_.-]+, got ", Quote(key)));
  }
  if (key.size() > kMaxKeyLength) {
    return Invalid(
        field, absl::StrCat("must be at most ", kMaxKeyLength, " characters, got ", key.size()));
  }
  return absl::OkStatus();
}

absl::Status CheckLength(absl::string_view field, const std::string& text, size_t limit) {
  if (text.size() > limit) {
    return Invalid(field,
                   absl::StrCat("must be at most ", limit, " characters, got ", text.size()));
  }
  return absl::OkStatus();
}

bool InUnitInterval(double value) { return std::isfinite(value) && value >= 0.0 && value <= 1.0; }

// The condition as JSON: null for the empty condition; nullopt when the text is not JSON.
std::optional<nlohmann::json> ParseCondition(const std::string& text) {
  if (text.empty()) return nlohmann::json();
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

bool SameVariants(const std::vector<VariantConfig>& a, const std::vector<VariantConfig>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || a[i].weight != b[i].weight || a[i].payload != b[i].payload) {
      return false;
    }
  }
  return true;
}

bool SameCondition(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const auto parsed_a = ParseCondition(a);
  const auto parsed_b = ParseCondition(b);
  return parsed_a.has_value() && parsed_b.has_value() && *parsed_a == *parsed_b;
}

nlohmann::json VariantsJson(const std::vector<VariantConfig>& variants, bool with_payload) {
  nlohmann::json out = nlohmann::json::array();
  for (const VariantConfig& v : variants) {
    nlohmann::json item = {{"key", v.key}, {"weight", v.weight}};
    if (with_payload) item["payload"] = v.payload;
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

const std::vector<std::string>& EditableFieldNames() {
  static const std::vector<std::string> kNames = {
      "name",     "hypothesis", "owner",        "tags",      "unit_type", "variants",
      "coverage", "seed",       "hash_version", "condition", "layer",     "metrics"};
  return kNames;
}

bool IsAssignmentField(std::string_view field) {
  return field != "name" && field != "hypothesis" && field != "owner" && field != "tags" &&
         field != "metrics";
}

absl::Status CopyEditableFields(const Experiment& from, absl::Span<const std::string> fields,
                                Experiment* to) {
  const std::vector<std::string>& all = EditableFieldNames();
  if (fields.empty()) fields = all;
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string& field = fields[i];
    if (field == "name") {
      to->name = from.name;
    } else if (field == "hypothesis") {
      to->hypothesis = from.hypothesis;
    } else if (field == "owner") {
      to->owner = from.owner;
    } else if (field == "tags") {
      to->tags = from.tags;
    } else if (field == "unit_type") {
      to->unit_type = from.unit_type;
    } else if (field == "variants") {
      to->variants = from.variants;
    } else if (field == "coverage") {
      to->coverage = from.coverage;
    } else if (field == "seed") {
      to->seed = from.seed;
    } else if (field == "hash_version") {
      to->hash_version = from.hash_version;
    } else if (field == "condition") {
      to->condition = from.condition;
    } else if (field == "layer") {
      to->layer = from.layer;
      to->layer_start = from.layer_start;
      to->layer_end = from.layer_end;
    } else if (field == "metrics") {
      to->metrics = from.metrics;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "update_mask.paths[", i, "]: ", Quote(field),
          " is not an editable field (name, hypothesis, owner, tags, unit_type, variants, "
          "coverage, seed, hash_version, condition, layer, metrics)"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> ChangedFields(const Experiment& a, const Experiment& b) {
  std::vector<std::string> changed;
  auto check = [&](const char* name, bool same) {
    if (!same) changed.push_back(name);
  };
  check("name", a.name == b.name);
  check("hypothesis", a.hypothesis == b.hypothesis);
  check("owner", a.owner == b.owner);
  check("tags", a.tags == b.tags);
  check("unit_type", a.unit_type == b.unit_type);
  check("variants", SameVariants(a.variants, b.variants));
  check("coverage", a.coverage == b.coverage);
  check("seed", a.seed == b.seed);
  check("hash_version", a.hash_version == b.hash_version);
  check("condition", SameCondition(a.condition, b.condition));
  check("layer",
        a.layer == b.layer && a.layer_start == b.layer_start && a.layer_end == b.layer_end);
  check("metrics", a.metrics == b.metrics);
  return changed;
}

void Normalize(Experiment* e) {
  if (e->unit_type.empty()) e->unit_type = "id";
  if (e->hash_version == 0) e->hash_version = 2;
  if (!e->variants.empty() && std::all_of(e->variants.begin(), e->variants.end(),
                                          [](const VariantConfig& v) { return v.weight == 0.0; })) {
    for (VariantConfig& v : e->variants) v.weight = 1.0 / static_cast<double>(e->variants.size());
  }
  const std::string trimmed(absl::StripAsciiWhitespace(e->condition));
  e->condition = trimmed;
  if (const auto parsed = ParseCondition(e->condition);
      parsed.has_value() && (parsed->is_null() || (parsed->is_object() && parsed->empty()))) {
    e->condition.clear();
  }
  if (e->layer.empty()) {
    e->layer_start = 0.0;
    e->layer_end = 1.0;
  }
}

absl::Status ValidateExperiment(const Experiment& e) {
  if (absl::Status status = CheckKey("key", e.key); !status.ok()) return status;
  if (auto s = CheckLength("name", e.name, kMaxNameLength); !s.ok()) return s;
  if (auto s = CheckLength("hypothesis", e.hypothesis, kMaxTextLength); !s.ok()) return s;
  if (auto s = CheckLength("owner", e.owner, kMaxNameLength); !s.ok()) return s;
  if (e.tags.size() > kMaxTags) {
    return Invalid("tags",
                   absl::StrCat("must have at most ", kMaxTags, " entries, got ", e.tags.size()));
  }
  std::set<std::string_view> tags;
  for (size_t i = 0; i < e.tags.size(); ++i) {
    const std::string field = absl::StrCat("tags[", i, "]");
    if (auto s = CheckKey(field, e.tags[i]); !s.ok()) return s;
    if (!tags.insert(e.tags[i]).second) {
      return Invalid(field,
                     absl::StrCat("must be unique, ", Quote(e.tags[i]), " appears more than once"));
    }
  }
  if (e.unit_type.empty()) return Invalid("unit_type", "must not be empty");
  if (auto s = CheckLength("unit_type", e.unit_type, kMaxKeyLength); !s.ok()) return s;
  if (e.variants.size() > kMaxVariants) {
    return Invalid("variants", absl::StrCat("must have at most ", kMaxVariants, " entries, got ",
                                            e.variants.size()));
  }
  for (size_t i = 0; i < e.variants.size(); ++i) {
    const VariantConfig& v = e.variants[i];
    if (auto s = CheckLength(absl::StrCat("variants[", i, "].key"), v.key, kMaxKeyLength);
        !s.ok()) {
      return s;
    }
    if (v.payload.size() > kMaxPayloadBytes) {
      return Invalid(
          absl::StrCat("variants[", i, "].payload"),
          absl::StrCat("must be at most ", kMaxPayloadBytes, " bytes, got ", v.payload.size()));
    }
  }
  if (e.seed.size() > kMaxNameLength) {
    return Invalid("seed", absl::StrCat("must be at most ", kMaxNameLength, " characters, got ",
                                        e.seed.size()));
  }
  if (e.condition.size() > kMaxConditionBytes) {
    return Invalid("condition", absl::StrCat("must be at most ", kMaxConditionBytes, " bytes, got ",
                                             e.condition.size()));
  }
  if (!ParseCondition(e.condition).has_value()) {
    return Invalid("condition",
                   absl::StrCat("must be valid JSON (a GrowthBook/MongoDB-style object), got ",
                                Quote(e.condition)));
  }
  if (!e.layer.empty()) {
    if (auto s = CheckKey("layer.layer", e.layer); !s.ok()) return s;
    if (!InUnitInterval(e.layer_start) || !InUnitInterval(e.layer_end) ||
        !(e.layer_start < e.layer_end)) {
      return Invalid("layer.start/layer.end",
                     absl::StrCat("must satisfy 0 <= start < end <= 1, got [", Num(e.layer_start),
                                  ", ", Num(e.layer_end), ")"));
    }
  }

  // Metrics: valid keys, each in at most one role, guardrail margins in [0, 1).
  std::map<std::string, std::string> roles;  // metric key -> field that uses it
  auto claim = [&](const std::string& field, const std::string& key) -> absl::Status {
    if (auto s = CheckKey(field, key); !s.ok()) return s;
    const auto [it, inserted] = roles.emplace(key, field);
    if (!inserted) {
      return Invalid(field, absl::StrCat("names metric ", Quote(key), ", already used by ",
                                         it->second, " (a metric has at most one role)"));
    }
    return absl::OkStatus();
  };
  for (size_t i = 0; i < e.metrics.success.size(); ++i) {
    if (auto s = claim(absl::StrCat("metrics.success[", i, "]"), e.metrics.success[i]); !s.ok())
      return s;
  }
  for (size_t i = 0; i < e.metrics.secondary.size(); ++i) {
    if (auto s = claim(absl::StrCat("metrics.secondary[", i, "]"), e.metrics.secondary[i]); !s.ok())
      return s;
  }
  for (size_t i = 0; i < e.metrics.guardrails.size(); ++i) {
    const GuardrailMetric& g = e.metrics.guardrails[i];
    const std::string field = absl::StrCat("metrics.guardrails[", i, "]");
    if (auto s = claim(absl::StrCat(field, ".metric_key"), g.metric_key); !s.ok()) return s;
    if (!std::isfinite(g.non_inferiority_margin) || g.non_inferiority_margin < 0.0 ||
        g.non_inferiority_margin >= 1.0) {
      return Invalid(absl::StrCat(field, ".non_inferiority_margin"),
                     absl::StrCat("must be in [0, 1), got ", Num(g.non_inferiority_margin)));
    }
  }

  // The engine's rules: variants, weights, payloads, coverage, hash version, condition.
  absl::StatusOr<assignment::ExperimentConfig> config = ToAssignmentConfig(e, {});
  if (!config.ok()) return config.status();
  config->winning_variant.reset();  // checked by StopExperiment, with its own message
  return assignment::ValidateExperiment(*config);
}

absl::Status ValidateOverride(const Experiment& experiment, const Override& o) {
  if (o.unit_id.empty()) return Invalid("unit_id", "must not be empty");
  if (auto s = CheckLength("unit_id", o.unit_id, kMaxUnitIdLength); !s.ok()) return s;
  for (const VariantConfig& v : experiment.variants) {
    if (v.key == o.variant_key) return absl::OkStatus();
  }
  std::string keys;
  for (const VariantConfig& v : experiment.variants) {
    absl::StrAppend(&keys, keys.empty() ? "" : ", ", Quote(v.key));
  }
  return Invalid("variant_key",
                 absl::StrCat("must name a variant of experiment ", Quote(experiment.key), " (",
                              keys, "), got ", Quote(o.variant_key)));
}

absl::Status ValidateLayer(const Layer& layer) {
  if (auto s = CheckKey("key", layer.key); !s.ok()) return s;
  if (auto s = CheckLength("name", layer.name, kMaxNameLength); !s.ok()) return s;
  return CheckLength("description", layer.description, kMaxTextLength);
}

absl::Status ValidateHoldout(const Holdout& holdout) {
  if (auto s = CheckKey("key", holdout.key); !s.ok()) return s;
  if (auto s = CheckLength("name", holdout.name, kMaxNameLength); !s.ok()) return s;
  if (auto s = CheckLength("description", holdout.description, kMaxTextLength); !s.ok()) return s;
  if (!InUnitInterval(holdout.share)) {
    return Invalid("share", absl::StrCat("must be in [0, 1], got ", Num(holdout.share)));
  }
  if (!holdout.layer.empty()) return CheckKey("layer", holdout.layer);
  return absl::OkStatus();
}

absl::StatusOr<assignment::ExperimentConfig> ToAssignmentConfig(
    const Experiment& e, absl::Span<const Override> overrides) {
  assignment::ExperimentConfig config;
  config.key = e.key;
  config.status = e.status;
  config.variants = e.variants;
  config.coverage = e.coverage;
  config.seed = e.seed;
  config.hash_version = e.hash_version;
  config.hash_attribute = e.unit_type;
  std::optional<nlohmann::json> condition = ParseCondition(e.condition);
  if (!condition.has_value()) {
    return Invalid("condition", absl::StrCat("must be valid JSON, got ", Quote(e.condition)));
  }
  config.condition = std::move(*condition);
  config.layer = e.layer;
  config.layer_start = e.layer_start;
  config.layer_end = e.layer_end;
  auto variant_index = [&](const std::string& key) -> int {
    for (size_t i = 0; i < e.variants.size(); ++i) {
      if (e.variants[i].key == key) return static_cast<int>(i);
    }
    return -1;
  };
  for (const Override& o : overrides) {
    const int index = variant_index(o.variant_key);
    if (index >= 0 && !o.unit_id.empty()) config.forced_variants[o.unit_id] = index;
  }
  if (!e.winning_variant.empty()) {
    const int index = variant_index(e.winning_variant);
    if (index >= 0) config.winning_variant = index;
  }
  config.phase = e.phase;
  return config;
}

std::optional<ExperimentStatus> ParseExperimentStatus(std::string_view name) {
  if (name == "draft") return ExperimentStatus::kDraft;
  if (name == "running") return ExperimentStatus::kRunning;
  if (name == "stopped") return ExperimentStatus::kStopped;
  if (name == "archived") return ExperimentStatus::kArchived;
  return std::nullopt;
}

nlohmann::json ToJson(const Experiment& e) {
  nlohmann::json phases = nlohmann::json::array();
  for (const Phase& p : e.phases) {
    phases.push_back({{"number", p.number},
                      {"started_at_micros", p.started_at_micros},
                      {"ended_at_micros", p.ended_at_micros},
                      {"variants", VariantsJson(p.variants, /*with_payload=*/false)},
                      {"coverage", p.coverage},
                      {"reason", p.reason}});
  }
  nlohmann::json guardrails = nlohmann::json::array();
  for (const GuardrailMetric& g : e.metrics.guardrails) {
    guardrails.push_back(
        {{"metric_key", g.metric_key}, {"non_inferiority_margin", g.non_inferiority_margin}});
  }
  nlohmann::json layer;
  if (!e.layer.empty()) {
    layer = {{"layer", e.layer}, {"start", e.layer_start}, {"end", e.layer_end}};
  }
  return {{"key", e.key},
          {"name", e.name},
          {"hypothesis", e.hypothesis},
          {"owner", e.owner},
          {"tags", e.tags},
          {"unit_type", e.unit_type},
          {"variants", VariantsJson(e.variants, /*with_payload=*/true)},
          {"coverage", e.coverage},
          {"seed", e.seed},
          {"hash_version", e.hash_version},
          {"condition", ParseCondition(e.condition).value_or(nlohmann::json(e.condition))},
          {"layer", layer},
          {"metrics",
           {{"success", e.metrics.success},
            {"secondary", e.metrics.secondary},
            {"guardrails", guardrails}}},
          {"status", std::string(assignment::ExperimentStatusName(e.status))},
          {"phase", e.phase},
          {"phases", phases},
          {"version", e.version},
          {"winning_variant", e.winning_variant},
          {"created_at_micros", e.created_at_micros},
          {"created_by", e.created_by},
          {"updated_at_micros", e.updated_at_micros},
          {"updated_by", e.updated_by}};
}

nlohmann::json ToJson(const Override& o) {
  return {{"experiment_key", o.experiment_key},
          {"unit_id", o.unit_id},
          {"variant_key", o.variant_key},
          {"created_at_micros", o.created_at_micros},
          {"created_by", o.created_by}};
}

nlohmann::json ToJson(const Layer& layer) {
  return {{"key", layer.key},
          {"name", layer.name},
          {"description", layer.description},
          {"created_at_micros", layer.created_at_micros},
          {"created_by", layer.created_by}};
}

nlohmann::json ToJson(const Holdout& h) {
  return {{"key", h.key},
          {"name", h.name},
          {"description", h.description},
          {"share", h.share},
          {"layer", h.layer},
          {"created_at_micros", h.created_at_micros},
          {"created_by", h.created_by}};
}

}  // namespace lift::experiments
