#include "stats/guardrail.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "stats/welch_test.h"
#include "tests/stats/ab_fixtures.h"

namespace lift::stats {
namespace {

using ::lift::stats::testing::LoadFixture;
using ::lift::stats::testing::NearRelative;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Estimate Lift(double estimate, double se, double df) {
  Estimate lift;
  lift.estimate = estimate;
  lift.se = se;
  lift.df = df;
  lift.valid = true;
  return lift;
}

// Reference: tests/reference/fixtures/ab_guardrail.json: p = P(T > (e + m)/se) and the one-sided
// lower bound e - q(1 - alpha) se with scipy.stats.t / norm (ref_ab.py guardrail_cases).
TEST(GuardrailTest, MatchesScipyNonInferiorityBounds) {
  const nlohmann::json fixture = LoadFixture("ab_guardrail.json");
  ASSERT_GE(fixture["cases"].size(), 8u);
  for (const auto& c : fixture["cases"]) {
    const std::string name = c["name"];
    GuardrailSettings settings;
    settings.margin = c["margin"];
    settings.alpha = c["alpha"];
    const auto direction = ParseDirection(c["direction"].get<std::string>());
    ASSERT_TRUE(direction.ok());
    settings.direction = *direction;
    const auto result = EvaluateGuardrail(Lift(c["estimate"], c["se"], c["df"]), settings);
    ASSERT_TRUE(result.ok()) << name << ": " << result.status();
    EXPECT_TRUE(NearRelative(result->p_value, c["p_value"])) << name;
    EXPECT_TRUE(NearRelative(result->lower_bound, c["lower_bound"])) << name;
    EXPECT_EQ(result->harmed, c["harmed"].get<bool>()) << name;
    EXPECT_EQ(result->non_inferior, c["non_inferior"].get<bool>()) << name;
    EXPECT_EQ(GuardrailStatusName(result->status), c["status"].get<std::string>()) << name;
  }
}

// GrowthBook gbstats, packages/stats/tests/frequentist/test_tests.py: TestOneSidedGreaterTTest and
// TestOneSidedLesserTTest (relative). With margin 0 the non-inferiority test is gbstats' one-sided
// test: "increase is good" is OneSidedTreatmentGreater (lower bound, p), "decrease is good" is
// OneSidedTreatmentLesser (its upper bound is minus our good-direction lower bound).
TEST(GuardrailTest, ZeroMarginMatchesGbstatsOneSidedTTests) {
  const auto welch =
      WelchTest(MeanStats{3000, 1396.87, 52377.9767}, MeanStats{3461, 2422.7, 134698.29});
  ASSERT_TRUE(welch.ok()) << welch.status();
  GuardrailSettings increase;
  auto result = EvaluateGuardrail(welch->relative, increase);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(NearRelative(result->lower_bound, -0.045136675850396046));
  EXPECT_TRUE(NearRelative(result->p_value, 0.06558262868467746));

  GuardrailSettings decrease;
  decrease.direction = Direction::kDecreaseIsGood;
  result = EvaluateGuardrail(welch->relative, decrease);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(NearRelative(-result->lower_bound, 1.0518588475628676));
  EXPECT_TRUE(NearRelative(result->p_value, 0.9344173713153225));
}

TEST(GuardrailTest, SignificantHarmFailsEvenWithinTheMargin) {
  // -0.4 % ± 0.1 %: non-inferior at a 2 % margin, but significantly worse than control.
  GuardrailSettings settings;
  settings.margin = 0.02;
  const auto result = EvaluateGuardrail(Lift(-0.004, 0.001, 0.0), settings);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->non_inferior);
  EXPECT_TRUE(result->harmed);
  EXPECT_EQ(result->status, GuardrailStatus::kFail);
}

TEST(GuardrailTest, InvalidLiftIsInconclusiveWithItsFlags) {
  GuardrailSettings settings;
  settings.margin = 0.01;
  Estimate lift;  // valid == false
  const auto result = EvaluateGuardrail(lift, settings, {ResultFlag::kZeroBaseline});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, GuardrailStatus::kInconclusive);
  EXPECT_EQ(result->p_value, 1.0);
  EXPECT_THAT(result->flags, ElementsAre(ResultFlag::kZeroBaseline));
}

TEST(GuardrailTest, RejectsBadSettingsNamingTheField) {
  GuardrailSettings settings;
  settings.margin = -0.01;
  auto result = EvaluateGuardrail(Lift(0, 1, 10), settings);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("margin must be finite and >= 0"));

  settings.margin = 0.01;
  settings.alpha = 2;
  result = EvaluateGuardrail(Lift(0, 1, 10), settings);
  EXPECT_THAT(result.status().message(), HasSubstr("alpha must be in (0, 1), got 2"));

  EXPECT_THAT(ParseDirection("up").status().message(),
              HasSubstr("direction must be increase or decrease, got \"up\""));
  EXPECT_EQ(DirectionName(Direction::kDecreaseIsGood), "decrease");
}

}  // namespace
}  // namespace lift::stats
