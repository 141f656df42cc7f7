// The launch panel query: ONE set-based SQL statement that turns the metric events of an analysis
// window into the per-(unit, period) metric values of a difference-in-differences panel.
//
// Given the window [start, start + periods·P) (P the period length) and the two group conditions:
//   up     one scan of metric_events over the window (its daily partitions pruned at plan time:
//          the bounds are bound timestamptz constants), grouped by (unit_id, period) with
//          period = (ts - start) div P: per group, whether some event satisfies the property
//          clauses of the treated / control condition (all of them on the same event), and one
//          aggregate per distinct (metric event selector, sum | count | max), FILTER (WHERE the
//          event has the selector's name and passes its property filters);
//   units  per unit with any event in the window: in_treated / in_control = the property part
//          holds for some event AND the exposure part holds on the unit's first-exposure
//          attributes (its earliest first_exposures row with first_ts < window end; ties by
//          experiment key, then phase). A missing attribute never equals: = and in are false,
//          != and not in true;
//   dense  the panel: every unit in exactly one group × every period (generate_series), left
//          joined to `up`, with each metric's value: aggregation any → 1 if count > 0, count →
//          count, sum / max → the aggregate; 0 without events;
//   caps   per metric with percentile capping, percentile_cont(q) over all dense values of that
//          metric (zeros included); absolute capping uses the metric's value. Values become
//          LEAST(value, cap).
// The result rows are the dense panel plus one summary row with the number of units that matched
// both conditions (they are excluded). Attribute names and values, event names and filter values
// are bound parameters; the SQL text depends only on the shape of the request.
//
// Thread safety: BuildLaunchQuery is pure; LoadLaunchPanel borrows one pooled connection.
#ifndef LIFT_SERVER_LAUNCH_LAUNCH_QUERY_H_
#define LIFT_SERVER_LAUNCH_LAUNCH_QUERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/launch/group_condition.h"
#include "server/metrics/metric.h"
#include "server/store/connection_pool.h"

namespace lift::launch {

struct LaunchQueryRequest {
  int64_t window_start_micros = 0;  // start of period 0 (Unix epoch µs)
  int64_t period_micros = 0;        // > 0
  int periods = 0;                  // > 0; the window ends at start + periods·period
  GroupCondition treated;
  GroupCondition control;
  // Validated, non-ratio definitions (numerator selector, aggregation, capping are used).
  std::vector<metrics::MetricDefinition> metrics;
};

struct LaunchQuery {
  std::string sql;
  std::vector<std::string> params;  // $1.. as text, cast in the SQL
};

// One panel unit: its group and its zero-filled values.
struct PanelUnit {
  std::string id;
  bool treated = false;
  // values[metric][period], capped.
  std::vector<std::vector<double>> values;
};

struct LaunchPanel {
  std::vector<PanelUnit> units;      // in exactly one group, in the order rows arrived
  int64_t units_in_both_groups = 0;  // excluded
};

// The statement and its parameters (for LoadLaunchPanel, tests and EXPLAIN).
LaunchQuery BuildLaunchQuery(const LaunchQueryRequest& request);

// Runs the statement in a READ ONLY transaction (jit off: the aggregate is wide). Unavailable /
// Internal as the pool maps database failures.
absl::StatusOr<LaunchPanel> LoadLaunchPanel(store::ConnectionPool& pool,
                                            const LaunchQueryRequest& request);

}  // namespace lift::launch

#endif  // LIFT_SERVER_LAUNCH_LAUNCH_QUERY_H_
