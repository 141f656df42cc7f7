// ExposureSink: where Assign(..., log_exposure = true) hands the exposures it served.
//
// The ingest path (issue 5) implements this interface with its bounded queue and group commit;
// until it is wired in, liftd uses NoopExposureSink. The assignment service calls Record once per
// RPC with every answer that has in_experiment = true, on the RPC's thread, and never waits for
// the database: an implementation must only enqueue (and may refuse with ResourceExhausted or
// Unavailable when its queue is full or ingest is down). A refusal does not fail the Assign; the
// response reports `exposures_accepted = false`.
//
// TODO(ingest): implement with the ingest queue and pass it to
// AssignmentServiceImpl::SetExposureSink in LiftServer's "ingest start" block.
//
// Thread safety: implementations must be thread-safe (Record is called concurrently).
#ifndef LIFT_SERVER_EXPERIMENTS_EXPOSURE_SINK_H_
#define LIFT_SERVER_EXPERIMENTS_EXPOSURE_SINK_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "nlohmann/json.hpp"

namespace lift::experiments {

// One served exposure. The views are valid only during the Record call: copy what you keep.
struct ServedExposure {
  std::string_view experiment_key;
  std::string_view variant_key;
  std::string_view unit_id;      // the value of the experiment's unit_type attribute
  int phase = 0;                 // the experiment's phase at assignment
  bool forced = false;           // an OVERRIDE (not randomised: analysis leaves it out)
  int64_t timestamp_micros = 0;  // when it was assigned, Unix epoch microseconds (UTC)
  const nlohmann::json* attributes = nullptr;  // the unit's attributes (a JSON object)
};

class ExposureSink {
 public:
  virtual ~ExposureSink() = default;
  // Enqueues `exposures` for durable storage. OK when accepted; ResourceExhausted / Unavailable
  // when refused. Must not block on I/O.
  virtual absl::Status Record(absl::Span<const ServedExposure> exposures) = 0;
};

// Accepts and drops everything (the default until ingest is wired in).
class NoopExposureSink final : public ExposureSink {
 public:
  absl::Status Record(absl::Span<const ServedExposure>) override { return absl::OkStatus(); }
};

}  // namespace lift::experiments

#endif  // LIFT_SERVER_EXPERIMENTS_EXPOSURE_SINK_H_
