#include "server/launch/launch_query.h"

#include <map>
#include <pqxx/pqxx>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "server/metrics/selector_sql.h"
#include "server/readout/aggregation.h"
#include "server/store/sql_params.h"

namespace lift::launch {
namespace {

using Parameters = store::SqlParams;

// Binds parameters: Bind returns "$k::type"; the same (value, type) binds once.
std::string OperatorName(ConditionOperator op) {
  switch (op) {
    case ConditionOperator::kEqual:
      return "equal";
    case ConditionOperator::kNotEqual:
      return "not_equal";
    case ConditionOperator::kIn:
      return "in";
    case ConditionOperator::kNotIn:
      return "not_in";
  }
  return "equal";
}

// Conjunction of the clauses of `condition` from `source`, tested on `column`; "" when none.
std::string ConditionSql(const GroupCondition& condition, AttributeSource source,
                         const std::string& column, Parameters& p) {
  std::vector<std::string> tests;
  for (const ConditionClause& clause : condition.clauses) {
    if (clause.source != source) continue;
    tests.push_back(
        store::JsonAttributeTest(column, clause.attribute, OperatorName(clause.op), clause.values, p));
  }
  return absl::StrJoin(tests, " AND ");
}

}  // namespace

LaunchQuery BuildLaunchQuery(const LaunchQueryRequest& request) {
  Parameters p;
  const int64_t end_micros = request.window_start_micros + request.periods * request.period_micros;
  const std::string start =
      p.Bind(store::TimestampLiteral(request.window_start_micros), "timestamptz");
  const std::string end = p.Bind(store::TimestampLiteral(end_micros), "timestamptz");
  const std::string start_micros = p.Bind(std::to_string(request.window_start_micros), "bigint");
  const std::string period_micros = p.Bind(std::to_string(request.period_micros), "bigint");

  // up: per (unit, period) membership tests and metric aggregates.
  std::string up_columns;
  std::string unit_columns;
  std::string exposure_join;
  const std::string treated_property =
      ConditionSql(request.treated, AttributeSource::kEventProperty, "e.properties", p);
  const std::string control_property =
      ConditionSql(request.control, AttributeSource::kEventProperty, "e.properties", p);
  const std::string treated_exposure =
      ConditionSql(request.treated, AttributeSource::kExposureAttribute, "x.attributes", p);
  const std::string control_exposure =
      ConditionSql(request.control, AttributeSource::kExposureAttribute, "x.attributes", p);
  std::vector<std::string> in_treated, in_control;
  if (!treated_property.empty()) {
    absl::StrAppend(&up_columns, ",\n    bool_or(", treated_property, ") AS tp");
    in_treated.push_back("bool_or(w.tp)");
  }
  if (!control_property.empty()) {
    absl::StrAppend(&up_columns, ",\n    bool_or(", control_property, ") AS cp");
    in_control.push_back("bool_or(w.cp)");
  }
  if (!treated_exposure.empty())
    in_treated.push_back(absl::StrCat("bool_or(", treated_exposure, ")"));
  if (!control_exposure.empty())
    in_control.push_back(absl::StrCat("bool_or(", control_exposure, ")"));
  if (!treated_exposure.empty() || !control_exposure.empty()) {
    exposure_join = absl::StrCat(
        "\n  LEFT JOIN (\n    SELECT DISTINCT ON (f.unit_id) f.unit_id, f.attributes\n"
        "    FROM first_exposures f WHERE f.first_ts < ",
        end,
        "\n    ORDER BY f.unit_id, f.first_ts, f.experiment_key, f.phase\n"
        "  ) x ON x.unit_id = w.unit_id");
  }
  auto conjunction = [](const std::vector<std::string>& terms) {
    return terms.empty() ? std::string("true") : absl::StrJoin(terms, " AND ");
  };

  // One aggregate per distinct (selector, function); metric values and caps.
  std::map<std::string, std::string> aggregates;  // expression -> alias
  std::string value_columns, cap_columns, final_columns, summary_columns;
  bool percentile = false;
  for (size_t m = 0; m < request.metrics.size(); ++m) {
    const metrics::MetricDefinition& metric = request.metrics[m];
    const std::string& aggregation = metric.numerator.aggregation;
    const std::string function =
        aggregation == "sum" || aggregation == "max" ? aggregation : "count";
    const std::string expression =
        absl::StrCat(function == "count" ? "count(*)" : absl::StrCat(function, "(e.value)"),
                     " FILTER (WHERE ", metrics::EventSelectorCondition(metric.numerator, "e", p), ")");
    auto [found, inserted] = aggregates.emplace(expression, absl::StrCat("a", aggregates.size()));
    if (inserted) absl::StrAppend(&up_columns, ",\n    ", expression, " AS ", found->second);
    const std::string raw = absl::StrCat("w.", found->second);
    std::string value;
    if (aggregation == "any") {
      value = absl::StrCat("(COALESCE(", raw, ", 0) > 0)::int::float8");
    } else if (aggregation == "count") {
      value = absl::StrCat("COALESCE(", raw, ", 0)::float8");
    } else {
      value = absl::StrCat("COALESCE(", raw, ", 0)");
    }
    const std::string y = absl::StrCat("y", m);
    absl::StrAppend(&value_columns, ",\n    ", value, " AS ", y);
    std::string capped = absl::StrCat("d.", y);
    if (metric.capping == "absolute") {
      capped = absl::StrCat("LEAST(d.", y, ", ",
                            p.Bind(absl::StrFormat("%.17g", metric.capping_value), "float8"), ")");
    } else if (metric.capping == "percentile") {
      percentile = true;
      absl::StrAppend(&cap_columns, cap_columns.empty() ? "" : ", ", "percentile_cont(",
                      p.Bind(absl::StrFormat("%.17g", metric.capping_value), "float8"),
                      ") WITHIN GROUP (ORDER BY d.", y, ") AS c", m);
      capped = absl::StrCat("LEAST(d.", y, ", c.c", m, ")");
    }
    absl::StrAppend(&final_columns, ", ", capped);
    absl::StrAppend(&summary_columns, m == 0 ? ", count(*)::float8" : ", NULL::float8");
  }
  const std::string periods = p.Bind(std::to_string(request.periods - 1), "int");

  std::string sql = absl::StrCat(
      "WITH up AS MATERIALIZED (\n"
      "  SELECT e.unit_id,\n"
      "    ((extract(epoch FROM e.ts) * 1000000)::bigint - ",
      start_micros, ") / ", period_micros, " AS period", up_columns,
      "\n  FROM metric_events e\n  WHERE e.ts >= ", start, " AND e.ts < ", end,
      "\n  GROUP BY 1, 2\n),\n"
      "units AS MATERIALIZED (\n"
      "  SELECT w.unit_id, ",
      conjunction(in_treated), " AS in_treated, ", conjunction(in_control),
      " AS in_control\n  FROM up w", exposure_join,
      "\n  GROUP BY w.unit_id\n),\n"
      "dense AS ",
      percentile ? "MATERIALIZED " : "",
      "(\n"
      "  SELECT g.unit_id, g.in_treated AS treated, g.period",
      value_columns,
      "\n  FROM (SELECT m.unit_id, m.in_treated, s.period::bigint AS period\n"
      "        FROM units m CROSS JOIN generate_series(0, ",
      periods,
      ") AS s(period)\n"
      "        WHERE m.in_treated <> m.in_control) g\n"
      "  LEFT JOIN up w ON w.unit_id = g.unit_id AND w.period = g.period\n),\n"
      "caps AS (SELECT ",
      percentile ? cap_columns + " FROM dense d" : "1 AS none",
      ")\n"
      "SELECT 0 AS kind, d.unit_id, d.treated, d.period",
      final_columns,
      "\nFROM dense d CROSS JOIN caps c\n"
      "UNION ALL\n"
      "SELECT 1, NULL::text, NULL::boolean, NULL::bigint",
      summary_columns, "\nFROM units WHERE in_treated AND in_control");
  return LaunchQuery{std::move(sql), p.TakeParams()};
}

absl::StatusOr<LaunchPanel> LoadLaunchPanel(store::ConnectionPool& pool,
                                            const LaunchQueryRequest& request) {
  const LaunchQuery query = BuildLaunchQuery(request);
  LaunchPanel panel;
  const size_t metric_count = request.metrics.size();
  absl::Status status = pool.Run([&](pqxx::work& work) -> absl::Status {
    work.exec0("SET TRANSACTION READ ONLY");
    // One wide hash aggregate over the window's events: JIT compilation would cost more than it
    // saves (measured for the readout aggregation, aggregation.cc), and the hash tables want
    // memory.
    work.exec0("SET LOCAL jit = off");
    work.exec0("SET LOCAL work_mem = '256MB'");
    const pqxx::result rows =
        work.exec_params(query.sql, pqxx::prepare::make_dynamic_params(query.params));
    std::unordered_map<std::string, size_t> index;
    for (const pqxx::row& row : rows) {
      if (row[0].as<int>() == 1) {
        panel.units_in_both_groups = static_cast<int64_t>(row[4].as<double>());
        continue;
      }
      const std::string id = row[1].as<std::string>();
      auto [found, inserted] = index.emplace(id, panel.units.size());
      if (inserted) {
        PanelUnit unit;
        unit.id = id;
        unit.treated = row[2].as<bool>();
        unit.values.assign(metric_count, std::vector<double>(request.periods, 0.0));
        panel.units.push_back(std::move(unit));
      }
      PanelUnit& unit = panel.units[found->second];
      const int64_t period = row[3].as<int64_t>();
      for (size_t m = 0; m < metric_count; ++m) {
        unit.values[m][period] = row[4 + static_cast<int>(m)].as<double>();
      }
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return panel;
}

}  // namespace lift::launch
