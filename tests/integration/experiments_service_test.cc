// ExperimentService against a real PostgreSQL (a fresh migrated database per test): validation
// errors (code and message), the state machine, optimistic concurrency, phases, overrides, layers,
// holdouts, pagination and the audit log.
#include <atomic>
#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/experiments/experiment_service.h"
#include "server/store/connection_pool.h"
#include "tests/support/test_cluster.h"

namespace lift::experiments {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kActor[] = "alice";

void ExpectError(const absl::Status& status, absl::StatusCode code, const std::string& substring) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(substring));
}

Experiment Spec(const std::string& key) {
  Experiment e;
  e.key = key;
  e.name = "Green button";
  e.owner = "growth";
  e.tags = {"checkout"};
  e.variants = {{"control", 0.5, ""}, {"treatment", 0.5, R"({"color":"green"})"}};
  e.coverage = 0.5;
  return e;
}

class ExperimentServiceTest : public ::testing::Test {
 protected:
  ExperimentServiceTest()
      : pool_(database_.connection_string(), 4), store_(&pool_), service_(&store_) {}

  Experiment CreateOrDie(const Experiment& spec) {
    absl::StatusOr<Experiment> created = service_.Create(spec, kActor);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : Experiment();
  }

  Experiment StartOrDie(const std::string& key) {
    absl::StatusOr<Experiment> started = service_.Start(key, 0, kActor);
    EXPECT_TRUE(started.ok()) << started.status();
    return started.ok() ? *started : Experiment();
  }

  // Runs one query and returns its rows.
  pqxx::result Query(const std::string& sql) {
    pqxx::connection connection(database_.connection_string());
    pqxx::work tx(connection);
    pqxx::result rows = tx.exec(sql);
    tx.commit();
    return rows;
  }

  testing::TestDatabase database_;
  store::ConnectionPool pool_;
  ExperimentStore store_;
  ExperimentService service_;
};

// ---- Validation: every rule, with its code and the field it names ----

struct ValidationCase {
  const char* name;
  std::function<void(Experiment&)> mutate;
  const char* message;
};

TEST_F(ExperimentServiceTest, CreateRejectsEveryInvalidFieldNamingIt) {
  const std::vector<ValidationCase> cases = {
      {"key charset", [](Experiment& e) { e.key = "Checkout Button"; },
       "key must match [a-z0-9_.-]+, got \"Checkout Button\""},
      {"key empty", [](Experiment& e) { e.key = ""; }, "key must match [a-z0-9_.-]+"},
      {"key length", [](Experiment& e) { e.key = std::string(101, 'a'); },
       "key must be at most 100 characters, got 101"},
      {"name length", [](Experiment& e) { e.name = std::string(201, 'n'); },
       "name must be at most 200 characters, got 201"},
      {"hypothesis length", [](Experiment& e) { e.hypothesis = std::string(10001, 'h'); },
       "hypothesis must be at most 10000 characters"},
      {"owner length", [](Experiment& e) { e.owner = std::string(201, 'o'); },
       "owner must be at most 200 characters"},
      {"tag charset", [](Experiment& e) { e.tags = {"Q3!"}; },
       "tags[0] must match [a-z0-9_.-]+, got \"Q3!\""},
      {"tag duplicate",
       [](Experiment& e) {
         e.tags = {"a", "a"};
       },
       "tags[1] must be unique, \"a\" appears more than once"},
      {"too many tags", [](Experiment& e) { e.tags = std::vector<std::string>(51, "t"); },
       "tags must have at most 50 entries, got 51"},
      {"unit_type length", [](Experiment& e) { e.unit_type = std::string(101, 'u'); },
       "unit_type must be at most 100 characters"},
      {"one variant",
       [](Experiment& e) {
         e.variants = {{"only", 1.0, ""}};
       },
       "variants must have at least 2 entries, got 1"},
      {"too many variants",
       [](Experiment& e) {
         e.variants.clear();
         for (int i = 0; i < 101; ++i) e.variants.push_back({"v" + std::to_string(i), 0, ""});
       },
       "variants must have at most 100 entries, got 101"},
      {"empty variant key", [](Experiment& e) { e.variants[1].key = ""; },
       "variants[1].key must not be empty"},
      {"duplicate variant key", [](Experiment& e) { e.variants[1].key = "control"; },
       "variants[1].key must be unique, \"control\" appears more than once"},
      {"negative weight",
       [](Experiment& e) {
         e.variants[0].weight = -0.5;
         e.variants[1].weight = 1.5;
       },
       "variants[0].weight must be >= 0, got -0.5"},
      {"weights sum",
       [](Experiment& e) {
         e.variants[0].weight = 0.5;
         e.variants[1].weight = 0.4;
       },
       "variants[].weight must sum to 1 within 1e-9, got a sum of 0.9"},
      {"payload JSON", [](Experiment& e) { e.variants[1].payload = "{color: green"; },
       "variants[1].payload must be valid JSON"},
      {"payload size",
       [](Experiment& e) { e.variants[1].payload = "\"" + std::string(70000, 'x') + "\""; },
       "variants[1].payload must be at most 65536 bytes"},
      {"coverage", [](Experiment& e) { e.coverage = 1.5; }, "coverage must be in [0, 1], got 1.5"},
      {"hash version", [](Experiment& e) { e.hash_version = 3; },
       "hash_version must be 1 or 2, got 3"},
      {"seed length", [](Experiment& e) { e.seed = std::string(201, 's'); },
       "seed must be at most 200 characters"},
      {"condition JSON", [](Experiment& e) { e.condition = "{country: US}"; },
       "condition must be valid JSON"},
      {"condition operator", [](Experiment& e) { e.condition = R"({"a": {"$regx": "x"}})"; },
       "unknown operator $regx"},
      {"condition not object", [](Experiment& e) { e.condition = "[1, 2]"; }, "condition"},
      {"layer key", [](Experiment& e) { e.layer = "Bad Layer"; },
       "layer.layer must match [a-z0-9_.-]+"},
      {"layer slice",
       [](Experiment& e) {
         e.layer = "checkout";
         e.layer_start = 0.6;
         e.layer_end = 0.4;
       },
       "layer.start/layer.end must satisfy 0 <= start < end <= 1, got [0.6, 0.4)"},
      {"metric key", [](Experiment& e) { e.metrics.success = {"Conversion Rate"}; },
       "metrics.success[0] must match [a-z0-9_.-]+"},
      {"metric in two roles",
       [](Experiment& e) {
         e.metrics.success = {"conversion"};
         e.metrics.guardrails = {{"conversion", 0.01}};
       },
       "metrics.guardrails[0].metric_key names metric \"conversion\", already used by "
       "metrics.success[0]"},
      {"guardrail margin",
       [](Experiment& e) {
         e.metrics.guardrails = {{"latency", 1.5}};
       },
       "metrics.guardrails[0].non_inferiority_margin must be in [0, 1), got 1.5"},
  };
  for (const ValidationCase& c : cases) {
    SCOPED_TRACE(c.name);
    Experiment spec = Spec("valid-key");
    c.mutate(spec);
    ExpectError(service_.Create(spec, kActor).status(), absl::StatusCode::kInvalidArgument,
                c.message);
  }
  // Nothing was stored by the failed attempts.
  EXPECT_EQ(Query("SELECT count(*) FROM experiments")[0][0].as<int>(), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM audit_log")[0][0].as<int>(), 0);
}

TEST_F(ExperimentServiceTest, CreateAppliesDefaults) {
  Experiment spec;
  spec.key = "defaults";
  spec.variants = {{"a", 0, ""}, {"b", 0, ""}, {"c", 0, ""}};  // no weights: equal
  spec.unit_type = "";
  spec.hash_version = 0;
  spec.condition = "  {}  ";
  const Experiment created = CreateOrDie(spec);
  EXPECT_EQ(created.unit_type, "id");
  EXPECT_EQ(created.hash_version, 2);
  EXPECT_EQ(created.condition, "");
  EXPECT_DOUBLE_EQ(created.variants[0].weight, 1.0 / 3);
  EXPECT_EQ(created.status, ExperimentStatus::kDraft);
  EXPECT_EQ(created.version, 1);
  EXPECT_EQ(created.phase, 0);
  EXPECT_TRUE(created.phases.empty());
  EXPECT_EQ(created.created_by, kActor);
  EXPECT_GT(created.created_at_micros, 1'700'000'000'000'000);

  absl::StatusOr<Experiment> read = service_.Get("defaults");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->created_at_micros, created.created_at_micros);
  EXPECT_DOUBLE_EQ(read->variants[2].weight, 1.0 / 3);
}

TEST_F(ExperimentServiceTest, RoundTripsEveryField) {
  ASSERT_TRUE(service_.CreateLayer({"checkout", "Checkout", "", {}, 0, ""}, kActor).ok());
  Experiment spec = Spec("full");
  spec.hypothesis = "Green is easier to see";
  spec.tags = {"checkout", "q3"};
  spec.unit_type = "user_id";
  spec.seed = "custom-seed";
  spec.hash_version = 1;
  spec.condition = R"({"country": {"$in": ["US", "CA"]}})";
  spec.layer = "checkout";
  spec.layer_start = 0.25;
  spec.layer_end = 0.75;
  spec.metrics.success = {"purchase"};
  spec.metrics.secondary = {"revenue"};
  spec.metrics.guardrails = {{"latency", 0.02}};
  CreateOrDie(spec);
  absl::StatusOr<Experiment> read = service_.Get("full");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(ChangedFields(spec, *read).empty())
      << "changed: " << ::testing::PrintToString(ChangedFields(spec, *read));
  EXPECT_EQ(read->variants[1].payload, R"({"color":"green"})");
  EXPECT_EQ(read->metrics.guardrails[0].non_inferiority_margin, 0.02);
  EXPECT_THAT(read->tags, ElementsAre("checkout", "q3"));
}

TEST_F(ExperimentServiceTest, DuplicateKeysAndUnknownKeys) {
  CreateOrDie(Spec("dup"));
  ExpectError(service_.Create(Spec("dup"), kActor).status(), absl::StatusCode::kAlreadyExists,
              "experiment \"dup\" already exists");
  ExpectError(service_.Get("nope").status(), absl::StatusCode::kNotFound,
              "experiment \"nope\" does not exist");
  ExpectError(service_.Start("nope", 0, kActor).status(), absl::StatusCode::kNotFound,
              "experiment \"nope\" does not exist");
  ExpectError(service_.Stop("nope", "", 0, kActor).status(), absl::StatusCode::kNotFound,
              "does not exist");
  ExpectError(service_.Archive("nope", 0, kActor).status(), absl::StatusCode::kNotFound,
              "does not exist");
  ExpectError(service_.Update(Spec("nope"), {}, 1, kActor).status(), absl::StatusCode::kNotFound,
              "does not exist");
  ExpectError(service_.SetOverride({"nope", "u1", "control", 0, ""}, kActor).status(),
              absl::StatusCode::kNotFound, "does not exist");
  ExpectError(service_.ListOverrides("nope").status(), absl::StatusCode::kNotFound,
              "does not exist");
  Experiment in_missing_layer = Spec("layered");
  in_missing_layer.layer = "missing";
  ExpectError(service_.Create(in_missing_layer, kActor).status(), absl::StatusCode::kNotFound,
              "layer.layer: layer \"missing\" does not exist");
}

// ---- State machine ----

TEST_F(ExperimentServiceTest, StateMachineDraftRunningStoppedArchived) {
  CreateOrDie(Spec("flow"));
  ExpectError(service_.Stop("flow", "", 0, kActor).status(), absl::StatusCode::kFailedPrecondition,
              "cannot stop experiment \"flow\": it is draft (only running experiments can be "
              "stopped)");

  const Experiment running = StartOrDie("flow");
  EXPECT_EQ(running.status, ExperimentStatus::kRunning);
  EXPECT_EQ(running.version, 2);
  EXPECT_EQ(running.phase, 1);
  ASSERT_EQ(running.phases.size(), 1u);
  EXPECT_EQ(running.phases[0].reason, "started");
  EXPECT_EQ(running.phases[0].ended_at_micros, 0);
  EXPECT_EQ(running.phases[0].coverage, 0.5);

  ExpectError(service_.Start("flow", 0, kActor).status(), absl::StatusCode::kFailedPrecondition,
              "cannot start experiment \"flow\": it is running (only draft experiments can be "
              "started)");
  ExpectError(service_.Archive("flow", 0, kActor).status(), absl::StatusCode::kFailedPrecondition,
              "it is running (stop it first)");
  ExpectError(service_.Stop("flow", "purple", 0, kActor).status(),
              absl::StatusCode::kInvalidArgument,
              "winning_variant must name a variant of experiment \"flow\" (\"control\", "
              "\"treatment\"), got \"purple\"");

  absl::StatusOr<Experiment> stopped = service_.Stop("flow", "treatment", 0, kActor);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->status, ExperimentStatus::kStopped);
  EXPECT_EQ(stopped->winning_variant, "treatment");
  EXPECT_EQ(stopped->version, 3);
  EXPECT_GT(stopped->phases[0].ended_at_micros, 0);
  ExpectError(service_.Start("flow", 0, kActor).status(), absl::StatusCode::kFailedPrecondition,
              "it is stopped");
  ExpectError(service_.Stop("flow", "", 0, kActor).status(), absl::StatusCode::kFailedPrecondition,
              "it is stopped");

  absl::StatusOr<Experiment> archived = service_.Archive("flow", 0, kActor);
  ASSERT_TRUE(archived.ok()) << archived.status();
  EXPECT_EQ(archived->status, ExperimentStatus::kArchived);
  EXPECT_EQ(archived->version, 4);
  ExpectError(service_.Archive("flow", 0, kActor).status(), absl::StatusCode::kFailedPrecondition,
              "already archived");
  ExpectError(service_.Start("flow", 0, kActor).status(), absl::StatusCode::kFailedPrecondition,
              "it is archived");
  ExpectError(service_.Update(Spec("flow"), {"name"}, 4, kActor).status(),
              absl::StatusCode::kFailedPrecondition, "archived experiments are read-only");
  ExpectError(service_.SetOverride({"flow", "u1", "control", 0, ""}, kActor).status(),
              absl::StatusCode::kFailedPrecondition, "archived experiments are read-only");

  // Drafts can be archived directly; keys are never reused.
  CreateOrDie(Spec("draft-only"));
  EXPECT_TRUE(service_.Archive("draft-only", 0, kActor).ok());
  ExpectError(service_.Create(Spec("draft-only"), kActor).status(),
              absl::StatusCode::kAlreadyExists, "keys are never reused");
}

// ---- Optimistic concurrency ----

TEST_F(ExperimentServiceTest, StaleVersionIsAborted) {
  CreateOrDie(Spec("cc"));
  Experiment change = Spec("cc");
  change.name = "first";
  absl::StatusOr<UpdateResult> first = service_.Update(change, {"name"}, 1, kActor);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->experiment.version, 2);

  change.name = "second";
  ExpectError(service_.Update(change, {"name"}, 1, kActor).status(), absl::StatusCode::kAborted,
              "experiment \"cc\" was changed concurrently: expected version 1, stored version is "
              "2");
  ExpectError(service_.Start("cc", 1, kActor).status(), absl::StatusCode::kAborted,
              "expected version 1");
  ExpectError(service_.Update(change, {"name"}, 0, kActor).status(),
              absl::StatusCode::kInvalidArgument,
              "expected_version must be the version you read (> 0), got 0");
  ExpectError(service_.Start("cc", -1, kActor).status(), absl::StatusCode::kInvalidArgument,
              "expected_version must be >= 0");
  EXPECT_TRUE(service_.Start("cc", 2, kActor).ok());
}

TEST_F(ExperimentServiceTest, StartCanBackdateTheFirstPhaseWithinAYear) {
  CreateOrDie(Spec("imported"));
  const int64_t now = absl::ToUnixMicros(absl::Now());
  const int64_t three_weeks_ago = now - int64_t{21} * 24 * 3600 * 1'000'000;
  ExpectError(service_.Start("imported", 0, kActor, now + 3'600'000'000).status(),
              absl::StatusCode::kInvalidArgument, "started_at_micros must not be in the future");
  ExpectError(service_.Start("imported", 0, kActor, now - kMaxBackdateMicros - 3'600'000'000)
                  .status(),
              absl::StatusCode::kInvalidArgument, "started_at_micros must be at most 366 days ago");
  absl::StatusOr<Experiment> started = service_.Start("imported", 0, kActor, three_weeks_ago);
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_EQ(started->phases.size(), 1u);
  EXPECT_EQ(started->phases[0].started_at_micros, three_weeks_ago);
  absl::StatusOr<Experiment> stored = service_.Get("imported");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->phases[0].started_at_micros, three_weeks_ago);
}

TEST_F(ExperimentServiceTest, ConcurrentUpdatesOfOneVersionExactlyOneWins) {
  CreateOrDie(Spec("race"));
  constexpr int kWriters = 6;
  std::atomic<int> ok{0};
  std::atomic<int> aborted{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      Experiment change = Spec("race");
      change.name = "writer " + std::to_string(i);
      absl::Status status = service_.Update(change, {"name"}, 1, kActor).status();
      if (status.ok()) ++ok;
      if (status.code() == absl::StatusCode::kAborted) ++aborted;
    });
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(aborted.load(), kWriters - 1);
  EXPECT_EQ(service_.Get("race")->version, 2);
}

// ---- Update rules and phases ----

TEST_F(ExperimentServiceTest, UpdateMaskSelectsFieldsAndRejectsOutputFields) {
  CreateOrDie(Spec("mask"));
  Experiment change = Spec("mask");
  change.name = "renamed";
  change.owner = "someone-else";  // not in the mask: unchanged
  absl::StatusOr<UpdateResult> result = service_.Update(change, {"name"}, 1, kActor);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->experiment.name, "renamed");
  EXPECT_EQ(result->experiment.owner, "growth");
  ExpectError(service_.Update(change, {"name", "status"}, 2, kActor).status(),
              absl::StatusCode::kInvalidArgument,
              "update_mask.paths[1]: \"status\" is not an editable field");
  // Invalid values are refused on update too, naming the field.
  change.coverage = -1;
  ExpectError(service_.Update(change, {"coverage"}, 2, kActor).status(),
              absl::StatusCode::kInvalidArgument, "coverage must be in [0, 1], got -1");
}

TEST_F(ExperimentServiceTest, NoOpUpdateKeepsTheVersion) {
  CreateOrDie(Spec("noop"));
  absl::StatusOr<UpdateResult> result = service_.Update(Spec("noop"), {}, 1, kActor);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->changed);
  EXPECT_EQ(result->experiment.version, 1);
}

TEST_F(ExperimentServiceTest, DraftChangesNeedNoPhase) {
  CreateOrDie(Spec("draft"));
  Experiment change = Spec("draft");
  change.variants = {{"control", 0.2, ""}, {"treatment", 0.8, ""}};
  absl::StatusOr<UpdateResult> result = service_.Update(change, {"variants"}, 1, kActor);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->new_phase);
  EXPECT_TRUE(result->experiment.phases.empty());
  EXPECT_EQ(result->experiment.variants[1].weight, 0.8);
}

TEST_F(ExperimentServiceTest, RunningExperimentPhases) {
  CreateOrDie(Spec("phased"));
  StartOrDie("phased");

  // Raising coverage stays in phase 1 and records the new coverage on the phase.
  Experiment change = Spec("phased");
  change.coverage = 0.8;
  absl::StatusOr<UpdateResult> raised = service_.Update(change, {"coverage"}, 2, kActor);
  ASSERT_TRUE(raised.ok()) << raised.status();
  EXPECT_TRUE(raised->changed);
  EXPECT_FALSE(raised->new_phase);
  EXPECT_EQ(raised->experiment.phase, 1);
  ASSERT_EQ(raised->experiment.phases.size(), 1u);
  EXPECT_EQ(raised->experiment.phases[0].coverage, 0.8);

  // Payloads and names do not start a phase either.
  change.variants[1].payload = R"({"color":"darkgreen"})";
  change.name = "Dark green";
  absl::StatusOr<UpdateResult> cosmetic = service_.Update(change, {}, 3, kActor);
  ASSERT_TRUE(cosmetic.ok()) << cosmetic.status();
  EXPECT_FALSE(cosmetic->new_phase);

  // Changing a weight starts phase 2; phase 1 ends when phase 2 begins.
  change.variants[0].weight = 0.3;
  change.variants[1].weight = 0.7;
  absl::StatusOr<UpdateResult> reweighted = service_.Update(change, {}, 4, kActor);
  ASSERT_TRUE(reweighted.ok()) << reweighted.status();
  EXPECT_TRUE(reweighted->new_phase);
  EXPECT_EQ(reweighted->new_phase_reason, "variants[0].weight changed from 0.5 to 0.3");
  const Experiment& e = reweighted->experiment;
  EXPECT_EQ(e.phase, 2);
  ASSERT_EQ(e.phases.size(), 2u);
  EXPECT_EQ(e.phases[0].ended_at_micros, e.phases[1].started_at_micros);
  EXPECT_GT(e.phases[0].ended_at_micros, 0);
  EXPECT_EQ(e.phases[1].ended_at_micros, 0);
  EXPECT_EQ(e.phases[1].variants[1].weight, 0.7);
  EXPECT_EQ(e.phases[0].variants[1].weight, 0.5);
  EXPECT_EQ(e.phases[1].reason, "variants[0].weight changed from 0.5 to 0.3");

  // Lowering coverage and adding a variant each start a phase too.
  change.coverage = 0.4;
  absl::StatusOr<UpdateResult> lowered = service_.Update(change, {"coverage"}, 5, kActor);
  ASSERT_TRUE(lowered.ok()) << lowered.status();
  EXPECT_EQ(lowered->new_phase_reason, "coverage lowered from 0.8 to 0.4");
  change.variants = {{"control", 0.5, ""}, {"treatment", 0.25, ""}, {"blue", 0.25, ""}};
  absl::StatusOr<UpdateResult> added = service_.Update(change, {"variants"}, 6, kActor);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->new_phase_reason, "number of variants changed from 2 to 3");
  EXPECT_EQ(added->experiment.phase, 4);

  // The stored phases agree with what the service returned.
  absl::StatusOr<Experiment> read = service_.Get("phased");
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->phases.size(), 4u);
  EXPECT_EQ(read->phases[3].variants.size(), 3u);
  EXPECT_EQ(read->phases[2].coverage, 0.4);
  EXPECT_EQ(read->phases[0].reason, "started");

  // Stopping ends the last phase.
  absl::StatusOr<Experiment> stopped = service_.Stop("phased", "", 0, kActor);
  ASSERT_TRUE(stopped.ok());
  EXPECT_GT(stopped->phases.back().ended_at_micros, 0);
}

TEST_F(ExperimentServiceTest, StoppedExperimentsAcceptOnlyDescriptiveChanges) {
  CreateOrDie(Spec("stopped"));
  StartOrDie("stopped");
  ASSERT_TRUE(service_.Stop("stopped", "", 0, kActor).ok());
  Experiment change = Spec("stopped");
  change.hypothesis = "In hindsight: colour did not matter";
  absl::StatusOr<UpdateResult> described = service_.Update(change, {"hypothesis"}, 3, kActor);
  ASSERT_TRUE(described.ok()) << described.status();
  change.variants[0].weight = 0.9;
  change.variants[1].weight = 0.1;
  ExpectError(service_.Update(change, {"variants"}, 4, kActor).status(),
              absl::StatusCode::kFailedPrecondition,
              "cannot change variants of experiment \"stopped\": it is stopped (only name, "
              "hypothesis, owner, tags and metrics can change)");
}

// ---- Overrides ----

TEST_F(ExperimentServiceTest, Overrides) {
  CreateOrDie(Spec("qa"));
  ExpectError(service_.SetOverride({"qa", "", "control", 0, ""}, kActor).status(),
              absl::StatusCode::kInvalidArgument, "unit_id must not be empty");
  ExpectError(
      service_.SetOverride({"qa", std::string(201, 'u'), "control", 0, ""}, kActor).status(),
      absl::StatusCode::kInvalidArgument, "unit_id must be at most 200 characters");
  ExpectError(service_.SetOverride({"qa", "u1", "purple", 0, ""}, kActor).status(),
              absl::StatusCode::kInvalidArgument,
              "variant_key must name a variant of experiment \"qa\" (\"control\", \"treatment\"), "
              "got \"purple\"");

  ASSERT_TRUE(service_.SetOverride({"qa", "u1", "control", 0, ""}, kActor).ok());
  ASSERT_TRUE(service_.SetOverride({"qa", "u2", "treatment", 0, ""}, kActor).ok());
  absl::StatusOr<Override> replaced = service_.SetOverride({"qa", "u1", "treatment", 0, ""}, "bob");
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_EQ(replaced->created_by, "bob");

  absl::StatusOr<std::vector<Override>> listed = service_.ListOverrides("qa");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].unit_id, "u1");
  EXPECT_EQ((*listed)[0].variant_key, "treatment");
  EXPECT_EQ((*listed)[1].unit_id, "u2");

  // A variant with overrides cannot be removed or renamed.
  Experiment change = Spec("qa");
  change.variants = {{"control", 0.5, ""}, {"green", 0.5, ""}};
  ExpectError(service_.Update(change, {"variants"}, 1, kActor).status(),
              absl::StatusCode::kFailedPrecondition,
              "variants: variant \"treatment\" of experiment \"qa\" has forced overrides");

  ASSERT_TRUE(service_.ClearOverride("qa", "u1", kActor).ok());
  ExpectError(service_.ClearOverride("qa", "u1", kActor), absl::StatusCode::kNotFound,
              "experiment \"qa\" has no override for unit \"u1\"");
  ExpectError(service_.ClearOverride("missing", "u1", kActor), absl::StatusCode::kNotFound,
              "experiment \"missing\" does not exist");
  EXPECT_EQ(service_.ListOverrides("qa")->size(), 1u);
}

// ---- Layers ----

TEST_F(ExperimentServiceTest, RunningSlicesOfALayerCannotOverlap) {
  ExpectError(service_.CreateLayer({"Bad Key", "", "", {}, 0, ""}, kActor).status(),
              absl::StatusCode::kInvalidArgument, "key must match [a-z0-9_.-]+");
  ASSERT_TRUE(service_.CreateLayer({"checkout", "Checkout", "", {}, 0, ""}, kActor).ok());
  ExpectError(service_.CreateLayer({"checkout", "", "", {}, 0, ""}, kActor).status(),
              absl::StatusCode::kAlreadyExists, "layer \"checkout\" already exists");

  auto in_layer = [](const std::string& key, double start, double end) {
    Experiment e = Spec(key);
    e.layer = "checkout";
    e.layer_start = start;
    e.layer_end = end;
    return e;
  };
  CreateOrDie(in_layer("a", 0.0, 0.5));
  CreateOrDie(in_layer("b", 0.4, 1.0));  // overlaps a: fine while it is a draft
  CreateOrDie(in_layer("c", 0.5, 1.0));
  StartOrDie("a");
  ExpectError(service_.Start("b", 0, kActor).status(), absl::StatusCode::kFailedPrecondition,
              "layer \"checkout\": slices of running experiments must not overlap, but \"a\" has "
              "[0, 0.5) and \"b\" has [0.4, 1)");
  StartOrDie("c");  // adjacent, not overlapping

  // A running experiment cannot widen its slice into a neighbour's.
  Experiment widen = in_layer("a", 0.0, 0.6);
  ExpectError(service_.Update(widen, {"layer"}, 2, kActor).status(),
              absl::StatusCode::kFailedPrecondition, "must not overlap");

  absl::StatusOr<std::vector<Layer>> layers = service_.ListLayers();
  ASSERT_TRUE(layers.ok()) << layers.status();
  ASSERT_EQ(layers->size(), 1u);
  ASSERT_EQ((*layers)[0].running.size(), 2u);
  EXPECT_EQ((*layers)[0].running[0].experiment_key, "a");
  EXPECT_EQ((*layers)[0].running[1].experiment_key, "c");
  EXPECT_EQ((*layers)[0].running[1].start, 0.5);

  // Once a stops, b fits.
  ASSERT_TRUE(service_.Stop("a", "", 0, kActor).ok());
  ExpectError(service_.Start("b", 0, kActor).status(), absl::StatusCode::kFailedPrecondition,
              "\"b\" has [0.4, 1) and \"c\" has [0.5, 1)");
}

// ---- Holdouts ----

TEST_F(ExperimentServiceTest, Holdouts) {
  ASSERT_TRUE(service_.CreateLayer({"search", "", "", {}, 0, ""}, kActor).ok());
  ExpectError(service_.CreateHoldout({"h", "", "", 1.5, "", 0, ""}, kActor).status(),
              absl::StatusCode::kInvalidArgument, "share must be in [0, 1], got 1.5");
  ExpectError(service_.CreateHoldout({"H!", "", "", 0.1, "", 0, ""}, kActor).status(),
              absl::StatusCode::kInvalidArgument, "key must match [a-z0-9_.-]+");
  ExpectError(service_.CreateHoldout({"h", "", "", 0.1, "nope", 0, ""}, kActor).status(),
              absl::StatusCode::kNotFound, "layer: layer \"nope\" does not exist");
  ASSERT_TRUE(service_.CreateHoldout({"global", "Global", "", 0.05, "", 0, ""}, kActor).ok());
  ASSERT_TRUE(service_.CreateHoldout({"search-10", "", "", 0.1, "search", 0, ""}, kActor).ok());
  ExpectError(service_.CreateHoldout({"global", "", "", 0.05, "", 0, ""}, kActor).status(),
              absl::StatusCode::kAlreadyExists, "holdout \"global\" already exists");
  absl::StatusOr<std::vector<Holdout>> listed = service_.ListHoldouts();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key, "global");
  EXPECT_EQ((*listed)[0].layer, "");
  EXPECT_EQ((*listed)[1].layer, "search");
  EXPECT_EQ((*listed)[1].share, 0.1);
  ASSERT_TRUE(service_.DeleteHoldout("global", kActor).ok());
  ExpectError(service_.DeleteHoldout("global", kActor), absl::StatusCode::kNotFound,
              "holdout \"global\" does not exist");
  EXPECT_EQ(service_.ListHoldouts()->size(), 1u);
}

// ---- Listing ----

TEST_F(ExperimentServiceTest, ListFiltersAndPaginates) {
  for (int i = 0; i < 7; ++i) {
    Experiment e = Spec("exp-" + std::to_string(i));
    e.owner = i % 2 == 0 ? "even" : "odd";
    e.tags = {i < 3 ? "early" : "late"};
    CreateOrDie(e);
  }
  StartOrDie("exp-1");
  StartOrDie("exp-4");

  std::vector<std::string> keys;
  std::string token;
  int pages = 0;
  do {
    absl::StatusOr<ExperimentPage> page = service_.List({}, 3, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const Experiment& e : page->experiments) keys.push_back(e.key);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(keys, ElementsAre("exp-0", "exp-1", "exp-2", "exp-3", "exp-4", "exp-5", "exp-6"));

  ExperimentFilter running;
  running.status = ExperimentStatus::kRunning;
  absl::StatusOr<ExperimentPage> page = service_.List(running, 0, "");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->experiments.size(), 2u);
  EXPECT_EQ(page->experiments[1].key, "exp-4");
  EXPECT_EQ(page->experiments[1].phases.size(), 1u);  // phases come with the list

  ExperimentFilter odd_and_late;
  odd_and_late.owner = "odd";
  odd_and_late.tag = "late";
  page = service_.List(odd_and_late, 0, "");
  ASSERT_TRUE(page.ok());
  std::vector<std::string> filtered;
  for (const Experiment& e : page->experiments) filtered.push_back(e.key);
  EXPECT_THAT(filtered, ElementsAre("exp-3", "exp-5"));

  ExpectError(service_.List({}, -1, "").status(), absl::StatusCode::kInvalidArgument,
              "page.page_size must be >= 0, got -1");
  ExpectError(service_.List({}, 10, "garbage!").status(), absl::StatusCode::kInvalidArgument,
              "page.page_token is not a token returned by ListExperiments");
}

// ---- Audit log ----

TEST_F(ExperimentServiceTest, EveryChangeIsAuditedWithActorAndBeforeAfter) {
  ASSERT_TRUE(service_.CreateLayer({"l", "", "", {}, 0, ""}, "carol").ok());
  CreateOrDie(Spec("audited"));
  Experiment change = Spec("audited");
  change.name = "Renamed";
  ASSERT_TRUE(service_.Update(change, {"name"}, 1, kActor).ok());
  StartOrDie("audited");
  ASSERT_TRUE(service_.SetOverride({"audited", "u1", "control", 0, ""}, kActor).ok());
  ASSERT_TRUE(service_.ClearOverride("audited", "u1", kActor).ok());
  ASSERT_TRUE(service_.Stop("audited", "control", 0, kActor).ok());
  ASSERT_TRUE(service_.Archive("audited", 0, kActor).ok());
  ASSERT_TRUE(service_.CreateHoldout({"h", "", "", 0.1, "", 0, ""}, kActor).ok());
  ASSERT_TRUE(service_.DeleteHoldout("h", kActor).ok());
  // A refused change writes nothing.
  EXPECT_FALSE(service_.Start("audited", 0, kActor).ok());

  const pqxx::result rows = Query(
      "SELECT actor, action, entity_type, entity_key, before IS NULL, after IS NULL, "
      "coalesce(before->>'version', ''), coalesce(after->>'version', ''), "
      "coalesce(after->>'name', '') FROM audit_log ORDER BY id");
  std::vector<std::string> actions;
  for (const pqxx::row& row : rows) actions.push_back(row[1].as<std::string>());
  EXPECT_THAT(actions,
              ElementsAre("layer.create", "experiment.create", "experiment.update",
                          "experiment.start", "override.set", "override.clear", "experiment.stop",
                          "experiment.archive", "holdout.create", "holdout.delete"));
  EXPECT_EQ(rows[0][0].as<std::string>(), "carol");
  EXPECT_EQ(rows[1][0].as<std::string>(), kActor);
  // create: no before; update: before version 1, after version 2 with the new name.
  EXPECT_TRUE(rows[1][4].as<bool>());
  EXPECT_FALSE(rows[1][5].as<bool>());
  EXPECT_EQ(rows[2][2].as<std::string>(), "experiment");
  EXPECT_EQ(rows[2][3].as<std::string>(), "audited");
  EXPECT_EQ(rows[2][6].as<std::string>(), "1");
  EXPECT_EQ(rows[2][7].as<std::string>(), "2");
  EXPECT_EQ(rows[2][8].as<std::string>(), "Renamed");
  EXPECT_EQ(rows[4][3].as<std::string>(), "audited/u1");
  EXPECT_TRUE(rows[5][5].as<bool>());  // override.clear: no after
  EXPECT_TRUE(rows[9][5].as<bool>());  // holdout.delete: no after
  // The update records which fields changed.
  EXPECT_EQ(Query("SELECT after->'changed_fields' FROM audit_log WHERE action = "
                  "'experiment.update'")[0][0]
                .as<std::string>(),
            "[\"name\"]");
}

TEST_F(ExperimentServiceTest, EveryChangeBumpsTheConfigVersion) {
  auto version = [&] { return Query("SELECT version FROM config_version")[0][0].as<int64_t>(); };
  const int64_t initial = version();
  CreateOrDie(Spec("v"));
  const int64_t after_create = version();
  EXPECT_GT(after_create, initial);
  StartOrDie("v");
  EXPECT_GT(version(), after_create);
  const int64_t before_failure = version();
  EXPECT_FALSE(service_.Start("v", 0, kActor).ok());  // rolled back: no bump
  EXPECT_EQ(version(), before_failure);
}

}  // namespace
}  // namespace lift::experiments
