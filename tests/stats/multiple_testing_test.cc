#include "stats/multiple_testing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "tests/stats/ab_fixtures.h"

namespace lift::stats {
namespace {

using ::lift::stats::testing::LoadFixture;
using ::lift::stats::testing::NearRelative;
using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

void ExpectAllNear(const std::vector<double>& actual, const std::vector<double>& expected,
                   const std::string& context) {
  ASSERT_EQ(actual.size(), expected.size()) << context;
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(NearRelative(actual[i], expected[i])) << context << " [" << i << "]";
  }
}

// Reference: tests/reference/fixtures/ab_multiple_testing.json,
// statsmodels.stats.multitest.multipletests(method="holm" / "fdr_bh") (ref_ab.py).
TEST(MultipleTestingTest, MatchesStatsmodelsMultipletests) {
  const nlohmann::json fixture = LoadFixture("ab_multiple_testing.json");
  ASSERT_GE(fixture["cases"].size(), 5u);
  for (const auto& c : fixture["cases"]) {
    const std::string name = c["name"];
    const auto p_values = c["p_values"].get<std::vector<double>>();
    const auto holm = AdjustPValues(p_values, Correction::kHolm);
    const auto bh = AdjustPValues(p_values, Correction::kBenjaminiHochberg);
    ASSERT_TRUE(holm.ok() && bh.ok()) << name;
    ExpectAllNear(*holm, c["holm"].get<std::vector<double>>(), name + " holm");
    ExpectAllNear(*bh, c["bh"].get<std::vector<double>>(), name + " bh");
  }
}

TEST(MultipleTestingTest, KeepsInputOrderAndHandlesEdgeFamilies) {
  // Holm by hand: sorted 0.01 (×3), 0.02 (×2) -> 0.04, 0.04 (×1); back in input order.
  const auto holm = HolmAdjust({0.04, 0.01, 0.02});
  ASSERT_TRUE(holm.ok());
  EXPECT_THAT(*holm, ElementsAre(DoubleEq(0.04), DoubleEq(0.03), DoubleEq(0.04)));
  const auto none = AdjustPValues({0.2, 0.01}, Correction::kNone);
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, ElementsAre(0.2, 0.01));
  const auto empty = BenjaminiHochbergAdjust({});
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(*empty, IsEmpty());
}

TEST(MultipleTestingTest, RejectsInvalidPValues) {
  auto result = HolmAdjust({0.1, 1.2});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("p_values[1] must be in [0, 1], got 1.2"));
  result = AdjustPValues({std::numeric_limits<double>::quiet_NaN()}, Correction::kNone);
  EXPECT_THAT(result.status().message(), HasSubstr("p_values[0] must be in [0, 1]"));
}

TEST(MultipleTestingTest, ParsesCorrectionNames) {
  EXPECT_EQ(*ParseCorrection("holm"), Correction::kHolm);
  EXPECT_EQ(*ParseCorrection("bh"), Correction::kBenjaminiHochberg);
  EXPECT_EQ(*ParseCorrection("none"), Correction::kNone);
  EXPECT_EQ(CorrectionName(Correction::kBenjaminiHochberg), "bh");
  EXPECT_THAT(ParseCorrection("bonferroni").status().message(),
              HasSubstr("correction must be none, holm or bh, got \"bonferroni\""));
}

}  // namespace
}  // namespace lift::stats
