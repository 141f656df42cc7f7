#include "server/grpc/metric_service.h"

#include <string>
#include <utility>
#include <vector>

#include "server/auth/actor.h"
#include "server/grpc_status.h"
#include "server/metrics/metric_enums.h"

namespace lift {
namespace {

std::string KindName(v1::MetricKind kind) {
  switch (kind) {
    case v1::METRIC_KIND_UNSPECIFIED: return "";
    case v1::METRIC_KIND_PROPORTION: return "proportion";
    case v1::METRIC_KIND_MEAN: return "mean";
    case v1::METRIC_KIND_RATIO: return "ratio";
    case v1::METRIC_KIND_RETENTION: return "retention";
    default: return "invalid";
  }
}
std::string AggregationName(v1::Aggregation aggregation) {
  switch (aggregation) {
    case v1::AGGREGATION_UNSPECIFIED: return "";
    case v1::AGGREGATION_SUM: return "sum";
    case v1::AGGREGATION_COUNT: return "count";
    case v1::AGGREGATION_MAX: return "max";
    case v1::AGGREGATION_ANY: return "any";
    default: return "invalid";
  }
}
v1::Aggregation AggregationProto(const std::string& aggregation) {
  if (aggregation == "sum") return v1::AGGREGATION_SUM;
  if (aggregation == "count") return v1::AGGREGATION_COUNT;
  if (aggregation == "max") return v1::AGGREGATION_MAX;
  if (aggregation == "any") return v1::AGGREGATION_ANY;
  return v1::AGGREGATION_UNSPECIFIED;
}
std::string OperatorName(v1::PropertyFilter::Operator op) {
  switch (op) {
    case v1::PropertyFilter::OPERATOR_EQUAL: return "equal";
    case v1::PropertyFilter::OPERATOR_NOT_EQUAL: return "not_equal";
    case v1::PropertyFilter::OPERATOR_IN: return "in";
    case v1::PropertyFilter::OPERATOR_NOT_IN: return "not_in";
    default: return "unspecified";
  }
}
v1::PropertyFilter::Operator OperatorProto(const std::string& op) {
  if (op == "equal") return v1::PropertyFilter::OPERATOR_EQUAL;
  if (op == "not_equal") return v1::PropertyFilter::OPERATOR_NOT_EQUAL;
  if (op == "in") return v1::PropertyFilter::OPERATOR_IN;
  if (op == "not_in") return v1::PropertyFilter::OPERATOR_NOT_IN;
  return v1::PropertyFilter::OPERATOR_UNSPECIFIED;
}
std::string CappingName(v1::CappingType capping) {
  switch (capping) {
    case v1::CAPPING_TYPE_UNSPECIFIED:
    case v1::CAPPING_TYPE_NONE: return "none";
    case v1::CAPPING_TYPE_ABSOLUTE: return "absolute";
    case v1::CAPPING_TYPE_PERCENTILE: return "percentile";
    default: return "invalid";
  }
}
v1::CappingType CappingProto(const std::string& capping) {
  if (capping == "absolute") return v1::CAPPING_TYPE_ABSOLUTE;
  if (capping == "percentile") return v1::CAPPING_TYPE_PERCENTILE;
  return v1::CAPPING_TYPE_NONE;
}
std::string TierName(v1::MetricTier tier) {
  switch (tier) {
    case v1::METRIC_TIER_UNSPECIFIED: return "";
    case v1::METRIC_TIER_NORTH_STAR: return "north_star";
    case v1::METRIC_TIER_KEY_RESULT: return "key_result";
    case v1::METRIC_TIER_GUARDRAIL: return "guardrail";
    case v1::METRIC_TIER_INPUT: return "input";
    default: return "invalid";
  }
}

metrics::EventSelector SelectorFromProto(const v1::EventSelector& proto) {
  metrics::EventSelector selector;
  selector.event = proto.event();
  selector.aggregation = AggregationName(proto.aggregation());
  for (const v1::PropertyFilter& filter : proto.filters()) {
    selector.filters.push_back(
        {filter.property(), OperatorName(filter.operator_()),
         std::vector<std::string>(filter.values().begin(), filter.values().end())});
  }
  return selector;
}

void SelectorToProto(const metrics::EventSelector& selector, v1::EventSelector* proto) {
  proto->set_event(selector.event);
  proto->set_aggregation(AggregationProto(selector.aggregation));
  for (const metrics::PropertyFilter& filter : selector.filters) {
    v1::PropertyFilter* out = proto->add_filters();
    out->set_property(filter.property);
    out->set_operator_(OperatorProto(filter.op));
    for (const std::string& value : filter.values) out->add_values(value);
  }
}

v1::MetricChange::Action ActionProto(metrics::MetricChange::Action action) {
  switch (action) {
    case metrics::MetricChange::Action::kCreated: return v1::MetricChange::ACTION_CREATED;
    case metrics::MetricChange::Action::kUpdated: return v1::MetricChange::ACTION_UPDATED;
    case metrics::MetricChange::Action::kUnchanged: break;
  }
  return v1::MetricChange::ACTION_UNCHANGED;
}

}  // namespace

metrics::MetricDefinition MetricFromProto(const v1::Metric& proto) {
  metrics::MetricDefinition metric;
  metric.key = proto.key();
  metric.name = proto.name();
  metric.description = proto.description();
  metric.owner = proto.owner();
  metric.kind = KindName(proto.kind());
  metric.numerator = SelectorFromProto(proto.numerator());
  if (proto.has_denominator()) metric.denominator = SelectorFromProto(proto.denominator());
  metric.window_start_seconds = proto.window_start_seconds();
  metric.window_duration_seconds = proto.window_duration_seconds();
  metric.capping = CappingName(proto.capping());
  metric.capping_value = proto.capping_value();
  metric.direction = proto.direction() == v1::METRIC_DIRECTION_DECREASE ? "decrease"
                     : proto.direction() == v1::METRIC_DIRECTION_INCREASE ||
                             proto.direction() == v1::METRIC_DIRECTION_UNSPECIFIED
                         ? "increase"
                         : "invalid";
  metric.cuped_pre_period_days = proto.has_cuped_pre_period_days()
                                     ? proto.cuped_pre_period_days()
                                     : metrics::kDefaultCupedPrePeriodDays;
  if (proto.has_mde()) metric.mde = proto.mde();
  if (proto.has_target()) metric.target = proto.target();
  if (proto.has_baseline()) metric.baseline = proto.baseline();
  metric.tier = TierName(proto.tier());
  // --- weekly review KPI fields ---
  metric.target_date = proto.target_date();
  if (proto.has_warning_threshold()) metric.warning_threshold = proto.warning_threshold();
  if (proto.has_alert_threshold()) metric.alert_threshold = proto.alert_threshold();
  // --- end weekly review KPI fields ---
  return metric;
}

void MetricToProto(const metrics::MetricDefinition& metric, v1::Metric* proto) {
  proto->set_key(metric.key);
  proto->set_version(metric.version);
  proto->set_name(metric.name);
  proto->set_description(metric.description);
  proto->set_owner(metric.owner);
  proto->set_kind(metrics::KindProto(metric.kind));
  SelectorToProto(metric.numerator, proto->mutable_numerator());
  if (metric.denominator.has_value()) {
    SelectorToProto(*metric.denominator, proto->mutable_denominator());
  }
  proto->set_window_start_seconds(metric.window_start_seconds);
  proto->set_window_duration_seconds(metric.window_duration_seconds);
  proto->set_capping(CappingProto(metric.capping));
  proto->set_capping_value(metric.capping_value);
  proto->set_direction(metric.direction == "decrease" ? v1::METRIC_DIRECTION_DECREASE
                                                      : v1::METRIC_DIRECTION_INCREASE);
  proto->set_cuped_pre_period_days(metric.cuped_pre_period_days);
  if (metric.mde.has_value()) proto->set_mde(*metric.mde);
  if (metric.target.has_value()) proto->set_target(*metric.target);
  if (metric.baseline.has_value()) proto->set_baseline(*metric.baseline);
  proto->set_tier(metrics::TierProto(metric.tier));
  // --- weekly review KPI fields ---
  proto->set_target_date(metric.target_date);
  if (metric.warning_threshold.has_value()) proto->set_warning_threshold(*metric.warning_threshold);
  if (metric.alert_threshold.has_value()) proto->set_alert_threshold(*metric.alert_threshold);
  // --- end weekly review KPI fields ---
  proto->set_created_at_micros(metric.created_at_micros);
  proto->set_created_by(metric.created_by);
}

grpc::ServerUnaryReactor* MetricServiceImpl::ApplyMetrics(grpc::CallbackServerContext* context,
                                                          const v1::ApplyMetricsRequest* request,
                                                          v1::ApplyMetricsResponse* response) {
  // The actor is the verified API key's name (server/auth/actor.h).
  return Offload(context, [this, request, response,
                           actor = auth::ActorOf(context)]() -> absl::Status {
    std::vector<metrics::MetricDefinition> definitions;
    for (const v1::Metric& metric : request->metrics()) {
      definitions.push_back(MetricFromProto(metric));
    }
    absl::StatusOr<std::vector<metrics::MetricChange>> changes =
        service_->Apply(std::move(definitions), request->dry_run(), actor);
    if (!changes.ok()) return changes.status();
    for (const metrics::MetricChange& change : *changes) {
      v1::MetricChange* out = response->add_changes();
      out->set_key(change.key);
      out->set_action(ActionProto(change.action));
      out->set_previous_version(change.previous_version);
      out->set_version(change.version);
      for (const metrics::FieldChange& field : change.changes) {
        v1::FieldChange* diff = out->add_changes();
        diff->set_field(field.field);
        diff->set_before(field.before);
        diff->set_after(field.after);
      }
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MetricServiceImpl::GetMetric(grpc::CallbackServerContext* context,
                                                       const v1::GetMetricRequest* request,
                                                       v1::Metric* response) {
  return Offload(context, [this, request, response]() -> absl::Status {
    absl::StatusOr<metrics::MetricDefinition> metric =
        service_->Get(request->key(), request->version());
    if (!metric.ok()) return metric.status();
    MetricToProto(*metric, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MetricServiceImpl::ListMetrics(grpc::CallbackServerContext* context,
                                                         const v1::ListMetricsRequest* request,
                                                         v1::ListMetricsResponse* response) {
  return Offload(context, [this, request, response]() -> absl::Status {
    absl::StatusOr<std::vector<metrics::MetricDefinition>> metrics =
        service_->List(TierName(request->tier()));
    if (!metrics.ok()) return metrics.status();
    for (const metrics::MetricDefinition& metric : *metrics) {
      MetricToProto(metric, response->add_metrics());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MetricServiceImpl::ListMetricVersions(
    grpc::CallbackServerContext* context, const v1::ListMetricVersionsRequest* request,
    v1::ListMetricVersionsResponse* response) {
  return Offload(context, [this, request, response]() -> absl::Status {
    absl::StatusOr<std::vector<metrics::MetricDefinition>> versions =
        service_->ListVersions(request->key());
    if (!versions.ok()) return versions.status();
    for (const metrics::MetricDefinition& metric : *versions) {
      MetricToProto(metric, response->add_versions());
    }
    return absl::OkStatus();
  });
}

}  // namespace lift
