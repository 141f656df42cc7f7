// The one place where absl::Status becomes grpc::Status. Handlers call ToGrpcStatus and never build
// a grpc::Status by hand, so every RPC maps error codes the same way. Thread-safe (pure functions).
#ifndef LIFT_SERVER_GRPC_STATUS_H_
#define LIFT_SERVER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace lift {

// Same code (absl and gRPC codes share numbering) and message. Internal errors keep their message:
// liftd's internal messages never carry secrets (connection strings are redacted where produced).
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace lift

#endif  // LIFT_SERVER_GRPC_STATUS_H_
