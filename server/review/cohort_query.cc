#include "server/review/cohort_query.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "server/review/iso_week.h"

namespace lift::review {
namespace {

absl::Status CheckCount(int count, const char* field) {
  if (count >= 1) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " must be >= 1, got ", count));
}

absl::StatusOr<pqxx::result> Execute(store::ConnectionPool& pool, const SqlQuery& query) {
  pqxx::result rows;
  absl::Status status = pool.Run([&](pqxx::work& work) -> absl::Status {
    work.exec0("SET TRANSACTION READ ONLY");
    work.exec0("SET LOCAL jit = off");
    work.exec0("SET LOCAL work_mem = '256MB'");
    rows = work.exec_params(query.sql, pqxx::prepare::make_dynamic_params(query.params));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return rows;
}

}  // namespace

SqlQuery BuildCohortQuery(const CohortQueryRequest& request) {
  QueryBinder binder;
  const std::string start = binder.BindTimestamp(request.first_cohort_start_micros);
  const std::string end = binder.BindTimestamp(request.first_cohort_start_micros +
                                               request.cohorts * kMicrosPerWeek);
  std::string sql = absl::StrCat(
      "WITH first_seen AS MATERIALIZED (\n"
      "  SELECT unit_id, min(ts) AS first_ts FROM metric_events\n"
      "  WHERE ts < ", end, " GROUP BY unit_id\n"
      "), cohort AS (\n"
      "  SELECT unit_id, floor(extract(epoch FROM (first_ts - ", start, ")) / 604800)::int AS c\n"
      "  FROM first_seen WHERE first_ts >= ", start, "\n"
      "), activity AS (\n"
      "  SELECT DISTINCT unit_id, floor(extract(epoch FROM (ts - ", start, ")) / 604800)::int AS w\n"
      "  FROM metric_events WHERE ts >= ", start, " AND ts < ", end, "\n"
      ")\n"
      "SELECT c.c, a.w - c.c AS k, count(*)::bigint\n"
      "FROM cohort c JOIN activity a ON a.unit_id = c.unit_id AND a.w >= c.c\n"
      "GROUP BY c.c, a.w - c.c ORDER BY 1, 2");
  return SqlQuery{std::move(sql), binder.TakeParams()};
}

absl::StatusOr<CohortCounts> RunCohortQuery(store::ConnectionPool& pool,
                                            const CohortQueryRequest& request) {
  if (absl::Status status = CheckCount(request.cohorts, "cohorts"); !status.ok()) return status;
  absl::StatusOr<pqxx::result> rows = Execute(pool, BuildCohortQuery(request));
  if (!rows.ok()) return rows.status();
  CohortCounts counts(request.cohorts);
  for (int c = 0; c < request.cohorts; ++c) counts[c].assign(request.cohorts - c, 0);
  for (const pqxx::row& row : *rows) {
    const int c = row[0].as<int>();
    const int k = row[1].as<int>();
    if (c < 0 || c >= request.cohorts || k < 0 || k >= request.cohorts - c) continue;
    counts[c][k] = row[2].as<int64_t>();
  }
  return counts;
}

SqlQuery BuildDauMauQuery(int64_t first_week_start_micros, int weeks) {
  QueryBinder binder;
  // Day 0 is 21 days before the first week: week w covers days [21 + 7w, 28 + 7w) and its MAU
  // window [7w, 28 + 7w).
  const std::string origin = binder.BindTimestamp(first_week_start_micros - 21 * kMicrosPerDay);
  const std::string end =
      binder.BindTimestamp(first_week_start_micros + weeks * kMicrosPerWeek);
  const std::string count = binder.Bind(absl::StrCat(weeks), "int");
  std::string sql = absl::StrCat(
      "WITH ud AS MATERIALIZED (\n"
      "  SELECT DISTINCT unit_id, floor(extract(epoch FROM (ts - ", origin, ")) / 86400)::int AS d\n"
      "  FROM metric_events WHERE ts >= ", origin, " AND ts < ", end, "\n"
      "), weeks AS (SELECT generate_series(0, ", count, " - 1) AS w)\n"
      "SELECT w.w,\n"
      "  count(*) FILTER (WHERE ud.d >= 21 + 7 * w.w)::bigint AS unit_days,\n"
      "  count(DISTINCT ud.unit_id)::bigint AS mau\n"
      "FROM weeks w JOIN ud ON ud.d >= 7 * w.w AND ud.d < 28 + 7 * w.w\n"
      "GROUP BY w.w ORDER BY w.w");
  return SqlQuery{std::move(sql), binder.TakeParams()};
}

absl::StatusOr<std::vector<DauMauCounts>> RunDauMauQuery(store::ConnectionPool& pool,
                                                         int64_t first_week_start_micros,
                                                         int weeks) {
  if (absl::Status status = CheckCount(weeks, "weeks"); !status.ok()) return status;
  absl::StatusOr<pqxx::result> rows =
      Execute(pool, BuildDauMauQuery(first_week_start_micros, weeks));
  if (!rows.ok()) return rows.status();
  std::vector<DauMauCounts> out(weeks);
  for (const pqxx::row& row : *rows) {
    const int w = row[0].as<int>();
    if (w < 0 || w >= weeks) continue;
    out[w].unit_days = row[1].as<int64_t>();
    out[w].mau = row[2].as<int64_t>();
  }
  return out;
}

}  // namespace lift::review
