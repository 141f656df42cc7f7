#include "clients/cpp/lift_client.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

namespace lift::client {

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      channel_(grpc::CreateChannel(options_.server, grpc::InsecureChannelCredentials())),
      system_(lift::v1::SystemService::NewStub(channel_)) {}

void Client::Prepare(grpc::ClientContext& context) const {
  context.set_deadline(std::chrono::system_clock::now() + options_.timeout);
}

absl::StatusOr<std::chrono::microseconds> Client::Ping() {
  grpc::ClientContext context;
  Prepare(context);
  lift::v1::PingRequest request;
  lift::v1::PingResponse response;
  const auto start = std::chrono::steady_clock::now();
  grpc::Status status = system_->Ping(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

absl::StatusOr<lift::v1::GetServerInfoResponse> Client::GetServerInfo() {
  grpc::ClientContext context;
  Prepare(context);
  lift::v1::GetServerInfoResponse response;
  grpc::Status status = system_->GetServerInfo(&context, lift::v1::GetServerInfoRequest(), &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::Status Client::CheckHealth() {
  // grpc.health.v1.Health/Check with raw bytes: the request for the whole server is the empty
  // message, and SERVING is field 1 = 1 (bytes 08 01). Avoids shipping a copy of health.proto.
  grpc::GenericStub stub(channel_);
  grpc::ClientContext context;
  Prepare(context);
  grpc::CompletionQueue queue;
  grpc::ByteBuffer request;
  auto call = stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", request, &queue);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, nullptr);
  void* tag = nullptr;
  bool ok = false;
  queue.Next(&tag, &ok);
  if (!status.ok()) return FromGrpcStatus(status);
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (response.Dump(&slices).ok()) {
    for (const auto& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  if (bytes != std::string("\x08\x01", 2)) {
    return absl::UnavailableError("the server reports NOT_SERVING");
  }
  return absl::OkStatus();
}

}  // namespace lift::client
