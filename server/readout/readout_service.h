// ReadoutService: the readout of one experiment phase (proto/lift/v1/readouts.proto), independent
// of gRPC. The Readout message is the domain result here: it is a plain data tree the weekly review
// and the CLI consume as is, so the service fills it directly instead of a mirror struct.
//
// Steps: load the experiment (phase, weights, metrics by role) and the LATEST version of each
// metric definition (recorded in the result); run the aggregation statement (aggregation.h, one
// query for all metrics); for each metric run stats::AnalyzeAb (plain / CUPED / ratio,
// sequential unless fixed_horizon, Bayesian, guardrail non-inferiority at the experiment's
// margin); Holm-adjust the p-values of success metrics × treatment variants as one family
// (secondary and guardrail metrics are not corrected: Spotify's risk-aware rule); SRM from the
// first-exposure counts against the phase's weights; power of the primary (first success) metric
// from its MDE, the control's baseline and variance, and the traffic so far (stats/power.h, 80 %
// power, two-sided alpha); then the decision (DESIGN.md "Decision"):
//   INVALID       SRM flagged, or more than kMaxMultipleExposureShare of the exposed units were seen
//                 in several variants (assignment or logging is broken);
//   DONT_SHIP     a guardrail is significantly harmed in some variant, or a success metric is
//                 significantly worse (adjusted p <= alpha, harmful direction);
//   SHIP          some variant improved a success metric significantly (adjusted p <= alpha) and
//                 every guardrail passed non-inferiority for that variant;
//   KEEP_RUNNING  otherwise, with what is missing and the days to reach power.
// "Significant" uses the primary estimate (CUPED when adjusted) and the p-value fed into the
// correction (always-valid unless fixed_horizon).
//
// Segments (request.segment_by): computed by the same aggregation statement (aggregation.h), each
// segment analysed with the same per-metric path (FillMetricResult), its own SRM, p-values NOT
// corrected across segments and never used by the decision (descriptive, as the proto says).
//
// Time series (request.include_timeseries): for every UTC midnight after the phase start up to
// the analysis end (the last kMaxTimeseriesDays of them), the statistics as of that midnight come
// from readout_snapshots (DailySnapshots: a completed day is aggregated once, stored, and read
// back afterwards; days less than kSnapshotSettleMicros before now are computed but not stored,
// so late events of a just-finished day still count); each point runs stats::AnalyzeAb with
// sequential on (CUPED when the metric has a covariate). The last point is the readout itself at
// the analysis end (running = true) unless that is a midnight. Without these two fields the
// readout does exactly the work it did before they existed. liftd stores settled days of live
// experiments ahead of any request (StoreDailySnapshots, run by snapshot_scheduler.h).
//
// Errors: InvalidArgument (request fields, e.g. "segment_by must be 1 to 100 characters long"),
// NotFound (experiment, phase or metric), 
// FailedPrecondition (no phase yet, no metrics), Unavailable (database down).
//
// Thread safety: thread-safe (the stores are).
#ifndef LIFT_SERVER_READOUT_READOUT_SERVICE_H_
#define LIFT_SERVER_READOUT_READOUT_SERVICE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "lift/v1/readouts.pb.h"
#include "server/experiments/experiment_store.h"
#include "server/metrics/metric_store.h"
#include "server/store/connection_pool.h"

namespace lift::readout {

// Share of excluded multiple-exposure units above which the readout is INVALID.
inline constexpr double kMaxMultipleExposureShare = 0.05;
// Power the primary metric's MDE is planned for.
inline constexpr double kPlannedPower = 0.8;
// Longest time series returned (the most recent midnights; MetricTimeseries.truncated says so).
inline constexpr int kMaxTimeseriesDays = 90;
// A finished day is stored as a snapshot only once it ended at least this long ago (1 hour).
inline constexpr int64_t kSnapshotSettleMicros = int64_t{3600} * 1'000'000;

// What StoreDailySnapshots did for one experiment.
struct SnapshotRefresh {
  int phase = 0;            // the phase whose days were considered
  int days_aggregated = 0;  // days not (all) in the store that ran the aggregation
  int days_stored = 0;      // of those, days written to readout_snapshots
  int64_t superseded_rows_deleted = 0;  // stored rows of older metric versions, removed
};

class ReadoutService {
 public:
  // All must outlive the service. `now_micros` returns the current time (tests fix it).
  ReadoutService(store::ConnectionPool* pool, experiments::ExperimentStore* experiments,
                 metrics::MetricStore* metrics, std::function<int64_t()> now_micros = nullptr);

  absl::StatusOr<v1::Readout> GetReadout(const v1::GetReadoutRequest& request);

  // Stores the daily cumulative snapshots of the experiment's current phase that a time series
  // would store if it were asked for now (every settled UTC midnight of the phase, the last
  // kMaxTimeseriesDays of them, latest metric versions) and are not stored yet; days already in
  // readout_snapshots cost one read. Rows of older versions of the experiment's metrics (never
  // read again) are deleted. Run in the background (snapshot_scheduler.h) so that the
  // first time series of a long experiment does not aggregate every day on request.
  // NotFound / FailedPrecondition as GetReadout; Unavailable (database down).
  absl::StatusOr<SnapshotRefresh> StoreDailySnapshots(const std::string& experiment_key);

 private:
  store::ConnectionPool* pool_;
  experiments::ExperimentStore* experiments_;
  metrics::MetricStore* metrics_;
  std::function<int64_t()> now_micros_;
};

}  // namespace lift::readout

#endif  // LIFT_SERVER_READOUT_READOUT_SERVICE_H_
