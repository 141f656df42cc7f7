#include "server/metrics/selector_sql.h"

#include "absl/strings/str_cat.h"

namespace lift::metrics {

std::string EventSelectorCondition(const EventSelector& selector, const std::string& alias,
                                   store::SqlParams& params) {
  std::string sql =
      absl::StrCat(alias, ".event_name = ", params.Bind(selector.event, "text"));
  for (const PropertyFilter& filter : selector.filters) {
    absl::StrAppend(&sql, " AND ",
                    store::JsonAttributeTest(absl::StrCat(alias, ".properties"), filter.property,
                                             filter.op, filter.values, params));
  }
  return absl::StrCat("(", sql, ")");
}

}  // namespace lift::metrics
