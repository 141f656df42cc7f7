#include "server/review/kpi_query.h"

#include <map>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "server/metrics/selector_sql.h"
#include "server/review/iso_week.h"

namespace lift::review {
SqlQuery BuildKpiQuery(const KpiQueryRequest& request) {
  QueryBinder binder;
  const std::string start = binder.BindTimestamp(request.first_week_start_micros);
  const std::string end = binder.BindTimestamp(request.first_week_start_micros +
                                               request.weeks * kMicrosPerWeek);
  store::SqlColumns selectors("s");
  store::SqlColumns aggregates("a");
  std::string sums;
  // Per-unit value of a selector with an aggregation (0 without events).
  auto unit_value = [&](const metrics::EventSelector& selector, const std::string& aggregation) {
    const std::string flag = selectors.Add(metrics::EventSelectorCondition(selector, "e", binder));
    const std::string filter = absl::StrCat(" FILTER (WHERE ", flag, ")");
    if (aggregation == "count") {
      return absl::StrCat("u.", aggregates.Add(absl::StrCat("count(*)", filter)), "::float8");
    }
    if (aggregation == "any") {
      return absl::StrCat("(u.", aggregates.Add(absl::StrCat("count(*)", filter)),
                          " > 0)::int::float8");
    }
    const std::string function = aggregation == "max" ? "max" : "sum";
    return absl::StrCat("COALESCE(u.", aggregates.Add(absl::StrCat(function, "(value)", filter)),
                        ", 0)");
  };
  for (const metrics::MetricDefinition& metric : request.metrics) {
    const bool binary = metrics::IsBinaryKind(metric.kind);
    std::string y = unit_value(metric.numerator, binary ? "any" : metric.numerator.aggregation);
    if (!binary && metric.capping == "absolute") {
      y = absl::StrCat("LEAST(", y, ", ",
                       binder.Bind(absl::StrCat(metric.capping_value), "float8"), ")");
    }
    std::string d = "1";
    if (metric.kind == "ratio" && metric.denominator.has_value()) {
      d = unit_value(*metric.denominator, metric.denominator->aggregation);
    }
    absl::StrAppend(&sums, ",\n  sum(", y, ")::float8, sum(", d, ")::float8");
  }
  std::string sql = absl::StrCat(
      "WITH ev AS (\n"
      "  SELECT e.unit_id, floor(extract(epoch FROM (e.ts - ", start, ")) / 604800)::int AS w,\n"
      "    e.value", selectors.list(), "\n"
      "  FROM metric_events e\n"
      "  WHERE e.ts >= ", start, " AND e.ts < ", end, "\n"
      "  OFFSET 0\n"
      "), per_unit AS (\n"
      "  SELECT w, unit_id", aggregates.list(), "\n"
      "  FROM ev GROUP BY w, unit_id\n"
      ")\n"
      "SELECT u.w, count(*)::bigint", sums, "\n"
      "FROM per_unit u GROUP BY u.w ORDER BY u.w");
  return SqlQuery{std::move(sql), binder.TakeParams()};
}

absl::StatusOr<std::vector<KpiWeekSums>> RunKpiQuery(store::ConnectionPool& pool,
                                                     const KpiQueryRequest& request) {
  if (request.metrics.empty()) return absl::InvalidArgumentError("metrics must not be empty");
  if (request.weeks < 1) {
    return absl::InvalidArgumentError(absl::StrCat("weeks must be >= 1, got ", request.weeks));
  }
  const SqlQuery query = BuildKpiQuery(request);
  const size_t metric_count = request.metrics.size();
  std::vector<KpiWeekSums> weeks(request.weeks);
  for (KpiWeekSums& week : weeks) {
    week.numerator_sums.assign(metric_count, 0.0);
    week.denominator_sums.assign(metric_count, 0.0);
  }
  absl::Status status = pool.Run([&](pqxx::work& work) -> absl::Status {
    work.exec0("SET TRANSACTION READ ONLY");
    work.exec0("SET LOCAL jit = off");  // a wide aggregate: JIT compilation dominates otherwise
    work.exec0("SET LOCAL work_mem = '256MB'");
    const pqxx::result rows =
        work.exec_params(query.sql, pqxx::prepare::make_dynamic_params(query.params));
    for (const pqxx::row& row : rows) {
      const int w = row[0].as<int>();
      if (w < 0 || w >= request.weeks) continue;
      KpiWeekSums& week = weeks[w];
      week.active_units = row[1].as<int64_t>();
      for (size_t i = 0; i < metric_count; ++i) {
        const pqxx::field y = row[static_cast<int>(2 + 2 * i)];
        const pqxx::field d = row[static_cast<int>(3 + 2 * i)];
        week.numerator_sums[i] = y.is_null() ? 0.0 : y.as<double>();
        week.denominator_sums[i] = d.is_null() ? 0.0 : d.as<double>();
      }
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return weeks;
}

KpiValueResult KpiValue(double numerator_sum, double denominator_sum) {
  if (denominator_sum == 0) return {0.0, false};
  return {numerator_sum / denominator_sum, true};
}

}  // namespace lift::review
