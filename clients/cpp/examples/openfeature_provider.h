// An OpenFeature-shaped flag provider on top of Lift's Assign: how a C++ feature-flag service maps
// an Assignment to OpenFeature's resolution details (value, variant, reason, error code, flag
// metadata). No OpenFeature dependency: the names follow the OpenFeature provider interface, so a
// real provider is a thin adapter around this class.
//
//   flag key       = experiment key
//   targeting key  = unit id (sent as the experiment's unit_type attribute, "id" by default)
//   value          = the served variant's JSON payload; the caller's default when no variant is
//                    served, the variant has no payload, or the payload has another type
//                    (TYPE_MISMATCH)
//   variant        = the variant key
//   reason         = SPLIT -> SPLIT; OVERRIDE -> TARGETING_MATCH; STOPPED_WINNER -> STATIC;
//                    NOT_RUNNING -> DISABLED; TARGETING_MISS, NOT_IN_LAYER, HOLDOUT,
//                    COVERAGE_MISS -> DEFAULT; UNKNOWN_EXPERIMENT -> ERROR (FLAG_NOT_FOUND);
//                    MISSING_UNIT_ID -> ERROR (TARGETING_KEY_MISSING); RPC failure -> ERROR
//                    (PROVIDER_NOT_READY when liftd is unreachable, GENERAL otherwise)
//   flag metadata  = experiment_key, variant_index, in_experiment, phase, lift_reason, bucket
// The same table as clients/python/examples/openfeature_flags.py.
//
// Thread safety: thread-safe (the Client is).
#ifndef LIFT_CLIENTS_CPP_EXAMPLES_OPENFEATURE_PROVIDER_H_
#define LIFT_CLIENTS_CPP_EXAMPLES_OPENFEATURE_PROVIDER_H_

#include <map>
#include <optional>
#include <string>

#include "clients/cpp/lift_client.h"
#include "nlohmann/json.hpp"

namespace lift::openfeature {

// OpenFeature's evaluation context: the targeting key (unit id) and string attributes.
struct EvaluationContext {
  std::optional<std::string> targeting_key;
  std::map<std::string, std::string> attributes;
};

// OpenFeature's FlagResolutionDetails<T>.
template <typename T>
struct ResolutionDetails {
  T value;
  std::string variant;   // empty when no variant was served
  std::string reason;    // OpenFeature reason (see the table above)
  std::string error_code;     // empty unless reason is ERROR (or a type mismatch)
  std::string error_message;
  std::map<std::string, std::string> flag_metadata;
};

class LiftProvider {
 public:
  // `client` must outlive the provider. With `log_exposure`, liftd records an exposure for every
  // evaluation that puts the unit in the experiment (what readouts analyse).
  explicit LiftProvider(lift::client::Client* client, std::string unit_type = "id",
                        bool log_exposure = true)
      : client_(client), unit_type_(std::move(unit_type)), log_exposure_(log_exposure) {}

  ResolutionDetails<bool> ResolveBoolean(const std::string& flag_key, bool default_value,
                                         const EvaluationContext& context);
  ResolutionDetails<std::string> ResolveString(const std::string& flag_key,
                                               const std::string& default_value,
                                               const EvaluationContext& context);
  ResolutionDetails<double> ResolveNumber(const std::string& flag_key, double default_value,
                                          const EvaluationContext& context);
  ResolutionDetails<nlohmann::json> ResolveObject(const std::string& flag_key,
                                                  const nlohmann::json& default_value,
                                                  const EvaluationContext& context);

 private:
  // Resolves the flag; the payload as JSON when a variant with a payload was served.
  ResolutionDetails<nlohmann::json> Resolve(const std::string& flag_key,
                                            const EvaluationContext& context);

  template <typename T, typename Check>
  ResolutionDetails<T> Typed(const std::string& flag_key, T default_value,
                             const EvaluationContext& context, Check is_type,
                             const char* type_name);

  lift::client::Client* client_;
  std::string unit_type_;
  bool log_exposure_;
};

}  // namespace lift::openfeature

#endif  // LIFT_CLIENTS_CPP_EXAMPLES_OPENFEATURE_PROVIDER_H_
