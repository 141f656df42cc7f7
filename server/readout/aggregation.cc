#include "server/readout/aggregation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <tuple>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/metrics/selector_sql.h"

namespace lift::readout {
namespace {

using QueryBuilder = store::SqlParams;
using Columns = store::SqlColumns;

constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kMicrosPerDay = kSecondsPerDay * 1'000'000;
constexpr int kColumnsPerMetric = 16;  // 14 sums, missing pre-period count, cap

// The statement is built in three levels, each computing every distinct expression once:
//   units  per unit: variant, and the window bounds first_ts + offset (one column per offset);
//   ev     per event: one boolean per distinct event selector (name + property filters);
//   agg    per unit (hash join units ⋈ ev, hash aggregate by unit, in parallel workers when the
//          planner finds it worth it): one base aggregate per
//          distinct (selector, window, sum | count | max); `any` is count > 0, and "no
//          pre-period event" is count = 0 of the numerator (and denominator) pre-period counts;
//   vals   per unit (fenced): the metric values y, d, x, e after capping, and the missing flags;
//   final  per variant: the sums of vals' columns and their products.
class Plan {
 public:
  explicit Plan(QueryBuilder& q) : q_(q), bounds_("t"), selectors_("s"), aggregates_("a") {}

  // Column of `units` holding first_ts + offset_seconds.
  std::string Bound(int64_t offset_seconds) {
    if (offset_seconds == 0) return "u.first_ts";
    return "u." + bounds_.Add(absl::StrCat(
                      "first_ts + ", q_.Bind(std::to_string(offset_seconds), "bigint"),
                      " * interval '1 second'"));
  }

  // Condition: the event is in [first_ts + from, first_ts + to) (to absent: up to the end).
  std::string Window(int64_t from_seconds, std::optional<int64_t> to_seconds) {
    std::string sql = absl::StrCat("v.ts >= ", Bound(from_seconds));
    if (to_seconds.has_value()) absl::StrAppend(&sql, " AND v.ts < ", Bound(*to_seconds));
    return sql;
  }

  // Alias (in `agg`) of `function` (sum, count, max) over the events matching `selector` in
  // `window`: NULL for sum and max without events.
  std::string Aggregate(const std::string& function, const metrics::EventSelector& selector,
                        const std::string& window) {
    const std::string match = "v." + selectors_.Add(metrics::EventSelectorCondition(selector, "e", q_));
    const std::string filter = absl::StrCat(" FILTER (WHERE ", match, " AND ", window, ")");
    if (function == "count") return aggregates_.Add(absl::StrCat("count(*)", filter));
    return aggregates_.Add(absl::StrCat(function, "(v.value)", filter));
  }

  // The per-unit value of `selector` aggregated with its aggregation in `window` (0 without events).
  std::string Value(const metrics::EventSelector& selector, const std::string& window) {
    const std::string& aggregation = selector.aggregation;
    if (aggregation == "count") {
      return absl::StrCat("w.", Aggregate("count", selector, window), "::float8");
    }
    if (aggregation == "any") {
      return absl::StrCat("(w.", Aggregate("count", selector, window), " > 0)::int::float8");
    }
    return absl::StrCat("COALESCE(w.", Aggregate(aggregation, selector, window), ", 0)");
  }
  // Condition: no event matching `selector` in `window`.
  std::string None(const metrics::EventSelector& selector, const std::string& window) {
    return absl::StrCat("w.", Aggregate("count", selector, window), " = 0");
  }

  const Columns& bounds() const { return bounds_; }
  const Columns& selectors() const { return selectors_; }
  const Columns& aggregates() const { return aggregates_; }

 private:
  QueryBuilder& q_;
  Columns bounds_;
  Columns selectors_;
  Columns aggregates_;
};

// SQL pieces that segment the statement (all empty without segment_by): see the header.
struct SegmentSql {
  std::string unit_column;   // in `units`: the attribute value of the first exposure
  std::string ranked_cte;    // the values ranked by units, top max_segments kept
  std::string agg_column;    // carried through `agg` (a function of the unit)
  std::string vals_columns;  // in the per-unit level: the segment number and value
  std::string vals_join;     // joins `ranked`
  std::string final_columns;  // segment number, a value, the number of pooled values
  std::string group_by;       // extra GROUP BY column of the final level
};

SegmentSql Segments(const AggregationRequest& request, QueryBuilder& q) {
  SegmentSql out;
  if (request.segment_by.empty()) return out;
  const std::string attribute = q.Bind(request.segment_by, "text");
  const std::string top = q.Bind(std::to_string(std::max(request.max_segments, 0)), "bigint");
  out.unit_column = absl::StrCat(", attributes ->> ", attribute, " AS segment_value");
  // Segment numbers: 1..top the ranked values, top + 1 "other", 0 "(none)".
  out.ranked_cte = absl::StrCat(
      ",\nranked AS MATERIALIZED (\n  SELECT segment_value, LEAST(row_number() OVER (ORDER BY "
      "count(*) DESC, segment_value COLLATE \"C\"), ", top, " + 1) AS segment\n"
      "  FROM units WHERE segment_value IS NOT NULL GROUP BY segment_value\n)");
  out.agg_column = ", u.segment_value";
  out.vals_columns = ", COALESCE(r.segment, 0) AS segment, w.segment_value";
  out.vals_join = " LEFT JOIN ranked r ON r.segment_value = w.segment_value";
  out.final_columns = absl::StrCat(
      ", w.segment, min(w.segment_value) AS segment_value, (SELECT count(*) FROM ranked WHERE "
      "segment > ", top, ")::bigint AS pooled");
  out.group_by = ", w.segment";
  return out;
}

// The kColumnsPerMetric - 2 sums of products of a metric's per-unit values y, x, d, e (SQL
// expressions; empty: identically 0, so the sums involving it are the constant 0), in the layout
// MomentsFromRow reads.
std::vector<std::string> MomentSums(const std::string& y, const std::string& x,
                                    const std::string& d, const std::string& e) {
  auto sum = [](const std::string& a, const std::string& b) {
    if (a.empty() || b.empty()) return std::string("0::float8");
    return b == "1" ? absl::StrCat("sum(", a, ")") : absl::StrCat("sum(", a, " * ", b, ")");
  };
  return {sum(y, "1"), sum(y, y), sum(x, "1"), sum(x, x), sum(x, y), sum(d, "1"), sum(d, d),
          sum(y, d),   sum(e, "1"), sum(e, e), sum(x, e), sum(y, e), sum(d, x), sum(d, e)};
}

// A metric capped at a percentile of its per-unit y: its uncapped per-unit values (columns of the
// per-unit level; empty when absent) and the final level's count of units missing a pre-period.
struct PercentileCapped {
  std::string quantile;  // bound parameter
  std::string y, x, d, e;
  std::string missing;
};

}  // namespace

AggregationQuery BuildAggregationQuery(const AggregationRequest& request) {
  QueryBuilder q;
  const std::string key = q.Bind(request.experiment_key, "text");
  const std::string phase = q.Bind(std::to_string(request.phase), "int");
  const std::string end = q.Bind(TimestampLiteral(request.analysis_end_micros), "timestamptz");
  const SegmentSql segments = Segments(request, q);
  const std::string units_cte = absl::StrCat(
      "  SELECT unit_id, variant_key, first_ts", segments.unit_column,
      "{BOUNDS}\n  FROM first_exposures\n"
      "  WHERE experiment_key = ", key, " AND phase = ", phase,
      " AND NOT multiple_variants AND first_ts < ", end, "\n");
  const std::string multiple = absl::StrCat(
      "(SELECT count(*) FROM first_exposures WHERE experiment_key = ", key, " AND phase = ",
      phase, " AND multiple_variants AND first_ts < ", end, ")::bigint AS multiple");
  if (request.metrics.empty()) {
    std::string sql =
        absl::StrCat("WITH units AS MATERIALIZED (\n", units_cte, ")", segments.ranked_cte, "\n");
    absl::StrReplaceAll({{"{BOUNDS}", ""}}, &sql);
    absl::StrAppend(&sql, "SELECT w.variant_key, count(*)::bigint AS n, ", multiple,
                    segments.final_columns, "\nFROM (SELECT u.variant_key",
                    absl::StrReplaceAll(segments.vals_columns, {{"w.", "u."}}),
                    " FROM units u", absl::StrReplaceAll(segments.vals_join, {{"w.", "u."}}),
                    ") w\nGROUP BY w.variant_key", segments.group_by, "\nORDER BY w.variant_key",
                    segments.group_by);
    return AggregationQuery{std::move(sql), q.TakeParams()};
  }

  Plan plan(q);
  Columns vals("v");  // per-unit values (level `vals`), capped unless the cap is a percentile
  std::string caps_columns;  // constant caps, one per metric ('Infinity' when none or percentile)
  // Per metric, its kColumnsPerMetric expressions of the final level (per variant [, segment]).
  std::vector<std::vector<std::string>> final_columns(request.metrics.size());
  // Per metric, set when it is capped at a percentile.
  std::vector<std::optional<PercentileCapped>> by_percentile(request.metrics.size());
  int max_pre_days = 0;
  std::vector<std::string> event_names;
  for (size_t i = 0; i < request.metrics.size(); ++i) {
    const metrics::MetricDefinition& metric = request.metrics[i];
    max_pre_days = std::max(max_pre_days, metric.cuped_pre_period_days);
    event_names.push_back(metric.numerator.event);
    if (metric.denominator.has_value()) event_names.push_back(metric.denominator->event);
    const bool ratio = metric.denominator.has_value();
    const bool pre = metric.cuped_pre_period_days > 0;
    std::optional<int64_t> post_to;
    if (metric.window_duration_seconds > 0) {
      post_to = metric.window_start_seconds + metric.window_duration_seconds;
    }
    const std::string post = plan.Window(metric.window_start_seconds, post_to);
    const std::string pre_window =
        pre ? plan.Window(-int64_t{metric.cuped_pre_period_days} * kSecondsPerDay, 0) : "";

    const std::string y_raw = plan.Value(metric.numerator, post);
    const std::string n = std::to_string(i);
    std::string cap;  // constant cap
    std::string quantile;
    if (metric.capping == "absolute") {
      cap = q.Bind(absl::StrFormat("%.17g", metric.capping_value), "float8");
    } else if (metric.capping == "percentile") {
      quantile = q.Bind(absl::StrFormat("%.17g", metric.capping_value), "float8");
    }
    absl::StrAppend(&caps_columns, i == 0 ? "" : ", ", cap.empty() ? "'Infinity'::float8" : cap,
                    " AS c", n);
    // Capped values: y and x (numerator) only; LEAST(v, +inf) = v, so uncapped metrics skip it.
    auto capped = [&](const std::string& raw) {
      return cap.empty() ? raw : absl::StrCat("LEAST(", raw, ", c.c", n, ")");
    };
    const std::string y = "w." + vals.Add(capped(y_raw));
    const std::string x =
        pre ? "w." + vals.Add(capped(plan.Value(metric.numerator, pre_window))) : "";
    const std::string d = ratio ? "w." + vals.Add(plan.Value(*metric.denominator, post)) : "";
    const std::string e =
        ratio && pre ? "w." + vals.Add(plan.Value(*metric.denominator, pre_window)) : "";
    std::string missing = "count(*)";  // as before: every unit when CUPED is off
    if (pre) {
      std::string none = plan.None(metric.numerator, pre_window);
      if (ratio) absl::StrAppend(&none, " AND ", plan.None(*metric.denominator, pre_window));
      missing = absl::StrCat("count(*) FILTER (WHERE w.", vals.Add("(" + none + ")"), ")");
    }
    if (!quantile.empty()) {
      // The per-unit values travel as arrays; the sums are taken once the cap is known.
      by_percentile[i] = PercentileCapped{quantile, y, x, d, e, missing};
      continue;
    }
    final_columns[i] = MomentSums(y, x, d, e);
    final_columns[i].push_back(missing);
    final_columns[i].push_back(absl::StrCat("max(w.", vals.Add("c.c" + n), ")"));
  }
  std::sort(event_names.begin(), event_names.end());
  event_names.erase(std::unique(event_names.begin(), event_names.end()), event_names.end());
  std::string names;
  for (const std::string& name : event_names) {
    absl::StrAppend(&names, names.empty() ? "" : ", ", q.Bind(name, "text"));
  }
  // Events of every metric, bounded by constants (partition pruning) and by the unit's earliest
  // window start (pre-period of the longest CUPED setting).
  const std::string lower =
      q.Bind(TimestampLiteral(request.phase_start_micros -
                              int64_t{max_pre_days} * kSecondsPerDay * 1'000'000),
             "timestamptz");
  const std::string earliest = plan.Bound(-int64_t{max_pre_days} * kSecondsPerDay);

  // `units` is inlined and `ev` unfenced so that the join and the per-unit aggregate can run in
  // parallel workers: PostgreSQL 15 builds a parallel hash join for a LEFT JOIN only on the
  // nullable side, so the (pruned) events are hashed and each worker probes with its share of
  // first_exposures — every row of a unit then reaches one worker, together, and its partial
  // per-unit aggregate is already complete (the leader's Finalize only collects). Measured (1M
  // units, 10M events, 10 metrics, 2 cores): 17.3 s serial (a MATERIALIZED units CTE and an
  // OFFSET 0 fence on ev, which forbid parallel plans) -> 13.2 s. Serial, inlining alone is worse
  // (18.8 s: the planner then hashes the units and rows reach 1M groups in random order).
  std::string sql =
      absl::StrCat("WITH units AS NOT MATERIALIZED (\n", units_cte, ")", segments.ranked_cte);
  absl::StrReplaceAll({{"{BOUNDS}", plan.bounds().list()}}, &sql);
  absl::StrAppend(
      &sql, ",\nagg AS NOT MATERIALIZED (\n  SELECT u.variant_key", segments.agg_column,
      plan.aggregates().list(),
      "\n  FROM units u\n  LEFT JOIN (\n    SELECT e.unit_id, e.ts, e.value",
      absl::StrReplaceAll(plan.selectors().list(), {{"\n", "\n  "}}),
      "\n    FROM metric_events e\n    WHERE e.event_name IN (", names, ")\n"
      "      AND e.ts >= ", lower, " AND e.ts < ", end,
      "\n  ) v ON v.unit_id = u.unit_id AND v.ts >= ", earliest,
      "\n  GROUP BY u.unit_id, u.variant_key", segments.agg_column, "\n),\n"
      "caps AS (SELECT ", caps_columns, ")");
  // The final level: per variant [and segment], from the per-unit values.
  const std::string from_vals =
      absl::StrCat("\nFROM (\n  SELECT w.variant_key", segments.vals_columns, vals.list(),
                   "\n  FROM agg w CROSS JOIN caps c", segments.vals_join, "\n  OFFSET 0\n) w\n"
                   "GROUP BY w.variant_key", segments.group_by);
  if (std::none_of(by_percentile.begin(), by_percentile.end(),
                   [](const auto& capped) { return capped.has_value(); })) {
    std::string columns;
    for (const std::vector<std::string>& metric : final_columns) {
      absl::StrAppend(&columns, ",\n  ", absl::StrJoin(metric, ", "));
    }
    absl::StrAppend(&sql, "\nSELECT w.variant_key, count(*)::bigint AS n, ", multiple, columns,
                    segments.final_columns, from_vals, "\nORDER BY w.variant_key",
                    segments.group_by);
    return AggregationQuery{std::move(sql), q.TakeParams()};
  }

  // A percentile cap needs every unit's uncapped value before any capped sum. The final level
  // (`f`, per variant [and segment]) collects the capped metrics' per-unit values as arrays,
  // `pcaps` takes each percentile over all of them, and one pass over each array sums the capped
  // values. This replaced a MATERIALIZED `agg` read twice (percentile, then sums), which cost
  // 1.6 s of a 13 s statement at 1M units: materialising every unit's wide row. Measured at bench
  // size (1M units, 10M events, 10 metrics, one capped at its 99th percentile), 11 interleaved
  // pairs in psql: faster in 10, by 0.77 s on average (median 0.59 s) of 14.8 s.
  std::string f_columns;
  std::string outer_columns;
  std::string laterals;
  std::string pcaps_columns;
  for (size_t i = 0; i < request.metrics.size(); ++i) {
    const std::string n = std::to_string(i);
    if (by_percentile[i].has_value()) {
      const PercentileCapped& capped = *by_percentile[i];
      std::vector<std::string> arrays, names_in_unnest, capped_values;
      for (const auto& [value, name, is_capped] :
           {std::tuple(capped.y, "y", true), std::tuple(capped.x, "x", true),
            std::tuple(capped.d, "d", false), std::tuple(capped.e, "e", false)}) {
        if (value.empty()) continue;
        const std::string array = absl::StrCat("p", n, "_", name);
        absl::StrAppend(&f_columns, ",\n  array_agg(", value, ") AS ", array);
        arrays.push_back("f." + array);
        names_in_unnest.push_back(name);
        capped_values.push_back(is_capped
                                    ? absl::StrCat("LEAST(", name, ", pc.c", n, ") AS ", name)
                                    : std::string(name));
      }
      absl::StrAppend(&f_columns, ", ", capped.missing, " AS m", n, "_missing");
      absl::StrAppend(&pcaps_columns, pcaps_columns.empty() ? "" : ", ",
                      "(SELECT percentile_cont(", capped.quantile, ") WITHIN GROUP (ORDER BY t.y)",
                      " FROM f, unnest(f.p", n, "_y) AS t(y)) AS c", n);
      auto column = [](const std::string& name, bool present) {
        return present ? "t." + name : std::string();
      };
      std::vector<std::string> sums =
          MomentSums(column("y", true), column("x", !capped.x.empty()),
                     column("d", !capped.d.empty()), column("e", !capped.e.empty()));
      for (size_t k = 0; k < sums.size(); ++k) absl::StrAppend(&sums[k], " AS s", k);
      absl::StrAppend(&laterals, "\nCROSS JOIN LATERAL (\n  SELECT ", absl::StrJoin(sums, ", "),
                      "\n  FROM (SELECT ", absl::StrJoin(capped_values, ", "), " FROM unnest(",
                      absl::StrJoin(arrays, ", "), ") AS u(",
                      absl::StrJoin(names_in_unnest, ", "), ") OFFSET 0) t\n) p", n);
      absl::StrAppend(&outer_columns, ",\n  ");
      for (size_t k = 0; k < sums.size(); ++k) {
        absl::StrAppend(&outer_columns, "p", n, ".s", k, ", ");
      }
      absl::StrAppend(&outer_columns, "f.m", n, "_missing, pc.c", n);
      continue;
    }
    absl::StrAppend(&f_columns, ",\n  ");
    absl::StrAppend(&outer_columns, ",\n  ");
    for (size_t k = 0; k < final_columns[i].size(); ++k) {
      const std::string alias = absl::StrCat("m", n, "_", k);
      absl::StrAppend(&f_columns, k == 0 ? "" : ", ", final_columns[i][k], " AS ", alias);
      absl::StrAppend(&outer_columns, k == 0 ? "" : ", ", "f.", alias);
    }
  }
  absl::StrAppend(&sql, ",\nf AS MATERIALIZED (\nSELECT w.variant_key, count(*)::bigint AS n, ",
                  multiple, f_columns, segments.final_columns, from_vals, "\n),\n",
                  "pcaps AS MATERIALIZED (SELECT ", pcaps_columns, ")\n",
                  "SELECT f.variant_key, f.n, f.multiple", outer_columns,
                  segments.final_columns.empty() ? "" : ", f.segment, f.segment_value, f.pooled",
                  "\nFROM f CROSS JOIN pcaps pc", laterals, "\nORDER BY f.variant_key",
                  segments.group_by.empty() ? "" : ", f.segment");
  return AggregationQuery{std::move(sql), q.TakeParams()};
}

void AddMoments(const MetricMoments& from, MetricMoments* into) {
  into->n += from.n;
  into->sum_y += from.sum_y;
  into->sum_y2 += from.sum_y2;
  into->sum_x += from.sum_x;
  into->sum_x2 += from.sum_x2;
  into->sum_xy += from.sum_xy;
  into->sum_d += from.sum_d;
  into->sum_d2 += from.sum_d2;
  into->sum_yd += from.sum_yd;
  into->sum_e += from.sum_e;
  into->sum_e2 += from.sum_e2;
  into->sum_xe += from.sum_xe;
  into->sum_ye += from.sum_ye;
  into->sum_dx += from.sum_dx;
  into->sum_de += from.sum_de;
  into->units_missing_pre_period += from.units_missing_pre_period;
  into->cap = std::max(into->cap, from.cap);
}

void ApplyAggregationSettings(pqxx::transaction_base& work) {
  // Measured (20k units, 100k events, 3 metrics): JIT compiles the wide aggregate for ~2.8 s of
  // a 3.9 s query; index nested loops per unit and partition take 1.0 s where one hash join over
  // the pruned partitions takes 0.36 s, and a nested loop over freshly loaded, not yet analysed
  // partitions took minutes. The aggregation is a bulk join: plan it as one.
  work.exec0("SET LOCAL jit = off");
  work.exec0("SET LOCAL enable_nestloop = off");
  work.exec0("SET LOCAL work_mem = '256MB'");
  // The final GROUP BY variant has a handful of groups, but over CTE rows without statistics
  // the planner estimated 200 and sorted all per-unit rows instead (1M units: a 266 MB external
  // merge sort, ~3.5 s). Without Sort nodes it hashes the groups; percentile_cont sorts inside
  // the aggregate and is not affected (nor is the small ranking of segment values).
  work.exec0("SET LOCAL enable_sort = off");
  // The per-unit partial aggregates cross the Gather once per unit: at the default tuple cost
  // (0.1) the planner prices 1M of them above the serial plan, which measured 17.3 s against
  // 13.2 s in parallel (1M units, 2 cores). And the leader, which must collect and finalise those
  // rows, does not take a worker's share as well (15.0 s with it).
  work.exec0("SET LOCAL parallel_tuple_cost = 0.01");
  work.exec0("SET LOCAL parallel_leader_participation = off");
  // PostgreSQL gives a scan parallel workers by the table's size (one from 8 MB, two from 24 MB).
  // With first_exposures at 16 MB (200k units) the parallel join had one worker and the planner
  // kept the serial one: 3.0-3.1 s, against 2.4-2.5 s with the threshold at 0 (the baseline's
  // plain join is parallel either way: 0.80-0.85 s with and without). Tiny statements stay serial
  // (parallel_setup_cost).
  work.exec0("SET LOCAL min_parallel_table_scan_size = 0");
}

namespace {

// Runs `query` read-only with the session settings of the aggregation.
pqxx::result RunAggregationStatement(pqxx::work& work, const AggregationQuery& query) {
  work.exec0("SET TRANSACTION READ ONLY");
  ApplyAggregationSettings(work);
  return work.exec_params(query.sql, pqxx::prepare::make_dynamic_params(query.params));
}

// The metric columns of `row` starting at `base` (layout of BuildAggregationQuery's final level).
MetricMoments MomentsFromRow(const pqxx::row& row, int base, int64_t n) {
  auto value = [&](int offset) {
    const pqxx::field field = row[base + offset];
    return field.is_null() ? 0.0 : field.as<double>();
  };
  MetricMoments m;
  m.n = n;
  m.sum_y = value(0);
  m.sum_y2 = value(1);
  m.sum_x = value(2);
  m.sum_x2 = value(3);
  m.sum_xy = value(4);
  m.sum_d = value(5);
  m.sum_d2 = value(6);
  m.sum_yd = value(7);
  m.sum_e = value(8);
  m.sum_e2 = value(9);
  m.sum_xe = value(10);
  m.sum_ye = value(11);
  m.sum_dx = value(12);
  m.sum_de = value(13);
  m.units_missing_pre_period = row[base + 14].as<int64_t>();
  m.cap = row[base + 15].is_null() ? std::numeric_limits<double>::infinity()
                                   : row[base + 15].as<double>();
  return m;
}

}  // namespace

absl::StatusOr<AggregationResult> Aggregate(store::ConnectionPool& pool,
                                            const AggregationRequest& request) {
  const AggregationQuery query = BuildAggregationQuery(request);
  const bool segmented = !request.segment_by.empty();
  AggregationResult result;
  result.moments.resize(request.metrics.size());
  absl::Status status = pool.Run([&](pqxx::work& work) -> absl::Status {
    const pqxx::result rows = RunAggregationStatement(work, query);
    // Segments by number: 0 "(none)", 1..max_segments ranked values, max_segments + 1 "other".
    std::map<int64_t, SegmentAggregate> segments;
    const int segment_base = 3 + static_cast<int>(request.metrics.size()) * kColumnsPerMetric;
    for (const pqxx::row& row : rows) {
      const std::string variant = row[0].as<std::string>();
      const int64_t n = row[1].as<int64_t>();
      result.multiple_exposure_units = row[2].as<int64_t>();
      SegmentAggregate* segment = nullptr;
      if (segmented) {
        const int64_t number = row[segment_base].as<int64_t>();
        segment = &segments[number];
        segment->moments.resize(request.metrics.size());
        segment->none = number == 0;
        segment->other = number > request.max_segments;
        segment->value = segment->none    ? "(none)"
                         : segment->other ? "other"
                                          : row[segment_base + 1].as<std::string>();
        if (segment->other) segment->pooled_values = row[segment_base + 2].as<int64_t>();
        segment->units[variant] = n;
      }
      result.units[variant] += n;
      for (size_t i = 0; i < request.metrics.size(); ++i) {
        const MetricMoments m =
            MomentsFromRow(row, 3 + static_cast<int>(i) * kColumnsPerMetric, n);
        if (segment != nullptr) {
          segment->moments[i][variant] = m;
          MetricMoments& total = result.moments[i][variant];
          if (total.n == 0) total.cap = m.cap;
          AddMoments(m, &total);
        } else {
          result.moments[i][variant] = m;
        }
      }
    }
    // Ranked values first (by number), then "other", then "(none)".
    for (auto& [number, segment] : segments) {
      if (number > 0) result.segments.push_back(std::move(segment));
    }
    if (segments.count(0) > 0) result.segments.push_back(std::move(segments[0]));
    if (rows.empty()) {
      // No unit in the population: the excluded count still matters for health.
      result.multiple_exposure_units =
          work.exec_params1("SELECT count(*) FROM first_exposures WHERE experiment_key = $1 "
                            "AND phase = $2 AND multiple_variants AND first_ts < $3::timestamptz",
                            request.experiment_key, request.phase,
                            TimestampLiteral(request.analysis_end_micros))[0]
              .as<int64_t>();
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

std::vector<int64_t> UtcMidnightsBetween(int64_t after_micros, int64_t until_micros) {
  std::vector<int64_t> out;
  // First midnight strictly after `after_micros` (floor division for instants before 1970).
  int64_t day = after_micros / kMicrosPerDay;
  if (after_micros < 0 && after_micros % kMicrosPerDay != 0) --day;
  for (int64_t midnight = (day + 1) * kMicrosPerDay; midnight <= until_micros;
       midnight += kMicrosPerDay) {
    out.push_back(midnight);
  }
  return out;
}

namespace {

constexpr const char* kSnapshotSums[] = {"sum_y",  "sum_y2", "sum_x",  "sum_x2", "sum_xy",
                                         "sum_d",  "sum_d2", "sum_yd", "sum_e",  "sum_e2",
                                         "sum_xe", "sum_ye", "sum_dx", "sum_de"};

double* SumField(MetricMoments& m, int k) {
  double* fields[] = {&m.sum_y,  &m.sum_y2, &m.sum_x,  &m.sum_x2, &m.sum_xy,
                      &m.sum_d,  &m.sum_d2, &m.sum_yd, &m.sum_e,  &m.sum_e2,
                      &m.sum_xe, &m.sum_ye, &m.sum_dx, &m.sum_de};
  return fields[k];
}

// Exact text of a double for a float8 parameter ("Infinity" for +inf).
std::string Float8Text(double value) {
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return absl::StrFormat("%.17g", value);
}

}  // namespace

absl::StatusOr<DailySnapshotsResult> DailySnapshots(store::ConnectionPool& pool,
                                                    const DailySnapshotsRequest& request) {
  const AggregationRequest& base = request.base;
  for (size_t k = 0; k < request.days.size(); ++k) {
    if (request.days[k] % kMicrosPerDay != 0 || (k > 0 && request.days[k] <= request.days[k - 1])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "days[", k, "] must be a UTC midnight after days[", k == 0 ? 0 : k - 1, "], got ",
          TimestampLiteral(request.days[k])));
    }
  }
  DailySnapshotsResult result;
  result.moments.assign(base.metrics.size(),
                        std::vector<std::map<std::string, MetricMoments>>(request.days.size()));
  if (request.days.empty() || base.metrics.empty()) return result;
  std::map<int64_t, size_t> day_index;
  for (size_t k = 0; k < request.days.size(); ++k) day_index[request.days[k]] = k;
  std::map<std::pair<std::string, int64_t>, size_t> metric_index;
  for (size_t i = 0; i < base.metrics.size(); ++i) {
    metric_index[{base.metrics[i].key, base.metrics[i].version}] = i;
  }
  // stored[i][k]: variants read from the store for metric i on day k.
  std::vector<std::vector<size_t>> stored(base.metrics.size(),
                                          std::vector<size_t>(request.days.size(), 0));
  absl::Status status = pool.Run([&](pqxx::work& work) -> absl::Status {
    work.exec0("SET TRANSACTION READ ONLY");
    const pqxx::result rows = work.exec_params(
        absl::StrCat("SELECT metric_key, metric_version, "
                     "(extract(epoch FROM as_of) * 1000000)::bigint, variant_key, n, ",
                     absl::StrJoin(kSnapshotSums, ", "),
                     ", units_missing_pre_period, cap FROM readout_snapshots "
                     "WHERE experiment_key = $1 AND phase = $2 "
                     "AND as_of >= $3::timestamptz AND as_of <= $4::timestamptz"),
        base.experiment_key, base.phase, TimestampLiteral(request.days.front()),
        TimestampLiteral(request.days.back()));
    for (const pqxx::row& row : rows) {
      const auto metric = metric_index.find({row[0].as<std::string>(), row[1].as<int64_t>()});
      const auto day = day_index.find(row[2].as<int64_t>());
      if (metric == metric_index.end() || day == day_index.end()) continue;
      MetricMoments m;
      m.n = row[4].as<int64_t>();
      for (int k = 0; k < 14; ++k) *SumField(m, k) = row[5 + k].as<double>();
      m.units_missing_pre_period = row[19].as<int64_t>();
      m.cap = row[20].as<double>();
      result.moments[metric->second][day->second][row[3].as<std::string>()] = m;
      ++stored[metric->second][day->second];
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;

  for (size_t k = 0; k < request.days.size(); ++k) {
    AggregationRequest day = base;
    day.segment_by.clear();
    day.analysis_end_micros = request.days[k];
    day.metrics.clear();
    std::vector<size_t> missing;
    for (size_t i = 0; i < base.metrics.size(); ++i) {
      if (stored[i][k] < request.variants.size()) {
        missing.push_back(i);
        day.metrics.push_back(base.metrics[i]);
      }
    }
    if (missing.empty()) continue;
    absl::StatusOr<AggregationResult> sums = Aggregate(pool, day);
    if (!sums.ok()) return sums.status();
    ++result.days_aggregated;
    for (size_t j = 0; j < missing.size(); ++j) {
      std::map<std::string, MetricMoments>& out = result.moments[missing[j]][k];
      out.clear();
      for (const std::string& variant : request.variants) {
        const auto found = sums->moments[j].find(variant);
        out[variant] = found != sums->moments[j].end() ? found->second : MetricMoments{};
        if (found == sums->moments[j].end() && !sums->moments[j].empty()) {
          out[variant].cap = sums->moments[j].begin()->second.cap;  // same cap for every variant
        }
      }
    }
    if (request.days[k] >= request.store_before_micros) continue;
    // One multi-row INSERT per day: (metrics × variants) rows of 22 parameters each.
    std::vector<std::string> params;
    std::string values;
    for (size_t j = 0; j < missing.size(); ++j) {
      const metrics::MetricDefinition& metric = day.metrics[j];
      for (const auto& [variant, m] : result.moments[missing[j]][k]) {
        std::vector<std::string> row = {base.experiment_key,
                                        std::to_string(base.phase),
                                        metric.key,
                                        std::to_string(metric.version),
                                        TimestampLiteral(request.days[k]),
                                        variant,
                                        std::to_string(m.n)};
        MetricMoments copy = m;
        for (int s = 0; s < 14; ++s) row.push_back(Float8Text(*SumField(copy, s)));
        row.push_back(std::to_string(m.units_missing_pre_period));
        row.push_back(Float8Text(m.cap));
        const char* types[] = {"text", "int", "text", "int", "timestamptz", "text", "bigint"};
        std::string tuple;
        for (size_t c = 0; c < row.size(); ++c) {
          params.push_back(std::move(row[c]));
          const char* type = c < 7 ? types[c] : c == 21 ? "bigint" : "float8";
          absl::StrAppend(&tuple, c == 0 ? "" : ", ", "$", params.size(), "::", type);
        }
        absl::StrAppend(&values, values.empty() ? "" : ",\n", "(", tuple, ")");
      }
    }
    absl::Status stored_status = pool.Run([&](pqxx::work& work) -> absl::Status {
      work.exec_params0(
          absl::StrCat("INSERT INTO readout_snapshots (experiment_key, phase, metric_key, "
                       "metric_version, as_of, variant_key, n, ",
                       absl::StrJoin(kSnapshotSums, ", "),
                       ", units_missing_pre_period, cap) VALUES\n", values,
                       "\nON CONFLICT DO NOTHING"),
          pqxx::prepare::make_dynamic_params(params));
      return absl::OkStatus();
    });
    if (!stored_status.ok()) return stored_status;
    ++result.days_stored;
  }
  return result;
}

absl::StatusOr<int64_t> DeleteSupersededSnapshots(
    store::ConnectionPool& pool, const std::string& experiment_key,
    const std::vector<metrics::MetricDefinition>& metrics) {
  int64_t deleted = 0;
  absl::Status status = pool.Run([&](pqxx::work& work) -> absl::Status {
    for (const metrics::MetricDefinition& metric : metrics) {
      deleted += work.exec_params0(
                         "DELETE FROM readout_snapshots WHERE experiment_key = $1 "
                         "AND metric_key = $2 AND metric_version < $3",
                         experiment_key, metric.key, metric.version)
                     .affected_rows();
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return deleted;
}

}  // namespace lift::readout
