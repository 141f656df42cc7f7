// Ingest through the real liftd binary over real channels: what OK promised is in PostgreSQL after
// liftd is killed with SIGKILL, retries create no duplicates, a database outage answers UNAVAILABLE
// and ingest resumes by itself, and the streaming upload sums its messages.
#include <signal.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <pqxx/pqxx>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "clients/cpp/lift_client.h"
#include "lift/v1/events.grpc.pb.h"
#include "server/embedded_pg/embedded_postgres.h"
#include "server/store/migrations.h"
#include "tests/support/liftd_process.h"
#include "tests/support/test_cluster.h"
#include "tests/support/wait_for.h"

namespace lift {
namespace {

using ::testing::HasSubstr;
using testing::LiftdProcess;

constexpr int64_t kBase = 1793613600LL * 1000000;  // 2026-11-02T10:00:00Z
constexpr int kRowsPerBatch = 200;

lift::v1::LogEventsRequest Batch(int batch) {
  lift::v1::LogEventsRequest request;
  for (int r = 0; r < kRowsPerBatch; ++r) {
    auto* event = request.add_events();
    event->set_event_id("b" + std::to_string(batch) + "r" + std::to_string(r));
    event->set_unit_id("u" + std::to_string(r));
    event->set_event("purchase");
    event->set_value(r);
    event->set_timestamp_micros(kBase + batch);
  }
  return request;
}

std::unique_ptr<v1::EventService::Stub> Stub(const std::string& address) {
  return v1::EventService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

grpc::Status Send(v1::EventService::Stub& stub, const v1::LogEventsRequest& request,
                  v1::LogResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return stub.LogEvents(&context, request, response);
}

std::set<std::string> StoredIds(const std::string& cs) {
  pqxx::connection conn(cs);
  pqxx::nontransaction tx(conn);
  std::set<std::string> ids;
  for (const auto& row : tx.exec("SELECT event_id FROM metric_events")) ids.insert(row[0].c_str());
  return ids;
}

int64_t CountRows(const std::string& cs) {
  pqxx::connection conn(cs);
  pqxx::nontransaction tx(conn);
  return tx.exec1("SELECT count(*) FROM metric_events")[0].as<int64_t>();
}

TEST(IngestE2eTest, SigkillLosesNothingAcknowledgedAndRetriesCreateNoDuplicates) {
  testing::TestDatabase db;
  auto liftd = LiftdProcess::Start({"--database-url", db.connection_string()});
  ASSERT_TRUE(liftd.ok()) << liftd.status();
  constexpr int kClients = 4;
  constexpr int kBatchesPerClient = 40;
  std::mutex mutex;
  std::set<int> acknowledged;
  std::atomic<int> acknowledged_count{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto stub = Stub((*liftd)->address());
      for (int b = 0; b < kBatchesPerClient; ++b) {
        const int batch = c * kBatchesPerClient + b;
        v1::LogResponse response;
        if (!Send(*stub, Batch(batch), &response).ok()) return;  // liftd is gone
        std::lock_guard<std::mutex> lock(mutex);
        acknowledged.insert(batch);
        acknowledged_count.fetch_add(1);
      }
    });
  }
  // Kill in the middle of the load (bounded wait for enough acknowledgements).
  for (int i = 0; i < 2000 && acknowledged_count.load() < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ((*liftd)->StopWith(SIGKILL), 128 + SIGKILL);
  for (auto& client : clients) client.join();
  ASSERT_GE(acknowledged.size(), 20u);

  const std::set<std::string> stored = StoredIds(db.connection_string());
  for (int batch : acknowledged) {
    for (int r = 0; r < kRowsPerBatch; ++r) {
      ASSERT_TRUE(stored.count("b" + std::to_string(batch) + "r" + std::to_string(r)))
          << "acknowledged batch " << batch << " row " << r << " was lost";
    }
  }

  // The clients retry everything that was not acknowledged (and, to be sure, some that was).
  auto restarted = LiftdProcess::Start({"--database-url", db.connection_string()});
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  auto stub = Stub((*restarted)->address());
  int64_t duplicates = 0;
  for (int batch = 0; batch < kClients * kBatchesPerClient; ++batch) {
    v1::LogResponse response;
    ASSERT_TRUE(Send(*stub, Batch(batch), &response).ok());
    EXPECT_EQ(response.accepted() + response.duplicates(), kRowsPerBatch);
    duplicates += response.duplicates();
  }
  EXPECT_GE(duplicates, static_cast<int64_t>(acknowledged.size()) * kRowsPerBatch);
  EXPECT_EQ(CountRows(db.connection_string()), kClients * kBatchesPerClient * kRowsPerBatch);
}

// Exposures of units "k<batch>-<row>" (each unit once, variant by row parity), ids "x<batch>-<row>".
v1::LogExposuresRequest ExposureBatch(int batch) {
  v1::LogExposuresRequest request;
  for (int r = 0; r < kRowsPerBatch; ++r) {
    v1::Exposure* exposure = request.add_exposures();
    exposure->set_event_id("x" + std::to_string(batch) + "-" + std::to_string(r));
    exposure->set_experiment("crash");
    exposure->set_unit_id("k" + std::to_string(batch) + "-" + std::to_string(r));
    exposure->set_variant(r % 2 == 0 ? "control" : "treatment");
    exposure->set_timestamp_micros(kBase + batch);
  }
  return request;
}

int64_t Query(const std::string& cs, const std::string& sql) {
  pqxx::connection conn(cs);
  pqxx::nontransaction tx(conn);
  return tx.exec1(sql)[0].as<int64_t>();
}

// Exposures are acknowledged before they are folded into first_exposures: a SIGKILL with a backlog
// pending must not lose a single acknowledged unit's first exposure. The restarted liftd folds the
// backlog left behind by itself (a long fold delay keeps the killed one from folding first).
TEST(IngestE2eTest, SigkillBeforeTheFoldLosesNoAcknowledgedFirstExposure) {
  testing::TestDatabase db;
  auto liftd = LiftdProcess::Start(
      {"--database-url", db.connection_string(), "--exposure-fold-delay", "3600"});
  ASSERT_TRUE(liftd.ok()) << liftd.status();
  {
    client::ClientOptions options;
    options.server = (*liftd)->address();
    client::Client client(options);
    v1::Experiment spec;
    spec.set_key("crash");
    spec.set_name("Crash before the fold");
    for (const char* variant : {"control", "treatment"}) {
      v1::Variant* v = spec.add_variants();
      v->set_key(variant);
      v->set_weight(0.5);
    }
    ASSERT_TRUE(client.CreateExperiment(spec).ok());
    ASSERT_TRUE(client.StartExperiment("crash").ok());
  }
  auto stub = Stub((*liftd)->address());
  ASSERT_TRUE(testing::WaitFor([&] {  // until the configuration with the experiment is loaded
    v1::LogResponse response;
    grpc::ClientContext context;
    return stub->LogExposures(&context, ExposureBatch(0), &response).ok() &&
           response.rejected_size() == 0;
  }));
  constexpr int kBatches = 30;
  std::set<int> acknowledged = {0};
  std::atomic<bool> killed{false};
  std::thread load([&] {
    for (int batch = 1; batch < kBatches * 10 && !killed.load(); ++batch) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
      v1::LogResponse response;
      if (!stub->LogExposures(&context, ExposureBatch(batch), &response).ok()) return;
      acknowledged.insert(batch);
    }
  });
  ASSERT_TRUE(testing::WaitFor([&] {
    return Query(db.connection_string(),
                               "SELECT count(*) FROM first_exposure_backlog") >= kBatches;
  }));
  killed.store(true);
  ASSERT_EQ((*liftd)->StopWith(SIGKILL), 128 + SIGKILL);
  load.join();
  EXPECT_EQ(Query(db.connection_string(), "SELECT count(*) FROM first_exposures"), 0)
      << "the killed liftd was not supposed to fold yet";

  auto restarted = LiftdProcess::Start(
      {"--database-url", db.connection_string(), "--exposure-fold-delay", "0.05"});
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  EXPECT_TRUE(testing::WaitFor([&] {
    return Query(db.connection_string(),
                               "SELECT count(*) FROM first_exposure_backlog") == 0;
  })) << "the restarted liftd did not fold the backlog";
  pqxx::connection conn(db.connection_string());
  pqxx::nontransaction tx(conn);
  std::map<std::string, std::string> first;  // unit -> variant
  for (const auto& row : tx.exec("SELECT unit_id, variant_key FROM first_exposures "
                                 "WHERE experiment_key = 'crash' AND NOT multiple_variants")) {
    first.emplace(row[0].as<std::string>(), row[1].as<std::string>());
  }
  for (int batch : acknowledged) {
    for (int r = 0; r < kRowsPerBatch; ++r) {
      const std::string unit = "k" + std::to_string(batch) + "-" + std::to_string(r);
      ASSERT_TRUE(first.count(unit)) << "acknowledged first exposure of " << unit << " was lost";
      EXPECT_EQ(first.at(unit), r % 2 == 0 ? "control" : "treatment") << unit;
    }
  }
  // Nothing beyond what exposures holds (at most the batch in flight at the kill).
  EXPECT_EQ(static_cast<int64_t>(first.size()),
            Query(db.connection_string(),
                                "SELECT count(DISTINCT unit_id) FROM exposures"));
}

TEST(IngestE2eTest, DatabaseOutageAnswersUnavailableThenIngestResumes) {
  testing::TempDir dir;
  embedded_pg::EmbeddedPostgresOptions options;
  options.data_dir = (dir.path() / "pg").string();
  options.fsync = false;
  auto postgres = embedded_pg::EmbeddedPostgres::Start(options);
  ASSERT_TRUE(postgres.ok()) << postgres.status();
  const std::string cs = (*postgres)->ConnectionString();
  auto liftd = LiftdProcess::Start({"--database-url", cs});
  ASSERT_TRUE(liftd.ok()) << liftd.status();
  auto stub = Stub((*liftd)->address());
  v1::LogResponse response;
  ASSERT_TRUE(Send(*stub, Batch(0), &response).ok());

  ASSERT_TRUE((*postgres)->Stop().ok());
  grpc::Status down = Send(*stub, Batch(1), &response);
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(down.error_message(), HasSubstr("database is unavailable"));

  ASSERT_TRUE((*postgres)->Restart().ok());
  // The client retries with back-off until the server's connections are re-established.
  grpc::Status retried;
  for (int attempt = 0; attempt < 100; ++attempt) {
    response.Clear();
    retried = Send(*stub, Batch(1), &response);
    if (retried.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(retried.ok()) << retried.error_message();
  EXPECT_EQ(response.accepted(), kRowsPerBatch);
  EXPECT_EQ(CountRows(cs), 2 * kRowsPerBatch);
}

TEST(IngestE2eTest, RejectedRowsAreListedAndStreamsSumTheirMessages) {
  testing::TestDatabase db;
  auto liftd = LiftdProcess::Start({"--database-url", db.connection_string()});
  ASSERT_TRUE(liftd.ok()) << liftd.status();
  auto stub = Stub((*liftd)->address());
  v1::LogEventsRequest mixed = Batch(0);
  mixed.mutable_events(3)->set_event("bad name!");
  v1::LogResponse response;
  ASSERT_TRUE(Send(*stub, mixed, &response).ok());
  EXPECT_EQ(response.accepted(), kRowsPerBatch - 1);
  EXPECT_EQ(response.rejected_count(), 1);
  ASSERT_EQ(response.rejected_size(), 1);
  EXPECT_EQ(response.rejected(0).index(), 3);
  EXPECT_EQ(response.rejected(0).field(), "event");

  grpc::ClientContext context;
  v1::LogResponse totals;
  auto writer = stub->StreamEvents(&context, &totals);
  for (int batch = 0; batch < 10; ++batch) ASSERT_TRUE(writer->Write(Batch(batch)));
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(totals.accepted(), 9 * kRowsPerBatch + 1);  // batch 0 was stored before, bar one row
  EXPECT_EQ(totals.duplicates(), kRowsPerBatch - 1);
  EXPECT_EQ(CountRows(db.connection_string()), 10 * kRowsPerBatch);
}

TEST(IngestE2eTest, LiftctlUploadsCsvFilesIdempotentlyAndNamesBadLines) {
  testing::TestDatabase db;
  auto liftd = LiftdProcess::Start({"--database-url", db.connection_string()});
  ASSERT_TRUE(liftd.ok()) << liftd.status();
  const std::string server = (*liftd)->address();
  testing::TempDir dir;
  const std::string events = (dir.path() / "events.csv").string();
  std::ofstream(events) << "event_id,unit_id,event,value,timestamp,country\n"
                           "e1,u1,purchase,9.5,2026-11-02T10:00:00Z,DE\n"
                           "e2,u2,purchase,,2026-11-02T10:00:01.5+01:00,\n"
                           "e3,u3,purchase,2,2026-11-02T10:00:02Z,FR\n"
                           "e4,u4,purchase,1,yesterday,FR\n";
  auto first = testing::RunLiftctl(server, {"ingest", "events", "--csv", events});
  EXPECT_EQ(first.code, 1) << first.output;  // one row was rejected
  EXPECT_THAT(first.output, HasSubstr("4 rows read, 3 accepted, 0 duplicates, 1 rejected"));
  EXPECT_THAT(first.output, HasSubstr("rejected line 5: timestamp: 'yesterday' is not an RFC 3339"));
  auto again = testing::RunLiftctl(server, {"ingest", "events", "--csv", events, "--batch", "2"});
  EXPECT_THAT(again.output, HasSubstr("0 accepted, 3 duplicates, 1 rejected"));
  auto dry = testing::RunLiftctl(server, {"ingest", "events", "--csv", events, "--dry-run"});
  EXPECT_THAT(dry.output, HasSubstr("3 valid, 1 rejected (dry run: nothing sent)"));
  pqxx::connection conn(db.connection_string());
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM metric_events WHERE properties->>'country' = 'DE'"
                     " AND value = 9.5")[0].as<int>(), 1);
  EXPECT_EQ(tx.exec1("SELECT value FROM metric_events WHERE event_id = 'e2'")[0].as<double>(), 1.0);
  EXPECT_EQ(tx.exec1("SELECT (extract(epoch FROM ts) * 1000)::bigint FROM metric_events"
                     " WHERE event_id = 'e2'")[0].as<int64_t>(),
            1793610001500);  // 10:00:01.5+01:00 is 09:00:01.5Z

  auto missing = testing::RunLiftctl(server, {"ingest", "exposures", "--csv", events});
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.output, HasSubstr("missing column 'experiment'"));
}

}  // namespace
}  // namespace lift
