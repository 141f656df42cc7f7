#include "server/readout/snapshot_scheduler.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/wall_clock.h"
#include "spdlog/spdlog.h"

namespace lift::readout {
namespace {

constexpr int kPageSize = 500;

// Keys of the experiments with `status`, all pages; `keep` filters them.
absl::Status AppendKeys(experiments::ExperimentStore& store, experiments::ExperimentStatus status,
                        const std::function<bool(const experiments::Experiment&)>& keep,
                        std::vector<std::string>* keys) {
  experiments::ExperimentFilter filter;
  filter.status = status;
  std::string after;
  while (true) {
    absl::StatusOr<std::vector<experiments::Experiment>> page =
        store.ListExperiments(filter, after, kPageSize);
    if (!page.ok()) return page.status();
    for (const experiments::Experiment& experiment : *page) {
      if (keep(experiment)) keys->push_back(experiment.key);
    }
    if (page->size() < static_cast<size_t>(kPageSize)) return absl::OkStatus();
    after = page->back().key;
  }
}

}  // namespace

SnapshotScheduler::SnapshotScheduler(ReadoutService* readouts,
                                     experiments::ExperimentStore* experiments,
                                     std::function<int64_t()> now_micros)
    : readouts_(readouts),
      experiments_(experiments),
      now_micros_(now_micros ? std::move(now_micros)
                             : WallClockMicros) {}

SnapshotScheduler::~SnapshotScheduler() { Stop(); }

absl::StatusOr<SnapshotRunSummary> SnapshotScheduler::RunOnce() {
  std::lock_guard<std::mutex> run(run_mutex_);
  std::vector<std::string> keys;
  absl::Status listed = AppendKeys(
      *experiments_, experiments::ExperimentStatus::kRunning,
      [](const experiments::Experiment&) { return true; }, &keys);
  if (!listed.ok()) return listed;
  const int64_t stopped_after = now_micros_() - kRecentlyStopped;
  listed = AppendKeys(
      *experiments_, experiments::ExperimentStatus::kStopped,
      [stopped_after](const experiments::Experiment& experiment) {
        for (const experiments::Phase& phase : experiment.phases) {
          if (phase.number == experiment.phase) return phase.ended_at_micros >= stopped_after;
        }
        return false;
      },
      &keys);
  if (!listed.ok()) return listed;

  SnapshotRunSummary summary;
  for (const std::string& key : keys) {
    if (stop_.stopped()) break;
    ++summary.experiments;
    absl::StatusOr<SnapshotRefresh> refresh = readouts_->StoreDailySnapshots(key);
    if (!refresh.ok()) {
      ++summary.failures;
      spdlog::warn("snapshots: experiment '{}' not refreshed: {}", key,
                   std::string(refresh.status().message()));
      continue;
    }
    summary.days_aggregated += refresh->days_aggregated;
    summary.days_stored += refresh->days_stored;
    summary.superseded_rows_deleted += refresh->superseded_rows_deleted;
    if (refresh->days_stored > 0) {
      spdlog::info("snapshots: experiment '{}' phase {}: {} day(s) stored", key, refresh->phase,
                   refresh->days_stored);
    }
  }
  return summary;
}

void SnapshotScheduler::Start(std::chrono::milliseconds interval) {
  thread_ = std::thread([this, interval] {
    while (!stop_.SleepOrStop(interval)) {
      absl::StatusOr<SnapshotRunSummary> summary = RunOnce();
      if (!summary.ok()) {
        spdlog::warn("snapshots: run skipped: {}", std::string(summary.status().message()));
      }
    }
  });
}

void SnapshotScheduler::Stop() {
  stop_.Stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace lift::readout
