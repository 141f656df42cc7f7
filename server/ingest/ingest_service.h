// IngestService: validates exposures and metric events and hands them to the group-commit queues.
// The gRPC handlers (server/grpc/event_service.h) only convert; this is where the rules live.
//
// Log*() call `done` exactly once: after the valid rows are committed (OK, with counts and the
// rejected rows), or with the error that kept them from being stored (ResourceExhausted when the
// queue is full, Unavailable when the database is down or the server is stopping — in both cases
// nothing of the call was written). RecordAssignedExposures() is the fire-and-forget path of
// Assign(log_exposure = true): it never blocks and never fails the caller.
// Thread-safe.
#ifndef LIFT_SERVER_INGEST_INGEST_SERVICE_H_
#define LIFT_SERVER_INGEST_INGEST_SERVICE_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lift/v1/events.pb.h"
#include "server/assignment/snapshot.h"
#include "server/ingest/first_exposure_folder.h"
#include "server/ingest/group_commit_queue.h"
#include "server/ingest/ingest_rows.h"

namespace lift::ingest {

// Largest number of rows in one request message.
inline constexpr int kMaxRowsPerMessage = 10'000;

struct LogResult {
  CommitCounts counts;
  std::vector<RowRejection> rejections;
};

class IngestService {
 public:
  using SnapshotSource = std::function<std::shared_ptr<const assignment::Snapshot>()>;
  using Done = std::function<void(const absl::Status&, LogResult)>;

  // `fold_delay`: how long the first-exposure folder lets flushes accumulate
  // (first_exposure_folder.h).
  IngestService(const std::string& connection_string, SnapshotSource snapshots,
                GroupCommitOptions options = {},
                std::chrono::milliseconds fold_delay = kDefaultFoldDelay);
  ~IngestService();  // Shutdown()

  void LogExposures(const lift::v1::LogExposuresRequest& request, Done done);
  void LogEvents(const lift::v1::LogEventsRequest& request, Done done);

  // Queues exposures produced by Assign without waiting. Returns the queue's refusal
  // (ResourceExhausted / Unavailable) so Assign can report it; rows refused here or failing to
  // commit later are counted in dropped_assigned_exposures(), because Assign must never wait for
  // or fail on the database.
  absl::Status RecordAssignedExposures(std::vector<ExposureRow> rows);
  int64_t dropped_assigned_exposures() const { return dropped_assigned_exposures_.load(); }

  // Stops intake, commits what is queued and folds the first-exposure backlog (best effort).
  // Call after the gRPC server stopped.
  void Shutdown();

  GroupCommitStats exposure_stats() const { return exposures_.stats(); }
  GroupCommitStats event_stats() const { return events_.stats(); }

 private:
  SnapshotSource snapshots_;
  FirstExposureFolder folder_;  // before exposures_, whose writers notify it
  GroupCommitQueue<ExposureRow> exposures_;
  GroupCommitQueue<EventRow> events_;
  std::atomic<int64_t> dropped_assigned_exposures_{0};
};

}  // namespace lift::ingest

#endif  // LIFT_SERVER_INGEST_INGEST_SERVICE_H_
