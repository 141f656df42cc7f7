#include "server/experiments/experiment_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/assignment/phase_rules.h"
#include "stats/status_macros.h"

namespace lift::experiments {
namespace {

constexpr char kPageTokenPrefix[] = "after:";

std::string Quote(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

absl::Status ExperimentNotFound(const std::string& key) {
  return absl::NotFoundError(absl::StrCat("experiment ", Quote(key), " does not exist"));
}

absl::Status LayerNotFound(const std::string& field, const std::string& layer) {
  return absl::NotFoundError(absl::StrCat(field, ": layer ", Quote(layer),
                                          " does not exist (create it first with CreateLayer)"));
}

absl::Status CheckVersion(const Experiment& stored, int64_t expected_version) {
  if (expected_version != 0 && stored.version != expected_version) {
    return absl::AbortedError(absl::StrCat(
        "experiment ", Quote(stored.key), " was changed concurrently: expected version ",
        expected_version, ", stored version is ", stored.version, "; read it again and retry"));
  }
  return absl::OkStatus();
}

std::string StatusName(ExperimentStatus status) {
  return std::string(assignment::ExperimentStatusName(status));
}

absl::Status WrongStatus(const Experiment& e, absl::string_view verb, absl::string_view rule) {
  return absl::FailedPreconditionError(absl::StrCat("cannot ", verb, " experiment ", Quote(e.key),
                                                    ": it is ", StatusName(e.status), " (", rule,
                                                    ")"));
}

// Variants as a phase records them: keys and weights.
std::vector<VariantConfig> PhaseVariants(const std::vector<VariantConfig>& variants) {
  std::vector<VariantConfig> out;
  for (const VariantConfig& v : variants) out.push_back({v.key, v.weight, ""});
  return out;
}

// FailedPrecondition when `candidate` (about to run in its layer) overlaps another running
// experiment of that layer.
absl::Status CheckLayerSlices(ExperimentStore::Transaction& tx, const Experiment& candidate) {
  if (candidate.layer.empty()) return absl::OkStatus();
  LIFT_ASSIGN_OR_RETURN(std::optional<Layer> layer, tx.LockLayer(candidate.layer));
  if (!layer.has_value()) return LayerNotFound("layer.layer", candidate.layer);
  LIFT_ASSIGN_OR_RETURN(std::vector<Experiment> running, tx.RunningInLayer(candidate.layer));
  std::vector<assignment::ExperimentConfig> configs;
  for (const Experiment& e : running) {
    if (e.key == candidate.key) continue;
    assignment::ExperimentConfig config;
    config.key = e.key;
    config.status = ExperimentStatus::kRunning;
    config.layer = e.layer;
    config.layer_start = e.layer_start;
    config.layer_end = e.layer_end;
    configs.push_back(std::move(config));
  }
  assignment::ExperimentConfig mine;
  mine.key = candidate.key;
  mine.status = ExperimentStatus::kRunning;
  mine.layer = candidate.layer;
  mine.layer_start = candidate.layer_start;
  mine.layer_end = candidate.layer_end;
  configs.push_back(std::move(mine));
  if (absl::Status status = assignment::ValidateLayerSlices(configs); !status.ok()) {
    return absl::FailedPreconditionError(status.message());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Experiment> ExperimentService::Create(Experiment spec, const std::string& actor) {
  Normalize(&spec);
  LIFT_RETURN_IF_ERROR(ValidateExperiment(spec));
  spec.status = ExperimentStatus::kDraft;
  spec.phase = 0;
  spec.phases.clear();
  spec.version = 1;
  spec.winning_variant.clear();
  spec.created_by = actor;
  spec.updated_by = actor;
  LIFT_RETURN_IF_ERROR(store_->Transact([&](ExperimentStore::Transaction& tx) -> absl::Status {
    LIFT_ASSIGN_OR_RETURN(std::optional<Experiment> existing, tx.LockExperiment(spec.key));
    if (existing.has_value()) {
      return absl::AlreadyExistsError(
          absl::StrCat("experiment ", Quote(spec.key), " already exists (status ",
                       StatusName(existing->status), "); keys are never reused"));
    }
    if (!spec.layer.empty()) {
      LIFT_ASSIGN_OR_RETURN(std::optional<Layer> layer, tx.LockLayer(spec.layer));
      if (!layer.has_value()) return LayerNotFound("layer.layer", spec.layer);
    }
    spec.created_at_micros = tx.now_micros();
    spec.updated_at_micros = tx.now_micros();
    LIFT_RETURN_IF_ERROR(tx.InsertExperiment(spec));
    return tx.Audit(actor, "experiment.create", "experiment", spec.key, nullptr, ToJson(spec));
  }));
  return spec;
}

absl::StatusOr<UpdateResult> ExperimentService::Update(const Experiment& spec,
                                                       absl::Span<const std::string> fields,
                                                       int64_t expected_version,
                                                       const std::string& actor) {
  if (expected_version <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected_version must be the version you read (> 0), got ", expected_version));
  }
  if (spec.key.empty()) return absl::InvalidArgumentError("key must not be empty");
  UpdateResult result;
  LIFT_RETURN_IF_ERROR(store_->Transact([&](ExperimentStore::Transaction& tx) -> absl::Status {
    LIFT_ASSIGN_OR_RETURN(std::optional<Experiment> stored, tx.LockExperiment(spec.key));
    if (!stored.has_value()) return ExperimentNotFound(spec.key);
    LIFT_RETURN_IF_ERROR(CheckVersion(*stored, expected_version));
    if (stored->status == ExperimentStatus::kArchived) {
      return WrongStatus(*stored, "update", "archived experiments are read-only");
    }
    Experiment proposed = *stored;
    LIFT_RETURN_IF_ERROR(CopyEditableFields(spec, fields, &proposed));
    Normalize(&proposed);
    LIFT_RETURN_IF_ERROR(ValidateExperiment(proposed));

    const std::vector<std::string> changed = ChangedFields(*stored, proposed);
    if (changed.empty()) {
      result.experiment = std::move(*stored);
      return absl::OkStatus();
    }
    if (stored->status == ExperimentStatus::kStopped) {
      for (const std::string& field : changed) {
        if (IsAssignmentField(field)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "cannot change ", field, " of experiment ", Quote(stored->key),
              ": it is stopped (only name, hypothesis, owner, tags and metrics can change)"));
        }
      }
    }
    if (!proposed.layer.empty() && proposed.layer != stored->layer) {
      LIFT_ASSIGN_OR_RETURN(std::optional<Layer> layer, tx.LockLayer(proposed.layer));
      if (!layer.has_value()) return LayerNotFound("layer.layer", proposed.layer);
    }
    LIFT_ASSIGN_OR_RETURN(std::vector<std::string> overridden, tx.OverriddenVariants(spec.key));
    for (const std::string& variant : overridden) {
      const bool kept = std::any_of(proposed.variants.begin(), proposed.variants.end(),
                                    [&](const VariantConfig& v) { return v.key == variant; });
      if (!kept) {
        return absl::FailedPreconditionError(
            absl::StrCat("variants: variant ", Quote(variant), " of experiment ", Quote(spec.key),
                         " has forced overrides; clear them before removing or renaming it"));
      }
    }

    const int64_t now = tx.now_micros();
    if (stored->status == ExperimentStatus::kRunning) {
      LIFT_RETURN_IF_ERROR(CheckLayerSlices(tx, proposed));
      LIFT_ASSIGN_OR_RETURN(assignment::ExperimentConfig before, ToAssignmentConfig(*stored, {}));
      LIFT_ASSIGN_OR_RETURN(assignment::ExperimentConfig after, ToAssignmentConfig(proposed, {}));
      const assignment::PhaseDecision decision = assignment::ClassifyChange(before, after);
      Phase* current = proposed.phases.empty() ? nullptr : &proposed.phases.back();
      if (decision.new_phase) {
        if (current != nullptr) {
          current->ended_at_micros = now;
          LIFT_RETURN_IF_ERROR(tx.UpdatePhase(proposed.key, *current));
        }
        Phase next;
        next.number = proposed.phase + 1;
        next.started_at_micros = now;
        next.variants = PhaseVariants(proposed.variants);
        next.coverage = proposed.coverage;
        next.reason = decision.reason;
        LIFT_RETURN_IF_ERROR(tx.InsertPhase(proposed.key, next));
        proposed.phases.push_back(std::move(next));
        proposed.phase += 1;
        result.new_phase = true;
        result.new_phase_reason = decision.reason;
      } else if (current != nullptr && current->coverage != proposed.coverage) {
        current->coverage = proposed.coverage;  // raised within the phase
        LIFT_RETURN_IF_ERROR(tx.UpdatePhase(proposed.key, *current));
      }
    }
    proposed.version = stored->version + 1;
    proposed.updated_at_micros = now;
    proposed.updated_by = actor;
    LIFT_RETURN_IF_ERROR(tx.UpdateExperiment(proposed));
    nlohmann::json after = ToJson(proposed);
    after["changed_fields"] = changed;
    LIFT_RETURN_IF_ERROR(
        tx.Audit(actor, "experiment.update", "experiment", spec.key, ToJson(*stored), after));
    result.changed = true;
    result.experiment = std::move(proposed);
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<Experiment> ExperimentService::Get(const std::string& key) {
  LIFT_ASSIGN_OR_RETURN(std::optional<Experiment> experiment, store_->FindExperiment(key));
  if (!experiment.has_value()) return ExperimentNotFound(key);
  return std::move(*experiment);
}

absl::StatusOr<ExperimentPage> ExperimentService::List(const ExperimentFilter& filter,
                                                       int page_size,
                                                       const std::string& page_token) {
  if (page_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat("page.page_size must be >= 0, got ", page_size));
  }
  const int limit = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  std::string after_key;
  if (!page_token.empty()) {
    std::string decoded;
    if (!absl::WebSafeBase64Unescape(page_token, &decoded) ||
        decoded.rfind(kPageTokenPrefix, 0) != 0) {
      return absl::InvalidArgumentError(
          "page.page_token is not a token returned by ListExperiments");
    }
    after_key = decoded.substr(sizeof(kPageTokenPrefix) - 1);
  }
  LIFT_ASSIGN_OR_RETURN(std::vector<Experiment> experiments,
                        store_->ListExperiments(filter, after_key, limit + 1));
  ExperimentPage page;
  if (experiments.size() > static_cast<size_t>(limit)) {
    experiments.resize(static_cast<size_t>(limit));
    page.next_page_token =
        absl::WebSafeBase64Escape(absl::StrCat(kPageTokenPrefix, experiments.back().key));
  }
  page.experiments = std::move(experiments);
  return page;
}

absl::StatusOr<Experiment> ExperimentService::Transition(
    const std::string& key, int64_t expected_version, const std::string& actor,
    const std::string& action,
    const std::function<absl::Status(ExperimentStore::Transaction&, Experiment&)>& mutate) {
  if (expected_version < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected_version must be >= 0, got ", expected_version));
  }
  Experiment result;
  LIFT_RETURN_IF_ERROR(store_->Transact([&](ExperimentStore::Transaction& tx) -> absl::Status {
    LIFT_ASSIGN_OR_RETURN(std::optional<Experiment> stored, tx.LockExperiment(key));
    if (!stored.has_value()) return ExperimentNotFound(key);
    LIFT_RETURN_IF_ERROR(CheckVersion(*stored, expected_version));
    const nlohmann::json before = ToJson(*stored);
    Experiment e = std::move(*stored);
    LIFT_RETURN_IF_ERROR(mutate(tx, e));
    e.version += 1;
    e.updated_at_micros = tx.now_micros();
    e.updated_by = actor;
    LIFT_RETURN_IF_ERROR(tx.UpdateExperiment(e));
    LIFT_RETURN_IF_ERROR(tx.Audit(actor, action, "experiment", key, before, ToJson(e)));
    result = std::move(e);
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<Experiment> ExperimentService::Start(const std::string& key,
                                                    int64_t expected_version,
                                                    const std::string& actor,
                                                    int64_t started_at_micros) {
  return Transition(key, expected_version, actor, "experiment.start",
                    [started_at_micros](ExperimentStore::Transaction& tx,
                                        Experiment& e) -> absl::Status {
                      if (e.status != ExperimentStatus::kDraft) {
                        return WrongStatus(e, "start", "only draft experiments can be started");
                      }
                      const int64_t now = tx.now_micros();
                      if (started_at_micros > now) {
                        return absl::InvalidArgumentError(absl::StrCat(
                            "started_at_micros must not be in the future (got ", started_at_micros,
                            ", server time ", now, ")"));
                      }
                      if (started_at_micros != 0 && started_at_micros < now - kMaxBackdateMicros) {
                        return absl::InvalidArgumentError(absl::StrCat(
                            "started_at_micros must be at most 366 days ago (got ",
                            started_at_micros, ", server time ", now, ")"));
                      }
                      LIFT_RETURN_IF_ERROR(CheckLayerSlices(tx, e));
                      Phase first;
                      first.number = e.phase + 1;
                      first.started_at_micros = started_at_micros != 0 ? started_at_micros : now;
                      first.variants = PhaseVariants(e.variants);
                      first.coverage = e.coverage;
                      first.reason = "started";
                      LIFT_RETURN_IF_ERROR(tx.InsertPhase(e.key, first));
                      e.phases.push_back(std::move(first));
                      e.phase += 1;
                      e.status = ExperimentStatus::kRunning;
                      return absl::OkStatus();
                    });
}

absl::StatusOr<Experiment> ExperimentService::Stop(const std::string& key,
                                                   const std::string& winning_variant,
                                                   int64_t expected_version,
                                                   const std::string& actor) {
  return Transition(key, expected_version, actor, "experiment.stop",
                    [&](ExperimentStore::Transaction& tx, Experiment& e) -> absl::Status {
                      if (e.status != ExperimentStatus::kRunning) {
                        return WrongStatus(e, "stop", "only running experiments can be stopped");
                      }
                      if (!winning_variant.empty()) {
                        const bool known = std::any_of(
                            e.variants.begin(), e.variants.end(),
                            [&](const VariantConfig& v) { return v.key == winning_variant; });
                        if (!known) {
                          std::vector<std::string> keys;
                          for (const VariantConfig& v : e.variants) keys.push_back(Quote(v.key));
                          return absl::InvalidArgumentError(absl::StrCat(
                              "winning_variant must name a variant of experiment ", Quote(e.key),
                              " (", absl::StrJoin(keys, ", "), "), got ", Quote(winning_variant)));
                        }
                      }
                      if (!e.phases.empty() && e.phases.back().ended_at_micros == 0) {
                        e.phases.back().ended_at_micros = tx.now_micros();
                        LIFT_RETURN_IF_ERROR(tx.UpdatePhase(e.key, e.phases.back()));
                      }
                      e.status = ExperimentStatus::kStopped;
                      e.winning_variant = winning_variant;
                      return absl::OkStatus();
                    });
}

absl::StatusOr<Experiment> ExperimentService::Archive(const std::string& key,
                                                      int64_t expected_version,
                                                      const std::string& actor) {
  return Transition(key, expected_version, actor, "experiment.archive",
                    [](ExperimentStore::Transaction&, Experiment& e) -> absl::Status {
                      if (e.status == ExperimentStatus::kRunning) {
                        return WrongStatus(e, "archive", "stop it first");
                      }
                      if (e.status == ExperimentStatus::kArchived) {
                        return WrongStatus(e, "archive", "it is already archived");
                      }
                      e.status = ExperimentStatus::kArchived;
                      return absl::OkStatus();
                    });
}

absl::StatusOr<Override> ExperimentService::SetOverride(Override spec, const std::string& actor) {
  if (spec.experiment_key.empty()) {
    return absl::InvalidArgumentError("experiment_key must not be empty");
  }
  spec.created_by = actor;
  LIFT_RETURN_IF_ERROR(store_->Transact([&](ExperimentStore::Transaction& tx) -> absl::Status {
    LIFT_ASSIGN_OR_RETURN(std::optional<Experiment> experiment,
                          tx.LockExperiment(spec.experiment_key));
    if (!experiment.has_value()) return ExperimentNotFound(spec.experiment_key);
    if (experiment->status == ExperimentStatus::kArchived) {
      return WrongStatus(*experiment, "set an override of", "archived experiments are read-only");
    }
    LIFT_RETURN_IF_ERROR(ValidateOverride(*experiment, spec));
    LIFT_ASSIGN_OR_RETURN(std::optional<Override> existing,
                          tx.FindOverride(spec.experiment_key, spec.unit_id));
    if (!existing.has_value()) {
      LIFT_ASSIGN_OR_RETURN(int64_t count, tx.CountOverrides(spec.experiment_key));
      if (count >= static_cast<int64_t>(kMaxOverridesPerExperiment)) {
        return absl::ResourceExhaustedError(
            absl::StrCat("experiment ", Quote(spec.experiment_key), " already has ", count,
                         " overrides, the most allowed; clear some first"));
      }
    }
    spec.created_at_micros = tx.now_micros();
    LIFT_RETURN_IF_ERROR(tx.UpsertOverride(spec));
    return tx.Audit(actor, "override.set", "override",
                    absl::StrCat(spec.experiment_key, "/", spec.unit_id),
                    existing.has_value() ? ToJson(*existing) : nlohmann::json(), ToJson(spec));
  }));
  return spec;
}

absl::Status ExperimentService::ClearOverride(const std::string& experiment_key,
                                              const std::string& unit_id,
                                              const std::string& actor) {
  if (experiment_key.empty()) return absl::InvalidArgumentError("experiment_key must not be empty");
  if (unit_id.empty()) return absl::InvalidArgumentError("unit_id must not be empty");
  return store_->Transact([&](ExperimentStore::Transaction& tx) -> absl::Status {
    LIFT_ASSIGN_OR_RETURN(std::optional<Experiment> experiment, tx.LockExperiment(experiment_key));
    if (!experiment.has_value()) return ExperimentNotFound(experiment_key);
    LIFT_ASSIGN_OR_RETURN(std::optional<Override> existing,
                          tx.FindOverride(experiment_key, unit_id));
    if (!existing.has_value()) {
      return absl::NotFoundError(absl::StrCat("experiment ", Quote(experiment_key),
                                              " has no override for unit ", Quote(unit_id)));
    }
    LIFT_RETURN_IF_ERROR(tx.DeleteOverride(experiment_key, unit_id));
    return tx.Audit(actor, "override.clear", "override", absl::StrCat(experiment_key, "/", unit_id),
                    ToJson(*existing), nullptr);
  });
}

absl::StatusOr<std::vector<Override>> ExperimentService::ListOverrides(
    const std::string& experiment_key) {
  LIFT_ASSIGN_OR_RETURN(std::optional<Experiment> experiment,
                        store_->FindExperiment(experiment_key));
  if (!experiment.has_value()) return ExperimentNotFound(experiment_key);
  return store_->ListOverrides(experiment_key);
}

absl::StatusOr<Layer> ExperimentService::CreateLayer(Layer spec, const std::string& actor) {
  LIFT_RETURN_IF_ERROR(ValidateLayer(spec));
  spec.running.clear();
  spec.created_by = actor;
  LIFT_RETURN_IF_ERROR(store_->Transact([&](ExperimentStore::Transaction& tx) -> absl::Status {
    LIFT_ASSIGN_OR_RETURN(std::optional<Layer> existing, tx.LockLayer(spec.key));
    if (existing.has_value()) {
      return absl::AlreadyExistsError(absl::StrCat("layer ", Quote(spec.key), " already exists"));
    }
    spec.created_at_micros = tx.now_micros();
    LIFT_RETURN_IF_ERROR(tx.InsertLayer(spec));
    return tx.Audit(actor, "layer.create", "layer", spec.key, nullptr, ToJson(spec));
  }));
  return spec;
}

absl::StatusOr<std::vector<Layer>> ExperimentService::ListLayers() { return store_->ListLayers(); }

absl::StatusOr<Holdout> ExperimentService::CreateHoldout(Holdout spec, const std::string& actor) {
  LIFT_RETURN_IF_ERROR(ValidateHoldout(spec));
  spec.created_by = actor;
  LIFT_RETURN_IF_ERROR(store_->Transact([&](ExperimentStore::Transaction& tx) -> absl::Status {
    if (!spec.layer.empty()) {
      LIFT_ASSIGN_OR_RETURN(std::optional<Layer> layer, tx.LockLayer(spec.layer));
      if (!layer.has_value()) return LayerNotFound("layer", spec.layer);
    }
    LIFT_ASSIGN_OR_RETURN(std::optional<Holdout> existing, tx.FindHoldout(spec.key));
    if (existing.has_value()) {
      return absl::AlreadyExistsError(absl::StrCat("holdout ", Quote(spec.key), " already exists"));
    }
    spec.created_at_micros = tx.now_micros();
    LIFT_RETURN_IF_ERROR(tx.InsertHoldout(spec));
    return tx.Audit(actor, "holdout.create", "holdout", spec.key, nullptr, ToJson(spec));
  }));
  return spec;
}

absl::StatusOr<std::vector<Holdout>> ExperimentService::ListHoldouts() {
  return store_->ListHoldouts();
}

absl::Status ExperimentService::DeleteHoldout(const std::string& key, const std::string& actor) {
  return store_->Transact([&](ExperimentStore::Transaction& tx) -> absl::Status {
    LIFT_ASSIGN_OR_RETURN(std::optional<Holdout> existing, tx.FindHoldout(key));
    if (!existing.has_value()) {
      return absl::NotFoundError(absl::StrCat("holdout ", Quote(key), " does not exist"));
    }
    LIFT_RETURN_IF_ERROR(tx.DeleteHoldout(key));
    return tx.Audit(actor, "holdout.delete", "holdout", key, ToJson(*existing), nullptr);
  });
}

}  // namespace lift::experiments
