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
#include "server/wall_clock.h"
// --- experiments & assignment includes ---
#include "server/experiments/config_watcher.h"
#include "server/experiments/experiment_service.h"
#include "server/experiments/experiment_store.h"
#include "server/grpc/assignment_service.h"
#include "server/grpc/blocking_executor.h"
#include "server/grpc/experiment_service.h"
// --- end experiments & assignment includes ---
// --- ingest includes ---
#include "server/grpc/event_service.h"
#include "server/ingest/exposure_sink_adapter.h"
#include "server/ingest/ingest_service.h"
// --- end ingest includes ---
// --- metrics & readouts includes ---
#include "server/grpc/metric_service.h"
#include "server/grpc/readout_service.h"
#include "server/metrics/metric_service.h"
#include "server/metrics/metric_store.h"
#include "server/readout/readout_service.h"
#include "server/readout/snapshot_scheduler.h"
// --- end metrics & readouts includes ---
// --- weekly review includes ---
#include "server/review/weekly_review_service.h"
// --- end weekly review includes ---
// --- launches includes ---
#include "server/launch/launch_service.h"
#include "server/launch/launch_store.h"
// --- end launches includes ---
// --- security includes ---
#include "server/auth/actor.h"
#include "server/auth/audit_log.h"
#include "server/auth/auth_interceptor.h"
#include "server/auth/authenticator.h"
#include "server/auth/key_store.h"
#include "server/auth/rate_limiter.h"
#include "server/auth/tls_reloader.h"
#include "server/grpc/audit_service.h"
#include "server/grpc/key_service.h"
#include "spdlog/spdlog.h"
// --- end security includes ---
#include "stats/status_macros.h"

#ifndef LIFT_VERSION
#define LIFT_VERSION "0.0.0"
#endif

namespace lift {
namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(10);
constexpr int kMaxMessageBytes = 64 * 1024 * 1024;
constexpr size_t kPoolConnections = 8;  // for configuration and readouts; ingest has its own

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
  // Configuration RPCs block on PostgreSQL: they run on these threads, never on gRPC's.
  std::unique_ptr<BlockingExecutor> config_executor;
  std::unique_ptr<experiments::ExperimentStore> experiment_store;
  std::unique_ptr<experiments::ExperimentService> experiment_domain;
  std::unique_ptr<experiments::ConfigWatcher> config_watcher;
  std::unique_ptr<ExperimentServiceImpl> experiment_service;
  // Ingest replaces its no-op exposure sink: assignment_service->SetExposureSink(...).
  std::unique_ptr<AssignmentServiceImpl> assignment_service;
  // --- end experiments & assignment state ---
  // --- ingest state ---
  std::unique_ptr<ingest::IngestService> ingest;
  std::unique_ptr<EventServiceImpl> event_service;
  // --- end ingest state ---
  // --- metrics & readouts state ---
  // Readouts run for seconds: their own executor, so they never delay configuration RPCs.
  std::unique_ptr<BlockingExecutor> readout_executor;
  std::unique_ptr<metrics::MetricStore> metric_store;
  std::unique_ptr<metrics::MetricService> metric_domain;
  std::unique_ptr<readout::ReadoutService> readout_domain;
  std::unique_ptr<MetricServiceImpl> metric_service;
  std::unique_ptr<ReadoutServiceImpl> readout_service;
  // Stores finished days of live experiments for time series; null when disabled.
  std::unique_ptr<readout::SnapshotScheduler> snapshot_scheduler;
  // --- end metrics & readouts state ---
  // --- weekly review state ---
  std::unique_ptr<review::WeeklyReviewService> weekly_review_domain;
  // --- end weekly review state ---
  // --- launches state ---
  std::unique_ptr<launch::LaunchStore> launch_store;
  std::unique_ptr<launch::LaunchService> launch_domain;
  // --- end launches state ---
  // --- security state ---
  // Null with --insecure-no-auth: then no interceptor is attached and every call is allowed.
  std::unique_ptr<BlockingExecutor> auth_executor;  // key lookups that miss the cache
  std::unique_ptr<auth::KeyStore> key_store;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<auth::RateLimiter> rate_limiter;
  std::unique_ptr<auth::AuthInterceptor> auth_interceptor;
  std::unique_ptr<auth::AuditLog> audit_log;
  std::unique_ptr<KeyServiceImpl> key_service;
  std::unique_ptr<AuditServiceImpl> audit_service;
  auth::TlsOptions tls;
  std::unique_ptr<auth::TlsReloader> tls_reloader;  // with TLS; outlives grpc_server (below)
  std::string generated_bootstrap_key;
  // Unregisters `authenticator` from ActorOf before it is destroyed (also when Start fails).
  struct ActorSourceRegistration {
    bool registered = false;
    ~ActorSourceRegistration() {
      if (registered) auth::SetActorSource(nullptr);
    }
  } actor_source_registration;
  // --- end security state ---
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
      ServerIdentity{LIFT_VERSION, WallClockMicros(), mode, state->schema_version});
  // --- experiments & assignment start ---
  state->config_executor = std::make_unique<BlockingExecutor>(/*threads=*/4, /*max_queued=*/1000);
  state->experiment_store = std::make_unique<experiments::ExperimentStore>(state->pool.get());
  state->experiment_domain =
      std::make_unique<experiments::ExperimentService>(state->experiment_store.get());
  {
    experiments::ConfigWatcherOptions watcher_options;
    watcher_options.connection_string = state->connection_string;
    LIFT_ASSIGN_OR_RETURN(state->config_watcher,
                          experiments::ConfigWatcher::Start(std::move(watcher_options)));
  }
  state->experiment_service = std::make_unique<ExperimentServiceImpl>(
      state->experiment_domain.get(), state->config_executor.get());
  state->assignment_service = std::make_unique<AssignmentServiceImpl>(
      [watcher = state->config_watcher.get()] { return watcher->snapshot(); });
  // --- end experiments & assignment start ---
  // --- ingest start ---
  ingest::GroupCommitOptions ingest_options;
  ingest_options.capacity_rows = options.ingest_queue_rows;
  state->ingest = std::make_unique<ingest::IngestService>(
      state->connection_string,
      [watcher = state->config_watcher.get()] { return watcher->snapshot(); }, ingest_options,
      options.exposure_fold_delay);
  state->event_service = std::make_unique<EventServiceImpl>(state->ingest.get());
  state->assignment_service->SetExposureSink(
      std::make_shared<ingest::IngestExposureSink>(state->ingest.get()));
  // --- end ingest start ---
  // --- metrics & readouts start ---
  state->readout_executor = std::make_unique<BlockingExecutor>(/*threads=*/2, /*max_queued=*/100);
  state->metric_store = std::make_unique<metrics::MetricStore>(state->pool.get());
  state->metric_domain = std::make_unique<metrics::MetricService>(state->metric_store.get());
  state->readout_domain = std::make_unique<readout::ReadoutService>(
      state->pool.get(), state->experiment_store.get(), state->metric_store.get());
  state->metric_service = std::make_unique<MetricServiceImpl>(state->metric_domain.get(),
                                                              state->config_executor.get());
  state->readout_service = std::make_unique<ReadoutServiceImpl>(state->readout_domain.get(),
                                                                state->readout_executor.get());
  if (options.snapshot_interval.count() > 0) {
    state->snapshot_scheduler = std::make_unique<readout::SnapshotScheduler>(
        state->readout_domain.get(), state->experiment_store.get());
    state->snapshot_scheduler->Start(options.snapshot_interval);
  }
  // --- end metrics & readouts start ---
  // --- weekly review start ---
  // Runs on the readout executor (through ReadoutServiceImpl), like GetReadout.
  state->weekly_review_domain = std::make_unique<review::WeeklyReviewService>(
      state->pool.get(), state->experiment_store.get(), state->metric_store.get(),
      state->readout_domain.get());
  state->readout_service->SetWeeklyReviewService(state->weekly_review_domain.get());
  // --- end weekly review start ---
  // --- launches start ---
  state->launch_store = std::make_unique<launch::LaunchStore>(state->pool.get());
  state->launch_domain = std::make_unique<launch::LaunchService>(
      state->pool.get(), state->launch_store.get(), state->metric_store.get());
  state->readout_service->SetLaunchService(state->launch_domain.get());
  state->weekly_review_domain->SetLaunchService(state->launch_domain.get());
  // --- end launches start ---
  // --- security start ---
  LIFT_ASSIGN_OR_RETURN(state->tls, auth::LoadTlsOptions(options.tls_cert_file,
                                                         options.tls_key_file,
                                                         options.tls_client_ca_file));
  state->key_store = std::make_unique<auth::KeyStore>(state->pool.get());
  if (!options.insecure_no_auth) {
    LIFT_ASSIGN_OR_RETURN(auth::BootstrapResult bootstrap,
                          state->key_store->Bootstrap(options.bootstrap_admin_key));
    state->generated_bootstrap_key = bootstrap.generated_token;
    spdlog::info("{}", bootstrap.summary);
    state->auth_executor = std::make_unique<BlockingExecutor>(/*threads=*/2, /*max_queued=*/10000);
    state->authenticator = std::make_unique<auth::Authenticator>(
        [keys = state->key_store.get()](const std::string& prefix) {
          return keys->FindByPrefix(prefix);
        });
    state->rate_limiter = std::make_unique<auth::RateLimiter>(options.admin_rate_limit,
                                                              2 * options.admin_rate_limit);
    state->auth_interceptor = std::make_unique<auth::AuthInterceptor>(
        state->authenticator.get(), state->rate_limiter.get(), state->auth_executor.get());
    auth::SetActorSource(state->authenticator.get());
    state->actor_source_registration.registered = true;
  }
  state->audit_log = std::make_unique<auth::AuditLog>(state->pool.get());
  state->key_service = std::make_unique<KeyServiceImpl>(
      state->key_store.get(), state->authenticator.get(), state->config_executor.get());
  state->audit_service =
      std::make_unique<AuditServiceImpl>(state->audit_log.get(), state->config_executor.get());
  {
    // server-info reports the security mode (replaces the identity built above).
    ServerIdentity identity{LIFT_VERSION, WallClockMicros(), mode, state->schema_version};
    identity.auth_mode = options.insecure_no_auth ? "insecure-no-auth" : "api-keys";
    identity.transport = state->tls.cert_pem.empty()          ? "plaintext"
                         : state->tls.client_ca_pem.empty() ? "tls"
                                                              : "mutual-tls";
    state->system_service = std::make_unique<SystemServiceImpl>(std::move(identity));
  }
  // --- end security start ---

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  // --- security listen ---
  // Every call passes through the AuthInterceptor (attached to the port's credentials) before any
  // handler runs; with --insecure-no-auth and no TLS these are plain insecure credentials.
  if (state->auth_interceptor == nullptr && state->tls.cert_pem.empty()) {
    builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &bound_port);
  } else {
    if (!state->tls.cert_pem.empty()) {
      state->tls_reloader = std::make_unique<auth::TlsReloader>(
          auth::TlsFiles{options.tls_cert_file, options.tls_key_file, options.tls_client_ca_file},
          state->tls);
    }
    builder.AddListeningPort(options.listen,
                             auth::MakeServerCredentials(state->tls_reloader.get(),
                                                         state->auth_interceptor.get()),
                             &bound_port);
  }
  builder.RegisterService(state->key_service.get());
  builder.RegisterService(state->audit_service.get());
  // --- end security listen ---
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.RegisterService(state->system_service.get());
  // --- experiments & assignment register ---
  builder.RegisterService(state->experiment_service.get());
  builder.RegisterService(state->assignment_service.get());
  // --- end experiments & assignment register ---
  // --- ingest register ---
  builder.RegisterService(state->event_service.get());
  // --- end ingest register ---
  // --- metrics & readouts register ---
  builder.RegisterService(state->metric_service.get());
  builder.RegisterService(state->readout_service.get());
  // --- end metrics & readouts register ---
  // --- weekly review register ---
  // --- end weekly review register ---
  // --- launches register ---
  // --- end launches register ---
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
  if (state_->config_executor != nullptr) state_->config_executor->Shutdown();
  if (state_->config_watcher != nullptr) state_->config_watcher->Stop();
  // --- end experiments & assignment shutdown ---
  // --- ingest shutdown ---
  // After the gRPC server: in-flight calls were acknowledged by the writers; commit what is left.
  if (state_->ingest != nullptr) state_->ingest->Shutdown();
  // --- end ingest shutdown ---
  // --- metrics & readouts shutdown ---
  if (state_->readout_executor != nullptr) state_->readout_executor->Shutdown();
  if (state_->snapshot_scheduler != nullptr) state_->snapshot_scheduler->Stop();
  // --- end metrics & readouts shutdown ---
  // --- weekly review shutdown ---
  // --- end weekly review shutdown ---
  // --- launches shutdown ---
  // --- end launches shutdown ---
  // --- security shutdown ---
  // After the gRPC server: no call can be waiting for a key lookup any more.
  if (state_->auth_executor != nullptr) state_->auth_executor->Shutdown();
  // --- end security shutdown ---
  state_->embedded.reset();  // stops the embedded PostgreSQL, if we own one
}

const std::string& LiftServer::listen_address() const { return state_->listen_address; }
const std::string& LiftServer::database_description() const {
  return state_->database_description;
}
int64_t LiftServer::schema_version() const { return state_->schema_version; }
// --- security accessors ---
const std::string& LiftServer::generated_bootstrap_key() const {
  return state_->generated_bootstrap_key;
}
std::string LiftServer::security_description() const {
  const char* transport = state_->tls.cert_pem.empty()          ? "plaintext"
                          : state_->tls.client_ca_pem.empty() ? "TLS"
                                                                : "mutual TLS";
  return absl::StrCat(state_->auth_interceptor != nullptr ? "API keys required" : "NO AUTHENTICATION",
                      ", ", transport);
}
// --- end security accessors ---

}  // namespace lift
