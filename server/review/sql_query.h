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

#include "server/store/sql_params.h"

namespace lift::review {

struct SqlQuery {
  std::string sql;
  std::vector<std::string> params;  // $1.. as text, cast in the SQL
};

// The weekly review's queries bind with the shared builder (server/store/sql_params.h) and select
// events with metrics::EventSelectorCondition.
using QueryBinder = store::SqlParams;

}  // namespace lift::review

#endif  // LIFT_SERVER_REVIEW_SQL_QUERY_H_
