#include "server/grpc/offload.h"

#include "absl/strings/str_cat.h"
#include "server/grpc_status.h"

namespace lift {

grpc::ServerUnaryReactor* Offload(BlockingExecutor& executor, grpc::CallbackServerContext* context,
                                  std::function<absl::Status()> work, std::string_view what) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool queued = executor.Submit(
      [reactor, work = std::move(work)] { reactor->Finish(ToGrpcStatus(work())); });
  if (!queued) {
    reactor->Finish(ToGrpcStatus(absl::ResourceExhaustedError(absl::StrCat(
        "too many ", std::string(what), " are waiting for the database; retry shortly"))));
  }
  return reactor;
}

}  // namespace lift
