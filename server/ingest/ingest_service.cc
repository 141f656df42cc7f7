#include "server/ingest/ingest_service.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "server/ingest/row_validation.h"
#include "server/wall_clock.h"

namespace lift::ingest {
namespace {

absl::Status CheckMessageSize(int rows) {
  if (rows > kMaxRowsPerMessage) {
    return absl::InvalidArgumentError(absl::StrCat("a request may carry at most ", kMaxRowsPerMessage,
                                                   " rows, got ", rows, ": split it into batches"));
  }
  return absl::OkStatus();
}

// Submits validated rows; `done` gets the counts plus the rejections found during validation.
template <typename Row>
void SubmitValidated(GroupCommitQueue<Row>& queue, ValidatedRows<Row> validated,
                     IngestService::Done done) {
  auto rejections = std::make_shared<std::vector<RowRejection>>(std::move(validated.rejections));
  auto shared_done = std::make_shared<IngestService::Done>(std::move(done));
  absl::Status submitted = queue.Submit(
      std::move(validated.rows),
      [rejections, shared_done](const absl::Status& status, const CommitCounts& counts) {
        (*shared_done)(status, LogResult{counts, std::move(*rejections)});
      });
  if (!submitted.ok()) (*shared_done)(submitted, LogResult{});
}

}  // namespace

IngestService::IngestService(const std::string& connection_string, SnapshotSource snapshots,
                             GroupCommitOptions options, std::chrono::milliseconds fold_delay)
    : snapshots_(std::move(snapshots)),
      folder_(connection_string, fold_delay),
      exposures_(connection_string, "exposures", options, [this] { folder_.Notify(); }),
      events_(connection_string, "metric_events", options) {}

IngestService::~IngestService() { Shutdown(); }

void IngestService::LogExposures(const lift::v1::LogExposuresRequest& request, Done done) {
  if (absl::Status size = CheckMessageSize(request.exposures_size()); !size.ok()) {
    done(size, LogResult{});
    return;
  }
  std::shared_ptr<const assignment::Snapshot> snapshot = snapshots_();
  if (snapshot == nullptr) {
    done(absl::UnavailableError("the experiment configuration is not loaded yet; retry shortly"),
         LogResult{});
    return;
  }
  SubmitValidated(exposures_, ValidateExposures(request, *snapshot, WallClockMicros()), std::move(done));
}

void IngestService::LogEvents(const lift::v1::LogEventsRequest& request, Done done) {
  if (absl::Status size = CheckMessageSize(request.events_size()); !size.ok()) {
    done(size, LogResult{});
    return;
  }
  SubmitValidated(events_, ValidateEvents(request, WallClockMicros()), std::move(done));
}

absl::Status IngestService::RecordAssignedExposures(std::vector<ExposureRow> rows) {
  const size_t count = rows.size();
  auto* dropped = &dropped_assigned_exposures_;
  absl::Status submitted =
      exposures_.Submit(std::move(rows), [dropped, count](const absl::Status& status,
                                                         const CommitCounts&) {
        if (!status.ok()) dropped->fetch_add(static_cast<int64_t>(count));
      });
  if (!submitted.ok()) dropped_assigned_exposures_.fetch_add(static_cast<int64_t>(count));
  return submitted;
}

void IngestService::Shutdown() {
  exposures_.Shutdown();
  events_.Shutdown();
  folder_.Shutdown();
}

}  // namespace lift::ingest
