// lift::client::Client — the C++ client library for liftd, used by liftctl and by other C++ services.
// Wraps one gRPC channel; every call takes a deadline and returns absl::Status(Or) carrying the
// server's code and message. Thread-safe: one Client may be shared by many threads.
#ifndef LIFT_CLIENTS_CPP_LIFT_CLIENT_H_
#define LIFT_CLIENTS_CPP_LIFT_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>

#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/status/statusor.h"
#include "lift/v1/assignment.grpc.pb.h"
#include "lift/v1/auth.grpc.pb.h"
#include "lift/v1/events.grpc.pb.h"
#include "lift/v1/experiments.grpc.pb.h"
#include "lift/v1/metrics.grpc.pb.h"
#include "lift/v1/readouts.grpc.pb.h"
#include "lift/v1/system.grpc.pb.h"

namespace lift::client {

struct ClientOptions {
  std::string server = "127.0.0.1:50051";               // host:port of liftd
  std::chrono::milliseconds timeout{10'000};             // deadline of each call
  std::string api_key;  // sent as "authorization: Bearer <key>" when not empty
  // TLS: used when `tls` is true or any PEM below is set (liftd --tls-cert/--tls-key).
  bool tls = false;
  std::string tls_ca_pem;    // roots that verify liftd's certificate; empty: the system's roots
  std::string tls_cert_pem;  // client certificate chain, for mutual TLS (liftd --tls-client-ca)
  std::string tls_key_pem;   // its private key
  bool UsesTls() const {
    return tls || !tls_ca_pem.empty() || !tls_cert_pem.empty() || !tls_key_pem.empty();
  }
};

// The channel credentials `options` ask for: TLS (with the given roots and client certificate)
// or plaintext.
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(const ClientOptions& options);

class Client {
 public:
  explicit Client(ClientOptions options);

  // Round trip to the server; returns the measured latency. Unavailable when nothing answers.
  absl::StatusOr<std::chrono::microseconds> Ping();
  absl::StatusOr<lift::v1::GetServerInfoResponse> GetServerInfo();
  // The standard grpc.health.v1 check for the whole server: OK when it reports SERVING,
  // Unavailable otherwise.
  absl::Status CheckHealth();

  // ExperimentService (experiments.proto): each returns the server's response, or its status.
  absl::StatusOr<lift::v1::Experiment> CreateExperiment(const lift::v1::Experiment& experiment);
  absl::StatusOr<lift::v1::UpdateExperimentResponse> UpdateExperiment(
      const lift::v1::UpdateExperimentRequest& request);
  absl::StatusOr<lift::v1::Experiment> GetExperiment(const std::string& key);
  absl::StatusOr<lift::v1::ListExperimentsResponse> ListExperiments(
      const lift::v1::ListExperimentsRequest& request);
  // `started_at_micros` non-zero backdates the first phase (StartExperimentRequest).
  absl::StatusOr<lift::v1::Experiment> StartExperiment(const std::string& key,
                                                       int64_t expected_version = 0,
                                                       int64_t started_at_micros = 0);
  absl::StatusOr<lift::v1::Experiment> StopExperiment(const std::string& key,
                                                      const std::string& winning_variant,
                                                      int64_t expected_version = 0);
  absl::StatusOr<lift::v1::Experiment> ArchiveExperiment(const std::string& key,
                                                         int64_t expected_version = 0);
  absl::StatusOr<lift::v1::Override> SetOverride(const std::string& experiment_key,
                                                 const std::string& unit_id,
                                                 const std::string& variant_key);
  absl::Status ClearOverride(const std::string& experiment_key, const std::string& unit_id);
  absl::StatusOr<lift::v1::ListOverridesResponse> ListOverrides(const std::string& experiment_key);
  absl::StatusOr<lift::v1::Layer> CreateLayer(const lift::v1::Layer& layer);
  absl::StatusOr<lift::v1::ListLayersResponse> ListLayers();
  absl::StatusOr<lift::v1::Holdout> CreateHoldout(const lift::v1::Holdout& holdout);
  absl::StatusOr<lift::v1::ListHoldoutsResponse> ListHoldouts();
  absl::Status DeleteHoldout(const std::string& key);

  // AssignmentService (assignment.proto).
  absl::StatusOr<lift::v1::AssignResponse> Assign(const lift::v1::AssignRequest& request);
  absl::StatusOr<lift::v1::AssignBatchResponse> AssignBatch(
      const lift::v1::AssignBatchRequest& request);

  // EventService (events.proto): acknowledged rows are committed.
  absl::StatusOr<lift::v1::LogResponse> LogExposures(
      const lift::v1::LogExposuresRequest& request);
  absl::StatusOr<lift::v1::LogResponse> LogEvents(const lift::v1::LogEventsRequest& request);

  // MetricService (metrics.proto).
  absl::StatusOr<lift::v1::ApplyMetricsResponse> ApplyMetrics(
      const lift::v1::ApplyMetricsRequest& request);
  absl::StatusOr<lift::v1::ListMetricsResponse> ListMetrics(
      const lift::v1::ListMetricsRequest& request);

  // ReadoutService (readouts.proto, launches.proto). Readouts and reviews query PostgreSQL for
  // seconds on large experiments: give the client a long enough timeout.
  absl::StatusOr<lift::v1::Readout> GetReadout(const lift::v1::GetReadoutRequest& request);
  absl::StatusOr<lift::v1::WeeklyReview> GetWeeklyReview(
      const lift::v1::GetWeeklyReviewRequest& request);
  absl::StatusOr<lift::v1::LaunchAnalysis> AnalyzeLaunch(
      const lift::v1::AnalyzeLaunchRequest& request);
  absl::StatusOr<lift::v1::Launch> CreateLaunch(const lift::v1::CreateLaunchRequest& request);
  absl::StatusOr<lift::v1::ListLaunchesResponse> ListLaunches(
      const lift::v1::ListLaunchesRequest& request);

  // KeyService and AuditService (auth.proto; scope admin). CreateKey's response holds the secret.
  absl::StatusOr<lift::v1::CreateKeyResponse> CreateKey(const std::string& name,
                                                        const std::vector<std::string>& scopes);
  absl::StatusOr<lift::v1::ListKeysResponse> ListKeys(bool include_revoked);
  absl::StatusOr<lift::v1::ApiKey> RevokeKey(const std::string& name);
  absl::StatusOr<lift::v1::ListAuditEntriesResponse> ListAuditEntries(
      const lift::v1::ListAuditEntriesRequest& request);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const ClientOptions& options() const { return options_; }
  // Sets this client's deadline and API key on `context`, for callers that use a stub of
  // channel() directly (streams, longer deadlines).
  void Prepare(grpc::ClientContext& context) const;

 private:

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  // Calls a unary method of `stub` with this client's deadline.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(Stub* stub,
                                grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                                const Request& request);

  std::unique_ptr<lift::v1::SystemService::Stub> system_;
  std::unique_ptr<lift::v1::ExperimentService::Stub> experiments_;
  std::unique_ptr<lift::v1::AssignmentService::Stub> assignment_;
  std::unique_ptr<lift::v1::EventService::Stub> events_;
  std::unique_ptr<lift::v1::MetricService::Stub> metrics_;
  std::unique_ptr<lift::v1::ReadoutService::Stub> readouts_;
  std::unique_ptr<lift::v1::KeyService::Stub> keys_;
  std::unique_ptr<lift::v1::AuditService::Stub> audit_;
};

// absl::Status from a grpc::Status (same code and message).
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace lift::client

#endif  // LIFT_CLIENTS_CPP_LIFT_CLIENT_H_
