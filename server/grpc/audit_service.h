// lift.v1.AuditService over gRPC's callback API (proto/lift/v1/auth.proto): lists the audit log
// through auth::AuditLog on the configuration executor. Authorisation (scope admin) happened before
// the handler runs (server/auth/auth_interceptor.h).
//
// Thread safety: thread-safe.
#ifndef LIFT_SERVER_GRPC_AUDIT_SERVICE_H_
#define LIFT_SERVER_GRPC_AUDIT_SERVICE_H_

#include "lift/v1/auth.grpc.pb.h"
#include "server/auth/audit_log.h"
#include "server/grpc/blocking_executor.h"

namespace lift {

class AuditServiceImpl final : public lift::v1::AuditService::CallbackService {
 public:
  AuditServiceImpl(auth::AuditLog* log, BlockingExecutor* executor)
      : log_(log), executor_(executor) {}

  grpc::ServerUnaryReactor* ListAuditEntries(grpc::CallbackServerContext* context,
                                             const v1::ListAuditEntriesRequest* request,
                                             v1::ListAuditEntriesResponse* response) override;

 private:
  auth::AuditLog* log_;
  BlockingExecutor* executor_;
};

}  // namespace lift

#endif  // LIFT_SERVER_GRPC_AUDIT_SERVICE_H_
