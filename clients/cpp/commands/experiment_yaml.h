// Experiments as YAML files for `liftctl experiments apply|get`, and the diff apply prints.
//
// The YAML keys are the field names of lift.v1.Experiment (experiments.proto), e.g.
//   key: checkout-button
//   variants: [{key: control, weight: 0.5}, {key: green, weight: 0.5, payload: {color: green}}]
//   coverage: 0.5
//   condition: {country: {$in: [US, CA]}}
//   layer: {layer: checkout, start: 0, end: 0.5}
// Two fields hold JSON text in the proto and may be written as YAML structures: `condition` and
// each variant's `payload` (a mapping, list, number or boolean is encoded as JSON; a string that
// is valid JSON is kept as it is, any other string becomes a JSON string: `payload: green` serves
// "green"). Output-only fields (status, phase, phases, version, winning_variant, created_*,
// updated_*) are accepted and ignored, so the output of `experiments get` can be applied again.
// Unknown keys are errors.
//
// Thread safety: pure functions.
#ifndef LIFT_CLIENTS_CPP_COMMANDS_EXPERIMENT_YAML_H_
#define LIFT_CLIENTS_CPP_COMMANDS_EXPERIMENT_YAML_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lift/v1/experiments.pb.h"
#include "nlohmann/json.hpp"

namespace lift::cli {

// Parses one experiment from YAML text. InvalidArgument naming the problem (YAML syntax with its
// line, an unknown field, a value of the wrong type).
absl::StatusOr<lift::v1::Experiment> ExperimentFromYaml(const std::string& yaml_text);

// The experiment as YAML (proto field names; condition and payloads as YAML structures).
std::string ExperimentToYaml(const lift::v1::Experiment& experiment);

// The editable fields of `experiment` as JSON with the server's defaults applied (coverage 1,
// unit_type "id", hash_version 2, equal weights when none are given, condition parsed), so that
// two descriptions of the same configuration compare equal.
nlohmann::json EditableFields(const lift::v1::Experiment& experiment);

// Lines describing how `after` differs from `before` (both EditableFields), in field order:
//   "~ coverage: 0.5 -> 0.8", "+ tags: [\"q3\"]" (was empty), "- seed: \"abc\"" (now empty).
std::vector<std::string> DiffLines(const nlohmann::json& before, const nlohmann::json& after);

// YAML node tree <-> JSON with scalar types inferred (null, booleans, integers, floats; quoted
// scalars stay strings).
nlohmann::json YamlTextToJson(const std::string& yaml_text);
std::string JsonToYaml(const nlohmann::ordered_json& json);

}  // namespace lift::cli

#endif  // LIFT_CLIENTS_CPP_COMMANDS_EXPERIMENT_YAML_H_
