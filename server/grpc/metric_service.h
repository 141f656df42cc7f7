// lift.v1.MetricService and lift.v1.ReadoutService over gRPC's callback API. Each method converts
// the request to domain types (MetricFromProto / MetricToProto below), runs the domain service on
// a BlockingExecutor thread (these RPCs wait for PostgreSQL, which gRPC's callback threads must
// not do), converts the result back and finishes with ToGrpcStatus. No rules live here.
//
// Thread safety: thread-safe.
#ifndef LIFT_SERVER_GRPC_METRIC_SERVICE_H_
#define LIFT_SERVER_GRPC_METRIC_SERVICE_H_

#include <functional>

#include "absl/status/status.h"
#include "lift/v1/metrics.grpc.pb.h"
#include "server/grpc/blocking_executor.h"
#include "server/grpc/offload.h"
#include "server/metrics/metric_service.h"

namespace lift {

// Proto <-> domain. Enum values map to the domain's names (metric.h); UNSPECIFIED enums map to
// "" (filled with defaults by metrics::Normalize) and unknown numbers to "invalid" (rejected by
// validation, naming the field).
metrics::MetricDefinition MetricFromProto(const v1::Metric& proto);
void MetricToProto(const metrics::MetricDefinition& metric, v1::Metric* proto);

class MetricServiceImpl final : public v1::MetricService::CallbackService {
 public:
  // Both must outlive this object.
  MetricServiceImpl(metrics::MetricService* service, BlockingExecutor* executor)
      : service_(service), executor_(executor) {}

  grpc::ServerUnaryReactor* ApplyMetrics(grpc::CallbackServerContext* context,
                                         const v1::ApplyMetricsRequest* request,
                                         v1::ApplyMetricsResponse* response) override;
  grpc::ServerUnaryReactor* GetMetric(grpc::CallbackServerContext* context,
                                      const v1::GetMetricRequest* request,
                                      v1::Metric* response) override;
  grpc::ServerUnaryReactor* ListMetrics(grpc::CallbackServerContext* context,
                                        const v1::ListMetricsRequest* request,
                                        v1::ListMetricsResponse* response) override;
  grpc::ServerUnaryReactor* ListMetricVersions(grpc::CallbackServerContext* context,
                                               const v1::ListMetricVersionsRequest* request,
                                               v1::ListMetricVersionsResponse* response) override;

 private:
  // Runs `work` on the executor (offload.h) and finishes the call with its status.
  grpc::ServerUnaryReactor* Offload(grpc::CallbackServerContext* context,
                                    std::function<absl::Status()> work) {
    return lift::Offload(*executor_, context, std::move(work), "metric requests");
  }

  metrics::MetricService* service_;
  BlockingExecutor* executor_;
};

}  // namespace lift

#endif  // LIFT_SERVER_GRPC_METRIC_SERVICE_H_
