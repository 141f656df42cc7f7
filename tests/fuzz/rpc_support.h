// gRPC and client helpers of the fuzz targets. The real handlers of each service are called
// directly on a test server context (no server, no network), with stores on a database pool whose
// connection string libpq refuses before any I/O: every handler converts and validates its request
// and then stops at the first database access with UNAVAILABLE.
//
// Thread safety: the pool is thread-safe; CallUnary may run concurrently.
#ifndef LIFT_TESTS_FUZZ_RPC_SUPPORT_H_
#define LIFT_TESTS_FUZZ_RPC_SUPPORT_H_

#include <functional>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "server/store/connection_pool.h"

namespace lift::fuzz {

// A pool for the stores of the services under test: its connection string is not a valid libpq
// connection string, so every Acquire fails at once with UNAVAILABLE, without touching the network
// or the file system. Lives for the whole process.
store::ConnectionPool& DeadDatabasePool();

// Runs `start(context)`, which must start one unary callback-API handler on `context` (e.g.
// `service.GetReadout(context, &request, &response)`), and waits until the handler finished the
// call (inline or from an executor thread). Returns the status the call finished with.
grpc::Status CallUnary(const std::function<void(grpc::CallbackServerContext*)>& start);

// Stops protobuf's log messages (e.g. about invalid UTF-8 in a string field of a fuzzed message).
void QuietProtobufLogs();

// True for the codes a handler may answer when its request is bad or the database is unreachable;
// false for OK (there is no database to succeed with), INTERNAL and UNKNOWN (a bug's symptoms).
bool IsExpectedFailure(const grpc::Status& status);

// Keeps a template parameter out of deduction (std::type_identity of C++20).
template <typename T>
struct NotDeduced {
  using type = T;
};

// Parses `bytes` as the request of `method` (a unary handler of `service`, e.g.
// &ExperimentServiceImpl::CreateExperiment) and calls it with CallUnary; calls `inspect(request,
// response, status)` afterwards when given. Returns false (and calls nothing) when the bytes are
// not a valid encoding of the request message.
template <typename Service, typename Request, typename Response>
bool CallRpc(Service& service,
             grpc::ServerUnaryReactor* (Service::*method)(grpc::CallbackServerContext*,
                                                          const Request*, Response*),
             std::string_view bytes,
             const typename NotDeduced<std::function<void(
                 const Request&, const Response&, const grpc::Status&)>>::type& inspect = nullptr) {
  QuietProtobufLogs();
  Request request;
  if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
  Response response;
  const grpc::Status status = CallUnary([&](grpc::CallbackServerContext* context) {
    (service.*method)(context, &request, &response);
  });
  if (inspect) inspect(request, response, status);
  return true;
}

}  // namespace lift::fuzz

#endif  // LIFT_TESTS_FUZZ_RPC_SUPPORT_H_
