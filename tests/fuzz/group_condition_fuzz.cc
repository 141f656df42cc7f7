// Launch group conditions (server/launch/group_condition.h): parses the input as a `treated`
// condition; a condition that parses is formatted, parsed again and compiled into the launch panel
// SQL (server/launch/launch_query.h) with a metric that has property filters.
// Properties: errors are InvalidArgument naming the field and a position inside the text (or just
// past its end); FormatGroupCondition round-trips; every name and value is a bound parameter
// (lists as one JSON array).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "server/launch/group_condition.h"
#include "server/launch/launch.h"
#include "server/launch/launch_query.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using lift::launch::GroupCondition;

// The N of "... at position N" in `message`, or -1.
int64_t ReportedPosition(absl::string_view message) {
  const size_t at = message.rfind("at position ");
  if (at == absl::string_view::npos) return -1;
  absl::string_view digits = message.substr(at + 12);
  size_t end = 0;
  while (end < digits.size() && digits[end] >= '0' && digits[end] <= '9') ++end;
  int64_t position = -1;
  if (!absl::SimpleAtoi(digits.substr(0, end), &position)) return -1;
  return position;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<GroupCondition> parsed = lift::launch::ParseGroupCondition(text, "treated");
  if (!parsed.ok()) {
    LIFT_FUZZ_CHECK(absl::IsInvalidArgument(parsed.status()));
    const absl::string_view message = parsed.status().message();
    LIFT_FUZZ_CHECK(absl::StartsWith(message, "treated"));
    const int64_t position = ReportedPosition(message);
    if (position != -1) {
      LIFT_FUZZ_CHECK(position >= 1 && position <= static_cast<int64_t>(size) + 1);
    }
    return 0;
  }
  LIFT_FUZZ_CHECK(!parsed->clauses.empty());
  LIFT_FUZZ_CHECK(parsed->clauses.size() <= lift::launch::kMaxClauses);

  const std::string formatted = lift::launch::FormatGroupCondition(*parsed);
  absl::StatusOr<GroupCondition> again = lift::launch::ParseGroupCondition(formatted, "treated");
  LIFT_FUZZ_CHECK(again.ok());
  LIFT_FUZZ_CHECK(again->clauses == parsed->clauses);
  LIFT_FUZZ_CHECK(lift::launch::FormatGroupCondition(*again) == formatted);

  // Conditions reach the query from protobuf strings, which are UTF-8 (the SQL binds lists as JSON).
  try {
    (void)nlohmann::json(std::string(text)).dump();
  } catch (const nlohmann::json::exception&) {
    return 0;
  }
  lift::launch::LaunchQueryRequest request;
  request.window_start_micros = int64_t{1'767'225'600} * 1'000'000;  // 2026-01-01
  request.period_micros = lift::launch::kMicrosPerDay;
  request.periods = 14;
  request.treated = *parsed;
  absl::StatusOr<GroupCondition> control =
      lift::launch::ParseGroupCondition("exposure.country in (US, CA) and plan != 'free'", "control");
  LIFT_FUZZ_CHECK(control.ok());
  request.control = *control;
  lift::metrics::MetricDefinition metric;
  metric.key = "revenue";
  metric.kind = "mean";
  metric.numerator.event = "purchase";
  metric.numerator.aggregation = "sum";
  metric.numerator.filters = {{"currency", "in", {"EUR", "USD"}}};
  metric.capping = "percentile";
  metric.capping_value = 0.99;
  request.metrics = {metric};
  const lift::launch::LaunchQuery query = lift::launch::BuildLaunchQuery(request);
  LIFT_FUZZ_CHECK(!query.sql.empty());
  auto bound = [&](const std::string& text) {
    return std::find(query.params.begin(), query.params.end(), text) != query.params.end();
  };
  for (const lift::launch::ConditionClause& clause : parsed->clauses) {
    LIFT_FUZZ_CHECK(bound(clause.attribute));
    if (clause.op == lift::launch::ConditionOperator::kIn ||
        clause.op == lift::launch::ConditionOperator::kNotIn) {
      LIFT_FUZZ_CHECK(bound(nlohmann::json(clause.values).dump()));  // one jsonb array
    } else {
      LIFT_FUZZ_CHECK(bound(clause.values.front()));
    }
  }
  return 0;
}
