// Metric definitions, the aggregation SQL and readouts against a real PostgreSQL.
//
// Data with known properties is generated in the test (deterministic RNG) and written straight
// into first_exposures / metric_events. The expected sufficient statistics are computed from the
// same raw rows by a plain C++ loop that implements the documented rules independently of the SQL
// (windows, filters, aggregations, capping with PostgreSQL's percentile_cont interpolation,
// pre-period, multiple exposures and other phases excluded, units without events as 0) and
// compared at kRelative = 1e-9. Readout decisions are checked for a clear winner (SHIP), a
// guardrail breach (DONT_SHIP), a sample ratio mismatch (INVALID) and a flat, underpowered
// experiment (KEEP_RUNNING with days to go).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include <grpcpp/grpcpp.h>

#include "lift/v1/metrics.grpc.pb.h"
#include "lift/v1/readouts.grpc.pb.h"
#include "server/experiments/experiment_store.h"
#include "server/lift_server.h"
#include "server/ingest/partition_manager.h"
#include "server/metrics/metric_service.h"
#include "server/metrics/metric_store.h"
#include "server/readout/aggregation.h"
#include "server/readout/readout_service.h"
#include "stats/ab_analysis.h"
#include "tests/support/test_cluster.h"

namespace lift::readout {
namespace {

using ::testing::HasSubstr;
using testing::TestDatabase;

constexpr double kRelative = 1e-9;  // SQL sums vs the C++ loop: only summation order differs
constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kHour = 3600 * kSecond;
constexpr int64_t kDay = 24 * kHour;
// 2026-11-02T10:00:00Z: start of phase 2 of the aggregation experiment (phase 1 ran before it).
constexpr int64_t kT0 = 1793613600LL * kSecond;
constexpr int64_t kEnd = kT0 + 14 * kDay;  // analysis end

struct Unit {
  std::string id;
  std::string variant;
  int phase = 2;
  int64_t first_ts = 0;
  bool multiple = false;
};

struct Event {
  std::string unit;
  std::string name;
  int64_t ts = 0;
  double value = 0;
  std::string plan;  // "" = property absent
};

void ExpectNear(double actual, double expected, const std::string& what) {
  const double scale = std::max(1.0, std::fabs(expected));
  EXPECT_LE(std::fabs(actual - expected), kRelative * scale)
      << what << ": actual " << actual << " expected " << expected;
}

class Database {
 public:
  Database() : pool_(db_.connection_string(), 4), experiment_store_(&pool_), metric_store_(&pool_) {}

  void EnsurePartitions(int64_t from, int64_t to) {
    pqxx::connection connection(db_.connection_string());
    std::vector<int64_t> days;
    for (int64_t ts = from; ts <= to; ts += kDay) days.push_back(ts);
    ingest::PartitionManager("metric_events").Ensure(connection, days);
  }

  void Insert(const std::string& experiment, const std::vector<Unit>& units,
              const std::vector<Event>& events) {
    pqxx::connection connection(db_.connection_string());
    pqxx::work work(connection);
    {
      pqxx::stream_to stream(work, "first_exposures",
                             std::vector<std::string>{"experiment_key", "phase", "unit_id",
                                                      "variant_key", "first_ts",
                                                      "multiple_variants"});
      for (const Unit& unit : units) {
        stream << std::make_tuple(experiment, unit.phase, unit.id, unit.variant,
                                  TimestampLiteral(unit.first_ts), unit.multiple ? "t" : "f");
      }
      stream.complete();
    }
    {
      pqxx::stream_to stream(work, "metric_events",
                             std::vector<std::string>{"unit_id", "event_name", "event_id", "ts",
                                                      "value", "properties"});
      int64_t id = 0;
      for (const Event& event : events) {
        const std::string properties =
            event.plan.empty() ? "{}" : nlohmann::json{{"plan", event.plan}}.dump();
        stream << std::make_tuple(event.unit, event.name, absl::StrCat(experiment, "-", ++id),
                                  TimestampLiteral(event.ts), event.value, properties);
      }
      stream.complete();
    }
    work.commit();
  }

  // An experiment row with one phase per entry of `phase_starts` (the last one current).
  void CreateExperiment(const std::string& key, const std::vector<std::string>& variants,
                        const std::vector<double>& weights, const nlohmann::json& metrics,
                        const std::vector<int64_t>& phase_starts) {
    nlohmann::json variant_json = nlohmann::json::array();
    nlohmann::json phase_variants = nlohmann::json::array();
    for (size_t i = 0; i < variants.size(); ++i) {
      variant_json.push_back({{"key", variants[i]}, {"weight", weights[i]}, {"payload", ""}});
      phase_variants.push_back({{"key", variants[i]}, {"weight", weights[i]}});
    }
    pqxx::connection connection(db_.connection_string());
    pqxx::work work(connection);
    work.exec_params0(
        "INSERT INTO experiments (key, variants, metrics, status, phase, created_by, updated_by) "
        "VALUES ($1, $2::jsonb, $3::jsonb, 'running', $4, 'test', 'test')",
        key, variant_json.dump(), metrics.dump(), static_cast<int>(phase_starts.size()));
    for (size_t p = 0; p < phase_starts.size(); ++p) {
      std::optional<std::string> ended;
      if (p + 1 < phase_starts.size()) ended = TimestampLiteral(phase_starts[p + 1]);
      work.exec_params0(
          "INSERT INTO experiment_phases (experiment_key, phase, started_at, ended_at, variants, "
          "coverage, reason) VALUES ($1, $2, $3::timestamptz, $4::timestamptz, $5::jsonb, 1, "
          "'started')",
          key, static_cast<int>(p + 1), TimestampLiteral(phase_starts[p]), ended,
          phase_variants.dump());
    }
    work.commit();
  }

  std::string connection_string() const { return db_.connection_string(); }
  store::ConnectionPool& pool() { return pool_; }
  experiments::ExperimentStore& experiment_store() { return experiment_store_; }
  metrics::MetricStore& metric_store() { return metric_store_; }

 private:
  TestDatabase db_;
  store::ConnectionPool pool_;
  experiments::ExperimentStore experiment_store_;
  metrics::MetricStore metric_store_;
};

// ---------------------------------------------------------------------------------------------
// The independent reference: per-unit values and moments by a plain loop over the raw rows.

bool Matches(const metrics::EventSelector& selector, const Event& event) {
  if (event.name != selector.event) return false;
  for (const metrics::PropertyFilter& filter : selector.filters) {
    const bool present = !event.plan.empty() && filter.property == "plan";
    const bool in = present && std::find(filter.values.begin(), filter.values.end(),
                                         event.plan) != filter.values.end();
    if ((filter.op == "equal" || filter.op == "in") && !in) return false;
    if ((filter.op == "not_equal" || filter.op == "not_in") && in) return false;
  }
  return true;
}

double AggregateValues(const std::string& aggregation, const std::vector<double>& values) {
  if (aggregation == "count") return static_cast<double>(values.size());
  if (aggregation == "any") return values.empty() ? 0.0 : 1.0;
  if (values.empty()) return 0.0;
  if (aggregation == "max") return *std::max_element(values.begin(), values.end());
  double sum = 0;
  for (double value : values) sum += value;
  return sum;
}

// PostgreSQL percentile_cont: linear interpolation between the sorted values at q·(n - 1).
double PercentileCont(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const size_t lower = static_cast<size_t>(std::floor(position));
  if (lower + 1 >= values.size()) return values[lower];
  return values[lower] + (position - static_cast<double>(lower)) * (values[lower + 1] - values[lower]);
}

std::map<std::string, MetricMoments> ExpectedMoments(const metrics::MetricDefinition& metric,
                                                     const std::vector<Unit>& units,
                                                     const std::vector<Event>& events, int phase,
                                                     int64_t end) {
  struct Values {
    std::string variant;
    double y = 0, d = 0, x = 0, e = 0;
    int64_t pre_events = 0;
  };
  std::map<std::string, std::vector<const Event*>> by_unit;
  for (const Event& event : events) by_unit[event.unit].push_back(&event);
  std::vector<Values> rows;
  for (const Unit& unit : units) {
    if (unit.phase != phase || unit.multiple || unit.first_ts >= end) continue;
    const int64_t post_start = unit.first_ts + metric.window_start_seconds * kSecond;
    const int64_t post_end =
        metric.window_duration_seconds > 0
            ? std::min(end, post_start + metric.window_duration_seconds * kSecond)
            : end;
    const int64_t pre_start = unit.first_ts - int64_t{metric.cuped_pre_period_days} * kDay;
    std::vector<double> num_post, den_post, num_pre, den_pre;
    int64_t pre_events = 0;
    for (const Event* event : by_unit[unit.id]) {
      if (event->ts >= end) continue;
      const bool num = Matches(metric.numerator, *event);
      const bool den = metric.denominator.has_value() && Matches(*metric.denominator, *event);
      const bool post = event->ts >= post_start && event->ts < post_end;
      const bool pre = metric.cuped_pre_period_days > 0 && event->ts >= pre_start &&
                       event->ts < unit.first_ts;
      if (num && post) num_post.push_back(event->value);
      if (den && post) den_post.push_back(event->value);
      if (num && pre) num_pre.push_back(event->value);
      if (den && pre) den_pre.push_back(event->value);
      if ((num || den) && pre) ++pre_events;
    }
    Values values;
    values.variant = unit.variant;
    values.y = AggregateValues(metric.numerator.aggregation, num_post);
    values.x = AggregateValues(metric.numerator.aggregation, num_pre);
    if (metric.denominator.has_value()) {
      values.d = AggregateValues(metric.denominator->aggregation, den_post);
      values.e = AggregateValues(metric.denominator->aggregation, den_pre);
    }
    values.pre_events = pre_events;
    rows.push_back(values);
  }
  double cap = std::numeric_limits<double>::infinity();
  if (metric.capping == "absolute") cap = metric.capping_value;
  if (metric.capping == "percentile") {
    std::vector<double> ys;
    for (const Values& values : rows) ys.push_back(values.y);
    cap = PercentileCont(ys, metric.capping_value);
  }
  std::map<std::string, MetricMoments> out;
  for (const Values& values : rows) {
    MetricMoments& m = out[values.variant];
    const double y = std::min(values.y, cap), x = std::min(values.x, cap);
    const double d = values.d, e = values.e;
    m.n += 1;
    m.sum_y += y;
    m.sum_y2 += y * y;
    m.sum_x += x;
    m.sum_x2 += x * x;
    m.sum_xy += x * y;
    m.sum_d += d;
    m.sum_d2 += d * d;
    m.sum_yd += y * d;
    m.sum_e += e;
    m.sum_e2 += e * e;
    m.sum_xe += x * e;
    m.sum_ye += y * e;
    m.sum_dx += d * x;
    m.sum_de += d * e;
    m.units_missing_pre_period += values.pre_events == 0 ? 1 : 0;
    m.cap = cap;
  }
  return out;
}

metrics::MetricDefinition Metric(const std::string& key, const std::string& kind,
                                 const std::string& event, const std::string& aggregation) {
  metrics::MetricDefinition metric;
  metric.key = key;
  metric.kind = kind;
  metric.numerator.event = event;
  metric.numerator.aggregation = aggregation;
  return metric;
}

// Units of phase 2 (and a few of phase 1, multiple-exposure ones and late ones), with purchases and
// sessions spread over [first - 20 days, first + 20 days], including events on the window edges.
void Generate(std::vector<Unit>* units, std::vector<Event>* events) {
  std::mt19937_64 rng(20261102);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const char* plans[] = {"pro", "free", ""};
  for (int i = 0; i < 700; ++i) {
    Unit unit;
    unit.id = absl::StrCat("u", i);
    unit.variant = i % 2 == 0 ? "control" : "treatment";
    unit.first_ts = kT0 + static_cast<int64_t>(uniform(rng) * 13.0 * kDay) + i;  // µs distinct
    if (i < 50) {
      unit.phase = 1;  // the previous phase: never analysed
      unit.first_ts = kT0 - 5 * kDay + i * kSecond;
    } else if (i < 80) {
      unit.multiple = true;
    } else if (i < 90) {
      unit.first_ts = kEnd + i * kSecond;  // exposed after the analysis end
    }
    units->push_back(unit);
    const double lift = unit.variant == "treatment" ? 1.2 : 1.0;
    const int purchases = static_cast<int>(uniform(rng) * 6);
    for (int k = 0; k < purchases; ++k) {
      Event event{unit.id, "purchase",
                  unit.first_ts + static_cast<int64_t>((uniform(rng) * 40.0 - 20.0) * kDay),
                  std::round(uniform(rng) * 100.0 * lift * 100.0) / 100.0,
                  plans[static_cast<int>(uniform(rng) * 3)]};
      events->push_back(event);
    }
    const int sessions = static_cast<int>(uniform(rng) * 8);
    for (int k = 0; k < sessions; ++k) {
      events->push_back({unit.id, "session",
                         unit.first_ts + static_cast<int64_t>((uniform(rng) * 30.0 - 15.0) * kDay),
                         1.0, ""});
    }
    if (i % 7 == 0) {
      // Edges: at first exposure (post, not pre), exactly 14 days before (pre), exactly 7 days
      // after (outside a 7-day window), one microsecond before first exposure (pre).
      events->push_back({unit.id, "purchase", unit.first_ts, 11.0, "pro"});
      events->push_back({unit.id, "purchase", unit.first_ts - 14 * kDay, 13.0, "pro"});
      events->push_back({unit.id, "purchase", unit.first_ts + 7 * kDay, 17.0, "free"});
      events->push_back({unit.id, "session", unit.first_ts - 1, 1.0, ""});
    }
  }
}

std::vector<metrics::MetricDefinition> AggregationMetrics() {
  std::vector<metrics::MetricDefinition> out;
  metrics::MetricDefinition revenue = Metric("revenue", "mean", "purchase", "sum");
  revenue.window_duration_seconds = 7 * 86400;  // first week, CUPED 14 days (default)
  out.push_back(revenue);
  metrics::MetricDefinition converted = Metric("pro_conversion", "proportion", "purchase", "any");
  converted.numerator.filters = {{"plan", "in", {"pro"}}};
  converted.window_start_seconds = 86400;
  converted.window_duration_seconds = 3 * 86400;
  converted.cuped_pre_period_days = 0;
  out.push_back(converted);
  metrics::MetricDefinition per_session = Metric("revenue_per_session", "ratio", "purchase", "sum");
  per_session.denominator = metrics::EventSelector{"session", "count", {}};
  per_session.cuped_pre_period_days = 7;
  out.push_back(per_session);
  metrics::MetricDefinition largest = Metric("largest_purchase", "mean", "purchase", "max");
  largest.capping = "absolute";
  largest.capping_value = 50.0;
  out.push_back(largest);
  metrics::MetricDefinition paid = Metric("paid_purchases", "mean", "purchase", "count");
  paid.numerator.filters = {{"plan", "not_equal", {"free"}}};
  paid.capping = "percentile";
  paid.capping_value = 0.9;
  paid.cuped_pre_period_days = 3;
  out.push_back(paid);
  metrics::MetricDefinition retained = Metric("retained_d7", "retention", "session", "any");
  retained.window_start_seconds = 7 * 86400;
  retained.window_duration_seconds = 7 * 86400;
  out.push_back(retained);
  for (metrics::MetricDefinition& metric : out) {
    metrics::Normalize(&metric);
    EXPECT_TRUE(metrics::ValidateMetric(metric).ok()) << metrics::ValidateMetric(metric);
  }
  return out;
}

TEST(AggregationTest, MatchesIndependentSumsForEveryMetricKind) {
  Database db;
  db.EnsurePartitions(kT0 - 40 * kDay, kT0 + 40 * kDay);
  std::vector<Unit> units;
  std::vector<Event> events;
  Generate(&units, &events);
  db.Insert("agg", units, events);

  AggregationRequest request;
  request.experiment_key = "agg";
  request.phase = 2;
  request.phase_start_micros = kT0;
  request.analysis_end_micros = kEnd;
  request.metrics = AggregationMetrics();
  absl::StatusOr<AggregationResult> result = Aggregate(db.pool(), request);
  ASSERT_TRUE(result.ok()) << result.status();

  EXPECT_EQ(result->multiple_exposure_units, 30);
  int64_t expected_units = 0;
  for (const auto& entry : result->units) expected_units += entry.second;
  EXPECT_EQ(expected_units, 700 - 50 - 30 - 10);  // other phase, multiple, exposed too late
  for (size_t i = 0; i < request.metrics.size(); ++i) {
    const metrics::MetricDefinition& metric = request.metrics[i];
    const std::map<std::string, MetricMoments> expected =
        ExpectedMoments(metric, units, events, 2, kEnd);
    ASSERT_EQ(result->moments[i].size(), expected.size()) << metric.key;
    for (const auto& [variant, want] : expected) {
      SCOPED_TRACE(absl::StrCat(metric.key, " / ", variant));
      const MetricMoments& got = result->moments[i].at(variant);
      EXPECT_EQ(got.n, want.n);
      EXPECT_EQ(result->units.at(variant), want.n);
      ExpectNear(got.sum_y, want.sum_y, "sum_y");
      ExpectNear(got.sum_y2, want.sum_y2, "sum_y2");
      ExpectNear(got.sum_x, want.sum_x, "sum_x");
      ExpectNear(got.sum_x2, want.sum_x2, "sum_x2");
      ExpectNear(got.sum_xy, want.sum_xy, "sum_xy");
      ExpectNear(got.sum_d, want.sum_d, "sum_d");
      ExpectNear(got.sum_d2, want.sum_d2, "sum_d2");
      ExpectNear(got.sum_yd, want.sum_yd, "sum_yd");
      ExpectNear(got.sum_e, want.sum_e, "sum_e");
      ExpectNear(got.sum_e2, want.sum_e2, "sum_e2");
      ExpectNear(got.sum_xe, want.sum_xe, "sum_xe");
      ExpectNear(got.sum_ye, want.sum_ye, "sum_ye");
      ExpectNear(got.sum_dx, want.sum_dx, "sum_dx");
      ExpectNear(got.sum_de, want.sum_de, "sum_de");
      if (metric.cuped_pre_period_days > 0) {
        EXPECT_EQ(got.units_missing_pre_period, want.units_missing_pre_period);
      }
      if (std::isfinite(want.cap)) ExpectNear(got.cap, want.cap, "cap");
      else EXPECT_TRUE(std::isinf(got.cap));
    }
    // The data exercise the rule: something is non-zero in each metric.
    EXPECT_GT(expected.at("control").sum_y, 0.0) << metric.key;
  }
  // Capping bites: the capped max purchase is at most 50 per unit.
  EXPECT_LE(result->moments[3].at("control").sum_y, 50.0 * result->moments[3].at("control").n);
}

// The statement computes each distinct (event selector, window, aggregation) once and derives
// every metric from those: metrics that share selectors, windows or cap values (and a ratio whose
// numerator and denominator are the same event, an `any` next to a `count` of the same events, a
// retention metric with no CUPED next to CUPED ones, two metrics and a ratio capped at different
// percentiles) must still each equal the reference.
TEST(AggregationTest, MetricsSharingSelectorsAndWindowsEachMatchTheReference) {
  Database db;
  db.EnsurePartitions(kT0 - 40 * kDay, kT0 + 40 * kDay);
  std::vector<Unit> units;
  std::vector<Event> events;
  Generate(&units, &events);
  db.Insert("shared", units, events);

  std::vector<metrics::MetricDefinition> list;
  list.push_back(Metric("revenue", "mean", "purchase", "sum"));
  metrics::MetricDefinition capped = Metric("revenue_capped", "mean", "purchase", "sum");
  capped.capping = "percentile";
  capped.capping_value = 0.8;
  list.push_back(capped);
  metrics::MetricDefinition capped_abs = Metric("revenue_capped_abs", "mean", "purchase", "sum");
  capped_abs.capping = "absolute";
  capped_abs.capping_value = 0.8;  // same number as the percentile above, different meaning
  list.push_back(capped_abs);
  list.push_back(Metric("purchases", "mean", "purchase", "count"));
  list.push_back(Metric("purchased", "proportion", "purchase", "any"));
  metrics::MetricDefinition same = Metric("value_per_purchase", "ratio", "purchase", "sum");
  same.denominator = metrics::EventSelector{"purchase", "count", {}};
  list.push_back(same);
  metrics::MetricDefinition pro_ratio = Metric("pro_share", "ratio", "purchase", "sum");
  pro_ratio.numerator.filters = {{"plan", "equal", {"pro"}}};
  pro_ratio.denominator = metrics::EventSelector{"purchase", "sum", {}};
  pro_ratio.cuped_pre_period_days = 3;
  list.push_back(pro_ratio);
  metrics::MetricDefinition retained = Metric("retained", "retention", "session", "any");
  retained.window_start_seconds = 86400;
  retained.window_duration_seconds = 86400;
  retained.cuped_pre_period_days = 0;
  list.push_back(retained);
  metrics::MetricDefinition sessions_max = Metric("sessions_pct", "mean", "session", "count");
  sessions_max.capping = "percentile";
  sessions_max.capping_value = 0.9;
  sessions_max.window_duration_seconds = 7 * 86400;
  list.push_back(sessions_max);
  // A ratio capped at a percentile: its numerator (y, x) capped, its denominator (d, e) not,
  // although the denominator's values (purchase amounts) exceed the cap (of purchase counts).
  metrics::MetricDefinition capped_ratio =
      Metric("purchases_per_amount_capped", "ratio", "purchase", "count");
  capped_ratio.denominator = metrics::EventSelector{"purchase", "sum", {}};
  capped_ratio.capping = "percentile";
  capped_ratio.capping_value = 0.6;
  list.push_back(capped_ratio);
  for (metrics::MetricDefinition& metric : list) {
    metrics::Normalize(&metric);
    ASSERT_TRUE(metrics::ValidateMetric(metric).ok()) << metrics::ValidateMetric(metric);
  }

  AggregationRequest request;
  request.experiment_key = "shared";
  request.phase = 2;
  request.phase_start_micros = kT0;
  request.analysis_end_micros = kEnd;
  request.metrics = list;
  absl::StatusOr<AggregationResult> result = Aggregate(db.pool(), request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->multiple_exposure_units, 30);
  for (size_t i = 0; i < request.metrics.size(); ++i) {
    const metrics::MetricDefinition& metric = request.metrics[i];
    const std::map<std::string, MetricMoments> expected =
        ExpectedMoments(metric, units, events, 2, kEnd);
    ASSERT_EQ(result->moments[i].size(), expected.size()) << metric.key;
    for (const auto& [variant, want] : expected) {
      SCOPED_TRACE(absl::StrCat(metric.key, " / ", variant));
      const MetricMoments& got = result->moments[i].at(variant);
      EXPECT_EQ(got.n, want.n);
      const std::vector<std::pair<const char*, double MetricMoments::*>> fields = {
          {"sum_y", &MetricMoments::sum_y},   {"sum_y2", &MetricMoments::sum_y2},
          {"sum_x", &MetricMoments::sum_x},   {"sum_x2", &MetricMoments::sum_x2},
          {"sum_xy", &MetricMoments::sum_xy}, {"sum_d", &MetricMoments::sum_d},
          {"sum_d2", &MetricMoments::sum_d2}, {"sum_yd", &MetricMoments::sum_yd},
          {"sum_e", &MetricMoments::sum_e},   {"sum_e2", &MetricMoments::sum_e2},
          {"sum_xe", &MetricMoments::sum_xe}, {"sum_ye", &MetricMoments::sum_ye},
          {"sum_dx", &MetricMoments::sum_dx}, {"sum_de", &MetricMoments::sum_de}};
      for (const auto& [name, field] : fields) ExpectNear(got.*field, want.*field, name);
      if (metric.cuped_pre_period_days > 0) {
        EXPECT_EQ(got.units_missing_pre_period, want.units_missing_pre_period);
      }
      if (std::isfinite(want.cap)) ExpectNear(got.cap, want.cap, "cap");
      else EXPECT_TRUE(std::isinf(got.cap));
    }
    EXPECT_GT(expected.at("control").sum_y, 0.0) << metric.key;
  }
  // The two caps of the same number differ: 0.8 absolute bites, the 80th percentile is larger.
  EXPECT_DOUBLE_EQ(result->moments[2].at("control").cap, 0.8);
  EXPECT_GT(result->moments[1].at("control").cap, 0.8);
}

TEST(AggregationTest, PlanPrunesPartitionsOutsideThePhaseAndUsesBoundParameters) {
  Database db;
  db.EnsurePartitions(kT0 - 40 * kDay, kT0 + 40 * kDay);
  db.EnsurePartitions(kT0 + 100 * kDay, kT0 + 100 * kDay);  // far future: must be pruned
  AggregationRequest request;
  request.experiment_key = "x'; DROP TABLE metric_events; --";
  request.phase = 1;
  request.phase_start_micros = kT0;
  request.analysis_end_micros = kEnd;
  request.metrics = AggregationMetrics();
  request.metrics[0].numerator.filters = {{"plan'--", "in", {"a'b", "c\"d"}}};
  const AggregationQuery query = BuildAggregationQuery(request);
  // No user text in the SQL: every key, name and filter value is a bound parameter.
  EXPECT_THAT(query.sql, ::testing::Not(HasSubstr("DROP TABLE")));
  EXPECT_THAT(query.sql, ::testing::Not(HasSubstr("plan'--")));
  EXPECT_THAT(query.sql, ::testing::Not(HasSubstr("purchase")));
  pqxx::connection connection(db.connection_string());
  pqxx::work work(connection);
  const pqxx::result plan = work.exec_params(
      "EXPLAIN " + query.sql, pqxx::prepare::make_dynamic_params(query.params));
  std::string text;
  for (const pqxx::row& row : plan) absl::StrAppend(&text, row[0].c_str(), "\n");
  ingest::PartitionManager names("metric_events");
  EXPECT_THAT(text, HasSubstr(names.PartitionName(ingest::DayOf(kT0 + 3 * kDay))));
  EXPECT_THAT(text, ::testing::Not(HasSubstr(names.PartitionName(ingest::DayOf(kT0 + 100 * kDay)))));
  // Before the longest pre-period (14 days) nothing is read either.
  EXPECT_THAT(text, ::testing::Not(HasSubstr(names.PartitionName(ingest::DayOf(kT0 - 30 * kDay)))));
  // The injected key ran as data: the tables are still there.
  EXPECT_EQ(work.exec1("SELECT count(*) FROM metric_events")[0].as<int64_t>(), 0);
}

// ---------------------------------------------------------------------------------------------
// Metric versioning and validation.

metrics::MetricDefinition RevenueDefinition() {
  metrics::MetricDefinition metric = Metric("revenue", "mean", "purchase", "sum");
  metric.name = "Revenue per user";
  metric.mde = 0.05;
  return metric;
}

TEST(MetricServiceTest, VersionsChangesAndLeavesIdenticalDefinitionsAlone) {
  Database db;
  metrics::MetricService service(&db.metric_store());
  auto created = service.Apply({RevenueDefinition()}, false, "alice");
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_EQ(created->size(), 1u);
  EXPECT_EQ((*created)[0].action, metrics::MetricChange::Action::kCreated);
  EXPECT_EQ((*created)[0].version, 1);

  auto again = service.Apply({RevenueDefinition()}, false, "alice");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].action, metrics::MetricChange::Action::kUnchanged);
  EXPECT_EQ((*again)[0].version, 1);

  metrics::MetricDefinition changed = RevenueDefinition();
  changed.window_duration_seconds = 7 * 86400;
  auto dry = service.Apply({changed}, /*dry_run=*/true, "bob");
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ((*dry)[0].action, metrics::MetricChange::Action::kUpdated);
  EXPECT_EQ(service.Get("revenue")->version, 1);  // nothing written

  auto updated = service.Apply({changed}, false, "bob");
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ((*updated)[0].action, metrics::MetricChange::Action::kUpdated);
  EXPECT_EQ((*updated)[0].previous_version, 1);
  EXPECT_EQ((*updated)[0].version, 2);
  ASSERT_EQ((*updated)[0].changes.size(), 1u);
  EXPECT_EQ((*updated)[0].changes[0].field, "window_duration_seconds");
  EXPECT_EQ((*updated)[0].changes[0].before, "0");
  EXPECT_EQ((*updated)[0].changes[0].after, "604800");

  EXPECT_EQ(service.Get("revenue")->window_duration_seconds, 7 * 86400);
  EXPECT_EQ(service.Get("revenue", 1)->window_duration_seconds, 0);
  EXPECT_EQ(service.Get("revenue")->created_by, "bob");
  auto versions = service.ListVersions("revenue");
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->size(), 2u);
  EXPECT_EQ(service.List()->size(), 1u);
  EXPECT_EQ(service.Get("revenue", 3).status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(service.Get("nope").status().message()), HasSubstr("'nope' not found"));

  pqxx::connection connection(db.connection_string());
  pqxx::work work(connection);
  EXPECT_EQ(work.exec1("SELECT count(*) FROM audit_log WHERE entity_type = 'metric' AND "
                       "entity_key = 'revenue'")[0]
                .as<int64_t>(),
            2);
  // Rows are immutable.
  EXPECT_THROW(work.exec0("UPDATE metric_definitions SET name = 'x'"), pqxx::sql_error);
}

TEST(MetricServiceTest, RejectsInvalidDefinitionsNamingTheField) {
  Database db;
  metrics::MetricService service(&db.metric_store());
  struct Case {
    std::function<void(metrics::MetricDefinition&)> change;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](auto& m) { m.kind = "ratio"; }, "metrics[0].denominator.event is required for kind ratio"},
      {[](auto& m) { m.kind = "median"; }, "metrics[0].kind must be proportion, mean, ratio or retention"},
      {[](auto& m) { m.key = "Bad Key"; }, "metrics[0].key must match"},
      {[](auto& m) { m.numerator.event = ""; }, "metrics[0].numerator.event is required"},
      {[](auto& m) { m.capping = "percentile"; m.capping_value = 1.5; },
       "metrics[0].capping_value must be in (0, 1)"},
      {[](auto& m) { m.cuped_pre_period_days = 400; },
       "metrics[0].cuped_pre_period_days must be in [0, 365]"},
      {[](auto& m) { m.numerator.filters = {{"plan", "equal", {"a", "b"}}}; },
       "metrics[0].numerator.filters[0].values must have exactly one value"},
      {[](auto& m) { m.numerator.filters = {{"plan", "like", {"a"}}}; },
       "metrics[0].numerator.filters[0].operator must be"},
      {[](auto& m) { m.kind = "retention"; }, "metrics[0].window_duration_seconds must be > 0"},
      {[](auto& m) { m.mde = -1; }, "metrics[0].mde must be finite and > 0"},
  };
  for (const Case& c : cases) {
    metrics::MetricDefinition metric = RevenueDefinition();
    c.change(metric);
    auto result = service.Apply({metric}, false, "alice");
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(c.message));
  }
  auto duplicate = service.Apply({RevenueDefinition(), RevenueDefinition()}, false, "alice");
  EXPECT_EQ(duplicate.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(duplicate.status().message()), HasSubstr("metrics[1].key 'revenue'"));
  EXPECT_EQ(service.List()->size(), 0u);  // nothing was written
}

// ---------------------------------------------------------------------------------------------
// Readouts and decisions.

struct Arm {
  std::string variant;
  int units = 0;
  double revenue_mean = 10.0;  // per-unit purchase value (sd 5), with a correlated pre-period
  double latency_mean = 100.0;  // page_load value (sd 10), a "decrease is good" guardrail
};

class ReadoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.EnsurePartitions(kT0 - 20 * kDay, kT0 + 20 * kDay);
    metrics::MetricService metric_service(&db_.metric_store());
    metrics::MetricDefinition revenue = RevenueDefinition();
    revenue.mde = 0.02;
    metrics::MetricDefinition latency = Metric("latency", "mean", "page_load", "sum");
    latency.direction = "decrease";
    latency.cuped_pre_period_days = 0;
    ASSERT_TRUE(metric_service.Apply({revenue, latency}, false, "test").ok());
  }

  // One experiment with a running phase 1 from kT0, units exposed over the first 10 days.
  void Create(const std::string& key, const std::vector<Arm>& arms) {
    std::vector<std::string> variants;
    std::vector<double> weights;
    for (const Arm& arm : arms) {
      variants.push_back(arm.variant);
      weights.push_back(1.0 / static_cast<double>(arms.size()));
    }
    db_.CreateExperiment(
        key, variants, weights,
        {{"success", {"revenue"}},
         {"secondary", nlohmann::json::array()},
         {"guardrails", {{{"metric_key", "latency"}, {"non_inferiority_margin", 0.05}}}}},
        {kT0});
    std::mt19937_64 rng(std::hash<std::string>()(key));
    std::normal_distribution<double> noise(0.0, 1.0);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    int id = 0;
    for (const Arm& arm : arms) {
      for (int i = 0; i < arm.units; ++i) {
        Unit unit;
        unit.id = absl::StrCat(key, "-", arm.variant, "-", i);
        unit.variant = arm.variant;
        unit.phase = 1;
        unit.first_ts = kT0 + static_cast<int64_t>(uniform(rng) * 10.0 * kDay) + (++id);
        const double base = 4.0 * noise(rng);
        units_.push_back(unit);
        events_.push_back({unit.id, "purchase", unit.first_ts - 2 * kDay,
                           std::max(0.0, 10.0 + base + 3.0 * noise(rng)), ""});
        events_.push_back({unit.id, "purchase", unit.first_ts + kHour,
                           std::max(0.0, arm.revenue_mean + base + 3.0 * noise(rng)), ""});
        events_.push_back({unit.id, "page_load", unit.first_ts + 2 * kHour,
                           arm.latency_mean + 10.0 * noise(rng), ""});
      }
    }
    db_.Insert(key, units_, events_);
  }

  v1::Readout Read(const std::string& key) {
    ReadoutService service(&db_.pool(), &db_.experiment_store(), &db_.metric_store(),
                           [] { return kEnd; });
    v1::GetReadoutRequest request;
    request.set_experiment_key(key);
    absl::StatusOr<v1::Readout> readout = service.GetReadout(request);
    EXPECT_TRUE(readout.ok()) << readout.status();
    return readout.ok() ? *readout : v1::Readout();
  }

  std::string Reasons(const v1::Readout& readout) {
    std::string out;
    for (const std::string& reason : readout.decision().reasons()) absl::StrAppend(&out, reason, "\n");
    return out;
  }

  Database db_;
  std::vector<Unit> units_;
  std::vector<Event> events_;
};

TEST_F(ReadoutTest, ClearWinnerShipsAndMatchesTheStatsEngineOnIndependentSums) {
  Create("winner", {{"control", 2000, 10.0, 100.0}, {"treatment", 2000, 11.0, 100.0}});
  const v1::Readout readout = Read("winner");
  EXPECT_EQ(readout.decision().verdict(), v1::Decision::VERDICT_SHIP) << Reasons(readout);
  EXPECT_EQ(readout.decision().variant(), "treatment");
  EXPECT_THAT(Reasons(readout), HasSubstr("Success metric 'revenue' improved in 'treatment'"));
  EXPECT_FALSE(readout.health().srm().flagged());
  EXPECT_NEAR(readout.health().days_running(), 14.0, 1e-9);
  ASSERT_EQ(readout.metrics_size(), 2);
  const v1::MetricResult& revenue = readout.metrics(0);
  EXPECT_EQ(revenue.metric_key(), "revenue");
  EXPECT_EQ(revenue.metric_version(), 1);
  EXPECT_EQ(revenue.role(), v1::METRIC_ROLE_SUCCESS);

  // The readout equals AnalyzeAb on sums computed independently from the raw rows.
  metrics::MetricDefinition definition = RevenueDefinition();
  metrics::Normalize(&definition);
  const auto expected = ExpectedMoments(definition, units_, events_, 1, kEnd);
  stats::AbAnalysisInput input;
  input.kind = stats::MetricKind::kMean;
  input.has_covariate = true;
  input.weights = {0.5, 0.5};
  for (const char* variant : {"control", "treatment"}) {
    const MetricMoments& m = expected.at(variant);
    stats::CovariateStats c;
    c.y = {m.n, m.sum_y, m.sum_y2};
    c.sum_x = m.sum_x;
    c.sum_x_sq = m.sum_x2;
    c.sum_xy = m.sum_xy;
    input.variants.push_back(stats::VariantStats::WithCovariate(variant, c));
  }
  stats::AbAnalysisSettings settings;
  settings.sequential = true;
  absl::StatusOr<stats::AbAnalysisResult> reference = stats::AnalyzeAb(input, settings);
  ASSERT_TRUE(reference.ok()) << reference.status();
  const stats::VariantResult& want = reference->results[0];
  const v1::VariantEffect& got = revenue.effects(0);
  ExpectNear(got.mean(), want.mean, "mean");
  ExpectNear(got.absolute().estimate(), want.absolute.estimate, "absolute");
  ExpectNear(got.absolute().p_value(), want.absolute.p_value, "absolute p");
  ExpectNear(got.relative().ci_low(), want.relative.ci_low, "relative ci_low");
  ASSERT_TRUE(want.cuped.has_value());
  ExpectNear(got.cuped().theta(), want.cuped->theta, "theta");
  ExpectNear(got.cuped().variance_reduction(), want.cuped->variance_reduction, "variance reduction");
  EXPECT_GT(got.cuped().variance_reduction(), 0.3);  // the pre-period is strongly correlated
  ExpectNear(got.p_value(), want.p_value, "p (sequential)");
  ExpectNear(got.sequential().absolute().ci_high(), want.sequential->absolute.effect.ci_high,
             "sequential ci_high");
  ExpectNear(got.bayesian().chance_to_win(), want.bayesian.chance_to_win, "chance to win");
  // One success metric × one treatment: Holm leaves the p-value unchanged.
  ExpectNear(got.adjusted_p_value(), want.p_value, "adjusted p");
  EXPECT_TRUE(got.significant_better());
  // The guardrail (latency unchanged) passes non-inferiority at 5 %.
  EXPECT_EQ(readout.metrics(1).effects(0).guardrail().status(), v1::GuardrailCheck::STATUS_PASS);
  EXPECT_TRUE(readout.health().power().available());
  EXPECT_EQ(readout.health().units_missing_pre_period(), 0);
}

TEST_F(ReadoutTest, GuardrailBreachIsDontShip) {
  Create("breach", {{"control", 1500, 10.0, 100.0}, {"treatment", 1500, 11.0, 110.0}});
  const v1::Readout readout = Read("breach");
  EXPECT_EQ(readout.decision().verdict(), v1::Decision::VERDICT_DONT_SHIP) << Reasons(readout);
  EXPECT_THAT(Reasons(readout), HasSubstr("Guardrail 'latency' is significantly harmed"));
  EXPECT_EQ(readout.metrics(1).effects(0).guardrail().status(), v1::GuardrailCheck::STATUS_FAIL);
}

TEST_F(ReadoutTest, SampleRatioMismatchIsInvalid) {
  Create("srm", {{"control", 1500, 10.0, 100.0}, {"treatment", 1200, 11.0, 100.0}});
  const v1::Readout readout = Read("srm");
  EXPECT_EQ(readout.decision().verdict(), v1::Decision::VERDICT_INVALID) << Reasons(readout);
  EXPECT_TRUE(readout.health().srm().flagged());
  EXPECT_THAT(Reasons(readout), HasSubstr("Sample ratio mismatch"));
}

TEST_F(ReadoutTest, FlatExperimentKeepsRunningWithDaysToGo) {
  Create("flat", {{"control", 150, 10.0, 100.0}, {"treatment", 150, 10.0, 100.0}});
  const v1::Readout readout = Read("flat");
  EXPECT_EQ(readout.decision().verdict(), v1::Decision::VERDICT_KEEP_RUNNING) << Reasons(readout);
  const v1::PowerStatus& power = readout.health().power();
  EXPECT_TRUE(power.available()) << power.note();
  EXPECT_FALSE(power.reached());
  EXPECT_GT(power.required_units_per_arm(), 150);
  EXPECT_GT(power.days_to_go(), 0);
  ExpectNear(power.daily_units(), 300.0 / 14.0, "daily units");
  EXPECT_THAT(Reasons(readout), HasSubstr("more days to reach 80% power"));
}

TEST_F(ReadoutTest, ErrorsNameWhatIsMissing) {
  ReadoutService service(&db_.pool(), &db_.experiment_store(), &db_.metric_store(),
                         [] { return kEnd; });
  v1::GetReadoutRequest request;
  request.set_experiment_key("missing");
  EXPECT_EQ(service.GetReadout(request).status().code(), absl::StatusCode::kNotFound);
  request.set_experiment_key("winner");
  request.set_alpha(1.5);
  auto invalid = service.GetReadout(request);
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(invalid.status().message()), HasSubstr("alpha must be in (0, 1)"));
}

// ---------------------------------------------------------------------------------------------
// The gRPC surface of liftd (in process): proto conversion, status mapping, wiring.

TEST(ReadoutGrpcTest, MetricAndReadoutServicesAnswerThroughLiftd) {
  Database db;
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.insecure_no_auth = true;  // not a security test (see tests/e2e/security_e2e_test.cc)
  options.database_url = db.connection_string();
  absl::StatusOr<std::unique_ptr<LiftServer>> server = LiftServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel =
      grpc::CreateChannel((*server)->listen_address(), grpc::InsecureChannelCredentials());
  auto metrics_stub = v1::MetricService::NewStub(channel);
  auto readouts_stub = v1::ReadoutService::NewStub(channel);

  v1::ApplyMetricsRequest apply;
  v1::Metric* metric = apply.add_metrics();
  metric->set_key("conversion");
  metric->set_kind(v1::METRIC_KIND_PROPORTION);
  metric->mutable_numerator()->set_event("purchase");
  v1::PropertyFilter* filter = metric->mutable_numerator()->add_filters();
  filter->set_property("plan");
  filter->set_operator_(v1::PropertyFilter::OPERATOR_IN);
  filter->add_values("pro");
  metric->set_mde(0.03);
  {
    grpc::ClientContext context;
    v1::ApplyMetricsResponse response;
    ASSERT_TRUE(metrics_stub->ApplyMetrics(&context, apply, &response).ok());
    ASSERT_EQ(response.changes_size(), 1);
    EXPECT_EQ(response.changes(0).action(), v1::MetricChange::ACTION_CREATED);
    EXPECT_EQ(response.changes(0).version(), 1);
  }
  {
    grpc::ClientContext context;
    v1::GetMetricRequest request;
    request.set_key("conversion");
    v1::Metric got;
    ASSERT_TRUE(metrics_stub->GetMetric(&context, request, &got).ok());
    EXPECT_EQ(got.version(), 1);
    EXPECT_EQ(got.numerator().aggregation(), v1::AGGREGATION_ANY);  // the kind's default
    EXPECT_EQ(got.cuped_pre_period_days(), 14);                       // default
    ASSERT_EQ(got.numerator().filters_size(), 1);
    EXPECT_EQ(got.numerator().filters(0).values(0), "pro");
    EXPECT_DOUBLE_EQ(got.mde(), 0.03);
  }
  {
    metric->set_kind(v1::METRIC_KIND_RATIO);
    grpc::ClientContext context;
    v1::ApplyMetricsResponse response;
    const grpc::Status status = metrics_stub->ApplyMetrics(&context, apply, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("metrics[0].denominator.event is required"));
  }
  {
    grpc::ClientContext context;
    v1::GetReadoutRequest request;
    request.set_experiment_key("nope");
    v1::Readout readout;
    const grpc::Status status = readouts_stub->GetReadout(&context, request, &readout);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(status.error_message(), HasSubstr("experiment 'nope' not found"));
  }
  (*server)->Shutdown();
}

}  // namespace
}  // namespace lift::readout
