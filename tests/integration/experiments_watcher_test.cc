// ConfigWatcher and BuildSnapshot against a real PostgreSQL: the snapshot follows changes through
// LISTEN/NOTIFY, the periodic poll catches changes made without a notification, invalid stored
// rows are left out, and a stopped database leaves the last snapshot serving until it is back.
// Waits are bounded polls of the snapshot, never timing assertions.
#include <chrono>
#include <functional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/assignment/engine.h"
#include "server/embedded_pg/embedded_postgres.h"
#include "server/experiments/config_watcher.h"
#include "server/experiments/experiment_service.h"
#include "server/store/connection_pool.h"
#include "server/store/migrations.h"
#include "tests/support/liftd_process.h"
#include "tests/support/test_cluster.h"

namespace lift::experiments {
namespace {

using assignment::Reason;
using ::testing::HasSubstr;

constexpr char kActor[] = "watcher-test";
constexpr auto kPatience = std::chrono::seconds(30);

// Polls `condition` every 10 ms until it holds or `patience` passes; returns whether it held.
bool WaitFor(const std::function<bool()>& condition, std::chrono::seconds patience = kPatience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

Experiment Spec(const std::string& key) {
  Experiment e;
  e.key = key;
  e.variants = {{"control", 0.5, ""}, {"treatment", 0.5, R"({"on":true})"}};
  return e;
}

assignment::Assignment AssignUnit(const assignment::Snapshot& snapshot, const std::string& key,
                                  const std::string& unit_id) {
  const std::map<std::string, std::string> attributes = {{"id", unit_id}};
  return assignment::Evaluate(snapshot, assignment::Attributes::FromStrings(attributes), key);
}

ConfigWatcherOptions FastOptions(const std::string& connection_string,
                                 std::chrono::milliseconds poll_interval) {
  ConfigWatcherOptions options;
  options.connection_string = connection_string;
  options.poll_interval = poll_interval;
  options.retry_interval = std::chrono::milliseconds(100);
  options.listen_wait = std::chrono::milliseconds(50);
  return options;
}

class ConfigWatcherTest : public ::testing::Test {
 protected:
  ConfigWatcherTest()
      : pool_(database_.connection_string(), 2), store_(&pool_), service_(&store_) {}

  void Exec(const std::string& sql) {
    pqxx::connection connection(database_.connection_string());
    pqxx::work tx(connection);
    tx.exec(sql);
    tx.commit();
  }

  testing::TestDatabase database_;
  store::ConnectionPool pool_;
  ExperimentStore store_;
  ExperimentService service_;
};

TEST_F(ConfigWatcherTest, NotificationsReloadTheSnapshotWithoutPolling) {
  // A poll interval of an hour: only NOTIFY can bring the changes in.
  auto watcher =
      ConfigWatcher::Start(FastOptions(database_.connection_string(), std::chrono::hours(1)));
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  ConfigWatcher& w = **watcher;
  EXPECT_TRUE(w.snapshot()->experiments().empty());
  ASSERT_TRUE(WaitFor([&] { return w.connected(); }));

  ASSERT_TRUE(service_.Create(Spec("notified"), kActor).ok());
  ASSERT_TRUE(WaitFor([&] { return w.snapshot()->Find("notified") != nullptr; }));
  EXPECT_EQ(AssignUnit(*w.snapshot(), "notified", "u1").reason, Reason::kNotRunning);

  const int64_t version_before_start = w.version();
  ASSERT_TRUE(service_.Start("notified", 0, kActor).ok());
  ASSERT_TRUE(WaitFor(
      [&] { return AssignUnit(*w.snapshot(), "notified", "u1").reason == Reason::kSplit; }));
  EXPECT_GT(w.version(), version_before_start);
  EXPECT_EQ(w.snapshot()->Find("notified")->phase, 1);

  // An override shows up the same way.
  ASSERT_TRUE(service_.SetOverride({"notified", "u1", "treatment", 0, ""}, kActor).ok());
  ASSERT_TRUE(WaitFor(
      [&] { return AssignUnit(*w.snapshot(), "notified", "u1").reason == Reason::kOverride; }));
  EXPECT_EQ(AssignUnit(*w.snapshot(), "notified", "u1").variant_key, "treatment");
  EXPECT_EQ(w.failures(), 0);
}

TEST_F(ConfigWatcherTest, PollingCatchesChangesMadeWithoutANotification) {
  ASSERT_TRUE(service_.Create(Spec("quiet"), kActor).ok());
  auto watcher = ConfigWatcher::Start(
      FastOptions(database_.connection_string(), std::chrono::milliseconds(100)));
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  ConfigWatcher& w = **watcher;
  ASSERT_EQ(AssignUnit(*w.snapshot(), "quiet", "u1").reason, Reason::kNotRunning);
  // With triggers disabled (replica mode) nothing is notified; only the version row changes.
  Exec(
      "SET session_replication_role = replica; "
      "UPDATE experiments SET status = 'running', phase = 1 WHERE key = 'quiet'; "
      "UPDATE config_version SET version = version + 100");
  ASSERT_TRUE(
      WaitFor([&] { return AssignUnit(*w.snapshot(), "quiet", "u1").reason == Reason::kSplit; }));
}

TEST_F(ConfigWatcherTest, SnapshotServesEveryStatusOverridesAndHoldouts) {
  ASSERT_TRUE(service_.Create(Spec("draft"), kActor).ok());
  ASSERT_TRUE(service_.Create(Spec("running"), kActor).ok());
  ASSERT_TRUE(service_.Start("running", 0, kActor).ok());
  ASSERT_TRUE(service_.Create(Spec("winner"), kActor).ok());
  ASSERT_TRUE(service_.Start("winner", 0, kActor).ok());
  ASSERT_TRUE(service_.Stop("winner", "treatment", 0, kActor).ok());
  ASSERT_TRUE(service_.Create(Spec("archived"), kActor).ok());
  ASSERT_TRUE(service_.Archive("archived", 0, kActor).ok());
  ASSERT_TRUE(service_.CreateLayer({"held", "", "", {}, 0, ""}, kActor).ok());
  Experiment held = Spec("held-out");
  held.layer = "held";
  ASSERT_TRUE(service_.Create(held, kActor).ok());
  ASSERT_TRUE(service_.Start("held-out", 0, kActor).ok());
  ASSERT_TRUE(service_.CreateHoldout({"all-of-held", "", "", 1.0, "held", 0, ""}, kActor).ok());
  ASSERT_TRUE(service_.SetOverride({"running", "qa-1", "control", 0, ""}, kActor).ok());

  pqxx::connection connection(database_.connection_string());
  const ConfigData data = ExperimentStore::LoadConfig(connection);
  EXPECT_EQ(data.experiments.size(), 4u);  // archived ones are left out
  std::string skipped;
  auto snapshot = BuildSnapshot(data, &skipped);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(skipped, "");
  const assignment::Snapshot& s = **snapshot;
  EXPECT_EQ(s.version(), data.version);
  EXPECT_EQ(AssignUnit(s, "draft", "u1").reason, Reason::kNotRunning);
  EXPECT_EQ(AssignUnit(s, "running", "u1").reason, Reason::kSplit);
  EXPECT_EQ(AssignUnit(s, "running", "qa-1").reason, Reason::kOverride);
  const assignment::Assignment winner = AssignUnit(s, "winner", "u1");
  EXPECT_EQ(winner.reason, Reason::kStoppedWinner);
  EXPECT_EQ(winner.variant_key, "treatment");
  EXPECT_EQ(winner.payload, R"({"on":true})");
  EXPECT_EQ(AssignUnit(s, "archived", "u1").reason, Reason::kUnknownExperiment);
  EXPECT_EQ(AssignUnit(s, "held-out", "u1").reason, Reason::kHoldout);
}

TEST_F(ConfigWatcherTest, InvalidStoredRowsAreLeftOutNotFatal) {
  ASSERT_TRUE(service_.Create(Spec("good"), kActor).ok());
  // Written by hand, bypassing validation: weights that do not sum to 1.
  Exec(
      "INSERT INTO experiments (key, variants, created_by, updated_by) VALUES ('bad', "
      "'[{\"key\":\"a\",\"weight\":0.3,\"payload\":\"\"},{\"key\":\"b\",\"weight\":0.4,"
      "\"payload\":\"\"}]', 'hand', 'hand')");
  pqxx::connection connection(database_.connection_string());
  std::string skipped;
  auto snapshot = BuildSnapshot(ExperimentStore::LoadConfig(connection), &skipped);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_NE((*snapshot)->Find("good"), nullptr);
  EXPECT_EQ((*snapshot)->Find("bad"), nullptr);
  EXPECT_THAT(skipped, HasSubstr("experiment \"bad\": variants[].weight must sum to 1"));

  auto watcher =
      ConfigWatcher::Start(FastOptions(database_.connection_string(), std::chrono::seconds(5)));
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  EXPECT_NE((*watcher)->snapshot()->Find("good"), nullptr);
}

TEST(ConfigWatcherOutageTest, KeepsServingWhileTheDatabaseIsDownAndCatchesUpAfter) {
  testing::TempDir dir;
  embedded_pg::EmbeddedPostgresOptions pg_options;
  pg_options.data_dir = (dir.path() / "data").string();
  pg_options.fsync = false;
  auto pg = embedded_pg::EmbeddedPostgres::Start(pg_options);
  ASSERT_TRUE(pg.ok()) << pg.status();
  const std::string cs = (*pg)->ConnectionString();
  ASSERT_TRUE(store::Migrate(cs).ok());
  store::ConnectionPool pool(cs, 2);
  ExperimentStore store(&pool);
  ExperimentService service(&store);
  ASSERT_TRUE(service.Create(Spec("resilient"), kActor).ok());
  ASSERT_TRUE(service.Start("resilient", 0, kActor).ok());

  auto watcher = ConfigWatcher::Start(FastOptions(cs, std::chrono::milliseconds(200)));
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  ConfigWatcher& w = **watcher;
  ASSERT_TRUE(WaitFor([&] { return w.connected(); }));
  std::vector<std::string> before;
  for (int unit = 0; unit < 1000; ++unit) {
    before.push_back(std::string(
        AssignUnit(*w.snapshot(), "resilient", "u" + std::to_string(unit)).variant_key));
  }

  ASSERT_TRUE((*pg)->Stop().ok());
  ASSERT_TRUE(WaitFor([&] { return !w.connected(); }));
  int errors = 0;
  for (int round = 0; round < 20; ++round) {
    auto snapshot = w.snapshot();
    if (snapshot == nullptr) {
      ++errors;
      continue;
    }
    for (int unit = 0; unit < 1000; ++unit) {
      const assignment::Assignment a =
          AssignUnit(*snapshot, "resilient", "u" + std::to_string(unit));
      if (a.reason != Reason::kSplit || a.variant_key != before[static_cast<size_t>(unit)]) {
        ++errors;
      }
    }
  }
  EXPECT_EQ(errors, 0);
  absl::Status down = service.Stop("resilient", "", 0, kActor).status();
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;

  ASSERT_TRUE((*pg)->Restart().ok());
  ASSERT_TRUE(WaitFor([&] { return service.Stop("resilient", "control", 0, kActor).ok(); }));
  ASSERT_TRUE(WaitFor([&] {
    return AssignUnit(*w.snapshot(), "resilient", "u1").reason == Reason::kStoppedWinner;
  }));
  EXPECT_TRUE(w.connected());
  EXPECT_GT(w.failures(), 0);
}

}  // namespace
}  // namespace lift::experiments
