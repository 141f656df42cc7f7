#include "server/grpc/readout_service.h"

#include "server/auth/actor.h"
#include "server/grpc/offload.h"

namespace lift {

grpc::ServerUnaryReactor* ReadoutServiceImpl::GetReadout(grpc::CallbackServerContext* context,
                                                         const v1::GetReadoutRequest* request,
                                                         v1::Readout* response) {
  return Offload(
      *executor_, context,
      [this, request, response]() -> absl::Status {
        absl::StatusOr<v1::Readout> readout = service_->GetReadout(*request);
        if (readout.ok()) *response = std::move(*readout);
        return readout.status();
      },
      "readouts");
}

// --- weekly review methods ---
grpc::ServerUnaryReactor* ReadoutServiceImpl::GetWeeklyReview(
    grpc::CallbackServerContext* context, const v1::GetWeeklyReviewRequest* request,
    v1::WeeklyReview* response) {
  return Offload(
      *executor_, context,
      [this, request, response]() -> absl::Status {
        if (weekly_review_ == nullptr) {
          return absl::UnimplementedError("the weekly review is not configured on this server");
        }
        absl::StatusOr<v1::WeeklyReview> review = weekly_review_->GetWeeklyReview(*request);
        if (review.ok()) *response = std::move(*review);
        return review.status();
      },
      "weekly reviews");
}
// --- end weekly review methods ---

// --- launches methods ---
namespace {
absl::Status LaunchesNotConfigured() {
  return absl::UnimplementedError("launch analysis is not configured on this server");
}
}  // namespace

grpc::ServerUnaryReactor* ReadoutServiceImpl::AnalyzeLaunch(
    grpc::CallbackServerContext* context, const v1::AnalyzeLaunchRequest* request,
    v1::LaunchAnalysis* response) {
  return Offload(
      *executor_, context,
      [this, request, response]() -> absl::Status {
        if (launches_ == nullptr) return LaunchesNotConfigured();
        absl::StatusOr<v1::LaunchAnalysis> analysis = launches_->Analyze(*request);
        if (analysis.ok()) *response = std::move(*analysis);
        return analysis.status();
      },
      "launch analyses");
}

grpc::ServerUnaryReactor* ReadoutServiceImpl::CreateLaunch(grpc::CallbackServerContext* context,
                                                           const v1::CreateLaunchRequest* request,
                                                           v1::Launch* response) {
  return Offload(
      *executor_, context,
      [this, request, response, actor = auth::ActorOf(context)]() -> absl::Status {
        if (launches_ == nullptr) return LaunchesNotConfigured();
        absl::StatusOr<v1::Launch> created = launches_->Create(*request, actor);
        if (created.ok()) *response = std::move(*created);
        return created.status();
      },
      "launch requests");
}

grpc::ServerUnaryReactor* ReadoutServiceImpl::ListLaunches(grpc::CallbackServerContext* context,
                                                           const v1::ListLaunchesRequest* request,
                                                           v1::ListLaunchesResponse* response) {
  return Offload(
      *executor_, context,
      [this, request, response]() -> absl::Status {
        if (launches_ == nullptr) return LaunchesNotConfigured();
        absl::StatusOr<v1::ListLaunchesResponse> launches = launches_->List(*request);
        if (launches.ok()) *response = std::move(*launches);
        return launches.status();
      },
      "launch requests");
}
// --- end launches methods ---

}  // namespace lift
