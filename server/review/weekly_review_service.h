// WeeklyReviewService: the weekly metrics review of one ISO week (readouts.proto "Weekly review"),
// independent of gRPC. Like readout::ReadoutService it fills the proto result directly (a plain
// data tree the renderers and the CLI consume as is).
//
// Steps, for the week [start, end):
//   KPIs         the latest version of every metric with a tier; ONE statement (kpi_query.h) for
//                all of them over max(trend_weeks, kAnomalyLookback + 2) weeks ending with the
//                review week; per metric the current value, changes vs last week and 4 weeks ago,
//                the history (trend_weeks), and by tier: north star attainment (value / target),
//                key result progress and guardrail level (kpi_status.h);
//   experiments  every experiment with a phase overlapping the week (running or stopped in it):
//                readout::ReadoutService::GetReadout of the last overlapping phase as of the
//                week's end, and as of the previous week's end (the week's start) when the phase
//                had started by then, for "what changed"; a failing readout is reported in
//                `error` (Unavailable aborts the review);
//   audience     first-seen cohorts (cohort_weeks) with retention, DAU/MAU per week (trend_weeks)
//                (cohort_query.h);
//   alerts       KPI thresholds and anomalies, tracking gaps from daily event volumes over the
//                28 days before the week and the week (event_volume_query.h), experiment alerts;
//                most severe first (alert_rules.h).
//
// Errors: InvalidArgument naming the request field ("week must look like 2026-W47, got 'x'",
// "alpha must be in (0, 1) ..."), Unavailable (database down).
//
// Thread safety: thread-safe (the stores and the readout service are).
#ifndef LIFT_SERVER_REVIEW_WEEKLY_REVIEW_SERVICE_H_
#define LIFT_SERVER_REVIEW_WEEKLY_REVIEW_SERVICE_H_

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "lift/v1/readouts.pb.h"
#include "server/launch/launch_service.h"
#include "server/experiments/experiment_store.h"
#include "server/metrics/metric_store.h"
#include "server/readout/readout_service.h"
#include "server/store/connection_pool.h"

namespace lift::review {

inline constexpr double kDefaultAnomalySigmas = 3.0;
inline constexpr int kDefaultCohortWeeks = 8;
inline constexpr int kDefaultTrendWeeks = 12;
inline constexpr int kMaxWeeks = 52;
inline constexpr double kDefaultTrackingGapRatio = 0.3;

// A launch is reported while its post-launch window overlaps the week; windows are at most
// launch::kMaxWindowDays long, so older launches are not looked up.
inline constexpr int64_t kMaxLaunchLookbackDays = launch::kMaxWindowDays;

class WeeklyReviewService {
 public:
  // All must outlive the service. `now_micros` returns the current time (tests fix it).
  WeeklyReviewService(store::ConnectionPool* pool, experiments::ExperimentStore* experiments,
                      metrics::MetricStore* metrics, readout::ReadoutService* readouts,
                      std::function<int64_t()> now_micros = nullptr);

  absl::StatusOr<v1::WeeklyReview> GetWeeklyReview(const v1::GetWeeklyReviewRequest& request);

  // Registered launches are reported when this is set (it must outlive the service).
  void SetLaunchService(launch::LaunchService* launches) { launches_ = launches; }

 private:
  store::ConnectionPool* pool_;
  experiments::ExperimentStore* experiments_;
  metrics::MetricStore* metrics_;
  readout::ReadoutService* readouts_;
  launch::LaunchService* launches_ = nullptr;
  std::function<int64_t()> now_micros_;
};

}  // namespace lift::review

#endif  // LIFT_SERVER_REVIEW_WEEKLY_REVIEW_SERVICE_H_
