// Stored metric definitions (metrics/metric.h DefinitionJson / DefinitionFromJson): integer fields
// out of their type's range are refused instead of wrapping (found by reading the fuzz target's
// reach: nlohmann compares an unsigned value >= 2^63 with a signed bound as a negative number).
#include <cstdint>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/metrics/metric.h"

namespace lift::metrics {
namespace {

using ::testing::HasSubstr;

MetricDefinition Revenue() {
  MetricDefinition metric;
  metric.key = "revenue";
  metric.kind = "mean";
  metric.numerator = {"purchase", "sum", {}};
  metric.window_start_seconds = 3600;
  metric.window_duration_seconds = 7 * 86400;
  metric.cuped_pre_period_days = 14;
  return metric;
}

TEST(MetricDefinitionJsonTest, RoundTripKeepsTheIntegers) {
  MetricDefinition parsed;
  ASSERT_TRUE(DefinitionFromJson(DefinitionJson(Revenue()), &parsed).ok());
  EXPECT_EQ(parsed.window_start_seconds, 3600);
  EXPECT_EQ(parsed.window_duration_seconds, 7 * 86400);
  EXPECT_EQ(parsed.cuped_pre_period_days, 14);
}

TEST(MetricDefinitionJsonTest, IntegersOutOfRangeAreRefused) {
  const struct {
    const char* field;
    nlohmann::json value;
  } cases[] = {
      {"window_start_seconds", std::numeric_limits<uint64_t>::max()},         // would read -1
      {"window_duration_seconds", uint64_t{1} << 63},                         // would read INT64_MIN
      {"cuped_pre_period_days", uint64_t{std::numeric_limits<int>::max()} + 1},
      {"cuped_pre_period_days", int64_t{std::numeric_limits<int>::min()} - 1},
      {"window_start_seconds", 1.5},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.field) + " = " + c.value.dump());
    nlohmann::json json = DefinitionJson(Revenue());
    json[c.field] = c.value;
    MetricDefinition parsed;
    const absl::Status status = DefinitionFromJson(json, &parsed);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), HasSubstr("whole numbers in range"));
  }
  // The largest values that fit are taken as they are.
  nlohmann::json json = DefinitionJson(Revenue());
  json["window_duration_seconds"] = uint64_t{std::numeric_limits<int64_t>::max()};
  json["cuped_pre_period_days"] = uint64_t{std::numeric_limits<int>::max()};
  MetricDefinition parsed;
  ASSERT_TRUE(DefinitionFromJson(json, &parsed).ok());
  EXPECT_EQ(parsed.window_duration_seconds, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(parsed.cuped_pre_period_days, std::numeric_limits<int>::max());
}

}  // namespace
}  // namespace lift::metrics
