// The SQL condition that selects a metric's events: a row of metric_events matches an
// EventSelector when it has the selector's event name and passes every property filter
// (metrics.proto PropertyFilter: values compare as text with `properties ->> property`; an
// absent property matches neither equal nor in). Names and values are bound parameters.
//
// Thread safety: pure function.
#ifndef LIFT_SERVER_METRICS_SELECTOR_SQL_H_
#define LIFT_SERVER_METRICS_SELECTOR_SQL_H_

#include <string>

#include "server/metrics/metric.h"
#include "server/store/sql_params.h"

namespace lift::metrics {

// Boolean SQL on the metric_events row aliased `alias`, in parentheses.
std::string EventSelectorCondition(const EventSelector& selector, const std::string& alias,
                                   store::SqlParams& params);

}  // namespace lift::metrics

#endif  // LIFT_SERVER_METRICS_SELECTOR_SQL_H_
