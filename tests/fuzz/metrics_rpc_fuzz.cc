// lift.v1.MetricService requests (server/grpc/metric_service.h over server/metrics/): byte 0
// selects the RPC, the rest is its request message (protobuf wire format). The handler runs on a
// test context against a database that cannot be reached, so it converts and validates the
// request (MetricFromProto, Normalize, ValidateMetric) and stops at the first database access.
// ApplyMetrics' conversions are also checked directly.
// Properties: the call fails with an expected code (never OK, INTERNAL or UNKNOWN); a metric that
// validates survives MetricToProto -> MetricFromProto and DefinitionJson -> DefinitionFromJson
// unchanged, and its selectors become SQL with bound parameters only.
#include <cstddef>
#include <cstdint>

#include "server/grpc/blocking_executor.h"
#include "server/grpc/metric_service.h"
#include "server/metrics/metric.h"
#include "server/metrics/metric_service.h"
#include "server/metrics/metric_store.h"
#include "server/metrics/selector_sql.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/rpc_support.h"

namespace {

using lift::MetricServiceImpl;
using lift::metrics::MetricDefinition;

struct Services {
  lift::metrics::MetricStore store{&lift::fuzz::DeadDatabasePool()};
  lift::metrics::MetricService domain{&store};
  lift::BlockingExecutor executor{/*threads=*/1, /*max_queued=*/16};
  MetricServiceImpl impl{&domain, &executor};
};

Services& TheServices() {
  static Services* const services = new Services;
  return *services;
}

void CheckMetric(const lift::v1::Metric& proto) {
  MetricDefinition metric = lift::MetricFromProto(proto);
  lift::metrics::Normalize(&metric);
  const absl::Status valid = lift::metrics::ValidateMetric(metric, "metrics[0].");
  LIFT_FUZZ_CHECK(valid.ok() || absl::IsInvalidArgument(valid));
  if (!valid.ok()) return;
  const nlohmann::json canonical = lift::metrics::DefinitionJson(metric);
  (void)canonical.dump();  // the audit log's "after"

  lift::v1::Metric back;
  lift::MetricToProto(metric, &back);
  MetricDefinition again = lift::MetricFromProto(back);
  lift::metrics::Normalize(&again);
  LIFT_FUZZ_CHECK(lift::metrics::DefinitionJson(again) == canonical);

  MetricDefinition stored;
  LIFT_FUZZ_CHECK(lift::metrics::DefinitionFromJson(canonical, &stored).ok());
  LIFT_FUZZ_CHECK(lift::metrics::DefinitionJson(stored) == canonical);

  lift::store::SqlParams params;
  (void)lift::metrics::EventSelectorCondition(metric.numerator, "e", params);
  if (metric.denominator.has_value()) {
    (void)lift::metrics::EventSelectorCondition(*metric.denominator, "e", params);
  }
}

template <typename Request, typename Response>
void Run(grpc::ServerUnaryReactor* (MetricServiceImpl::*method)(grpc::CallbackServerContext*,
                                                                 const Request*, Response*),
         std::string_view bytes) {
  lift::fuzz::CallRpc(TheServices().impl, method, bytes,
                      [](const Request&, const Response&, const grpc::Status& status) {
                        LIFT_FUZZ_CHECK(lift::fuzz::IsExpectedFailure(status));
                      });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes = lift::fuzz::AsText(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      lift::fuzz::CallRpc(
          TheServices().impl, &MetricServiceImpl::ApplyMetrics, bytes,
          [](const lift::v1::ApplyMetricsRequest& request, const lift::v1::ApplyMetricsResponse&,
             const grpc::Status& status) {
            LIFT_FUZZ_CHECK(lift::fuzz::IsExpectedFailure(status));
            for (const lift::v1::Metric& metric : request.metrics()) CheckMetric(metric);
          });
      break;
    case 1:
      Run(&MetricServiceImpl::GetMetric, bytes);
      break;
    case 2:
      Run(&MetricServiceImpl::ListMetrics, bytes);
      break;
    case 3:
      Run(&MetricServiceImpl::ListMetricVersions, bytes);
      break;
  }
  return 0;
}
