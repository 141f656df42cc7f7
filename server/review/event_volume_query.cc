#include "server/review/event_volume_query.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "server/review/iso_week.h"

namespace lift::review {

SqlQuery BuildEventVolumeQuery(int64_t first_day_start_micros, int days) {
  QueryBinder binder;
  const std::string start = binder.BindTimestamp(first_day_start_micros);
  const std::string end = binder.BindTimestamp(first_day_start_micros + days * kMicrosPerDay);
  std::string sql = absl::StrCat(
      "SELECT event_name, floor(extract(epoch FROM (ts - ", start, ")) / 86400)::int AS d,\n"
      "  count(*)::bigint\n"
      "FROM metric_events WHERE ts >= ", start, " AND ts < ", end, "\n"
      "GROUP BY 1, 2 ORDER BY 1, 2");
  return SqlQuery{std::move(sql), binder.TakeParams()};
}

absl::StatusOr<EventVolumes> RunEventVolumeQuery(store::ConnectionPool& pool,
                                                 int64_t first_day_start_micros, int days) {
  if (days < 1) return absl::InvalidArgumentError(absl::StrCat("days must be >= 1, got ", days));
  const SqlQuery query = BuildEventVolumeQuery(first_day_start_micros, days);
  EventVolumes volumes;
  absl::Status status = pool.Run([&](pqxx::work& work) -> absl::Status {
    work.exec0("SET TRANSACTION READ ONLY");
    const pqxx::result rows =
        work.exec_params(query.sql, pqxx::prepare::make_dynamic_params(query.params));
    for (const pqxx::row& row : rows) {
      const int d = row[1].as<int>();
      if (d < 0 || d >= days) continue;
      std::vector<int64_t>& counts = volumes[row[0].as<std::string>()];
      if (counts.empty()) counts.assign(days, 0);
      counts[d] = row[2].as<int64_t>();
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return volumes;
}

}  // namespace lift::review
