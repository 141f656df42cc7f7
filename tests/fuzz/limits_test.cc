// The limits and error paths added for inputs that fuzzing found (tests/fuzz/corpus/*/crash-*):
// each pathological input now gets a specific InvalidArgument (or a defined result) instead of a
// crash, undefined behaviour or an escaped exception.
#include <iostream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "clients/cpp/analyze/analyze_command.h"
#include "clients/cpp/commands/experiment_yaml.h"
#include "nlohmann/json.hpp"
#include "server/assignment/attributes.h"
#include "server/assignment/condition.h"

namespace lift {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

// {"$not": {"$not": ... {"a": 1} ...}} with `levels` objects in all.
json NestedNot(int levels) {
  json condition = {{"a", 1}};
  for (int i = 1; i < levels; ++i) condition = json{{"$not", std::move(condition)}};
  return condition;
}

// [[[ ... ]]] with `levels` arrays.
json NestedArrays(int levels) {
  json value = json::array();
  for (int i = 1; i < levels; ++i) value = json::array({std::move(value)});
  return value;
}

TEST(ConditionLimitsTest, NestingUpToTheLimitCompiles) {
  EXPECT_TRUE(assignment::Condition::Compile(NestedNot(assignment::kMaxConditionDepth)).ok());
}

TEST(ConditionLimitsTest, DeeperNestingIsInvalidArgument) {
  const absl::StatusOr<assignment::Condition> compiled =
      assignment::Condition::Compile(NestedNot(assignment::kMaxConditionDepth + 1));
  ASSERT_TRUE(absl::IsInvalidArgument(compiled.status()));
  EXPECT_THAT(std::string(compiled.status().message()),
              HasSubstr("condition: nests objects and arrays more than 64 levels deep"));
  // Literals count too: {"a": [[...]]}.
  EXPECT_TRUE(absl::IsInvalidArgument(
      assignment::Condition::Compile(json{{"a", NestedArrays(10'000)}}).status()));
}

TEST(AttributesLimitsTest, DeepAttributesAreInvalidArgument) {
  EXPECT_TRUE(assignment::Attributes::FromJson(
                  json{{"a", NestedArrays(assignment::kMaxAttributeDepth - 1)}})
                  .ok());
  const absl::StatusOr<assignment::Attributes> deep =
      assignment::Attributes::FromJson(json{{"a", NestedArrays(30'000)}});
  ASSERT_TRUE(absl::IsInvalidArgument(deep.status()));
  EXPECT_THAT(std::string(deep.status().message()),
              HasSubstr("must not nest objects and arrays more than 64 levels deep"));
}

TEST(ExperimentYamlLimitsTest, NumbersOutOfRangeStayTextAndFailAsTheirField) {
  const absl::StatusOr<v1::Experiment> experiment =
      cli::ExperimentFromYaml("key: x\ncoverage: 1e999\n");
  ASSERT_TRUE(absl::IsInvalidArgument(experiment.status()));
  EXPECT_THAT(std::string(experiment.status().message()), HasSubstr("coverage"));
  EXPECT_EQ(cli::YamlTextToJson("a: 1e-400\n")["a"], 0.0);  // underflow: the nearest double
}

TEST(ExperimentYamlLimitsTest, VeryLongPlainScalarsAreStrings) {
  const std::string digits(100'000, '7');
  const json parsed = cli::YamlTextToJson("seed: " + digits + "\n");
  EXPECT_EQ(parsed["seed"], digits);
  EXPECT_EQ(cli::YamlTextToJson("n: 12345\n")["n"], 12345);
}

TEST(ExperimentYamlLimitsTest, TextThatIsNotUtf8IsInvalidArgument) {
  const absl::StatusOr<v1::Experiment> experiment =
      cli::ExperimentFromYaml("key: x\nname: \xc8\xc8\n");
  ASSERT_TRUE(absl::IsInvalidArgument(experiment.status()));
  EXPECT_THAT(std::string(experiment.status().message()), HasSubstr("not valid UTF-8"));
}

TEST(AnalyzeLimitsTest, JsonReportOfNamesThatAreNotUtf8) {
  std::istringstream csv("variant,value\ncontrol,0\ncontrol,1\n\xff,1\n\xff,0\n");
  std::streambuf* const saved = std::cin.rdbuf(csv.rdbuf());
  std::ostringstream out;
  std::ostringstream err;
  const int exit_code = analyze::RunAnalyze({"ab", "--csv", "-", "--json"}, out, err);
  std::cin.rdbuf(saved);
  EXPECT_EQ(exit_code, analyze::kExitOk) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("\xef\xbf\xbd"));  // U+FFFD for the invalid byte
}

}  // namespace
}  // namespace lift
