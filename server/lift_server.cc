#include "server/lift_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "server/embedded_pg/embedded_postgres.h"
#include "server/grpc/system_service.h"
#include "server/store/connection_pool.h"
#include "server/store/migrations.h"
// --- experiments & assignment includes ---
// --- end experiments & assignment includes ---
// --- ingest includes ---
// --- end ingest includes ---
#include "stats/status_macros.h"

#ifndef LIFT_VERSION
#define LIFT_VERSION "0.0.0"
#endif

namespace lift {
namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(10);
constexpr int kMaxMessageBytes = 64 * 1024 * 1024;
constexpr size_t kPoolConnections = 8;  // for configuration and readouts; ingest has its own

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// gRPC binds with SO_REUSEPORT, which would let two servers share a port silently; we turn that
// off and also probe the address first so "port in use" is reported before any database work.
absl::Status CheckListenAddress(const std::string& listen) {
  if (listen.rfind("unix:", 0) == 0) return absl::OkStatus();
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen must be host:port (e.g. 127.0.0.1:50051), got '", listen, "'"));
  }
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen '", listen, "' is not a usable address: ", gai_strerror(rc)));
  }
  absl::Status status = absl::OkStatus();
  int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, found->ai_addr, found->ai_addrlen) != 0) {
      const int error = errno;
      status = absl::FailedPreconditionError(
          error == EADDRINUSE
              ? absl::StrCat("cannot listen on ", listen,
                             ": the address is already in use (is another liftd running? pick "
                             "another with --listen)")
              : absl::StrCat("cannot listen on ", listen, ": ", std::strerror(error)));
    }
    close(fd);
  }
  freeaddrinfo(found);
  return status;
}

}  // namespace

struct LiftServer::State {
  std::unique_ptr<embedded_pg::EmbeddedPostgres> embedded;
  std::string connection_string;
  std::string database_description;
  int64_t schema_version = 0;
  std::string listen_address;
  std::unique_ptr<store::ConnectionPool> pool;
  std::unique_ptr<SystemServiceImpl> system_service;
  // --- experiments & assignment state ---
  // --- end experiments & assignment state ---
  // --- ingest state ---
  // --- end ingest state ---
  std::unique_ptr<grpc::Server> grpc_server;
  bool shut_down = false;
};

LiftServer::LiftServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

LiftServer::~LiftServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<LiftServer>> LiftServer::Start(const ServerOptions& options) {
  LIFT_RETURN_IF_ERROR(CheckListenAddress(options.listen));
  // A database that does not answer should fail start-up in seconds, not after TCP's timeout.
  setenv("PGCONNECT_TIMEOUT", "10", /*overwrite=*/0);

  auto state = std::make_unique<State>();
  std::string mode;
  if (options.database_url.empty()) {
    embedded_pg::EmbeddedPostgresOptions pg_options;
    pg_options.data_dir = options.data_dir;
    pg_options.bin_dir = options.pg_bin_dir;
    LIFT_ASSIGN_OR_RETURN(state->embedded, embedded_pg::EmbeddedPostgres::Start(pg_options));
    state->connection_string = state->embedded->ConnectionString();
    state->database_description =
        absl::StrCat("embedded PostgreSQL in ", state->embedded->data_dir(), "/pg");
    mode = "embedded";
  } else {
    state->connection_string = options.database_url;
    state->database_description = store::RedactConnectionString(options.database_url);
    mode = "external";
  }
  LIFT_ASSIGN_OR_RETURN(state->schema_version, store::Migrate(state->connection_string));

  state->pool = std::make_unique<store::ConnectionPool>(state->connection_string, kPoolConnections);
  state->system_service = std::make_unique<SystemServiceImpl>(
      ServerIdentity{LIFT_VERSION, NowMicros(), mode, state->schema_version});
  // --- experiments & assignment start ---
  // --- end experiments & assignment start ---
  // --- ingest start ---
  // --- end ingest start ---

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &bound_port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.RegisterService(state->system_service.get());
  // --- experiments & assignment register ---
  // --- end experiments & assignment register ---
  // --- ingest register ---
  // --- end ingest register ---
  state->grpc_server = builder.BuildAndStart();
  if (state->grpc_server == nullptr || (bound_port == 0 && options.listen.rfind("unix:", 0) != 0)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot listen on ", options.listen, ": gRPC could not bind the address"));
  }
  state->grpc_server->GetHealthCheckService()->SetServingStatus(true);
  if (options.listen.rfind("unix:", 0) == 0) {
    state->listen_address = options.listen;
  } else {
    state->listen_address =
        absl::StrCat(options.listen.substr(0, options.listen.rfind(':')), ":", bound_port);
  }
  return std::unique_ptr<LiftServer>(new LiftServer(std::move(state)));
}

void LiftServer::Shutdown() {
  if (state_ == nullptr || state_->shut_down) return;
  state_->shut_down = true;
  if (state_->grpc_server != nullptr) {
    state_->grpc_server->GetHealthCheckService()->SetServingStatus(false);
    state_->grpc_server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
    state_->grpc_server->Wait();
  }
  // --- experiments & assignment shutdown ---
  // --- end experiments & assignment shutdown ---
  // --- ingest shutdown ---
  // --- end ingest shutdown ---
  state_->embedded.reset();  // stops the embedded PostgreSQL, if we own one
}

const std::string& LiftServer::listen_address() const { return state_->listen_address; }
const std::string& LiftServer::database_description() const {
  return state_->database_description;
}
int64_t LiftServer::schema_version() const { return state_->schema_version; }

}  // namespace lift
