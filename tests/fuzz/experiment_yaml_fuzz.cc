// Experiment YAML files (clients/cpp/commands/experiment_yaml.h), as `liftctl experiments apply`
// reads them. The input is the file's text.
// Properties: ExperimentFromYaml answers every input with an experiment or InvalidArgument (no
// exception escapes); an experiment read (with finite numbers) survives ExperimentToYaml ->
// ExperimentFromYaml with the same editable fields and an empty diff; YamlTextToJson(JsonToYaml(j))
// == j for mappings of UTF-8 text without control characters and with finite numbers.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include "clients/cpp/commands/experiment_yaml.h"
#include "nlohmann/json.hpp"
#include "tests/fuzz/fuzz_support.h"

namespace {

bool AllNumbersFinite(const nlohmann::json& json) {
  if (json.is_number_float()) return std::isfinite(json.get<double>());
  if (json.is_array() || json.is_object()) {
    for (const auto& item : json) {
      if (!AllNumbersFinite(item)) return false;
    }
  }
  return true;
}

// True when `text` is YAML whose numbers are all finite.
bool FiniteYaml(const std::string& text) {
  try {
    return AllNumbersFinite(lift::cli::YamlTextToJson(text));
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(lift::fuzz::AsText(data, size));

  absl::StatusOr<lift::v1::Experiment> experiment = lift::cli::ExperimentFromYaml(text);
  if (!experiment.ok()) {
    LIFT_FUZZ_CHECK(absl::IsInvalidArgument(experiment.status()));
  } else if (FiniteYaml(text)) {  // JSON has no infinity: a YAML .inf payload is written as null
    const std::string yaml = lift::cli::ExperimentToYaml(*experiment);
    absl::StatusOr<lift::v1::Experiment> again = lift::cli::ExperimentFromYaml(yaml);
    LIFT_FUZZ_CHECK(again.ok());
    const nlohmann::json fields = lift::cli::EditableFields(*experiment);
    LIFT_FUZZ_CHECK(lift::cli::EditableFields(*again) == fields);
    LIFT_FUZZ_CHECK(lift::cli::DiffLines(fields, fields).empty());
    lift::cli::DiffLines(nlohmann::json::object(), fields);
  }

  // The YAML <-> JSON layer on its own (it reports bad YAML by throwing YAML::Exception).
  nlohmann::json json;
  try {
    json = lift::cli::YamlTextToJson(text);
  } catch (const std::exception&) {
    return 0;
  }
  // The YAML writer serves `experiments get` (server data: UTF-8 text, finite numbers). Inputs
  // with NUL or other control bytes are left out: YAML forbids them, and yaml-cpp takes a NUL near
  // the start as a sign of UTF-16/32 and decodes the text as that.
  for (const char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n' && c != '\t' && c != '\r') || byte == 0x7f) return 0;
  }
  bool utf8 = true;
  try {
    (void)json.dump();
  } catch (const nlohmann::json::exception&) {
    utf8 = false;
  }
  if (utf8 && json.is_object() && AllNumbersFinite(json)) {  // experiments are mappings
    const std::string yaml = lift::cli::JsonToYaml(nlohmann::ordered_json(json));
    LIFT_FUZZ_CHECK(lift::cli::YamlTextToJson(yaml) == json);
  }
  return 0;
}
