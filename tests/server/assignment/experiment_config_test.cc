#include "server/assignment/experiment_config.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/assignment/test_configs.h"

namespace lift::assignment {
namespace {

using testdata::RunningExperiment;
using ::testing::HasSubstr;

void ExpectInvalid(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(message));
}

TEST(ExperimentConfigTest, AcceptsAValidExperiment) {
  ExperimentConfig e = RunningExperiment("checkout.button_v2-test", {0.2, 0.3, 0.5});
  e.coverage = 0.4;
  e.hash_version = 1;
  e.condition = nlohmann::json::parse(R"({"country": {"$in": ["US", "CA"]}})");
  e.layer = "checkout";
  e.layer_start = 0.25;
  e.layer_end = 0.75;
  e.forced_variants = {{"qa-user", 2}};
  e.variants[0].payload = "";
  EXPECT_TRUE(ValidateExperiment(e).ok()) << ValidateExperiment(e);
}

// Every rule of experiment_config.h, each with its status code and message.
TEST(ExperimentConfigTest, RejectsEveryBrokenRuleNamingTheField) {
  const double kNaN = std::numeric_limits<double>::quiet_NaN();
  struct Case {
    std::string message;
    std::function<void(ExperimentConfig&)> mutate;
  };
  const std::vector<Case> cases = {
      {"key must match [a-z0-9_.-]+, got \"Checkout\"", [](auto& e) { e.key = "Checkout"; }},
      {"key must match [a-z0-9_.-]+, got \"\"", [](auto& e) { e.key = ""; }},
      {"key must match [a-z0-9_.-]+, got \"a b\"", [](auto& e) { e.key = "a b"; }},
      {"variants must have at least 2 entries, got 1", [](auto& e) { e.variants.resize(1); }},
      {"variants must have at least 2 entries, got 0", [](auto& e) { e.variants.clear(); }},
      {"variants[1].key must not be empty", [](auto& e) { e.variants[1].key = ""; }},
      {"variants[1].key must be unique, \"v0\" appears more than once",
       [](auto& e) { e.variants[1].key = "v0"; }},
      {"variants[0].weight must be >= 0, got -0.5",
       [](auto& e) {
         e.variants[0].weight = -0.5;
         e.variants[1].weight = 1.5;
       }},
      {"variants[1].weight must be >= 0, got NaN",
       [kNaN](auto& e) { e.variants[1].weight = kNaN; }},
      {"variants[1].weight must be >= 0, got Infinity",
       [](auto& e) { e.variants[1].weight = std::numeric_limits<double>::infinity(); }},
      {"variants[].weight must sum to 1 within 1e-9, got a sum of 0.9",
       [](auto& e) { e.variants[1].weight = 0.4; }},
      {"variants[].weight must sum to 1 within 1e-9, got a sum of 1.00000001",
       [](auto& e) { e.variants[1].weight = 0.50000001; }},
      {"variants[0].payload must be valid JSON, got \"{oops\"",
       [](auto& e) { e.variants[0].payload = "{oops"; }},
      {"coverage must be in [0, 1], got 1.5", [](auto& e) { e.coverage = 1.5; }},
      {"coverage must be in [0, 1], got -0.1", [](auto& e) { e.coverage = -0.1; }},
      {"coverage must be in [0, 1], got NaN", [kNaN](auto& e) { e.coverage = kNaN; }},
      {"hash_version must be 1 or 2, got 3", [](auto& e) { e.hash_version = 3; }},
      {"hash_attribute must not be empty", [](auto& e) { e.hash_attribute = ""; }},
      {"condition[\"plan\"].$in: must be an array, got string \"pro\"",
       [](auto& e) { e.condition = nlohmann::json::parse(R"({"plan": {"$in": "pro"}})"); }},
      {"condition: must be a JSON object, got string", [](auto& e) { e.condition = "premium"; }},
      {"layer must match [a-z0-9_.-]+, got \"Layer 1\"", [](auto& e) { e.layer = "Layer 1"; }},
      {"layer_start/layer_end must satisfy 0 <= layer_start < layer_end <= 1, got [0.5, 0.5)",
       [](auto& e) {
         e.layer = "l";
         e.layer_start = 0.5;
         e.layer_end = 0.5;
       }},
      {"layer_start/layer_end must satisfy 0 <= layer_start < layer_end <= 1, got [-0.1, 0.5)",
       [](auto& e) {
         e.layer = "l";
         e.layer_start = -0.1;
         e.layer_end = 0.5;
       }},
      {"layer_start/layer_end must satisfy 0 <= layer_start < layer_end <= 1, got [0.2, 1.5)",
       [](auto& e) {
         e.layer = "l";
         e.layer_start = 0.2;
         e.layer_end = 1.5;
       }},
      {"forced_variants[\"u1\"] must be a variant index in [0, 2), got 2",
       [](auto& e) { e.forced_variants["u1"] = 2; }},
      {"forced_variants[\"u1\"] must be a variant index in [0, 2), got -1",
       [](auto& e) { e.forced_variants["u1"] = -1; }},
      {"forced_variants unit ids must not be empty", [](auto& e) { e.forced_variants[""] = 0; }},
      {"winning_variant must be a variant index in [0, 2), got 5",
       [](auto& e) { e.winning_variant = 5; }},
      {"phase must be >= 0, got -1", [](auto& e) { e.phase = -1; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    ExperimentConfig e = RunningExperiment("exp");
    c.mutate(e);
    ExpectInvalid(ValidateExperiment(e), c.message);
  }
}

TEST(ExperimentConfigTest, WeightSumToleranceIsOneBillionth) {
  ExperimentConfig e = RunningExperiment("exp", {1.0 / 3, 1.0 / 3, 1.0 / 3});
  EXPECT_TRUE(ValidateExperiment(e).ok());
  e = RunningExperiment("exp", {0.5, 0.5 + 0.5e-9});
  EXPECT_TRUE(ValidateExperiment(e).ok());
  e = RunningExperiment("exp", {0.5, 0.5 + 2e-9});
  EXPECT_EQ(ValidateExperiment(e).code(), absl::StatusCode::kInvalidArgument);
  e = RunningExperiment("exp", {1.0, 0.0});  // a zero weight is allowed
  EXPECT_TRUE(ValidateExperiment(e).ok());
}

TEST(ExperimentConfigTest, ValidatesHoldouts) {
  EXPECT_TRUE(ValidateHoldout({"global-holdout", 0.05, ""}).ok());
  EXPECT_TRUE(ValidateHoldout({"h", 0.0, "checkout"}).ok());
  ExpectInvalid(ValidateHoldout({"Holdout", 0.05, ""}),
                "key must match [a-z0-9_.-]+, got \"Holdout\"");
  ExpectInvalid(ValidateHoldout({"h", 1.2, ""}), "share must be in [0, 1], got 1.2");
  ExpectInvalid(ValidateHoldout({"h", -0.01, ""}), "share must be in [0, 1], got -0.01");
  ExpectInvalid(ValidateHoldout({"h", 0.1, "bad layer"}), "layer must match [a-z0-9_.-]+");
}

ExperimentConfig InLayer(const std::string& key, const std::string& layer, double start, double end,
                         ExperimentStatus status = ExperimentStatus::kRunning) {
  ExperimentConfig e = RunningExperiment(key);
  e.status = status;
  e.layer = layer;
  e.layer_start = start;
  e.layer_end = end;
  return e;
}

TEST(ExperimentConfigTest, RunningExperimentsOfALayerMustNotOverlap) {
  const std::vector<ExperimentConfig> touching = {InLayer("b", "l", 0.5, 1.0),
                                                  InLayer("a", "l", 0.0, 0.5)};
  EXPECT_TRUE(ValidateLayerSlices(touching).ok());

  const std::vector<ExperimentConfig> overlapping = {
      InLayer("a", "l", 0.0, 0.6), InLayer("c", "other", 0.0, 1.0), InLayer("b", "l", 0.5, 1.0)};
  ExpectInvalid(ValidateLayerSlices(overlapping),
                "layer \"l\": slices of running experiments must not overlap, but \"a\" has [0, "
                "0.6) and \"b\" has [0.5, 1)");

  const std::vector<ExperimentConfig> nested = {InLayer("outer", "l", 0.0, 1.0),
                                                InLayer("inner", "l", 0.2, 0.3)};
  ExpectInvalid(ValidateLayerSlices(nested), "\"outer\" has [0, 1) and \"inner\" has [0.2, 0.3)");

  const std::vector<ExperimentConfig> one_stopped = {
      InLayer("a", "l", 0.0, 0.6), InLayer("b", "l", 0.5, 1.0, ExperimentStatus::kStopped)};
  EXPECT_TRUE(ValidateLayerSlices(one_stopped).ok());
}

}  // namespace
}  // namespace lift::assignment
