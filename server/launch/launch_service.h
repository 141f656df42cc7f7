// LaunchService: launch impact analysis (difference in differences for changes that were not
// randomised) and the launch registry, independent of gRPC (proto/lift/v1/launches.proto
// documents the semantics; the LaunchAnalysis message is the domain result, as Readout is for
// readouts).
//
// Analyze steps: resolve the launch (registered by key, or the inline definition), validate it
// (launch.h), check there are at least 2 pre-periods, load the LATEST version of each metric
// (recorded in the result; ratio metrics are refused), build the panel with ONE SQL statement
// (launch_query.h), then per metric run stats::TwoWayFixedEffectsDid (stats/diff_in_diff.h: unit
// and period fixed effects, unit-clustered CR1 errors, t(G - 1), placebo pre-trend on the
// pre-periods) over the panel's (unit, period) values with first_post_period = pre-periods. The
// relative effect divides the estimate and its interval by |treated pre-period mean| (the
// baseline taken as known). The pre-trend is flagged when the placebo is valid and its p < alpha.
// Per-period means are plain averages over each group's panel units (zero-filled).
//
// Status codes: InvalidArgument (a request field, named; a ratio metric), NotFound (unknown launch
// or metric), AlreadyExists (CreateLaunch with a taken key), FailedPrecondition (a group without
// units, fewer than 2 pre-periods), Unavailable (database down).
//
// Thread safety: thread-safe (the stores are).
#ifndef LIFT_SERVER_LAUNCH_LAUNCH_SERVICE_H_
#define LIFT_SERVER_LAUNCH_LAUNCH_SERVICE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "lift/v1/launches.pb.h"
#include "server/launch/launch_store.h"
#include "server/metrics/metric_store.h"
#include "server/store/connection_pool.h"

namespace lift::launch {

inline constexpr double kDefaultAlpha = 0.05;

class LaunchService {
 public:
  // All must outlive the service. `now_micros` returns the current time (tests fix it).
  LaunchService(store::ConnectionPool* pool, LaunchStore* launches, metrics::MetricStore* metrics,
                std::function<int64_t()> now_micros = nullptr);

  absl::StatusOr<v1::LaunchAnalysis> Analyze(const v1::AnalyzeLaunchRequest& request);
  // Validates (field names prefixed "launch.") and stores the launch; every metric key must name
  // an existing, non-ratio metric (NotFound / InvalidArgument otherwise).
  absl::StatusOr<v1::Launch> Create(const v1::CreateLaunchRequest& request,
                                    const std::string& actor);
  absl::StatusOr<v1::ListLaunchesResponse> List(const v1::ListLaunchesRequest& request);

 private:
  // The latest definitions of `keys`, in order: NotFound for an unknown key, InvalidArgument for a
  // ratio metric.
  absl::StatusOr<std::vector<metrics::MetricDefinition>> LoadMetrics(
      const std::vector<std::string>& keys);

  store::ConnectionPool* pool_;
  LaunchStore* launches_;
  metrics::MetricStore* metrics_;
  std::function<int64_t()> now_micros_;
};

}  // namespace lift::launch

#endif  // LIFT_SERVER_LAUNCH_LAUNCH_SERVICE_H_
