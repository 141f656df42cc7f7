// Readout segments (GetReadoutRequest.segment_by) against a real PostgreSQL.
//
// Units with a "country" attribute on their first exposure (25 values with distinct unit counts,
// plus units without the attribute: no key, a JSON null, or no attributes at all) and purchase /
// session events are generated in the test (deterministic RNG) and written straight into
// first_exposures / metric_events. The expected per-segment sufficient statistics come from the
// raw rows by a plain C++ loop that applies the documented rules independently of the SQL (first
// exposure's attribute; top 20 values by units, ties by value; the rest pooled as "other";
// missing as "(none)"; windows, pre-period, ratio, capping over the WHOLE population) and are
// compared at kRelative = 1e-9 (only the summation order differs).
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

#include "server/experiments/experiment_store.h"
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
constexpr int64_t kT0 = 1793613600LL * kSecond;  // 2026-11-02T10:00:00Z, phase 1 start
constexpr int64_t kEnd = kT0 + 10 * kDay;        // analysis end ("now")
constexpr char kExperiment[] = "segmented";

void ExpectNear(double actual, double expected, const std::string& what) {
  const double scale = std::max(1.0, std::fabs(expected));
  EXPECT_LE(std::fabs(actual - expected), kRelative * scale)
      << what << ": actual " << actual << " expected " << expected;
}

struct Unit {
  std::string id;
  std::string variant;
  int64_t first_ts = 0;
  std::string attributes;  // JSON text; "" = SQL NULL
  std::string country;     // what the attributes say; "" = none
  bool multiple = false;
};

struct Event {
  std::string unit;
  std::string name;
  int64_t ts = 0;
  double value = 0;
};

// Country c{k} gets 60 - 2k units (k = 0..24: 25 values, distinct counts, so the ranking is
// unambiguous), 30 units have no country (10 without the key, 10 with a JSON null, 10 without
// attributes), 20 units are seen in two variants (excluded). Values of an arm differ by country
// so segments differ.
void Generate(std::vector<Unit>* units, std::vector<Event>* events) {
  std::mt19937_64 rng(6);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  int id = 0;
  auto add = [&](const std::string& country, const std::string& attributes, bool multiple) {
    Unit unit;
    unit.id = absl::StrCat("u", id);
    unit.variant = id % 2 == 0 ? "control" : "treatment";
    unit.first_ts = kT0 + static_cast<int64_t>(uniform(rng) * 9.0 * kDay) + id;
    unit.attributes = attributes;
    unit.country = country;
    unit.multiple = multiple;
    ++id;
    const double lift = unit.variant == "treatment" ? 1.1 : 1.0;
    const int purchases = static_cast<int>(uniform(rng) * 5);
    for (int k = 0; k < purchases; ++k) {
      events->push_back({unit.id, "purchase",
                         unit.first_ts + static_cast<int64_t>((uniform(rng) * 20.0 - 8.0) * kDay),
                         std::round(uniform(rng) * 80.0 * lift * 100.0) / 100.0});
    }
    const int sessions = 1 + static_cast<int>(uniform(rng) * 6);
    for (int k = 0; k < sessions; ++k) {
      events->push_back({unit.id, "session",
                         unit.first_ts + static_cast<int64_t>((uniform(rng) * 12.0 - 4.0) * kDay),
                         1.0});
    }
    units->push_back(unit);
  };
  for (int k = 0; k < 25; ++k) {
    const std::string country = absl::StrCat("c", k < 10 ? "0" : "", k);
    for (int i = 0; i < 60 - 2 * k; ++i) {
      add(country, nlohmann::json{{"country", country}, {"plan", "pro"}}.dump(), false);
    }
  }
  for (int i = 0; i < 10; ++i) add("", R"({"plan":"free"})", false);
  for (int i = 0; i < 10; ++i) add("", R"({"country":null})", false);
  for (int i = 0; i < 10; ++i) add("", "", false);
  for (int i = 0; i < 20; ++i) add("c00", R"({"country":"c00"})", true);
}

class Database {
 public:
  Database() : pool_(db_.connection_string(), 4), experiment_store_(&pool_), metric_store_(&pool_) {}

  void Load(const std::vector<Unit>& units, const std::vector<Event>& events) {
    pqxx::connection connection(db_.connection_string());
    std::vector<int64_t> days;
    for (int64_t ts = kT0 - 20 * kDay; ts <= kT0 + 25 * kDay; ts += kDay) days.push_back(ts);
    ingest::PartitionManager("metric_events").Ensure(connection, days);
    pqxx::work work(connection);
    work.exec_params0(
        "INSERT INTO experiments (key, variants, metrics, status, phase, created_by, updated_by) "
        "VALUES ($1, $2::jsonb, $3::jsonb, 'running', 1, 'test', 'test')",
        kExperiment,
        R"([{"key":"control","weight":0.5,"payload":""},{"key":"treatment","weight":0.5,"payload":""}])",
        R"({"success":["revenue"],"secondary":["revenue_per_session"],"guardrails":[{"metric_key":"sessions","non_inferiority_margin":0.05}]})");
    work.exec_params0(
        "INSERT INTO experiment_phases (experiment_key, phase, started_at, variants, coverage, "
        "reason) VALUES ($1, 1, $2::timestamptz, $3::jsonb, 1, 'started')",
        kExperiment, TimestampLiteral(kT0),
        R"([{"key":"control","weight":0.5},{"key":"treatment","weight":0.5}])");
    for (const Unit& unit : units) {
      std::optional<std::string> attributes;
      if (!unit.attributes.empty()) attributes = unit.attributes;
      work.exec_params0(
          "INSERT INTO first_exposures (experiment_key, phase, unit_id, variant_key, first_ts, "
          "attributes, multiple_variants) VALUES ($1, 1, $2, $3, $4::timestamptz, $5::jsonb, $6)",
          kExperiment, unit.id, unit.variant, TimestampLiteral(unit.first_ts), attributes,
          unit.multiple);
    }
    pqxx::stream_to stream(work, "metric_events",
                           std::vector<std::string>{"unit_id", "event_name", "event_id", "ts",
                                                    "value"});
    int64_t id = 0;
    for (const Event& event : events) {
      stream << std::make_tuple(event.unit, event.name, absl::StrCat("e", ++id),
                                TimestampLiteral(event.ts), event.value);
    }
    stream.complete();
    work.commit();
  }

  store::ConnectionPool& pool() { return pool_; }
  experiments::ExperimentStore& experiment_store() { return experiment_store_; }
  metrics::MetricStore& metric_store() { return metric_store_; }

 private:
  TestDatabase db_;
  store::ConnectionPool pool_;
  experiments::ExperimentStore experiment_store_;
  metrics::MetricStore metric_store_;
};

metrics::MetricDefinition Metric(const std::string& key, const std::string& kind,
                                 const std::string& event, const std::string& aggregation) {
  metrics::MetricDefinition metric;
  metric.key = key;
  metric.kind = kind;
  metric.numerator.event = event;
  metric.numerator.aggregation = aggregation;
  return metric;
}

// revenue: mean of purchase sums in the first 7 days, CUPED 14 days, capped at the 90th
// percentile (of the whole population: segments must not recompute it); revenue_per_session: a
// ratio with a 7-day CUPED pre-period; sessions: a count without CUPED.
std::vector<metrics::MetricDefinition> Metrics() {
  std::vector<metrics::MetricDefinition> out;
  metrics::MetricDefinition revenue = Metric("revenue", "mean", "purchase", "sum");
  revenue.window_duration_seconds = 7 * 86400;
  revenue.capping = "percentile";
  revenue.capping_value = 0.9;
  revenue.mde = 0.05;
  out.push_back(revenue);
  metrics::MetricDefinition ratio = Metric("revenue_per_session", "ratio", "purchase", "sum");
  ratio.denominator = metrics::EventSelector{"session", "count", {}};
  ratio.cuped_pre_period_days = 7;
  out.push_back(ratio);
  metrics::MetricDefinition sessions = Metric("sessions", "mean", "session", "count");
  sessions.cuped_pre_period_days = 0;
  out.push_back(sessions);
  for (metrics::MetricDefinition& metric : out) {
    metrics::Normalize(&metric);
    EXPECT_TRUE(metrics::ValidateMetric(metric).ok()) << metrics::ValidateMetric(metric);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The independent reference.

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
  return values[lower] +
         (position - static_cast<double>(lower)) * (values[lower + 1] - values[lower]);
}

// The segment label of each unit as the readout defines it: top 20 countries by analysed units
// (ties by value), "other", "(none)".
std::map<std::string, std::string> SegmentOfUnit(const std::vector<Unit>& units,
                                                 std::map<std::string, int64_t>* pooled) {
  std::map<std::string, int64_t> count;
  for (const Unit& unit : units) {
    if (!unit.multiple && !unit.country.empty()) ++count[unit.country];
  }
  std::vector<std::pair<std::string, int64_t>> ranked(count.begin(), count.end());
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::map<std::string, std::string> label_of_country;
  for (size_t k = 0; k < ranked.size(); ++k) {
    label_of_country[ranked[k].first] = k < 20 ? ranked[k].first : "other";
    if (k >= 20) ++(*pooled)["other"];
  }
  std::map<std::string, std::string> out;
  for (const Unit& unit : units) {
    out[unit.id] = unit.country.empty() ? "(none)" : label_of_country[unit.country];
  }
  return out;
}

// [segment label][variant] moments of `metric`; the cap is computed over all analysed units.
std::map<std::string, std::map<std::string, MetricMoments>> ExpectedSegmentMoments(
    const metrics::MetricDefinition& metric, const std::vector<Unit>& units,
    const std::vector<Event>& events, const std::map<std::string, std::string>& segment_of) {
  struct Values {
    std::string segment, variant;
    double y = 0, d = 0, x = 0, e = 0;
    bool pre_events = false;
  };
  std::map<std::string, std::vector<const Event*>> by_unit;
  for (const Event& event : events) by_unit[event.unit].push_back(&event);
  std::vector<Values> rows;
  for (const Unit& unit : units) {
    if (unit.multiple || unit.first_ts >= kEnd) continue;
    const int64_t post_start = unit.first_ts + metric.window_start_seconds * kSecond;
    const int64_t post_end =
        metric.window_duration_seconds > 0
            ? std::min(kEnd, post_start + metric.window_duration_seconds * kSecond)
            : kEnd;
    const int64_t pre_start = unit.first_ts - int64_t{metric.cuped_pre_period_days} * kDay;
    std::vector<double> num_post, den_post, num_pre, den_pre;
    Values values;
    for (const Event* event : by_unit[unit.id]) {
      if (event->ts >= kEnd) continue;
      const bool num = event->name == metric.numerator.event;
      const bool den = metric.denominator.has_value() && event->name == metric.denominator->event;
      const bool post = event->ts >= post_start && event->ts < post_end;
      const bool pre = metric.cuped_pre_period_days > 0 && event->ts >= pre_start &&
                       event->ts < unit.first_ts;
      if (num && post) num_post.push_back(event->value);
      if (den && post) den_post.push_back(event->value);
      if (num && pre) num_pre.push_back(event->value);
      if (den && pre) den_pre.push_back(event->value);
      if ((num || den) && pre) values.pre_events = true;
    }
    values.segment = segment_of.at(unit.id);
    values.variant = unit.variant;
    values.y = AggregateValues(metric.numerator.aggregation, num_post);
    values.x = AggregateValues(metric.numerator.aggregation, num_pre);
    if (metric.denominator.has_value()) {
      values.d = AggregateValues(metric.denominator->aggregation, den_post);
      values.e = AggregateValues(metric.denominator->aggregation, den_pre);
    }
    rows.push_back(values);
  }
  double cap = std::numeric_limits<double>::infinity();
  if (metric.capping == "percentile") {
    std::vector<double> ys;
    for (const Values& values : rows) ys.push_back(values.y);
    cap = PercentileCont(ys, metric.capping_value);
  }
  std::map<std::string, std::map<std::string, MetricMoments>> out;
  for (const Values& values : rows) {
    MetricMoments& m = out[values.segment][values.variant];
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
    m.units_missing_pre_period += values.pre_events ? 0 : 1;
    m.cap = cap;
  }
  return out;
}

void ExpectMoments(const MetricMoments& got, const MetricMoments& want, bool covariate) {
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
  if (covariate) {
    EXPECT_EQ(got.units_missing_pre_period, want.units_missing_pre_period);
  }
  if (std::isfinite(want.cap)) {
    ExpectNear(got.cap, want.cap, "cap");
  } else {
    EXPECT_TRUE(std::isinf(got.cap));
  }
}

class SegmentsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    units_ = new std::vector<Unit>();
    events_ = new std::vector<Event>();
    Generate(units_, events_);
  }
  static void TearDownTestSuite() {
    delete units_;
    delete events_;
  }

  void SetUp() override {
    db_.Load(*units_, *events_);
    metrics::MetricService service(&db_.metric_store());
    auto applied = service.Apply(Metrics(), false, "test");
    ASSERT_TRUE(applied.ok()) << applied.status();
  }

  AggregationRequest Request(const std::string& segment_by) {
    AggregationRequest request;
    request.experiment_key = kExperiment;
    request.phase = 1;
    request.phase_start_micros = kT0;
    request.analysis_end_micros = kEnd;
    request.metrics = Metrics();
    request.segment_by = segment_by;
    return request;
  }

  absl::StatusOr<v1::Readout> Read(const std::string& segment_by) {
    ReadoutService service(&db_.pool(), &db_.experiment_store(), &db_.metric_store(),
                           [] { return kEnd; });
    v1::GetReadoutRequest request;
    request.set_experiment_key(kExperiment);
    request.set_segment_by(segment_by);
    return service.GetReadout(request);
  }

  static std::vector<Unit>* units_;
  static std::vector<Event>* events_;
  Database db_;
};

std::vector<Unit>* SegmentsTest::units_ = nullptr;
std::vector<Event>* SegmentsTest::events_ = nullptr;

TEST_F(SegmentsTest, SegmentSumsMatchIndependentSumsWithTop20OtherAndNone) {
  absl::StatusOr<AggregationResult> result = Aggregate(db_.pool(), Request("country"));
  ASSERT_TRUE(result.ok()) << result.status();
  std::map<std::string, int64_t> pooled;
  const std::map<std::string, std::string> segment_of = SegmentOfUnit(*units_, &pooled);

  // 20 ranked countries (c00 has the most units ... c19), then other (c20..c24), then (none).
  ASSERT_EQ(result->segments.size(), 22u);
  for (int k = 0; k < 20; ++k) {
    SCOPED_TRACE(k);
    const SegmentAggregate& segment = result->segments[k];
    EXPECT_EQ(segment.value, absl::StrCat("c", k < 10 ? "0" : "", k));
    EXPECT_FALSE(segment.other);
    EXPECT_FALSE(segment.none);
    EXPECT_EQ(segment.units.at("control") + segment.units.at("treatment"), 60 - 2 * k);
  }
  const SegmentAggregate& other = result->segments[20];
  EXPECT_TRUE(other.other);
  EXPECT_FALSE(other.none);
  EXPECT_EQ(other.value, "other");
  EXPECT_EQ(other.pooled_values, 5);
  EXPECT_EQ(pooled["other"], 5);
  EXPECT_EQ(other.units.at("control") + other.units.at("treatment"),
            (60 - 40) + (60 - 42) + (60 - 44) + (60 - 46) + (60 - 48));
  const SegmentAggregate& none = result->segments[21];
  EXPECT_TRUE(none.none);
  EXPECT_EQ(none.value, "(none)");
  EXPECT_EQ(none.units.at("control") + none.units.at("treatment"), 30);

  for (size_t i = 0; i < Metrics().size(); ++i) {
    const metrics::MetricDefinition metric = Metrics()[i];
    const auto expected = ExpectedSegmentMoments(metric, *units_, *events_, segment_of);
    ASSERT_EQ(expected.size(), 22u);
    for (const SegmentAggregate& segment : result->segments) {
      for (const char* variant : {"control", "treatment"}) {
        SCOPED_TRACE(absl::StrCat(metric.key, " / ", segment.value, " / ", variant));
        ExpectMoments(segment.moments[i].at(variant), expected.at(segment.value).at(variant),
                      metric.cuped_pre_period_days > 0);
        EXPECT_EQ(segment.units.at(variant), expected.at(segment.value).at(variant).n);
      }
    }
  }
  // The data exercise the rules: the cap bites, pre-periods are partly missing.
  EXPECT_GT(result->segments[0].moments[0].at("control").sum_y, 0.0);
  EXPECT_TRUE(std::isfinite(result->segments[0].moments[0].at("control").cap));

  // The overall result is the sum of the segments and equals the unsegmented statement.
  absl::StatusOr<AggregationResult> plain = Aggregate(db_.pool(), Request(""));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(plain->segments.empty());
  EXPECT_EQ(plain->units, result->units);
  EXPECT_EQ(plain->multiple_exposure_units, 20);
  EXPECT_EQ(result->multiple_exposure_units, 20);
  for (size_t i = 0; i < Metrics().size(); ++i) {
    for (const char* variant : {"control", "treatment"}) {
      SCOPED_TRACE(absl::StrCat(Metrics()[i].key, " / ", variant));
      ExpectMoments(result->moments[i].at(variant), plain->moments[i].at(variant),
                    Metrics()[i].cuped_pre_period_days > 0);
    }
  }
}

TEST_F(SegmentsTest, SegmentByIsBoundDataAndTheUnsegmentedStatementIsUnchanged) {
  AggregationRequest request = Request("country'; DROP TABLE metric_events; --");
  const AggregationQuery query = BuildAggregationQuery(request);
  EXPECT_THAT(query.sql, ::testing::Not(HasSubstr("DROP TABLE")));
  EXPECT_THAT(query.params, ::testing::Contains(request.segment_by));
  absl::StatusOr<AggregationResult> result = Aggregate(db_.pool(), request);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->segments.size(), 1u);  // nobody has that attribute
  EXPECT_TRUE(result->segments[0].none);
  // Without segment_by the statement has no trace of segments (so it costs what it did).
  const AggregationQuery plain = BuildAggregationQuery(Request(""));
  EXPECT_THAT(plain.sql, ::testing::Not(HasSubstr("segment")));
  EXPECT_THAT(plain.sql, ::testing::Not(HasSubstr("ranked")));
}

TEST_F(SegmentsTest, ReadoutAnalysesEachSegmentWithoutTouchingTheDecision) {
  absl::StatusOr<v1::Readout> plain = Read("");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->segments_size(), 0);
  EXPECT_EQ(plain->segment_by(), "");
  absl::StatusOr<v1::Readout> readout = Read("country");
  ASSERT_TRUE(readout.ok()) << readout.status();
  EXPECT_EQ(readout->segment_by(), "country");
  ASSERT_EQ(readout->segments_size(), 22);
  // The overall results and the decision are those of the unsegmented readout.
  EXPECT_EQ(readout->decision().verdict(), plain->decision().verdict());
  ASSERT_EQ(readout->metrics_size(), plain->metrics_size());
  for (int m = 0; m < plain->metrics_size(); ++m) {
    const v1::VariantEffect& a = readout->metrics(m).effects(0);
    const v1::VariantEffect& b = plain->metrics(m).effects(0);
    ExpectNear(a.absolute().estimate(), b.absolute().estimate(), "overall absolute");
    ExpectNear(a.adjusted_p_value(), b.adjusted_p_value(), "overall adjusted p");
  }

  std::map<std::string, int64_t> pooled;
  const std::map<std::string, std::string> segment_of = SegmentOfUnit(*units_, &pooled);
  const std::vector<metrics::MetricDefinition> definitions = Metrics();
  int64_t units = 0;
  for (const v1::SegmentReadout& segment : readout->segments()) {
    SCOPED_TRACE(segment.value());
    units += segment.units();
    ASSERT_EQ(segment.variants_size(), 2);
    EXPECT_EQ(segment.variants(0).units() + segment.variants(1).units(), segment.units());
    EXPECT_DOUBLE_EQ(segment.srm().threshold(), stats::kDefaultSrmThreshold);
    EXPECT_EQ(segment.srm().df(), 1);
    ASSERT_EQ(segment.metrics_size(), 3);
    for (int m = 0; m < segment.metrics_size(); ++m) {
      const v1::MetricResult& result = segment.metrics(m);
      EXPECT_EQ(result.metric_key(), readout->metrics(m).metric_key());
      EXPECT_EQ(result.metric_version(), 1);
      ASSERT_EQ(result.effects_size(), 1);
      // Descriptive: no correction across segments.
      EXPECT_EQ(result.effects(0).adjusted_p_value(), result.effects(0).p_value());
    }
  }
  EXPECT_EQ(units, readout->variants(0).units() + readout->variants(1).units());
  EXPECT_TRUE(readout->segments(20).other());
  EXPECT_EQ(readout->segments(20).pooled_values(), 5);
  EXPECT_TRUE(readout->segments(21).none());
  EXPECT_EQ(readout->segments(21).value(), "(none)");

  // A segment's result is the stats engine on that segment's independent sums (same path as the
  // readout: CUPED, sequential), e.g. revenue in the largest segment.
  const auto expected = ExpectedSegmentMoments(definitions[0], *units_, *events_, segment_of);
  stats::AbAnalysisInput input;
  input.kind = stats::MetricKind::kMean;
  input.has_covariate = true;
  input.weights = {0.5, 0.5};
  for (const char* variant : {"control", "treatment"}) {
    const MetricMoments& m = expected.at("c00").at(variant);
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
  const v1::VariantEffect& got = readout->segments(0).metrics(0).effects(0);
  EXPECT_EQ(readout->segments(0).value(), "c00");
  EXPECT_EQ(got.n(), want.n);
  ExpectNear(got.mean(), want.mean, "mean");
  ExpectNear(got.relative().estimate(), want.relative.estimate, "relative");
  ExpectNear(got.cuped().theta(), want.cuped->theta, "theta");
  ExpectNear(got.cuped().relative().ci_low(), want.cuped->relative.ci_low, "cuped ci_low");
  ExpectNear(got.p_value(), want.p_value, "p (sequential)");
  ExpectNear(got.sequential().relative().ci_high(), want.sequential->relative.effect.ci_high,
             "sequential ci_high");
  // Guardrail checks are computed per segment too (same margin), uncorrected.
  EXPECT_TRUE(readout->segments(0).metrics(2).effects(0).has_guardrail());
}

TEST_F(SegmentsTest, InvalidSegmentNameIsInvalidArgument) {
  absl::StatusOr<v1::Readout> too_long = Read(std::string(101, 'a'));
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(too_long.status().message()),
              HasSubstr("segment_by must be 1 to 100 characters long, got 101"));
  absl::StatusOr<v1::Readout> control = Read("coun\ntry");
  EXPECT_EQ(control.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(control.status().message()), HasSubstr("segment_by"));
  // 100 characters (code points, not bytes) are accepted: nobody has it, all units are "(none)".
  std::string hundred;
  for (int i = 0; i < 100; ++i) hundred += "\xC3\xA9";  // é
  absl::StatusOr<v1::Readout> longest = Read(hundred);
  ASSERT_TRUE(longest.ok()) << longest.status();
  ASSERT_EQ(longest->segments_size(), 1);
  EXPECT_TRUE(longest->segments(0).none());
}

}  // namespace
}  // namespace lift::readout
