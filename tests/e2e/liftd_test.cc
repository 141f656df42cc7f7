// End-to-end: the real liftd binary on its embedded PostgreSQL, called over a real gRPC channel.
#include <signal.h>

#include <fstream>
#include <string>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lift/v1/system.grpc.pb.h"
#include "tests/support/liftd_process.h"
#include "tests/support/test_cluster.h"

namespace lift {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::LiftdProcess;
using testing::TempDir;

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const auto& slice : slices) out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return out;
}

grpc::ByteBuffer FromString(const std::string& bytes) {
  grpc::Slice slice(bytes.data(), bytes.size());
  return grpc::ByteBuffer(&slice, 1);
}

void Await(grpc::CompletionQueue& queue, void* expected_tag) {
  void* tag = nullptr;
  bool ok = false;
  ASSERT_TRUE(queue.Next(&tag, &ok));
  ASSERT_EQ(tag, expected_tag);
}

// A unary call on a service we have no generated stubs for (grpc.health.v1), with raw protobuf bytes.
grpc::Status RawUnaryCall(const std::string& address, const std::string& method,
                          const std::string& request, std::string* response) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue queue;
  grpc::ByteBuffer request_buffer = FromString(request);
  auto call = stub.PrepareUnaryCall(&context, method, request_buffer, &queue);
  call->StartCall();
  grpc::ByteBuffer response_buffer;
  grpc::Status status;
  call->Finish(&response_buffer, &status, reinterpret_cast<void*>(1));
  Await(queue, reinterpret_cast<void*>(1));
  *response = ToString(response_buffer);
  return status;
}

class LiftdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = LiftdProcess::Start({"--data-dir", (data_dir_.path() / "data").string()});
    ASSERT_TRUE(started.ok()) << started.status();
    liftd_ = std::move(*started);
    channel_ = grpc::CreateChannel(liftd_->address(), grpc::InsecureChannelCredentials());
  }

  TempDir data_dir_;
  std::unique_ptr<LiftdProcess> liftd_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(LiftdTest, PingEchoesPayloadAndGetServerInfoReportsEmbeddedDatabase) {
  auto stub = v1::SystemService::NewStub(channel_);
  {
    grpc::ClientContext context;
    v1::PingRequest request;
    request.set_payload("hello");
    v1::PingResponse response;
    ASSERT_TRUE(stub->Ping(&context, request, &response).ok());
    EXPECT_EQ(response.payload(), "hello");
    EXPECT_GT(response.server_time_micros(), 1'700'000'000'000'000);
  }
  {
    grpc::ClientContext context;
    v1::PingRequest request;
    request.set_payload(std::string(2000, 'x'));
    v1::PingResponse response;
    grpc::Status status = stub->Ping(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("payload must be at most 1024 bytes"));
  }
  grpc::ClientContext context;
  v1::GetServerInfoResponse info;
  ASSERT_TRUE(stub->GetServerInfo(&context, v1::GetServerInfoRequest(), &info).ok());
  EXPECT_EQ(info.database_mode(), "embedded");
  EXPECT_GE(info.schema_version(), 1);
  EXPECT_FALSE(info.version().empty());
}

TEST_F(LiftdTest, ServesTheStandardHealthService) {
  std::string response;
  // HealthCheckRequest{service: ""} is the empty message; SERVING is field 1 = 1, i.e. 08 01.
  grpc::Status status = RawUnaryCall(liftd_->address(), "/grpc.health.v1.Health/Check", "", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response, std::string("\x08\x01", 2));
}

TEST_F(LiftdTest, LiftctlHealthAndPingReportTheServer) {
  auto health = testing::RunLiftctl(liftd_->address(), {"health"});
  EXPECT_EQ(health.code, 0) << health.output;
  EXPECT_THAT(health.output, HasSubstr("SERVING"));
  auto ping = testing::RunLiftctl(liftd_->address(), {"ping"});
  EXPECT_EQ(ping.code, 0) << ping.output;
  EXPECT_THAT(ping.output, HasSubstr("pong from " + liftd_->address()));
}

TEST_F(LiftdTest, ServesReflectionListingLiftServices) {
  grpc::GenericStub stub(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue queue;
  auto call = stub.PrepareCall(&context,
                               "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                               &queue);
  call->StartCall(reinterpret_cast<void*>(1));
  Await(queue, reinterpret_cast<void*>(1));
  // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
  call->Write(FromString(std::string("\x3a\x00", 2)), reinterpret_cast<void*>(2));
  Await(queue, reinterpret_cast<void*>(2));
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  Await(queue, reinterpret_cast<void*>(3));
  call->WritesDone(reinterpret_cast<void*>(4));
  Await(queue, reinterpret_cast<void*>(4));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  Await(queue, reinterpret_cast<void*>(5));
  EXPECT_TRUE(status.ok()) << status.error_message();
  const std::string listed = ToString(response);
  EXPECT_THAT(listed, HasSubstr("lift.v1.SystemService"));
  EXPECT_THAT(listed, HasSubstr("grpc.health.v1.Health"));
}

TEST_F(LiftdTest, SigtermShutsDownCleanlyAndLogsStartAndStop) {
  auto code = liftd_->StopWith(SIGTERM);
  ASSERT_TRUE(code.has_value()) << "liftd did not exit after SIGTERM";
  EXPECT_EQ(*code, 0);
  const std::string output = liftd_->Output();
  EXPECT_THAT(output, HasSubstr("started, listening on " + liftd_->address()));
  EXPECT_THAT(output, HasSubstr("embedded PostgreSQL"));
  EXPECT_THAT(output, HasSubstr("received SIGTERM, shutting down"));
  EXPECT_THAT(output, HasSubstr("stopped, listening on " + liftd_->address()));
  // The embedded cluster was shut down, not left running: its pid file is gone.
  EXPECT_FALSE(std::filesystem::exists(data_dir_.path() / "data" / "pg" / "postmaster.pid"));
}

TEST_F(LiftdTest, RestartKeepsTheDatabaseAndSecondLiftdOnSamePortIsRefused) {
  auto refused = LiftdProcess::RunToExit({"--listen", liftd_->address(), "--data-dir",
                                          (data_dir_.path() / "other").string()});
  EXPECT_EQ(refused.code, 1);
  EXPECT_THAT(refused.output, HasSubstr("cannot listen on " + liftd_->address() +
                                        ": the address is already in use"));
  ASSERT_EQ(liftd_->StopWith(SIGINT), 0);
  auto again = LiftdProcess::Start({"--data-dir", (data_dir_.path() / "data").string()});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT((*again)->Output(), HasSubstr("schema version"));
}

TEST(LiftdStartupTest, UnreachableDatabaseUrlFailsWithOneClearLine) {
  auto result = LiftdProcess::RunToExit(
      {"--listen", "127.0.0.1:" + std::to_string(testing::FreePort()), "--database-url",
       "postgresql://lift:secret@127.0.0.1:" + std::to_string(testing::FreePort()) + "/lift"});
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.output, HasSubstr("liftd: error: cannot connect to the database"));
  EXPECT_THAT(result.output, Not(HasSubstr("secret")));
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
}

TEST(LiftdStartupTest, UnusableDataDirFailsWithOneClearLine) {
  TempDir dir;
  const auto file = dir.path() / "not-a-directory";
  std::ofstream(file) << "x";
  auto result = LiftdProcess::RunToExit({"--listen", "127.0.0.1:" + std::to_string(testing::FreePort()),
                                         "--data-dir", (file / "data").string()});
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.output, HasSubstr("liftd: error: cannot create data directory"));
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
}

// Sizing flags are checked before anything starts: a queue smaller than one full ingest request
// (10,000 rows) would refuse such a request forever; snapshot runs are at most a day apart; the
// exposure fold waits at least 10 ms (0 would fold every flush on its own).
TEST(LiftdStartupTest, OutOfRangeSizingFlagsAreRefusedByName) {
  for (const auto& [flag, value] : {std::pair<std::string, std::string>{"--ingest-queue-rows", "9999"},
                                    std::pair<std::string, std::string>{"--snapshot-interval", "-1"},
                                    std::pair<std::string, std::string>{"--snapshot-interval",
                                                                        "86401"},
                                    std::pair<std::string, std::string>{"--exposure-fold-delay",
                                                                        "0"}}) {
    SCOPED_TRACE(flag + " " + value);
    auto result = LiftdProcess::RunToExit(
        {"--listen", "127.0.0.1:" + std::to_string(testing::FreePort()), flag, value});
    EXPECT_NE(result.code, 0);
    EXPECT_THAT(result.output, HasSubstr(flag));
    EXPECT_THAT(result.output, Not(HasSubstr("listening")));
  }
}

TEST(LiftdStartupTest, MalformedListenAddressFails) {
  auto result = LiftdProcess::RunToExit({"--listen", "no-port-here"});
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(result.output, HasSubstr("--listen must be host:port"));
}

TEST(LiftdStartupTest, ExternalDatabaseUrlIsMigratedAndUsed) {
  testing::TestDatabase database(testing::TestDatabase::Schema::kEmpty);
  auto started = LiftdProcess::Start({"--database-url", database.connection_string()});
  ASSERT_TRUE(started.ok()) << started.status();
  auto channel = grpc::CreateChannel((*started)->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::SystemService::NewStub(channel);
  grpc::ClientContext context;
  v1::GetServerInfoResponse info;
  ASSERT_TRUE(stub->GetServerInfo(&context, v1::GetServerInfoRequest(), &info).ok());
  EXPECT_EQ(info.database_mode(), "external");
  EXPECT_GE(info.schema_version(), 1);
}

}  // namespace
}  // namespace lift
