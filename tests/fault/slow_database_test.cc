// Fault injection: a slow database (a LatencyProxy between liftd and PostgreSQL adds 50 ms each way
// to every packet, so a group commit of ~8 round trips takes close to a second) under a flood of
// LogEvents clients that together keep far more rows in flight than the ingest queue may hold.
//
// Asserted: some calls answer RESOURCE_EXHAUSTED with the retry hint and nothing else fails;
// liftd's resident memory stays below a bound derived from the ingest queue's row limit (instead of
// growing with the rows offered); every acknowledged batch is stored whole and every refused batch
// not at all.
//
// liftd runs with a small queue (--ingest-queue-rows 20000); what it may hold is that plus what its
// writers are flushing (ingest::GroupCommitOptions: 2 writers of at most 20,000 rows) plus the
// parsed requests of the calls in flight (32 clients x 10,000 rows).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lift/v1/events.grpc.pb.h"
#include "server/ingest/group_commit_queue.h"
#include "server/ingest/ingest_service.h"
#include "tests/fault/fault_support.h"
#include "tests/support/latency_proxy.h"
#include "tests/support/liftd_process.h"

namespace lift {
namespace {

using testing::LiftdProcess;
using testing::StatusTally;
using testing::WaitFor;

constexpr int kRowsPerCall = ingest::kMaxRowsPerMessage;  // 10,000
constexpr int kFloodClients = 32;  // 320,000 rows in flight: more than the queue plus the flushes
constexpr auto kDelay = std::chrono::milliseconds(50);
constexpr int64_t kQueueRows = 20000;  // liftd --ingest-queue-rows
constexpr int64_t kMiB = 1024 * 1024;

// Upper bound of liftd's memory per row it holds for a queued call: the parsed request's
// MetricEvent (~100 B object plus three heap strings of ~48 B each with malloc overhead), the
// validated EventRow (~150 B, its short strings inline) and the call's share of gRPC buffers.
// Measured: ~156 MiB above idle at the peak with the queue full, ~680 B per held row; 1 KiB
// leaves room for allocator fragmentation.
constexpr int64_t kBytesPerHeldRow = 1024;
constexpr int64_t kTransportBytes = 64 * kMiB;

TEST(SlowDatabaseFaultTest, FloodAnswersResourceExhaustedAndMemoryStaysBounded) {
  testing::TempDir dir;
  auto postgres = testing::StartOwnPostgres(dir);
  ASSERT_TRUE(postgres.ok()) << postgres.status();
  const std::string connection_string = (*postgres)->ConnectionString();
  auto proxy = testing::LatencyProxy::Start(testing::UnixSocketTarget(**postgres));
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  auto liftd = LiftdProcess::Start(
      {"--database-url",
       absl::StrCat("host=127.0.0.1 port=", (*proxy)->port(),
                    " user=postgres dbname=lift sslmode=disable"),
       "--ingest-queue-rows", std::to_string(kQueueRows)});
  ASSERT_TRUE(liftd.ok()) << liftd.status();
  const pid_t pid = (*liftd)->pid();
  auto channel = grpc::CreateChannel((*liftd)->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::EventService::NewStub(channel);

  // Warm-up at full speed: partitions created, writer connections open, allocator pools in use.
  for (int call = 0; call < 4; ++call) {
    grpc::ClientContext context;
    v1::LogResponse response;
    const grpc::Status status = stub->LogEvents(
        &context, testing::EventBatch(absl::StrCat("w", call), kRowsPerCall), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.accepted(), kRowsPerCall);
  }
  auto idle_rss = testing::ResidentSetBytes(pid);
  ASSERT_TRUE(idle_rss.ok()) << idle_rss.status();

  // The limit liftd runs with (see the file comment): queued rows plus the rows the writers flush,
  // plus the requests of the calls in flight (each parsed in full before it is queued or refused).
  // The flood offers millions of rows over its course; unbounded, that would be gigabytes.
  const ingest::GroupCommitOptions queue;
  const int64_t queue_rows_limit =
      kQueueRows + static_cast<int64_t>(queue.writers) * static_cast<int64_t>(queue.max_flush_rows);
  const int64_t in_flight_rows = static_cast<int64_t>(kFloodClients) * kRowsPerCall;
  const int64_t held_rows_limit = queue_rows_limit + in_flight_rows;
  const int64_t rss_bound = *idle_rss + held_rows_limit * kBytesPerHeldRow + kTransportBytes;
  ASSERT_GT(in_flight_rows, queue_rows_limit)
      << "the flood must keep more rows in flight than liftd may queue";

  (*proxy)->SetDelay(kDelay);
  std::atomic<bool> stop{false};
  std::atomic<int> next_batch{0};
  StatusTally outcomes;
  std::mutex mutex;
  std::vector<int> acknowledged;
  std::vector<int> refused;
  int64_t refusals_without_hint = 0;
  std::string other_error;
  std::vector<std::thread> clients;
  for (int c = 0; c < kFloodClients; ++c) {
    clients.emplace_back([&] {
      while (!stop.load()) {
        const int batch = next_batch.fetch_add(1);
        const v1::LogEventsRequest request =
            testing::EventBatch(absl::StrCat("s", batch), kRowsPerCall);
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
        v1::LogResponse response;
        const grpc::Status status = stub->LogEvents(&context, request, &response);
        outcomes.Add(status.error_code());
        std::lock_guard<std::mutex> lock(mutex);
        if (status.ok()) {
          acknowledged.push_back(batch);
        } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          refused.push_back(batch);
          if (status.error_message().find("retry in about") == std::string::npos) {
            ++refusals_without_hint;
            other_error = status.error_message();
          }
        } else {
          other_error = status.error_message();
        }
      }
    });
  }

  // Flood until enough calls were refused (the offered rows then far exceed the bound's rows), or
  // for at most 40 s; sample liftd's memory meanwhile.
  int64_t peak_rss = *idle_rss;
  const auto flood_end = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while (std::chrono::steady_clock::now() < flood_end &&
         (outcomes.Count(grpc::StatusCode::RESOURCE_EXHAUSTED) < 150 ||
          outcomes.Count(grpc::StatusCode::OK) < 10)) {
    auto rss = testing::ResidentSetBytes(pid);
    ASSERT_TRUE(rss.ok()) << rss.status() << "\n" << (*liftd)->Output();
    peak_rss = std::max(peak_rss, *rss);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Drain: the database at full speed again, every call in flight answered.
  (*proxy)->SetDelay(std::chrono::milliseconds(0));
  stop.store(true);
  for (auto& client : clients) client.join();
  int64_t drained_rss = 0;
  if (auto rss = testing::ResidentSetBytes(pid); rss.ok()) {
    drained_rss = *rss;
    peak_rss = std::max(peak_rss, *rss);
  }

  const int64_t offered_rows = static_cast<int64_t>(next_batch.load()) * kRowsPerCall;
  std::cout << "flood: " << outcomes.ToString() << "; offered " << offered_rows
            << " rows; liftd RSS idle " << *idle_rss / kMiB << " MiB, peak " << peak_rss / kMiB
            << " MiB, drained " << drained_rss / kMiB << " MiB, bound " << rss_bound / kMiB
            << " MiB (" << held_rows_limit << " rows held at most)\n";
  EXPECT_GT(outcomes.Count(grpc::StatusCode::RESOURCE_EXHAUSTED), 0) << outcomes.ToString();
  EXPECT_GT(offered_rows, 2 * held_rows_limit) << "the flood must offer more than the bound covers";
  EXPECT_GT(outcomes.Count(grpc::StatusCode::OK), 0) << outcomes.ToString();
  EXPECT_EQ(outcomes.CountOtherThan(grpc::StatusCode::OK),
            outcomes.Count(grpc::StatusCode::RESOURCE_EXHAUSTED))
      << "errors other than RESOURCE_EXHAUSTED: " << outcomes.ToString() << "; e.g. '"
      << other_error << "'";
  EXPECT_EQ(refusals_without_hint, 0) << "e.g. '" << other_error << "'";
  EXPECT_LE(peak_rss, rss_bound) << "liftd's memory grew beyond what its queue limit allows";

  // Acknowledged batches are stored whole; refused ones not at all ("nothing half-written").
  std::map<int, int64_t> stored;
  {
    pqxx::connection connection(connection_string);
    pqxx::nontransaction tx(connection);
    for (const auto& row :
         tx.exec("SELECT substr(split_part(event_id, '-', 1), 2)::int, count(*) FROM metric_events"
                 " WHERE event_id LIKE 's%' GROUP BY 1")) {
      stored[row[0].as<int>()] = row[1].as<int64_t>();
    }
  }
  int64_t incomplete = 0;
  for (int batch : acknowledged) {
    if (stored[batch] != kRowsPerCall) ++incomplete;
  }
  int64_t half_written = 0;
  for (int batch : refused) {
    if (stored.count(batch) != 0) ++half_written;
  }
  EXPECT_EQ(incomplete, 0) << "acknowledged batches not stored whole";
  EXPECT_EQ(half_written, 0) << "refused batches with rows in the database";
  EXPECT_EQ(stored.size(), acknowledged.size());
  std::cout << "stored: " << acknowledged.size() << " acknowledged batches ("
            << acknowledged.size() * kRowsPerCall << " rows), " << refused.size()
            << " refused batches with no row stored\n";

  grpc::ClientContext context;
  v1::LogResponse response;
  EXPECT_TRUE(stub->LogEvents(&context, testing::EventBatch("after", 100), &response).ok());
  EXPECT_EQ((*liftd)->StopWith(SIGTERM), 0) << (*liftd)->Output();
}

}  // namespace
}  // namespace lift
