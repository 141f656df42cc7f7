#include "server/metrics/metric_enums.h"

namespace lift::metrics {

v1::MetricKind KindProto(const std::string& kind) {
  if (kind == "proportion") return v1::METRIC_KIND_PROPORTION;
  if (kind == "mean") return v1::METRIC_KIND_MEAN;
  if (kind == "ratio") return v1::METRIC_KIND_RATIO;
  if (kind == "retention") return v1::METRIC_KIND_RETENTION;
  return v1::METRIC_KIND_UNSPECIFIED;
}

v1::MetricTier TierProto(const std::string& tier) {
  if (tier == "north_star") return v1::METRIC_TIER_NORTH_STAR;
  if (tier == "key_result") return v1::METRIC_TIER_KEY_RESULT;
  if (tier == "guardrail") return v1::METRIC_TIER_GUARDRAIL;
  if (tier == "input") return v1::METRIC_TIER_INPUT;
  return v1::METRIC_TIER_UNSPECIFIED;
}

}  // namespace lift::metrics
