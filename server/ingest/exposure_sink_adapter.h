// IngestExposureSink: the ingest path behind Assign(log_exposure = true). Converts served
// exposures into exposure rows and queues them without waiting for the database; forced (OVERRIDE)
// answers are not logged, because those units were not randomised and must stay out of the
// analysis. Event ids are unique per process start ("assign:<boot id>:<counter>").
// Thread-safe.
#ifndef LIFT_SERVER_INGEST_EXPOSURE_SINK_ADAPTER_H_
#define LIFT_SERVER_INGEST_EXPOSURE_SINK_ADAPTER_H_

#include <atomic>
#include <string>

#include "server/experiments/exposure_sink.h"
#include "server/ingest/ingest_service.h"

namespace lift::ingest {

class IngestExposureSink final : public experiments::ExposureSink {
 public:
  explicit IngestExposureSink(IngestService* ingest);
  absl::Status Record(absl::Span<const experiments::ServedExposure> exposures) override;

 private:
  IngestService* ingest_;
  const std::string boot_id_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace lift::ingest

#endif  // LIFT_SERVER_INGEST_EXPOSURE_SINK_ADAPTER_H_
