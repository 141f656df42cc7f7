#include "server/assignment/phase_rules.h"

#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/assignment/test_configs.h"

namespace lift::assignment {
namespace {

using testdata::RunningExperiment;
using ::testing::HasSubstr;

struct Change {
  std::string expected_reason;  // empty: same phase
  std::function<void(ExperimentConfig&)> mutate;
};

TEST(PhaseRulesTest, ClassifiesChanges) {
  const std::vector<Change> changes = {
      {"variants[0].weight changed from 0.5 to 0.3",
       [](auto& e) {
         e.variants[0].weight = 0.3;
         e.variants[1].weight = 0.7;
       }},
      {"number of variants changed from 2 to 3",
       [](auto& e) {
         e.variants.push_back({"v2", 0.0, ""});
       }},
      {"variants[1].key changed from \"v1\" to \"treatment\"",
       [](auto& e) { e.variants[1].key = "treatment"; }},
      {"seed changed from \"exp\" to \"other\"", [](auto& e) { e.seed = "other"; }},
      {"hash_version changed from 2 to 1", [](auto& e) { e.hash_version = 1; }},
      {"hash_attribute changed from \"id\" to \"company\"",
       [](auto& e) { e.hash_attribute = "company"; }},
      {"coverage lowered from 0.5 to 0.4", [](auto& e) { e.coverage = 0.4; }},
      {"layer changed from \"l\" to \"m\"", [](auto& e) { e.layer = "m"; }},
      {"layer slice [0.3, 0.6) does not contain the previous slice [0.2, 0.6)",
       [](auto& e) { e.layer_start = 0.3; }},
      {"", [](auto& e) { e.coverage = 0.9; }},  // raising coverage
      {"", [](auto& e) { e.seed = "exp"; }},    // explicit default seed
      {"",
       [](auto& e) {
         e.layer_start = 0.1;
         e.layer_end = 0.7;
       }},  // widened slice
      {"", [](auto& e) { e.variants[0].payload = "{\"color\":\"red\"}"; }},
      {"", [](auto& e) { e.condition = nlohmann::json::parse(R"({"country": "US"})"); }},
      {"", [](auto& e) { e.forced_variants["qa"] = 1; }},
  };
  ExperimentConfig before = RunningExperiment("exp");
  before.coverage = 0.5;
  before.layer = "l";
  before.layer_start = 0.2;
  before.layer_end = 0.6;
  for (const Change& change : changes) {
    SCOPED_TRACE(change.expected_reason);
    ExperimentConfig after = before;
    change.mutate(after);
    const PhaseDecision decision = ClassifyChange(before, after);
    EXPECT_EQ(decision.new_phase, !change.expected_reason.empty());
    if (change.expected_reason.empty()) {
      EXPECT_EQ(decision.reason, "");
    } else {
      EXPECT_THAT(decision.reason, HasSubstr(change.expected_reason));
    }
  }
}

}  // namespace
}  // namespace lift::assignment
