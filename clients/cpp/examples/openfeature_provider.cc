#include "clients/cpp/examples/openfeature_provider.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace lift::openfeature {
namespace {

struct Reason {
  const char* reason;
  const char* error_code;  // "" for none
};

Reason MapReason(lift::v1::AssignmentReason reason) {
  switch (reason) {
    case lift::v1::ASSIGNMENT_REASON_SPLIT: return {"SPLIT", ""};
    case lift::v1::ASSIGNMENT_REASON_OVERRIDE: return {"TARGETING_MATCH", ""};
    case lift::v1::ASSIGNMENT_REASON_STOPPED_WINNER: return {"STATIC", ""};
    case lift::v1::ASSIGNMENT_REASON_NOT_RUNNING: return {"DISABLED", ""};
    case lift::v1::ASSIGNMENT_REASON_TARGETING_MISS:
    case lift::v1::ASSIGNMENT_REASON_NOT_IN_LAYER:
    case lift::v1::ASSIGNMENT_REASON_HOLDOUT:
    case lift::v1::ASSIGNMENT_REASON_COVERAGE_MISS: return {"DEFAULT", ""};
    case lift::v1::ASSIGNMENT_REASON_UNKNOWN_EXPERIMENT: return {"ERROR", "FLAG_NOT_FOUND"};
    case lift::v1::ASSIGNMENT_REASON_MISSING_UNIT_ID: return {"ERROR", "TARGETING_KEY_MISSING"};
    default: return {"UNKNOWN", ""};
  }
}

}  // namespace

ResolutionDetails<nlohmann::json> LiftProvider::Resolve(const std::string& flag_key,
                                                        const EvaluationContext& context) {
  ResolutionDetails<nlohmann::json> details{nlohmann::json(), "", "ERROR", "", "", {}};
  lift::v1::AssignRequest request;
  auto& attributes = *request.mutable_unit()->mutable_attributes();
  for (const auto& [name, value] : context.attributes) attributes[name] = value;
  if (context.targeting_key.has_value()) attributes[unit_type_] = *context.targeting_key;
  request.add_experiment_keys(flag_key);
  request.set_log_exposure(log_exposure_);
  absl::StatusOr<lift::v1::AssignResponse> response = client_->Assign(request);
  if (!response.ok()) {
    const bool unreachable = response.status().code() == absl::StatusCode::kUnavailable ||
                             response.status().code() == absl::StatusCode::kDeadlineExceeded;
    details.error_code = unreachable ? "PROVIDER_NOT_READY" : "GENERAL";
    details.error_message = std::string(response.status().message());
    return details;
  }
  const lift::v1::Assignment& answer = response->assignments(0);
  const Reason reason = MapReason(answer.reason());
  details.reason = reason.reason;
  details.error_code = reason.error_code;
  details.flag_metadata = {
      {"experiment_key", answer.experiment_key()},
      {"variant_index", absl::StrCat(answer.variant_index())},
      {"in_experiment", answer.in_experiment() ? "true" : "false"},
      {"phase", absl::StrCat(answer.phase())},
      {"lift_reason", lift::v1::AssignmentReason_Name(answer.reason())},
  };
  if (answer.has_bucket()) details.flag_metadata["bucket"] = absl::StrCat(answer.bucket());
  if (!details.error_code.empty()) {
    details.error_message =
        absl::StrCat("lift answered ", lift::v1::AssignmentReason_Name(answer.reason()));
    return details;
  }
  details.variant = answer.variant_key();
  if (!answer.payload().empty()) {
    details.value = nlohmann::json::parse(answer.payload(), nullptr, /*allow_exceptions=*/false);
  }
  return details;
}

template <typename T, typename Check>
ResolutionDetails<T> LiftProvider::Typed(const std::string& flag_key, T default_value,
                                         const EvaluationContext& context, Check is_type,
                                         const char* type_name) {
  ResolutionDetails<nlohmann::json> raw = Resolve(flag_key, context);
  ResolutionDetails<T> details{std::move(default_value), raw.variant, raw.reason,
                               raw.error_code, raw.error_message, raw.flag_metadata};
  if (!raw.error_code.empty() || raw.value.is_null() || raw.value.is_discarded()) return details;
  if (!is_type(raw.value)) {
    details.reason = "ERROR";
    details.error_code = "TYPE_MISMATCH";
    details.error_message = absl::StrCat("payload ", raw.value.dump(), " is not a ", type_name);
    return details;
  }
  details.value = raw.value.get<T>();
  return details;
}

ResolutionDetails<bool> LiftProvider::ResolveBoolean(const std::string& flag_key,
                                                     bool default_value,
                                                     const EvaluationContext& context) {
  return Typed<bool>(flag_key, default_value, context,
                     [](const nlohmann::json& v) { return v.is_boolean(); }, "boolean");
}

ResolutionDetails<std::string> LiftProvider::ResolveString(const std::string& flag_key,
                                                           const std::string& default_value,
                                                           const EvaluationContext& context) {
  return Typed<std::string>(flag_key, default_value, context,
                            [](const nlohmann::json& v) { return v.is_string(); }, "string");
}

ResolutionDetails<double> LiftProvider::ResolveNumber(const std::string& flag_key,
                                                      double default_value,
                                                      const EvaluationContext& context) {
  return Typed<double>(flag_key, default_value, context,
                       [](const nlohmann::json& v) { return v.is_number(); }, "number");
}

ResolutionDetails<nlohmann::json> LiftProvider::ResolveObject(const std::string& flag_key,
                                                              const nlohmann::json& default_value,
                                                              const EvaluationContext& context) {
  return Typed<nlohmann::json>(
      flag_key, default_value, context,
      [](const nlohmann::json& v) { return v.is_object() || v.is_array(); }, "object");
}

}  // namespace lift::openfeature
