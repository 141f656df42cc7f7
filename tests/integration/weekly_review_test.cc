// The weekly review against a real PostgreSQL.
//
// Events with known structure are generated in the test (deterministic RNG) and written straight
// into metric_events over 14 ISO weeks ending with the review week 2026-W47. The KPI, cohort,
// DAU/MAU and event-volume statements are compared with values computed independently from the
// same raw rows by plain C++ loops implementing the documented semantics (readouts.proto "KPI
// value semantics", cohort_query.h), at kRelative = 1e-9 (only summation order differs). Then
// GetWeeklyReview runs through liftd's gRPC surface (in process, real channel): KPI tiers and
// statuses, the experiment with the same decision as a direct readout at the week's end, a
// tracking-gap alert for an event that stopped, and INVALID_ARGUMENT naming the field.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lift/v1/metrics.grpc.pb.h"
#include "lift/v1/readouts.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "server/experiments/experiment_store.h"
#include "server/ingest/partition_manager.h"
#include "server/lift_server.h"
#include "server/metrics/metric_service.h"
#include "server/metrics/metric_store.h"
#include "server/readout/aggregation.h"
#include "server/readout/readout_service.h"
#include "server/review/cohort_query.h"
#include "server/review/event_volume_query.h"
#include "server/review/iso_week.h"
#include "server/review/kpi_query.h"
#include "server/review/weekly_review_service.h"
#include "tests/support/test_cluster.h"

namespace lift::review {
namespace {

using ::testing::HasSubstr;

constexpr double kRelative = 1e-9;
constexpr int64_t kHour = 3'600'000'000LL;
constexpr int kWeeks = 14;  // of generated data, the review week last

const int64_t kReviewStart = WeekStartMicros(IsoWeek{2026, 47});
const int64_t kDataStart = kReviewStart - (kWeeks - 1) * kMicrosPerWeek;

struct Event {
  std::string unit;
  std::string name;
  int64_t ts = 0;
  double value = 0;
  std::string plan;  // "" = property absent
};

void ExpectNear(double actual, double expected, const std::string& what) {
  EXPECT_LE(std::fabs(actual - expected), kRelative * std::max(1.0, std::fabs(expected)))
      << what << ": actual " << actual << " expected " << expected;
}

// Units appear at a random day, stay active with a decaying weekly probability and do things.
// page_view stops completely on Thursday of the review week (a tracking gap).
std::vector<Event> GenerateEvents() {
  std::mt19937_64 rng(47);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<Event> events;
  const int64_t gap_day = kReviewStart + 3 * kMicrosPerDay;
  for (int u = 0; u < 400; ++u) {
    const std::string unit = absl::StrCat("u", u);
    const int64_t first_day = kDataStart + static_cast<int64_t>(uniform(rng) * kWeeks * 7) *
                                               kMicrosPerDay;
    const std::string plan = u % 3 == 0 ? "pro" : (u % 3 == 1 ? "free" : "");
    for (int64_t day = first_day; day < kReviewStart + kMicrosPerWeek; day += kMicrosPerDay) {
      const double weeks_since = static_cast<double>(day - first_day) / kMicrosPerWeek;
      if (day != first_day && uniform(rng) > 0.35 * std::exp(-0.15 * weeks_since)) continue;
      const int64_t ts = day + static_cast<int64_t>(uniform(rng) * 20) * kHour + u;
      if (!(day >= gap_day && day < gap_day + kMicrosPerDay)) {
        events.push_back({unit, "page_view", ts, 1, plan});
      }
      events.push_back({unit, "request", ts + 1, 1 + std::floor(uniform(rng) * 5), ""});
      if (uniform(rng) < 0.1) events.push_back({unit, "error", ts + 2, 1, ""});
      if (uniform(rng) < 0.2) {
        events.push_back({unit, "purchase", ts + 3, std::round(uniform(rng) * 10000) / 100, plan});
      }
    }
  }
  return events;
}

metrics::MetricDefinition Definition(const std::string& key, const std::string& kind,
                                     const std::string& event, const std::string& aggregation,
                                     const std::string& tier) {
  metrics::MetricDefinition metric;
  metric.key = key;
  metric.kind = kind;
  metric.numerator.event = event;
  metric.numerator.aggregation = aggregation;
  metric.tier = tier;
  return metric;
}

std::vector<metrics::MetricDefinition> KpiDefinitions() {
  auto buyers = Definition("buyers", "proportion", "purchase", "", "north_star");
  buyers.target = 0.2;
  auto revenue = Definition("revenue_per_active", "mean", "purchase", "sum", "key_result");
  revenue.numerator.filters.push_back({"plan", "in", {"pro"}});
  revenue.capping = "absolute";
  revenue.capping_value = 80;
  revenue.target = 30;
  revenue.baseline = 5;
  revenue.target_date = "2026-12-31";
  auto errors = Definition("error_rate", "ratio", "error", "count", "guardrail");
  errors.denominator = metrics::EventSelector{"request", "sum", {}};
  errors.direction = "decrease";
  errors.warning_threshold = 0.01;
  errors.alert_threshold = 0.02;
  auto max_purchase = Definition("max_purchase", "mean", "purchase", "max", "input");
  max_purchase.numerator.filters.push_back({"plan", "not_equal", {"pro"}});
  auto views = Definition("views", "mean", "page_view", "count", "input");
  std::vector<metrics::MetricDefinition> out = {buyers, revenue, errors, max_purchase, views};
  for (auto& metric : out) metrics::Normalize(&metric);
  return out;
}

bool Matches(const metrics::EventSelector& selector, const Event& event) {
  if (event.name != selector.event) return false;
  for (const metrics::PropertyFilter& filter : selector.filters) {
    const bool in = !event.plan.empty() && std::find(filter.values.begin(), filter.values.end(),
                                                     event.plan) != filter.values.end();
    if ((filter.op == "equal" || filter.op == "in") && !in) return false;
    if ((filter.op == "not_equal" || filter.op == "not_in") && in) return false;
  }
  return true;
}

double Aggregate(const std::string& aggregation, const std::vector<double>& values) {
  if (aggregation == "count") return static_cast<double>(values.size());
  if (aggregation == "any") return values.empty() ? 0.0 : 1.0;
  if (values.empty()) return 0.0;
  if (aggregation == "max") return *std::max_element(values.begin(), values.end());
  double sum = 0;
  for (double value : values) sum += value;
  return sum;
}

// Weekly sums by the documented rule, from the raw rows.
std::vector<KpiWeekSums> ExpectedKpiSums(const std::vector<metrics::MetricDefinition>& metrics,
                                         const std::vector<Event>& events, int64_t first,
                                         int weeks) {
  std::vector<KpiWeekSums> out(weeks);
  for (int w = 0; w < weeks; ++w) {
    const int64_t start = first + w * kMicrosPerWeek;
    std::map<std::string, std::vector<const Event*>> by_unit;
    for (const Event& event : events) {
      if (event.ts >= start && event.ts < start + kMicrosPerWeek) by_unit[event.unit].push_back(&event);
    }
    out[w].active_units = static_cast<int64_t>(by_unit.size());
    for (const metrics::MetricDefinition& metric : metrics) {
      double sum_y = 0, sum_d = 0;
      for (const auto& [unit, unit_events] : by_unit) {
        std::vector<double> numerator, denominator;
        for (const Event* event : unit_events) {
          if (Matches(metric.numerator, *event)) numerator.push_back(event->value);
          if (metric.denominator && Matches(*metric.denominator, *event)) {
            denominator.push_back(event->value);
          }
        }
        double y = Aggregate(metrics::IsBinaryKind(metric.kind) ? "any"
                                                                : metric.numerator.aggregation,
                             numerator);
        if (!metrics::IsBinaryKind(metric.kind) && metric.capping == "absolute") {
          y = std::min(y, metric.capping_value);
        }
        sum_y += y;
        sum_d += metric.denominator ? Aggregate(metric.denominator->aggregation, denominator) : 1;
      }
      out[w].numerator_sums.push_back(sum_y);
      out[w].denominator_sums.push_back(sum_d);
    }
  }
  return out;
}

class WeeklyReviewTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    events_ = new std::vector<Event>(GenerateEvents());
    db_ = new testing::TestDatabase();
    pqxx::connection connection(db_->connection_string());
    std::vector<int64_t> days;
    for (int64_t day = kDataStart - 28 * kMicrosPerDay; day < kReviewStart + kMicrosPerWeek;
         day += kMicrosPerDay) {
      days.push_back(day);
    }
    ingest::PartitionManager("metric_events").Ensure(connection, days);
    ingest::PartitionManager("exposures").Ensure(connection, days);
    pqxx::work work(connection);
    pqxx::stream_to stream(work, "metric_events",
                           std::vector<std::string>{"unit_id", "event_name", "event_id", "ts",
                                                    "value", "properties"});
    int64_t id = 0;
    for (const Event& event : *events_) {
      stream << std::make_tuple(event.unit, event.name, absl::StrCat("e", ++id),
                                readout::TimestampLiteral(event.ts), event.value,
                                event.plan.empty() ? "{}"
                                                   : nlohmann::json{{"plan", event.plan}}.dump());
    }
    stream.complete();
    work.commit();
  }
  static void TearDownTestSuite() {
    delete db_;
    delete events_;
  }

  static std::vector<Event>* events_;
  static testing::TestDatabase* db_;
};
std::vector<Event>* WeeklyReviewTest::events_ = nullptr;
testing::TestDatabase* WeeklyReviewTest::db_ = nullptr;

TEST_F(WeeklyReviewTest, KpiQueryEqualsSumsFromRawRows) {
  store::ConnectionPool pool(db_->connection_string(), 2);
  KpiQueryRequest request;
  request.metrics = KpiDefinitions();
  request.first_week_start_micros = kDataStart;
  request.weeks = kWeeks;
  absl::StatusOr<std::vector<KpiWeekSums>> actual = RunKpiQuery(pool, request);
  ASSERT_TRUE(actual.ok()) << actual.status();
  const std::vector<KpiWeekSums> expected =
      ExpectedKpiSums(request.metrics, *events_, kDataStart, kWeeks);
  ASSERT_EQ(actual->size(), expected.size());
  for (int w = 0; w < kWeeks; ++w) {
    EXPECT_EQ((*actual)[w].active_units, expected[w].active_units) << "week " << w;
    EXPECT_GT(expected[w].active_units, 0);
    for (size_t m = 0; m < request.metrics.size(); ++m) {
      const std::string what = absl::StrCat(request.metrics[m].key, " week ", w);
      ExpectNear((*actual)[w].numerator_sums[m], expected[w].numerator_sums[m], what + " Σy");
      ExpectNear((*actual)[w].denominator_sums[m], expected[w].denominator_sums[m], what + " Σd");
    }
  }
  // The capped mean really is capped somewhere, and filters matter (pro-only < all purchases).
  EXPECT_GT(expected.back().numerator_sums[0], 0);
}

TEST_F(WeeklyReviewTest, CohortsDauMauAndVolumesEqualRawRowCounts) {
  store::ConnectionPool pool(db_->connection_string(), 2);
  const int cohorts = 8;
  const int64_t first_cohort = kReviewStart - (cohorts - 1) * kMicrosPerWeek;
  const int64_t end = kReviewStart + kMicrosPerWeek;
  std::map<std::string, int64_t> first_seen;
  for (const Event& event : *events_) {
    auto [it, inserted] = first_seen.emplace(event.unit, event.ts);
    if (!inserted) it->second = std::min(it->second, event.ts);
  }
  // [cohort][k] by loops.
  std::vector<std::vector<std::set<std::string>>> active(cohorts);
  for (int c = 0; c < cohorts; ++c) active[c].resize(cohorts - c);
  for (const Event& event : *events_) {
    const int64_t first = first_seen[event.unit];
    if (first < first_cohort || event.ts < first_cohort || event.ts >= end) continue;
    const int c = static_cast<int>((first - first_cohort) / kMicrosPerWeek);
    const int w = static_cast<int>((event.ts - first_cohort) / kMicrosPerWeek);
    active[c][w - c].insert(event.unit);
  }
  absl::StatusOr<CohortCounts> counts = RunCohortQuery(pool, {first_cohort, cohorts});
  ASSERT_TRUE(counts.ok()) << counts.status();
  for (int c = 0; c < cohorts; ++c) {
    ASSERT_EQ((*counts)[c].size(), static_cast<size_t>(cohorts - c));
    EXPECT_GT((*counts)[c][0], 0) << "cohort " << c;
    for (int k = 0; k < cohorts - c; ++k) {
      EXPECT_EQ((*counts)[c][k], static_cast<int64_t>(active[c][k].size()))
          << "cohort " << c << " week " << k;
    }
  }

  const int weeks = 6;
  const int64_t first_week = kReviewStart - (weeks - 1) * kMicrosPerWeek;
  absl::StatusOr<std::vector<DauMauCounts>> dau_mau = RunDauMauQuery(pool, first_week, weeks);
  ASSERT_TRUE(dau_mau.ok()) << dau_mau.status();
  for (int w = 0; w < weeks; ++w) {
    const int64_t week_start = first_week + w * kMicrosPerWeek;
    const int64_t week_end = week_start + kMicrosPerWeek;
    std::set<std::pair<std::string, int64_t>> unit_days;
    std::set<std::string> month;
    for (const Event& event : *events_) {
      if (event.ts >= week_start && event.ts < week_end) {
        unit_days.emplace(event.unit, event.ts / kMicrosPerDay);
      }
      if (event.ts >= week_end - 28 * kMicrosPerDay && event.ts < week_end) month.insert(event.unit);
    }
    EXPECT_EQ((*dau_mau)[w].unit_days, static_cast<int64_t>(unit_days.size())) << "week " << w;
    EXPECT_EQ((*dau_mau)[w].mau, static_cast<int64_t>(month.size())) << "week " << w;
  }

  const int64_t volume_start = kReviewStart - 28 * kMicrosPerDay;
  absl::StatusOr<EventVolumes> volumes = RunEventVolumeQuery(pool, volume_start, 35);
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  std::map<std::string, std::vector<int64_t>> expected;
  for (const Event& event : *events_) {
    if (event.ts < volume_start || event.ts >= volume_start + 35 * kMicrosPerDay) continue;
    auto& daily = expected[event.name];
    if (daily.empty()) daily.assign(35, 0);
    ++daily[(event.ts - volume_start) / kMicrosPerDay];
  }
  EXPECT_EQ(*volumes, expected);
  EXPECT_EQ((*volumes)["page_view"][31], 0);  // Thursday of the review week
}

TEST_F(WeeklyReviewTest, GetWeeklyReviewOverGrpc) {
  // An experiment running since Wednesday of W46: purchases raise conversion in treatment.
  {
    pqxx::connection connection(db_->connection_string());
    pqxx::work work(connection);
    const int64_t phase_start = kReviewStart - 5 * kMicrosPerDay;
    const nlohmann::json variants = {{{"key", "control"}, {"weight", 0.5}, {"payload", ""}},
                                     {{"key", "treatment"}, {"weight", 0.5}, {"payload", ""}}};
    const nlohmann::json phase_variants = {{{"key", "control"}, {"weight", 0.5}},
                                           {{"key", "treatment"}, {"weight", 0.5}}};
    const nlohmann::json roles = {{"success", {"buyers"}},
                                  {"secondary", nlohmann::json::array()},
                                  {"guardrails", nlohmann::json::array()}};
    work.exec_params0(
        "INSERT INTO experiments (key, name, owner, variants, metrics, status, phase, "
        "created_by, updated_by) VALUES ('checkout', 'Checkout <b>v2</b>', 'growth', $1::jsonb, "
        "$2::jsonb, 'running', 1, 'test', 'test')",
        variants.dump(), roles.dump());
    work.exec_params0(
        "INSERT INTO experiment_phases (experiment_key, phase, started_at, variants, coverage, "
        "reason) VALUES ('checkout', 1, $1::timestamptz, $2::jsonb, 1, 'started')",
        readout::TimestampLiteral(phase_start), phase_variants.dump());
    for (int u = 0; u < 400; ++u) {
      work.exec_params0(
          "INSERT INTO first_exposures (experiment_key, phase, unit_id, variant_key, first_ts) "
          "VALUES ('checkout', 1, $1, $2, $3::timestamptz)",
          absl::StrCat("u", u), u % 2 == 0 ? "control" : "treatment",
          readout::TimestampLiteral(phase_start + u * kHour / 10));
    }
    work.commit();
  }
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.insecure_no_auth = true;  // not a security test (see tests/e2e/security_e2e_test.cc)
  options.database_url = db_->connection_string();
  absl::StatusOr<std::unique_ptr<LiftServer>> server = LiftServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel =
      grpc::CreateChannel((*server)->listen_address(), grpc::InsecureChannelCredentials());
  auto metrics_stub = v1::MetricService::NewStub(channel);
  auto readouts_stub = v1::ReadoutService::NewStub(channel);

  // The KPI fields travel through ApplyMetrics and back.
  v1::ApplyMetricsRequest apply;
  for (const metrics::MetricDefinition& definition : KpiDefinitions()) {
    v1::Metric* metric = apply.add_metrics();
    metric->set_key(definition.key);
    metric->set_kind(definition.kind == "proportion" ? v1::METRIC_KIND_PROPORTION
                     : definition.kind == "ratio"    ? v1::METRIC_KIND_RATIO
                                                     : v1::METRIC_KIND_MEAN);
    metric->mutable_numerator()->set_event(definition.numerator.event);
    metric->mutable_numerator()->set_aggregation(
        definition.numerator.aggregation == "count" ? v1::AGGREGATION_COUNT
        : definition.numerator.aggregation == "max" ? v1::AGGREGATION_MAX
        : definition.numerator.aggregation == "any" ? v1::AGGREGATION_ANY
                                                    : v1::AGGREGATION_SUM);
    for (const metrics::PropertyFilter& filter : definition.numerator.filters) {
      v1::PropertyFilter* out = metric->mutable_numerator()->add_filters();
      out->set_property(filter.property);
      out->set_operator_(filter.op == "in" ? v1::PropertyFilter::OPERATOR_IN
                                           : v1::PropertyFilter::OPERATOR_NOT_EQUAL);
      for (const std::string& value : filter.values) out->add_values(value);
    }
    if (definition.denominator) {
      metric->mutable_denominator()->set_event(definition.denominator->event);
      metric->mutable_denominator()->set_aggregation(v1::AGGREGATION_SUM);
    }
    if (definition.capping == "absolute") {
      metric->set_capping(v1::CAPPING_TYPE_ABSOLUTE);
      metric->set_capping_value(definition.capping_value);
    }
    metric->set_direction(definition.direction == "decrease" ? v1::METRIC_DIRECTION_DECREASE
                                                             : v1::METRIC_DIRECTION_INCREASE);
    if (definition.target) metric->set_target(*definition.target);
    if (definition.baseline) metric->set_baseline(*definition.baseline);
    metric->set_target_date(definition.target_date);
    if (definition.warning_threshold) metric->set_warning_threshold(*definition.warning_threshold);
    if (definition.alert_threshold) metric->set_alert_threshold(*definition.alert_threshold);
    metric->set_tier(definition.tier == "north_star"   ? v1::METRIC_TIER_NORTH_STAR
                     : definition.tier == "key_result" ? v1::METRIC_TIER_KEY_RESULT
                     : definition.tier == "guardrail"  ? v1::METRIC_TIER_GUARDRAIL
                                                       : v1::METRIC_TIER_INPUT);
  }
  {
    grpc::ClientContext context;
    v1::ApplyMetricsResponse response;
    const grpc::Status status = metrics_stub->ApplyMetrics(&context, apply, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    v1::GetMetricRequest get;
    get.set_key("error_rate");
    v1::Metric stored;
    grpc::ClientContext get_context;
    ASSERT_TRUE(metrics_stub->GetMetric(&get_context, get, &stored).ok());
    EXPECT_DOUBLE_EQ(stored.warning_threshold(), 0.01);
    EXPECT_DOUBLE_EQ(stored.alert_threshold(), 0.02);
    get.set_key("revenue_per_active");
    grpc::ClientContext get_context2;
    ASSERT_TRUE(metrics_stub->GetMetric(&get_context2, get, &stored).ok());
    EXPECT_EQ(stored.target_date(), "2026-12-31");
    // Thresholds in the wrong order are refused, naming the field.
    v1::ApplyMetricsRequest bad = apply;
    bad.mutable_metrics(2)->set_alert_threshold(0.005);
    grpc::ClientContext bad_context;
    const grpc::Status refused = metrics_stub->ApplyMetrics(&bad_context, bad, &response);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(refused.error_message(), HasSubstr("metrics[2].alert_threshold must be >="));
  }

  // A launch registered for 'pro' units a week before the review week: its post-launch window
  // overlaps W47, so the review reports it, analysed as AnalyzeLaunch would.
  v1::CreateLaunchRequest create;
  v1::Launch* launch = create.mutable_launch();
  launch->set_key("pro-plan-perks");
  launch->set_name("Perks for the pro plan");
  launch->add_metric_keys("buyers");
  launch->set_treated("plan=pro");
  launch->set_control("plan=free");
  launch->set_launch_at_micros(kReviewStart - kMicrosPerWeek);
  launch->set_pre_days(14);
  launch->set_post_days(14);
  launch->set_period(v1::LAUNCH_PERIOD_DAY);
  {
    grpc::ClientContext context;
    v1::Launch created;
    const grpc::Status status = readouts_stub->CreateLaunch(&context, create, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  v1::LaunchAnalysis direct_launch;
  {
    v1::AnalyzeLaunchRequest analyze;
    analyze.set_launch_key("pro-plan-perks");
    grpc::ClientContext context;
    const grpc::Status status = readouts_stub->AnalyzeLaunch(&context, analyze, &direct_launch);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  v1::GetWeeklyReviewRequest request;
  request.set_week("2026-W47");
  v1::WeeklyReview review;
  {
    grpc::ClientContext context;
    const grpc::Status status = readouts_stub->GetWeeklyReview(&context, request, &review);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(review.week(), "2026-W47");
  ASSERT_EQ(review.launches_size(), 1);
  EXPECT_EQ(review.launches(0).launch().key(), "pro-plan-perks");
  EXPECT_TRUE(review.launches(0).error().empty()) << review.launches(0).error();
  ASSERT_EQ(review.launches(0).analysis().metrics_size(), 1);
  ASSERT_EQ(direct_launch.metrics_size(), 1);
  ExpectNear(review.launches(0).analysis().metrics(0).absolute().estimate(),
             direct_launch.metrics(0).absolute().estimate(), "launch estimate in the review");
  EXPECT_EQ(review.launches(0).analysis().treated_units(), direct_launch.treated_units());
  EXPECT_EQ(review.week_start_micros(), kReviewStart);
  EXPECT_EQ(review.week_end_micros(), kReviewStart + kMicrosPerWeek);
  ASSERT_EQ(review.north_star_size(), 1);
  ASSERT_EQ(review.key_results_size(), 1);
  ASSERT_EQ(review.guardrails_size(), 1);
  ASSERT_EQ(review.inputs_size(), 2);
  // The north star's value equals the raw-row computation for the review week, and its history
  // has 12 weeks ending with it.
  const std::vector<metrics::MetricDefinition> definitions = KpiDefinitions();
  const std::vector<KpiWeekSums> expected =
      ExpectedKpiSums(definitions, *events_, kReviewStart - kMicrosPerWeek, 2);
  const v1::Kpi& north_star = review.north_star(0);
  EXPECT_EQ(north_star.metric_key(), "buyers");
  ExpectNear(north_star.current().value(),
             expected[1].numerator_sums[0] / expected[1].denominator_sums[0], "buyers value");
  ExpectNear(north_star.vs_last_week().previous(),
             expected[0].numerator_sums[0] / expected[0].denominator_sums[0], "buyers last week");
  ASSERT_EQ(north_star.history_size(), 12);
  EXPECT_EQ(north_star.history(11).week(), "2026-W47");
  EXPECT_EQ(north_star.history(0).week(), "2026-W36");
  ExpectNear(north_star.target_attainment(), north_star.current().value() / 0.2, "attainment");
  const v1::Kpi& guardrail = review.guardrails(0);
  ExpectNear(guardrail.current().value(),
             expected[1].numerator_sums[2] / expected[1].denominator_sums[2], "error rate");
  EXPECT_NE(guardrail.guardrail().level(), v1::GuardrailLevel::LEVEL_UNSPECIFIED);
  EXPECT_EQ(review.key_results(0).key_result().target_date(), "2026-12-31");
  EXPECT_NE(review.key_results(0).key_result().status(),
            v1::KeyResultProgress::STATUS_UNSPECIFIED);

  // The experiment, with the decision of a direct readout at the week's end.
  ASSERT_EQ(review.experiments_size(), 1);
  const v1::ReviewExperiment& experiment = review.experiments(0);
  EXPECT_EQ(experiment.key(), "checkout");
  EXPECT_EQ(experiment.status(), "running");
  EXPECT_TRUE(experiment.error().empty()) << experiment.error();
  EXPECT_EQ(experiment.readout().analysis_end_micros(), kReviewStart + kMicrosPerWeek);
  {
    v1::GetReadoutRequest direct;
    direct.set_experiment_key("checkout");
    direct.set_as_of_micros(kReviewStart + kMicrosPerWeek);
    v1::Readout readout;
    grpc::ClientContext context;
    ASSERT_TRUE(readouts_stub->GetReadout(&context, direct, &readout).ok());
    EXPECT_EQ(experiment.readout().decision().verdict(), readout.decision().verdict());
    ASSERT_EQ(readout.metrics_size(), 1);
    const v1::VariantEffect& effect = readout.metrics(0).effects(0);
    ExpectNear(experiment.change().primary_effect().estimate(),
               (effect.primary_is_cuped() ? effect.cuped().relative() : effect.relative())
                   .estimate(),
               "primary effect");
  }
  // Phase started before the week: last week's readout exists.
  EXPECT_TRUE(experiment.change().has_previous());
  EXPECT_EQ(experiment.change().primary_metric_key(), "buyers");

  // Audience sections.
  EXPECT_EQ(review.cohorts_size(), 8);
  EXPECT_EQ(review.cohorts(7).week(), "2026-W47");
  for (const v1::Cohort& cohort : review.cohorts()) {
    if (cohort.units() > 0) {
      EXPECT_DOUBLE_EQ(cohort.retention(0), 1.0);
    }
  }
  EXPECT_EQ(review.dau_mau_trend_size(), 12);
  EXPECT_GT(review.dau_mau().ratio(), 0);
  EXPECT_LE(review.dau_mau().ratio(), 1);

  // page_view stopped on Thursday: a critical tracking-gap alert, listed first (most severe).
  bool gap = false;
  for (const v1::ReviewAlert& alert : review.alerts()) {
    if (alert.kind() == v1::ReviewAlert::KIND_TRACKING_GAP && alert.subject() == "page_view") {
      gap = true;
      EXPECT_EQ(alert.severity(), v1::ReviewAlert::SEVERITY_CRITICAL);
      EXPECT_THAT(alert.message(), HasSubstr("0 times on 2026-11-19"));
    }
  }
  EXPECT_TRUE(gap);
  ASSERT_GT(review.alerts_size(), 0);
  EXPECT_EQ(review.alerts(0).severity(), v1::ReviewAlert::SEVERITY_CRITICAL);

  // Validation errors name the field.
  for (const auto& [field, message] :
       std::vector<std::pair<std::string, std::string>>{
           {"week", "week must look like 2026-W47, got '2026-47'"},
           {"alpha", "alpha must be in (0, 1)"},
           {"cohort_weeks", "cohort_weeks must be in [1, 52]"}}) {
    v1::GetWeeklyReviewRequest bad;
    if (field == "week") bad.set_week("2026-47");
    if (field == "alpha") bad.set_alpha(2);
    if (field == "cohort_weeks") bad.set_cohort_weeks(60);
    grpc::ClientContext context;
    v1::WeeklyReview ignored;
    const grpc::Status status = readouts_stub->GetWeeklyReview(&context, bad, &ignored);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_THAT(status.error_message(), HasSubstr(message));
  }
  (*server)->Shutdown();
}

}  // namespace
}  // namespace lift::review
