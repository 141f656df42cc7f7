// Daily event volume per event name (for tracking-gap alerts), in ONE set-based statement:
// count(*) of metric_events per (event_name, UTC day) over `days` consecutive days.
//
// Thread safety: BuildEventVolumeQuery is pure; RunEventVolumeQuery borrows one pooled connection.
// Errors: Unavailable / Internal as the pool maps them; InvalidArgument for days < 1.
#ifndef LIFT_SERVER_REVIEW_EVENT_VOLUME_QUERY_H_
#define LIFT_SERVER_REVIEW_EVENT_VOLUME_QUERY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/review/sql_query.h"
#include "server/store/connection_pool.h"

namespace lift::review {

// Event name -> `days` daily counts, oldest first (0 for days without events).
using EventVolumes = std::map<std::string, std::vector<int64_t>>;

SqlQuery BuildEventVolumeQuery(int64_t first_day_start_micros, int days);
absl::StatusOr<EventVolumes> RunEventVolumeQuery(store::ConnectionPool& pool,
                                                 int64_t first_day_start_micros, int days);

}  // namespace lift::review

#endif  // LIFT_SERVER_REVIEW_EVENT_VOLUME_QUERY_H_
