#include "server/grpc/experiment_service.h"

#include <string>
#include <utility>
#include <vector>

#include "server/auth/actor.h"
#include "server/grpc/experiment_proto.h"
#include "server/grpc_status.h"

namespace lift {
namespace {

// Who makes the change, for the audit log: the verified API key's name (server/auth/actor.h), or
// "anonymous" with --insecure-no-auth.
std::string ActorOf(const grpc::CallbackServerContext* context) { return auth::ActorOf(context); }

}  // namespace

grpc::ServerUnaryReactor* ExperimentServiceImpl::CreateExperiment(
    grpc::CallbackServerContext* context, const v1::CreateExperimentRequest* request,
    v1::Experiment* response) {
  return Offload(context, [this, request, response, actor = ActorOf(context)]() -> absl::Status {
    absl::StatusOr<experiments::Experiment> created =
        service_->Create(ExperimentFromProto(request->experiment()), actor);
    if (!created.ok()) return created.status();
    ExperimentToProto(*created, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExperimentServiceImpl::UpdateExperiment(
    grpc::CallbackServerContext* context, const v1::UpdateExperimentRequest* request,
    v1::UpdateExperimentResponse* response) {
  return Offload(context, [this, request, response, actor = ActorOf(context)]() -> absl::Status {
    const std::vector<std::string> fields(request->update_mask().paths().begin(),
                                          request->update_mask().paths().end());
    absl::StatusOr<experiments::UpdateResult> result = service_->Update(
        ExperimentFromProto(request->experiment()), fields, request->expected_version(), actor);
    if (!result.ok()) return result.status();
    ExperimentToProto(result->experiment, response->mutable_experiment());
    response->set_new_phase(result->new_phase);
    response->set_new_phase_reason(result->new_phase_reason);
    response->set_changed(result->changed);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExperimentServiceImpl::GetExperiment(
    grpc::CallbackServerContext* context, const v1::GetExperimentRequest* request,
    v1::Experiment* response) {
  return Offload(context, [this, request, response]() -> absl::Status {
    absl::StatusOr<experiments::Experiment> experiment = service_->Get(request->key());
    if (!experiment.ok()) return experiment.status();
    ExperimentToProto(*experiment, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExperimentServiceImpl::ListExperiments(
    grpc::CallbackServerContext* context, const v1::ListExperimentsRequest* request,
    v1::ListExperimentsResponse* response) {
  return Offload(context, [this, request, response]() -> absl::Status {
    experiments::ExperimentFilter filter;
    filter.status = StatusFromProto(request->status());
    filter.tag = request->tag();
    filter.owner = request->owner();
    absl::StatusOr<experiments::ExperimentPage> page =
        service_->List(filter, request->page().page_size(), request->page().page_token());
    if (!page.ok()) return page.status();
    for (const experiments::Experiment& e : page->experiments) {
      ExperimentToProto(e, response->add_experiments());
    }
    response->mutable_page()->set_next_page_token(page->next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExperimentServiceImpl::StartExperiment(
    grpc::CallbackServerContext* context, const v1::StartExperimentRequest* request,
    v1::Experiment* response) {
  return Offload(context, [this, request, response, actor = ActorOf(context)]() -> absl::Status {
    absl::StatusOr<experiments::Experiment> experiment =
        service_->Start(request->key(), request->expected_version(), actor,
                        request->started_at_micros());
    if (!experiment.ok()) return experiment.status();
    ExperimentToProto(*experiment, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExperimentServiceImpl::StopExperiment(
    grpc::CallbackServerContext* context, const v1::StopExperimentRequest* request,
    v1::Experiment* response) {
  return Offload(context, [this, request, response, actor = ActorOf(context)]() -> absl::Status {
    absl::StatusOr<experiments::Experiment> experiment = service_->Stop(
        request->key(), request->winning_variant(), request->expected_version(), actor);
    if (!experiment.ok()) return experiment.status();
    ExperimentToProto(*experiment, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExperimentServiceImpl::ArchiveExperiment(
    grpc::CallbackServerContext* context, const v1::ArchiveExperimentRequest* request,
    v1::Experiment* response) {
  return Offload(context, [this, request, response, actor = ActorOf(context)]() -> absl::Status {
    absl::StatusOr<experiments::Experiment> experiment =
        service_->Archive(request->key(), request->expected_version(), actor);
    if (!experiment.ok()) return experiment.status();
    ExperimentToProto(*experiment, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExperimentServiceImpl::SetOverride(grpc::CallbackServerContext* context,
                                                             const v1::SetOverrideRequest* request,
                                                             v1::Override* response) {
  return Offload(context, [this, request, response, actor = ActorOf(context)]() -> absl::Status {
    experiments::Override spec;
    spec.experiment_key = request->experiment_key();
    spec.unit_id = request->unit_id();
    spec.variant_key = request->variant_key();
    absl::StatusOr<experiments::Override> stored = service_->SetOverride(std::move(spec), actor);
    if (!stored.ok()) return stored.status();
    OverrideToProto(*stored, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExperimentServiceImpl::ClearOverride(
    grpc::CallbackServerContext* context, const v1::ClearOverrideRequest* request,
    v1::ClearOverrideResponse*) {
  return Offload(context, [this, request, actor = ActorOf(context)]() -> absl::Status {
    return service_->ClearOverride(request->experiment_key(), request->unit_id(), actor);
  });
}

grpc::ServerUnaryReactor* ExperimentServiceImpl::ListOverrides(
    grpc::CallbackServerContext* context, const v1::ListOverridesRequest* request,
    v1::ListOverridesResponse* response) {
  return Offload(context, [this, request, response]() -> absl::Status {
    absl::StatusOr<std::vector<experiments::Override>> overrides =
        service_->ListOverrides(request->experiment_key());
    if (!overrides.ok()) return overrides.status();
    for (const experiments::Override& o : *overrides) OverrideToProto(o, response->add_overrides());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExperimentServiceImpl::CreateLayer(grpc::CallbackServerContext* context,
                                                             const v1::CreateLayerRequest* request,
                                                             v1::Layer* response) {
  return Offload(context, [this, request, response, actor = ActorOf(context)]() -> absl::Status {
    absl::StatusOr<experiments::Layer> layer =
        service_->CreateLayer(LayerFromProto(request->layer()), actor);
    if (!layer.ok()) return layer.status();
    LayerToProto(*layer, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExperimentServiceImpl::ListLayers(grpc::CallbackServerContext* context,
                                                            const v1::ListLayersRequest*,
                                                            v1::ListLayersResponse* response) {
  return Offload(context, [this, response]() -> absl::Status {
    absl::StatusOr<std::vector<experiments::Layer>> layers = service_->ListLayers();
    if (!layers.ok()) return layers.status();
    for (const experiments::Layer& layer : *layers) LayerToProto(layer, response->add_layers());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExperimentServiceImpl::CreateHoldout(
    grpc::CallbackServerContext* context, const v1::CreateHoldoutRequest* request,
    v1::Holdout* response) {
  return Offload(context, [this, request, response, actor = ActorOf(context)]() -> absl::Status {
    absl::StatusOr<experiments::Holdout> holdout =
        service_->CreateHoldout(HoldoutFromProto(request->holdout()), actor);
    if (!holdout.ok()) return holdout.status();
    HoldoutToProto(*holdout, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExperimentServiceImpl::ListHoldouts(grpc::CallbackServerContext* context,
                                                              const v1::ListHoldoutsRequest*,
                                                              v1::ListHoldoutsResponse* response) {
  return Offload(context, [this, response]() -> absl::Status {
    absl::StatusOr<std::vector<experiments::Holdout>> holdouts = service_->ListHoldouts();
    if (!holdouts.ok()) return holdouts.status();
    for (const experiments::Holdout& h : *holdouts) HoldoutToProto(h, response->add_holdouts());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ExperimentServiceImpl::DeleteHoldout(
    grpc::CallbackServerContext* context, const v1::DeleteHoldoutRequest* request,
    v1::DeleteHoldoutResponse*) {
  return Offload(context, [this, request, actor = ActorOf(context)]() -> absl::Status {
    return service_->DeleteHoldout(request->key(), actor);
  });
}

}  // namespace lift
