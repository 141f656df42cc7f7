#include "server/store/table_statistics.h"

#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace lift::store {

absl::StatusOr<int> RefreshStaleStatistics(ConnectionPool& pool) {
  std::vector<std::string> stale;
  absl::Status listed = pool.Run([&](pqxx::work& tx) -> absl::Status {
    // Leaf partitions and plain tables of the lift schema's traffic tables. The names come from
    // the catalogue, never from a request; quote_ident keeps them safe as identifiers anyway.
    const pqxx::result rows = tx.exec_params(
        "SELECT quote_ident(s.schemaname) || '.' || quote_ident(s.relname) "
        "FROM pg_stat_user_tables s "
        "WHERE (s.relname IN ('first_exposures', 'exposures', 'metric_events') "
        "       OR s.relname LIKE 'exposures\\_p%' OR s.relname LIKE 'metric\\_events\\_p%') "
        "  AND s.n_mod_since_analyze > GREATEST($1::bigint, $2::float8 * s.n_live_tup) "
        "ORDER BY s.relname",
        kMinChangedRows, kChangedShare);
    for (const auto& row : rows) stale.push_back(row[0].as<std::string>());
    return absl::OkStatus();
  });
  if (!listed.ok()) return listed;
  for (const std::string& table : stale) {
    absl::Status analysed = pool.Run([&](pqxx::work& tx) -> absl::Status {
      tx.exec("ANALYZE " + table);
      return absl::OkStatus();
    });
    if (!analysed.ok()) return analysed;
  }
  return static_cast<int>(stale.size());
}

}  // namespace lift::store
