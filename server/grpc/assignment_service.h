// lift.v1.AssignmentService over gRPC's callback API: Assign and AssignBatch.
//
// Each call takes the current assignment snapshot (one atomic load of a shared_ptr, see
// experiments/config_watcher.h), validates the request, evaluates with the pure engine
// (assignment/engine.h) and finishes inline on the gRPC thread: no lock, no I/O, no database.
// Request and response messages live on a per-call protobuf arena (ArenaMessageAllocator), and
// the engine's result buffer is reused per thread, so a batch allocates little beyond the unit
// attributes the engine reads.
//
// With log_exposure, exposures (answers with in_experiment = true) go to the ExposureSink, which
// only enqueues (experiments/exposure_sink.h); NoopExposureSink until ingest provides one.
//
// Thread safety: thread-safe. SetExposureSink may be called at any time.
#ifndef LIFT_SERVER_GRPC_ASSIGNMENT_SERVICE_H_
#define LIFT_SERVER_GRPC_ASSIGNMENT_SERVICE_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "lift/v1/assignment.grpc.pb.h"
#include "server/assignment/snapshot.h"
#include "server/experiments/exposure_sink.h"

namespace lift {

// Request limits (documented in assignment.proto).
inline constexpr int kMaxExperimentKeysPerAssign = 1000;
inline constexpr int kMaxUnitsPerBatch = 10'000;
inline constexpr int kMaxAttributesPerUnit = 100;
inline constexpr size_t kMaxAttributesJsonBytes = 64 * 1024;

class AssignmentServiceImpl final : public lift::v1::AssignmentService::CallbackService {
 public:
  // Returns the snapshot to answer from (null: not loaded yet -> UNAVAILABLE). Must be cheap and
  // lock-free, e.g. ConfigWatcher::snapshot.
  using SnapshotSource = std::function<std::shared_ptr<const assignment::Snapshot>()>;

  explicit AssignmentServiceImpl(SnapshotSource snapshots);
  ~AssignmentServiceImpl() override;

  // Replaces the exposure sink (NoopExposureSink by default). Null restores the no-op sink.
  void SetExposureSink(std::shared_ptr<experiments::ExposureSink> sink);

  grpc::ServerUnaryReactor* Assign(grpc::CallbackServerContext* context,
                                   const lift::v1::AssignRequest* request,
                                   lift::v1::AssignResponse* response) override;
  grpc::ServerUnaryReactor* AssignBatch(grpc::CallbackServerContext* context,
                                        const lift::v1::AssignBatchRequest* request,
                                        lift::v1::AssignBatchResponse* response) override;

 private:
  class Allocators;

  SnapshotSource snapshots_;
  std::shared_ptr<experiments::ExposureSink> sink_;  // atomic_load / atomic_store only
  std::unique_ptr<Allocators> allocators_;
};

}  // namespace lift

#endif  // LIFT_SERVER_GRPC_ASSIGNMENT_SERVICE_H_
