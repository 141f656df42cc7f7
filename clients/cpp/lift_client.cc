#include "clients/cpp/lift_client.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

namespace lift::client {

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(const ClientOptions& options) {
  if (!options.UsesTls()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls_ca_pem;
  ssl.pem_cert_chain = options.tls_cert_pem;
  ssl.pem_private_key = options.tls_key_pem;
  return grpc::SslCredentials(ssl);
}

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      channel_(grpc::CreateChannel(options_.server, ChannelCredentialsFor(options_))),
      system_(lift::v1::SystemService::NewStub(channel_)),
      experiments_(lift::v1::ExperimentService::NewStub(channel_)),
      assignment_(lift::v1::AssignmentService::NewStub(channel_)),
      events_(lift::v1::EventService::NewStub(channel_)),
      metrics_(lift::v1::MetricService::NewStub(channel_)),
      readouts_(lift::v1::ReadoutService::NewStub(channel_)),
      keys_(lift::v1::KeyService::NewStub(channel_)),
      audit_(lift::v1::AuditService::NewStub(channel_)) {}

void Client::Prepare(grpc::ClientContext& context) const {
  context.set_deadline(std::chrono::system_clock::now() + options_.timeout);
  if (!options_.api_key.empty()) context.AddMetadata("authorization", "Bearer " + options_.api_key);
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
  grpc::Slice empty_message("", 0);  // an empty message, not a missing one
  grpc::ByteBuffer request(&empty_message, 1);
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

template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Client::Call(
    Stub* stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
    const Request& request) {
  grpc::ClientContext context;
  Prepare(context);
  Response response;
  grpc::Status status = (stub->*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<lift::v1::Experiment> Client::CreateExperiment(const lift::v1::Experiment& experiment) {
  lift::v1::CreateExperimentRequest request;
  *request.mutable_experiment() = experiment;
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::CreateExperiment, request);
}

absl::StatusOr<lift::v1::UpdateExperimentResponse> Client::UpdateExperiment(
    const lift::v1::UpdateExperimentRequest& request) {
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::UpdateExperiment, request);
}

absl::StatusOr<lift::v1::Experiment> Client::GetExperiment(const std::string& key) {
  lift::v1::GetExperimentRequest request;
  request.set_key(key);
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::GetExperiment, request);
}

absl::StatusOr<lift::v1::ListExperimentsResponse> Client::ListExperiments(
    const lift::v1::ListExperimentsRequest& request) {
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::ListExperiments, request);
}

absl::StatusOr<lift::v1::Experiment> Client::StartExperiment(const std::string& key,
                                                             int64_t expected_version,
                                                             int64_t started_at_micros) {
  lift::v1::StartExperimentRequest request;
  request.set_key(key);
  request.set_expected_version(expected_version);
  request.set_started_at_micros(started_at_micros);
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::StartExperiment, request);
}

absl::StatusOr<lift::v1::Experiment> Client::StopExperiment(const std::string& key,
                                                            const std::string& winning_variant,
                                                            int64_t expected_version) {
  lift::v1::StopExperimentRequest request;
  request.set_key(key);
  request.set_winning_variant(winning_variant);
  request.set_expected_version(expected_version);
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::StopExperiment, request);
}

absl::StatusOr<lift::v1::Experiment> Client::ArchiveExperiment(const std::string& key,
                                                               int64_t expected_version) {
  lift::v1::ArchiveExperimentRequest request;
  request.set_key(key);
  request.set_expected_version(expected_version);
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::ArchiveExperiment, request);
}

absl::StatusOr<lift::v1::Override> Client::SetOverride(const std::string& experiment_key,
                                                       const std::string& unit_id,
                                                       const std::string& variant_key) {
  lift::v1::SetOverrideRequest request;
  request.set_experiment_key(experiment_key);
  request.set_unit_id(unit_id);
  request.set_variant_key(variant_key);
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::SetOverride, request);
}

absl::Status Client::ClearOverride(const std::string& experiment_key, const std::string& unit_id) {
  lift::v1::ClearOverrideRequest request;
  request.set_experiment_key(experiment_key);
  request.set_unit_id(unit_id);
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::ClearOverride, request)
      .status();
}

absl::StatusOr<lift::v1::ListOverridesResponse> Client::ListOverrides(
    const std::string& experiment_key) {
  lift::v1::ListOverridesRequest request;
  request.set_experiment_key(experiment_key);
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::ListOverrides, request);
}

absl::StatusOr<lift::v1::Layer> Client::CreateLayer(const lift::v1::Layer& layer) {
  lift::v1::CreateLayerRequest request;
  *request.mutable_layer() = layer;
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::CreateLayer, request);
}

absl::StatusOr<lift::v1::ListLayersResponse> Client::ListLayers() {
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::ListLayers,
              lift::v1::ListLayersRequest());
}

absl::StatusOr<lift::v1::Holdout> Client::CreateHoldout(const lift::v1::Holdout& holdout) {
  lift::v1::CreateHoldoutRequest request;
  *request.mutable_holdout() = holdout;
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::CreateHoldout, request);
}

absl::StatusOr<lift::v1::ListHoldoutsResponse> Client::ListHoldouts() {
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::ListHoldouts,
              lift::v1::ListHoldoutsRequest());
}

absl::Status Client::DeleteHoldout(const std::string& key) {
  lift::v1::DeleteHoldoutRequest request;
  request.set_key(key);
  return Call(experiments_.get(), &lift::v1::ExperimentService::Stub::DeleteHoldout, request)
      .status();
}

absl::StatusOr<lift::v1::AssignResponse> Client::Assign(const lift::v1::AssignRequest& request) {
  return Call(assignment_.get(), &lift::v1::AssignmentService::Stub::Assign, request);
}

absl::StatusOr<lift::v1::AssignBatchResponse> Client::AssignBatch(
    const lift::v1::AssignBatchRequest& request) {
  return Call(assignment_.get(), &lift::v1::AssignmentService::Stub::AssignBatch, request);
}

absl::StatusOr<lift::v1::LogResponse> Client::LogExposures(
    const lift::v1::LogExposuresRequest& request) {
  return Call(events_.get(), &lift::v1::EventService::Stub::LogExposures, request);
}

absl::StatusOr<lift::v1::LogResponse> Client::LogEvents(
    const lift::v1::LogEventsRequest& request) {
  return Call(events_.get(), &lift::v1::EventService::Stub::LogEvents, request);
}

absl::StatusOr<lift::v1::ApplyMetricsResponse> Client::ApplyMetrics(
    const lift::v1::ApplyMetricsRequest& request) {
  return Call(metrics_.get(), &lift::v1::MetricService::Stub::ApplyMetrics, request);
}

absl::StatusOr<lift::v1::ListMetricsResponse> Client::ListMetrics(
    const lift::v1::ListMetricsRequest& request) {
  return Call(metrics_.get(), &lift::v1::MetricService::Stub::ListMetrics, request);
}

absl::StatusOr<lift::v1::Readout> Client::GetReadout(const lift::v1::GetReadoutRequest& request) {
  return Call(readouts_.get(), &lift::v1::ReadoutService::Stub::GetReadout, request);
}

absl::StatusOr<lift::v1::WeeklyReview> Client::GetWeeklyReview(
    const lift::v1::GetWeeklyReviewRequest& request) {
  return Call(readouts_.get(), &lift::v1::ReadoutService::Stub::GetWeeklyReview, request);
}

absl::StatusOr<lift::v1::LaunchAnalysis> Client::AnalyzeLaunch(
    const lift::v1::AnalyzeLaunchRequest& request) {
  return Call(readouts_.get(), &lift::v1::ReadoutService::Stub::AnalyzeLaunch, request);
}

absl::StatusOr<lift::v1::Launch> Client::CreateLaunch(const lift::v1::CreateLaunchRequest& request) {
  return Call(readouts_.get(), &lift::v1::ReadoutService::Stub::CreateLaunch, request);
}

absl::StatusOr<lift::v1::ListLaunchesResponse> Client::ListLaunches(
    const lift::v1::ListLaunchesRequest& request) {
  return Call(readouts_.get(), &lift::v1::ReadoutService::Stub::ListLaunches, request);
}

absl::StatusOr<lift::v1::CreateKeyResponse> Client::CreateKey(
    const std::string& name, const std::vector<std::string>& scopes) {
  lift::v1::CreateKeyRequest request;
  request.set_name(name);
  for (const std::string& scope : scopes) request.add_scopes(scope);
  return Call(keys_.get(), &lift::v1::KeyService::Stub::CreateKey, request);
}

absl::StatusOr<lift::v1::ListKeysResponse> Client::ListKeys(bool include_revoked) {
  lift::v1::ListKeysRequest request;
  request.set_include_revoked(include_revoked);
  return Call(keys_.get(), &lift::v1::KeyService::Stub::ListKeys, request);
}

absl::StatusOr<lift::v1::ApiKey> Client::RevokeKey(const std::string& name) {
  lift::v1::RevokeKeyRequest request;
  request.set_name(name);
  return Call(keys_.get(), &lift::v1::KeyService::Stub::RevokeKey, request);
}

absl::StatusOr<lift::v1::ListAuditEntriesResponse> Client::ListAuditEntries(
    const lift::v1::ListAuditEntriesRequest& request) {
  return Call(audit_.get(), &lift::v1::AuditService::Stub::ListAuditEntries, request);
}

}  // namespace lift::client
