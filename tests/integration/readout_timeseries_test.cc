// Daily cumulative snapshots and readout time series (GetReadoutRequest.include_timeseries)
// against a real PostgreSQL.
//
// Units first exposed over several days, with a pre-period purchase (CUPED) and post-period
// purchases, are generated in the test (deterministic RNG) and written straight into
// first_exposures / metric_events. Checked: every daily point equals the readout computed with
// as_of = that midnight (1e-9 relative: the same sums through the same statistics), the running
// point equals the readout itself, snapshots are written once and read back afterwards (a
// tampered stored row shows up in the series; no day is aggregated twice), the running day and a
// day that ended less than kSnapshotSettleMicros ago are not stored, and a new phase starts a new
// series. The background SnapshotScheduler stores the settled days of running and just-stopped
// experiments (not of long-stopped ones), goes on past an experiment it cannot analyse, and a
// time series afterwards only reads them.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "server/experiments/experiment_store.h"
#include "server/ingest/partition_manager.h"
#include "server/metrics/metric_service.h"
#include "server/metrics/metric_store.h"
#include "server/readout/aggregation.h"
#include "server/readout/readout_service.h"
#include "server/readout/snapshot_scheduler.h"
#include "tests/support/test_cluster.h"

namespace lift::readout {
namespace {

using ::testing::HasSubstr;
using testing::TestDatabase;

constexpr double kRelative = 1e-9;
constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kT0 = 1793613600LL * kSecond;     // 2026-11-02T10:00:00Z, phase 1 start
constexpr int64_t kMidnight1 = 1793664000LL * kSecond;  // 2026-11-03T00:00:00Z
constexpr int64_t kNow = kMidnight1 + 5 * kDay + 15 * kHour;  // 2026-11-08T15:00:00Z

void ExpectNear(double actual, double expected, const std::string& what) {
  const double scale = std::max(1.0, std::fabs(expected));
  EXPECT_LE(std::fabs(actual - expected), kRelative * scale)
      << what << ": actual " << actual << " expected " << expected;
}

void ExpectSameEffect(const v1::Effect& got, const v1::Effect& want, const std::string& what) {
  EXPECT_EQ(got.valid(), want.valid()) << what;
  ExpectNear(got.estimate(), want.estimate(), what + " estimate");
  ExpectNear(got.ci_low(), want.ci_low(), what + " ci_low");
  ExpectNear(got.ci_high(), want.ci_high(), what + " ci_high");
  ExpectNear(got.p_value(), want.p_value(), what + " p");
}

struct Unit {
  std::string id;
  std::string variant;
  int phase = 1;
  int64_t first_ts = 0;
};

class TimeseriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pqxx::connection connection(db_.connection_string());
    std::vector<int64_t> days;
    for (int64_t ts = kT0 - 16 * kDay; ts <= kT0 + 16 * kDay; ts += kDay) days.push_back(ts);
    ingest::PartitionManager("metric_events").Ensure(connection, days);
    metrics::MetricService service(&metric_store_);
    metrics::MetricDefinition revenue;
    revenue.key = "revenue";
    revenue.kind = "mean";
    revenue.numerator = {"purchase", "sum", {}};
    revenue.mde = 0.05;  // CUPED 14 days (default)
    metrics::MetricDefinition purchased;
    purchased.key = "purchased";
    purchased.kind = "proportion";
    purchased.numerator = {"purchase", "any", {}};
    purchased.cuped_pre_period_days = 0;
    ASSERT_TRUE(service.Apply({revenue, purchased}, false, "test").ok());
  }

  // An experiment whose phase p starts at phase_starts[p - 1] (the last one current), with
  // `per_phase` units per phase exposed uniformly over each phase (until `until` for the last).
  void Create(const std::string& key, const std::vector<int64_t>& phase_starts, int per_phase,
              int64_t until) {
    pqxx::connection connection(db_.connection_string());
    pqxx::work work(connection);
    const std::string variants =
        R"([{"key":"control","weight":0.5,"payload":""},{"key":"treatment","weight":0.5,"payload":""}])";
    work.exec_params0(
        "INSERT INTO experiments (key, variants, metrics, status, phase, created_by, updated_by) "
        "VALUES ($1, $2::jsonb, $3::jsonb, 'running', $4, 'test', 'test')",
        key, variants, R"({"success":["revenue"],"secondary":["purchased"],"guardrails":[]})",
        static_cast<int>(phase_starts.size()));
    std::mt19937_64 rng(std::hash<std::string>()(key));
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<std::tuple<std::string, std::string, int64_t, double>> rows;
    for (size_t p = 0; p < phase_starts.size(); ++p) {
      const int64_t phase_end = p + 1 < phase_starts.size() ? phase_starts[p + 1] : until;
      std::optional<std::string> ended;
      if (p + 1 < phase_starts.size()) ended = TimestampLiteral(phase_starts[p + 1]);
      work.exec_params0(
          "INSERT INTO experiment_phases (experiment_key, phase, started_at, ended_at, "
          "variants, coverage, reason) VALUES ($1, $2, $3::timestamptz, $4::timestamptz, "
          "$5::jsonb, 1, 'started')",
          key, static_cast<int>(p + 1), TimestampLiteral(phase_starts[p]), ended,
          R"([{"key":"control","weight":0.5},{"key":"treatment","weight":0.5}])");
      for (int i = 0; i < per_phase; ++i) {
        Unit unit;
        unit.id = absl::StrCat(key, "-", p + 1, "-", i);
        unit.variant = i % 2 == 0 ? "control" : "treatment";
        unit.phase = static_cast<int>(p + 1);
        unit.first_ts = phase_starts[p] +
                        static_cast<int64_t>(uniform(rng) *
                                             static_cast<double>(phase_end - phase_starts[p] - 1));
        units_.push_back(unit);
        work.exec_params0(
            "INSERT INTO first_exposures (experiment_key, phase, unit_id, variant_key, first_ts) "
            "VALUES ($1, $2, $3, $4, $5::timestamptz)",
            key, unit.phase, unit.id, unit.variant, TimestampLiteral(unit.first_ts));
        const double base = 4.0 * noise(rng);
        const double lift = unit.variant == "treatment" ? 8.0 : 0.0;
        rows.emplace_back(unit.id, "purchase", unit.first_ts - 3 * kDay,
                          std::max(0.0, 10.0 + base + noise(rng)));
        // Purchases spread over the following days, some after "now" (not counted yet).
        for (int k = 0; k < 3; ++k) {
          if (uniform(rng) < 0.3) continue;
          rows.emplace_back(unit.id, "purchase",
                            unit.first_ts + static_cast<int64_t>(uniform(rng) * 4.0 * kDay),
                            std::max(0.0, 10.0 + lift + base + 3.0 * noise(rng)));
        }
      }
    }
    pqxx::stream_to events(
        work, "metric_events",
        std::vector<std::string>{"unit_id", "event_name", "event_id", "ts", "value"});
    int64_t id = 0;
    for (const auto& [unit, name, ts, value] : rows) {
      events << std::make_tuple(unit, name, absl::StrCat(key, "-e", ++id), TimestampLiteral(ts),
                                value);
    }
    events.complete();
    work.commit();
  }

  absl::StatusOr<v1::Readout> Read(const std::string& key, int64_t now, bool timeseries,
                                   int64_t as_of = 0, int phase = 0) {
    ReadoutService service(&pool_, &experiment_store_, &metric_store_, [now] { return now; });
    v1::GetReadoutRequest request;
    request.set_experiment_key(key);
    request.set_include_timeseries(timeseries);
    request.set_as_of_micros(as_of);
    request.set_phase(phase);
    return service.GetReadout(request);
  }

  int64_t Count(const std::string& sql) {
    pqxx::connection connection(db_.connection_string());
    pqxx::work work(connection);
    return work.exec1(sql)[0].as<int64_t>();
  }

  TestDatabase db_;
  store::ConnectionPool pool_{db_.connection_string(), 4};
  experiments::ExperimentStore experiment_store_{&pool_};
  metrics::MetricStore metric_store_{&pool_};
  std::vector<Unit> units_;
};

TEST_F(TimeseriesTest, EveryDailyPointEqualsTheReadoutAsOfThatMidnight) {
  Create("daily", {kT0}, 600, kNow);
  absl::StatusOr<v1::Readout> readout = Read("daily", kNow, true);
  ASSERT_TRUE(readout.ok()) << readout.status();
  // 2 metrics × 1 treatment; 6 midnights (11-03 .. 11-08) and the running point at "now".
  ASSERT_EQ(readout->timeseries_size(), 2);
  for (int s = 0; s < 2; ++s) {
    const v1::MetricTimeseries& series = readout->timeseries(s);
    SCOPED_TRACE(series.metric_key());
    EXPECT_EQ(series.metric_key(), readout->metrics(s).metric_key());
    EXPECT_EQ(series.metric_version(), 1);
    EXPECT_EQ(series.variant(), "treatment");
    EXPECT_EQ(series.control_variant(), "control");
    EXPECT_FALSE(series.truncated());
    ASSERT_EQ(series.points_size(), 7);
    for (int k = 0; k < 6; ++k) {
      const v1::TimeseriesPoint& point = series.points(k);
      SCOPED_TRACE(k);
      EXPECT_EQ(point.as_of_micros(), kMidnight1 + k * kDay);
      EXPECT_FALSE(point.running());
      absl::StatusOr<v1::Readout> then = Read("daily", kNow, false, point.as_of_micros());
      ASSERT_TRUE(then.ok()) << then.status();
      const v1::VariantEffect& want = then->metrics(s).effects(0);
      EXPECT_EQ(point.control_n(), want.control_n());
      EXPECT_EQ(point.n(), want.n());
      ExpectNear(point.control_mean(), want.control_mean(), "control mean");
      ExpectNear(point.mean(), want.mean(), "mean");
      EXPECT_EQ(point.cuped_adjusted(), want.primary_is_cuped());
      ExpectSameEffect(point.relative(),
                       want.primary_is_cuped() ? want.cuped().relative() : want.relative(),
                       "relative");
      ExpectSameEffect(point.sequential_relative(), want.sequential().relative(),
                       "sequential relative");
    }
    // Cumulative: units only accumulate.
    for (int k = 1; k < 7; ++k) {
      EXPECT_GE(series.points(k).n(), series.points(k - 1).n());
    }
    const v1::TimeseriesPoint& running = series.points(6);
    EXPECT_TRUE(running.running());
    EXPECT_EQ(running.as_of_micros(), kNow);
    const v1::VariantEffect& now = readout->metrics(s).effects(0);
    EXPECT_EQ(running.n(), now.n());
    ExpectNear(running.mean(), now.mean(), "running mean");
    ExpectSameEffect(running.sequential_relative(), now.sequential().relative(),
                     "running sequential relative");
  }
  // revenue has a pre-period: its points are CUPED-adjusted; purchased has none.
  EXPECT_TRUE(readout->timeseries(0).points(5).cuped_adjusted());
  EXPECT_FALSE(readout->timeseries(1).points(5).cuped_adjusted());
  // The first day has few units; by the last the effect (about +50 %) is clearly visible.
  EXPECT_LT(readout->timeseries(0).points(0).n(), readout->timeseries(0).points(5).n());
  EXPECT_GT(readout->timeseries(0).points(5).relative().ci_low(), 0.0)
      << readout->timeseries(0).points(5).DebugString();
  // Without include_timeseries nothing is computed or stored.
  EXPECT_EQ(Read("daily", kNow, false)->timeseries_size(), 0);
}

TEST_F(TimeseriesTest, SnapshotsAreStoredOnceAndReadBack) {
  Create("stored", {kT0}, 300, kNow);
  ASSERT_EQ(Count("SELECT count(*) FROM readout_snapshots"), 0);
  EXPECT_TRUE(Read("stored", kNow, false).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots"), 0);  // only asked for

  absl::StatusOr<v1::Readout> first = Read("stored", kNow, true);
  ASSERT_TRUE(first.ok()) << first.status();
  // 6 days × 2 metrics × 2 variants, all UTC midnights of phase 1, with the metric version.
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots WHERE experiment_key = 'stored' AND "
                  "phase = 1 AND metric_version = 1"),
            24);
  EXPECT_EQ(Count("SELECT count(DISTINCT as_of) FROM readout_snapshots"), 6);
  const int64_t written = Count("SELECT max(xmin::text::bigint) FROM readout_snapshots");

  // Change one stored row (y scaled by 2): the next series shows it, so the day was read, not
  // recomputed.
  const std::string day3 = TimestampLiteral(kMidnight1 + 2 * kDay);
  {
    pqxx::connection connection(db_.connection_string());
    pqxx::work work(connection);
    work.exec_params0(
        "UPDATE readout_snapshots SET sum_y = 2 * sum_y, sum_y2 = 4 * sum_y2, sum_xy = 2 * sum_xy "
        "WHERE metric_key = 'revenue' AND variant_key = 'treatment' AND as_of = $1::timestamptz",
        day3);
    work.commit();
  }
  absl::StatusOr<v1::Readout> second = Read("stored", kNow, true);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots"), 24);
  // No row was written by the second readout (only the UPDATE above is newer).
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM readout_snapshots WHERE xmin::text::bigint > ",
                               written, " AND as_of <> '", day3, "'")),
            0);
  const v1::MetricTimeseries& before = first->timeseries(0);
  const v1::MetricTimeseries& after = second->timeseries(0);
  ASSERT_EQ(after.points_size(), before.points_size());
  for (int k = 0; k < before.points_size(); ++k) {
    if (k == 2) {
      ExpectNear(after.points(k).mean(), 2 * before.points(k).mean(), "tampered mean");
    } else {
      ExpectNear(after.points(k).mean(), before.points(k).mean(), "mean");
    }
  }

  // Directly: every day is in the store, nothing is aggregated or stored again.
  absl::StatusOr<std::optional<metrics::MetricDefinition>> revenue =
      metric_store_.Find("revenue", 0);
  ASSERT_TRUE(revenue.ok() && revenue->has_value());
  DailySnapshotsRequest request;
  request.base.experiment_key = "stored";
  request.base.phase = 1;
  request.base.phase_start_micros = kT0;
  request.base.metrics = {**revenue};
  request.days = UtcMidnightsBetween(kT0, kNow);
  request.variants = {"control", "treatment"};
  request.store_before_micros = kNow - kSnapshotSettleMicros;
  absl::StatusOr<DailySnapshotsResult> snapshots = DailySnapshots(pool_, request);
  ASSERT_TRUE(snapshots.ok()) << snapshots.status();
  EXPECT_EQ(snapshots->days_aggregated, 0);
  EXPECT_EQ(snapshots->days_stored, 0);
  ASSERT_EQ(snapshots->moments[0].size(), 6u);
  EXPECT_EQ(snapshots->moments[0][5].at("control").n, first->timeseries(0).points(5).control_n());

  request.days = {kMidnight1 + kHour};
  EXPECT_EQ(DailySnapshots(pool_, request).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(DailySnapshots(pool_, request).status().message()),
              HasSubstr("must be a UTC midnight"));
}

TEST_F(TimeseriesTest, RunningDayAndUnsettledDaysAreNotStored) {
  Create("running", {kT0}, 300, kNow);
  // 30 minutes after midnight of 11-08: that midnight is a point, computed but not yet stored.
  const int64_t early = kMidnight1 + 5 * kDay + 30 * kMinute;
  absl::StatusOr<v1::Readout> early_readout = Read("running", early, true);
  ASSERT_TRUE(early_readout.ok()) << early_readout.status();
  const v1::MetricTimeseries& early_series = early_readout->timeseries(0);
  ASSERT_EQ(early_series.points_size(), 7);
  EXPECT_EQ(early_series.points(5).as_of_micros(), kMidnight1 + 5 * kDay);
  EXPECT_TRUE(early_series.points(6).running());
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots"), 5 * 2 * 2);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM readout_snapshots WHERE as_of >= '",
                               TimestampLiteral(kMidnight1 + 5 * kDay), "'")),
            0);

  // Later that day the midnight has settled and is stored; the running day never is.
  absl::StatusOr<v1::Readout> later = Read("running", kNow, true);
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots"), 6 * 2 * 2);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM readout_snapshots WHERE as_of > '",
                               TimestampLiteral(kMidnight1 + 5 * kDay), "'")),
            0);
  // Same data, same midnight: the computed and the stored point agree.
  ExpectNear(later->timeseries(0).points(5).mean(), early_series.points(5).mean(), "mean");
  ExpectSameEffect(later->timeseries(0).points(5).relative(), early_series.points(5).relative(),
                   "relative");

  // "Now" exactly at midnight: the last point is that midnight (the readout itself, no running
  // point), and it is not stored yet.
  const int64_t midnight = kMidnight1 + 6 * kDay;
  absl::StatusOr<v1::Readout> at_midnight = Read("running", midnight, true);
  ASSERT_TRUE(at_midnight.ok()) << at_midnight.status();
  const v1::MetricTimeseries& series = at_midnight->timeseries(0);
  ASSERT_EQ(series.points_size(), 7);
  EXPECT_EQ(series.points(6).as_of_micros(), midnight);
  EXPECT_FALSE(series.points(6).running());
  EXPECT_EQ(series.points(6).n(), at_midnight->metrics(0).effects(0).n());
  ExpectNear(series.points(6).mean(), at_midnight->metrics(0).effects(0).mean(), "mean");
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots"), 6 * 2 * 2);
}

TEST_F(TimeseriesTest, PhaseChangeRestartsTheSeries) {
  const int64_t phase2 = kT0 + 3 * kDay + 6 * kHour;  // 2026-11-05T16:00:00Z
  Create("phased", {kT0, phase2}, 300, kNow);
  absl::StatusOr<v1::Readout> current = Read("phased", kNow, true);
  ASSERT_TRUE(current.ok()) << current.status();
  EXPECT_EQ(current->phase(), 2);
  const v1::MetricTimeseries& series = current->timeseries(0);
  // Midnights after the phase 2 start: 11-06, 11-07, 11-08, then the running point.
  ASSERT_EQ(series.points_size(), 4);
  EXPECT_EQ(series.points(0).as_of_micros(), kMidnight1 + 3 * kDay);
  // Only phase 2 units count.
  int64_t control = 0;
  for (const Unit& unit : units_) {
    control += unit.phase == 2 && unit.variant == "control" &&
               unit.first_ts < kMidnight1 + 3 * kDay;
  }
  EXPECT_EQ(series.points(0).control_n(), control);
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots WHERE phase = 2"), 3 * 2 * 2);
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots WHERE phase = 1"), 0);

  // Phase 1's series ends at its end (a running point at 16:00, not a midnight).
  absl::StatusOr<v1::Readout> first = Read("phased", kNow, true, 0, 1);
  ASSERT_TRUE(first.ok()) << first.status();
  const v1::MetricTimeseries& old_series = first->timeseries(0);
  ASSERT_EQ(old_series.points_size(), 4);
  EXPECT_EQ(old_series.points(0).as_of_micros(), kMidnight1);
  EXPECT_EQ(old_series.points(3).as_of_micros(), phase2);
  EXPECT_TRUE(old_series.points(3).running());
  EXPECT_EQ(old_series.points(3).control_n() + old_series.points(3).n(), 300);
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots WHERE phase = 1"), 3 * 2 * 2);
}

TEST_F(TimeseriesTest, BackgroundRunStoresSettledDaysOfLiveExperiments) {
  Create("live", {kT0}, 300, kNow);
  // Stopped 10 hours before "now": its midnights up to the stop are still refreshed.
  Create("recent", {kT0}, 100, kNow - 10 * kHour);
  // Stopped 4 days before "now": left alone.
  Create("old", {kT0}, 100, kT0 + 2 * kDay);
  // Running but names no metrics: fails, and the others go on.
  Create("broken", {kT0}, 10, kNow);
  {
    pqxx::connection connection(db_.connection_string());
    pqxx::work work(connection);
    for (const auto& [key, ended] : {std::pair<std::string, int64_t>{"recent", kNow - 10 * kHour},
                                     std::pair<std::string, int64_t>{"old", kT0 + 2 * kDay}}) {
      work.exec_params0("UPDATE experiments SET status = 'stopped' WHERE key = $1", key);
      work.exec_params0(
          "UPDATE experiment_phases SET ended_at = $2::timestamptz WHERE experiment_key = $1",
          key, TimestampLiteral(ended));
    }
    work.exec0(
        "UPDATE experiments SET metrics = "
        R"('{"success":[],"secondary":[],"guardrails":[]}'::jsonb WHERE key = 'broken')");
    work.commit();
  }
  ReadoutService service(&pool_, &experiment_store_, &metric_store_, [] { return kNow; });
  SnapshotScheduler scheduler(&service, &experiment_store_, [] { return kNow; });

  absl::StatusOr<SnapshotRunSummary> first = scheduler.RunOnce();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->experiments, 3);  // live, broken, recent
  EXPECT_EQ(first->failures, 1);     // broken
  // live: 11-03 .. 11-08 (the 11-08 midnight settled at 01:00); recent: the same six midnights,
  // all before its stop at 11-08 05:00.
  EXPECT_EQ(first->days_aggregated, 12);
  EXPECT_EQ(first->days_stored, 12);
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots WHERE experiment_key = 'live'"),
            6 * 2 * 2);
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots WHERE experiment_key = 'recent'"),
            6 * 2 * 2);
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots WHERE experiment_key IN "
                  "('old', 'broken')"),
            0);

  EXPECT_EQ(first->superseded_rows_deleted, 0);

  // Rows of an older version of a metric (as if revenue had been redefined since) are never read
  // again: the next run deletes them, and only them.
  {
    pqxx::connection connection(db_.connection_string());
    pqxx::work work(connection);
    work.exec0(
        "INSERT INTO readout_snapshots SELECT experiment_key, phase, metric_key, 0, as_of, "
        "variant_key, n, sum_y, sum_y2, sum_x, sum_x2, sum_xy, sum_d, sum_d2, sum_yd, sum_e, "
        "sum_e2, sum_xe, sum_ye, sum_dx, sum_de, units_missing_pre_period, cap "
        "FROM readout_snapshots WHERE experiment_key = 'live' AND metric_key = 'revenue'");
    work.commit();
  }
  ASSERT_EQ(Count("SELECT count(*) FROM readout_snapshots WHERE metric_version = 0"), 6 * 2);

  // Nothing left to do the second time but that.
  absl::StatusOr<SnapshotRunSummary> second = scheduler.RunOnce();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->experiments, 3);
  EXPECT_EQ(second->days_aggregated, 0);
  EXPECT_EQ(second->days_stored, 0);
  EXPECT_EQ(second->superseded_rows_deleted, 6 * 2);
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots WHERE metric_version = 0"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots"), 2 * 6 * 2 * 2);

  // The time series reads the stored days and writes nothing; its points are the readouts as of
  // each midnight.
  const int64_t written = Count("SELECT max(xmin::text::bigint) FROM readout_snapshots");
  absl::StatusOr<v1::Readout> readout = Read("live", kNow, true);
  ASSERT_TRUE(readout.ok()) << readout.status();
  EXPECT_EQ(Count("SELECT max(xmin::text::bigint) FROM readout_snapshots"), written);
  ASSERT_EQ(readout->timeseries(0).points_size(), 7);
  absl::StatusOr<v1::Readout> day3 = Read("live", kNow, false, kMidnight1 + 2 * kDay);
  ASSERT_TRUE(day3.ok()) << day3.status();
  EXPECT_EQ(readout->timeseries(0).points(2).n(), day3->metrics(0).effects(0).n());
  ExpectNear(readout->timeseries(0).points(2).mean(), day3->metrics(0).effects(0).mean(), "mean");

  // Directly: an experiment whose phase has no settled midnight yet stores nothing.
  ReadoutService early(&pool_, &experiment_store_, &metric_store_,
                       [] { return kMidnight1 + 30 * kMinute; });
  Create("fresh", {kT0}, 10, kMidnight1);
  absl::StatusOr<SnapshotRefresh> fresh = early.StoreDailySnapshots("fresh");
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->phase, 1);
  EXPECT_EQ(fresh->days_stored, 0);
  EXPECT_EQ(service.StoreDailySnapshots("missing").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TimeseriesTest, BackgroundThreadRunsUntilStopped) {
  Create("threaded", {kT0}, 100, kNow);
  ReadoutService service(&pool_, &experiment_store_, &metric_store_, [] { return kNow; });
  SnapshotScheduler scheduler(&service, &experiment_store_, [] { return kNow; });
  scheduler.Start(std::chrono::milliseconds(20));
  // Eventually stored (no timing asserted: the wait only bounds a hang).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (Count("SELECT count(*) FROM readout_snapshots") < 6 * 2 * 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  scheduler.Stop();
  EXPECT_EQ(Count("SELECT count(*) FROM readout_snapshots"), 6 * 2 * 2);
  scheduler.Stop();  // idempotent
}

}  // namespace
}  // namespace lift::readout
