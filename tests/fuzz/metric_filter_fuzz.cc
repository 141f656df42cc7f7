// Metric definitions with their event selectors and property filters, as the server reads them back
// from the database and audit log (server/metrics/metric.h: DefinitionFromJson, FiltersFromJson)
// and turns them into SQL (server/metrics/selector_sql.h). The input is a JSON document: a metric
// definition, or an array of filters.
// Properties: malformed documents are InvalidArgument; a definition that validates survives
// DefinitionJson -> DefinitionFromJson unchanged; every event name, property and value in the
// selector SQL is a bound parameter (lists as one JSON array).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "server/metrics/metric.h"
#include "server/metrics/selector_sql.h"
#include "server/store/sql_params.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using lift::metrics::EventSelector;
using lift::metrics::MetricDefinition;
using nlohmann::json;

void CheckSelectorSql(const EventSelector& selector) {
  lift::store::SqlParams params;
  const std::string sql = lift::metrics::EventSelectorCondition(selector, "e", params);
  LIFT_FUZZ_CHECK(!sql.empty() && sql.front() == '(' && sql.back() == ')');
  const std::vector<std::string> bound = params.TakeParams();
  auto is_bound = [&](const std::string& text) {
    return std::find(bound.begin(), bound.end(), text) != bound.end();
  };
  LIFT_FUZZ_CHECK(is_bound(selector.event));
  for (const lift::metrics::PropertyFilter& filter : selector.filters) {
    LIFT_FUZZ_CHECK(is_bound(filter.property));
    if (filter.op == "in" || filter.op == "not_in") {
      LIFT_FUZZ_CHECK(is_bound(json(filter.values).dump()));  // one jsonb array
    } else {
      LIFT_FUZZ_CHECK(is_bound(filter.values.front()));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const json document = json::parse(lift::fuzz::AsText(data, size), nullptr,
                                    /*allow_exceptions=*/false);
  if (document.is_discarded()) return 0;

  std::vector<lift::metrics::PropertyFilter> filters;
  const absl::Status filters_status = lift::metrics::FiltersFromJson(document, &filters);
  LIFT_FUZZ_CHECK(filters_status.ok() || absl::IsInvalidArgument(filters_status));
  if (filters_status.ok()) {
    std::vector<lift::metrics::PropertyFilter> again;
    LIFT_FUZZ_CHECK(lift::metrics::FiltersFromJson(lift::metrics::FiltersJson(filters), &again).ok());
    LIFT_FUZZ_CHECK(again == filters);
    MetricDefinition holder;
    holder.key = "m";
    holder.kind = "mean";
    holder.numerator.event = "purchase";
    holder.numerator.aggregation = "sum";
    holder.numerator.filters = filters;
    if (lift::metrics::ValidateMetric(holder).ok()) CheckSelectorSql(holder.numerator);
  }

  MetricDefinition metric;
  metric.key = "fuzzed";
  const absl::Status read = lift::metrics::DefinitionFromJson(document, &metric);
  LIFT_FUZZ_CHECK(read.ok() || absl::IsInvalidArgument(read));
  if (!read.ok()) return 0;
  lift::metrics::Normalize(&metric);
  const absl::Status valid = lift::metrics::ValidateMetric(metric, "metrics[0].");
  LIFT_FUZZ_CHECK(valid.ok() || absl::IsInvalidArgument(valid));
  lift::metrics::DiffDefinitions(document, lift::metrics::DefinitionJson(metric));
  if (!valid.ok()) return 0;

  const json canonical = lift::metrics::DefinitionJson(metric);
  MetricDefinition again;
  again.key = metric.key;
  LIFT_FUZZ_CHECK(lift::metrics::DefinitionFromJson(canonical, &again).ok());
  LIFT_FUZZ_CHECK(lift::metrics::DefinitionJson(again) == canonical);
  LIFT_FUZZ_CHECK(lift::metrics::DiffDefinitions(canonical, canonical).empty());
  CheckSelectorSql(metric.numerator);
  if (metric.denominator.has_value()) CheckSelectorSql(*metric.denominator);
  return 0;
}
