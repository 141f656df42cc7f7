// lift.v1.ReadoutService requests (server/grpc/readout_service.h over server/readout/,
// server/review/ and server/launch/): byte 0 selects GetReadout, GetWeeklyReview, AnalyzeLaunch,
// CreateLaunch or ListLaunches, the rest is the request message (protobuf wire format). The
// handler runs on a test context against a database that cannot be reached, so it validates the
// request and stops at the first database access. Launch definitions are also checked directly
// (LaunchFromProto, ValidateLaunch, the panel query).
// Properties: the call fails with an expected code (never OK, INTERNAL or UNKNOWN); a launch that
// validates survives LaunchToProto -> LaunchFromProto unchanged and compiles into the panel query.
#include <cstddef>
#include <cstdint>

#include "server/experiments/experiment_store.h"
#include "server/grpc/blocking_executor.h"
#include "server/grpc/readout_service.h"
#include "server/launch/launch.h"
#include "server/launch/launch_query.h"
#include "server/launch/launch_service.h"
#include "server/launch/launch_store.h"
#include "server/metrics/metric_store.h"
#include "server/readout/readout_service.h"
#include "server/review/weekly_review_service.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/rpc_support.h"

namespace {

using lift::ReadoutServiceImpl;

// 2026-03-01T00:00:00Z: a fixed clock keeps the runs deterministic.
int64_t FixedNowMicros() { return int64_t{1'772'323'200} * 1'000'000; }

struct Services {
  Services() {
    impl.SetWeeklyReviewService(&review);
    impl.SetLaunchService(&launches);
    review.SetLaunchService(&launches);
  }
  lift::store::ConnectionPool& pool = lift::fuzz::DeadDatabasePool();
  lift::experiments::ExperimentStore experiment_store{&pool};
  lift::metrics::MetricStore metric_store{&pool};
  lift::launch::LaunchStore launch_store{&pool};
  lift::readout::ReadoutService readouts{&pool, &experiment_store, &metric_store, FixedNowMicros};
  lift::review::WeeklyReviewService review{&pool, &experiment_store, &metric_store, &readouts,
                                           FixedNowMicros};
  lift::launch::LaunchService launches{&pool, &launch_store, &metric_store, FixedNowMicros};
  lift::BlockingExecutor executor{/*threads=*/1, /*max_queued=*/16};
  ReadoutServiceImpl impl{&readouts, &executor};
};

Services& TheServices() {
  static Services* const services = new Services;
  return *services;
}

void CheckLaunch(const lift::v1::Launch& proto, bool require_key) {
  absl::StatusOr<lift::launch::Launch> launch = lift::launch::LaunchFromProto(proto, "launch.");
  if (!launch.ok()) {
    LIFT_FUZZ_CHECK(absl::IsInvalidArgument(launch.status()));
    return;
  }
  absl::StatusOr<lift::launch::LaunchGroups> groups =
      lift::launch::ValidateLaunch(*launch, require_key, "launch.");
  if (!groups.ok()) {
    LIFT_FUZZ_CHECK(absl::IsInvalidArgument(groups.status()));
    return;
  }
  (void)lift::launch::LaunchJson(*launch).dump();  // the audit log's "after"
  lift::v1::Launch back;
  lift::launch::LaunchToProto(*launch, &back);
  absl::StatusOr<lift::launch::Launch> again = lift::launch::LaunchFromProto(back, "launch.");
  LIFT_FUZZ_CHECK(again.ok());
  LIFT_FUZZ_CHECK(lift::launch::LaunchJson(*again) == lift::launch::LaunchJson(*launch));

  lift::launch::LaunchQueryRequest query;
  query.window_start_micros = launch->window_start_micros();
  query.period_micros = launch->period_micros();
  query.periods = launch->pre_periods() + launch->post_periods();
  query.treated = groups->treated;
  query.control = groups->control;
  LIFT_FUZZ_CHECK(query.period_micros > 0 && query.periods > 0);
  LIFT_FUZZ_CHECK(!lift::launch::BuildLaunchQuery(query).sql.empty());
}

template <typename Request, typename Response>
void Run(grpc::ServerUnaryReactor* (ReadoutServiceImpl::*method)(grpc::CallbackServerContext*,
                                                                  const Request*, Response*),
         std::string_view bytes,
         const std::function<void(const Request&)>& check = nullptr) {
  lift::fuzz::CallRpc(TheServices().impl, method, bytes,
                      [&](const Request& request, const Response&, const grpc::Status& status) {
                        LIFT_FUZZ_CHECK(lift::fuzz::IsExpectedFailure(status));
                        if (check) check(request);
                      });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes = lift::fuzz::AsText(data + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      Run(&ReadoutServiceImpl::GetReadout, bytes);
      break;
    case 1:
      Run(&ReadoutServiceImpl::GetWeeklyReview, bytes);
      break;
    case 2:
      Run(&ReadoutServiceImpl::AnalyzeLaunch, bytes,
          std::function<void(const lift::v1::AnalyzeLaunchRequest&)>(
              [](const lift::v1::AnalyzeLaunchRequest& request) {
                if (request.has_definition()) CheckLaunch(request.definition(), false);
              }));
      break;
    case 3:
      Run(&ReadoutServiceImpl::CreateLaunch, bytes,
          std::function<void(const lift::v1::CreateLaunchRequest&)>(
              [](const lift::v1::CreateLaunchRequest& request) {
                if (request.has_launch()) CheckLaunch(request.launch(), true);
              }));
      break;
    case 4:
      Run(&ReadoutServiceImpl::ListLaunches, bytes);
      break;
  }
  return 0;
}
