// `liftctl experiments apply|get` file handling without a server: YAML -> lift.v1.Experiment
// (scalar typing, JSON-text fields, output-only fields ignored, unknown keys refused), the YAML
// that `get` prints reading back to the same experiment, and the diff lines apply prints.
#include "clients/cpp/commands/experiment_yaml.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lift::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kYaml[] = R"(key: checkout
name: Green button
tags: [checkout, 2024]
seed: 42
variants:
  - key: control
    weight: 0.5
  - key: green
    weight: 0.5
    payload: {color: green, size: 3}
  - key: plain
    weight: 0
    payload: hello
coverage: 0.25
hash_version: 1
condition: {country: {$in: [US, "5"]}, beta: true}
layer: {layer: checkout-layer, start: 0, end: 0.5}
metrics:
  success: [purchase]
  guardrails: [{metric_key: latency, non_inferiority_margin: 0.02}]
status: running   # output only: ignored
version: 7        # output only: ignored
)";

TEST(ExperimentYamlTest, ParsesEveryFieldWithTypesAndJsonText) {
  absl::StatusOr<v1::Experiment> e = ExperimentFromYaml(kYaml);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->key(), "checkout");
  EXPECT_THAT(e->tags(), ElementsAre("checkout", "2024"));  // numbers where strings are expected
  EXPECT_EQ(e->seed(), "42");
  ASSERT_EQ(e->variants_size(), 3);
  EXPECT_EQ(e->variants(1).payload(), R"({"color":"green","size":3})");
  EXPECT_EQ(e->variants(2).payload(), R"("hello")");  // a plain string becomes a JSON string
  EXPECT_EQ(e->variants(0).payload(), "");
  EXPECT_TRUE(e->has_coverage());
  EXPECT_EQ(e->coverage(), 0.25);
  EXPECT_EQ(e->hash_version(), 1);
  EXPECT_EQ(nlohmann::json::parse(e->condition()),
            nlohmann::json::parse(R"({"country": {"$in": ["US", "5"]}, "beta": true})"));
  EXPECT_EQ(e->layer().layer(), "checkout-layer");
  EXPECT_EQ(e->layer().end(), 0.5);
  EXPECT_EQ(e->metrics().guardrails(0).non_inferiority_margin(), 0.02);
  EXPECT_EQ(e->status(), v1::EXPERIMENT_STATUS_UNSPECIFIED);
  EXPECT_EQ(e->version(), 0);
}

TEST(ExperimentYamlTest, RefusesUnknownFieldsAndBadYaml) {
  absl::StatusOr<v1::Experiment> typo =
      ExperimentFromYaml("key: x\nvariants: [{key: a, wieght: 1}]\n");
  EXPECT_EQ(typo.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(typo.status().message()), HasSubstr("wieght"));
  absl::StatusOr<v1::Experiment> broken = ExperimentFromYaml("key: [unclosed\n");
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(broken.status().message()), HasSubstr("invalid YAML at line"));
  absl::StatusOr<v1::Experiment> list = ExperimentFromYaml("- key: x\n");
  EXPECT_THAT(std::string(list.status().message()), HasSubstr("must hold one experiment"));
}

TEST(ExperimentYamlTest, WhatGetPrintsAppliesAsTheSameExperiment) {
  absl::StatusOr<v1::Experiment> original = ExperimentFromYaml(kYaml);
  ASSERT_TRUE(original.ok()) << original.status();
  v1::Experiment stored = *original;
  stored.set_status(v1::EXPERIMENT_STATUS_RUNNING);
  stored.set_version(7);
  stored.add_phases()->set_reason("started");
  const std::string printed = ExperimentToYaml(stored);
  EXPECT_THAT(printed, HasSubstr("status: running"));
  EXPECT_THAT(printed, HasSubstr("- \"5\""));  // a string that looks like a number stays quoted
  absl::StatusOr<v1::Experiment> reread = ExperimentFromYaml(printed);
  ASSERT_TRUE(reread.ok()) << reread.status() << "\n" << printed;
  EXPECT_EQ(EditableFields(*reread), EditableFields(*original));
  EXPECT_TRUE(DiffLines(EditableFields(*original), EditableFields(*reread)).empty());
}

TEST(ExperimentYamlTest, DiffLinesShowAddedRemovedAndChangedFields) {
  v1::Experiment before;
  before.set_key("k");
  before.set_seed("old-seed");
  before.set_coverage(0.5);
  v1::Experiment after = before;
  after.set_seed("");
  after.set_coverage(0.8);
  after.set_owner("team");
  EXPECT_THAT(DiffLines(EditableFields(before), EditableFields(after)),
              ElementsAre("+ owner: \"team\"", "~ coverage: 0.5 -> 0.8", "- seed: \"old-seed\""));
  // Server defaults compare equal to explicit values.
  v1::Experiment implicit;
  v1::Experiment explicit_defaults;
  explicit_defaults.set_coverage(1.0);
  explicit_defaults.set_unit_type("id");
  explicit_defaults.set_hash_version(2);
  explicit_defaults.set_condition("{}");
  EXPECT_TRUE(DiffLines(EditableFields(implicit), EditableFields(explicit_defaults)).empty());
}

}  // namespace
}  // namespace lift::cli
