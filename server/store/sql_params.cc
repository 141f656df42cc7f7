#include "server/store/sql_params.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace lift::store {

std::string SqlParams::Bind(std::string value, const std::string& type) {
  const std::string key = absl::StrCat(type, ":", value);
  auto found = bound_.find(key);
  if (found != bound_.end()) return found->second;
  params_.push_back(std::move(value));
  std::string placeholder = absl::StrCat("$", params_.size(), "::", type);
  bound_.emplace(key, placeholder);
  return placeholder;
}

std::string SqlParams::BindTimestamp(int64_t micros) {
  return Bind(TimestampLiteral(micros), "timestamptz");
}

std::string SqlColumns::Add(const std::string& expression) {
  auto found = aliases_.find(expression);
  if (found != aliases_.end()) return found->second;
  std::string alias = absl::StrCat(prefix_, aliases_.size());
  aliases_.emplace(expression, alias);
  absl::StrAppend(&list_, ",\n    ", expression, " AS ", alias);
  return alias;
}

std::string TimestampLiteral(int64_t micros) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

std::string JsonAttributeTest(const std::string& column, const std::string& attribute,
                              const std::string& op, const std::vector<std::string>& values,
                              SqlParams& params) {
  const std::string text =
      absl::StrCat("(", column, " ->> ", params.Bind(attribute, "text"), ")");
  if (op == "equal") {
    return absl::StrCat("COALESCE(", text, " = ", params.Bind(values[0], "text"), ", false)");
  }
  if (op == "not_equal") {
    return absl::StrCat("(", text, " IS DISTINCT FROM ", params.Bind(values[0], "text"), ")");
  }
  const std::string in = absl::StrCat(
      "COALESCE(", text, " = ANY (ARRAY(SELECT jsonb_array_elements_text(",
      params.Bind(nlohmann::json(values).dump(), "jsonb"), "))), false)");
  return op == "in" ? in : absl::StrCat("(NOT ", in, ")");
}

}  // namespace lift::store
