// KPI query: the weekly values of every KPI metric for N consecutive ISO weeks, in ONE set-based
// PostgreSQL statement over metric_events (no per-unit or per-week round trips).
//
// Semantics (readouts.proto "KPI value semantics"): the population of week w is every unit with
// at least one event of any name in [start_w, start_w + 7 days). Per (week, unit) and metric,
// the unit's value is the metric's aggregation over its matching events that week (sum / count /
// max / any; 0 without events), capped per unit-week at an ABSOLUTE cap for non-binary kinds;
// ratio metrics also get the denominator's per-unit value. The statement returns, per week, the
// active units and per metric Σ per-unit values (and Σ denominators for ratios); KpiValue turns
// them into the weekly value:
//   proportion, retention  Σy / active units   (share of active units with the event)
//   mean                   Σy / active units   (per active unit)
//   ratio                  Σy / Σd             (undefined when Σd = 0)
//
// Plan: `ev` scans metric_events once for the whole range (partitions pruned by the bound
// timestamptz constants), computing each row's week index and one boolean per distinct selector
// (fenced with OFFSET 0 so each is evaluated once per row); `per_unit` hash-aggregates per (week,
// unit) each distinct (selector, sum | count | max) once; the outer query sums per week.
//
// Thread safety: BuildKpiQuery and KpiValue are pure; RunKpiQuery borrows one pooled connection.
#ifndef LIFT_SERVER_REVIEW_KPI_QUERY_H_
#define LIFT_SERVER_REVIEW_KPI_QUERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/metrics/metric.h"
#include "server/review/sql_query.h"
#include "server/store/connection_pool.h"

namespace lift::review {

struct KpiQueryRequest {
  std::vector<metrics::MetricDefinition> metrics;  // validated and normalised definitions
  int64_t first_week_start_micros = 0;             // Monday 00:00 UTC of the oldest week
  int weeks = 0;                                   // consecutive weeks, >= 1
};

// Sums of one week.
struct KpiWeekSums {
  int64_t active_units = 0;
  std::vector<double> numerator_sums;    // per metric of the request: Σ per-unit values
  std::vector<double> denominator_sums;  // per metric: Σ denominators (ratio), else active units
};

// The statement and its parameters. Precondition: at least one metric, weeks >= 1.
SqlQuery BuildKpiQuery(const KpiQueryRequest& request);

// `request.weeks` entries, oldest first (weeks without events have zeros). Unavailable / Internal
// as the pool maps database errors; InvalidArgument when there is no metric or weeks < 1.
absl::StatusOr<std::vector<KpiWeekSums>> RunKpiQuery(store::ConnectionPool& pool,
                                                     const KpiQueryRequest& request);

struct KpiValueResult {
  double value = 0;
  bool defined = false;
};
// The weekly value from the sums, per the table above (undefined, value 0, when the divisor is 0).
KpiValueResult KpiValue(double numerator_sum, double denominator_sum);

}  // namespace lift::review

#endif  // LIFT_SERVER_REVIEW_KPI_QUERY_H_
