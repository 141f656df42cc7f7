// End-to-end: experiments and assignment through the real liftd binary over real gRPC channels,
// and the real liftctl binary. Covers the wire mapping of every status code, Assign/AssignBatch
// against the engine's hashing, request validation, stickiness across liftd restarts, and Assign
// answering with zero errors while the database is stopped.
#include <google/protobuf/field_mask.pb.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "clients/cpp/lift_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/assignment/hash.h"
#include "server/embedded_pg/embedded_postgres.h"
#include "server/embedded_pg/process.h"
#include "tests/support/liftd_process.h"

namespace lift {
namespace {

using ::testing::HasSubstr;
using testing::LiftdProcess;
using ::testing::Not;
using testing::TempDir;

constexpr auto kPatience = std::chrono::seconds(30);

bool WaitFor(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

void ExpectError(const absl::Status& status, absl::StatusCode code, const std::string& substring) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(substring));
}

v1::Experiment Spec(const std::string& key) {
  v1::Experiment e;
  e.set_key(key);
  e.set_name("End to end");
  for (const char* variant : {"control", "treatment"}) {
    v1::Variant* v = e.add_variants();
    v->set_key(variant);
    v->set_weight(0.5);
  }
  e.mutable_variants(1)->set_payload(R"({"color":"green"})");
  return e;
}

v1::AssignRequest AssignFor(const std::string& unit_id, std::vector<std::string> keys) {
  v1::AssignRequest request;
  (*request.mutable_unit()->mutable_attributes())["id"] = unit_id;
  for (const std::string& key : keys) request.add_experiment_keys(key);
  return request;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

using testing::CommandResult;

// Runs the real liftctl binary against `server`.
CommandResult Liftctl(const std::string& server, const std::vector<std::string>& args) {
  return testing::RunLiftctl(server, args);
}

class ExperimentsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { StartLiftd(); }

  void StartLiftd() {
    auto started = LiftdProcess::Start({"--data-dir", (data_dir_.path() / "data").string()});
    ASSERT_TRUE(started.ok()) << started.status();
    liftd_ = std::move(*started);
    client::ClientOptions options;
    options.server = liftd_->address();
    client_ = std::make_unique<client::Client>(options);
  }

  void RestartLiftd() {
    ASSERT_EQ(liftd_->StopWith(SIGTERM), 0) << liftd_->Output();
    StartLiftd();
  }

  // Creates and starts `spec`, then waits until Assign on this server sees it running.
  void Launch(const v1::Experiment& spec) {
    auto created = client_->CreateExperiment(spec);
    ASSERT_TRUE(created.ok()) << created.status();
    auto started = client_->StartExperiment(spec.key());
    ASSERT_TRUE(started.ok()) << started.status();
    ASSERT_TRUE(WaitFor([&] {
      auto response = client_->Assign(AssignFor("probe", {spec.key()}));
      return response.ok() &&
             response->assignments(0).reason() != v1::ASSIGNMENT_REASON_NOT_RUNNING &&
             response->assignments(0).reason() != v1::ASSIGNMENT_REASON_UNKNOWN_EXPERIMENT;
    }));
  }

  TempDir data_dir_;
  std::unique_ptr<LiftdProcess> liftd_;
  std::unique_ptr<client::Client> client_;
};

TEST_F(ExperimentsE2eTest, AssignMatchesGrowthBookHashingAndAssignBatchAgrees) {
  Launch(Spec("wire"));
  std::vector<v1::Assignment> singles;
  v1::AssignBatchRequest batch;
  for (int unit = 0; unit < 200; ++unit) {
    const std::string id = "user-" + std::to_string(unit);
    auto response = client_->Assign(AssignFor(id, {"wire"}));
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_EQ(response->assignments_size(), 1);
    const v1::Assignment& a = response->assignments(0);
    // Hash v2 with the key as seed, 50/50 at full coverage: [0, 0.5) control, [0.5, 1) treatment.
    const double bucket = assignment::HashV2("wire", id);
    EXPECT_EQ(a.reason(), v1::ASSIGNMENT_REASON_SPLIT);
    EXPECT_TRUE(a.has_bucket());
    EXPECT_EQ(a.bucket(), bucket);
    EXPECT_EQ(a.variant_key(), bucket < 0.5 ? "control" : "treatment");
    EXPECT_EQ(a.variant_index(), bucket < 0.5 ? 0 : 1);
    EXPECT_EQ(a.payload(), bucket < 0.5 ? "" : R"({"color":"green"})");
    EXPECT_TRUE(a.in_experiment());
    EXPECT_EQ(a.phase(), 1);
    EXPECT_EQ(a.experiment_key(), "wire");
    EXPECT_GT(response->config_version(), 1);
    singles.push_back(a);
    (*batch.add_units()->mutable_attributes())["id"] = id;
  }
  // AssignBatch with no keys: every running experiment, listed once as the columns.
  auto batch_response = client_->AssignBatch(batch);
  ASSERT_TRUE(batch_response.ok()) << batch_response.status();
  ASSERT_EQ(batch_response->experiment_keys_size(), 1);
  EXPECT_EQ(batch_response->experiment_keys(0), "wire");
  ASSERT_EQ(batch_response->units_size(), 200);
  // Keys and payloads come once per column; each unit's answer refers to them by index.
  ASSERT_EQ(batch_response->variants_size(), 1);
  const v1::ColumnVariants& column = batch_response->variants(0);
  ASSERT_EQ(column.keys_size(), 2);
  EXPECT_EQ(column.keys(1), "treatment");
  EXPECT_EQ(column.payloads(0), "");
  EXPECT_EQ(column.payloads(1), R"({"color":"green"})");
  for (int unit = 0; unit < 200; ++unit) {
    const v1::Assignment& a = batch_response->units(unit).assignments(0);
    const v1::Assignment& single = singles[static_cast<size_t>(unit)];
    EXPECT_EQ(a.experiment_key(), "");
    EXPECT_EQ(a.variant_key(), "");
    EXPECT_EQ(a.payload(), "");
    EXPECT_EQ(a.variant_index(), single.variant_index());
    EXPECT_EQ(column.keys(a.variant_index()), single.variant_key());
    EXPECT_EQ(column.payloads(a.variant_index()), single.payload());
    EXPECT_EQ(a.bucket(), single.bucket());
    EXPECT_EQ(a.reason(), single.reason());
    EXPECT_EQ(a.phase(), single.phase());
  }
  // Unknown keys answer, they do not fail.
  auto unknown = client_->Assign(AssignFor("u1", {"no-such-experiment", "wire"}));
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->assignments(0).reason(), v1::ASSIGNMENT_REASON_UNKNOWN_EXPERIMENT);
  EXPECT_EQ(unknown->assignments(0).variant_index(), -1);
  EXPECT_FALSE(unknown->assignments(0).has_bucket());
  EXPECT_EQ(unknown->assignments(1).reason(), v1::ASSIGNMENT_REASON_SPLIT);
  // log_exposure is accepted (the no-op sink until ingest is wired in).
  v1::AssignRequest logged = AssignFor("u1", {"wire"});
  logged.set_log_exposure(true);
  auto logged_response = client_->Assign(logged);
  ASSERT_TRUE(logged_response.ok()) << logged_response.status();
  EXPECT_TRUE(logged_response->exposures_accepted());
}

TEST_F(ExperimentsE2eTest, TypedAttributesDriveTargeting) {
  v1::Experiment spec = Spec("adults");
  spec.set_condition(R"({"age": {"$gte": 18}, "beta": true})");
  spec.set_unit_type("user_id");
  Launch(spec);
  auto assign_json = [&](const std::string& json) {
    v1::AssignRequest request;
    request.mutable_unit()->set_attributes_json(json);
    request.add_experiment_keys("adults");
    auto response = client_->Assign(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->assignments(0).reason() : v1::ASSIGNMENT_REASON_UNSPECIFIED;
  };
  EXPECT_EQ(assign_json(R"({"user_id": "u1", "age": 30, "beta": true})"),
            v1::ASSIGNMENT_REASON_SPLIT);
  EXPECT_EQ(assign_json(R"({"user_id": "u1", "age": 12, "beta": true})"),
            v1::ASSIGNMENT_REASON_TARGETING_MISS);
  EXPECT_EQ(assign_json(R"({"user_id": 42, "age": 30, "beta": true})"),
            v1::ASSIGNMENT_REASON_SPLIT);  // numeric ids use their string form
  EXPECT_EQ(assign_json(R"({"id": "u1", "age": 30, "beta": true})"),
            v1::ASSIGNMENT_REASON_MISSING_UNIT_ID);  // the unit type is user_id
}

TEST_F(ExperimentsE2eTest, AssignValidationErrorsNameTheField) {
  Launch(Spec("valid"));
  v1::AssignRequest empty;
  empty.add_experiment_keys("valid");
  ExpectError(client_->Assign(empty).status(), absl::StatusCode::kInvalidArgument,
              "unit: attributes are required");
  v1::AssignRequest both = AssignFor("u1", {"valid"});
  both.mutable_unit()->set_attributes_json(R"({"id": "u1"})");
  ExpectError(client_->Assign(both).status(), absl::StatusCode::kInvalidArgument,
              "unit: set attributes or attributes_json, not both");
  v1::AssignRequest not_object;
  not_object.mutable_unit()->set_attributes_json("[1, 2]");
  ExpectError(client_->Assign(not_object).status(), absl::StatusCode::kInvalidArgument,
              "unit.attributes_json must be a JSON object");
  v1::AssignRequest too_long;
  too_long.mutable_unit()->set_attributes_json(R"({"id": ")" + std::string(70 * 1024, 'x') +
                                               R"("})");
  ExpectError(client_->Assign(too_long).status(), absl::StatusCode::kInvalidArgument,
              "unit.attributes_json must be at most 65536 bytes");
  v1::AssignRequest many_attributes = AssignFor("u1", {"valid"});
  for (int i = 0; i < 100; ++i) {
    (*many_attributes.mutable_unit()->mutable_attributes())["a" + std::to_string(i)] = "x";
  }
  ExpectError(client_->Assign(many_attributes).status(), absl::StatusCode::kInvalidArgument,
              "unit.attributes must have at most 100 entries, got 101");
  v1::AssignRequest many_keys = AssignFor("u1", {});
  for (int i = 0; i < 1001; ++i) many_keys.add_experiment_keys("k" + std::to_string(i));
  ExpectError(client_->Assign(many_keys).status(), absl::StatusCode::kInvalidArgument,
              "experiment_keys must have at most 1000 entries, got 1001");
  ExpectError(client_->Assign(AssignFor("u1", {"valid", ""})).status(),
              absl::StatusCode::kInvalidArgument, "experiment_keys[1] must not be empty");

  ExpectError(client_->AssignBatch(v1::AssignBatchRequest()).status(),
              absl::StatusCode::kInvalidArgument, "units must have 1 to 10000 entries, got 0");
  v1::AssignBatchRequest huge;
  for (int i = 0; i < 10001; ++i) (*huge.add_units()->mutable_attributes())["id"] = "u";
  ExpectError(client_->AssignBatch(huge).status(), absl::StatusCode::kInvalidArgument,
              "units must have 1 to 10000 entries, got 10001");
  v1::AssignBatchRequest bad_unit;
  (*bad_unit.add_units()->mutable_attributes())["id"] = "u1";
  bad_unit.add_units()->set_attributes_json("not json");
  ExpectError(client_->AssignBatch(bad_unit).status(), absl::StatusCode::kInvalidArgument,
              "units[1].attributes_json must be a JSON object");
}

TEST_F(ExperimentsE2eTest, ExperimentServiceMapsEveryCodeOverTheWire) {
  v1::Experiment invalid = Spec("bad");
  invalid.mutable_variants(0)->set_weight(0.7);
  ExpectError(client_->CreateExperiment(invalid).status(), absl::StatusCode::kInvalidArgument,
              "variants[].weight must sum to 1 within 1e-9, got a sum of 1.2");
  auto created = client_->CreateExperiment(Spec("codes"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->coverage(), 1.0);  // unset coverage means 1
  EXPECT_EQ(created->status(), v1::EXPERIMENT_STATUS_DRAFT);
  EXPECT_EQ(created->created_by(), "anonymous");
  ExpectError(client_->CreateExperiment(Spec("codes")).status(), absl::StatusCode::kAlreadyExists,
              "already exists");
  ExpectError(client_->GetExperiment("nope").status(), absl::StatusCode::kNotFound,
              "experiment \"nope\" does not exist");

  // Update with a field mask, then a stale version.
  v1::UpdateExperimentRequest update;
  *update.mutable_experiment() = Spec("codes");
  update.mutable_experiment()->set_coverage(0.25);
  update.mutable_experiment()->set_name("ignored: not in the mask");
  update.mutable_update_mask()->add_paths("coverage");
  update.set_expected_version(1);
  auto updated = client_->UpdateExperiment(update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(updated->changed());
  EXPECT_EQ(updated->experiment().coverage(), 0.25);
  EXPECT_EQ(updated->experiment().name(), "End to end");
  EXPECT_EQ(updated->experiment().version(), 2);
  ExpectError(client_->UpdateExperiment(update).status(), absl::StatusCode::kAborted,
              "expected version 1, stored version is 2");

  // Phases over the wire: a weight change of a running experiment starts phase 2.
  ASSERT_TRUE(client_->StartExperiment("codes", 2).ok());
  update.mutable_update_mask()->Clear();
  update.mutable_experiment()->mutable_variants(0)->set_weight(0.2);
  update.mutable_experiment()->mutable_variants(1)->set_weight(0.8);
  update.set_expected_version(3);
  auto rephased = client_->UpdateExperiment(update);
  ASSERT_TRUE(rephased.ok()) << rephased.status();
  EXPECT_TRUE(rephased->new_phase());
  EXPECT_EQ(rephased->new_phase_reason(), "variants[0].weight changed from 0.5 to 0.2");
  EXPECT_EQ(rephased->experiment().phase(), 2);
  EXPECT_EQ(rephased->experiment().phases_size(), 2);

  ExpectError(client_->ArchiveExperiment("codes").status(), absl::StatusCode::kFailedPrecondition,
              "stop it first");
  ASSERT_TRUE(client_->StopExperiment("codes", "treatment").ok());
  ASSERT_TRUE(client_->ArchiveExperiment("codes").ok());
  ExpectError(client_->StartExperiment("codes").status(), absl::StatusCode::kFailedPrecondition,
              "it is archived");

  v1::ListExperimentsRequest list;
  list.set_status(v1::EXPERIMENT_STATUS_ARCHIVED);
  auto listed = client_->ListExperiments(list);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->experiments_size(), 1);
  EXPECT_EQ(listed->experiments(0).winning_variant(), "treatment");
}

TEST_F(ExperimentsE2eTest, AssignmentsAreStickyAcrossRestarts) {
  v1::Experiment spec = Spec("sticky");
  spec.set_coverage(0.6);
  Launch(spec);
  auto snapshot_of_units = [&] {
    v1::AssignBatchRequest batch;
    batch.add_experiment_keys("sticky");
    for (int unit = 0; unit < 500; ++unit) {
      (*batch.add_units()->mutable_attributes())["id"] = "u" + std::to_string(unit);
    }
    std::vector<std::string> answers;
    auto response = client_->AssignBatch(batch);
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return answers;
    for (const auto& unit : response->units()) {
      const v1::Assignment& a = unit.assignments(0);
      answers.push_back(std::to_string(a.variant_index()) + "/" + std::to_string(a.bucket()) + "/" +
                        v1::AssignmentReason_Name(a.reason()));
    }
    return answers;
  };
  const std::vector<std::string> before = snapshot_of_units();
  ASSERT_EQ(before.size(), 500u);
  RestartLiftd();
  EXPECT_EQ(snapshot_of_units(), before);

  // Raising coverage keeps every unit that was in a variant in that variant.
  v1::UpdateExperimentRequest raise;
  *raise.mutable_experiment() = spec;
  raise.mutable_experiment()->set_coverage(0.9);
  raise.mutable_update_mask()->add_paths("coverage");
  raise.set_expected_version(2);
  auto raised = client_->UpdateExperiment(raise);
  ASSERT_TRUE(raised.ok()) << raised.status();
  EXPECT_FALSE(raised->new_phase());
  // The wider coverage has arrived once some unit's answer changed.
  ASSERT_TRUE(WaitFor([&] { return snapshot_of_units() != before; }));
  const std::vector<std::string> after = snapshot_of_units();
  int kept = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    if (before[i].find("SPLIT") != std::string::npos) {
      EXPECT_EQ(after[i], before[i]) << "unit u" << i;
      ++kept;
    }
  }
  EXPECT_GT(kept, 200);
}

TEST_F(ExperimentsE2eTest, LiftctlManagesExperimentsAndAssigns) {
  const std::string server = liftd_->address();
  TempDir files;
  const std::string yaml_path = (files.path() / "exp.yaml").string();
  std::ofstream(yaml_path) << R"(key: cli-exp
name: From the command line
owner: cli-team
tags: [cli]
variants:
  - {key: control, weight: 0.5}
  - {key: green, weight: 0.5, payload: {color: green}}
coverage: 0.5
condition: {country: {$in: [US, CA]}}
metrics:
  success: [purchase]
  guardrails: [{metric_key: latency, non_inferiority_margin: 0.02}]
)";
  CommandResult applied = Liftctl(server, {"experiments", "apply", "-f", yaml_path});
  ASSERT_EQ(applied.code, 0) << applied.output;
  EXPECT_THAT(applied.output, HasSubstr("experiment cli-exp: create"));
  EXPECT_THAT(applied.output, HasSubstr("~ coverage: 1.0 -> 0.5"));
  EXPECT_THAT(applied.output, HasSubstr("created experiment cli-exp (draft, version 1)"));

  CommandResult unchanged = Liftctl(server, {"experiments", "apply", "-f", yaml_path});
  ASSERT_EQ(unchanged.code, 0) << unchanged.output;
  EXPECT_THAT(unchanged.output, HasSubstr("no changes (draft, version 1)"));

  CommandResult started = Liftctl(server, {"experiments", "start", "cli-exp"});
  ASSERT_EQ(started.code, 0) << started.output;
  EXPECT_THAT(started.output, HasSubstr("started experiment cli-exp: running, phase 1, version 2"));

  // Change the coverage: the diff shows it and the phase continues.
  {
    std::string yaml = ReadFile(yaml_path);
    yaml.replace(yaml.find("coverage: 0.5"), 13, "coverage: 0.8");
    std::ofstream(yaml_path) << yaml;
  }
  CommandResult dry = Liftctl(server, {"experiments", "apply", "-f", yaml_path, "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.output;
  EXPECT_THAT(dry.output, HasSubstr("~ coverage: 0.5 -> 0.8"));
  EXPECT_THAT(dry.output, HasSubstr("dry run: nothing applied"));
  CommandResult raised = Liftctl(server, {"experiments", "apply", "-f", yaml_path});
  ASSERT_EQ(raised.code, 0) << raised.output;
  EXPECT_THAT(raised.output, HasSubstr("updated experiment cli-exp to version 3"));
  EXPECT_THAT(raised.output, Not(HasSubstr("new phase")));
  // Change a weight: a new phase, said so.
  {
    std::string yaml = ReadFile(yaml_path);
    yaml.replace(yaml.find("{key: control, weight: 0.5}"), 27, "{key: control, weight: 0.4}");
    yaml.replace(yaml.find("{key: green, weight: 0.5"), 24, "{key: green, weight: 0.6");
    std::ofstream(yaml_path) << yaml;
  }
  CommandResult reweighted = Liftctl(server, {"experiments", "apply", "-f", yaml_path});
  ASSERT_EQ(reweighted.code, 0) << reweighted.output;
  EXPECT_THAT(reweighted.output,
              HasSubstr("new phase 2 started (the readout restarts): variants[0].weight changed "
                        "from 0.5 to 0.4"));

  CommandResult got = Liftctl(server, {"experiments", "get", "cli-exp"});
  ASSERT_EQ(got.code, 0) << got.output;
  EXPECT_THAT(got.output, HasSubstr("key: cli-exp"));
  EXPECT_THAT(got.output, HasSubstr("status: running"));
  EXPECT_THAT(got.output, HasSubstr("reason: variants[0].weight changed from 0.5 to 0.4"));
  // What `get` prints applies again as "no changes".
  const std::string got_path = (files.path() / "got.yaml").string();
  std::ofstream(got_path) << got.output;
  CommandResult reapplied = Liftctl(server, {"experiments", "apply", "-f", got_path});
  ASSERT_EQ(reapplied.code, 0) << reapplied.output;
  EXPECT_THAT(reapplied.output, HasSubstr("no changes"));

  CommandResult listed = Liftctl(server, {"experiments", "list", "--status", "running"});
  ASSERT_EQ(listed.code, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr("cli-exp"));
  EXPECT_THAT(listed.output, HasSubstr("control:0.4,green:0.6"));

  // liftctl assign --json: the documented keys; a forced override shows up as OVERRIDE.
  ASSERT_TRUE(WaitFor([&] {
    CommandResult r =
        Liftctl(server, {"assign", "cli-exp", "--unit", "u7", "--attr", "country=US", "--json"});
    return r.code == 0 && nlohmann::json::parse(r.output)["phase"] == 2;
  }));
  CommandResult assigned =
      Liftctl(server, {"assign", "cli-exp", "--unit", "u7", "--attr", "country=US", "--json"});
  ASSERT_EQ(assigned.code, 0) << assigned.output;
  const nlohmann::json json = nlohmann::json::parse(assigned.output);
  for (const char* key :
       {"experiment", "variant", "variant_index", "in_experiment", "reason", "bucket", "phase"}) {
    EXPECT_TRUE(json.contains(key)) << key << " in " << assigned.output;
  }
  EXPECT_EQ(json["experiment"], "cli-exp");
  EXPECT_EQ(json["bucket"].get<double>(), assignment::HashV2("cli-exp", "u7"));
  CommandResult missed =
      Liftctl(server, {"assign", "cli-exp", "--unit", "u7", "--attr", "country=FR", "--json"});
  ASSERT_EQ(missed.code, 0) << missed.output;
  EXPECT_EQ(nlohmann::json::parse(missed.output)["reason"], "TARGETING_MISS");
  EXPECT_TRUE(nlohmann::json::parse(missed.output)["variant"].is_null());

  CommandResult set =
      Liftctl(server, {"overrides", "set", "cli-exp", "--unit", "qa-user", "--variant", "green"});
  ASSERT_EQ(set.code, 0) << set.output;
  CommandResult overrides = Liftctl(server, {"overrides", "list", "cli-exp"});
  EXPECT_THAT(overrides.output, HasSubstr("qa-user"));
  ASSERT_TRUE(WaitFor([&] {
    CommandResult r = Liftctl(server, {"assign", "cli-exp", "--unit", "qa-user", "--json"});
    return r.code == 0 && nlohmann::json::parse(r.output)["reason"] == "OVERRIDE";
  }));
  CommandResult human = Liftctl(server, {"assign", "cli-exp", "--unit", "qa-user"});
  EXPECT_THAT(human.output, HasSubstr("variant:       green (index 1)"));
  EXPECT_THAT(human.output, HasSubstr("reason:        OVERRIDE"));
  ASSERT_EQ(Liftctl(server, {"overrides", "clear", "cli-exp", "--unit", "qa-user"}).code, 0);
  CommandResult cleared_again =
      Liftctl(server, {"overrides", "clear", "cli-exp", "--unit", "qa-user"});
  EXPECT_EQ(cleared_again.code, 1);
  EXPECT_THAT(cleared_again.output, HasSubstr("(NOT_FOUND)"));

  ASSERT_EQ(Liftctl(server, {"layers", "create", "checkout", "--name", "Checkout"}).code, 0);
  EXPECT_THAT(Liftctl(server, {"layers", "list"}).output, HasSubstr("Checkout"));
  ASSERT_EQ(Liftctl(server, {"holdouts", "create", "global", "--share", "0.05"}).code, 0);
  EXPECT_THAT(Liftctl(server, {"holdouts", "list"}).output, HasSubstr("global"));
  ASSERT_EQ(Liftctl(server, {"holdouts", "delete", "global"}).code, 0);
  EXPECT_THAT(Liftctl(server, {"holdouts", "list"}).output, Not(HasSubstr("global")));

  CommandResult stopped = Liftctl(server, {"experiments", "stop", "cli-exp", "--winner", "green"});
  ASSERT_EQ(stopped.code, 0) << stopped.output;
  EXPECT_THAT(stopped.output, HasSubstr("serving green to everyone"));
  CommandResult archived = Liftctl(server, {"experiments", "archive", "cli-exp"});
  ASSERT_EQ(archived.code, 0) << archived.output;
  CommandResult refused = Liftctl(server, {"experiments", "start", "cli-exp"});
  EXPECT_EQ(refused.code, 1);
  EXPECT_THAT(refused.output, HasSubstr("it is archived"));
  EXPECT_THAT(refused.output, HasSubstr("(FAILED_PRECONDITION)"));

  const std::string bad_path = (files.path() / "bad.yaml").string();
  std::ofstream(bad_path) << "key: x\nvariants: [{key: a, wieght: 1}]\n";
  CommandResult bad = Liftctl(server, {"experiments", "apply", "-f", bad_path});
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.output, HasSubstr("wieght"));
}

// The database stops under a running liftd: Assign keeps answering from the last snapshot with
// zero errors, configuration RPCs say UNAVAILABLE, and after a restart a change reaches Assign.
TEST(ExperimentsDatabaseDownE2eTest, AssignNeverFailsWhileTheDatabaseIsDown) {
  TempDir dir;
  embedded_pg::EmbeddedPostgresOptions pg_options;
  pg_options.data_dir = (dir.path() / "pg").string();
  pg_options.fsync = false;
  auto pg = embedded_pg::EmbeddedPostgres::Start(pg_options);
  ASSERT_TRUE(pg.ok()) << pg.status();
  auto liftd = LiftdProcess::Start({"--database-url", (*pg)->Url()});
  ASSERT_TRUE(liftd.ok()) << liftd.status();
  client::ClientOptions options;
  options.server = (*liftd)->address();
  client::Client client(options);
  ASSERT_TRUE(client.CreateExperiment(Spec("outage")).ok());
  ASSERT_TRUE(client.StartExperiment("outage").ok());
  ASSERT_TRUE(WaitFor([&] {
    auto r = client.Assign(AssignFor("u1", {"outage"}));
    return r.ok() && r->assignments(0).reason() == v1::ASSIGNMENT_REASON_SPLIT;
  }));
  const std::string variant_of_u1 =
      client.Assign(AssignFor("u1", {"outage"}))->assignments(0).variant_key();

  ASSERT_TRUE((*pg)->Stop().ok());
  int errors = 0;
  int wrong = 0;
  v1::AssignBatchRequest batch;
  for (int unit = 0; unit < 1000; ++unit) {
    (*batch.add_units()->mutable_attributes())["id"] = "u" + std::to_string(unit);
  }
  for (int call = 0; call < 2000; ++call) {
    auto response = client.Assign(AssignFor("u1", {"outage"}));
    if (!response.ok()) {
      ++errors;
    } else if (response->assignments(0).variant_key() != variant_of_u1) {
      ++wrong;
    }
    if (call % 100 == 0) {
      auto batch_response = client.AssignBatch(batch);
      if (!batch_response.ok() || batch_response->units_size() != 1000) ++errors;
    }
  }
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(wrong, 0);
  ExpectError(client.GetExperiment("outage").status(), absl::StatusCode::kUnavailable,
              "unavailable");

  ASSERT_TRUE((*pg)->Restart().ok());
  ASSERT_TRUE(WaitFor([&] { return client.SetOverride("outage", "u1", "treatment").ok(); }));
  ASSERT_TRUE(WaitFor([&] {
    auto r = client.Assign(AssignFor("u1", {"outage"}));
    return r.ok() && r->assignments(0).reason() == v1::ASSIGNMENT_REASON_OVERRIDE;
  }));
  EXPECT_EQ(client.Assign(AssignFor("u1", {"outage"}))->assignments(0).variant_key(), "treatment");
  EXPECT_EQ((*liftd)->StopWith(SIGTERM), 0) << (*liftd)->Output();
}

}  // namespace
}  // namespace lift
