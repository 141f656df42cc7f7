#include "server/grpc/readout_service.h"

#include "server/grpc_status.h"

namespace lift {

grpc::ServerUnaryReactor* ReadoutServiceImpl::GetReadout(grpc::CallbackServerContext* context,
                                                         const v1::GetReadoutRequest* request,
                                                         v1::Readout* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool queued = executor_->Submit([this, reactor, request, response] {
    absl::StatusOr<v1::Readout> readout = service_->GetReadout(*request);
    if (readout.ok()) *response = std::move(*readout);
    reactor->Finish(ToGrpcStatus(readout.status()));
  });
  if (!queued) {
    reactor->Finish(ToGrpcStatus(absl::ResourceExhaustedError(
        "too many readouts are waiting for the database; retry shortly")));
  }
  return reactor;
}

}  // namespace lift
