#include "stats/power.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "tests/stats/ab_fixtures.h"

namespace lift::stats {
namespace {

using ::lift::stats::testing::LoadFixture;
using ::lift::stats::testing::NearRelative;
using ::testing::HasSubstr;

// statsmodels' own solve_power stops at brentq_expanding's default xtol = 1e-5 (absolute), so its
// raw answers are compared within that absolute distance; the tight roots at kRelativeTolerance.
constexpr double kStatsmodelsXtol = 1e-5;

// Reference: tests/reference/fixtures/ab_power.json "means": statsmodels.stats.power
// TTestIndPower().power solved with scipy.optimize.brentq(xtol=1e-13) (ref_ab.py power_cases).
TEST(PowerTest, MeanSampleSizeMatchesStatsmodelsTTestIndPower) {
  const nlohmann::json fixture = LoadFixture("ab_power.json");
  ASSERT_GE(fixture["cases"]["means"].size(), 4u);
  for (const auto& c : fixture["cases"]["means"]) {
    const std::string name = c["name"];
    PowerSettings settings;
    settings.alpha = c["alpha"];
    settings.power = c["power"];
    settings.arms = c["arms"];
    const auto size = SampleSizeForMean(c["mean"], c["sd"], c["mde"], settings);
    ASSERT_TRUE(size.ok()) << name << ": " << size.status();
    EXPECT_TRUE(NearRelative(size->effect_size, c["effect_size"])) << name;
    EXPECT_TRUE(NearRelative(size->n_per_arm_exact, c["n_per_arm_exact"])) << name;
    EXPECT_NEAR(size->n_per_arm_exact, c["statsmodels_solve_power_n"].get<double>(),
                kStatsmodelsXtol)
        << name;
    EXPECT_EQ(size->n_per_arm, c["n_per_arm"].get<int64_t>()) << name;
    EXPECT_EQ(size->total_n, c["total_n"].get<int64_t>()) << name;
    EXPECT_TRUE(NearRelative(TTestPower(c["effect_size"], c["n_per_arm"].get<double>(), c["alpha"]),
                             c["power_at_n_per_arm"]))
        << name;

    const auto mde = MinimumDetectableEffectForMean(c["mean"], c["sd"],
                                                    c["mde_n_per_arm"].get<double>(), settings);
    ASSERT_TRUE(mde.ok()) << name << ": " << mde.status();
    EXPECT_TRUE(NearRelative(*mde, c["mde_at_n"])) << name;
    const double mean = c["mean"];
    const double sd = c["sd"];
    EXPECT_NEAR(*mde * std::fabs(mean) / sd, c["statsmodels_solve_power_effect_size"].get<double>(),
                kStatsmodelsXtol)
        << name;

    const auto days = DaysNeeded(size->total_n, c["daily_units"]);
    ASSERT_TRUE(days.ok());
    EXPECT_TRUE(NearRelative(days->days_exact, c["days_exact"])) << name;
    EXPECT_EQ(days->days, c["days"].get<int64_t>()) << name;
  }
}

// Reference: ab_power.json "proportions": statsmodels NormalIndPower().power with the effect size
// |p2 - p1| / sqrt((p1(1-p1) + p2(1-p2))/2) of the unpooled z-test, solved tightly with brentq.
TEST(PowerTest, ProportionSampleSizeMatchesStatsmodelsNormalIndPower) {
  const nlohmann::json fixture = LoadFixture("ab_power.json");
  ASSERT_GE(fixture["cases"]["proportions"].size(), 4u);
  for (const auto& c : fixture["cases"]["proportions"]) {
    const std::string name = c["name"];
    PowerSettings settings;
    settings.alpha = c["alpha"];
    settings.power = c["power"];
    settings.arms = c["arms"];
    const auto size = SampleSizeForProportion(c["baseline_rate"], c["mde"], settings);
    ASSERT_TRUE(size.ok()) << name << ": " << size.status();
    EXPECT_TRUE(NearRelative(size->effect_size, c["effect_size"])) << name;
    EXPECT_TRUE(NearRelative(size->n_per_arm_exact, c["n_per_arm_exact"])) << name;
    EXPECT_NEAR(size->n_per_arm_exact, c["statsmodels_solve_power_n"].get<double>(),
                kStatsmodelsXtol)
        << name;
    EXPECT_EQ(size->n_per_arm, c["n_per_arm"].get<int64_t>()) << name;
    EXPECT_EQ(size->total_n, c["total_n"].get<int64_t>()) << name;
    EXPECT_TRUE(
        NearRelative(NormalTestPower(c["effect_size"], c["n_per_arm"].get<double>(), c["alpha"]),
                     c["power_at_n_per_arm"]))
        << name;
    const auto mde = MinimumDetectableEffectForProportion(
        c["baseline_rate"], c["mde_n_per_arm"].get<double>(), settings);
    ASSERT_TRUE(mde.ok()) << name << ": " << mde.status();
    EXPECT_TRUE(NearRelative(*mde, c["mde_at_n"])) << name;
    const auto days = DaysNeeded(size->total_n, c["daily_units"]);
    ASSERT_TRUE(days.ok());
    EXPECT_EQ(days->days, c["days"].get<int64_t>()) << name;
  }
}

TEST(PowerTest, MoreArmsScaleTheTotalNotTheArm) {
  PowerSettings two;
  PowerSettings five;
  five.arms = 5;
  const auto a = SampleSizeForMean(10, 5, 0.02, two);
  const auto b = SampleSizeForMean(10, 5, 0.02, five);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->n_per_arm, b->n_per_arm);
  EXPECT_EQ(b->total_n, 5 * b->n_per_arm);
}

TEST(PowerTest, SampleSizeAndMinimumDetectableEffectAreInverse) {
  const auto size = SampleSizeForMean(3.0, 4.0, 0.05);
  ASSERT_TRUE(size.ok());
  const auto mde = MinimumDetectableEffectForMean(3.0, 4.0, size->n_per_arm_exact);
  ASSERT_TRUE(mde.ok());
  EXPECT_TRUE(NearRelative(*mde, 0.05, 1e-9));
}

TEST(PowerTest, DaysNeededCountsUnitsAlreadyEnrolled) {
  const auto days = DaysNeeded(10000, 1500.0, 4000);
  ASSERT_TRUE(days.ok());
  EXPECT_DOUBLE_EQ(days->days_exact, 4.0);
  EXPECT_EQ(days->days, 4);
  const auto done = DaysNeeded(10000, 1500.0, 12000);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->days, 0);
}

TEST(PowerTest, RejectsBadPlansNamingTheField) {
  PowerSettings settings;
  settings.power = 0.03;
  EXPECT_THAT(SampleSizeForMean(10, 5, 0.02, settings).status().message(),
              HasSubstr("power must be in (alpha, 1), got 0.03"));
  EXPECT_THAT(SampleSizeForMean(0, 5, 0.02).status().message(),
              HasSubstr("mean must be finite and non-zero"));
  EXPECT_THAT(SampleSizeForMean(10, 0, 0.02).status().message(),
              HasSubstr("sd must be finite and > 0"));
  EXPECT_THAT(SampleSizeForProportion(0.6, 0.8).status().message(),
              HasSubstr("mde moves the rate outside (0, 1)"));
  EXPECT_THAT(SampleSizeForProportion(1.0, 0.1).status().message(),
              HasSubstr("baseline rate must be in (0, 1), got 1"));
  settings = PowerSettings{};
  settings.arms = 1;
  EXPECT_THAT(SampleSizeForProportion(0.1, 0.1, settings).status().message(),
              HasSubstr("arms must be >= 2, got 1"));
  EXPECT_THAT(DaysNeeded(100, 0.0).status().message(),
              HasSubstr("daily units must be finite and > 0"));
  EXPECT_EQ(MinimumDetectableEffectForMean(10, 5, 1.0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MinimumDetectableEffectForProportion(0.5, 1.0).status().code(),
            absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace lift::stats
