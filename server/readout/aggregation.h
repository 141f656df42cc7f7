// Aggregation: ONE set-based SQL statement per readout that turns first exposures and metric
// events into the per-(variant, metric) additive sufficient statistics stats/ takes.
//
// Population: first_exposures of (experiment, phase) with first_ts < analysis end, units seen in
// more than one variant excluded (and counted). Each unit's events are joined once (one index /
// partition-pruned scan of metric_events for every metric of the readout: event names and ts
// bounds are constants of the query) and aggregated per unit and metric:
//   y  numerator in the post window [first_ts + start, first_ts + start + duration), cut at the
//      analysis end (duration 0: up to the analysis end);
//   d  denominator in the post window (ratio metrics; else 0);
//   x  numerator in the pre-period [first_ts - cuped_days, first_ts) (CUPED; 0 when disabled);
//   e  denominator in the pre-period (ratio metrics with CUPED);
// with the metric's aggregation (sum / count / max / any; no events = 0) over events matching its
// event name and property filters (compiled to parameterised SQL). Capping: y and x are replaced
// by LEAST(value, cap), with cap the absolute value, or the percentile_cont(q) of the uncapped
// per-unit y over the whole analysis population (all variants), computed in the same statement.
// Units exposed so recently that their window has not started count with value 0 (same in every
// arm, so it dilutes but does not bias the comparison).
//
// Plan notes (one statement, each distinct expression computed once):
//   units  the population, with one column per distinct window bound first_ts + offset (computed
//          once per unit, not once per event and metric); inlined, so the plan can be parallel;
//   v      the pruned partitions' events of the readout's event names, with one boolean per
//          distinct event selector (name + property filters);
//   agg    units ⋈ v by a parallel hash join (the events hashed, each worker probing with its
//          share of units), one aggregate per unit computing each distinct (selector, window,
//          sum | count | max) once: metrics sharing events and windows share the work; `any` is
//          count > 0 and "no pre-period event" is count = 0;
//   final  per unit, the metric values after capping (fenced, so each is computed once), summed
//          per variant; sums whose factor is identically 0 (no denominator, no CUPED) are
//          constants. Identical parameters are bound once, so identical SQL text means identical
//          expressions. A metric capped at a percentile has its per-unit values collected as
//          arrays instead (per variant); the percentile over all of them and the capped sums
//          follow in two small levels (`f`, `pcaps`), so `agg` is never materialised.
// Timestamps are bound as timestamptz constants so PostgreSQL prunes metric_events' daily
// partitions at plan time. Aggregate runs the statement with ApplyAggregationSettings (SET LOCAL:
// no JIT, no nested loops, work_mem 256MB, no sorts, cheap parallel tuples, the leader only
// collecting): one hash join of the units with the pruned partitions' events is the right plan
// for a readout, and it stays right when fresh partitions have no statistics yet (aggregation.cc
// has the measurements; bench/readout_load measures it against a plain scan).
//
// Segments (AggregationRequest::segment_by, the request's attribute name bound as a parameter):
// the same statement carries each unit's first-exposure attribute value through `agg`, ranks the
// values by analysed units in a small MATERIALIZED CTE (`ranked`: count DESC, then value in byte
// order; the first max_segments keep their own segment, the rest share "other"; units without the
// attribute are "(none)") and groups the final level by (variant, segment) instead of variant.
// Sufficient statistics are additive, so the overall result is the sum of the segments' (computed
// here, not by a second grouping in SQL); percentile caps are those of the whole population, so
// segments add up exactly. Without segment_by the statement (with metrics) is byte for byte what
// it was before segments existed. Measured (bench/readout_load --segments, 200k units, 2M events,
// 10 metrics, 30 values): the segmented readout takes ~1.04x the plain one.
//
// Daily snapshots (DailySnapshots, table readout_snapshots of migration 0005): the per-variant
// statistics of a phase as of each UTC midnight, i.e. Aggregate with analysis_end = that midnight
// (capping included), stored once per (metric key, version, day, variant) and read back by later
// readouts. Missing days run one aggregation statement each (a percentile cap depends on the
// population of that day, so days cannot be derived from one cumulative pass without materialising
// units × days); callers cap the number of days (ReadoutService: the last kMaxTimeseriesDays).
//
// Thread safety: BuildAggregationQuery is pure; Aggregate borrows one pooled connection;
// DailySnapshots borrows one per statement and is safe to run concurrently for the same phase
// (rows are inserted with ON CONFLICT DO NOTHING, completed days being immutable).
#ifndef LIFT_SERVER_READOUT_AGGREGATION_H_
#define LIFT_SERVER_READOUT_AGGREGATION_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <pqxx/transaction_base>

#include "absl/status/statusor.h"
#include "server/metrics/metric.h"
#include "server/store/connection_pool.h"
#include "server/store/sql_params.h"

namespace lift::readout {

// Attribute values that get their own segment (the rest are pooled as "other").
inline constexpr int kMaxSegments = 20;
// Longest accepted segment attribute name.
inline constexpr size_t kMaxSegmentNameLength = 100;

struct AggregationRequest {
  std::string experiment_key;
  int phase = 0;
  int64_t phase_start_micros = 0;   // lower bound of first exposures (Unix epoch µs)
  int64_t analysis_end_micros = 0;  // events and exposures at or after it are ignored
  std::vector<metrics::MetricDefinition> metrics;
  // Exposure attribute to segment by ("" = no segments); 1..kMaxSegmentNameLength characters.
  std::string segment_by;
  int max_segments = kMaxSegments;  // values with their own segment; the rest pool as "other"
};

// Sums over the units of one variant for one metric (y, d, x, e as in the file comment).
struct MetricMoments {
  int64_t n = 0;
  double sum_y = 0, sum_y2 = 0, sum_x = 0, sum_x2 = 0, sum_xy = 0;
  double sum_d = 0, sum_d2 = 0, sum_yd = 0;
  double sum_e = 0, sum_e2 = 0, sum_xe = 0;
  double sum_ye = 0, sum_dx = 0, sum_de = 0;
  int64_t units_missing_pre_period = 0;  // units without a numerator/denominator pre-period event
  double cap = 0;                        // the cap applied (+inf: none)
};

// Adds the sums and counts of `from` into `into` (cap: the larger, they are equal within one
// aggregation). Sufficient statistics are additive over disjoint sets of units.
void AddMoments(const MetricMoments& from, MetricMoments* into);

// One segment of the population (AggregationRequest::segment_by).
struct SegmentAggregate {
  std::string value;          // attribute value; "other" / "(none)" for the pooled ones
  bool other = false;         // values ranked after max_segments, pooled
  bool none = false;          // units without the attribute
  int64_t pooled_values = 0;  // other: distinct values pooled
  std::map<std::string, int64_t> units;  // per variant key
  // [metric index in the request][variant key]
  std::vector<std::map<std::string, MetricMoments>> moments;
};

struct AggregationResult {
  std::map<std::string, int64_t> units;  // analysis population per variant key
  int64_t multiple_exposure_units = 0;   // excluded units (seen in several variants)
  // [metric index in the request][variant key]
  std::vector<std::map<std::string, MetricMoments>> moments;
  // With segment_by: largest first (units, then value in byte order), then "other", then
  // "(none)"; only segments with units. Their sums add up to `units` and `moments`.
  std::vector<SegmentAggregate> segments;
};

struct AggregationQuery {
  std::string sql;
  std::vector<std::string> params;  // $1.. as text, cast in the SQL
};

// The statement and its parameters (for Aggregate, tests and EXPLAIN). Precondition: every
// metric passed ValidateMetric.
AggregationQuery BuildAggregationQuery(const AggregationRequest& request);

// The planner settings the aggregation statement runs with (SET LOCAL: this transaction only), for
// anything that must plan it as Aggregate does (EXPLAIN in bench/readout_load).
void ApplyAggregationSettings(pqxx::transaction_base& work);

// Runs the statement in a READ ONLY transaction. Unavailable / Internal as the pool maps them.
absl::StatusOr<AggregationResult> Aggregate(store::ConnectionPool& pool,
                                            const AggregationRequest& request);

// "YYYY-MM-DD HH:MM:SS.ffffff+00" for a Unix epoch microsecond instant (a timestamptz literal).
using store::TimestampLiteral;

// The UTC midnights m with after_micros < m <= until_micros, ascending.
std::vector<int64_t> UtcMidnightsBetween(int64_t after_micros, int64_t until_micros);

struct DailySnapshotsRequest {
  // Experiment, phase, phase start and metrics (each with its version); analysis_end_micros and
  // segment_by are ignored.
  AggregationRequest base;
  std::vector<int64_t> days;          // UTC midnights (Unix epoch µs), ascending
  std::vector<std::string> variants;  // every variant key of the phase: rows are stored for each
  // Days at or after this instant are computed but not stored (data may still arrive for them).
  int64_t store_before_micros = 0;
};

struct DailySnapshotsResult {
  // [metric index][day index][variant key]; every requested variant present (n = 0 when empty).
  std::vector<std::vector<std::map<std::string, MetricMoments>>> moments;
  int days_aggregated = 0;  // days that were not (all) in the store and ran the statement
  int days_stored = 0;      // of those, days written to readout_snapshots
};

// Reads the stored snapshots of request.days in one statement, aggregates each day missing for
// some metric (Aggregate with analysis_end = that midnight, only the missing metrics) and stores
// the completed ones (day < store_before_micros). InvalidArgument when a day is not a UTC midnight
// or the days are not ascending; Unavailable / Internal as the pool maps database errors.
absl::StatusOr<DailySnapshotsResult> DailySnapshots(store::ConnectionPool& pool,
                                                    const DailySnapshotsRequest& request);

// Deletes the stored snapshots of `experiment_key` (any phase) for versions of `metrics` older
// than the given ones: readouts analyse the latest version only, so those rows are never read
// again. Returns the number of rows deleted; Unavailable / Internal as the pool maps errors.
absl::StatusOr<int64_t> DeleteSupersededSnapshots(
    store::ConnectionPool& pool, const std::string& experiment_key,
    const std::vector<metrics::MetricDefinition>& metrics);

}  // namespace lift::readout

#endif  // LIFT_SERVER_READOUT_AGGREGATION_H_
