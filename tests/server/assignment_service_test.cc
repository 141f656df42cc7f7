// AssignmentServiceImpl in process over a real gRPC channel, with a hand-built snapshot and no
// database: the ExposureSink contract (what log_exposure hands to ingest), exposure refusals not
// failing Assign, and UNAVAILABLE before a snapshot exists.
#include "server/grpc/assignment_service.h"

#include <grpcpp/grpcpp.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lift {
namespace {

using ::testing::HasSubstr;

struct Recorded {
  std::string experiment, variant, unit;
  int phase = 0;
  bool forced = false;
  std::string attributes;  // JSON dump
};

class RecordingSink final : public experiments::ExposureSink {
 public:
  absl::Status Record(absl::Span<const experiments::ServedExposure> exposures) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls_;
    for (const experiments::ServedExposure& e : exposures) {
      EXPECT_GT(e.timestamp_micros, 1'700'000'000'000'000);
      recorded_.push_back({std::string(e.experiment_key), std::string(e.variant_key),
                           std::string(e.unit_id), e.phase, e.forced,
                           e.attributes == nullptr ? "" : e.attributes->dump()});
    }
    return refuse_ ? absl::ResourceExhaustedError("queue full") : absl::OkStatus();
  }
  std::vector<Recorded> recorded() {
    std::lock_guard<std::mutex> lock(mutex_);
    return recorded_;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }
  void set_refuse(bool refuse) { refuse_ = refuse; }

 private:
  std::mutex mutex_;
  std::vector<Recorded> recorded_;
  int calls_ = 0;
  std::atomic<bool> refuse_{false};
};

std::shared_ptr<const assignment::Snapshot> TestSnapshot() {
  assignment::ExperimentConfig running;
  running.key = "running";
  running.status = assignment::ExperimentStatus::kRunning;
  running.variants = {{"control", 0.5, ""}, {"treatment", 0.5, "true"}};
  running.forced_variants = {{"qa", 1}};
  running.phase = 3;
  assignment::ExperimentConfig draft = running;
  draft.key = "draft";
  draft.status = assignment::ExperimentStatus::kDraft;
  draft.forced_variants.clear();
  auto snapshot = assignment::Snapshot::Build({running, draft}, {}, 42);
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  return *snapshot;
}

class AssignmentServiceTest : public ::testing::Test {
 protected:
  void StartServer(AssignmentServiceImpl::SnapshotSource source) {
    service_ = std::make_unique<AssignmentServiceImpl>(std::move(source));
    sink_ = std::make_shared<RecordingSink>();
    service_->SetExposureSink(sink_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::AssignmentService::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                               grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  grpc::Status Assign(const v1::AssignRequest& request, v1::AssignResponse* response) {
    grpc::ClientContext context;
    return stub_->Assign(&context, request, response);
  }

  std::unique_ptr<AssignmentServiceImpl> service_;
  std::shared_ptr<RecordingSink> sink_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::AssignmentService::Stub> stub_;
};

TEST_F(AssignmentServiceTest, LogExposureHandsInExperimentAnswersToTheSink) {
  const auto snapshot = TestSnapshot();
  StartServer([snapshot] { return snapshot; });
  v1::AssignRequest request;
  request.mutable_unit()->set_attributes_json(R"({"id": 42, "country": "DE"})");
  request.add_experiment_keys("running");
  request.add_experiment_keys("draft");    // not running: no exposure
  request.add_experiment_keys("missing");  // unknown: no exposure
  request.set_log_exposure(true);
  v1::AssignResponse response;
  ASSERT_TRUE(Assign(request, &response).ok());
  EXPECT_EQ(response.config_version(), 42);
  EXPECT_TRUE(response.exposures_accepted());
  ASSERT_EQ(response.assignments_size(), 3);
  const std::vector<Recorded> recorded = sink_->recorded();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].experiment, "running");
  EXPECT_EQ(recorded[0].variant, response.assignments(0).variant_key());
  EXPECT_EQ(recorded[0].unit, "42");  // the JavaScript string form of a numeric id
  EXPECT_EQ(recorded[0].phase, 3);
  EXPECT_FALSE(recorded[0].forced);
  EXPECT_EQ(recorded[0].attributes, R"({"country":"DE","id":42})");

  // An override is an exposure flagged as forced.
  v1::AssignRequest forced;
  (*forced.mutable_unit()->mutable_attributes())["id"] = "qa";
  forced.set_log_exposure(true);  // no keys: every running experiment
  ASSERT_TRUE(Assign(forced, &response).ok());
  ASSERT_EQ(response.assignments_size(), 1);
  EXPECT_EQ(response.assignments(0).reason(), v1::ASSIGNMENT_REASON_OVERRIDE);
  ASSERT_EQ(sink_->recorded().size(), 2u);
  EXPECT_TRUE(sink_->recorded()[1].forced);
  EXPECT_EQ(sink_->recorded()[1].variant, "treatment");

  // Without log_exposure the sink is not called.
  const int calls = sink_->calls();
  forced.set_log_exposure(false);
  ASSERT_TRUE(Assign(forced, &response).ok());
  EXPECT_FALSE(response.exposures_accepted());
  EXPECT_EQ(sink_->calls(), calls);
}

TEST_F(AssignmentServiceTest, ARefusingSinkDoesNotFailAssign) {
  const auto snapshot = TestSnapshot();
  StartServer([snapshot] { return snapshot; });
  sink_->set_refuse(true);
  v1::AssignRequest request;
  (*request.mutable_unit()->mutable_attributes())["id"] = "u1";
  request.add_experiment_keys("running");
  request.set_log_exposure(true);
  v1::AssignResponse response;
  ASSERT_TRUE(Assign(request, &response).ok());
  EXPECT_FALSE(response.exposures_accepted());
  EXPECT_EQ(response.assignments(0).reason(), v1::ASSIGNMENT_REASON_SPLIT);

  v1::AssignBatchRequest batch;
  for (const char* id : {"a", "b", "c"}) (*batch.add_units()->mutable_attributes())["id"] = id;
  batch.set_log_exposure(true);
  v1::AssignBatchResponse batch_response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->AssignBatch(&context, batch, &batch_response).ok());
  EXPECT_FALSE(batch_response.exposures_accepted());
  EXPECT_EQ(batch_response.units_size(), 3);
  EXPECT_EQ(sink_->recorded().size(), 4u);  // 1 + 3 units, all in the running experiment
}

TEST_F(AssignmentServiceTest, UnavailableUntilTheFirstSnapshot) {
  StartServer([] { return std::shared_ptr<const assignment::Snapshot>(); });
  v1::AssignRequest request;
  (*request.mutable_unit()->mutable_attributes())["id"] = "u1";
  v1::AssignResponse response;
  const grpc::Status status = Assign(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("has not been loaded yet"));
}

}  // namespace
}  // namespace lift
