// lift::client::Client — the C++ client library for liftd, used by liftctl and by other C++ services.
// Wraps one gRPC channel; every call takes a deadline and returns absl::Status(Or) carrying the
// server's code and message. Thread-safe: one Client may be shared by many threads.
#ifndef LIFT_CLIENTS_CPP_LIFT_CLIENT_H_
#define LIFT_CLIENTS_CPP_LIFT_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/channel.h>

#include "absl/status/statusor.h"
#include "lift/v1/system.grpc.pb.h"

namespace lift::client {

struct ClientOptions {
  std::string server = "127.0.0.1:50051";               // host:port of liftd
  std::chrono::milliseconds timeout{10'000};             // deadline of each call
};

class Client {
 public:
  explicit Client(ClientOptions options);

  // Round trip to the server; returns the measured latency. Unavailable when nothing answers.
  absl::StatusOr<std::chrono::microseconds> Ping();
  absl::StatusOr<lift::v1::GetServerInfoResponse> GetServerInfo();
  // The standard grpc.health.v1 check for the whole server: OK when it reports SERVING,
  // Unavailable otherwise.
  absl::Status CheckHealth();

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const ClientOptions& options() const { return options_; }

 private:
  void Prepare(grpc::ClientContext& context) const;

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<lift::v1::SystemService::Stub> system_;
};

// absl::Status from a grpc::Status (same code and message).
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace lift::client

#endif  // LIFT_CLIENTS_CPP_LIFT_CLIENT_H_
