#include "clients/cpp/commands/experiment_yaml.h"

#include <google/protobuf/util/json_util.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <set>

#include "absl/strings/str_cat.h"

namespace lift::cli {
namespace {

// Fields of Experiment that the server sets; ignored when applying.
const std::set<std::string>& OutputOnlyFields() {
  static const std::set<std::string> kFields = {"status",          "phase",
                                                "phases",          "version",
                                                "winning_variant", "created_at_micros",
                                                "created_by",      "updated_at_micros",
                                                "updated_by"};
  return kFields;
}

// The editable fields in proto order (the order of diff lines).
const std::vector<std::string>& EditableFieldOrder() {
  static const std::vector<std::string> kFields = {
      "name",     "hypothesis", "owner",        "tags",      "unit_type", "variants",
      "coverage", "seed",       "hash_version", "condition", "layer",     "metrics"};
  return kFields;
}

// A plain YAML scalar's type, YAML 1.2 core schema.
nlohmann::json InferScalar(const std::string& text) {
  static const std::regex kInteger("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  // Longer plain scalars stay strings: no number needs that many characters, and std::regex
  // matches recursively (one stack frame per character).
  constexpr size_t kMaxNumberLength = 100;
  if (text.size() > kMaxNumberLength) return text;
  if (std::regex_match(text, kInteger)) {
    try {
      return std::stoll(text);
    } catch (const std::exception&) {
      return std::strtod(text.c_str(), nullptr);  // beyond int64, at most 100 digits: finite
    }
  }
  if (std::regex_match(text, kFloat)) {
    // Out of double's range ("1e999") stays a string, so the field's type error names it;
    // underflow ("1e-400") reads as the nearest double.
    const double value = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(value)) return text;
    return value;
  }
  if (text == ".inf" || text == "+.inf") return std::numeric_limits<double>::infinity();
  if (text == "-.inf") return -std::numeric_limits<double>::infinity();
  return text;
}

nlohmann::json NodeToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      if (node.Tag() == "!") return node.Scalar();  // quoted: always a string
      return InferScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const YAML::Node& item : node) out.push_back(NodeToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& item : node) out[item.first.as<std::string>()] = NodeToJson(item.second);
      return out;
    }
  }
  return nullptr;
}

// Numbers and booleans written where the proto has a string (`seed: 42`) become their text.
void CoerceToString(nlohmann::json& value) {
  if (value.is_number() || value.is_boolean()) value = value.dump();
}

void CoerceStrings(nlohmann::json& array) {
  if (!array.is_array()) return;
  for (nlohmann::json& item : array) CoerceToString(item);
}

// JSON text for a field the proto holds as a JSON string (condition, payload).
std::string JsonText(const nlohmann::json& value) {
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (nlohmann::json::accept(text)) return text;
  }
  return value.dump();
}

void EmitJson(YAML::Emitter& out, const nlohmann::ordered_json& json) {
  if (json.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [key, value] : json.items()) {
      out << YAML::Key << key << YAML::Value;
      EmitJson(out, value);
    }
    out << YAML::EndMap;
  } else if (json.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& item : json) EmitJson(out, item);
    out << YAML::EndSeq;
  } else if (json.is_string()) {
    const std::string& text = json.get_ref<const std::string&>();
    // Quote strings that would read back as another type (e.g. "5", "true", "") or not at all as
    // they are: control characters (a plain scalar's trailing "\r" is kept at the end of the
    // input but read as a line break before the newline the emitter adds).
    const bool control = std::any_of(text.begin(), text.end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    if (control || !InferScalar(text).is_string()) {
      out << YAML::DoubleQuoted << text;
    } else {
      out << text;
    }
  } else if (json.is_null()) {
    out << YAML::Null;
  } else if (json.is_boolean()) {
    out << json.get<bool>();
  } else if (json.is_number_integer()) {
    out << json.get<int64_t>();
  } else {
    out << json.dump();  // shortest round-trip form of a double
  }
}

bool IsEmpty(const nlohmann::json& value) {
  return value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty()) ||
         ((value.is_array() || value.is_object()) && value.empty());
}

}  // namespace

nlohmann::json YamlTextToJson(const std::string& yaml_text) {
  return NodeToJson(YAML::Load(yaml_text));
}

std::string JsonToYaml(const nlohmann::ordered_json& json) {
  YAML::Emitter out;
  out.SetIndent(2);
  EmitJson(out, json);
  return std::string(out.c_str()) + "\n";
}

absl::StatusOr<lift::v1::Experiment> ExperimentFromYaml(const std::string& yaml_text) {
  nlohmann::json json;
  try {
    json = YamlTextToJson(yaml_text);
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(absl::StrCat("invalid YAML at line ", error.mark.line + 1,
                                                   ", column ", error.mark.column + 1, ": ",
                                                   error.msg));
  }
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        "the file must hold one experiment: a mapping with key, name, variants, ...");
  }
  // JSON text must be UTF-8; a YAML scalar may hold other bytes (or an escaped lone surrogate), and
  // nlohmann::json refuses to write those.
  std::string json_text;
  try {
    for (const std::string& field : OutputOnlyFields()) json.erase(field);
    for (const char* field : {"key", "name", "hypothesis", "owner", "unit_type", "seed"}) {
      if (json.contains(field)) CoerceToString(json[field]);
    }
    if (json.contains("tags")) CoerceStrings(json["tags"]);
    if (json.contains("condition")) {
      if (json["condition"].is_null()) {
        json.erase("condition");
      } else {
        json["condition"] = JsonText(json["condition"]);
      }
    }
    if (json.contains("variants") && json["variants"].is_array()) {
      for (nlohmann::json& variant : json["variants"]) {
        if (!variant.is_object()) continue;
        if (variant.contains("key")) CoerceToString(variant["key"]);
        if (variant.contains("payload")) {
          if (variant["payload"].is_null()) {
            variant.erase("payload");
          } else {
            variant["payload"] = JsonText(variant["payload"]);
          }
        }
      }
    }
    if (json.contains("layer") && json["layer"].is_object() && json["layer"].contains("layer")) {
      CoerceToString(json["layer"]["layer"]);
    }
    if (json.contains("metrics") && json["metrics"].is_object()) {
      nlohmann::json& metrics = json["metrics"];
      if (metrics.contains("success")) CoerceStrings(metrics["success"]);
      if (metrics.contains("secondary")) CoerceStrings(metrics["secondary"]);
    }
    json_text = json.dump();
  } catch (const nlohmann::json::exception& error) {
    return absl::InvalidArgumentError(
        absl::StrCat("the experiment holds text that is not valid UTF-8: ", error.what()));
  }

  lift::v1::Experiment experiment;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status =
      google::protobuf::util::JsonStringToMessage(json_text, &experiment, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the experiment does not match lift.v1.Experiment: ",
                     std::string(status.message().data(), status.message().size())));
  }
  return experiment;
}

std::string ExperimentToYaml(const lift::v1::Experiment& experiment) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(experiment, &text, options);
  nlohmann::ordered_json json = nlohmann::ordered_json::parse(text);
  // int64 fields print as JSON strings in proto JSON; show them as numbers.
  for (const char* field : {"version", "created_at_micros", "updated_at_micros"}) {
    if (json.contains(field) && json[field].is_string()) {
      json[field] = std::stoll(json[field].get<std::string>());
    }
  }
  if (json.contains("phases")) {
    for (auto& phase : json["phases"]) {
      for (const char* field : {"started_at_micros", "ended_at_micros"}) {
        if (phase.contains(field) && phase[field].is_string()) {
          phase[field] = std::stoll(phase[field].get<std::string>());
        }
      }
    }
  }
  if (json.contains("status") && json["status"].is_string()) {
    std::string status = json["status"].get<std::string>();
    const std::string prefix = "EXPERIMENT_STATUS_";
    if (status.rfind(prefix, 0) == 0) status = status.substr(prefix.size());
    for (char& c : status) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    json["status"] = status;
  }
  if (json.contains("condition") && json["condition"].is_string() &&
      nlohmann::ordered_json::accept(json["condition"].get<std::string>())) {
    json["condition"] = nlohmann::ordered_json::parse(json["condition"].get<std::string>());
  }
  if (json.contains("variants")) {
    for (auto& variant : json["variants"]) {
      if (variant.contains("payload") && variant["payload"].is_string() &&
          nlohmann::ordered_json::accept(variant["payload"].get<std::string>())) {
        variant["payload"] = nlohmann::ordered_json::parse(variant["payload"].get<std::string>());
      }
    }
  }
  return JsonToYaml(json);
}

nlohmann::json EditableFields(const lift::v1::Experiment& e) {
  nlohmann::json out = nlohmann::json::object();
  out["name"] = e.name();
  out["hypothesis"] = e.hypothesis();
  out["owner"] = e.owner();
  out["tags"] = std::vector<std::string>(e.tags().begin(), e.tags().end());
  out["unit_type"] = e.unit_type().empty() ? "id" : e.unit_type();
  bool all_zero = true;
  for (const auto& v : e.variants()) all_zero = all_zero && v.weight() == 0.0;
  nlohmann::json variants = nlohmann::json::array();
  for (const auto& v : e.variants()) {
    nlohmann::json variant = {{"key", v.key()},
                              {"weight", all_zero ? 1.0 / e.variants_size() : v.weight()}};
    if (!v.payload().empty()) {
      variant["payload"] = nlohmann::json::accept(v.payload()) ? nlohmann::json::parse(v.payload())
                                                               : nlohmann::json(v.payload());
    }
    variants.push_back(std::move(variant));
  }
  out["variants"] = std::move(variants);
  out["coverage"] = e.has_coverage() ? e.coverage() : 1.0;
  out["seed"] = e.seed();
  out["hash_version"] = e.hash_version() == 0 ? 2 : e.hash_version();
  nlohmann::json condition;
  if (!e.condition().empty() && nlohmann::json::accept(e.condition())) {
    condition = nlohmann::json::parse(e.condition());
    if (condition.is_object() && condition.empty()) condition = nullptr;
  } else if (!e.condition().empty()) {
    condition = e.condition();
  }
  out["condition"] = condition;
  out["layer"] = e.has_layer() && !e.layer().layer().empty()
                     ? nlohmann::json{{"layer", e.layer().layer()},
                                      {"start", e.layer().start()},
                                      {"end", e.layer().end()}}
                     : nlohmann::json();
  nlohmann::json guardrails = nlohmann::json::array();
  for (const auto& g : e.metrics().guardrails()) {
    guardrails.push_back(
        {{"metric_key", g.metric_key()}, {"non_inferiority_margin", g.non_inferiority_margin()}});
  }
  out["metrics"] = {{"success", std::vector<std::string>(e.metrics().success().begin(),
                                                         e.metrics().success().end())},
                    {"secondary", std::vector<std::string>(e.metrics().secondary().begin(),
                                                           e.metrics().secondary().end())},
                    {"guardrails", guardrails}};
  return out;
}

std::vector<std::string> DiffLines(const nlohmann::json& before, const nlohmann::json& after) {
  std::vector<std::string> lines;
  for (const std::string& field : EditableFieldOrder()) {
    const nlohmann::json& b = before.contains(field) ? before.at(field) : nlohmann::json();
    const nlohmann::json& a = after.contains(field) ? after.at(field) : nlohmann::json();
    if (a == b) continue;
    if (IsEmpty(b)) {
      lines.push_back(absl::StrCat("+ ", field, ": ", a.dump()));
    } else if (IsEmpty(a)) {
      lines.push_back(absl::StrCat("- ", field, ": ", b.dump()));
    } else {
      lines.push_back(absl::StrCat("~ ", field, ": ", b.dump(), " -> ", a.dump()));
    }
  }
  return lines;
}

}  // namespace lift::cli
