// lift.v1.ReadoutService over gRPC's callback API: GetReadout runs readout::ReadoutService on a
// BlockingExecutor thread (it waits for PostgreSQL) and finishes with ToGrpcStatus. No rules live
// here. Thread safety: thread-safe.
#ifndef LIFT_SERVER_GRPC_READOUT_SERVICE_H_
#define LIFT_SERVER_GRPC_READOUT_SERVICE_H_

#include "lift/v1/readouts.grpc.pb.h"
#include "server/grpc/blocking_executor.h"
#include "server/readout/readout_service.h"
// --- weekly review includes ---
#include "server/review/weekly_review_service.h"
// --- end weekly review includes ---
// --- launches includes ---
#include "server/launch/launch_service.h"
// --- end launches includes ---

namespace lift {

class ReadoutServiceImpl final : public v1::ReadoutService::CallbackService {
 public:
  // Both must outlive this object.
  ReadoutServiceImpl(readout::ReadoutService* service, BlockingExecutor* executor)
      : service_(service), executor_(executor) {}

  grpc::ServerUnaryReactor* GetReadout(grpc::CallbackServerContext* context,
                                       const v1::GetReadoutRequest* request,
                                       v1::Readout* response) override;
  // --- weekly review methods ---
  // GetWeeklyReview runs `review` (which must outlive this object) on the executor; until it is
  // set the RPC answers UNIMPLEMENTED.
  void SetWeeklyReviewService(review::WeeklyReviewService* review) { weekly_review_ = review; }
  grpc::ServerUnaryReactor* GetWeeklyReview(grpc::CallbackServerContext* context,
                                            const v1::GetWeeklyReviewRequest* request,
                                            v1::WeeklyReview* response) override;
  // --- end weekly review methods ---
  // --- launches methods ---
  // Serves the launch RPCs with `launches` (must outlive this object; set before the server
  // starts). Until then they answer UNIMPLEMENTED. Each runs on the readout executor.
  void SetLaunchService(launch::LaunchService* launches) { launches_ = launches; }
  grpc::ServerUnaryReactor* AnalyzeLaunch(grpc::CallbackServerContext* context,
                                          const v1::AnalyzeLaunchRequest* request,
                                          v1::LaunchAnalysis* response) override;
  grpc::ServerUnaryReactor* CreateLaunch(grpc::CallbackServerContext* context,
                                         const v1::CreateLaunchRequest* request,
                                         v1::Launch* response) override;
  grpc::ServerUnaryReactor* ListLaunches(grpc::CallbackServerContext* context,
                                         const v1::ListLaunchesRequest* request,
                                         v1::ListLaunchesResponse* response) override;
  // --- end launches methods ---

 private:
  readout::ReadoutService* service_;
  BlockingExecutor* executor_;
  // --- weekly review members ---
  review::WeeklyReviewService* weekly_review_ = nullptr;
  // --- end weekly review members ---
  // --- launches members ---
  launch::LaunchService* launches_ = nullptr;
  // --- end launches members ---
};

}  // namespace lift

#endif  // LIFT_SERVER_GRPC_READOUT_SERVICE_H_
