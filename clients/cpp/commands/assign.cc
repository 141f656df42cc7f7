// liftctl assign KEY --unit ID [--attr k=v ...] [--unit-type T] [--json]
//
// The unit id goes under the experiment's unit_type attribute: --unit-type when given, otherwise
// the experiment's own (looked up with GetExperiment; "id" when that fails, e.g. for an unknown
// key, which then answers UNKNOWN_EXPERIMENT).
// --json prints one object with the keys experiment, variant, variant_index, in_experiment, reason,
// bucket, phase (and payload); variant, variant_index, bucket and payload are null when absent.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/cpp/commands/command.h"
#include "nlohmann/json.hpp"

namespace lift::cli {
namespace {

struct AssignOptions {
  std::string key;
  std::string unit;
  std::string unit_type;
  std::vector<std::string> attributes;  // k=v
  bool json = false;
};

std::string ReasonName(lift::v1::AssignmentReason reason) {
  std::string name = lift::v1::AssignmentReason_Name(reason);
  const std::string prefix = "ASSIGNMENT_REASON_";
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

int Run(lift::client::Client& client, const AssignOptions& options) {
  lift::v1::AssignRequest request;
  auto& attributes = *request.mutable_unit()->mutable_attributes();
  for (const std::string& pair : options.attributes) {
    const size_t equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      std::cerr << "liftctl: error: --attr must be key=value, got '" << pair << "'" << std::endl;
      return 2;
    }
    attributes[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  std::string unit_type = options.unit_type;
  if (unit_type.empty()) {
    absl::StatusOr<lift::v1::Experiment> experiment = client.GetExperiment(options.key);
    unit_type =
        experiment.ok() && !experiment->unit_type().empty() ? experiment->unit_type() : "id";
  }
  attributes[unit_type] = options.unit;
  request.add_experiment_keys(options.key);

  absl::StatusOr<lift::v1::AssignResponse> response = client.Assign(request);
  if (!response.ok()) return Fail(response.status());
  if (response->assignments_size() != 1) {
    return Fail(absl::InternalError(
        absl::StrCat("expected one assignment, got ", response->assignments_size())));
  }
  const lift::v1::Assignment& a = response->assignments(0);
  const bool served = a.variant_index() >= 0;
  if (options.json) {
    nlohmann::json out;
    out["experiment"] = a.experiment_key();
    out["variant"] = served ? nlohmann::json(a.variant_key()) : nlohmann::json();
    out["variant_index"] = served ? nlohmann::json(a.variant_index()) : nlohmann::json();
    out["in_experiment"] = a.in_experiment();
    out["reason"] = ReasonName(a.reason());
    out["bucket"] = a.has_bucket() ? nlohmann::json(a.bucket()) : nlohmann::json();
    out["phase"] = a.phase();
    nlohmann::json payload;
    if (!a.payload().empty()) {
      payload = nlohmann::json::parse(a.payload(), nullptr, false);
      if (payload.is_discarded()) payload = a.payload();
    }
    out["payload"] = payload;
    std::cout << out.dump() << std::endl;
    return 0;
  }
  std::cout << "experiment:    " << a.experiment_key() << "\n"
            << "unit:          " << unit_type << "=" << options.unit << "\n"
            << "variant:       "
            << (served ? absl::StrCat(a.variant_key(), " (index ", a.variant_index(), ")")
                       : std::string("(none)"))
            << "\n"
            << "in experiment: " << (a.in_experiment() ? "yes" : "no") << "\n"
            << "reason:        " << ReasonName(a.reason()) << "\n"
            << "bucket:        " << (a.has_bucket() ? absl::StrCat(a.bucket()) : "-") << "\n"
            << "phase:         " << a.phase() << "\n";
  if (!a.payload().empty()) std::cout << "payload:       " << a.payload() << "\n";
  std::cout << std::flush;
  return 0;
}

}  // namespace

void AddAssignCommand(CLI::App& app, Action* action) {
  auto options = std::make_shared<AssignOptions>();
  CLI::App* assign = app.add_subcommand(
      "assign", "Which variant of experiment KEY a unit gets, with its bucket and the reason");
  assign->add_option("key", options->key, "Experiment key")->required();
  assign->add_option("--unit", options->unit, "Unit id")->required();
  assign->add_option("--attr", options->attributes, "Targeting attribute key=value (repeatable)");
  assign->add_option("--unit-type", options->unit_type,
                     "Attribute that holds the unit id (default: the experiment's unit_type)");
  assign->add_flag("--json", options->json, "Print JSON");
  assign->callback([action, options] {
    *action = [options](lift::client::Client& client) { return Run(client, *options); };
  });
}

}  // namespace lift::cli
