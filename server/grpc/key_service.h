// lift.v1.KeyService over gRPC's callback API (proto/lift/v1/auth.proto).
// Authorisation (scope admin) happened before these handlers run (server/auth/auth_interceptor.h);
// they convert messages, run the store on the configuration executor (PostgreSQL) and record the
// calling key's name as the actor.
//
// Thread safety: thread-safe.
#ifndef LIFT_SERVER_GRPC_KEY_SERVICE_H_
#define LIFT_SERVER_GRPC_KEY_SERVICE_H_

#include "lift/v1/auth.grpc.pb.h"
#include "server/auth/authenticator.h"
#include "server/auth/key_store.h"
#include "server/grpc/blocking_executor.h"

namespace lift {

class KeyServiceImpl final : public lift::v1::KeyService::CallbackService {
 public:
  // All must outlive this object; `authenticator` is told about revocations (may be null).
  KeyServiceImpl(auth::KeyStore* keys, auth::Authenticator* authenticator,
                 BlockingExecutor* executor)
      : keys_(keys), authenticator_(authenticator), executor_(executor) {}

  grpc::ServerUnaryReactor* CreateKey(grpc::CallbackServerContext* context,
                                      const v1::CreateKeyRequest* request,
                                      v1::CreateKeyResponse* response) override;
  grpc::ServerUnaryReactor* ListKeys(grpc::CallbackServerContext* context,
                                     const v1::ListKeysRequest* request,
                                     v1::ListKeysResponse* response) override;
  grpc::ServerUnaryReactor* RevokeKey(grpc::CallbackServerContext* context,
                                      const v1::RevokeKeyRequest* request,
                                      v1::ApiKey* response) override;

 private:
  auth::KeyStore* keys_;
  auth::Authenticator* authenticator_;
  BlockingExecutor* executor_;
};

}  // namespace lift

#endif  // LIFT_SERVER_GRPC_KEY_SERVICE_H_
