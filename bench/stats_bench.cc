// stats_bench: cost of the statistics behind a readout, from sufficient statistics.
//
// Figures (CPU time per item):
//   BM_PairAnalysis        "one full analysis": one metric, one treatment/control pair through
//                          AnalyzeAb (stats/ab_analysis.h): Welch (absolute + relative), CUPED,
//                          sequential (always-valid, both scales), Bayesian (flat prior),
//                          guardrail, SRM and the (trivial) correction;
//   BM_WeeklyReview        10,000 such pairs with varied data (the weekly review of every live
//                          experiment × metric), reported per pair and per batch;
//   single estimators      Welch, proportion, ratio, CUPED, CUPED ratio, SRM, Holm, power;
//   BM_SumRawUnits         baseline: summing 2 × 10,000 raw unit values into MeanStats, the pass
//                          over data that sufficient statistics let the database do instead.
// The closing summary prints every figure as a ratio to that baseline.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "stats/ab_analysis.h"
#include "stats/cuped.h"
#include "stats/multiple_testing.h"
#include "stats/power.h"
#include "stats/proportion_test.h"
#include "stats/ratio_metric.h"
#include "stats/srm.h"
#include "stats/welch_test.h"

namespace lift::stats {
namespace {

constexpr int kWeeklyReviewPairs = 10000;
constexpr int kRawUnitsPerArm = 10000;

// Sufficient statistics of an arm with the given moments (as the database would return them).
CovariateStats SyntheticArm(int64_t n, double mean, double sd, double mean_x, double sd_x,
                            double rho) {
  const double count = static_cast<double>(n);
  CovariateStats arm;
  arm.y.n = n;
  arm.y.sum = count * mean;
  arm.y.sum_sq = (count - 1.0) * sd * sd + count * mean * mean;
  arm.sum_x = count * mean_x;
  arm.sum_x_sq = (count - 1.0) * sd_x * sd_x + count * mean_x * mean_x;
  arm.sum_xy = (count - 1.0) * rho * sd * sd_x + count * mean * mean_x;
  return arm;
}

struct PairInput {
  CovariateStats control;
  CovariateStats treatment;
};

std::vector<PairInput> MakePairs(int count) {
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> mean(1.0, 100.0);
  std::uniform_real_distribution<double> lift(-0.05, 0.05);
  std::uniform_real_distribution<double> cv(0.2, 3.0);
  std::uniform_real_distribution<double> rho(0.0, 0.9);
  std::uniform_int_distribution<int64_t> n(1000, 200000);
  std::vector<PairInput> pairs;
  pairs.reserve(count);
  for (int i = 0; i < count; ++i) {
    const double m = mean(rng);
    const double sd = m * cv(rng);
    const double r = rho(rng);
    const int64_t units = n(rng);
    pairs.push_back(PairInput{SyntheticArm(units, m, sd, m, sd, r),
                              SyntheticArm(units + 17, m * (1.0 + lift(rng)), sd, m, sd, r)});
  }
  return pairs;
}

// Everything a readout computes for one metric and one treatment/control pair, as the input of
// AnalyzeAb (built once, outside the timed loop, as a readout receives it from the database).
AbAnalysisInput PairAnalysisInput(const PairInput& pair) {
  AbAnalysisInput input;
  input.kind = MetricKind::kMean;
  input.has_covariate = true;
  input.variants = {VariantStats::WithCovariate("control", pair.control),
                    VariantStats::WithCovariate("treatment", pair.treatment)};
  return input;
}

// The settings of a full analysis: CUPED (covariate present), sequential, Bayesian, guardrail.
AbAnalysisSettings FullAnalysisSettings() {
  AbAnalysisSettings settings;
  settings.sequential = true;
  settings.guardrail_margin = 0.01;
  return settings;
}

std::vector<AbAnalysisInput> MakeInputs(int count) {
  std::vector<AbAnalysisInput> inputs;
  inputs.reserve(count);
  for (const PairInput& pair : MakePairs(count)) inputs.push_back(PairAnalysisInput(pair));
  return inputs;
}

void BM_PairAnalysis(benchmark::State& state) {
  const std::vector<AbAnalysisInput> inputs = MakeInputs(64);
  const AbAnalysisSettings settings = FullAnalysisSettings();
  const auto check = AnalyzeAb(inputs[0], settings);
  if (!check.ok() || !check->results[0].primary_is_cuped || !check->results[0].sequential ||
      !check->results[0].guardrail) {
    state.SkipWithError("the full analysis did not run every part");
    return;
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(AnalyzeAb(inputs[i++ & 63], settings));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PairAnalysis);

void BM_WeeklyReview(benchmark::State& state) {
  const std::vector<AbAnalysisInput> inputs = MakeInputs(kWeeklyReviewPairs);
  const AbAnalysisSettings settings = FullAnalysisSettings();
  for (auto _ : state) {
    for (const AbAnalysisInput& input : inputs) {
      benchmark::DoNotOptimize(AnalyzeAb(input, settings));
    }
  }
  state.SetItemsProcessed(state.iterations() * kWeeklyReviewPairs);
}
BENCHMARK(BM_WeeklyReview)->Unit(benchmark::kMillisecond);

void BM_Welch(benchmark::State& state) {
  const std::vector<PairInput> pairs = MakePairs(64);
  size_t i = 0;
  for (auto _ : state) {
    const PairInput& pair = pairs[i++ & 63];
    benchmark::DoNotOptimize(WelchTest(pair.control.y, pair.treatment.y));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Welch);

void BM_Cuped(benchmark::State& state) {
  const std::vector<PairInput> pairs = MakePairs(64);
  size_t i = 0;
  for (auto _ : state) {
    const PairInput& pair = pairs[i++ & 63];
    benchmark::DoNotOptimize(CupedTest(pair.control, pair.treatment));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Cuped);

void BM_Proportion(benchmark::State& state) {
  const MeanStats control{100000, 10123, 10123};
  const MeanStats treatment{100000, 10456, 10456};
  for (auto _ : state) benchmark::DoNotOptimize(ProportionTest(control, treatment));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Proportion);

RatioCovariateStats SyntheticRatioArm(int64_t n, double revenue_per_session) {
  const double count = static_cast<double>(n);
  RatioCovariateStats arm;
  // Sessions ~ 3 ± 1.5, revenue ≈ value × sessions; pre-period alike and correlated.
  arm.post = RatioStats{n,
                        count * 3.0 * revenue_per_session,
                        count * (9.0 + 2.25) * revenue_per_session * revenue_per_session * 1.2,
                        count * 3.0,
                        count * (9.0 + 2.25),
                        count * (9.0 + 2.25) * revenue_per_session * 1.05};
  arm.pre = arm.post;
  arm.sum_num_post_num_pre = arm.post.sum_num_sq * 0.8;
  arm.sum_den_post_den_pre = arm.post.sum_den_sq * 0.9;
  arm.sum_num_post_den_pre = arm.post.sum_num_den * 0.85;
  arm.sum_den_post_num_pre = arm.post.sum_num_den * 0.85;
  return arm;
}

void BM_Ratio(benchmark::State& state) {
  const RatioCovariateStats control = SyntheticRatioArm(50000, 2.0);
  const RatioCovariateStats treatment = SyntheticRatioArm(50000, 2.04);
  for (auto _ : state) benchmark::DoNotOptimize(RatioMetricTest(control.post, treatment.post));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ratio);

void BM_CupedRatio(benchmark::State& state) {
  const RatioCovariateStats control = SyntheticRatioArm(50000, 2.0);
  const RatioCovariateStats treatment = SyntheticRatioArm(50000, 2.04);
  const auto check = CupedRatioTest(control, treatment);
  if (!check.ok() || !check->adjusted || !check->flags.empty()) {
    state.SkipWithError("synthetic ratio statistics are degenerate");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(CupedRatioTest(control, treatment));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CupedRatio);

void BM_SrmThreeArms(benchmark::State& state) {
  const std::vector<int64_t> counts = {33512, 33211, 33877};
  const std::vector<double> weights = {1, 1, 1};
  for (auto _ : state) benchmark::DoNotOptimize(SampleRatioMismatch(counts, weights));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SrmThreeArms);

void BM_HolmTwentyHypotheses(benchmark::State& state) {
  std::vector<double> p_values;
  for (int i = 1; i <= 20; ++i) p_values.push_back(0.001 * i * i);
  for (auto _ : state) benchmark::DoNotOptimize(HolmAdjust(p_values));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HolmTwentyHypotheses);

void BM_SampleSizeForMean(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(SampleSizeForMean(10.0, 5.0, 0.02));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SampleSizeForMean)->Unit(benchmark::kMicrosecond);

// Baseline: one pass over 2 × 10,000 raw values to form the two arms' MeanStats.
void BM_SumRawUnits(benchmark::State& state) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> revenue(0.0, 1.0);
  std::vector<double> control(kRawUnitsPerArm);
  std::vector<double> treatment(kRawUnitsPerArm);
  for (double& v : control) v = revenue(rng);
  for (double& v : treatment) v = revenue(rng);
  for (auto _ : state) {
    MeanStats a;
    MeanStats b;
    for (double v : control) a += MeanStats{1, v, v * v};
    for (double v : treatment) b += MeanStats{1, v, v * v};
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(b);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SumRawUnits)->Unit(benchmark::kMicrosecond);

// Console output plus a closing summary: CPU ns per item and the ratio to the raw-units baseline.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      const double items = run.counters.count("items_per_second")
                               ? static_cast<double>(run.counters.at("items_per_second"))
                               : 0.0;
      const double ns_per_item = items > 0.0 ? 1e9 / items
                                             : run.GetAdjustedCPUTime() * 1e9 /
                                                   benchmark::GetTimeUnitMultiplier(run.time_unit);
      ns_per_item_[run.benchmark_name()] = ns_per_item;
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto baseline = ns_per_item_.find("BM_SumRawUnits");
    if (baseline == ns_per_item_.end()) return;
    std::printf(
        "\nstats_bench summary (CPU time per item; baseline = summing 2 x %d raw units, %.0f ns)\n",
        kRawUnitsPerArm, baseline->second);
    for (const auto& [name, ns] : ns_per_item_) {
      std::printf("  %-28s %12.1f ns/item  %8.4fx baseline\n", name.c_str(), ns,
                  ns / baseline->second);
    }
    const auto review = ns_per_item_.find("BM_WeeklyReview");
    if (review != ns_per_item_.end()) {
      std::printf("  weekly review of %d pairs: %.1f ms\n", kWeeklyReviewPairs,
                  review->second * kWeeklyReviewPairs / 1e6);
    }
  }

 private:
  std::map<std::string, double> ns_per_item_;
};

}  // namespace
}  // namespace lift::stats

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  lift::stats::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
