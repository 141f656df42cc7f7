// lift.v1.ReadoutService over gRPC's callback API: GetReadout runs readout::ReadoutService on a
// BlockingExecutor thread (it waits for PostgreSQL) and finishes with ToGrpcStatus. No rules live
// here. Thread safety: thread-safe.
#ifndef LIFT_SERVER_GRPC_READOUT_SERVICE_H_
#define LIFT_SERVER_GRPC_READOUT_SERVICE_H_

#include "lift/v1/readouts.grpc.pb.h"
#include "server/grpc/blocking_executor.h"
#include "server/readout/readout_service.h"

namespace lift {

class ReadoutServiceImpl final : public v1::ReadoutService::CallbackService {
 public:
  // Both must outlive this object.
  ReadoutServiceImpl(readout::ReadoutService* service, BlockingExecutor* executor)
      : service_(service), executor_(executor) {}

  grpc::ServerUnaryReactor* GetReadout(grpc::CallbackServerContext* context,
                                       const v1::GetReadoutRequest* request,
                                       v1::Readout* response) override;

 private:
  readout::ReadoutService* service_;
  BlockingExecutor* executor_;
};

}  // namespace lift

#endif  // LIFT_SERVER_GRPC_READOUT_SERVICE_H_
