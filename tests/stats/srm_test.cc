#include "stats/srm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/stats/ab_fixtures.h"

namespace lift::stats {
namespace {

using ::lift::stats::testing::LoadFixture;
using ::lift::stats::testing::NearRelative;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Reference: tests/reference/fixtures/ab_srm.json, scipy.stats.chisquare(counts,
// f_exp = N w / Σw) (ref_ab.py srm_cases).
TEST(SrmTest, MatchesScipyChiSquare) {
  const nlohmann::json fixture = LoadFixture("ab_srm.json");
  ASSERT_GE(fixture["cases"].size(), 6u);
  for (const auto& c : fixture["cases"]) {
    const std::string name = c["name"];
    const auto result = SampleRatioMismatch(c["counts"].get<std::vector<int64_t>>(),
                                            c["weights"].get<std::vector<double>>());
    ASSERT_TRUE(result.ok()) << name << ": " << result.status();
    EXPECT_TRUE(NearRelative(result->chi2, c["chi2"])) << name;
    EXPECT_TRUE(NearRelative(result->p_value, c["p_value"])) << name;
    EXPECT_EQ(result->df, c["df"].get<int64_t>()) << name;
    EXPECT_EQ(result->flagged, c["flagged"].get<bool>()) << name;
    const auto expected = c["expected_counts"].get<std::vector<double>>();
    ASSERT_EQ(result->expected_counts.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_TRUE(NearRelative(result->expected_counts[i], expected[i])) << name;
    }
  }
}

TEST(SrmTest, ThresholdIsAParameter) {
  // 5100 vs 4900: p ≈ 0.0455, not flagged at 0.001 but flagged at 0.05.
  auto result = SampleRatioMismatch({5100, 4900}, {1, 1});
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->flagged);
  result = SampleRatioMismatch({5100, 4900}, {1, 1}, 0.05);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->flagged);
}

TEST(SrmTest, NoUnitsIsNotAMismatch) {
  const auto result = SampleRatioMismatch({0, 0, 0}, {1, 1, 1});
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->flagged);
  EXPECT_EQ(result->p_value, 1.0);
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kEmptyArm));
}

TEST(SrmTest, OneEmptyArmIsAStrongMismatch) {
  const auto result = SampleRatioMismatch({1000, 0}, {0.5, 0.5});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->flagged);
  EXPECT_DOUBLE_EQ(result->chi2, 1000.0);
}

TEST(SrmTest, RejectsBadWeightsNamingTheField) {
  auto result = SampleRatioMismatch({10, 10}, {0.5, 0.0});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("weights[1] must be finite and > 0, got 0"));
  result = SampleRatioMismatch({10, 10, 10}, {0.5, 0.5});
  EXPECT_THAT(result.status().message(), HasSubstr("weights must have one entry per arm (3)"));
  result = SampleRatioMismatch({10}, {1});
  EXPECT_THAT(result.status().message(), HasSubstr("counts must have at least 2 arms"));
  result = SampleRatioMismatch({10, -1}, {1, 1});
  EXPECT_THAT(result.status().message(), HasSubstr("counts[1] must be >= 0, got -1"));
  result = SampleRatioMismatch({10, 10}, {1, 1}, 1.0);
  EXPECT_THAT(result.status().message(), HasSubstr("threshold must be in (0, 1)"));
}

}  // namespace
}  // namespace lift::stats
