// Validation of exposures and metric events as they arrive, row by row: a bad row is rejected with
// the field and the reason, the rest of the batch goes on. Exposures are checked against the
// experiment configuration snapshot (experiment and variant must exist) and get its current phase.
// Pure functions; thread-safe.
#ifndef LIFT_SERVER_INGEST_ROW_VALIDATION_H_
#define LIFT_SERVER_INGEST_ROW_VALIDATION_H_

#include <cstdint>
#include <vector>

#include "lift/v1/events.pb.h"
#include "server/assignment/snapshot.h"
#include "server/ingest/ingest_rows.h"

namespace lift::ingest {

// Limits on one row (documented in proto/lift/v1/events.proto).
inline constexpr size_t kMaxEventIdBytes = 128;
inline constexpr size_t kMaxUnitIdBytes = 256;
inline constexpr size_t kMaxEventNameBytes = 128;
inline constexpr size_t kMaxMapEntries = 64;
inline constexpr size_t kMaxMapKeyBytes = 128;
inline constexpr size_t kMaxMapValueBytes = 1024;
inline constexpr int64_t kMaxFutureMicros = 24LL * 3600 * 1000000;  // clock skew allowance
inline constexpr int64_t kMinTimestampMicros = 946684800LL * 1000000;  // 2000-01-01T00:00:00Z

template <typename Row>
struct ValidatedRows {
  std::vector<Row> rows;
  std::vector<RowRejection> rejections;
};

// `now_micros` is the server's clock (timestamps may be at most kMaxFutureMicros ahead of it).
ValidatedRows<ExposureRow> ValidateExposures(const lift::v1::LogExposuresRequest& request,
                                             const assignment::Snapshot& snapshot,
                                             int64_t now_micros);
ValidatedRows<EventRow> ValidateEvents(const lift::v1::LogEventsRequest& request,
                                       int64_t now_micros);

}  // namespace lift::ingest

#endif  // LIFT_SERVER_INGEST_ROW_VALIDATION_H_
