// Properties every A/B estimator must have, whatever the data: swapping arms flips the sign of
// the effect and keeps the p-value; sufficient statistics add across shards exactly; the order in
// which units are summed does not matter; rescaling the metric leaves p-values and lifts alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "stats/cuped.h"
#include "stats/proportion_test.h"
#include "stats/ratio_metric.h"
#include "stats/welch_test.h"

namespace lift::stats {
namespace {

// Per-unit record rich enough for every kind of statistic.
struct Unit {
  double y;
  double x;
  double num_pre;
  double den_pre;
  double den;
};

// Values on a grid of 1/8 so that every sum and product is exact in double precision: then
// sharding and reordering must give bit-identical statistics, not merely close ones.
std::vector<Unit> DrawUnits(std::mt19937_64& rng, int n, double shift) {
  std::uniform_int_distribution<int> eighths(0, 160);
  std::uniform_int_distribution<int> sessions(1, 6);
  std::vector<Unit> units(n);
  for (Unit& u : units) {
    u.x = eighths(rng) / 8.0;
    u.y = std::floor(0.5 * u.x * 8.0) / 8.0 + eighths(rng) / 8.0 + shift;
    u.den = sessions(rng);
    u.num_pre = eighths(rng) / 8.0;
    u.den_pre = sessions(rng);
  }
  return units;
}

CovariateStats Covariate(const std::vector<Unit>& units) {
  CovariateStats s;
  for (const Unit& u : units) {
    s.y.n += 1;
    s.y.sum += u.y;
    s.y.sum_sq += u.y * u.y;
    s.sum_x += u.x;
    s.sum_x_sq += u.x * u.x;
    s.sum_xy += u.x * u.y;
  }
  return s;
}

RatioCovariateStats RatioCovariate(const std::vector<Unit>& units) {
  RatioCovariateStats s;
  for (const Unit& u : units) {
    s.post += RatioStats{1, u.y, u.y * u.y, u.den, u.den * u.den, u.y * u.den};
    s.pre += RatioStats{1,
                        u.num_pre,
                        u.num_pre * u.num_pre,
                        u.den_pre,
                        u.den_pre * u.den_pre,
                        u.num_pre * u.den_pre};
    s.sum_num_post_num_pre += u.y * u.num_pre;
    s.sum_den_post_den_pre += u.den * u.den_pre;
    s.sum_num_post_den_pre += u.y * u.den_pre;
    s.sum_den_post_num_pre += u.den * u.num_pre;
  }
  return s;
}

// 0/1 conversions: y above its median.
MeanStats Conversions(const std::vector<Unit>& units) {
  MeanStats s;
  for (const Unit& u : units) {
    const double converted = u.y > 10.0 ? 1.0 : 0.0;
    s.n += 1;
    s.sum += converted;
    s.sum_sq += converted;
  }
  return s;
}

class AbPropertyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(2718281828);
    control_ = DrawUnits(rng, 900, 0.0);
    treatment_ = DrawUnits(rng, 1100, 0.25);
  }
  std::vector<Unit> control_;
  std::vector<Unit> treatment_;
};

void ExpectMirrored(const Estimate& forward, const Estimate& backward) {
  EXPECT_DOUBLE_EQ(forward.estimate, -backward.estimate);
  EXPECT_DOUBLE_EQ(forward.se, backward.se);
  EXPECT_DOUBLE_EQ(forward.p_value, backward.p_value);
  EXPECT_DOUBLE_EQ(forward.ci_low, -backward.ci_high);
  EXPECT_DOUBLE_EQ(forward.ci_high, -backward.ci_low);
}

TEST_F(AbPropertyTest, SwappingArmsFlipsSignsAndKeepsP) {
  const CovariateStats c = Covariate(control_);
  const CovariateStats t = Covariate(treatment_);
  const auto welch = WelchTest(c.y, t.y);
  const auto welch_swapped = WelchTest(t.y, c.y);
  ASSERT_TRUE(welch.ok() && welch_swapped.ok());
  ExpectMirrored(welch->absolute, welch_swapped->absolute);
  EXPECT_LT(welch->relative.estimate * welch_swapped->relative.estimate, 0.0);

  const auto proportion = ProportionTest(Conversions(control_), Conversions(treatment_));
  const auto proportion_swapped = ProportionTest(Conversions(treatment_), Conversions(control_));
  ASSERT_TRUE(proportion.ok() && proportion_swapped.ok());
  ExpectMirrored(proportion->absolute, proportion_swapped->absolute);

  const RatioCovariateStats rc = RatioCovariate(control_);
  const RatioCovariateStats rt = RatioCovariate(treatment_);
  const auto ratio = RatioMetricTest(rc.post, rt.post);
  const auto ratio_swapped = RatioMetricTest(rt.post, rc.post);
  ASSERT_TRUE(ratio.ok() && ratio_swapped.ok());
  ExpectMirrored(ratio->absolute, ratio_swapped->absolute);

  const auto cuped = CupedTest(c, t);
  const auto cuped_swapped = CupedTest(t, c);
  ASSERT_TRUE(cuped.ok() && cuped_swapped.ok());
  EXPECT_DOUBLE_EQ(cuped->theta, cuped_swapped->theta);
  ExpectMirrored(cuped->absolute, cuped_swapped->absolute);
  EXPECT_LT(cuped->relative.estimate * cuped_swapped->relative.estimate, 0.0);

  const auto cuped_ratio = CupedRatioTest(rc, rt);
  const auto cuped_ratio_swapped = CupedRatioTest(rt, rc);
  ASSERT_TRUE(cuped_ratio.ok() && cuped_ratio_swapped.ok());
  EXPECT_DOUBLE_EQ(cuped_ratio->theta, cuped_ratio_swapped->theta);
  ExpectMirrored(cuped_ratio->absolute, cuped_ratio_swapped->absolute);
}

TEST_F(AbPropertyTest, StatisticsAddAcrossShardsExactly) {
  // Seven shards of uneven size, as a database partitioned by unit id would return them.
  auto sharded = [](const std::vector<Unit>& units) {
    CovariateStats covariate;
    RatioCovariateStats ratio;
    size_t begin = 0;
    for (size_t shard = 1; begin < units.size(); ++shard) {
      const size_t end = std::min(units.size(), begin + 37 * shard);
      const std::vector<Unit> part(units.begin() + begin, units.begin() + end);
      covariate += Covariate(part);
      ratio = ratio + RatioCovariate(part);
      begin = end;
    }
    return std::make_pair(covariate, ratio);
  };
  const auto [c_sharded, rc_sharded] = sharded(control_);
  const auto [t_sharded, rt_sharded] = sharded(treatment_);
  const CovariateStats c = Covariate(control_);
  const CovariateStats t = Covariate(treatment_);
  EXPECT_EQ(c_sharded.y.sum_sq, c.y.sum_sq);
  EXPECT_EQ(c_sharded.sum_xy, c.sum_xy);

  const auto whole = CupedTest(c, t);
  const auto from_shards = CupedTest(c_sharded, t_sharded);
  ASSERT_TRUE(whole.ok() && from_shards.ok());
  EXPECT_EQ(whole->absolute.p_value, from_shards->absolute.p_value);
  EXPECT_EQ(whole->relative.ci_low, from_shards->relative.ci_low);
  EXPECT_EQ(whole->theta, from_shards->theta);

  const auto ratio_whole = CupedRatioTest(RatioCovariate(control_), RatioCovariate(treatment_));
  const auto ratio_shards = CupedRatioTest(rc_sharded, rt_sharded);
  ASSERT_TRUE(ratio_whole.ok() && ratio_shards.ok());
  EXPECT_EQ(ratio_whole->absolute.p_value, ratio_shards->absolute.p_value);
  EXPECT_EQ(ratio_whole->relative.estimate, ratio_shards->relative.estimate);
}

TEST_F(AbPropertyTest, UnitOrderDoesNotMatter) {
  std::vector<Unit> shuffled_control = control_;
  std::vector<Unit> shuffled_treatment = treatment_;
  std::mt19937_64 rng(42);
  std::shuffle(shuffled_control.begin(), shuffled_control.end(), rng);
  std::shuffle(shuffled_treatment.begin(), shuffled_treatment.end(), rng);

  const auto original = CupedTest(Covariate(control_), Covariate(treatment_));
  const auto shuffled = CupedTest(Covariate(shuffled_control), Covariate(shuffled_treatment));
  ASSERT_TRUE(original.ok() && shuffled.ok());
  EXPECT_EQ(original->absolute.p_value, shuffled->absolute.p_value);
  EXPECT_EQ(original->relative.estimate, shuffled->relative.estimate);

  const auto welch = WelchTest(Covariate(control_).y, Covariate(treatment_).y);
  const auto welch_shuffled =
      WelchTest(Covariate(shuffled_control).y, Covariate(shuffled_treatment).y);
  ASSERT_TRUE(welch.ok() && welch_shuffled.ok());
  EXPECT_EQ(welch->absolute.p_value, welch_shuffled->absolute.p_value);
}

TEST_F(AbPropertyTest, RescalingTheMetricKeepsPValuesAndLifts) {
  // Reporting revenue in cents instead of dollars changes nothing but the absolute scale.
  const CovariateStats c = Covariate(control_);
  const CovariateStats t = Covariate(treatment_);
  auto scaled = [](MeanStats s, double factor) {
    return MeanStats{s.n, s.sum * factor, s.sum_sq * factor * factor};
  };
  const auto dollars = WelchTest(c.y, t.y);
  const auto cents = WelchTest(scaled(c.y, 100.0), scaled(t.y, 100.0));
  ASSERT_TRUE(dollars.ok() && cents.ok());
  EXPECT_NEAR(cents->absolute.p_value, dollars->absolute.p_value, 1e-12);
  EXPECT_NEAR(cents->absolute.estimate, 100.0 * dollars->absolute.estimate, 1e-9);
  EXPECT_NEAR(cents->relative.estimate, dollars->relative.estimate, 1e-12);
  EXPECT_NEAR(cents->relative.p_value, dollars->relative.p_value, 1e-12);
}

}  // namespace
}  // namespace lift::stats
