// A parameterised SQL statement for the weekly review's queries, and the binder that builds one:
// every user-supplied value (event names, property names and values, instants) is a bound
// parameter `$k::type`, never SQL text.
//
// Thread safety: plain values; a QueryBinder is used by one thread.
#ifndef LIFT_SERVER_REVIEW_SQL_QUERY_H_
#define LIFT_SERVER_REVIEW_SQL_QUERY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "server/metrics/metric.h"

namespace lift::review {

struct SqlQuery {
  std::string sql;
  std::vector<std::string> params;  // $1.. as text, cast in the SQL
};

class QueryBinder {
 public:
  // Binds `value` and returns "$k::type"; an equal (value, type) binds once, so equal conditions
  // are equal SQL text.
  std::string Bind(std::string value, const std::string& type);
  // Binds a Unix epoch microsecond instant as a timestamptz (plan-time partition pruning).
  std::string BindTimestamp(int64_t micros);
  std::vector<std::string> TakeParams() { return std::move(params_); }

 private:
  std::vector<std::string> params_;
  std::map<std::string, std::string> bound_;
};

// SQL condition on metric_events row `alias`: the event has the selector's name and passes its
// property filters (metrics.proto PropertyFilter: values compare as text with `properties ->>
// property`; an absent property matches neither equal nor in).
std::string SelectorCondition(const metrics::EventSelector& selector, const std::string& alias,
                              QueryBinder& binder);

}  // namespace lift::review

#endif  // LIFT_SERVER_REVIEW_SQL_QUERY_H_
