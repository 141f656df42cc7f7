// lift.v1.AssignmentService requests (server/grpc/assignment_service.h): byte 0 selects the RPC
// (bit 0: Assign or AssignBatch; bit 1: no snapshot loaded yet), the rest is the request message
// (protobuf wire format). The handler runs on a test context against a fixed snapshot
// (fuzz_support.h FixtureSnapshot: every status, layers, holdouts, regex and version conditions);
// log_exposure goes to the real ingest exposure sink, whose queue is shut down (refuses at once).
// Properties: OK or INVALID_ARGUMENT (UNAVAILABLE without a snapshot); an OK answer has one
// assignment per requested key (per unit) with a variant index inside the experiment.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "server/grpc/assignment_service.h"
#include "server/ingest/exposure_sink_adapter.h"
#include "server/ingest/ingest_service.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/rpc_support.h"

namespace {

using lift::AssignmentServiceImpl;

struct Services {
  Services() {
    ingest.Shutdown();  // exposures are refused at once: no database behind it
    loaded.SetExposureSink(std::make_shared<lift::ingest::IngestExposureSink>(&ingest));
  }
  lift::ingest::IngestService ingest{"lift-fuzz-has-no-database",
                                     [] { return lift::fuzz::FixtureSnapshot(); }};
  AssignmentServiceImpl loaded{[] { return lift::fuzz::FixtureSnapshot(); }};
  AssignmentServiceImpl not_loaded{[] { return std::shared_ptr<const lift::assignment::Snapshot>(); }};
};

Services& TheServices() {
  static Services* const services = new Services;
  return *services;
}

void CheckAssignment(const lift::v1::Assignment& assignment) {
  LIFT_FUZZ_CHECK(assignment.variant_index() >= -1 && assignment.variant_index() < 3);
  if (assignment.has_bucket()) {
    LIFT_FUZZ_CHECK(assignment.bucket() >= 0.0 && assignment.bucket() < 1.0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes = lift::fuzz::AsText(data + 1, size - 1);
  const bool loaded = (data[0] & 2) == 0;
  AssignmentServiceImpl& service = loaded ? TheServices().loaded : TheServices().not_loaded;
  auto check_status = [&](const grpc::Status& status) {
    if (!loaded) {
      LIFT_FUZZ_CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
    } else {
      LIFT_FUZZ_CHECK(status.ok() || status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    }
  };
  if ((data[0] & 1) == 0) {
    lift::fuzz::CallRpc(
        service, &AssignmentServiceImpl::Assign, bytes,
        [&](const lift::v1::AssignRequest& request, const lift::v1::AssignResponse& response,
            const grpc::Status& status) {
          check_status(status);
          if (!status.ok()) return;
          if (request.experiment_keys_size() > 0) {
            LIFT_FUZZ_CHECK(response.assignments_size() == request.experiment_keys_size());
          }
          for (const auto& assignment : response.assignments()) CheckAssignment(assignment);
        });
  } else {
    lift::fuzz::CallRpc(
        service, &AssignmentServiceImpl::AssignBatch, bytes,
        [&](const lift::v1::AssignBatchRequest& request,
            const lift::v1::AssignBatchResponse& response, const grpc::Status& status) {
          check_status(status);
          if (!status.ok()) return;
          LIFT_FUZZ_CHECK(response.units_size() == request.units_size());
          for (const auto& unit : response.units()) {
            LIFT_FUZZ_CHECK(unit.assignments_size() == response.experiment_keys_size());
            for (const auto& assignment : unit.assignments()) CheckAssignment(assignment);
          }
        });
  }
  return 0;
}
