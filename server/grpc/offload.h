// Offload: how a callback-API handler runs blocking work (PostgreSQL) off gRPC's threads. The work
// runs on a BlockingExecutor and the call finishes with the status it returns; when the executor's
// queue is full the call finishes at once with RESOURCE_EXHAUSTED ("too many <what> are waiting
// for the database; retry shortly"). Thread-safe.
#ifndef LIFT_SERVER_GRPC_OFFLOAD_H_
#define LIFT_SERVER_GRPC_OFFLOAD_H_

#include <functional>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "server/grpc/blocking_executor.h"

namespace lift {

grpc::ServerUnaryReactor* Offload(BlockingExecutor& executor, grpc::CallbackServerContext* context,
                                  std::function<absl::Status()> work, std::string_view what);

}  // namespace lift

#endif  // LIFT_SERVER_GRPC_OFFLOAD_H_
