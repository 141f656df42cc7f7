#include "server/assignment/snapshot.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/assignment/hash.h"
#include "tests/server/assignment/test_configs.h"

namespace lift::assignment {
namespace {

using testdata::RunningExperiment;
using ::testing::HasSubstr;

void ExpectInvalid(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(message));
}

TEST(SnapshotTest, CompilesExperimentsAndIndexesThemByKey) {
  ExperimentConfig draft = RunningExperiment("draft-exp");
  draft.status = ExperimentStatus::kDraft;
  ExperimentConfig seeded = RunningExperiment("seeded", {0.2, 0.8});
  seeded.seed = "custom-seed";
  seeded.coverage = 0.5;
  const std::vector<ExperimentConfig> experiments = {RunningExperiment("a"), draft, seeded};
  const auto snapshot = Snapshot::Build(experiments, {}, 42);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  const Snapshot& s = **snapshot;
  EXPECT_EQ(s.version(), 42);
  EXPECT_EQ(s.experiments().size(), 3u);
  ASSERT_EQ(s.running().size(), 2u);
  EXPECT_EQ(s.running()[0]->key, "a");
  EXPECT_EQ(s.running()[1]->key, "seeded");
  EXPECT_EQ(s.Find("missing"), nullptr);

  const CompiledExperiment* a = s.Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->seed, "a");  // seed defaults to the key
  EXPECT_EQ(a->seed_state, Fnv1a32("a"));
  EXPECT_EQ(a->hash_attribute, "id");
  EXPECT_TRUE(a->condition.MatchesEverything());

  const CompiledExperiment* c = s.Find("seeded");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->seed, "custom-seed");
  ASSERT_EQ(c->ranges.size(), 2u);
  EXPECT_DOUBLE_EQ(c->ranges[0].end, 0.1);  // 0.5 coverage × 0.2
  EXPECT_DOUBLE_EQ(c->ranges[1].start, 0.2);
  EXPECT_DOUBLE_EQ(c->ranges[1].end, 0.6);  // 0.2 + 0.5 × 0.8
}

TEST(SnapshotTest, AttachesGlobalAndLayerHoldouts) {
  ExperimentConfig in_layer = RunningExperiment("in-layer");
  in_layer.layer = "checkout";
  const std::vector<ExperimentConfig> experiments = {RunningExperiment("plain"), in_layer};
  const std::vector<HoldoutConfig> holdouts = {{"global", 0.05, ""},
                                               {"checkout-holdout", 0.1, "checkout"},
                                               {"search-holdout", 0.1, "search"}};
  const auto snapshot = Snapshot::Build(experiments, holdouts);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  const CompiledExperiment* plain = (*snapshot)->Find("plain");
  const CompiledExperiment* layered = (*snapshot)->Find("in-layer");
  ASSERT_EQ(plain->holdouts.size(), 1u);
  EXPECT_EQ(plain->holdouts[0]->key, "global");
  ASSERT_EQ(layered->holdouts.size(), 2u);
  EXPECT_EQ(layered->holdouts[0]->key, "global");
  EXPECT_EQ(layered->holdouts[1]->key, "checkout-holdout");
}

TEST(SnapshotTest, KeepsAWinnerOnlyForStoppedExperiments) {
  ExperimentConfig stopped = RunningExperiment("stopped");
  stopped.status = ExperimentStatus::kStopped;
  stopped.winning_variant = 1;
  ExperimentConfig running = RunningExperiment("running");
  running.winning_variant = 1;  // ignored until the experiment is stopped
  const std::vector<ExperimentConfig> experiments = {stopped, running};
  const auto snapshot = Snapshot::Build(experiments);
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ((*snapshot)->Find("stopped")->winning_variant, 1);
  EXPECT_EQ((*snapshot)->Find("running")->winning_variant, -1);
}

TEST(SnapshotTest, ReportsTheOffendingEntryAndField) {
  {
    std::vector<ExperimentConfig> experiments = {RunningExperiment("a"), RunningExperiment("b")};
    experiments[1].variants[1].weight = -0.5;
    ExpectInvalid(Snapshot::Build(experiments).status(),
                  "experiments[1] (\"b\"): variants[1].weight must be >= 0, got -0.5");
  }
  {
    const std::vector<ExperimentConfig> experiments = {RunningExperiment("a"),
                                                       RunningExperiment("a")};
    ExpectInvalid(Snapshot::Build(experiments).status(),
                  "experiments[1] (\"a\"): key must be unique, also used by experiments[0]");
  }
  {
    std::vector<ExperimentConfig> experiments = {RunningExperiment("a")};
    experiments[0].condition = nlohmann::json::parse(R"({"a": {"$regex": "("}})");
    ExpectInvalid(
        Snapshot::Build(experiments).status(),
        "experiments[0] (\"a\"): condition[\"a\"].$regex: is not a valid regular expression");
  }
  {
    const std::vector<HoldoutConfig> holdouts = {{"h", 0.1, ""}, {"h", 0.2, ""}};
    ExpectInvalid(Snapshot::Build({}, holdouts).status(),
                  "holdouts[1] (\"h\"): key must be unique, also used by holdouts[0]");
  }
  {
    const std::vector<HoldoutConfig> holdouts = {{"h", 1.5, ""}};
    ExpectInvalid(Snapshot::Build({}, holdouts).status(),
                  "holdouts[0] (\"h\"): share must be in [0, 1], got 1.5");
  }
  {
    std::vector<ExperimentConfig> experiments = {RunningExperiment("a"), RunningExperiment("b")};
    for (auto& e : experiments) e.layer = "l";
    ExpectInvalid(Snapshot::Build(experiments).status(),
                  "layer \"l\": slices of running experiments must not overlap");
  }
}

TEST(SnapshotTest, EmptyConfigurationIsValid) {
  const auto snapshot = Snapshot::Build({});
  ASSERT_TRUE(snapshot.ok());
  EXPECT_TRUE((*snapshot)->experiments().empty());
  EXPECT_TRUE((*snapshot)->running().empty());
}

}  // namespace
}  // namespace lift::assignment
