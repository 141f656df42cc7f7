// Fault injection: PostgreSQL is stopped for a few seconds and restarted while a real liftd serves
// Assign/AssignBatch and LogEvents/LogExposures load from several client threads.
//
// Asserted: not one Assign or AssignBatch fails and every answer equals the one given before the
// outage; ingest answers UNAVAILABLE and nothing else while the database is down, and OK again by
// itself once it is back (within a bounded wait); after the load stops, the database holds exactly
// the acknowledged event ids, each once (the ingest clients retry a failed batch, as a real client
// would, so an in-doubt commit must come back as duplicates, not as a second row).
//
// The pieces are covered in-process elsewhere (tests/integration/experiments_watcher_test.cc: the
// snapshot survives an outage; tests/e2e/ingest_e2e_test.cc: one LogEvents call answers
// UNAVAILABLE, then recovers); this is the combined real-process scenario under concurrent load.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/cpp/lift_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lift/v1/events.grpc.pb.h"
#include "tests/fault/fault_support.h"
#include "tests/support/liftd_process.h"

namespace lift {
namespace {

using testing::LiftdProcess;
using testing::StatusTally;
using testing::WaitFor;

constexpr char kExperiment[] = "outage";
constexpr int kUnits = 500;         // units whose answers are compared with the pre-outage ones
constexpr int kRowsPerBatch = 200;  // rows per ingest call
constexpr auto kOutage = std::chrono::seconds(3);

// Which part of the scenario a call's answer arrived in.
enum Phase { kBefore = 0, kDown = 1, kAfter = 2 };

std::string UnitId(int unit) { return absl::StrCat("unit-", unit); }

v1::AssignRequest AssignFor(int unit) {
  v1::AssignRequest request;
  (*request.mutable_unit()->mutable_attributes())["id"] = UnitId(unit);
  request.add_experiment_keys(kExperiment);
  return request;
}

v1::AssignBatchRequest AssignAll() {
  v1::AssignBatchRequest request;
  for (int unit = 0; unit < kUnits; ++unit) {
    (*request.add_units()->mutable_attributes())["id"] = UnitId(unit);
  }
  request.add_experiment_keys(kExperiment);
  return request;
}

// Exposures of units to the variants Assign gave them, ids "<prefix>-<row>".
v1::LogExposuresRequest ExposureBatch(const std::string& prefix,
                                      const std::vector<std::string>& variants) {
  const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  v1::LogExposuresRequest request;
  for (int r = 0; r < kRowsPerBatch; ++r) {
    v1::Exposure* exposure = request.add_exposures();
    exposure->set_event_id(absl::StrCat(prefix, "-", r));
    exposure->set_experiment(kExperiment);
    const int unit = r % kUnits;
    exposure->set_unit_id(UnitId(unit));
    exposure->set_variant(variants[static_cast<size_t>(unit)]);
    exposure->set_timestamp_micros(now);
  }
  return request;
}

// The event ids stored in `table`, each with how often it is there.
std::multiset<std::string> StoredIds(const std::string& connection_string,
                                     const std::string& table) {
  pqxx::connection connection(connection_string);
  pqxx::nontransaction tx(connection);
  std::multiset<std::string> ids;
  for (const auto& row : tx.exec("SELECT event_id FROM " + table)) ids.insert(row[0].c_str());
  return ids;
}

// One ingest client thread: sends batch after batch, retrying a failed batch (the same rows, the
// same timestamps) every 50 ms until it is acknowledged; records every acknowledged event id and
// the outcome of every call by phase.
struct IngestClient {
  std::string name;                      // prefix of its batches' ids
  bool exposures = false;                // LogExposures, else LogEvents
  StatusTally outcomes[3];               // by Phase
  std::atomic<int> ok_after_restart{0};  // acknowledgements in phase kAfter
  std::atomic<int> acknowledged_batches{0};
  std::vector<std::string> acknowledged_ids;  // read after join
  std::string last_error;                     // a sample message, for failure output
};

TEST(DatabaseOutageFaultTest, AssignNeverFailsAndIngestRecoversWithoutLosingAcknowledgedRows) {
  testing::TempDir dir;
  auto postgres = testing::StartOwnPostgres(dir);
  ASSERT_TRUE(postgres.ok()) << postgres.status();
  const std::string connection_string = (*postgres)->ConnectionString();
  auto liftd = LiftdProcess::Start({"--database-url", (*postgres)->Url()});
  ASSERT_TRUE(liftd.ok()) << liftd.status();
  client::ClientOptions options;
  options.server = (*liftd)->address();
  options.timeout = std::chrono::seconds(20);
  client::Client client(options);

  v1::Experiment spec;
  spec.set_key(kExperiment);
  spec.set_name("Database outage");
  for (const char* variant : {"control", "treatment"}) {
    v1::Variant* v = spec.add_variants();
    v->set_key(variant);
    v->set_weight(0.5);
  }
  ASSERT_TRUE(client.CreateExperiment(spec).ok());
  ASSERT_TRUE(client.StartExperiment(kExperiment).ok());
  ASSERT_TRUE(WaitFor([&] {
    auto response = client.Assign(AssignFor(0));
    return response.ok() && response->assignments(0).reason() == v1::ASSIGNMENT_REASON_SPLIT;
  }));
  // The answers before the outage.
  std::vector<std::string> variants;
  {
    auto batch = client.AssignBatch(AssignAll());
    ASSERT_TRUE(batch.ok()) << batch.status();
    ASSERT_EQ(batch->units_size(), kUnits);
    for (const v1::UnitAssignments& unit : batch->units()) {
      ASSERT_EQ(unit.assignments(0).reason(), v1::ASSIGNMENT_REASON_SPLIT);
      variants.push_back(batch->variants(0).keys(unit.assignments(0).variant_index()));
    }
  }

  std::atomic<int> phase{kBefore};
  std::atomic<bool> stop{false};

  // Assign load: single units round-robin, and every 50th call all units in one AssignBatch.
  constexpr int kAssignThreads = 2;
  StatusTally assign_outcomes[3];
  std::atomic<int64_t> wrong_answers{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kAssignThreads; ++t) {
    threads.emplace_back([&, t] {
      const v1::AssignBatchRequest all = AssignAll();
      for (int call = 0; !stop.load(); ++call) {
        if (call % 50 == 0) {
          auto response = client.AssignBatch(all);
          assign_outcomes[phase.load()].Add(
              static_cast<grpc::StatusCode>(response.status().code()));
          if (!response.ok()) continue;
          for (int unit = 0; unit < kUnits; ++unit) {
            const v1::Assignment& a = response->units(unit).assignments(0);
            if (a.variant_index() < 0 ||
                response->variants(0).keys(a.variant_index()) != variants[unit]) {
              wrong_answers.fetch_add(1);
            }
          }
        } else {
          const int unit = (call * kAssignThreads + t) % kUnits;
          auto response = client.Assign(AssignFor(unit));
          assign_outcomes[phase.load()].Add(
              static_cast<grpc::StatusCode>(response.status().code()));
          if (response.ok() && response->assignments(0).variant_key() != variants[unit]) {
            wrong_answers.fetch_add(1);
          }
        }
      }
    });
  }

  // Ingest load: two LogEvents clients and one LogExposures client.
  std::vector<std::unique_ptr<IngestClient>> ingest;
  for (const auto& [name, exposures] :
       std::vector<std::pair<std::string, bool>>{{"ev0", false}, {"ev1", false}, {"ex0", true}}) {
    ingest.push_back(std::make_unique<IngestClient>());
    ingest.back()->name = name;
    ingest.back()->exposures = exposures;
  }
  for (auto& c : ingest) {
    threads.emplace_back([&, c = c.get()] {
      auto stub = v1::EventService::NewStub(client.channel());
      for (int batch = 0; !stop.load(); ++batch) {
        const std::string prefix = absl::StrCat(c->name, "b", batch);
        const v1::LogEventsRequest events = testing::EventBatch(prefix, kRowsPerBatch);
        const v1::LogExposuresRequest exposures = ExposureBatch(prefix, variants);
        while (true) {  // until acknowledged (or the test ends)
          grpc::ClientContext context;
          context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
          v1::LogResponse response;
          const grpc::Status status = c->exposures
                                          ? stub->LogExposures(&context, exposures, &response)
                                          : stub->LogEvents(&context, events, &response);
          const int current = phase.load();  // when the answer came
          c->outcomes[current].Add(status.error_code());
          if (status.ok()) {
            for (int r = 0; r < kRowsPerBatch; ++r)
              c->acknowledged_ids.push_back(absl::StrCat(prefix, "-", r));
            c->acknowledged_batches.fetch_add(1);
            if (current == kAfter) c->ok_after_restart.fetch_add(1);
            break;
          }
          c->last_error = status.error_message();
          if (stop.load()) return;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    });
  }
  auto all_ingest = [&](const std::function<bool(const IngestClient&)>& condition) {
    for (const auto& c : ingest) {
      if (!condition(*c)) return false;
    }
    return true;
  };

  // Load with the database up, then the outage, then the restart.
  EXPECT_TRUE(WaitFor([&] {
    return all_ingest([](const IngestClient& c) { return c.acknowledged_batches.load() >= 3; });
  })) << "ingest made no progress before the outage";
  // Outcomes count in the phase in which their answer arrived: kDown starts before the stop, so
  // every failure the stop causes lands in it; kAfter starts once the restart returned.
  // A failed ASSERT here would return with the load threads running (std::terminate): stop them
  // first.
  auto stop_load = [&] {
    stop.store(true);
    for (auto& thread : threads) {
      if (thread.joinable()) thread.join();
    }
  };
  phase.store(kDown);
  if (absl::Status stopped = (*postgres)->Stop(); !stopped.ok()) {
    stop_load();
    FAIL() << "stopping PostgreSQL: " << stopped;
  }
  const auto down_since = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitFor([&] {
    return all_ingest([](const IngestClient& c) {
      return c.outcomes[kDown].Count(grpc::StatusCode::UNAVAILABLE) > 0;
    });
  })) << "an ingest client never saw UNAVAILABLE while the database was down";
  // The outage lasts at least kOutage and until Assign has answered from memory a good many
  // times (a count, not a rate: a loaded machine only makes the outage longer).
  std::this_thread::sleep_until(down_since + kOutage);
  EXPECT_TRUE(WaitFor([&] { return assign_outcomes[kDown].Count(grpc::StatusCode::OK) > 100; }))
      << "Assign answered too few calls while the database was down: "
      << assign_outcomes[kDown].ToString();
  if (absl::Status restarted = (*postgres)->Restart(); !restarted.ok()) {
    stop_load();
    FAIL() << "restarting PostgreSQL: " << restarted;
  }
  phase.store(kAfter);
  EXPECT_TRUE(WaitFor([&] {
    return all_ingest([](const IngestClient& c) { return c.ok_after_restart.load() >= 3; });
  })) << "ingest did not recover by itself after the restart";
  stop_load();

  // Assign: zero errors in every phase, the same answers throughout, and calls during the outage.
  for (int p : {kBefore, kDown, kAfter}) {
    EXPECT_EQ(assign_outcomes[p].CountOtherThan(grpc::StatusCode::OK), 0)
        << "phase " << p << ": " << assign_outcomes[p].ToString();
  }
  EXPECT_GT(assign_outcomes[kDown].Count(grpc::StatusCode::OK), 100)
      << assign_outcomes[kDown].ToString();
  EXPECT_EQ(wrong_answers.load(), 0);

  // Ingest: while down only UNAVAILABLE (never another code), before the outage no error, and OK
  // again afterwards (UNAVAILABLE until the server's connections are back is allowed).
  std::set<std::string> acknowledged_events;
  std::set<std::string> acknowledged_exposures;
  for (const auto& c : ingest) {
    const std::string outcomes =
        absl::StrCat(c->name, ": before ", c->outcomes[kBefore].ToString(), "; down ",
                     c->outcomes[kDown].ToString(), "; after ", c->outcomes[kAfter].ToString(),
                     "; last error '", c->last_error, "'");
    EXPECT_EQ(c->outcomes[kBefore].CountOtherThan(grpc::StatusCode::OK), 0) << outcomes;
    const int64_t down_errors = c->outcomes[kDown].CountOtherThan(grpc::StatusCode::OK);
    EXPECT_GT(down_errors, 0) << outcomes;
    EXPECT_EQ(c->outcomes[kDown].Count(grpc::StatusCode::UNAVAILABLE), down_errors) << outcomes;
    EXPECT_EQ(c->outcomes[kAfter].CountOtherThan(grpc::StatusCode::OK),
              c->outcomes[kAfter].Count(grpc::StatusCode::UNAVAILABLE))
        << outcomes;
    EXPECT_GE(c->ok_after_restart.load(), 3) << outcomes;
    std::cout << outcomes << ", " << c->acknowledged_batches.load() << " batches acknowledged\n";
    auto& acknowledged = c->exposures ? acknowledged_exposures : acknowledged_events;
    acknowledged.insert(c->acknowledged_ids.begin(), c->acknowledged_ids.end());
  }
  std::cout << "assign: before " << assign_outcomes[kBefore].ToString() << "; down "
            << assign_outcomes[kDown].ToString() << "; after " << assign_outcomes[kAfter].ToString()
            << "\n";

  // Every acknowledged event id is stored exactly once. Nothing else is stored but, at most, the
  // batch each client had in flight when the load stopped (a client moves on to its next batch
  // only once the current one is acknowledged).
  for (const auto& [table, acknowledged] :
       {std::pair{std::string("metric_events"), &acknowledged_events},
        std::pair{std::string("exposures"), &acknowledged_exposures}}) {
    const std::multiset<std::string> stored = StoredIds(connection_string, table);
    int64_t missing = 0;
    int64_t repeated = 0;
    for (const std::string& id : *acknowledged) {
      const size_t n = stored.count(id);
      if (n == 0) ++missing;
      if (n > 1) ++repeated;
    }
    EXPECT_EQ(missing, 0) << table << ": acknowledged rows lost";
    EXPECT_EQ(repeated, 0) << table << ": acknowledged rows stored twice";
    EXPECT_EQ(std::set<std::string>(stored.begin(), stored.end()).size(), stored.size())
        << table << ": an event id is stored twice";
    EXPECT_LE(stored.size(), acknowledged->size() + ingest.size() * kRowsPerBatch) << table;
    std::cout << table << ": " << acknowledged->size() << " rows acknowledged, " << stored.size()
              << " stored\n";
  }
  EXPECT_TRUE(client.Ping().ok());
  EXPECT_EQ((*liftd)->StopWith(SIGTERM), 0) << (*liftd)->Output();
  // Every exposed unit reached first_exposures: a clean shutdown folds the backlog (the folder's
  // attempts during the outage failed and were retried).
  EXPECT_EQ(testing::QueryCount(connection_string, "SELECT count(*) FROM first_exposure_backlog"),
            0);
  EXPECT_EQ(testing::QueryCount(connection_string, "SELECT count(*) FROM first_exposures"),
            testing::QueryCount(connection_string, "SELECT count(DISTINCT unit_id) FROM exposures"));
}

}  // namespace
}  // namespace lift
