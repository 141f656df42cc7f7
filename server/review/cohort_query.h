// Audience queries of the weekly review, each ONE set-based PostgreSQL statement over
// metric_events ("active" = at least one event of any name):
//
//   cohorts   units grouped by the ISO week of their FIRST event ever (before the review's end),
//             for `cohorts` consecutive weeks; for each cohort c and k = 0.. up to the last week,
//             the number of its units active in week c + k (k = 0 is the cohort's size, since a
//             unit is active in the week it is first seen). The first-seen scan reads all history
//             before the end: min(ts) per unit (a first-seen table maintained by ingest would make
//             this proportional to the weeks shown; see the report's open problems).
//   DAU/MAU   for `weeks` consecutive weeks: DAU = distinct (unit, UTC day) pairs in the week / 7
//             (mean daily active units), MAU = distinct units active in the 28 days ending with the
//             week; one scan of [first week start - 21 days, last week end).
//
// Thread safety: Build* are pure; Run* borrow one pooled connection. Errors: Unavailable /
// Internal as the pool maps them; InvalidArgument for counts < 1.
#ifndef LIFT_SERVER_REVIEW_COHORT_QUERY_H_
#define LIFT_SERVER_REVIEW_COHORT_QUERY_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "server/review/sql_query.h"
#include "server/store/connection_pool.h"

namespace lift::review {

struct CohortQueryRequest {
  int64_t first_cohort_start_micros = 0;  // Monday 00:00 UTC of the oldest cohort week
  int cohorts = 0;                        // consecutive cohort weeks; the last one ends the range
};

// [cohort][k] = units of the cohort active in week cohort + k; cohort i has cohorts - i entries.
using CohortCounts = std::vector<std::vector<int64_t>>;

SqlQuery BuildCohortQuery(const CohortQueryRequest& request);
absl::StatusOr<CohortCounts> RunCohortQuery(store::ConnectionPool& pool,
                                            const CohortQueryRequest& request);

struct DauMauCounts {
  int64_t unit_days = 0;  // distinct (unit, day) pairs in the week: DAU = unit_days / 7
  int64_t mau = 0;        // distinct units in the 28 days ending with the week
};

SqlQuery BuildDauMauQuery(int64_t first_week_start_micros, int weeks);
// `weeks` entries, oldest first.
absl::StatusOr<std::vector<DauMauCounts>> RunDauMauQuery(store::ConnectionPool& pool,
                                                         int64_t first_week_start_micros,
                                                         int weeks);

}  // namespace lift::review

#endif  // LIFT_SERVER_REVIEW_COHORT_QUERY_H_
