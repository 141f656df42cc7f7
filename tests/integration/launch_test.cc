// Launch impact analysis (difference in differences) against a real PostgreSQL, and liftctl
// against a real liftd.
//
// Events with a known launch effect are generated in the test (fixed seed) and written straight
// into metric_events / first_exposures. The expected panel is computed from the same raw rows by a
// plain C++ loop implementing the documented rules independently of the SQL (window and period
// bounds, group membership by event properties or earliest first exposure, units in both groups
// excluded, numerator selector and aggregation, zero-filled periods, percentile capping with
// PostgreSQL's percentile_cont interpolation). Per-period means must equal the loop's at 1e-9
// relative, and the DiD results must equal stats::TwoWayFixedEffectsDid run on the loop's panel at
// 1e-9. Also: the known effect is found, a null launch's interval covers 0, a diverging pre-trend
// is flagged, the errors, the registry (create, duplicate, list by week, audit log), and liftctl.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/ingest/partition_manager.h"
#include "server/launch/launch_query.h"
#include "server/launch/launch_service.h"
#include "server/launch/launch_store.h"
#include "server/metrics/metric_service.h"
#include "server/metrics/metric_store.h"
#include "server/readout/aggregation.h"
#include "stats/diff_in_diff.h"
#include "tests/support/liftd_process.h"
#include "tests/support/test_cluster.h"

namespace lift::launch {
namespace {

using ::testing::HasSubstr;
using testing::TestDatabase;

constexpr double kRelative = 1e-9;  // SQL vs the C++ loop: only summation order differs
constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kDay = 86'400 * kSecond;
// 2026-11-02T00:00:00Z, a Monday: the launch.
constexpr int64_t kLaunch = 1793577600LL * kSecond;
constexpr int kPreDays = 14;
constexpr int kPostDays = 7;
constexpr double kRevenueEffect = 20.0;  // added to each treated purchase after the launch
constexpr double kTrendSlope = 0.5;      // per day, treated units only: a diverging trend

struct Event {
  std::string unit;
  std::string name;
  int64_t ts = 0;
  double value = 0;
  std::string country;   // "" = property absent
  std::string platform;  // "" = property absent
};

struct Exposure {
  std::string unit;
  std::string experiment;
  int64_t first_ts = 0;
  std::string country;
};

void ExpectNear(double actual, double expected, const std::string& what) {
  const double scale = std::max(1.0, std::fabs(expected));
  EXPECT_LE(std::fabs(actual - expected), kRelative * scale)
      << what << ": actual " << actual << " expected " << expected;
}

// ---------------------------------------------------------------------------------------------
// Data: units by country; a few in both groups (DE and AT events), without a country, or with
// events only outside the window; events on the window's edges.

struct Data {
  std::vector<Event> events;
  std::vector<Exposure> exposures;
};

Data Generate() {
  std::mt19937_64 rng(20261102);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  Data data;
  struct Spec {
    const char* country;
    int count;
  };
  const Spec specs[] = {{"DE", 60},  {"AT", 40},  {"CH", 40},    {"FR", 20},
                        {"BOTH", 3}, {"NONE", 4}, {"OUTSIDE", 4}};
  int next_id = 0;
  for (const Spec& spec : specs) {
    for (int i = 0; i < spec.count; ++i) {
      const std::string unit = absl::StrCat("unit-", next_id++);
      const std::string country = spec.country;
      const bool treated = country == "DE";
      const double base = 5.0 + 45.0 * uniform(rng);
      const char* platform = uniform(rng) < 0.5 ? "ios" : "web";
      auto country_of = [&](int day) -> std::string {
        if (country == "BOTH") return day % 2 == 0 ? "DE" : "AT";
        if (country == "NONE") return "";
        if (country == "OUTSIDE") return "DE";
        return country;
      };
      // Days relative to the launch; the window is [-14, 7). OUTSIDE units only before/after.
      for (int day = -kPreDays - 2; day < kPostDays + 2; ++day) {
        const bool in_window = day >= -kPreDays && day < kPostDays;
        if (country == "OUTSIDE" && in_window) continue;
        const int64_t day_start = kLaunch + day * kDay;
        auto at = [&]() { return day_start + static_cast<int64_t>(uniform(rng) * kDay); };
        const std::string c = country_of(day);
        if (uniform(rng) < 0.6) data.events.push_back({unit, "visit", at(), 1.0, c, platform});
        if (uniform(rng) < 0.3) {
          const double effect = treated && day >= 0 ? kRevenueEffect : 0.0;
          data.events.push_back(
              {unit, "purchase", at(), base + 10.0 * normal(rng) + effect, c, platform});
        }
        if (uniform(rng) < 0.5) {
          data.events.push_back({unit, "view", at(), 3.0 + normal(rng), c, platform});
        }
        if (uniform(rng) < 0.8) {
          const double trend = treated ? kTrendSlope * (day + kPreDays) : 0.0;
          data.events.push_back({unit, "trend", at(), trend + normal(rng), c, platform});
        }
      }
      // Exposures: the earliest one carries the unit's country; a later one in another
      // experiment says FR (it must not count). BOTH units were exposed as AT.
      if (country != "NONE" && country != "OUTSIDE") {
        const std::string exposed = country == "BOTH" ? "AT" : country;
        data.exposures.push_back(
            {unit, "checkout", kLaunch - 30 * kDay + next_id * kSecond, exposed});
        data.exposures.push_back({unit, "search", kLaunch - 20 * kDay, "FR"});
      }
    }
  }
  // Edges: exactly at the window start and at the launch (counted), 1 µs before the start and
  // exactly at the end (not counted).
  const int64_t start = kLaunch - kPreDays * kDay;
  const int64_t end = kLaunch + kPostDays * kDay;
  data.events.push_back({"unit-0", "purchase", start, 7.5, "DE", "ios"});
  data.events.push_back({"unit-0", "purchase", kLaunch, 11.25, "DE", "ios"});
  data.events.push_back({"unit-61", "purchase", start - 1, 1000.0, "AT", "ios"});
  data.events.push_back({"unit-61", "purchase", end, 1000.0, "AT", "ios"});
  // A unit whose only window event is an edge event: in the panel through it.
  data.events.push_back({"edge-unit", "visit", end - 1, 1.0, "CH", ""});
  return data;
}

// ---------------------------------------------------------------------------------------------
// The independent reference.

struct Selector {
  std::string event;
  std::string aggregation;              // sum, count, max, any
  std::optional<std::string> platform;  // filter platform = value
  double percentile_cap = 0.0;          // 0 = none
};

struct ExpectedPanel {
  std::vector<std::string> units;  // sorted
  std::vector<bool> treated;
  std::vector<std::vector<double>> values;  // [unit][period]
  int64_t both = 0;
};

// Group predicate on one event's country, or on the exposure country ("" = none).
using CountryTest = std::function<bool(const std::string&)>;

ExpectedPanel Expected(const Data& data, const Selector& selector, const CountryTest& treated,
                       const CountryTest& control, bool by_exposure, int64_t period_micros) {
  const int64_t start = kLaunch - kPreDays * kDay;
  const int64_t end = kLaunch + kPostDays * kDay;
  const int periods = static_cast<int>((end - start) / period_micros);
  std::map<std::string, std::pair<bool, bool>> membership;  // unit -> (treated, control)
  std::map<std::string, std::string> exposure_country;
  if (by_exposure) {
    std::map<std::string, Exposure> earliest;
    for (const Exposure& e : data.exposures) {
      if (e.first_ts >= end) continue;
      auto found = earliest.find(e.unit);
      if (found == earliest.end() || e.first_ts < found->second.first_ts) earliest[e.unit] = e;
    }
    for (const auto& [unit, e] : earliest) exposure_country[unit] = e.country;
  }
  for (const Event& event : data.events) {
    if (event.ts < start || event.ts >= end) continue;
    auto& [t, c] = membership[event.unit];
    if (by_exposure) {
      auto found = exposure_country.find(event.unit);
      const std::string country = found == exposure_country.end() ? "" : found->second;
      t = treated(country);
      c = control(country);
    } else {
      t = t || treated(event.country);
      c = c || control(event.country);
    }
  }
  ExpectedPanel panel;
  std::map<std::string, size_t> index;
  for (const auto& [unit, groups] : membership) {
    if (groups.first && groups.second) ++panel.both;
    if (groups.first == groups.second) continue;
    index[unit] = panel.units.size();
    panel.units.push_back(unit);
    panel.treated.push_back(groups.first);
  }
  std::vector<std::vector<std::vector<double>>> raw(panel.units.size(),
                                                    std::vector<std::vector<double>>(periods));
  for (const Event& event : data.events) {
    if (event.ts < start || event.ts >= end || event.name != selector.event) continue;
    if (selector.platform.has_value() && event.platform != *selector.platform) continue;
    auto found = index.find(event.unit);
    if (found == index.end()) continue;
    raw[found->second][(event.ts - start) / period_micros].push_back(event.value);
  }
  std::vector<double> all;
  for (const auto& unit : raw) {
    std::vector<double> values;
    for (const auto& events : unit) {
      double value = 0.0;
      if (selector.aggregation == "count") {
        value = static_cast<double>(events.size());
      } else if (selector.aggregation == "any") {
        value = events.empty() ? 0.0 : 1.0;
      } else if (!events.empty() && selector.aggregation == "max") {
        value = *std::max_element(events.begin(), events.end());
      } else {
        for (double v : events) value += v;
      }
      values.push_back(value);
      all.push_back(value);
    }
    panel.values.push_back(std::move(values));
  }
  if (selector.percentile_cap > 0.0) {
    // PostgreSQL percentile_cont: linear interpolation between sorted values at q·(n - 1).
    std::sort(all.begin(), all.end());
    const double position = selector.percentile_cap * static_cast<double>(all.size() - 1);
    const size_t lower = static_cast<size_t>(std::floor(position));
    const double cap =
        lower + 1 >= all.size()
            ? all[lower]
            : all[lower] + (position - static_cast<double>(lower)) * (all[lower + 1] - all[lower]);
    for (auto& unit : panel.values) {
      for (double& value : unit) value = std::min(value, cap);
    }
  }
  return panel;
}

void ExpectEffect(const v1::LaunchEffect& actual, const stats::Estimate& expected,
                  const std::string& what) {
  EXPECT_EQ(actual.valid(), expected.valid) << what;
  ExpectNear(actual.estimate(), expected.estimate, what + " estimate");
  ExpectNear(actual.se(), expected.se, what + " se");
  ExpectNear(actual.ci_low(), expected.ci_low, what + " ci_low");
  ExpectNear(actual.ci_high(), expected.ci_high, what + " ci_high");
  ExpectNear(actual.p_value(), expected.p_value, what + " p");
  ExpectNear(actual.df(), expected.df, what + " df");
}

// Compares one metric result with the reference panel and stats run on it.
void ExpectMatches(const v1::LaunchAnalysis& analysis, const v1::LaunchMetricResult& result,
                   const ExpectedPanel& panel, int pre_periods, int64_t period_micros) {
  const std::string what = result.metric_key();
  int64_t treated = 0;
  for (bool t : panel.treated) treated += t ? 1 : 0;
  const int64_t control = static_cast<int64_t>(panel.units.size()) - treated;
  EXPECT_EQ(analysis.treated_units(), treated) << what;
  EXPECT_EQ(analysis.control_units(), control) << what;
  EXPECT_EQ(analysis.units_in_both_groups(), panel.both) << what;
  const int periods = static_cast<int>(panel.values.empty() ? 0 : panel.values[0].size());
  ASSERT_EQ(result.periods_size(), periods) << what;
  std::vector<stats::PanelObservation> observations;
  double treated_pre = 0.0;
  for (int t = 0; t < periods; ++t) {
    double treated_sum = 0.0, control_sum = 0.0;
    for (size_t u = 0; u < panel.units.size(); ++u) {
      (panel.treated[u] ? treated_sum : control_sum) += panel.values[u][t];
      observations.push_back(
          {static_cast<int64_t>(u), t, static_cast<bool>(panel.treated[u]), panel.values[u][t]});
    }
    if (t < pre_periods) treated_pre += treated_sum;
    const v1::LaunchPeriodMeans& means = result.periods(t);
    EXPECT_EQ(means.index(), t);
    EXPECT_EQ(means.start_micros(), kLaunch - kPreDays * kDay + t * period_micros);
    EXPECT_EQ(means.post(), t >= pre_periods);
    EXPECT_EQ(means.treated_units(), treated);
    EXPECT_EQ(means.control_units(), control);
    ExpectNear(means.treated_mean(), treated_sum / treated, absl::StrCat(what, " treated ", t));
    ExpectNear(means.control_mean(), control_sum / control, absl::StrCat(what, " control ", t));
  }
  // stats on the reference panel, with the units in another order (reversed ids).
  std::reverse(observations.begin(), observations.end());
  stats::DidSettings settings;
  settings.alpha = analysis.alpha();
  absl::StatusOr<stats::TwfeDidResult> did =
      stats::TwoWayFixedEffectsDid(observations, pre_periods, settings);
  ASSERT_TRUE(did.ok()) << did.status();
  ExpectEffect(result.absolute(), did->did.effect, what + " absolute");
  ExpectEffect(result.pre_trend().placebo(), did->pre_trend, what + " pre-trend");
  ExpectNear(result.cr1_factor(), did->cr1_factor, what + " cr1");
  const double baseline = treated_pre / (static_cast<double>(treated) * pre_periods);
  ExpectNear(result.treated_pre_mean(), baseline, what + " baseline");
  ExpectNear(result.relative().estimate(), did->did.effect.estimate / std::fabs(baseline),
             what + " relative");
  ExpectNear(result.relative().ci_low(), did->did.effect.ci_low / std::fabs(baseline),
             what + " relative ci_low");
  EXPECT_EQ(result.pre_trend().flagged(),
            did->pre_trend.valid && did->pre_trend.p_value < analysis.alpha());
}

// ---------------------------------------------------------------------------------------------

metrics::MetricDefinition Metric(const std::string& key, const std::string& kind,
                                 const std::string& event, const std::string& aggregation) {
  metrics::MetricDefinition metric;
  metric.key = key;
  metric.name = key;
  metric.kind = kind;
  metric.numerator.event = event;
  metric.numerator.aggregation = aggregation;
  metric.cuped_pre_period_days = 0;
  return metric;
}

class LaunchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new TestDatabase();
    data_ = new Data(Generate());
    pqxx::connection connection(db_->connection_string());
    std::vector<int64_t> days;
    for (int64_t ts = kLaunch - 20 * kDay; ts <= kLaunch + 10 * kDay; ts += kDay)
      days.push_back(ts);
    ingest::PartitionManager("metric_events").Ensure(connection, days);
    pqxx::work work(connection);
    {
      pqxx::stream_to stream(work, "metric_events",
                             std::vector<std::string>{"unit_id", "event_name", "event_id", "ts",
                                                      "value", "properties"});
      int64_t id = 0;
      for (const Event& e : data_->events) {
        nlohmann::json properties = nlohmann::json::object();
        if (!e.country.empty()) properties["country"] = e.country;
        if (!e.platform.empty()) properties["platform"] = e.platform;
        stream << std::make_tuple(e.unit, e.name, absl::StrCat("e", ++id),
                                  readout::TimestampLiteral(e.ts), e.value, properties.dump());
      }
      stream.complete();
    }
    {
      pqxx::stream_to stream(work, "first_exposures",
                             std::vector<std::string>{"experiment_key", "phase", "unit_id",
                                                      "variant_key", "first_ts", "attributes"});
      for (const Exposure& e : data_->exposures) {
        stream << std::make_tuple(e.experiment, 1, e.unit, "control",
                                  readout::TimestampLiteral(e.first_ts),
                                  nlohmann::json{{"country", e.country}}.dump());
      }
      stream.complete();
    }
    work.commit();

    pool_ = new store::ConnectionPool(db_->connection_string(), 4);
    metric_store_ = new metrics::MetricStore(pool_);
    metrics::MetricService metric_service(metric_store_);
    metrics::MetricDefinition capped = Metric("revenue_capped", "mean", "purchase", "sum");
    capped.capping = "percentile";
    capped.capping_value = 0.9;
    metrics::MetricDefinition ios_orders = Metric("ios_orders", "mean", "purchase", "count");
    ios_orders.numerator.filters = {{"platform", "equal", {"ios"}}};
    metrics::MetricDefinition ratio = Metric("revenue_per_visit", "ratio", "purchase", "sum");
    ratio.denominator = metrics::EventSelector{"visit", "count", {}};
    auto applied = metric_service.Apply(
        {Metric("revenue", "mean", "purchase", "sum"),
         Metric("purchased", "proportion", "purchase", "any"), capped, ios_orders,
         Metric("views", "mean", "view", "sum"), Metric("trend", "mean", "trend", "sum"),
         Metric("top_view", "mean", "view", "max"), ratio},
        /*dry_run=*/false, "test");
    ASSERT_TRUE(applied.ok()) << applied.status();
    launch_store_ = new LaunchStore(pool_);
    service_ = new LaunchService(pool_, launch_store_, metric_store_, [] { return kLaunch; });
  }
  static void TearDownTestSuite() {
    delete service_;
    delete launch_store_;
    delete metric_store_;
    delete pool_;
    delete data_;
    delete db_;
  }

  static v1::Launch Definition(std::vector<std::string> metrics, std::string treated,
                               std::string control, int pre_days = kPreDays,
                               int post_days = kPostDays,
                               v1::LaunchPeriod period = v1::LAUNCH_PERIOD_DAY) {
    v1::Launch launch;
    for (const std::string& m : metrics) launch.add_metric_keys(m);
    launch.set_treated(std::move(treated));
    launch.set_control(std::move(control));
    launch.set_launch_at_micros(kLaunch);
    launch.set_pre_days(pre_days);
    launch.set_post_days(post_days);
    launch.set_period(period);
    return launch;
  }

  static absl::StatusOr<v1::LaunchAnalysis> Analyze(const v1::Launch& definition) {
    v1::AnalyzeLaunchRequest request;
    *request.mutable_definition() = definition;
    return service_->Analyze(request);
  }

  static inline TestDatabase* db_ = nullptr;
  static inline Data* data_ = nullptr;
  static inline store::ConnectionPool* pool_ = nullptr;
  static inline metrics::MetricStore* metric_store_ = nullptr;
  static inline LaunchStore* launch_store_ = nullptr;
  static inline LaunchService* service_ = nullptr;
};

const CountryTest kIsDe = [](const std::string& c) { return c == "DE"; };
const CountryTest kIsAtCh = [](const std::string& c) { return c == "AT" || c == "CH"; };

TEST_F(LaunchTest, DailyPanelMatchesTheRawRowsAndStats) {
  auto analysis = Analyze(
      Definition({"revenue", "purchased", "revenue_capped", "ios_orders", "views", "top_view"},
                 "country=DE", "country in (AT,CH)"));
  ASSERT_TRUE(analysis.ok()) << analysis.status();
  EXPECT_EQ(analysis->pre_periods(), 14);
  EXPECT_EQ(analysis->post_periods(), 7);
  EXPECT_EQ(analysis->window_start_micros(), kLaunch - kPreDays * kDay);
  EXPECT_EQ(analysis->window_end_micros(), kLaunch + kPostDays * kDay);
  EXPECT_DOUBLE_EQ(analysis->alpha(), 0.05);
  const std::vector<Selector> selectors = {
      {"purchase", "sum", std::nullopt, 0.0}, {"purchase", "any", std::nullopt, 0.0},
      {"purchase", "sum", std::nullopt, 0.9}, {"purchase", "count", "ios", 0.0},
      {"view", "sum", std::nullopt, 0.0},     {"view", "max", std::nullopt, 0.0}};
  ASSERT_EQ(analysis->metrics_size(), 6);
  for (size_t m = 0; m < selectors.size(); ++m) {
    const ExpectedPanel panel = Expected(*data_, selectors[m], kIsDe, kIsAtCh, false, kDay);
    ExpectMatches(*analysis, analysis->metrics(static_cast<int>(m)), panel, 14, kDay);
  }
  // 60 DE units; AT + CH 80 plus the edge unit; 3 units in both groups; FR, NONE, OUTSIDE out.
  EXPECT_EQ(analysis->treated_units(), 60);
  EXPECT_EQ(analysis->control_units(), 81);
  EXPECT_EQ(analysis->units_in_both_groups(), 3);
  EXPECT_EQ(analysis->metrics(0).metric_version(), 1);
  EXPECT_EQ(analysis->metrics(1).aggregation(), "any");
}

TEST_F(LaunchTest, KnownEffectIsFoundAndNullLaunchCoversZero) {
  auto analysis = Analyze(Definition({"revenue", "views"}, "country=DE", "country in (AT,CH)"));
  ASSERT_TRUE(analysis.ok()) << analysis.status();
  // revenue: each purchase (probability 0.3 a day) gains 20 → about +6 per unit and day.
  const v1::LaunchMetricResult& revenue = analysis->metrics(0);
  EXPECT_TRUE(revenue.absolute().valid());
  EXPECT_LT(revenue.absolute().p_value(), 0.01);
  EXPECT_GT(revenue.absolute().estimate(), 3.0);
  EXPECT_LT(revenue.absolute().estimate(), 9.0);
  EXPECT_GT(revenue.relative().estimate(), 0.0);
  EXPECT_FALSE(revenue.pre_trend().flagged());
  // views: no effect, no trend.
  const v1::LaunchMetricResult& views = analysis->metrics(1);
  EXPECT_TRUE(views.absolute().valid());
  EXPECT_LT(views.absolute().ci_low(), 0.0);
  EXPECT_GT(views.absolute().ci_high(), 0.0);
  EXPECT_FALSE(views.pre_trend().flagged());
}

TEST_F(LaunchTest, DivergingPreTrendIsFlagged) {
  auto analysis = Analyze(Definition({"trend"}, "country=DE", "country in (AT,CH)"));
  ASSERT_TRUE(analysis.ok()) << analysis.status();
  const v1::LaunchMetricResult& trend = analysis->metrics(0);
  EXPECT_TRUE(trend.pre_trend().flagged());
  EXPECT_LT(trend.pre_trend().placebo().p_value(), 0.001);
  EXPECT_GT(trend.pre_trend().placebo().estimate(), 0.0);
  ExpectMatches(*analysis, trend,
                Expected(*data_, {"trend", "sum", std::nullopt, 0.0}, kIsDe, kIsAtCh, false, kDay),
                14, kDay);
}

TEST_F(LaunchTest, WeeklyPeriods) {
  auto analysis = Analyze(Definition({"revenue"}, "country = DE", "country IN (AT, CH)", 14, 7,
                                     v1::LAUNCH_PERIOD_WEEK));
  ASSERT_TRUE(analysis.ok()) << analysis.status();
  EXPECT_EQ(analysis->pre_periods(), 2);
  EXPECT_EQ(analysis->post_periods(), 1);
  ExpectMatches(
      *analysis, analysis->metrics(0),
      Expected(*data_, {"purchase", "sum", std::nullopt, 0.0}, kIsDe, kIsAtCh, false, 7 * kDay), 2,
      7 * kDay);
}

TEST_F(LaunchTest, GroupsByFirstExposureAttributes) {
  auto analysis =
      Analyze(Definition({"revenue"}, "exposure.country=DE", "exposure.country not in (DE,FR)"));
  ASSERT_TRUE(analysis.ok()) << analysis.status();
  // Exposure-less units (NONE, the edge unit) have no country: `not in` holds for them.
  const CountryTest not_de_fr = [](const std::string& c) { return c != "DE" && c != "FR"; };
  const ExpectedPanel panel =
      Expected(*data_, {"purchase", "sum", std::nullopt, 0.0}, kIsDe, not_de_fr, true, kDay);
  ExpectMatches(*analysis, analysis->metrics(0), panel, 14, kDay);
  EXPECT_EQ(analysis->treated_units(), 60);
  // AT 40 + CH 40 + BOTH 3 (exposed as AT) + NONE 4 + the edge unit.
  EXPECT_EQ(analysis->control_units(), 88);
  EXPECT_EQ(analysis->units_in_both_groups(), 0);
}

TEST_F(LaunchTest, MixedPropertyAndExposureClauses) {
  auto analysis = Analyze(Definition({"revenue"}, "exposure.country=DE and platform=ios",
                                     "exposure.country=AT and platform=ios"));
  ASSERT_TRUE(analysis.ok()) << analysis.status();
  // Independent count: DE units on ios vs AT-exposed units (incl. BOTH) on ios.
  std::map<std::string, std::string> platform;
  for (const Event& e : data_->events) {
    if (e.ts >= kLaunch - kPreDays * kDay && e.ts < kLaunch + kPostDays * kDay &&
        !e.platform.empty()) {
      platform[e.unit] = e.platform;
    }
  }
  std::map<std::string, std::string> exposed;
  for (const Exposure& e : data_->exposures) {
    if (e.experiment == "checkout") exposed[e.unit] = e.country;
  }
  int64_t treated = 0, control = 0;
  for (const auto& [unit, p] : platform) {
    if (p != "ios") continue;
    treated += exposed[unit] == "DE" ? 1 : 0;
    control += exposed[unit] == "AT" ? 1 : 0;
  }
  EXPECT_EQ(analysis->treated_units(), treated);
  EXPECT_EQ(analysis->control_units(), control);
  EXPECT_GT(treated, 10);
  EXPECT_GT(control, 10);
}

TEST_F(LaunchTest, QueryBindsUserTextAsParameters) {
  LaunchQueryRequest request;
  request.window_start_micros = kLaunch;
  request.period_micros = kDay;
  request.periods = 2;
  request.treated = *ParseGroupCondition("country=\"x' OR 1=1 --\"", "treated");
  request.control = *ParseGroupCondition("exposure.country in (AT)", "control");
  request.metrics = {Metric("revenue", "mean", "purchase", "sum")};
  const LaunchQuery query = BuildLaunchQuery(request);
  EXPECT_THAT(query.sql, ::testing::Not(HasSubstr("OR 1=1")));
  EXPECT_THAT(query.sql, ::testing::Not(HasSubstr("country")));
  EXPECT_THAT(query.sql, ::testing::Not(HasSubstr("purchase")));
  EXPECT_THAT(query.params, ::testing::Contains("country"));
  EXPECT_THAT(query.params, ::testing::Contains("purchase"));
  // It runs (and finds nobody in the treated group).
  auto panel = LoadLaunchPanel(*pool_, request);
  ASSERT_TRUE(panel.ok()) << panel.status();
  for (const PanelUnit& unit : panel->units) EXPECT_FALSE(unit.treated);
}

TEST_F(LaunchTest, PlanPrunesPartitionsOutsideTheWindow) {
  LaunchQueryRequest request;
  request.window_start_micros = kLaunch - kPreDays * kDay;  // 2026-10-19
  request.period_micros = kDay;
  request.periods = kPreDays + kPostDays;  // to 2026-11-09 (exclusive)
  request.treated = *ParseGroupCondition("country=DE", "treated");
  request.control = *ParseGroupCondition("exposure.country=AT", "control");
  request.metrics = {Metric("revenue", "mean", "purchase", "sum")};
  const LaunchQuery query = BuildLaunchQuery(request);
  pqxx::connection connection(db_->connection_string());
  pqxx::work work(connection);
  std::string plan;
  for (const pqxx::row& row :
       work.exec_params("EXPLAIN " + query.sql, pqxx::prepare::make_dynamic_params(query.params))) {
    plan += row[0].as<std::string>() + "\n";
  }
  EXPECT_THAT(plan, HasSubstr("metric_events_p20261019"));
  EXPECT_THAT(plan, HasSubstr("metric_events_p20261108"));
  EXPECT_THAT(plan, ::testing::Not(HasSubstr("metric_events_p20261018"))) << plan;
  EXPECT_THAT(plan, ::testing::Not(HasSubstr("metric_events_p20261109"))) << plan;
}

TEST_F(LaunchTest, Errors) {
  auto bad = Analyze(Definition({"revenue"}, "country>DE", "country=AT"));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(bad.status().message()),
            "definition.treated: expected an operator (=, !=, in, not in) at position 8, found "
            "'>'");
  auto unknown = Analyze(Definition({"nope"}, "country=DE", "country=AT"));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("metric 'nope' not found"));
  auto ratio = Analyze(Definition({"revenue_per_visit"}, "country=DE", "country=AT"));
  EXPECT_EQ(ratio.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ratio.status().message()),
              HasSubstr("ratio metrics are not supported for launches yet"));
  auto empty = Analyze(Definition({"revenue"}, "country=DE", "country=ZZ"));
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(empty.status().message()),
              HasSubstr("the control group has no units with events in the analysis window"));
  auto one_pre =
      Analyze(Definition({"revenue"}, "country=DE", "country=AT", 7, 7, v1::LAUNCH_PERIOD_WEEK));
  EXPECT_EQ(one_pre.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(one_pre.status().message()), HasSubstr("needs at least 2"));
  auto not_weeks =
      Analyze(Definition({"revenue"}, "country=DE", "country=AT", 10, 7, v1::LAUNCH_PERIOD_WEEK));
  EXPECT_EQ(not_weeks.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(not_weeks.status().message()),
            "definition.pre_days must be a multiple of 7 for weekly periods, got 10");
  v1::AnalyzeLaunchRequest alpha;
  *alpha.mutable_definition() = Definition({"revenue"}, "country=DE", "country=AT");
  alpha.set_alpha(1.5);
  EXPECT_EQ(service_->Analyze(alpha).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->Analyze(v1::AnalyzeLaunchRequest()).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::AnalyzeLaunchRequest missing;
  missing.set_launch_key("no-such-launch");
  auto not_found = service_->Analyze(missing);
  EXPECT_EQ(not_found.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(not_found.status().message()), "launch 'no-such-launch' not found");
}

TEST_F(LaunchTest, RegistryCreateListAnalyzeByKey) {
  v1::CreateLaunchRequest create;
  *create.mutable_launch() = Definition({"revenue", "views"}, "country=DE", "country in (AT,CH)");
  create.mutable_launch()->set_key("de-checkout");
  create.mutable_launch()->set_name("New checkout in Germany");
  create.mutable_launch()->set_owner("payments");
  auto created = service_->Create(create, "alice");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->created_by(), "alice");
  EXPECT_GT(created->created_at_micros(), 0);
  EXPECT_EQ(service_->Create(create, "alice").status().code(), absl::StatusCode::kAlreadyExists);

  v1::CreateLaunchRequest later = create;
  later.mutable_launch()->set_key("at-pricing");
  later.mutable_launch()->set_launch_at_micros(kLaunch + 8 * kDay);
  ASSERT_TRUE(service_->Create(later, "bob").ok());
  v1::CreateLaunchRequest bad_key = create;
  bad_key.mutable_launch()->set_key("Bad Key");
  EXPECT_EQ(service_->Create(bad_key, "bob").status().code(), absl::StatusCode::kInvalidArgument);
  v1::CreateLaunchRequest ratio = create;
  ratio.mutable_launch()->set_key("ratio");
  ratio.mutable_launch()->set_metric_keys(0, "revenue_per_visit");
  EXPECT_EQ(service_->Create(ratio, "bob").status().code(), absl::StatusCode::kInvalidArgument);

  // The week of 2026-11-02 holds only de-checkout.
  v1::ListLaunchesRequest week;
  week.set_launched_from_micros(kLaunch);
  week.set_launched_to_micros(kLaunch + 7 * kDay);
  auto listed = service_->List(week);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->launches_size(), 1);
  EXPECT_EQ(listed->launches(0).key(), "de-checkout");
  EXPECT_EQ(listed->launches(0).name(), "New checkout in Germany");
  EXPECT_THAT(listed->launches(0).metric_keys(), ::testing::ElementsAre("revenue", "views"));
  auto all = service_->List(v1::ListLaunchesRequest());
  ASSERT_TRUE(all.ok());
  EXPECT_GE(all->launches_size(), 2);

  pqxx::connection connection(db_->connection_string());
  pqxx::work work(connection);
  const pqxx::row audit = work.exec1(
      "SELECT actor, action, after ->> 'treated' FROM audit_log WHERE entity_type = 'launch' "
      "AND entity_key = 'de-checkout'");
  EXPECT_EQ(audit[0].as<std::string>(), "alice");
  EXPECT_EQ(audit[1].as<std::string>(), "launch.create");
  EXPECT_EQ(audit[2].as<std::string>(), "country=DE");

  // By key, restricted to one metric: the same numbers as the inline definition.
  v1::AnalyzeLaunchRequest by_key;
  by_key.set_launch_key("de-checkout");
  by_key.add_metric_keys("views");
  auto stored = service_->Analyze(by_key);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->metrics_size(), 1);
  EXPECT_EQ(stored->launch().key(), "de-checkout");
  auto inline_analysis = Analyze(Definition({"views"}, "country=DE", "country in (AT,CH)"));
  ASSERT_TRUE(inline_analysis.ok());
  EXPECT_EQ(stored->metrics(0).absolute().estimate(),
            inline_analysis->metrics(0).absolute().estimate());
  by_key.set_metric_keys(0, "trend");
  EXPECT_EQ(service_->Analyze(by_key).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LaunchTest, LiftctlAgainstLiftd) {
  auto liftd = testing::LiftdProcess::Start({"--database-url", db_->connection_string()});
  ASSERT_TRUE(liftd.ok()) << liftd.status();
  const std::string server = (*liftd)->address();
  using testing::RunLiftctl;

  auto created =
      RunLiftctl(server, {"launch", "create", "cli-launch", "--metric", "revenue", "--treated",
                          "country=DE", "--control", "country in (AT,CH)", "--launch", "2026-11-02",
                          "--pre", "2w", "--post", "7d", "--name", "CLI launch"});
  ASSERT_EQ(created.code, 0) << created.output;
  EXPECT_THAT(created.output, HasSubstr("created launch cli-launch"));

  auto listed = RunLiftctl(
      server, {"launch", "list", "--from", "2026-11-02", "--to", "2026-11-03T00:00:00Z", "--json"});
  ASSERT_EQ(listed.code, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr("\"key\": \"cli-launch\""));
  EXPECT_THAT(listed.output, HasSubstr("\"launch_at\": \"2026-11-02T00:00:00Z\""));

  auto json = RunLiftctl(server, {"launch", "analyze", "--key", "cli-launch", "--json"});
  ASSERT_EQ(json.code, 0) << json.output;
  const nlohmann::json parsed = nlohmann::json::parse(json.output);
  auto direct = Analyze(Definition({"revenue"}, "country=DE", "country in (AT,CH)"));
  ASSERT_TRUE(direct.ok());
  ExpectNear(parsed["metrics"][0]["absolute"]["estimate"].get<double>(),
             direct->metrics(0).absolute().estimate(), "liftctl estimate");
  ExpectNear(parsed["metrics"][0]["pre_trend"]["placebo"]["p_value"].get<double>(),
             direct->metrics(0).pre_trend().placebo().p_value(), "liftctl pre-trend p");
  EXPECT_EQ(parsed["units"]["treated"].get<int64_t>(), 60);
  EXPECT_EQ(parsed["metrics"][0]["periods"].size(), 21u);
  ExpectNear(parsed["metrics"][0]["periods"][20]["control_mean"].get<double>(),
             direct->metrics(0).periods(20).control_mean(), "liftctl period mean");

  auto table =
      RunLiftctl(server, {"launch", "analyze", "--metric", "revenue", "--treated", "country=DE",
                          "--control", "country in (AT,CH)", "--launch", "2026-11-02", "--pre",
                          "4w", "--post", "1w", "--period", "week"});
  ASSERT_EQ(table.code, 0) << table.output;
  EXPECT_THAT(table.output, HasSubstr("Estimate (DiD, 95% CI)"));
  EXPECT_THAT(table.output, HasSubstr("Pre-trend (placebo)"));
  // Four weeks back the window also holds the OUTSIDE units' early DE events: 60 + 4 treated.
  EXPECT_THAT(table.output,
              HasSubstr("Units: treated 64, control 81, in both groups (excluded) 3"));
  EXPECT_THAT(table.output, HasSubstr("2026-10-26"));  // the last weekly pre-period's start

  auto bad = RunLiftctl(
      server, {"launch", "analyze", "--metric", "revenue", "--treated", "country>DE", "--control",
               "country=AT", "--launch", "2026-11-02", "--pre", "2w", "--post", "1w"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.output, HasSubstr("definition.treated: expected an operator"));
  EXPECT_THAT(bad.output, HasSubstr("INVALID_ARGUMENT"));
  auto bad_duration = RunLiftctl(
      server, {"launch", "analyze", "--metric", "revenue", "--treated", "country=DE", "--control",
               "country=AT", "--launch", "2026-11-02", "--pre", "2x", "--post", "1w"});
  EXPECT_EQ(bad_duration.code, 1);
  EXPECT_THAT(bad_duration.output, HasSubstr("--pre must be a duration like 14d or 4w"));
}

}  // namespace
}  // namespace lift::launch
