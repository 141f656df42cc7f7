// lift.v1.EventService requests (server/grpc/event_service.h over server/ingest/): byte 0 selects
// LogExposures (even) or LogEvents (odd), the rest is the request message (protobuf wire format).
// The handler runs on a test context; the ingest queues are shut down, so a request that passes
// validation is refused with UNAVAILABLE instead of reaching PostgreSQL. The row validation it runs
// (server/ingest/row_validation.h) is also called directly, against the fixture snapshot.
// Properties: the call answers INVALID_ARGUMENT (too many rows), UNAVAILABLE (valid rows, no queue)
// or OK (every row rejected); every row is accepted or rejected once, with its index and a field
// name; accepted rows keep the limits of events.proto and name a known experiment and variant.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <set>

#include "server/grpc/event_service.h"
#include "server/ingest/ingest_service.h"
#include "server/ingest/row_validation.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/rpc_support.h"

namespace {

using lift::EventServiceImpl;

// The handler validates against the real clock; so does the direct check (the seeds keep their
// timestamps far from the "at most 24 h ahead" boundary).
int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Services {
  Services() { ingest.Shutdown(); }
  lift::ingest::IngestService ingest{"lift-fuzz-has-no-database",
                                     [] { return lift::fuzz::FixtureSnapshot(); }};
  EventServiceImpl impl{&ingest};
};

Services& TheServices() {
  static Services* const services = new Services;
  return *services;
}

// A request with valid rows is refused (the queues are shut down) unless it is too large; one whose
// rows were all rejected is answered OK with the rejections (nothing to commit).
template <typename Row>
void CheckStatus(const grpc::Status& status, const lift::ingest::ValidatedRows<Row>& validated) {
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) return;  // too many rows
  if (validated.rows.empty()) {
    LIFT_FUZZ_CHECK(status.ok());
  } else {
    LIFT_FUZZ_CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  }
}

template <typename Row>
void CheckValidated(const lift::ingest::ValidatedRows<Row>& validated, int rows,
                    int64_t now_micros) {
  LIFT_FUZZ_CHECK(static_cast<int>(validated.rows.size() + validated.rejections.size()) <= rows);
  std::set<int32_t> rejected;
  for (const lift::ingest::RowRejection& rejection : validated.rejections) {
    LIFT_FUZZ_CHECK(rejection.index >= 0 && rejection.index < rows);
    LIFT_FUZZ_CHECK(!rejection.field.empty() && !rejection.reason.empty());
    LIFT_FUZZ_CHECK(rejected.insert(rejection.index).second);
  }
  for (const Row& row : validated.rows) {
    LIFT_FUZZ_CHECK(!row.unit_id.empty() && row.unit_id.size() <= lift::ingest::kMaxUnitIdBytes);
    LIFT_FUZZ_CHECK(row.event_id.size() <= lift::ingest::kMaxEventIdBytes);
    LIFT_FUZZ_CHECK(row.timestamp_micros >= lift::ingest::kMinTimestampMicros);
    LIFT_FUZZ_CHECK(row.timestamp_micros <= now_micros + lift::ingest::kMaxFutureMicros);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes = lift::fuzz::AsText(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    lift::fuzz::CallRpc(
        TheServices().impl, &EventServiceImpl::LogExposures, bytes,
        [&](const lift::v1::LogExposuresRequest& request, const lift::v1::LogResponse&,
            const grpc::Status& status) {
          const int64_t now = NowMicros();
          const auto validated =
              lift::ingest::ValidateExposures(request, *lift::fuzz::FixtureSnapshot(), now);
          CheckStatus(status, validated);
          CheckValidated(validated, request.exposures_size(), now);
          for (const lift::ingest::ExposureRow& row : validated.rows) {
            const auto* experiment = lift::fuzz::FixtureSnapshot()->Find(row.experiment_key);
            LIFT_FUZZ_CHECK(experiment != nullptr);
            bool known_variant = false;
            for (const auto& variant : experiment->variants) {
              known_variant = known_variant || variant.key == row.variant_key;
            }
            LIFT_FUZZ_CHECK(known_variant);
          }
        });
  } else {
    lift::fuzz::CallRpc(
        TheServices().impl, &EventServiceImpl::LogEvents, bytes,
        [&](const lift::v1::LogEventsRequest& request, const lift::v1::LogResponse&,
            const grpc::Status& status) {
          const int64_t now = NowMicros();
          const auto validated = lift::ingest::ValidateEvents(request, now);
          CheckStatus(status, validated);
          CheckValidated(validated, request.events_size(), now);
          for (const lift::ingest::EventRow& row : validated.rows) {
            LIFT_FUZZ_CHECK(!row.event_name.empty());
            LIFT_FUZZ_CHECK(row.event_name.size() <= lift::ingest::kMaxEventNameBytes);
          }
        });
  }
  return 0;
}
