// SnapshotScheduler: stores the daily cumulative snapshots of live experiments in the background,
// so that a time series (GetReadoutRequest.include_timeseries) of a long-running experiment reads
// stored days instead of aggregating each of them on request (≈3 s per day at 200,000 units).
//
// Every `interval` a background thread lists the running experiments and the stopped ones whose
// current phase ended less than kRecentlyStopped ago (their last days settle after they stop), and
// calls ReadoutService::StoreDailySnapshots for each: settled days not stored yet are aggregated
// and stored, stored ones cost one read. An experiment that cannot be analysed (no metrics, a
// metric not defined, the database down) is logged and retried at the next run; the others go on.
// The first run starts one interval after Start, not at start-up.
//
// Thread safety: RunOnce may be called from any thread (tests call it directly; runs do not
// overlap); Start/Stop from one thread. Stop waits for the experiment being refreshed to finish.
#ifndef LIFT_SERVER_READOUT_SNAPSHOT_SCHEDULER_H_
#define LIFT_SERVER_READOUT_SNAPSHOT_SCHEDULER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "server/experiments/experiment_store.h"
#include "server/readout/readout_service.h"
#include "server/stop_signal.h"

namespace lift::readout {

// Stopped experiments are refreshed this long after their phase ended (the last midnight of the
// phase settles kSnapshotSettleMicros after it; the rest is slack for a liftd restart).
inline constexpr int64_t kRecentlyStopped = int64_t{2} * 86400 * 1'000'000;

// What one run did.
struct SnapshotRunSummary {
  int experiments = 0;      // experiments refreshed (running + recently stopped)
  int failures = 0;         // of those, how many failed (logged)
  int days_aggregated = 0;  // sums over the experiments (SnapshotRefresh)
  int days_stored = 0;
  int64_t superseded_rows_deleted = 0;
};

class SnapshotScheduler {
 public:
  // Both must outlive the scheduler. `now_micros` returns the current time (tests fix it; the
  // readout service must use the same clock).
  SnapshotScheduler(ReadoutService* readouts, experiments::ExperimentStore* experiments,
                    std::function<int64_t()> now_micros = nullptr);
  ~SnapshotScheduler();  // Stop()
  SnapshotScheduler(const SnapshotScheduler&) = delete;
  SnapshotScheduler& operator=(const SnapshotScheduler&) = delete;

  // Refreshes every live experiment once, now. Unavailable when the experiments cannot be listed.
  absl::StatusOr<SnapshotRunSummary> RunOnce();

  // Starts the background thread: RunOnce every `interval` (> 0), the first one interval from now.
  void Start(std::chrono::milliseconds interval);

  // Stops the thread (wakes it, waits for the current experiment). Idempotent.
  void Stop();

 private:
  ReadoutService* readouts_;
  experiments::ExperimentStore* experiments_;
  std::function<int64_t()> now_micros_;
  std::mutex run_mutex_;  // one run at a time
  StopSignal stop_;
  std::thread thread_;
};

}  // namespace lift::readout

#endif  // LIFT_SERVER_READOUT_SNAPSHOT_SCHEDULER_H_
