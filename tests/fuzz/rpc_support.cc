#include "tests/fuzz/rpc_support.h"

#include <google/protobuf/stubs/logging.h>
#include <grpcpp/test/default_reactor_test_peer.h>

#include <chrono>
#include <future>
#include <thread>

namespace lift::fuzz {

store::ConnectionPool& DeadDatabasePool() {
  // No "=": libpq rejects the connection string while parsing it, before any socket is opened.
  static store::ConnectionPool* const pool =
      new store::ConnectionPool("lift-fuzz-has-no-database", /*max_connections=*/4);
  return *pool;
}

void QuietProtobufLogs() {
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
}

bool IsExpectedFailure(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::UNIMPLEMENTED:
      return true;
    default:
      return false;
  }
}

grpc::Status CallUnary(const std::function<void(grpc::CallbackServerContext*)>& start) {
  grpc::CallbackServerContext context;
  std::promise<grpc::Status> finished;
  std::future<grpc::Status> status = finished.get_future();
  grpc::testing::DefaultReactorTestPeer peer(
      &context, [&finished](grpc::Status s) { finished.set_value(std::move(s)); });
  start(&context);
  grpc::Status result = status.get();
  // The finishing thread marks the status as set right after our callback returned; wait for it
  // so that the context is not destroyed under it.
  while (!peer.test_status_set()) std::this_thread::yield();
  return result;
}

}  // namespace lift::fuzz
