// lift.v1.SystemService over gRPC's callback API: Ping (the load-test baseline: no work beyond
// the round trip) and GetServerInfo. Thread-safe: reads only immutable state.
#ifndef LIFT_SERVER_GRPC_SYSTEM_SERVICE_H_
#define LIFT_SERVER_GRPC_SYSTEM_SERVICE_H_

#include <cstdint>
#include <string>

#include "lift/v1/system.grpc.pb.h"

namespace lift {

struct ServerIdentity {
  std::string version;
  int64_t started_at_micros = 0;
  std::string database_mode;  // "embedded" or "external"
  int64_t schema_version = 0;
  // --- security ---
  std::string auth_mode = {};  // "api-keys" or "insecure-no-auth"
  std::string transport = {};  // "plaintext", "tls" or "mutual-tls"
  // --- end security ---
};

class SystemServiceImpl final : public lift::v1::SystemService::CallbackService {
 public:
  explicit SystemServiceImpl(ServerIdentity identity) : identity_(std::move(identity)) {}

  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const lift::v1::PingRequest* request,
                                 lift::v1::PingResponse* response) override;
  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context,
                                          const lift::v1::GetServerInfoRequest* request,
                                          lift::v1::GetServerInfoResponse* response) override;

 private:
  const ServerIdentity identity_;
};

}  // namespace lift

#endif  // LIFT_SERVER_GRPC_SYSTEM_SERVICE_H_
