// readout_load: GetReadout end to end on a generated experiment against the baseline of one plain
// aggregate scan over the same joined rows, measured in the same run (issue 6, "Performance").
//
// It starts its own throwaway PostgreSQL (fsync off) in a temp directory, migrates it, creates
// one running experiment (control / treatment, 50/50) with 10 metrics (one ratio, CUPED on for
// nine of them, a mix of sum / count / max / any, windows, a property filter, absolute and
// percentile capping, a retention metric), `--units` exposed units (2 % seen in both variants) and
// `--events` metric events over 4 event names (one the readout never reads) spread over
// [first exposure - 14 days, first exposure + 21 days], then ANALYZE.
//
// Timed in `--repeat` rounds, each running the three back to back (best and median printed):
//   baseline   SELECT variant, count(*), sum(value) over first_exposures ⋈ metric_events for the
//              experiment's units, the readout's event names and its [pre-period, end) window,
//              GROUP BY variant (jit and nested loops off, work_mem 256MB, as for the
//              aggregation; PostgreSQL's defaults otherwise, so its plan is the plain one);
//   aggregate  readout::Aggregate alone (the one aggregation statement);
//   readout    ReadoutService::GetReadout in process (load experiment and metrics, aggregation,
//              stats, decision).
// Prints the ratio readout / baseline (goal <= 3; best against best, and the median of the rounds'
// own ratios), the time outside the aggregation statement, and the share of the readout spent in
// the statistics as the readout's own timers measure it (Readout.stats_seconds against the wall
// time; goal < 5 %).
//
// Optional (off by default, so the default run measures exactly the plain readout):
//   --segments    first exposures also get a "country" attribute (30 values, skewed, 5 % without
//                 it) and GetReadout with segment_by = "country" is timed `--repeat` times
//                 (ratio against the plain readout printed);
//   --timeseries  GetReadout with include_timeseries twice: the first call aggregates and stores
//                 the 14 daily snapshots, the second reads them back.
//
// Usage: readout_load [--units 200000] [--events 2000000] [--repeat 3] [--explain]
//                     [--segments] [--timeseries] [--hold]
//        readout_load --units 1000000 --events 10000000      # the issue's full size
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <numeric>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "server/embedded_pg/embedded_postgres.h"
#include "server/experiments/experiment_store.h"
#include "server/ingest/partition_manager.h"
#include "server/metrics/metric.h"
#include "server/metrics/metric_service.h"
#include "server/metrics/metric_store.h"
#include "server/readout/aggregation.h"
#include "server/readout/readout_service.h"
#include "server/store/connection_pool.h"
#include "server/store/migrations.h"

namespace {

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kDay = 86400 * kSecond;
// 2026-11-02T00:00:00Z: phase start; units are first exposed over the following 10 days.
constexpr int64_t kT0 = 1793577600LL * kSecond;
constexpr int64_t kEnd = kT0 + 14 * kDay;  // analysis end ("now")
constexpr char kExperiment[] = "readout-bench";

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Runs `body` `repeat` times; returns the sorted durations in seconds.
std::vector<double> Time(int repeat, const std::function<void()>& body) {
  std::vector<double> out;
  for (int i = 0; i < repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    out.push_back(Seconds(std::chrono::steady_clock::now() - start));
  }
  std::sort(out.begin(), out.end());
  return out;
}

double Median(const std::vector<double>& sorted) { return sorted[sorted.size() / 2]; }

lift::metrics::MetricDefinition Metric(const std::string& key, const std::string& kind,
                                       const std::string& event, const std::string& aggregation) {
  lift::metrics::MetricDefinition metric;
  metric.key = key;
  metric.kind = kind;
  metric.numerator.event = event;
  metric.numerator.aggregation = aggregation;
  metric.mde = 0.02;
  return metric;
}

// Ten metrics: one ratio, CUPED (default 14 days) on all but the retention metric.
std::vector<lift::metrics::MetricDefinition> Metrics() {
  using lift::metrics::MetricDefinition;
  std::vector<MetricDefinition> out;
  out.push_back(Metric("revenue", "mean", "purchase", "sum"));
  MetricDefinition converted = Metric("converted", "proportion", "purchase", "any");
  out.push_back(converted);
  MetricDefinition purchases = Metric("purchases", "mean", "purchase", "count");
  purchases.window_duration_seconds = 7 * 86400;
  out.push_back(purchases);
  MetricDefinition largest = Metric("largest_purchase", "mean", "purchase", "max");
  largest.capping = "absolute";
  largest.capping_value = 80.0;
  out.push_back(largest);
  MetricDefinition capped = Metric("revenue_capped", "mean", "purchase", "sum");
  capped.capping = "percentile";
  capped.capping_value = 0.99;
  out.push_back(capped);
  MetricDefinition pro = Metric("pro_revenue", "mean", "purchase", "sum");
  pro.numerator.filters = {{"plan", "equal", {"pro"}}};
  out.push_back(pro);
  out.push_back(Metric("sessions", "mean", "session", "count"));
  MetricDefinition retained = Metric("retained_d7", "retention", "session", "any");
  retained.window_start_seconds = 7 * 86400;
  retained.window_duration_seconds = 7 * 86400;
  retained.cuped_pre_period_days = 0;
  out.push_back(retained);
  MetricDefinition views = Metric("page_views_d1", "mean", "page_view", "count");
  views.window_duration_seconds = 86400;
  out.push_back(views);
  MetricDefinition per_session = Metric("revenue_per_session", "ratio", "purchase", "sum");
  per_session.denominator = lift::metrics::EventSelector{"session", "count", {}};
  out.push_back(per_session);
  for (MetricDefinition& metric : out) lift::metrics::Normalize(&metric);
  return out;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "readout_load: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t units = 200'000;
  int64_t events = 2'000'000;
  int repeat = 3;
  bool explain = false;
  bool segments = false;
  bool timeseries = false;
  bool hold = false;
  CLI::App app{"readout_load: GetReadout end to end against one plain aggregate scan"};
  app.add_option("--units", units, "exposed units")->capture_default_str();
  app.add_option("--events", events, "metric events")->capture_default_str();
  app.add_option("--repeat", repeat, "timed runs of each measurement")->capture_default_str();
  app.add_flag("--explain", explain, "print EXPLAIN ANALYZE of the aggregation statement");
  app.add_flag("--segments", segments, "also time a readout segmented by an attribute");
  app.add_flag("--timeseries", timeseries, "also time include_timeseries (cold, then stored)");
  app.add_flag("--hold", hold,
               "after measuring, keep the database running (connection string printed) until "
               "interrupted, for looking at plans by hand");
  CLI11_PARSE(app, argc, argv);
  if (hold) {  // only sigwait below receives them, from any thread
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  }
  if (units < 10 || events < 1 || repeat < 1) return Fail("--units >= 10, --events, --repeat >= 1");

  char dir_template[] = "/tmp/lift-readout-bench-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);
  std::filesystem::permissions(dir, std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add);
  lift::embedded_pg::EmbeddedPostgresOptions pg_options;
  pg_options.data_dir = (dir / "pg").string();
  pg_options.fsync = false;  // throwaway data; the load phase is not what is measured
  auto postgres = lift::embedded_pg::EmbeddedPostgres::Start(pg_options);
  if (!postgres.ok()) return Fail(postgres.status().ToString());
  const std::string cs = (*postgres)->ConnectionString();
  if (auto migrated = lift::store::Migrate(cs); !migrated.ok()) {
    return Fail(migrated.status().ToString());
  }

  lift::store::ConnectionPool pool(cs, 4);
  lift::experiments::ExperimentStore experiment_store(&pool);
  lift::metrics::MetricStore metric_store(&pool);
  const std::vector<lift::metrics::MetricDefinition> metrics = Metrics();
  {
    lift::metrics::MetricService service(&metric_store);
    auto applied = service.Apply(metrics, false, "readout_load");
    if (!applied.ok()) return Fail(applied.status().ToString());
  }

  const auto load_start = std::chrono::steady_clock::now();
  try {
    pqxx::connection conn(cs);
    std::vector<int64_t> days;
    for (int64_t ts = kT0 - 15 * kDay; ts <= kT0 + 32 * kDay; ts += kDay) days.push_back(ts);
    lift::ingest::PartitionManager("metric_events").Ensure(conn, days);

    nlohmann::json success = nlohmann::json::array({"revenue", "converted"});
    nlohmann::json secondary = nlohmann::json::array();
    for (size_t i = 2; i < metrics.size(); ++i) {
      if (metrics[i].key != "sessions") secondary.push_back(metrics[i].key);
    }
    const nlohmann::json experiment_metrics = {
        {"success", success},
        {"secondary", secondary},
        {"guardrails", {{{"metric_key", "sessions"}, {"non_inferiority_margin", 0.05}}}}};
    pqxx::work work(conn);
    work.exec0("SET LOCAL synchronous_commit = off");
    work.exec_params0(
        "INSERT INTO experiments (key, variants, metrics, status, phase, created_by, updated_by) "
        "VALUES ($1, $2::jsonb, $3::jsonb, 'running', 1, 'bench', 'bench')",
        kExperiment,
        R"([{"key":"control","weight":0.5,"payload":""},{"key":"treatment","weight":0.5,"payload":""}])",
        experiment_metrics.dump());
    work.exec_params0(
        "INSERT INTO experiment_phases (experiment_key, phase, started_at, variants, coverage, "
        "reason) VALUES ($1, 1, $2::timestamptz, $3::jsonb, 1, 'started')",
        kExperiment, lift::readout::TimestampLiteral(kT0),
        R"([{"key":"control","weight":0.5},{"key":"treatment","weight":0.5}])");
    // Unit i: variant by parity, first exposure spread over 10 days (a deterministic function of
    // i, so events can be placed relative to it without a join), 2 % seen in both variants.
    work.exec_params0(
        "INSERT INTO first_exposures (experiment_key, phase, unit_id, variant_key, first_ts, "
        "multiple_variants) "
        "SELECT $1, 1, 'u' || i, CASE WHEN i % 2 = 0 THEN 'control' ELSE 'treatment' END, "
        "$2::timestamptz + ((i * 7919) % 864000) * interval '1 second', i % 100 IN (7, 8) "
        "FROM generate_series(0, $3::bigint - 1) AS i",
        kExperiment, lift::readout::TimestampLiteral(kT0), units);
    if (segments) {
      // 30 countries with skewed sizes (value k has weight ~ 1/(k+1)), 5 % without the key.
      work.exec0(
          "UPDATE first_exposures SET attributes = CASE WHEN hashtext(unit_id) % 20 = 0 "
          "THEN '{}'::jsonb ELSE jsonb_build_object('country', 'c' || "
          "floor(exp(ln(31) * abs(hashtext(unit_id || 'c')) / 2147483648.0) - 1)::int) END");
    }
    work.exec("SELECT setseed(0.20261102)");
    // Events: a random unit, a name (purchase 30 %, session 40 %, page_view 25 %, add_to_cart
    // 5 %), a time in [first - 14 d, first + 21 d), purchase values with a 5 % treatment lift.
    work.exec_params0(
        "INSERT INTO metric_events (unit_id, event_name, event_id, ts, value, properties) "
        "SELECT 'u' || k, name, 'e' || g, "
        "  $1::timestamptz + ((k * 7919) % 864000) * interval '1 second' "
        "    + (r2 * 35 - 14) * interval '1 day', "
        "  CASE WHEN name = 'purchase' "
        "       THEN round((r3 * 100 * CASE WHEN k % 2 = 1 THEN 1.05 ELSE 1 END)::numeric, 2) "
        "       ELSE 1 END, "
        "  CASE WHEN name = 'purchase' THEN jsonb_build_object('plan', "
        "       CASE WHEN r3 < 0.3 THEN 'pro' ELSE 'free' END) END "
        "FROM (SELECT g, k, r2, r3, CASE WHEN r1 < 0.3 THEN 'purchase' WHEN r1 < 0.7 THEN 'session' "
        "             WHEN r1 < 0.95 THEN 'page_view' ELSE 'add_to_cart' END AS name "
        "      FROM (SELECT g, floor(random() * $2::bigint)::bigint AS k, random() AS r1, "
        "                   random() AS r2, random() AS r3 "
        "            FROM generate_series(1, $3::bigint) AS g) s) t",
        lift::readout::TimestampLiteral(kT0), units, events);
    work.commit();
    pqxx::nontransaction maintenance(conn);
    maintenance.exec0("VACUUM ANALYZE first_exposures");
    maintenance.exec0("VACUUM ANALYZE metric_events");
  } catch (const std::exception& e) {
    return Fail(absl::StrCat("loading: ", e.what()));
  }
  const double load_seconds = Seconds(std::chrono::steady_clock::now() - load_start);

  lift::readout::AggregationRequest request;
  request.experiment_key = kExperiment;
  request.phase = 1;
  request.phase_start_micros = kT0;
  request.analysis_end_micros = kEnd;
  request.metrics = metrics;
  for (auto& metric : request.metrics) metric.version = 1;

  // Baseline: the same joined rows (experiment's units, the readout's event names, the widest
  // window it reads), one plain aggregate.
  static constexpr char kBaselineSql[] =
      "SELECT f.variant_key, count(*), sum(e.value) FROM first_exposures f "
      "JOIN metric_events e ON e.unit_id = f.unit_id "
      "WHERE f.experiment_key = $1 AND f.phase = 1 AND NOT f.multiple_variants "
      "AND f.first_ts < $3::timestamptz "
      "AND e.event_name IN ('purchase', 'session', 'page_view') "
      "AND e.ts >= $2::timestamptz AND e.ts < $3::timestamptz "
      "AND e.ts >= f.first_ts - interval '14 days' "
      "GROUP BY f.variant_key";
  const std::string lower = lift::readout::TimestampLiteral(kT0 - 14 * kDay);
  const std::string end = lift::readout::TimestampLiteral(kEnd);
  int64_t joined_rows = 0;
  std::string error;
  auto run_baseline = [&] {
    try {
      pqxx::connection conn(cs);
      pqxx::work work(conn);
      work.exec0("SET LOCAL jit = off");
      work.exec0("SET LOCAL enable_nestloop = off");
      work.exec0("SET LOCAL work_mem = '256MB'");
      const pqxx::result rows = work.exec_params(kBaselineSql, kExperiment, lower, end);
      joined_rows = 0;
      for (const pqxx::row& row : rows) joined_rows += row[1].as<int64_t>();
    } catch (const std::exception& e) {
      error = absl::StrCat("baseline: ", e.what());
    }
  };

  if (explain) {
    try {
      const lift::readout::AggregationQuery query = lift::readout::BuildAggregationQuery(request);
      pqxx::connection conn(cs);
      pqxx::work work(conn);
      lift::readout::ApplyAggregationSettings(work);  // as readout::Aggregate runs it
      const pqxx::result plan =
          work.exec_params("EXPLAIN (ANALYZE, BUFFERS) " + query.sql,
                           pqxx::prepare::make_dynamic_params(query.params));
      std::printf("%s\n", query.sql.c_str());
      for (const pqxx::row& row : plan) std::printf("%s\n", row[0].c_str());
      std::printf("baseline:\n");
      for (const pqxx::row& row : work.exec_params(
               std::string("EXPLAIN (ANALYZE, BUFFERS) ") + kBaselineSql, kExperiment, lower, end)) {
        std::printf("%s\n", row[0].c_str());
      }
    } catch (const std::exception& e) {
      return Fail(absl::StrCat("explain: ", e.what()));
    }
  }

  // Rounds of baseline, aggregation statement alone and GetReadout, back to back, so all three
  // see the same cache state and the same background load (this machine's timings drift by 10 %
  // and more over a minute); the statement's and the readout's difference is the time outside
  // the statement (loading definitions, stats, decision).
  lift::readout::ReadoutService service(&pool, &experiment_store, &metric_store,
                                        [] { return kEnd; });
  std::string verdict;
  std::vector<double> baseline, aggregate, readout, round_ratios;
  // The readout's own split (Readout.aggregation_seconds / stats_seconds), summed over the runs.
  double in_database = 0, in_stats = 0;
  for (int i = 0; i < repeat && error.empty(); ++i) {
    baseline.push_back(Time(1, run_baseline)[0]);
    if (!error.empty()) break;
    aggregate.push_back(Time(1, [&] {
      auto result = lift::readout::Aggregate(pool, request);
      if (!result.ok()) error = absl::StrCat("aggregate: ", result.status().ToString());
    })[0]);
    readout.push_back(Time(1, [&] {
      lift::v1::GetReadoutRequest get;
      get.set_experiment_key(kExperiment);
      auto result = service.GetReadout(get);
      if (!result.ok()) {
        error = absl::StrCat("readout: ", result.status().ToString());
      } else {
        verdict = lift::v1::Decision::Verdict_Name(result->decision().verdict());
        in_database += result->aggregation_seconds();
        in_stats += result->stats_seconds();
      }
    })[0]);
    round_ratios.push_back(readout.back() / baseline.back());
  }
  if (!error.empty()) return Fail(error);
  double outside_sum = 0;
  for (int i = 0; i < repeat; ++i) outside_sum += readout[i] - aggregate[i];
  std::sort(baseline.begin(), baseline.end());
  std::sort(aggregate.begin(), aggregate.end());
  std::sort(readout.begin(), readout.end());
  std::sort(round_ratios.begin(), round_ratios.end());

  std::printf("readout_load: %lld units, %lld events, %zu metrics (1 ratio, CUPED on 9), "
              "load + ANALYZE %.1f s\n",
              static_cast<long long>(units), static_cast<long long>(events), metrics.size(),
              load_seconds);
  std::printf("  joined rows (baseline)     %lld\n", static_cast<long long>(joined_rows));
  auto line = [](const char* name, const std::vector<double>& t) {
    std::printf("  %-26s best %7.3f s   median %7.3f s\n", name, t.front(), Median(t));
  };
  line("baseline (plain scan)", baseline);
  line("aggregation statement", aggregate);
  line("GetReadout end to end", readout);
  const double ratio = readout.front() / baseline.front();
  const double outside = outside_sum / repeat;
  std::printf("  ratio readout / baseline   %.2fx best / best, %.2fx median of the rounds' ratios "
              "(%.2fx..%.2fx) (goal <= 3x)\n",
              ratio, Median(round_ratios), round_ratios.front(), round_ratios.back());
  std::printf("  readout - statement        %+.3f s mean (loading definitions, stats, decision; "
              "noise of the two timings included)\n",
              outside);
  std::printf("  stats share (readout's own timers) %.4f s stats vs %.3f s in the database: "
              "%.3f %% of the readout (goal < 5 %%)\n",
              in_stats / repeat, in_database / repeat,
              100.0 * in_stats / std::accumulate(readout.begin(), readout.end(), 0.0));
  std::printf("  decision                   %s\n", verdict.c_str());

  if (segments) {
    int segment_count = 0;
    const std::vector<double> segmented = Time(repeat, [&] {
      lift::v1::GetReadoutRequest get;
      get.set_experiment_key(kExperiment);
      get.set_segment_by("country");
      auto result = service.GetReadout(get);
      if (!result.ok()) {
        error = absl::StrCat("segmented readout: ", result.status().ToString());
      } else {
        segment_count = result->segments_size();
      }
    });
    if (!error.empty()) return Fail(error);
    line("GetReadout --segment", segmented);
    std::printf("  segments                   %d; segmented / plain readout %.2fx\n", segment_count,
                segmented.front() / readout.front());
  }
  if (timeseries) {
    int points = 0;
    auto series = [&] {
      lift::v1::GetReadoutRequest get;
      get.set_experiment_key(kExperiment);
      get.set_include_timeseries(true);
      auto result = service.GetReadout(get);
      if (!result.ok()) {
        error = absl::StrCat("time series readout: ", result.status().ToString());
      } else {
        points = result->timeseries_size() > 0 ? result->timeseries(0).points_size() : 0;
      }
    };
    const double cold = Time(1, series)[0];
    if (!error.empty()) return Fail(error);
    const std::vector<double> warm = Time(repeat, series);
    if (!error.empty()) return Fail(error);
    std::printf("  GetReadout --timeseries    first (aggregates + stores 14 days) %.3f s\n", cold);
    line("  then (reads snapshots)", warm);
    std::printf("  points per series          %d\n", points);
  }

  if (hold) {
    // For working on the plan: the loaded database stays up until this process is interrupted.
    std::printf("holding the database: psql '%s'  (Ctrl-C or SIGTERM to stop)\n", cs.c_str());
    std::fflush(stdout);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    int received = 0;
    sigwait(&signals, &received);
  }
  (void)(*postgres)->Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}
