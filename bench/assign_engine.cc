// assign_engine: cost of assignment evaluation against an immutable snapshot (Google Benchmark).
//
// Measures EvaluateAllRunning for one unit against 1, 50 and 500 running experiments, and reports
// nanoseconds per experiment evaluated (goal: < 150 ns, issue 4), next to the baseline measured in
// the same run: the bare GrowthBook hash v2 of a unit id with a precomputed seed. The experiments
// are a realistic mix: 2-3 variants, coverage 0.5-1, a quarter targeted on country with $in, an
// eighth on app version with $vgte, a quarter in layers (ten 10% slices each), and one global
// holdout. Units rotate through 1,024 precomputed attribute sets so caches see a varied stream.
//
//   build-assign/bench/assign_engine [--benchmark_min_time=0.5]
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "server/assignment/attributes.h"
#include "server/assignment/engine.h"
#include "server/assignment/experiment_config.h"
#include "server/assignment/hash.h"
#include "server/assignment/snapshot.h"

namespace lift::assignment {
namespace {

constexpr size_t kUnitPool = 1024;  // power of two

std::vector<std::string> UnitIds() {
  std::vector<std::string> ids;
  for (size_t i = 0; i < kUnitPool; ++i) ids.push_back("user-" + std::to_string(1000003 * i));
  return ids;
}

std::map<std::string, std::string> UnitStrings(size_t i, const std::string& id) {
  static const char* const kCountries[] = {"US", "CA", "GB", "DE", "FR", "BR", "IN", "JP"};
  static const char* const kVersions[] = {"2.1.0", "2.3.0", "2.4.1", "3.0.0-beta.2", "3.0.0"};
  return {{"id", id},
          {"country", kCountries[i % 8]},
          {"app_version", kVersions[i % 5]},
          {"plan", i % 3 == 0 ? "pro" : "free"}};
}

std::vector<Attributes> UnitAttributes() {
  const std::vector<std::string> ids = UnitIds();
  std::vector<Attributes> units;
  for (size_t i = 0; i < kUnitPool; ++i)
    units.push_back(Attributes::FromStrings(UnitStrings(i, ids[i])));
  return units;
}

std::shared_ptr<const Snapshot> BuildSnapshot(int running) {
  std::vector<ExperimentConfig> experiments;
  for (int i = 0; i < running; ++i) {
    ExperimentConfig e;
    e.key = "experiment-" + std::to_string(i);
    e.status = ExperimentStatus::kRunning;
    if (i % 2 == 0) {
      e.variants = {{"control", 0.5, "{\"enabled\":false}"},
                    {"treatment", 0.5, "{\"enabled\":true}"}};
    } else {
      e.variants = {{"control", 0.34, "\"a\""}, {"b", 0.33, "\"b\""}, {"c", 0.33, "\"c\""}};
    }
    e.coverage = 0.5 + 0.5 * (i % 5) / 4.0;
    if (i % 4 == 1)
      e.condition = nlohmann::json::parse(R"({"country": {"$in": ["US", "CA", "GB"]}})");
    if (i % 8 == 3) e.condition = nlohmann::json::parse(R"({"app_version": {"$vgte": "2.3.0"}})");
    if (i % 4 == 2) {
      const int member = i / 4;  // ten experiments per layer, 10% slices
      e.layer = "layer-" + std::to_string(member / 10);
      e.layer_start = 0.1 * (member % 10);
      e.layer_end = 0.1 * (member % 10 + 1);
    }
    experiments.push_back(std::move(e));
  }
  const std::vector<HoldoutConfig> holdouts = {{"global-holdout", 0.02, ""}};
  auto snapshot = Snapshot::Build(experiments, holdouts);
  if (!snapshot.ok()) {
    std::fprintf(stderr, "snapshot: %s\n", std::string(snapshot.status().message()).c_str());
    std::abort();
  }
  return *snapshot;
}

// Baseline: GrowthBook hash v2 of a unit id, seed folded in beforehand (what the engine does).
void BM_HashV2(benchmark::State& state) {
  const std::vector<std::string> ids = UnitIds();
  const uint32_t seed_state = Fnv1a32("experiment-0");
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(HashV2WithSeedState(seed_state, ids[i++ & (kUnitPool - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HashV2)->Unit(benchmark::kNanosecond);

// All running experiments for one unit; items = experiments evaluated.
void BM_EvaluateAllRunning(benchmark::State& state) {
  const int running = static_cast<int>(state.range(0));
  const auto snapshot = BuildSnapshot(running);
  const std::vector<Attributes> units = UnitAttributes();
  std::vector<Assignment> results;
  results.reserve(static_cast<size_t>(running));
  size_t i = 0;
  size_t in_experiment = 0;
  for (auto _ : state) {
    results.clear();
    EvaluateAllRunning(*snapshot, units[i++ & (kUnitPool - 1)], &results);
    in_experiment += results.back().in_experiment;
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(state.iterations() * running);
  state.counters["in_experiment_share_of_last"] =
      static_cast<double>(in_experiment) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_EvaluateAllRunning)->Arg(1)->Arg(50)->Arg(500)->Unit(benchmark::kNanosecond);

// The whole per-unit request path of the gRPC layer: build Attributes from a string map, then
// evaluate all 50 running experiments.
void BM_BuildAttributesAndEvaluate50(benchmark::State& state) {
  constexpr int kRunning = 50;
  const auto snapshot = BuildSnapshot(kRunning);
  const std::vector<std::string> ids = UnitIds();
  std::vector<std::map<std::string, std::string>> requests;
  for (size_t i = 0; i < kUnitPool; ++i) requests.push_back(UnitStrings(i, ids[i]));
  std::vector<Assignment> results;
  size_t i = 0;
  for (auto _ : state) {
    results.clear();
    const Attributes attributes = Attributes::FromStrings(requests[i++ & (kUnitPool - 1)]);
    EvaluateAllRunning(*snapshot, attributes, &results);
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(state.iterations() * kRunning);
}
BENCHMARK(BM_BuildAttributesAndEvaluate50)->Unit(benchmark::kNanosecond);

// One experiment looked up by key in a 500-experiment snapshot.
void BM_EvaluateOneByKey(benchmark::State& state) {
  const auto snapshot = BuildSnapshot(500);
  const std::vector<Attributes> units = UnitAttributes();
  std::vector<std::string> keys;
  for (int k = 0; k < 500; ++k) keys.push_back("experiment-" + std::to_string(k));
  size_t i = 0;
  for (auto _ : state) {
    const size_t n = i++;
    benchmark::DoNotOptimize(Evaluate(*snapshot, units[n & (kUnitPool - 1)], keys[n % 500]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateOneByKey)->Unit(benchmark::kNanosecond);

// Console output plus a closing summary: ns per item and the ratio to the hash baseline.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      const auto items = run.counters.find("items_per_second");
      if (items == run.counters.end() || items->second.value <= 0) continue;
      // items_per_second is already a rate over CPU time: its inverse is seconds per item.
      ns_per_item_[run.benchmark_name()] = 1e9 / items->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void PrintSummary() const {
    const auto baseline = ns_per_item_.find("BM_HashV2");
    if (baseline == ns_per_item_.end()) return;
    constexpr double kGoalNsPerExperiment = 150.0;
    std::printf("\nassign_engine summary (CPU time per item; baseline = bare hash v2 %.1f ns)\n",
                baseline->second);
    for (const auto& [name, ns] : ns_per_item_) {
      std::printf("  %-40s %8.1f ns/item  %6.2fx baseline%s\n", name.c_str(), ns,
                  ns / baseline->second,
                  name.rfind("BM_EvaluateAllRunning", 0) == 0
                      ? (ns < kGoalNsPerExperiment ? "  (goal < 150 ns/experiment: met)"
                                                   : "  (goal < 150 ns/experiment: MISSED)")
                      : "");
    }
  }

 private:
  std::map<std::string, double> ns_per_item_;
};

}  // namespace
}  // namespace lift::assignment

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  lift::assignment::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintSummary();
  benchmark::Shutdown();
  return 0;
}
