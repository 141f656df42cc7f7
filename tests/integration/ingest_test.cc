// Ingest against a real PostgreSQL: group commit, idempotent retries, duplicates within and across
// batches, row-level rejections, first-exposure accounting, back-pressure and database outages.
#include "server/ingest/ingest_service.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include <pqxx/pqxx>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/embedded_pg/embedded_postgres.h"
#include "server/ingest/first_exposure_backlog.h"
#include "server/ingest/first_exposure_folder.h"
#include "server/store/connection_pool.h"
#include "server/store/migrations.h"
#include "tests/support/liftd_process.h"
#include "tests/support/test_cluster.h"
#include "tests/support/wait_for.h"

namespace lift::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using testing::TestDatabase;

constexpr int64_t kDay = 86400LL * 1000000;
// 2026-11-02T10:00:00Z, a fixed time in the past.
constexpr int64_t kBase = 1793613600LL * 1000000;

std::shared_ptr<const assignment::Snapshot> TwoArmSnapshot() {
  assignment::ExperimentConfig experiment;
  experiment.key = "checkout";
  experiment.status = assignment::ExperimentStatus::kRunning;
  experiment.variants = {{"control", 0.5, ""}, {"treatment", 0.5, ""}};
  experiment.phase = 2;
  auto snapshot = assignment::Snapshot::Build({experiment});
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  return *snapshot;
}

struct Outcome {
  absl::Status status;
  LogResult result;
};

// Runs one call and waits for its acknowledgement.
template <typename Request, typename Method>
Outcome Call(IngestService& service, Method method, const Request& request) {
  std::promise<Outcome> promise;
  (service.*method)(request, [&](const absl::Status& status, LogResult result) {
    promise.set_value(Outcome{status, std::move(result)});
  });
  return promise.get_future().get();
}

Outcome LogEvents(IngestService& service, const lift::v1::LogEventsRequest& request) {
  return Call(service, &IngestService::LogEvents, request);
}
Outcome LogExposures(IngestService& service, const lift::v1::LogExposuresRequest& request) {
  return Call(service, &IngestService::LogExposures, request);
}

void AddEvent(lift::v1::LogEventsRequest& request, const std::string& id, const std::string& unit,
              double value, int64_t ts = kBase) {
  auto* event = request.add_events();
  event->set_event_id(id);
  event->set_unit_id(unit);
  event->set_event("purchase");
  event->set_value(value);
  event->set_timestamp_micros(ts);
}

void AddExposure(lift::v1::LogExposuresRequest& request, const std::string& id,
                 const std::string& unit, const std::string& variant, int64_t ts) {
  auto* exposure = request.add_exposures();
  exposure->set_event_id(id);
  exposure->set_unit_id(unit);
  exposure->set_experiment("checkout");
  exposure->set_variant(variant);
  exposure->set_timestamp_micros(ts);
  (*exposure->mutable_attributes())["country"] = "DE";
}

int64_t Count(const std::string& cs, const std::string& sql) {
  pqxx::connection conn(cs);
  pqxx::nontransaction tx(conn);
  return tx.exec1(sql)[0].as<int64_t>();
}

class IngestTest : public ::testing::Test {
 protected:
  IngestTest() : service_(db_.connection_string(), [] { return TwoArmSnapshot(); }) {}

  // What every reader of first_exposures does first (the background folder may not have run yet).
  void FoldBacklog() {
    store::ConnectionPool pool(db_.connection_string(), 1);
    ASSERT_TRUE(FoldFirstExposureBacklog(pool).ok());
    EXPECT_EQ(Count(db_.connection_string(), "SELECT count(*) FROM first_exposure_backlog"), 0);
  }

  TestDatabase db_;
  IngestService service_;
};

TEST_F(IngestTest, StoresEventsAndRetriesAreIdempotent) {
  lift::v1::LogEventsRequest request;
  AddEvent(request, "e1", "u1", 9.5);
  AddEvent(request, "e2", "u1", 1.0);
  AddEvent(request, "e3", "u2", 3.0, kBase - 40 * kDay);  // an older day: partition made on demand
  Outcome first = LogEvents(service_, request);
  ASSERT_TRUE(first.status.ok()) << first.status;
  EXPECT_EQ(first.result.counts.accepted, 3);
  EXPECT_EQ(first.result.counts.duplicates, 0);
  Outcome retry = LogEvents(service_, request);
  ASSERT_TRUE(retry.status.ok()) << retry.status;
  EXPECT_EQ(retry.result.counts.accepted, 0);
  EXPECT_EQ(retry.result.counts.duplicates, 3);
  EXPECT_EQ(Count(db_.connection_string(), "SELECT count(*) FROM metric_events"), 3);
  EXPECT_EQ(Count(db_.connection_string(),
                  "SELECT round(sum(value) * 10)::bigint FROM metric_events WHERE unit_id = 'u1'"),
            105);
  EXPECT_EQ(Count(db_.connection_string(),
                  "SELECT count(*) FROM pg_inherits WHERE inhparent = 'metric_events'::regclass"),
            2);
}

TEST_F(IngestTest, DuplicatesWithinOneBatchCountOnce) {
  lift::v1::LogEventsRequest request;
  AddEvent(request, "e1", "u1", 1.0);
  AddEvent(request, "e1", "u1", 1.0);
  AddEvent(request, "e1", "u2", 1.0);  // same id, other unit: a different event
  Outcome outcome = LogEvents(service_, request);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_EQ(outcome.result.counts.accepted, 2);
  EXPECT_EQ(outcome.result.counts.duplicates, 1);
}

TEST_F(IngestTest, MixedBatchKeepsValidRowsAndNamesEachRejection) {
  lift::v1::LogEventsRequest request;
  AddEvent(request, "ok1", "u1", 1.0);
  AddEvent(request, "", "u1", 1.0);                                   // 1: no event id
  AddEvent(request, "bad2", "u1", std::numeric_limits<double>::infinity());  // 2: not finite
  AddEvent(request, "bad3", "u1", 1.0, 1793613600LL);                  // 3: seconds, not micros
  AddEvent(request, "bad4", "u1", 1.0, kBase + 3650 * kDay);           // 4: far future
  AddEvent(request, "ok5", "u2", 2.0);
  request.mutable_events(5)->clear_value();  // value defaults to 1
  Outcome outcome = LogEvents(service_, request);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_EQ(outcome.result.counts.accepted, 2);
  ASSERT_EQ(outcome.result.rejections.size(), 4u);
  EXPECT_THAT(outcome.result.rejections,
              ElementsAre(Field(&RowRejection::field, "event_id"), Field(&RowRejection::field, "value"),
                          Field(&RowRejection::field, "timestamp_micros"),
                          Field(&RowRejection::field, "timestamp_micros")));
  EXPECT_EQ(outcome.result.rejections[0].index, 1);
  EXPECT_THAT(outcome.result.rejections[2].reason, HasSubstr("seconds or milliseconds"));
  EXPECT_THAT(outcome.result.rejections[3].reason, HasSubstr("in the future"));
  EXPECT_EQ(Count(db_.connection_string(),
                  "SELECT count(*) FROM metric_events WHERE unit_id = 'u2' AND value = 1"),
            1);
}

// PostgreSQL text and jsonb refuse U+0000: such a row is rejected on its own instead of failing
// the shared transaction of every caller in the same group commit.
TEST_F(IngestTest, NulCharactersAreRejectedRowByRow) {
  lift::v1::LogEventsRequest request;
  AddEvent(request, "ok1", "u1", 1.0);
  AddEvent(request, std::string("e\0", 2), "u1", 1.0);  // 1: NUL in event_id
  AddEvent(request, "bad2", std::string("u\0", 2), 1.0);  // 2: NUL in unit_id
  AddEvent(request, "bad3", "u1", 1.0);
  (*request.mutable_events(3)->mutable_properties())["page"] = std::string("a\0b", 3);
  AddEvent(request, "bad4", "u1", 1.0);
  (*request.mutable_events(4)->mutable_properties())[std::string("k\0", 2)] = "v";
  AddEvent(request, "ok5", "u2", 2.0);
  Outcome outcome = LogEvents(service_, request);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_EQ(outcome.result.counts.accepted, 2);
  EXPECT_THAT(outcome.result.rejections,
              ElementsAre(Field(&RowRejection::field, "event_id"),
                          Field(&RowRejection::field, "unit_id"),
                          Field(&RowRejection::field, "properties"),
                          Field(&RowRejection::field, "properties")));
  for (const RowRejection& rejection : outcome.result.rejections) {
    EXPECT_THAT(rejection.reason, HasSubstr("must not contain NUL characters"));
  }
  EXPECT_EQ(Count(db_.connection_string(), "SELECT count(*) FROM metric_events"), 2);

  lift::v1::LogExposuresRequest exposures;
  AddExposure(exposures, "x1", "u1", "control", kBase);
  AddExposure(exposures, "x2", "u2", "control", kBase);
  (*exposures.mutable_exposures(1)->mutable_attributes())["country"] = std::string("D\0E", 3);
  Outcome logged = LogExposures(service_, exposures);
  ASSERT_TRUE(logged.status.ok()) << logged.status;
  EXPECT_EQ(logged.result.counts.accepted, 1);
  ASSERT_EQ(logged.result.rejections.size(), 1u);
  EXPECT_EQ(logged.result.rejections[0].field, "attributes");
  EXPECT_EQ(Count(db_.connection_string(), "SELECT count(*) FROM exposures"), 1);
}

TEST_F(IngestTest, ExposuresAreValidatedAgainstTheConfiguration) {
  lift::v1::LogExposuresRequest request;
  AddExposure(request, "x1", "u1", "control", kBase);
  AddExposure(request, "x2", "u1", "nope", kBase);
  request.add_exposures()->CopyFrom(request.exposures(0));
  request.mutable_exposures(2)->set_experiment("unknown_exp");
  request.mutable_exposures(2)->set_event_id("x3");
  Outcome outcome = LogExposures(service_, request);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_EQ(outcome.result.counts.accepted, 1);
  ASSERT_EQ(outcome.result.rejections.size(), 2u);
  EXPECT_EQ(outcome.result.rejections[0].field, "variant");
  EXPECT_THAT(outcome.result.rejections[0].reason,
              HasSubstr("'nope' is not a variant of experiment 'checkout'"));
  EXPECT_EQ(outcome.result.rejections[1].field, "experiment");
  EXPECT_THAT(outcome.result.rejections[1].reason, HasSubstr("'unknown_exp' does not exist"));
  EXPECT_EQ(Count(db_.connection_string(), "SELECT count(*) FROM exposures WHERE phase = 2"), 1);
}

TEST_F(IngestTest, FirstExposureWinsAndUnitsSeenInTwoVariantsAreMarked) {
  lift::v1::LogExposuresRequest later;
  AddExposure(later, "a2", "alice", "treatment", kBase + 3600LL * 1000000);
  AddExposure(later, "b1", "bob", "control", kBase);
  AddExposure(later, "b2", "bob", "control", kBase + 60LL * 1000000);
  ASSERT_TRUE(LogExposures(service_, later).status.ok());
  lift::v1::LogExposuresRequest earlier;  // arrives later, happened earlier
  AddExposure(earlier, "a1", "alice", "treatment", kBase);
  AddExposure(earlier, "c1", "carol", "control", kBase);
  AddExposure(earlier, "c2", "carol", "treatment", kBase + 1);
  ASSERT_TRUE(LogExposures(service_, earlier).status.ok());
  FoldBacklog();
  pqxx::connection conn(db_.connection_string());
  pqxx::nontransaction tx(conn);
  pqxx::result rows = tx.exec(
      "SELECT unit_id, variant_key, (extract(epoch FROM first_ts) * 1000000)::bigint,"
      " multiple_variants, attributes->>'country' FROM first_exposures ORDER BY unit_id");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "alice");
  EXPECT_EQ(rows[0][2].as<int64_t>(), kBase);  // the earlier exposure replaced the first one seen
  EXPECT_FALSE(rows[0][3].as<bool>());
  EXPECT_EQ(rows[1][0].as<std::string>(), "bob");
  EXPECT_FALSE(rows[1][3].as<bool>());
  EXPECT_EQ(rows[2][0].as<std::string>(), "carol");
  EXPECT_EQ(rows[2][1].as<std::string>(), "control");
  EXPECT_TRUE(rows[2][3].as<bool>());  // seen in two variants: excluded by readouts
  EXPECT_EQ(rows[2][4].as<std::string>(), "DE");
}

// A batch with duplicates takes the staged ON CONFLICT path; its new rows fold into
// first_exposures exactly as on the COPY fast path, and its duplicates change nothing.
TEST_F(IngestTest, ExposureRetriesWithNewRowsFoldLikeFreshOnes) {
  constexpr int64_t kSecond = 1000000;
  lift::v1::LogExposuresRequest first;
  AddExposure(first, "x1", "alice", "control", kBase + 10 * kSecond);
  AddExposure(first, "x2", "bob", "treatment", kBase);
  Outcome stored = LogExposures(service_, first);
  ASSERT_TRUE(stored.status.ok()) << stored.status;
  EXPECT_EQ(stored.result.counts.accepted, 2);

  lift::v1::LogExposuresRequest retry;
  AddExposure(retry, "x1", "alice", "control", kBase + 10 * kSecond);    // duplicate
  AddExposure(retry, "x3", "alice", "treatment", kBase + 20 * kSecond);  // new, other variant
  AddExposure(retry, "x4", "bob", "treatment", kBase - 5 * kSecond);     // new, earlier
  AddExposure(retry, "x2", "bob", "treatment", kBase);                   // duplicate
  Outcome outcome = LogExposures(service_, retry);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_EQ(outcome.result.counts.accepted, 2);
  EXPECT_EQ(outcome.result.counts.duplicates, 2);
  EXPECT_EQ(Count(db_.connection_string(), "SELECT count(*) FROM exposures"), 4);

  FoldBacklog();
  pqxx::connection conn(db_.connection_string());
  pqxx::nontransaction tx(conn);
  pqxx::result rows = tx.exec(
      "SELECT unit_id, variant_key, (extract(epoch FROM first_ts) * 1000000)::bigint,"
      " multiple_variants FROM first_exposures ORDER BY unit_id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "alice");
  EXPECT_EQ(rows[0][1].as<std::string>(), "control");
  EXPECT_EQ(rows[0][2].as<int64_t>(), kBase + 10 * kSecond);
  EXPECT_TRUE(rows[0][3].as<bool>());  // seen in treatment too
  EXPECT_EQ(rows[1][0].as<std::string>(), "bob");
  EXPECT_EQ(rows[1][2].as<int64_t>(), kBase - 5 * kSecond);  // the earlier exposure wins
  EXPECT_FALSE(rows[1][3].as<bool>());

  // The same retry once more: nothing new anywhere.
  Outcome again = LogExposures(service_, retry);
  ASSERT_TRUE(again.status.ok()) << again.status;
  EXPECT_EQ(again.result.counts.duplicates, 4);
  FoldBacklog();
  EXPECT_EQ(Count(db_.connection_string(),
                  "SELECT count(*) FROM first_exposures WHERE multiple_variants"),
            1);
}

// Concurrent callers and concurrent folds (readers fold while ingest runs): first_exposures ends up
// exactly as computed here from every row sent — earliest exposure per unit with its variant and
// attributes, units seen in two variants marked — with unit ids that need escaping (quotes,
// backslashes, tabs, newlines, control characters).
TEST_F(IngestTest, FoldedFirstExposuresMatchEveryRowSentUnderConcurrentIngestAndFolds) {
  constexpr int kCallers = 6;
  constexpr int kCallsPerCaller = 8;
  constexpr int kRowsPerCall = 120;
  constexpr int kUnits = 150;
  const std::vector<std::string> unit_ids = [] {
    std::vector<std::string> ids;
    for (int u = 0; u < kUnits; ++u) {
      std::string id = "unit-" + std::to_string(u);
      if (u % 5 == 1) id += "\"quoted\\";
      if (u % 5 == 2) id += "\tтаб\x01";
      if (u % 5 == 3) id += "\nline\\t";
      ids.push_back(id);
    }
    return ids;
  }();
  struct Expected {
    int64_t ts = std::numeric_limits<int64_t>::max();
    std::string variant;
    std::string country;
    std::set<std::string> variants;
  };
  std::map<std::string, Expected> expected;
  std::vector<lift::v1::LogExposuresRequest> requests(kCallers * kCallsPerCaller);
  for (int call = 0; call < kCallers * kCallsPerCaller; ++call) {
    for (int r = 0; r < kRowsPerCall; ++r) {
      const int row = call * kRowsPerCall + r;
      const int unit = (row * 7919) % kUnits;
      // Every row its own timestamp (no ties); later calls often carry earlier exposures.
      const int64_t ts = kBase + static_cast<int64_t>((row * 104729) % 1000003) * 1000;
      // Most units stay in one variant; every 10th unit is also seen in the other one.
      const bool other = unit % 10 == 0 && row % 3 == 0;
      const std::string variant = (unit % 2 == 0) != other ? "control" : "treatment";
      AddExposure(requests[call], "x" + std::to_string(row), unit_ids[unit], variant, ts);
      const std::string country = "C" + std::to_string(row);
      (*requests[call].mutable_exposures(r)->mutable_attributes())["country"] = country;
      Expected& e = expected[unit_ids[unit]];
      e.variants.insert(variant);
      if (ts < e.ts) e = Expected{ts, variant, country, e.variants};
    }
  }
  std::atomic<bool> done{false};
  std::vector<std::future<bool>> folders;
  for (int f = 0; f < 2; ++f) {
    folders.push_back(std::async(std::launch::async, [&] {
      store::ConnectionPool pool(db_.connection_string(), 1);
      bool ok = true;
      while (!done.load()) ok = FoldFirstExposureBacklog(pool).ok() && ok;
      return ok;
    }));
  }
  std::vector<std::future<bool>> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.push_back(std::async(std::launch::async, [&, c] {
      bool ok = true;
      for (int i = 0; i < kCallsPerCaller; ++i) {
        ok = LogExposures(service_, requests[c * kCallsPerCaller + i]).status.ok() && ok;
      }
      return ok;
    }));
  }
  for (auto& caller : callers) EXPECT_TRUE(caller.get());
  done.store(true);
  for (auto& folder : folders) EXPECT_TRUE(folder.get());
  FoldBacklog();

  pqxx::connection conn(db_.connection_string());
  pqxx::nontransaction tx(conn);
  pqxx::result rows = tx.exec(
      "SELECT unit_id, variant_key, (extract(epoch FROM first_ts) * 1000000)::bigint,"
      " multiple_variants, attributes->>'country', phase FROM first_exposures");
  ASSERT_EQ(rows.size(), expected.size());
  for (const auto& row : rows) {
    const std::string unit = row[0].as<std::string>();
    ASSERT_TRUE(expected.count(unit)) << "unexpected unit '" << unit << "'";
    const Expected& e = expected.at(unit);
    EXPECT_EQ(row[1].as<std::string>(), e.variant) << unit;
    EXPECT_EQ(row[2].as<int64_t>(), e.ts) << unit;
    EXPECT_EQ(row[3].as<bool>(), e.variants.size() > 1) << unit;
    EXPECT_EQ(row[4].as<std::string>(), e.country) << unit;
    EXPECT_EQ(row[5].as<int>(), 2) << unit;
  }
}

// The service's own folder empties the backlog without any reader asking.
TEST_F(IngestTest, BackgroundFolderEmptiesTheBacklog) {
  lift::v1::LogExposuresRequest request;
  AddExposure(request, "x1", "alice", "control", kBase);
  AddExposure(request, "x2", "bob", "treatment", kBase);
  ASSERT_TRUE(LogExposures(service_, request).status.ok());
  EXPECT_TRUE(testing::WaitFor([&] {
    return Count(db_.connection_string(), "SELECT count(*) FROM first_exposures") == 2;
  }));
  EXPECT_EQ(Count(db_.connection_string(), "SELECT count(*) FROM first_exposure_backlog"), 0);
}

// Backlog rows committed by a server that then crashed are folded by the next one's folder at start.
TEST_F(IngestTest, FolderFoldsWhatACrashedServerLeftInTheBacklog) {
  const std::vector<ExposureRow> exposures = {
      {"carol", "checkout", "c1", kBase + 5, 2, "treatment", R"({"country":"FR"})"},
      {"carol", "checkout", "c2", kBase + 9, 2, "control", ""},
      {"dave", "checkout", "d1", kBase, 2, "control", ""},
  };
  {
    pqxx::connection conn(db_.connection_string());
    pqxx::work tx(conn);
    AppendFirstExposureBacklog(tx, {&exposures[0], &exposures[1]});
    AppendFirstExposureBacklog(tx, {&exposures[2]});
    tx.commit();
  }
  FirstExposureFolder folder(db_.connection_string(), std::chrono::milliseconds(10),
                             std::chrono::milliseconds(10));
  ASSERT_TRUE(testing::WaitFor([&] { return folder.folded_backlog_rows() >= 2; }));
  EXPECT_EQ(Count(db_.connection_string(), "SELECT count(*) FROM first_exposure_backlog"), 0);
  pqxx::connection conn(db_.connection_string());
  pqxx::nontransaction tx(conn);
  pqxx::result rows = tx.exec(
      "SELECT unit_id, variant_key, (extract(epoch FROM first_ts) * 1000000)::bigint,"
      " multiple_variants, attributes->>'country' FROM first_exposures ORDER BY unit_id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "carol");
  EXPECT_EQ(rows[0][1].as<std::string>(), "treatment");
  EXPECT_EQ(rows[0][2].as<int64_t>(), kBase + 5);
  EXPECT_TRUE(rows[0][3].as<bool>());
  EXPECT_EQ(rows[0][4].as<std::string>(), "FR");
  EXPECT_EQ(rows[1][0].as<std::string>(), "dave");
  EXPECT_FALSE(rows[1][3].as<bool>());
  EXPECT_TRUE(rows[1][4].is_null());
}

// The fold probes first_exposures by primary key whatever its statistics say. Analysed while empty,
// the table once got a sequential scan per candidate (100,000 units: 42 s); the fold must not scan
// it sequentially at all.
TEST_F(IngestTest, FoldNeverScansFirstExposuresSequentially) {
  const std::string cs = db_.connection_string();
  pqxx::connection analyse(cs);
  pqxx::nontransaction(analyse).exec0("ANALYZE first_exposures");  // statistics: an empty table
  auto scans = [&](const char* column) {
    return Count(cs, std::string("SELECT ") + column +
                         " FROM pg_stat_user_tables WHERE relname = 'first_exposures'");
  };
  const int64_t seq_before = scans("seq_scan");
  const int64_t idx_before = scans("coalesce(idx_scan, 0)");
  // New units, then earlier exposures of the same units (updates).
  for (const int64_t ts : {kBase + int64_t{1000} * 1000000, kBase}) {
    lift::v1::LogExposuresRequest request;
    for (int u = 0; u < 300; ++u) {
      AddExposure(request, "x" + std::to_string(ts) + "-" + std::to_string(u),
                  "unit-" + std::to_string(u), u % 2 == 0 ? "control" : "treatment", ts);
    }
    ASSERT_TRUE(LogExposures(service_, request).status.ok());
    FoldBacklog();
  }
  // Statistics reach the view when the folding backend goes idle (within about a second).
  ASSERT_TRUE(testing::WaitFor([&] { return scans("coalesce(idx_scan, 0)") > idx_before; }));
  EXPECT_EQ(scans("seq_scan"), seq_before);
  EXPECT_EQ(
      Count(cs, "SELECT count(*) FROM first_exposures WHERE first_ts = '2026-11-02 10:00:00+00'"),
      300);
}

TEST_F(IngestTest, ConcurrentCallersShareTransactions) {
  constexpr int kCallers = 16;
  constexpr int kRowsPerCall = 50;
  std::vector<std::future<Outcome>> outcomes;
  for (int c = 0; c < kCallers; ++c) {
    outcomes.push_back(std::async(std::launch::async, [&, c] {
      lift::v1::LogEventsRequest request;
      for (int r = 0; r < kRowsPerCall; ++r) {
        AddEvent(request, "c" + std::to_string(c) + "r" + std::to_string(r), "u" + std::to_string(r), 1.0);
      }
      return LogEvents(service_, request);
    }));
  }
  int64_t accepted = 0;
  for (auto& outcome : outcomes) {
    Outcome result = outcome.get();
    ASSERT_TRUE(result.status.ok()) << result.status;
    accepted += result.result.counts.accepted;
  }
  EXPECT_EQ(accepted, kCallers * kRowsPerCall);
  EXPECT_EQ(Count(db_.connection_string(), "SELECT count(*) FROM metric_events"), kCallers * kRowsPerCall);
  const GroupCommitStats stats = service_.event_stats();
  EXPECT_EQ(stats.rows_written, kCallers * kRowsPerCall);
  EXPECT_LE(stats.flushes, kCallers);  // never more transactions than calls
}

TEST(IngestLimitsTest, FullQueueRefusesTheWholeBatchAndWritesNothing) {
  TestDatabase db;
  GroupCommitOptions options;
  options.capacity_rows = 5;
  IngestService service(db.connection_string(), [] { return TwoArmSnapshot(); }, options);
  lift::v1::LogEventsRequest request;
  for (int i = 0; i < 6; ++i) AddEvent(request, "e" + std::to_string(i), "u", 1.0);
  Outcome outcome = LogEvents(service, request);
  EXPECT_EQ(outcome.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(outcome.status.message(), HasSubstr("the ingest queue is full"));
  EXPECT_THAT(outcome.status.message(), HasSubstr("retry"));
  EXPECT_EQ(service.event_stats().rejected_submissions, 1);
  service.Shutdown();
  EXPECT_EQ(Count(db.connection_string(), "SELECT count(*) FROM metric_events"), 0);
}

TEST(IngestLimitsTest, OversizedMessageIsInvalidArgument) {
  TestDatabase db;
  IngestService service(db.connection_string(), [] { return TwoArmSnapshot(); });
  lift::v1::LogEventsRequest request;
  for (int i = 0; i <= kMaxRowsPerMessage; ++i) AddEvent(request, "e" + std::to_string(i), "u", 1.0);
  Outcome outcome = LogEvents(service, request);
  EXPECT_EQ(outcome.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(outcome.status.message(), HasSubstr("at most 10000 rows"));
}

TEST(IngestOutageTest, DatabaseDownIsUnavailableAndIngestResumesByItself) {
  testing::TempDir dir;
  embedded_pg::EmbeddedPostgresOptions options;
  options.data_dir = (dir.path() / "pg").string();
  options.fsync = false;
  auto postgres = embedded_pg::EmbeddedPostgres::Start(options);
  ASSERT_TRUE(postgres.ok()) << postgres.status();
  const std::string cs = (*postgres)->ConnectionString();
  ASSERT_TRUE(store::Migrate(cs).ok());
  IngestService service(cs, [] { return TwoArmSnapshot(); });
  lift::v1::LogEventsRequest before;
  AddEvent(before, "before", "u1", 1.0);
  ASSERT_TRUE(LogEvents(service, before).status.ok());

  ASSERT_TRUE((*postgres)->Stop().ok());
  lift::v1::LogEventsRequest during;
  AddEvent(during, "during", "u1", 1.0);
  Outcome down = LogEvents(service, during);
  EXPECT_EQ(down.status.code(), absl::StatusCode::kUnavailable) << down.status;
  EXPECT_THAT(down.status.message(), HasSubstr("database is unavailable"));

  ASSERT_TRUE((*postgres)->Restart().ok());
  Outcome retried = LogEvents(service, during);  // the client's retry
  ASSERT_TRUE(retried.status.ok()) << retried.status;
  EXPECT_EQ(retried.result.counts.accepted, 1);
  EXPECT_EQ(Count(cs, "SELECT count(*) FROM metric_events"), 2);
}

}  // namespace
}  // namespace lift::ingest
