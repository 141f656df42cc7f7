// lift.v1.ExperimentService requests (server/grpc/experiment_service.h over server/experiments/):
// byte 0 selects the RPC, the rest is its request message (protobuf wire format). The handler runs
// on a test context against a database that cannot be reached, so it converts and validates the
// request and stops at the first database access. UpdateExperiment checks happen inside its
// transaction, so they are also run here directly (CopyEditableFields, Normalize,
// ValidateExperiment, ChangedFields, phase rules) against a stored running experiment.
// Properties: the call fails with an expected code (never OK, INTERNAL or UNKNOWN); an experiment
// that validates also compiles into an assignment snapshot and assigns units.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "server/assignment/attributes.h"
#include "server/assignment/engine.h"
#include "server/assignment/phase_rules.h"
#include "server/assignment/snapshot.h"
#include "server/experiments/experiment.h"
#include "server/experiments/experiment_service.h"
#include "server/experiments/experiment_store.h"
#include "server/grpc/blocking_executor.h"
#include "server/grpc/experiment_proto.h"
#include "server/grpc/experiment_service.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/rpc_support.h"

namespace {

using lift::ExperimentServiceImpl;
using lift::experiments::Experiment;

struct Services {
  lift::experiments::ExperimentStore store{&lift::fuzz::DeadDatabasePool()};
  lift::experiments::ExperimentService domain{&store};
  lift::BlockingExecutor executor{/*threads=*/1, /*max_queued=*/16};
  ExperimentServiceImpl impl{&domain, &executor};
};

Services& TheServices() {
  static Services* const services = new Services;
  return *services;
}

// A running experiment as the store would return it, for UpdateExperiment's rules.
const Experiment& StoredExperiment() {
  static const Experiment* const stored = [] {
    auto* e = new Experiment;
    e->key = "checkout";
    e->name = "Checkout button";
    e->owner = "growth";
    e->tags = {"q3"};
    e->variants = {{"control", 0.5, R"({"color":"blue"})"}, {"green", 0.5, R"({"color":"green"})"}};
    e->condition = R"({"country": {"$in": ["US", "CA"]}})";
    e->metrics.success = {"revenue"};
    e->metrics.guardrails = {{"latency", 0.05}};
    e->status = lift::experiments::ExperimentStatus::kRunning;
    e->phase = 1;
    e->phases = {{1, 1'700'000'000'000'000, 0, {{"control", 0.5, ""}, {"green", 0.5, ""}}, 1.0,
                  "started"}};
    e->version = 3;
    return e;
  }();
  return *stored;
}

// A validated experiment must compile into a snapshot (as if started) and assign units.
void CheckAssignable(const Experiment& experiment) {
  absl::StatusOr<lift::assignment::ExperimentConfig> config =
      lift::experiments::ToAssignmentConfig(experiment, {});
  LIFT_FUZZ_CHECK(config.ok());
  config->status = lift::experiments::ExperimentStatus::kRunning;
  absl::StatusOr<std::shared_ptr<const lift::assignment::Snapshot>> snapshot =
      lift::assignment::Snapshot::Build({*config});
  LIFT_FUZZ_CHECK(snapshot.ok());
  for (const char* unit : {R"({"id": "u1", "country": "US"})", R"({"id": 7, "age": "31"})"}) {
    absl::StatusOr<lift::assignment::Attributes> attributes =
        lift::assignment::Attributes::FromJson(nlohmann::json::parse(unit));
    nlohmann::json with_unit_type = attributes->json();
    with_unit_type[experiment.unit_type] = "unit-1";
    absl::StatusOr<lift::assignment::Attributes> unit_attributes =
        lift::assignment::Attributes::FromJson(with_unit_type);
    for (const auto* a : {&*attributes, &*unit_attributes}) {
      const lift::assignment::Assignment result =
          lift::assignment::Evaluate(**snapshot, *a, experiment.key);
      LIFT_FUZZ_CHECK(result.variant_index < static_cast<int>(experiment.variants.size()));
    }
  }
}

void CheckCreate(const lift::v1::CreateExperimentRequest& request) {
  Experiment spec = lift::ExperimentFromProto(request.experiment());
  lift::experiments::Normalize(&spec);
  const absl::Status valid = lift::experiments::ValidateExperiment(spec);
  LIFT_FUZZ_CHECK(valid.ok() || absl::IsInvalidArgument(valid));
  if (!valid.ok()) return;
  (void)lift::experiments::ToJson(spec).dump();  // the audit log's "after"
  CheckAssignable(spec);
}

void CheckUpdate(const lift::v1::UpdateExperimentRequest& request) {
  const Experiment spec = lift::ExperimentFromProto(request.experiment());
  const std::vector<std::string> fields(request.update_mask().paths().begin(),
                                        request.update_mask().paths().end());
  const Experiment& stored = StoredExperiment();
  Experiment proposed = stored;
  const absl::Status copied = lift::experiments::CopyEditableFields(spec, fields, &proposed);
  if (!copied.ok()) {
    LIFT_FUZZ_CHECK(absl::IsInvalidArgument(copied));
    return;
  }
  lift::experiments::Normalize(&proposed);
  const absl::Status valid = lift::experiments::ValidateExperiment(proposed);
  LIFT_FUZZ_CHECK(valid.ok() || absl::IsInvalidArgument(valid));
  if (!valid.ok()) return;
  for (const std::string& field : lift::experiments::ChangedFields(stored, proposed)) {
    (void)lift::experiments::IsAssignmentField(field);
  }
  absl::StatusOr<lift::assignment::ExperimentConfig> before =
      lift::experiments::ToAssignmentConfig(stored, {});
  absl::StatusOr<lift::assignment::ExperimentConfig> after =
      lift::experiments::ToAssignmentConfig(proposed, {});
  LIFT_FUZZ_CHECK(before.ok() && after.ok());
  const lift::assignment::PhaseDecision decision = lift::assignment::ClassifyChange(*before, *after);
  LIFT_FUZZ_CHECK(decision.new_phase == !decision.reason.empty());
  CheckAssignable(proposed);
}

template <typename Request, typename Response>
void Run(grpc::ServerUnaryReactor* (ExperimentServiceImpl::*method)(grpc::CallbackServerContext*,
                                                                     const Request*, Response*),
         std::string_view bytes,
         const std::function<void(const Request&)>& check = nullptr) {
  lift::fuzz::CallRpc(TheServices().impl, method, bytes,
                      [&](const Request& request, const Response&, const grpc::Status& status) {
                        LIFT_FUZZ_CHECK(lift::fuzz::IsExpectedFailure(status));
                        if (check) check(request);
                      });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes = lift::fuzz::AsText(data + 1, size - 1);
  switch (data[0] % 15) {
    case 0:
      Run(&ExperimentServiceImpl::CreateExperiment, bytes,
          std::function<void(const lift::v1::CreateExperimentRequest&)>(CheckCreate));
      break;
    case 1:
      Run(&ExperimentServiceImpl::UpdateExperiment, bytes,
          std::function<void(const lift::v1::UpdateExperimentRequest&)>(CheckUpdate));
      break;
    case 2:
      Run(&ExperimentServiceImpl::GetExperiment, bytes);
      break;
    case 3:
      Run(&ExperimentServiceImpl::ListExperiments, bytes);
      break;
    case 4:
      Run(&ExperimentServiceImpl::StartExperiment, bytes);
      break;
    case 5:
      Run(&ExperimentServiceImpl::StopExperiment, bytes);
      break;
    case 6:
      Run(&ExperimentServiceImpl::ArchiveExperiment, bytes);
      break;
    case 7:
      Run(&ExperimentServiceImpl::SetOverride, bytes,
          std::function<void(const lift::v1::SetOverrideRequest&)>(
              [](const lift::v1::SetOverrideRequest& request) {
                lift::experiments::Override spec;
                spec.experiment_key = request.experiment_key();
                spec.unit_id = request.unit_id();
                spec.variant_key = request.variant_key();
                const absl::Status valid =
                    lift::experiments::ValidateOverride(StoredExperiment(), spec);
                LIFT_FUZZ_CHECK(valid.ok() || absl::IsInvalidArgument(valid));
              }));
      break;
    case 8:
      Run(&ExperimentServiceImpl::ClearOverride, bytes);
      break;
    case 9:
      Run(&ExperimentServiceImpl::ListOverrides, bytes);
      break;
    case 10:
      Run(&ExperimentServiceImpl::CreateLayer, bytes);
      break;
    case 11:
      Run(&ExperimentServiceImpl::ListLayers, bytes);
      break;
    case 12:
      Run(&ExperimentServiceImpl::CreateHoldout, bytes);
      break;
    case 13:
      Run(&ExperimentServiceImpl::ListHoldouts, bytes);
      break;
    case 14:
      Run(&ExperimentServiceImpl::DeleteHoldout, bytes);
      break;
  }
  return 0;
}
