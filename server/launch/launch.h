// A launch as the launch service manages it (proto/lift/v1/launches.proto): the definition of a
// difference-in-differences analysis around a change that was not randomised, its rules, and its
// conversions to and from the proto message and to JSON (for the audit log).
//
// Thread safety: plain data and pure functions.
#ifndef LIFT_SERVER_LAUNCH_LAUNCH_H_
#define LIFT_SERVER_LAUNCH_LAUNCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lift/v1/launches.pb.h"
#include "nlohmann/json.hpp"
#include "server/launch/group_condition.h"

namespace lift::launch {

inline constexpr size_t kMaxLaunchKeyLength = 100;
inline constexpr size_t kMaxNameLength = 200;
inline constexpr size_t kMaxDescriptionLength = 10'000;
inline constexpr size_t kMaxConditionLength = 2'000;
inline constexpr size_t kMaxLaunchMetrics = 20;
inline constexpr int kMaxWindowDays = 366;
inline constexpr int kMinPrePeriods = 2;
inline constexpr int64_t kMicrosPerDay = int64_t{86'400} * 1'000'000;

struct Launch {
  std::string key;  // empty for an inline (unregistered) definition
  std::string name;
  std::string description;
  std::string owner;
  std::vector<std::string> metric_keys;
  std::string treated;  // condition text (group_condition.h)
  std::string control;
  int64_t launch_at_micros = 0;
  int pre_days = 0;
  int post_days = 0;
  int period_days = 1;            // 1 (day) or 7 (week)
  int64_t created_at_micros = 0;  // output
  std::string created_by;         // output

  int64_t window_start_micros() const { return launch_at_micros - pre_days * kMicrosPerDay; }
  int64_t window_end_micros() const { return launch_at_micros + post_days * kMicrosPerDay; }
  int64_t period_micros() const { return period_days * kMicrosPerDay; }
  int pre_periods() const { return pre_days / period_days; }
  int post_periods() const { return post_days / period_days; }
};

// The parsed group conditions of a valid launch.
struct LaunchGroups {
  GroupCondition treated;
  GroupCondition control;
};

// OK with the parsed conditions, or InvalidArgument naming the first field (prefixed by
// `field_prefix`, e.g. "launch.") that breaks a rule: key pattern [a-z0-9_.-]{1,100} (only when
// `require_key`), lengths of name / owner / description, 1..20 metric keys without duplicates,
// conditions (group_condition.h; at most 2,000 characters each), launch_at_micros > 0, pre_days
// and post_days in [1, 366] and multiples of 7 for weekly periods. "Fewer than 2 pre-periods" is
// not checked here: it is AnalyzeLaunch's FailedPrecondition (a registered launch may be
// re-analysed with other settings later, but the rule is the data's, as the proto documents).
absl::StatusOr<LaunchGroups> ValidateLaunch(const Launch& launch, bool require_key,
                                            const std::string& field_prefix);

// Proto conversions. LaunchFromProto maps LAUNCH_PERIOD_UNSPECIFIED to days; an unknown period
// value is InvalidArgument naming `field_prefix` + "period".
absl::StatusOr<Launch> LaunchFromProto(const v1::Launch& proto, const std::string& field_prefix);
void LaunchToProto(const Launch& launch, v1::Launch* proto);

// "day" or "week".
std::string PeriodName(int period_days);

// The definition's fields (not created_*), for the audit log.
nlohmann::json LaunchJson(const Launch& launch);

}  // namespace lift::launch

#endif  // LIFT_SERVER_LAUNCH_LAUNCH_H_
