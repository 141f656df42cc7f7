#include "server/review/sql_query.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "server/readout/aggregation.h"

namespace lift::review {

std::string QueryBinder::Bind(std::string value, const std::string& type) {
  const std::string key = absl::StrCat(type, ":", value);
  auto found = bound_.find(key);
  if (found != bound_.end()) return found->second;
  params_.push_back(std::move(value));
  std::string placeholder = absl::StrCat("$", params_.size(), "::", type);
  bound_.emplace(key, placeholder);
  return placeholder;
}

std::string QueryBinder::BindTimestamp(int64_t micros) {
  return Bind(readout::TimestampLiteral(micros), "timestamptz");
}

std::string SelectorCondition(const metrics::EventSelector& selector, const std::string& alias,
                              QueryBinder& binder) {
  std::string sql = absl::StrCat(alias, ".event_name = ", binder.Bind(selector.event, "text"));
  for (const metrics::PropertyFilter& filter : selector.filters) {
    const std::string property =
        absl::StrCat("(", alias, ".properties ->> ", binder.Bind(filter.property, "text"), ")");
    if (filter.op == "equal") {
      absl::StrAppend(&sql, " AND ", property, " = ", binder.Bind(filter.values[0], "text"));
    } else if (filter.op == "not_equal") {
      absl::StrAppend(&sql, " AND ", property, " IS DISTINCT FROM ",
                      binder.Bind(filter.values[0], "text"));
    } else {
      const std::string list =
          absl::StrCat("ARRAY(SELECT jsonb_array_elements_text(",
                       binder.Bind(nlohmann::json(filter.values).dump(), "jsonb"), "))");
      const std::string in = absl::StrCat("COALESCE(", property, " = ANY (", list, "), false)");
      absl::StrAppend(&sql, " AND ", filter.op == "in" ? in : absl::StrCat("NOT ", in));
    }
  }
  return absl::StrCat("(", sql, ")");
}

}  // namespace lift::review
