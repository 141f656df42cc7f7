#include "server/grpc/readout_service.h"

#include "server/grpc/offload.h"

namespace lift {

grpc::ServerUnaryReactor* ReadoutServiceImpl::GetReadout(grpc::CallbackServerContext* context,
                                                         const v1::GetReadoutRequest* request,
                                                         v1::Readout* response) {
  return Offload(
      *executor_, context,
      [this, request, response]() -> absl::Status {
        absl::StatusOr<v1::Readout> readout = service_->GetReadout(*request);
        if (readout.ok()) *response = std::move(*readout);
        return readout.status();
      },
      "readouts");
}

// --- weekly review methods ---
// --- end weekly review methods ---

// --- launches methods ---
// --- end launches methods ---

}  // namespace lift
