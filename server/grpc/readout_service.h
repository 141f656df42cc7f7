// lift.v1.ReadoutService over gRPC's callback API: GetReadout runs readout::ReadoutService on a
// BlockingExecutor thread (it waits for PostgreSQL) and finishes with ToGrpcStatus. No rules live
// here. Thread safety: thread-safe.
#ifndef LIFT_SERVER_GRPC_READOUT_SERVICE_H_
#define LIFT_SERVER_GRPC_READOUT_SERVICE_H_

#include "lift/v1/readouts.grpc.pb.h"
#include "server/grpc/blocking_executor.h"
#include "server/readout/readout_service.h"
// --- weekly review includes ---
// --- end weekly review includes ---
// --- launches includes ---
// --- end launches includes ---

namespace lift {

class ReadoutServiceImpl final : public v1::ReadoutService::CallbackService {
 public:
  // Both must outlive this object.
  ReadoutServiceImpl(readout::ReadoutService* service, BlockingExecutor* executor)
      : service_(service), executor_(executor) {}

  grpc::ServerUnaryReactor* GetReadout(grpc::CallbackServerContext* context,
                                       const v1::GetReadoutRequest* request,
                                       v1::Readout* response) override;
  // --- weekly review methods ---
  // --- end weekly review methods ---
  // --- launches methods ---
  // --- end launches methods ---

 private:
  readout::ReadoutService* service_;
  BlockingExecutor* executor_;
  // --- weekly review members ---
  // --- end weekly review members ---
  // --- launches members ---
  // --- end launches members ---
};

}  // namespace lift

#endif  // LIFT_SERVER_GRPC_READOUT_SERVICE_H_
