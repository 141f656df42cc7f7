#include "server/grpc/system_service.h"

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/grpc_status.h"
#include "server/wall_clock.h"

namespace lift {
namespace {

constexpr size_t kMaxPingPayloadBytes = 1024;

}  // namespace

grpc::ServerUnaryReactor* SystemServiceImpl::Ping(grpc::CallbackServerContext* context,
                                                  const lift::v1::PingRequest* request,
                                                  lift::v1::PingResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (request->payload().size() > kMaxPingPayloadBytes) {
    reactor->Finish(ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("payload must be at most ", kMaxPingPayloadBytes, " bytes, got ",
                     request->payload().size()))));
    return reactor;
  }
  response->set_payload(request->payload());
  response->set_server_time_micros(WallClockMicros());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* SystemServiceImpl::GetServerInfo(
    grpc::CallbackServerContext* context, const lift::v1::GetServerInfoRequest*,
    lift::v1::GetServerInfoResponse* response) {
  response->set_version(identity_.version);
  response->set_started_at_micros(identity_.started_at_micros);
  response->set_database_mode(identity_.database_mode);
  response->set_schema_version(identity_.schema_version);
  // --- security ---
  response->set_auth_mode(identity_.auth_mode);
  response->set_transport(identity_.transport);
  // --- end security ---
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace lift
