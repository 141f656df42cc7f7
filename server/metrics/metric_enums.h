// The metric definition's enumeration words ("proportion", "north_star", ...) as the lift.v1
// enums (metrics.proto), for every place that turns a MetricDefinition into a proto (the gRPC
// handler, the weekly review). Unknown words map to the UNSPECIFIED value.
//
// Thread safety: pure functions.
#ifndef LIFT_SERVER_METRICS_METRIC_ENUMS_H_
#define LIFT_SERVER_METRICS_METRIC_ENUMS_H_

#include <string>

#include "lift/v1/metrics.pb.h"

namespace lift::metrics {

v1::MetricKind KindProto(const std::string& kind);
v1::MetricTier TierProto(const std::string& tier);

}  // namespace lift::metrics

#endif  // LIFT_SERVER_METRICS_METRIC_ENUMS_H_
