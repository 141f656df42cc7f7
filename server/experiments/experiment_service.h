// ExperimentService: the domain logic of experiment configuration, independent of gRPC.
//
// Owns the rules the proto documents (proto/lift/v1/experiments.proto): validation, the state
// machine draft -> running -> stopped -> archived, phases, optimistic concurrency, forced
// overrides, layers and holdouts. Every change runs in one database transaction together with its
// audit_log row (actor, action, entity before/after) and a config_version bump that the
// ConfigWatcher picks up.
//
// Status codes: InvalidArgument (a field breaks a rule; the message names it), NotFound (unknown
// experiment, layer, holdout or override), AlreadyExists (key taken), FailedPrecondition (wrong
// status for the request, overlapping layer slices, a removed variant that still has overrides),
// Aborted (expected_version differs from the stored version), Unavailable (database down).
//
// `actor` names who makes the change (an API key's name once auth lands; "anonymous" until then).
//
// Thread safety: thread-safe; concurrent changes are serialised by the database.
#ifndef LIFT_SERVER_EXPERIMENTS_EXPERIMENT_SERVICE_H_
#define LIFT_SERVER_EXPERIMENTS_EXPERIMENT_SERVICE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "server/experiments/experiment.h"
#include "server/experiments/experiment_store.h"

namespace lift::experiments {

// The actor recorded until authentication exists (issue 8).
inline constexpr char kAnonymousActor[] = "anonymous";

struct UpdateResult {
  Experiment experiment;
  bool changed = false;    // false when the request changed nothing (version unchanged)
  bool new_phase = false;  // a new phase was opened
  std::string new_phase_reason;
};

struct ExperimentPage {
  std::vector<Experiment> experiments;
  std::string next_page_token;  // empty on the last page
};

// How far back StartExperiment may date the first phase.
inline constexpr int64_t kMaxBackdateMicros = int64_t{366} * 24 * 3600 * 1'000'000;

class ExperimentService {
 public:
  static constexpr int kDefaultPageSize = 50;
  static constexpr int kMaxPageSize = 1000;

  // `store` must outlive the service.
  explicit ExperimentService(ExperimentStore* store) : store_(store) {}

  // Creates `spec` (editable fields only; normalised, then validated) as a draft, version 1.
  absl::StatusOr<Experiment> Create(Experiment spec, const std::string& actor);

  // Applies the editable `fields` of `spec` (all when empty) to experiment `spec.key`, if its
  // version is `expected_version` (required, > 0). Opens a new phase when a running experiment's
  // change requires one (assignment/phase_rules.h).
  absl::StatusOr<UpdateResult> Update(const Experiment& spec, absl::Span<const std::string> fields,
                                      int64_t expected_version, const std::string& actor);

  absl::StatusOr<Experiment> Get(const std::string& key);

  // Experiments by key after `page_token`, at most `page_size` (0: default 50; capped at 1000).
  // InvalidArgument for a negative page size or a malformed token.
  absl::StatusOr<ExperimentPage> List(const ExperimentFilter& filter, int page_size,
                                      const std::string& page_token);

  // expected_version 0 skips the version check for these three. Start records the first phase
  // as begun at `started_at_micros` when it is non-zero (backdating: not in the future, at most
  // kMaxBackdateMicros ago, else InvalidArgument), now otherwise.
  absl::StatusOr<Experiment> Start(const std::string& key, int64_t expected_version,
                                   const std::string& actor, int64_t started_at_micros = 0);
  // `winning_variant` empty for none.
  absl::StatusOr<Experiment> Stop(const std::string& key, const std::string& winning_variant,
                                  int64_t expected_version, const std::string& actor);
  absl::StatusOr<Experiment> Archive(const std::string& key, int64_t expected_version,
                                     const std::string& actor);

  absl::StatusOr<Override> SetOverride(Override spec, const std::string& actor);
  absl::Status ClearOverride(const std::string& experiment_key, const std::string& unit_id,
                             const std::string& actor);
  absl::StatusOr<std::vector<Override>> ListOverrides(const std::string& experiment_key);

  absl::StatusOr<Layer> CreateLayer(Layer spec, const std::string& actor);
  absl::StatusOr<std::vector<Layer>> ListLayers();

  absl::StatusOr<Holdout> CreateHoldout(Holdout spec, const std::string& actor);
  absl::StatusOr<std::vector<Holdout>> ListHoldouts();
  absl::Status DeleteHoldout(const std::string& key, const std::string& actor);

 private:
  // A lifecycle transition on experiment `key` inside one transaction: checks existence and the
  // expected version, then lets `mutate` change the locked experiment and write phases.
  absl::StatusOr<Experiment> Transition(
      const std::string& key, int64_t expected_version, const std::string& actor,
      const std::string& action,
      const std::function<absl::Status(ExperimentStore::Transaction&, Experiment&)>& mutate);

  ExperimentStore* store_;
};

}  // namespace lift::experiments

#endif  // LIFT_SERVER_EXPERIMENTS_EXPERIMENT_SERVICE_H_
