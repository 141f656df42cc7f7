#include "server/grpc_status.h"

#include "gtest/gtest.h"

namespace lift {
namespace {

TEST(GrpcStatusTest, OkMapsToOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(GrpcStatusTest, KeepsCodeAndMessage) {
  const std::pair<absl::Status, grpc::StatusCode> cases[] = {
      {absl::InvalidArgumentError("alpha must be in (0, 1)"), grpc::StatusCode::INVALID_ARGUMENT},
      {absl::NotFoundError("no experiment 'x'"), grpc::StatusCode::NOT_FOUND},
      {absl::FailedPreconditionError("archived"), grpc::StatusCode::FAILED_PRECONDITION},
      {absl::AbortedError("version conflict"), grpc::StatusCode::ABORTED},
      {absl::ResourceExhaustedError("queue full"), grpc::StatusCode::RESOURCE_EXHAUSTED},
      {absl::UnavailableError("database down"), grpc::StatusCode::UNAVAILABLE},
      {absl::PermissionDeniedError("scope"), grpc::StatusCode::PERMISSION_DENIED},
      {absl::UnauthenticatedError("no key"), grpc::StatusCode::UNAUTHENTICATED},
  };
  for (const auto& [status, code] : cases) {
    grpc::Status mapped = ToGrpcStatus(status);
    EXPECT_EQ(mapped.error_code(), code) << status;
    EXPECT_EQ(mapped.error_message(), std::string(status.message()));
  }
}

}  // namespace
}  // namespace lift
