#include "server/launch/launch.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"

namespace lift::launch {
namespace {

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

absl::Status Invalid(const std::string& prefix, const std::string& field, const std::string& rule) {
  return absl::InvalidArgumentError(absl::StrCat(prefix, field, " ", rule));
}

absl::Status CheckLength(const std::string& prefix, const std::string& field,
                         const std::string& value, size_t max) {
  if (value.size() > max) {
    return Invalid(prefix, field,
                   absl::StrCat("must be at most ", max, " characters, got ", value.size()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LaunchGroups> ValidateLaunch(const Launch& launch, bool require_key,
                                            const std::string& field_prefix) {
  const std::string& p = field_prefix;
  if (require_key || !launch.key.empty()) {
    if (launch.key.empty()) return Invalid(p, "key", "is required");
    if (launch.key.size() > kMaxLaunchKeyLength ||
        !std::all_of(launch.key.begin(), launch.key.end(), IsKeyChar)) {
      return Invalid(p, "key",
                     absl::StrCat("must be 1..", kMaxLaunchKeyLength,
                                  " characters of [a-z0-9_.-], got '", launch.key, "'"));
    }
  }
  if (absl::Status s = CheckLength(p, "name", launch.name, kMaxNameLength); !s.ok()) return s;
  if (absl::Status s = CheckLength(p, "owner", launch.owner, kMaxNameLength); !s.ok()) return s;
  if (absl::Status s = CheckLength(p, "description", launch.description, kMaxDescriptionLength);
      !s.ok()) {
    return s;
  }
  if (launch.metric_keys.empty()) return Invalid(p, "metric_keys", "needs at least one metric");
  if (launch.metric_keys.size() > kMaxLaunchMetrics) {
    return Invalid(p, "metric_keys",
                   absl::StrCat("may name at most ", kMaxLaunchMetrics, " metrics, got ",
                                launch.metric_keys.size()));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < launch.metric_keys.size(); ++i) {
    const std::string field = absl::StrCat("metric_keys[", i, "]");
    if (launch.metric_keys[i].empty()) return Invalid(p, field, "is empty");
    if (!seen.insert(launch.metric_keys[i]).second) {
      return Invalid(p, field, absl::StrCat("repeats '", launch.metric_keys[i], "'"));
    }
  }
  LaunchGroups groups;
  for (const auto& [field, text, parsed] :
       {std::tuple<const char*, const std::string*, GroupCondition*>{"treated", &launch.treated,
                                                                     &groups.treated},
        {"control", &launch.control, &groups.control}}) {
    if (absl::Status s = CheckLength(p, field, *text, kMaxConditionLength); !s.ok()) return s;
    absl::StatusOr<GroupCondition> condition = ParseGroupCondition(*text, p + field);
    if (!condition.ok()) return condition.status();
    *parsed = *std::move(condition);
  }
  if (launch.launch_at_micros <= 0) {
    return Invalid(
        p, "launch_at_micros",
        absl::StrCat("must be > 0 (Unix epoch microseconds), got ", launch.launch_at_micros));
  }
  if (launch.period_days != 1 && launch.period_days != 7) {
    return Invalid(p, "period", absl::StrCat("must be 1 or 7 days, got ", launch.period_days));
  }
  for (const auto& [field, days] : {std::pair<const char*, int>{"pre_days", launch.pre_days},
                                    {"post_days", launch.post_days}}) {
    if (days < 1 || days > kMaxWindowDays) {
      return Invalid(p, field, absl::StrCat("must be in [1, ", kMaxWindowDays, "], got ", days));
    }
    if (days % launch.period_days != 0) {
      return Invalid(p, field,
                     absl::StrCat("must be a multiple of 7 for weekly periods, got ", days));
    }
  }
  return groups;
}

absl::StatusOr<Launch> LaunchFromProto(const v1::Launch& proto, const std::string& field_prefix) {
  Launch launch;
  launch.key = proto.key();
  launch.name = proto.name();
  launch.description = proto.description();
  launch.owner = proto.owner();
  launch.metric_keys.assign(proto.metric_keys().begin(), proto.metric_keys().end());
  launch.treated = proto.treated();
  launch.control = proto.control();
  launch.launch_at_micros = proto.launch_at_micros();
  launch.pre_days = proto.pre_days();
  launch.post_days = proto.post_days();
  switch (proto.period()) {
    case v1::LAUNCH_PERIOD_UNSPECIFIED:
    case v1::LAUNCH_PERIOD_DAY:
      launch.period_days = 1;
      break;
    case v1::LAUNCH_PERIOD_WEEK:
      launch.period_days = 7;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field_prefix, "period must be LAUNCH_PERIOD_DAY or LAUNCH_PERIOD_WEEK, got ",
                       static_cast<int>(proto.period())));
  }
  launch.created_at_micros = proto.created_at_micros();
  launch.created_by = proto.created_by();
  return launch;
}

void LaunchToProto(const Launch& launch, v1::Launch* proto) {
  proto->Clear();
  proto->set_key(launch.key);
  proto->set_name(launch.name);
  proto->set_description(launch.description);
  proto->set_owner(launch.owner);
  for (const std::string& key : launch.metric_keys) proto->add_metric_keys(key);
  proto->set_treated(launch.treated);
  proto->set_control(launch.control);
  proto->set_launch_at_micros(launch.launch_at_micros);
  proto->set_pre_days(launch.pre_days);
  proto->set_post_days(launch.post_days);
  proto->set_period(launch.period_days == 7 ? v1::LAUNCH_PERIOD_WEEK : v1::LAUNCH_PERIOD_DAY);
  proto->set_created_at_micros(launch.created_at_micros);
  proto->set_created_by(launch.created_by);
}

std::string PeriodName(int period_days) { return period_days == 7 ? "week" : "day"; }

nlohmann::json LaunchJson(const Launch& launch) {
  return nlohmann::json{{"key", launch.key},
                        {"name", launch.name},
                        {"description", launch.description},
                        {"owner", launch.owner},
                        {"metric_keys", launch.metric_keys},
                        {"treated", launch.treated},
                        {"control", launch.control},
                        {"launch_at_micros", launch.launch_at_micros},
                        {"pre_days", launch.pre_days},
                        {"post_days", launch.post_days},
                        {"period", PeriodName(launch.period_days)}};
}

}  // namespace lift::launch
