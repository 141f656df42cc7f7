#include "server/assignment/engine.h"

#include <cmath>
#include <list>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "boost/math/distributions/chi_squared.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/assignment/bucket_ranges.h"
#include "server/assignment/hash.h"
#include "tests/server/assignment/growthbook_cases.h"
#include "tests/server/assignment/test_configs.h"

namespace lift::assignment {
namespace {

using nlohmann::json;
using testdata::GrowthBookCases;
using testdata::RunningExperiment;
using ::testing::HasSubstr;

std::shared_ptr<const Snapshot> MustBuild(const std::vector<ExperimentConfig>& experiments,
                                          const std::vector<HoldoutConfig>& holdouts = {}) {
  auto snapshot = Snapshot::Build(experiments, holdouts);
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  return snapshot.ok() ? *snapshot : nullptr;
}

Attributes Unit(const std::string& id) {
  return Attributes::FromStrings(std::map<std::string, std::string>{{"id", id}});
}

Attributes FromJson(const char* text) { return *Attributes::FromJson(json::parse(text)); }

// ---- GrowthBook's published `run` vectors ----
//
// cases.json "run" = [name, context, experiment, expected value, inExperiment, hashUsed]. Each
// experiment is translated into a Lift ExperimentConfig: variations -> variants "0", "1", ... with
// the variation as JSON payload; weights (default equal), coverage, seed, hashAttribute and
// condition as they are; hashVersion defaults to 1 as in GrowthBook's run(); `active: false` ->
// draft; namespace [key, start, end] -> layer key + slice; context.forcedVariations -> a forced
// variant for the unit. hashUsed true <-> reason SPLIT; in experiment without hashing <-> OVERRIDE.
//
// Cases of spec 0.5.4 left out of the fixture, because Lift does not have the feature:
//   "globally disabled" (SDK-wide enabled: false), "querystring force", "querystring force with
//   inactive" (URL overrides), "Skips experiments in QA mode", "Works in QA mode if forced in
//   context", "Works in QA mode if forced in experiment" (qaMode), "negative forced variation",
//   "high forced variation", "coverage take precendence over forced" (an experiment-wide `force`
//   field; Lift's forced variants are per unit and deliberately win over every other step, like
//   GrowthBook's context.forcedVariations), "Filtered, included", "Filtered, excluded",
//   "Filtered, ignore namespace" (hash filters), "Ranges, ignore coverage and weights",
//   "Ranges, partial coverage" (explicit ranges; Lift derives ranges from weights and coverage),
//   "Prerequisite condition passes", "Prerequisite condition fails" (prerequisite flags).
// "single variation" is kept: Lift refuses to save such an experiment (checked below).
struct Translated {
  ExperimentConfig config;
  Attributes attributes;
};

Translated Translate(const json& context, const json& experiment) {
  Translated t;
  ExperimentConfig& e = t.config;
  e.key = experiment.at("key");
  e.status =
      experiment.value("active", true) ? ExperimentStatus::kRunning : ExperimentStatus::kDraft;
  const json& variations = experiment.at("variations");
  std::vector<double> weights = GetEqualWeights(static_cast<int>(variations.size()));
  if (experiment.contains("weights")) weights = experiment["weights"].get<std::vector<double>>();
  for (size_t i = 0; i < variations.size(); ++i) {
    e.variants.push_back({std::to_string(i), weights[i], variations[i].dump()});
  }
  e.coverage = experiment.value("coverage", 1.0);
  e.seed = experiment.value("seed", "");
  e.hash_version = experiment.value("hashVersion", 1);
  e.hash_attribute = experiment.value("hashAttribute", "id");
  e.condition = experiment.value("condition", json());
  if (experiment.contains("namespace")) {
    e.layer = experiment["namespace"][0];
    e.layer_start = experiment["namespace"][1];
    e.layer_end = experiment["namespace"][2];
  }
  const json attributes = context.value("attributes", json::object());
  if (context.contains("forcedVariations") && context["forcedVariations"].contains(e.key)) {
    e.forced_variants[attributes.at(e.hash_attribute).get<std::string>()] =
        context["forcedVariations"][e.key];
  }
  t.attributes = *Attributes::FromJson(attributes);
  return t;
}

int IndexOfValue(const json& variations, const json& value) {
  for (size_t i = 0; i < variations.size(); ++i) {
    if (variations[i] == value) return static_cast<int>(i);
  }
  return -1;
}

TEST(EngineTest, MatchesGrowthBookRunVectors) {
  const auto& cases = GrowthBookCases().at("run");
  ASSERT_EQ(cases.size(), 56u);
  for (const auto& c : cases) {
    const std::string name = c[0];
    SCOPED_TRACE(name);
    const json& experiment = c[2];
    const json& expected_value = c[3];
    const bool expected_in = c[4];
    const bool expected_hash_used = c[5];
    Translated t = Translate(c[1], experiment);

    if (experiment["variations"].size() < 2) {  // "single variation"
      EXPECT_FALSE(expected_in);
      const auto snapshot = Snapshot::Build({t.config});
      EXPECT_EQ(snapshot.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(std::string(snapshot.status().message()), HasSubstr("at least 2 entries"));
      continue;
    }
    if (experiment.contains("ranges")) {  // only kept where they equal the derived ranges
      const auto ranges =
          GetBucketRanges(static_cast<int>(t.config.variants.size()), t.config.coverage, {});
      for (size_t i = 0; i < ranges.size(); ++i) {
        ASSERT_EQ(ranges[i].start, experiment["ranges"][i][0].get<double>());
        ASSERT_EQ(ranges[i].end, experiment["ranges"][i][1].get<double>());
      }
    }
    const auto snapshot = MustBuild({t.config});
    ASSERT_NE(snapshot, nullptr);
    const Assignment a = Evaluate(*snapshot, t.attributes, t.config.key);
    EXPECT_EQ(a.in_experiment, expected_in) << ReasonName(a.reason);
    EXPECT_EQ(a.experiment_key, t.config.key);
    if (expected_in) {
      ASSERT_GE(a.variant_index, 0);
      EXPECT_EQ(a.variant_index, IndexOfValue(experiment["variations"], expected_value));
      EXPECT_EQ(json::parse(a.payload), expected_value);
      EXPECT_EQ(a.reason, expected_hash_used ? Reason::kSplit : Reason::kOverride);
      EXPECT_EQ(a.bucket.has_value(), expected_hash_used);
    } else {
      // GrowthBook then serves the first variation as the default value; Lift serves no variant.
      EXPECT_EQ(expected_value, experiment["variations"][0]);
      EXPECT_EQ(a.variant_index, -1);
      EXPECT_TRUE(a.variant_key.empty());
    }
  }
}

// cases.json "feature": the experiment rules of a feature flag whose result carries GrowthBook's
// bucket value. rules[0] is the experiment (key = the feature id, hashVersion default 1); when the
// flag's value does not come from it ("source" other than "experiment"), the unit is not in it.
TEST(EngineTest, MatchesGrowthBookFeatureExperimentRuleVectors) {
  const auto& cases = GrowthBookCases().at("feature");
  ASSERT_EQ(cases.size(), 7u);
  const std::map<std::string, Reason> expected_miss = {
      {"skips experiment on coverage", Reason::kCoverageMiss},
      {"skip experiment on missing hashAttribute", Reason::kMissingUnitId},
  };
  for (const auto& c : cases) {
    const std::string name = c[0];
    SCOPED_TRACE(name);
    const json& context = c[1];
    const std::string feature = c[2];
    const json& result = c[3];
    json rule = context["features"][feature]["rules"][0];
    rule["key"] = feature;
    json translated_context = context;
    const json& attributes = context["attributes"];
    if (attributes.at("id")
            .is_number()) {  // "handles integer hashAttribute": forced variants aside
      translated_context.erase("forcedVariations");
    }
    Translated t = Translate(translated_context, rule);
    t.attributes = *Attributes::FromJson(attributes);  // keep the typed id (123, not "123")
    const auto snapshot = MustBuild({t.config});
    ASSERT_NE(snapshot, nullptr);
    const Assignment a = Evaluate(*snapshot, t.attributes, feature);
    if (result["source"] == "experiment") {
      const json& er = result["experimentResult"];
      EXPECT_TRUE(a.in_experiment);
      EXPECT_EQ(a.variant_index, er["variationId"].get<int>());
      EXPECT_EQ(a.reason, er["hashUsed"].get<bool>() ? Reason::kSplit : Reason::kOverride);
      if (er.contains("bucket")) {
        ASSERT_TRUE(a.bucket.has_value());
        EXPECT_EQ(*a.bucket, er["bucket"].get<double>());
      }
    } else {
      EXPECT_FALSE(a.in_experiment);
      EXPECT_EQ(a.reason, expected_miss.at(name));
    }
  }
}

// ---- Reasons and evaluation order ----

TEST(EngineTest, SplitServesVariantPayloadBucketAndPhase) {
  ExperimentConfig e = RunningExperiment("exp", {0.2, 0.3, 0.5});
  e.phase = 3;
  const auto snapshot = MustBuild({e});
  const Assignment a = Evaluate(*snapshot, Unit("user-1"), "exp");
  ASSERT_EQ(a.reason, Reason::kSplit);
  EXPECT_TRUE(a.in_experiment);
  ASSERT_TRUE(a.bucket.has_value());
  EXPECT_EQ(*a.bucket, HashV2("exp", "user-1"));
  EXPECT_EQ(a.variant_index, ChooseVariation(*a.bucket, GetBucketRanges(3, 1.0, {0.2, 0.3, 0.5})));
  EXPECT_EQ(a.variant_key, "v" + std::to_string(a.variant_index));
  EXPECT_EQ(a.payload, "{\"v\":" + std::to_string(a.variant_index) + "}");
  EXPECT_EQ(a.phase, 3);
  EXPECT_EQ(ReasonName(a.reason), "SPLIT");
}

TEST(EngineTest, NotRunningAndStoppedWinner) {
  ExperimentConfig draft = RunningExperiment("draft");
  draft.status = ExperimentStatus::kDraft;
  ExperimentConfig archived = RunningExperiment("archived");
  archived.status = ExperimentStatus::kArchived;
  ExperimentConfig stopped = RunningExperiment("stopped");
  stopped.status = ExperimentStatus::kStopped;
  ExperimentConfig winner = RunningExperiment("winner");
  winner.status = ExperimentStatus::kStopped;
  winner.winning_variant = 1;
  winner.condition = json::parse(R"({"country": "US"})");  // the winner goes to everyone
  const auto snapshot = MustBuild({draft, archived, stopped, winner});
  for (const char* key : {"draft", "archived", "stopped"}) {
    const Assignment a = Evaluate(*snapshot, Unit("u"), key);
    EXPECT_EQ(a.reason, Reason::kNotRunning) << key;
    EXPECT_FALSE(a.in_experiment);
    EXPECT_EQ(a.variant_index, -1);
  }
  for (const Attributes& attributes : {Unit("u"), Attributes()}) {
    const Assignment a = Evaluate(*snapshot, attributes, "winner");
    EXPECT_EQ(a.reason, Reason::kStoppedWinner);
    EXPECT_EQ(ReasonName(a.reason), "STOPPED_WINNER");
    EXPECT_FALSE(a.in_experiment);
    EXPECT_EQ(a.variant_index, 1);
    EXPECT_EQ(a.variant_key, "v1");
    EXPECT_EQ(a.payload, "{\"v\":1}");
    EXPECT_FALSE(a.bucket.has_value());
  }
}

TEST(EngineTest, UnknownExperiment) {
  const auto snapshot = MustBuild({RunningExperiment("exp")});
  const std::string key = "nope";
  const Assignment a = Evaluate(*snapshot, Unit("u"), key);
  EXPECT_EQ(a.reason, Reason::kUnknownExperiment);
  EXPECT_EQ(a.experiment_key, "nope");
  EXPECT_FALSE(a.in_experiment);
  EXPECT_EQ(ReasonName(a.reason), "UNKNOWN_EXPERIMENT");
}

TEST(EngineTest, MissingOrFalsyUnitIdsAreNotRandomised) {
  ExperimentConfig e = RunningExperiment("exp");
  e.forced_variants["0"] = 1;  // even a forced "0" does not apply to the number 0 (falsy)
  const auto snapshot = MustBuild({e});
  for (const char* attributes :
       {R"({})", R"({"id": ""})", R"({"id": null})", R"({"id": 0})", R"({"id": false})",
        R"({"id": [1]})", R"({"id": {"a": 1}})", R"({"user": "u1"})"}) {
    const Assignment a = Evaluate(*snapshot, FromJson(attributes), "exp");
    EXPECT_EQ(a.reason, Reason::kMissingUnitId) << attributes;
    EXPECT_FALSE(a.in_experiment);
  }
  // Numbers and true use their JavaScript string form.
  EXPECT_EQ(Evaluate(*snapshot, FromJson(R"({"id": 123})"), "exp").bucket,
            Evaluate(*snapshot, Unit("123"), "exp").bucket);
  EXPECT_EQ(Evaluate(*snapshot, FromJson(R"({"id": 1.5})"), "exp").bucket, HashV2("exp", "1.5"));
  EXPECT_EQ(Evaluate(*snapshot, FromJson(R"({"id": true})"), "exp").bucket, HashV2("exp", "true"));
}

TEST(EngineTest, HashAttributeSelectsTheUnitType) {
  ExperimentConfig e = RunningExperiment("exp");
  e.hash_attribute = "company";
  const auto snapshot = MustBuild({e});
  const Assignment a = Evaluate(*snapshot, FromJson(R"({"id": "u1", "company": "acme"})"), "exp");
  EXPECT_EQ(a.bucket, HashV2("exp", "acme"));
  EXPECT_EQ(Evaluate(*snapshot, Unit("u1"), "exp").reason, Reason::kMissingUnitId);
}

// Finds a unit id whose hashes satisfy `predicate` (deterministic: ids "u0", "u1", ...).
template <typename Predicate>
std::string FindUnit(Predicate predicate) {
  for (int i = 0; i < 100000; ++i) {
    const std::string id = "u" + std::to_string(i);
    if (predicate(id)) return id;
  }
  ADD_FAILURE() << "no unit found";
  return "";
}

TEST(EngineTest, EvaluationOrderOverrideLayerHoldoutTargetingCoverage) {
  ExperimentConfig e = RunningExperiment("exp");
  e.layer = "layer";
  e.layer_start = 0.0;
  e.layer_end = 0.5;
  e.coverage = 0.5;
  e.condition = json::parse(R"({"country": "US"})");
  const HoldoutConfig holdout{"holdout", 0.2, "layer"};
  const auto in_layer = [](const std::string& id) { return LayerBucket("layer", id) < 0.5; };
  const auto held_out = [](const std::string& id) { return HashV2("holdout", id) < 0.2; };
  const auto covered = [](const std::string& id) {
    return ChooseVariation(HashV2("exp", id), GetBucketRanges(2, 0.5, {0.5, 0.5})) >= 0;
  };

  const std::string outside_layer = FindUnit([&](auto& id) { return !in_layer(id); });
  const std::string in_holdout = FindUnit([&](auto& id) { return in_layer(id) && held_out(id); });
  const std::string eligible_covered =
      FindUnit([&](auto& id) { return in_layer(id) && !held_out(id) && covered(id); });
  const std::string eligible_uncovered =
      FindUnit([&](auto& id) { return in_layer(id) && !held_out(id) && !covered(id); });
  e.forced_variants[outside_layer] = 1;  // an override wins over every later step
  ExperimentConfig plain = e;
  plain.key = "plain";
  plain.forced_variants.clear();
  plain.layer_start = 0.5;
  plain.layer_end = 1.0;
  const auto snapshot = MustBuild({e, plain}, {holdout});

  const auto eval = [&](const std::string& id, const char* country) {
    return Evaluate(*snapshot,
                    Attributes::FromStrings(
                        std::map<std::string, std::string>{{"id", id}, {"country", country}}),
                    "exp");
  };
  const Assignment overridden = eval(outside_layer, "FR");
  EXPECT_EQ(overridden.reason, Reason::kOverride);
  EXPECT_TRUE(overridden.in_experiment);
  EXPECT_EQ(overridden.variant_index, 1);
  EXPECT_FALSE(overridden.bucket.has_value());

  const std::string other_outside =
      FindUnit([&](auto& id) { return !in_layer(id) && id != outside_layer; });
  EXPECT_EQ(eval(other_outside, "US").reason, Reason::kNotInLayer);
  EXPECT_EQ(eval(in_holdout, "US").reason, Reason::kHoldout);
  EXPECT_EQ(eval(eligible_covered, "FR").reason, Reason::kTargetingMiss);
  EXPECT_EQ(eval(eligible_covered, "US").reason, Reason::kSplit);
  const Assignment miss = eval(eligible_uncovered, "US");
  EXPECT_EQ(miss.reason, Reason::kCoverageMiss);
  EXPECT_FALSE(miss.in_experiment);
  EXPECT_EQ(miss.variant_index, -1);
  ASSERT_TRUE(miss.bucket.has_value());  // computed, then outside every range
  EXPECT_EQ(*miss.bucket, HashV2("exp", eligible_uncovered));
}

TEST(EngineTest, ReasonNamesAreStable) {
  EXPECT_EQ(ReasonName(Reason::kOverride), "OVERRIDE");
  EXPECT_EQ(ReasonName(Reason::kNotRunning), "NOT_RUNNING");
  EXPECT_EQ(ReasonName(Reason::kTargetingMiss), "TARGETING_MISS");
  EXPECT_EQ(ReasonName(Reason::kNotInLayer), "NOT_IN_LAYER");
  EXPECT_EQ(ReasonName(Reason::kHoldout), "HOLDOUT");
  EXPECT_EQ(ReasonName(Reason::kCoverageMiss), "COVERAGE_MISS");
  EXPECT_EQ(ReasonName(Reason::kMissingUnitId), "MISSING_UNIT_ID");
}

TEST(EngineTest, LayerSlicesAreMutuallyExclusiveAndExhaustive) {
  std::vector<ExperimentConfig> experiments;
  const double edges[] = {0.0, 0.3, 0.55, 1.0};
  for (int i = 0; i < 3; ++i) {
    ExperimentConfig e = RunningExperiment("exp-" + std::to_string(i));
    e.layer = "homepage";
    e.layer_start = edges[i];
    e.layer_end = edges[i + 1];
    experiments.push_back(e);
  }
  const auto snapshot = MustBuild(experiments);
  std::vector<int> counts(3, 0);
  std::vector<Assignment> results;
  for (int u = 0; u < 10000; ++u) {
    results.clear();
    EvaluateAllRunning(*snapshot, Unit("u" + std::to_string(u)), &results);
    ASSERT_EQ(results.size(), 3u);
    int in = 0;
    for (int i = 0; i < 3; ++i) {
      if (results[static_cast<size_t>(i)].in_experiment) {
        ++in;
        ++counts[static_cast<size_t>(i)];
      } else {
        EXPECT_EQ(results[static_cast<size_t>(i)].reason, Reason::kNotInLayer);
      }
    }
    ASSERT_EQ(in, 1) << "unit u" << u;
  }
  // Shares follow the slice widths (binomial, 10,000 units: 5 sigma < 0.025).
  EXPECT_NEAR(counts[0] / 10000.0, 0.30, 0.025);
  EXPECT_NEAR(counts[1] / 10000.0, 0.25, 0.025);
  EXPECT_NEAR(counts[2] / 10000.0, 0.45, 0.025);
}

TEST(EngineTest, HoldoutsKeepTheirShareOutOfCoveredExperimentsOnly) {
  ExperimentConfig a = RunningExperiment("a");
  ExperimentConfig b = RunningExperiment("b");
  b.layer = "search";
  ExperimentConfig c = RunningExperiment("c");
  c.layer = "checkout";
  const auto snapshot =
      MustBuild({a, b, c}, {{"global", 0.05, ""}, {"search-holdout", 0.2, "search"}});
  int held_a = 0;
  int held_b = 0;
  int held_c = 0;
  constexpr int kUnits = 20000;
  std::vector<Assignment> results;
  for (int u = 0; u < kUnits; ++u) {
    const std::string id = "u" + std::to_string(u);
    results.clear();
    EvaluateAllRunning(*snapshot, Unit(id), &results);
    const bool in_global = HashV2("global", id) < 0.05;
    const bool in_search = HashV2("search-holdout", id) < 0.2;
    held_a += results[0].reason == Reason::kHoldout;
    held_b += results[1].reason == Reason::kHoldout;
    held_c += results[2].reason == Reason::kHoldout;
    ASSERT_EQ(results[0].reason == Reason::kHoldout, in_global);
    ASSERT_EQ(results[1].reason == Reason::kHoldout, in_global || in_search);
    ASSERT_EQ(results[2].reason == Reason::kHoldout, in_global);
    // Units that pass the holdouts are bucketed by each experiment's own hash (the engine computes
    // it together with the first holdout hash).
    const char* const keys[] = {"a", "b", "c"};
    for (size_t k = 0; k < 3; ++k) {
      if (results[k].reason == Reason::kHoldout) continue;
      ASSERT_TRUE(results[k].bucket.has_value());
      ASSERT_EQ(*results[k].bucket, HashV2(keys[k], id)) << keys[k] << " / " << id;
    }
  }
  // Binomial shares, 5 sigma with 20,000 units: 0.05 ± 0.008, 0.24 ± 0.015.
  EXPECT_NEAR(held_a / double(kUnits), 0.05, 0.008);
  EXPECT_NEAR(held_b / double(kUnits), 1 - 0.95 * 0.8, 0.015);
  EXPECT_EQ(held_a, held_c);
}

TEST(EngineTest, EvaluateManyAndAllRunningKeepOrder) {
  ExperimentConfig draft = RunningExperiment("draft");
  draft.status = ExperimentStatus::kDraft;
  const auto snapshot = MustBuild({RunningExperiment("a"), draft, RunningExperiment("b")});
  std::vector<Assignment> many;
  const std::vector<std::string> keys = {"b", "missing", "draft", "a"};
  EvaluateMany(*snapshot, Unit("u1"), keys, &many);
  ASSERT_EQ(many.size(), 4u);
  EXPECT_EQ(many[0].experiment_key, "b");
  EXPECT_EQ(many[1].reason, Reason::kUnknownExperiment);
  EXPECT_EQ(many[1].experiment_key, "missing");
  EXPECT_EQ(many[2].reason, Reason::kNotRunning);
  EXPECT_EQ(many[3].experiment_key, "a");
  EXPECT_EQ(many[3].bucket, Evaluate(*snapshot, Unit("u1"), "a").bucket);

  std::vector<Assignment> all;
  EvaluateAllRunning(*snapshot, Unit("u1"), &all);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].experiment_key, "a");
  EXPECT_EQ(all[1].experiment_key, "b");
}

TEST(EngineTest, UnitEvaluatorTakesKeysFromAnyContainer) {
  ExperimentConfig layered = RunningExperiment("layered");
  layered.layer = "l";
  layered.layer_end = 0.5;
  const auto snapshot = MustBuild({RunningExperiment("a"), layered}, {{"h", 0.1, ""}});
  const std::list<std::string> keys = {"layered", "a", "missing", "a"};
  for (int u = 0; u < 200; ++u) {
    const Attributes unit = Unit("u" + std::to_string(u));
    UnitEvaluator evaluator(*snapshot, unit);
    for (const std::string& key : keys) {
      const Assignment shared = evaluator.Evaluate(key);
      const Assignment alone = Evaluate(*snapshot, unit, key);
      ASSERT_EQ(shared.reason, alone.reason);
      ASSERT_EQ(shared.variant_index, alone.variant_index);
      ASSERT_EQ(shared.bucket, alone.bucket);
    }
  }
}

// Per-unit caches hold 64 layers and 64 holdouts; beyond that the engine hashes directly. Both
// paths must give the answers of hashing from scratch.
TEST(EngineTest, LayerAndHoldoutCachesAgreeWithDirectHashing) {
  constexpr int kCount = 70;
  std::vector<ExperimentConfig> experiments;
  std::vector<HoldoutConfig> holdouts;
  for (int i = 0; i < kCount; ++i) {
    ExperimentConfig e = RunningExperiment("exp-" + std::to_string(i));
    e.layer = "layer-" + std::to_string(i);
    e.layer_end = 0.9;
    experiments.push_back(e);
    holdouts.push_back({"holdout-" + std::to_string(i), 0.002, ""});
  }
  const auto snapshot = MustBuild(experiments, holdouts);
  std::vector<Assignment> results;
  for (int u = 0; u < 300; ++u) {
    const std::string id = "u" + std::to_string(u);
    bool held = false;
    for (const HoldoutConfig& h : holdouts) held = held || HashV2(h.key, id) < h.share;
    results.clear();
    EvaluateAllRunning(*snapshot, Unit(id), &results);
    ASSERT_EQ(results.size(), static_cast<size_t>(kCount));
    for (int i = 0; i < kCount; ++i) {
      const bool in_layer = LayerBucket("layer-" + std::to_string(i), id) < 0.9;
      const Reason expected = !in_layer ? Reason::kNotInLayer
                              : held    ? Reason::kHoldout
                                        : Reason::kSplit;
      ASSERT_EQ(results[static_cast<size_t>(i)].reason, expected) << id << " exp-" << i;
    }
  }
}

TEST(EngineTest, ManyHashAttributesInOneCall) {
  // More distinct unit types than the resolver caches (4) must still resolve each correctly.
  std::vector<ExperimentConfig> experiments;
  json attributes = json::object();
  for (int i = 0; i < 6; ++i) {
    ExperimentConfig e = RunningExperiment("exp" + std::to_string(i));
    e.hash_attribute = "type" + std::to_string(i);
    attributes[e.hash_attribute] = "unit-of-type-" + std::to_string(i);
    experiments.push_back(e);
  }
  experiments.push_back(experiments[5]);  // type5 again, after the cache is full
  experiments.back().key = "exp5-again";
  const auto snapshot = MustBuild(experiments);
  std::vector<Assignment> results;
  EvaluateAllRunning(*snapshot, *Attributes::FromJson(attributes), &results);
  ASSERT_EQ(results.size(), 7u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(results[static_cast<size_t>(i)].bucket,
              HashV2("exp" + std::to_string(i), "unit-of-type-" + std::to_string(i)));
  }
  EXPECT_EQ(results[6].bucket, HashV2("exp5-again", "unit-of-type-5"));
}

// ---- Distribution and stickiness ----

// Pearson χ² of 100,000 fixed unit ids ("unit-0" ... "unit-99999") against the weights 0.2/0.3/0.5
// (hash v2). Deterministic; flagged only below p = 0.001 (Lift's SRM threshold). χ² survival
// function: Boost.Math chi_squared.
TEST(EngineTest, SplitFollowsTheWeights) {
  const std::vector<double> weights = {0.2, 0.3, 0.5};
  for (int hash_version : {2, 1}) {
    SCOPED_TRACE(hash_version);
    ExperimentConfig e = RunningExperiment("distribution-check", weights);
    e.hash_version = hash_version;
    const auto snapshot = MustBuild({e});
    std::vector<double> counts(3, 0.0);
    constexpr int kUnits = 100000;
    for (int u = 0; u < kUnits; ++u) {
      const Assignment a = Evaluate(*snapshot, Unit("unit-" + std::to_string(u)), e.key);
      ASSERT_EQ(a.reason, Reason::kSplit);
      counts[static_cast<size_t>(a.variant_index)] += 1;
    }
    double chi2 = 0.0;
    for (size_t i = 0; i < 3; ++i) {
      const double expected = kUnits * weights[i];
      chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
    }
    const double p = boost::math::cdf(boost::math::complement(boost::math::chi_squared(2), chi2));
    EXPECT_GT(p, 0.001) << "chi2 = " << chi2 << " counts " << counts[0] << "/" << counts[1] << "/"
                        << counts[2];
  }
}

// Units inside one layer slice must still split by the weights: the layer bucket (hash v1 of
// "__layer") and the experiment bucket (hash v2 of the seed) are independent.
TEST(EngineTest, SplitInsideALayerSliceFollowsTheWeights) {
  ExperimentConfig e = RunningExperiment("in-slice", {0.5, 0.5});
  e.layer = "shared-layer";
  e.layer_start = 0.2;
  e.layer_end = 0.6;
  const auto snapshot = MustBuild({e});
  std::vector<double> counts(2, 0.0);
  for (int u = 0; u < 100000; ++u) {
    const Assignment a = Evaluate(*snapshot, Unit("unit-" + std::to_string(u)), e.key);
    if (a.in_experiment) counts[static_cast<size_t>(a.variant_index)] += 1;
  }
  const double n = counts[0] + counts[1];
  EXPECT_NEAR(n / 100000, 0.4, 0.01);
  const double chi2 = 2 * (counts[0] - n / 2) * (counts[0] - n / 2) / (n / 2);
  const double p = boost::math::cdf(boost::math::complement(boost::math::chi_squared(1), chi2));
  EXPECT_GT(p, 0.001) << "chi2 = " << chi2;
}

TEST(EngineTest, RaisingCoverageNeverMovesAUnitThatWasIn) {
  const double coverages[] = {0.05, 0.2, 0.5, 0.8, 1.0};
  constexpr int kUnits = 20000;
  std::vector<int> previous(kUnits, -1);
  int previous_in = 0;
  for (double coverage : coverages) {
    ExperimentConfig e = RunningExperiment("sticky", {0.2, 0.3, 0.5});
    e.coverage = coverage;
    const auto snapshot = MustBuild({e});
    int in = 0;
    for (int u = 0; u < kUnits; ++u) {
      const Assignment a = Evaluate(*snapshot, Unit("unit-" + std::to_string(u)), "sticky");
      if (previous[static_cast<size_t>(u)] >= 0) {
        ASSERT_EQ(a.variant_index, previous[static_cast<size_t>(u)])
            << "unit-" << u << " moved when coverage rose to " << coverage;
      }
      if (a.in_experiment) ++in;
      previous[static_cast<size_t>(u)] = a.variant_index;
    }
    EXPECT_GE(in, previous_in);
    EXPECT_NEAR(in / double(kUnits), coverage, 0.02);
    previous_in = in;
  }
  EXPECT_EQ(previous_in, kUnits);
}

TEST(EngineTest, SameUnitSameAnswerAcrossSnapshotRebuilds) {
  ExperimentConfig e = RunningExperiment("stable", {0.1, 0.2, 0.3, 0.4});
  e.coverage = 0.7;
  e.condition = json::parse(R"({"plan": {"$ne": "free"}})");
  const auto first = MustBuild({e});
  // A rebuilt snapshot: other experiments added before it, different version, fresh compile.
  ExperimentConfig other = RunningExperiment("other");
  const auto rebuilt_or = Snapshot::Build({other, RunningExperiment("third"), e}, {}, 99);
  ASSERT_TRUE(rebuilt_or.ok());
  const auto& rebuilt = *rebuilt_or;
  for (int u = 0; u < 10000; ++u) {
    const Attributes attributes = Attributes::FromStrings(std::map<std::string, std::string>{
        {"id", "unit-" + std::to_string(u)}, {"plan", u % 7 ? "pro" : "free"}});
    const Assignment a = Evaluate(*first, attributes, "stable");
    const Assignment b = Evaluate(*rebuilt, attributes, "stable");
    ASSERT_EQ(a.variant_index, b.variant_index);
    ASSERT_EQ(a.reason, b.reason);
    ASSERT_EQ(a.bucket, b.bucket);
  }
}

}  // namespace
}  // namespace lift::assignment
