// lift.v1.ExperimentService over gRPC's callback API: each method converts the request to domain
// types (experiment_proto.h), runs experiments::ExperimentService on a BlockingExecutor thread
// (these RPCs wait for PostgreSQL, which gRPC's callback threads must not do), converts the result
// back and finishes with ToGrpcStatus. No rules live here.
//
// The actor recorded in the audit log is "anonymous" until authentication lands (issue 8), which
// will derive it from the caller's API key in ActorOf().
//
// Thread safety: thread-safe.
#ifndef LIFT_SERVER_GRPC_EXPERIMENT_SERVICE_H_
#define LIFT_SERVER_GRPC_EXPERIMENT_SERVICE_H_

#include <functional>

#include "absl/status/status.h"
#include "lift/v1/experiments.grpc.pb.h"
#include "server/experiments/experiment_service.h"
#include "server/grpc/blocking_executor.h"
#include "server/grpc/offload.h"

namespace lift {

class ExperimentServiceImpl final : public lift::v1::ExperimentService::CallbackService {
 public:
  // Both must outlive this object.
  ExperimentServiceImpl(experiments::ExperimentService* service, BlockingExecutor* executor)
      : service_(service), executor_(executor) {}

  grpc::ServerUnaryReactor* CreateExperiment(grpc::CallbackServerContext* context,
                                             const v1::CreateExperimentRequest* request,
                                             v1::Experiment* response) override;
  grpc::ServerUnaryReactor* UpdateExperiment(grpc::CallbackServerContext* context,
                                             const v1::UpdateExperimentRequest* request,
                                             v1::UpdateExperimentResponse* response) override;
  grpc::ServerUnaryReactor* GetExperiment(grpc::CallbackServerContext* context,
                                          const v1::GetExperimentRequest* request,
                                          v1::Experiment* response) override;
  grpc::ServerUnaryReactor* ListExperiments(grpc::CallbackServerContext* context,
                                            const v1::ListExperimentsRequest* request,
                                            v1::ListExperimentsResponse* response) override;
  grpc::ServerUnaryReactor* StartExperiment(grpc::CallbackServerContext* context,
                                            const v1::StartExperimentRequest* request,
                                            v1::Experiment* response) override;
  grpc::ServerUnaryReactor* StopExperiment(grpc::CallbackServerContext* context,
                                           const v1::StopExperimentRequest* request,
                                           v1::Experiment* response) override;
  grpc::ServerUnaryReactor* ArchiveExperiment(grpc::CallbackServerContext* context,
                                              const v1::ArchiveExperimentRequest* request,
                                              v1::Experiment* response) override;
  grpc::ServerUnaryReactor* SetOverride(grpc::CallbackServerContext* context,
                                        const v1::SetOverrideRequest* request,
                                        v1::Override* response) override;
  grpc::ServerUnaryReactor* ClearOverride(grpc::CallbackServerContext* context,
                                          const v1::ClearOverrideRequest* request,
                                          v1::ClearOverrideResponse* response) override;
  grpc::ServerUnaryReactor* ListOverrides(grpc::CallbackServerContext* context,
                                          const v1::ListOverridesRequest* request,
                                          v1::ListOverridesResponse* response) override;
  grpc::ServerUnaryReactor* CreateLayer(grpc::CallbackServerContext* context,
                                        const v1::CreateLayerRequest* request,
                                        v1::Layer* response) override;
  grpc::ServerUnaryReactor* ListLayers(grpc::CallbackServerContext* context,
                                       const v1::ListLayersRequest* request,
                                       v1::ListLayersResponse* response) override;
  grpc::ServerUnaryReactor* CreateHoldout(grpc::CallbackServerContext* context,
                                          const v1::CreateHoldoutRequest* request,
                                          v1::Holdout* response) override;
  grpc::ServerUnaryReactor* ListHoldouts(grpc::CallbackServerContext* context,
                                         const v1::ListHoldoutsRequest* request,
                                         v1::ListHoldoutsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteHoldout(grpc::CallbackServerContext* context,
                                          const v1::DeleteHoldoutRequest* request,
                                          v1::DeleteHoldoutResponse* response) override;

 private:
  // Runs `work` on the executor (offload.h) and finishes the call with its status.
  grpc::ServerUnaryReactor* Offload(grpc::CallbackServerContext* context,
                                    std::function<absl::Status()> work) {
    return lift::Offload(*executor_, context, std::move(work), "configuration requests");
  }

  experiments::ExperimentService* service_;
  BlockingExecutor* executor_;
};

}  // namespace lift

#endif  // LIFT_SERVER_GRPC_EXPERIMENT_SERVICE_H_
