// Pure parts of the weekly review: ISO weeks, the alert rules and the KPI judgements. Expected
// values: ISO weeks from Python's datetime.isocalendar() / date.fromisocalendar(); medians, means
// and sample standard deviations by hand (shown in the comments).
#include <cmath>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/review/alert_rules.h"
#include "server/review/iso_week.h"
#include "server/review/kpi_status.h"

namespace lift::review {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kSecond = 1'000'000;

TEST(IsoWeekTest, ParsesFormatsAndFindsMondays) {
  auto week = ParseIsoWeek("2026-W47");
  ASSERT_TRUE(week.ok()) << week.status();
  EXPECT_EQ(week->year, 2026);
  EXPECT_EQ(week->week, 47);
  EXPECT_EQ(FormatIsoWeek(*week), "2026-W47");
  // python: datetime.date.fromisocalendar(2026, 47, 1) = 2026-11-16 -> epoch 1794787200.
  EXPECT_EQ(WeekStartMicros(*week), 1794787200LL * kSecond);
  EXPECT_EQ(FormatDate(WeekStartMicros(*week)), "2026-11-16");
}

TEST(IsoWeekTest, YearBoundaries) {
  // python: date(2020, 12, 31).isocalendar() = (2020, 53, 4); date(2021, 1, 3) = (2020, 53, 7);
  // date(2021, 1, 4) = (2021, 1, 1); date(2024, 12, 30) = (2025, 1, 1).
  const auto at = [](int y, int m, int d) { return DaysFromCivil(y, m, d) * kMicrosPerDay; };
  EXPECT_EQ(IsoWeekOf(at(2020, 12, 31)), (IsoWeek{2020, 53}));
  EXPECT_EQ(IsoWeekOf(at(2021, 1, 3) + kMicrosPerDay - 1), (IsoWeek{2020, 53}));
  EXPECT_EQ(IsoWeekOf(at(2021, 1, 4)), (IsoWeek{2021, 1}));
  EXPECT_EQ(IsoWeekOf(at(2024, 12, 30)), (IsoWeek{2025, 1}));
  EXPECT_EQ(WeeksInIsoYear(2020), 53);
  EXPECT_EQ(WeeksInIsoYear(2026), 53);  // python: date(2026, 12, 28).isocalendar()[1] = 53
  EXPECT_EQ(WeeksInIsoYear(2025), 52);
  EXPECT_EQ(AddWeeks(IsoWeek{2026, 1}, -1), (IsoWeek{2025, 52}));
  EXPECT_EQ(AddWeeks(IsoWeek{2020, 53}, 1), (IsoWeek{2021, 1}));
  // Thursday 2026-11-19 12:00 UTC: the last complete week is W46.
  EXPECT_EQ(LastCompleteWeek(at(2026, 11, 19) + 12 * 3600 * kSecond), (IsoWeek{2026, 46}));
  // Monday 00:00 exactly starts W47, so W46 is complete.
  EXPECT_EQ(LastCompleteWeek(at(2026, 11, 16)), (IsoWeek{2026, 46}));
}

TEST(IsoWeekTest, RejectsMalformedWeeksNamingTheField) {
  for (const char* text : {"2026-47", "2026W47", "2026-W4", "26-W47", "2026-w47", "2026-W47x", ""}) {
    auto week = ParseIsoWeek(text);
    ASSERT_FALSE(week.ok()) << text;
    EXPECT_EQ(week.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(week.status().message()), HasSubstr("week must look like 2026-W47"));
  }
  auto missing = ParseIsoWeek("2025-W53");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("week 53 does not exist in 2025"));
  EXPECT_FALSE(ParseIsoWeek("2026-W00").ok());
}

TEST(AlertRulesTest, AnomalyUsesThePreviousEightWeeklyChanges) {
  // Values rise by 1, 2, 1, 2, ... (changes alternate 1 and 2), then jump by 10.
  std::vector<std::optional<double>> values = {100};
  for (int i = 0; i < 9; ++i) values.push_back(*values.back() + (i % 2 == 0 ? 1 : 2));
  values.push_back(*values.back() + 10);
  const AnomalyCheck check = CheckAnomaly(values, 3.0);
  ASSERT_TRUE(check.evaluated);
  EXPECT_EQ(check.previous_changes, 8);
  // Previous 8 changes: 2,1,2,1,2,1,2,1 -> mean 1.5, sample sd sqrt(8 * 0.25 / 7) = 0.5345.
  EXPECT_DOUBLE_EQ(check.mean_change, 1.5);
  EXPECT_NEAR(check.sd_change, std::sqrt(2.0 / 7.0), 1e-12);
  EXPECT_DOUBLE_EQ(check.change, 10);
  EXPECT_NEAR(check.z, 8.5 / std::sqrt(2.0 / 7.0), 1e-9);
  EXPECT_TRUE(check.anomalous);
  // A steady trend is not an anomaly.
  values.back() = *values[values.size() - 2] + 2;
  EXPECT_FALSE(CheckAnomaly(values, 3.0).anomalous);
}

TEST(AlertRulesTest, AnomalyNeedsEnoughDefinedWeeks) {
  EXPECT_FALSE(CheckAnomaly({1.0, 2.0, 50.0}, 3.0).evaluated);
  EXPECT_FALSE(CheckAnomaly({1.0, 2.0, 3.0, 4.0, 5.0, std::nullopt}, 3.0).evaluated);
  // Flat history then a move: s = 0, any change is anomalous.
  const AnomalyCheck flat = CheckAnomaly({5.0, 5.0, 5.0, 5.0, 5.0, 6.0}, 3.0);
  EXPECT_TRUE(flat.evaluated);
  EXPECT_TRUE(flat.anomalous);
  EXPECT_TRUE(std::isinf(flat.z));
  EXPECT_FALSE(CheckAnomaly({5.0, 5.0, 5.0, 5.0, 5.0, 5.0}, 3.0).anomalous);
}

TEST(AlertRulesTest, TrackingGapAgainstTrailingMedian) {
  std::vector<int64_t> daily(28, 100);
  daily[3] = 0;  // one old outage does not move the median (100)
  for (int64_t count : {98, 103, 101, 20, 99, 0, 100}) daily.push_back(count);
  const auto gap = FindTrackingGap(daily, 7, 0.3);
  ASSERT_TRUE(gap.has_value());
  EXPECT_EQ(gap->day, 33);  // the zero day is the worst
  EXPECT_EQ(gap->count, 0);
  EXPECT_DOUBLE_EQ(gap->trailing_median, 100);  // 28 trailing days, 27 of them ~100
  const auto alert = TrackingGapAlert("page_view", daily, 0, 7, 0.3);
  ASSERT_TRUE(alert.has_value());
  EXPECT_EQ(alert->severity(), v1::ReviewAlert::SEVERITY_CRITICAL);
  EXPECT_EQ(alert->kind(), v1::ReviewAlert::KIND_TRACKING_GAP);
  EXPECT_THAT(alert->message(), HasSubstr("event 'page_view' was logged 0 times on 1970-02-03"));
  // A day at 40 % of the median is not "far below" at ratio 0.3; low-volume events are ignored.
  std::vector<int64_t> mild(28, 100);
  for (int64_t count : {100, 40, 100, 100, 100, 100, 100}) mild.push_back(count);
  EXPECT_FALSE(FindTrackingGap(mild, 7, 0.3).has_value());
  std::vector<int64_t> sparse(28, 3);
  for (int i = 0; i < 7; ++i) sparse.push_back(0);
  EXPECT_FALSE(FindTrackingGap(sparse, 7, 0.3).has_value());
  EXPECT_DOUBLE_EQ(Median({4, 1, 3, 2}), 2.5);
}

TEST(AlertRulesTest, ExperimentAlertsAndOrdering) {
  v1::ReviewExperiment invalid;
  invalid.set_key("srm");
  invalid.mutable_readout()->mutable_decision()->set_verdict(v1::Decision::VERDICT_INVALID);
  invalid.mutable_readout()->mutable_decision()->add_reasons("sample ratio mismatch (p = 1e-9)");
  v1::ReviewExperiment changed;
  changed.set_key("winner");
  changed.mutable_readout()->mutable_decision()->set_verdict(v1::Decision::VERDICT_SHIP);
  changed.mutable_change()->set_has_previous(true);
  changed.mutable_change()->set_verdict_changed(true);
  changed.mutable_change()->set_previous_verdict(v1::Decision::VERDICT_KEEP_RUNNING);
  changed.mutable_change()->set_verdict(v1::Decision::VERDICT_SHIP);
  std::vector<v1::ReviewAlert> alerts = ExperimentAlerts(changed);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].severity(), v1::ReviewAlert::SEVERITY_INFO);
  EXPECT_THAT(alerts[0].message(), HasSubstr("KEEP_RUNNING → SHIP"));
  for (v1::ReviewAlert& alert : ExperimentAlerts(invalid)) alerts.push_back(alert);
  SortAlerts(&alerts);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].subject(), "srm");
  EXPECT_EQ(alerts[0].severity(), v1::ReviewAlert::SEVERITY_CRITICAL);
  EXPECT_THAT(alerts[0].message(), HasSubstr("is INVALID: sample ratio mismatch"));
}

TEST(KpiStatusTest, GuardrailLevelsFollowTheDirection) {
  // Error rate (decrease is good): warning 0.03, alert 0.05.
  EXPECT_EQ(GuardrailLevelOf(0.02, true, 0.03, 0.05, true).level(), v1::GuardrailLevel::LEVEL_GREEN);
  EXPECT_EQ(GuardrailLevelOf(0.04, true, 0.03, 0.05, true).level(), v1::GuardrailLevel::LEVEL_YELLOW);
  EXPECT_EQ(GuardrailLevelOf(0.06, true, 0.03, 0.05, true).level(), v1::GuardrailLevel::LEVEL_RED);
  // Availability (increase is good): warning 0.99, alert 0.95.
  EXPECT_EQ(GuardrailLevelOf(0.995, true, 0.99, 0.95, false).level(), v1::GuardrailLevel::LEVEL_GREEN);
  EXPECT_EQ(GuardrailLevelOf(0.97, true, 0.99, 0.95, false).level(), v1::GuardrailLevel::LEVEL_YELLOW);
  EXPECT_EQ(GuardrailLevelOf(0.90, true, 0.99, 0.95, false).level(), v1::GuardrailLevel::LEVEL_RED);
  EXPECT_EQ(GuardrailLevelOf(0.90, false, 0.99, 0.95, false).level(),
            v1::GuardrailLevel::LEVEL_UNSPECIFIED);
  EXPECT_EQ(GuardrailLevelOf(0.90, true, std::nullopt, std::nullopt, false).level(),
            v1::GuardrailLevel::LEVEL_UNSPECIFIED);
}

TEST(KpiStatusTest, KeyResultByLinearExtrapolation) {
  const int64_t start = DaysFromCivil(2026, 11, 16) * kMicrosPerDay;  // review week W47
  std::vector<WeekPoint> history;
  for (int i = 0; i < 4; ++i) {
    // 0.30, 0.31, 0.32, 0.33: +0.01 per week, exactly on a line.
    history.push_back({start - (3 - i) * kMicrosPerWeek, 0.30 + 0.01 * i, true});
  }
  // Target date 10 weeks after the review week's midpoint + half a week: line at x = 10.5 weeks
  // -> 0.33 + 0.105 = 0.435.
  const int64_t date = start + kMicrosPerWeek / 2 + static_cast<int64_t>(10.5 * kMicrosPerWeek);
  v1::KeyResultProgress on_track = KeyResultProgressOf(history, 0.40, 0.30, date, false);
  EXPECT_NEAR(on_track.slope_per_week(), 0.01, 1e-12);
  EXPECT_NEAR(on_track.projected_value(), 0.435, 1e-12);
  EXPECT_EQ(on_track.status(), v1::KeyResultProgress::STATUS_ON_TRACK);
  // Target 0.48: fraction (0.435 - 0.30) / 0.18 = 0.75 -> at risk; 0.60: 0.45 -> off track.
  EXPECT_EQ(KeyResultProgressOf(history, 0.48, 0.30, date, false).status(),
            v1::KeyResultProgress::STATUS_AT_RISK);
  EXPECT_NEAR(KeyResultProgressOf(history, 0.48, 0.30, date, false).projected_fraction(), 0.75,
              1e-12);
  EXPECT_EQ(KeyResultProgressOf(history, 0.60, 0.30, date, false).status(),
            v1::KeyResultProgress::STATUS_OFF_TRACK);
  // Decreasing target (churn 0.30 -> 0.20) while the value rises: off track.
  EXPECT_EQ(KeyResultProgressOf(history, 0.20, 0.30, date, true).status(),
            v1::KeyResultProgress::STATUS_OFF_TRACK);
  // No target / too little data.
  EXPECT_EQ(KeyResultProgressOf(history, std::nullopt, 0.30, date, false).status(),
            v1::KeyResultProgress::STATUS_UNSPECIFIED);
  EXPECT_EQ(KeyResultProgressOf({history.back()}, 0.40, 0.30, date, false).status(),
            v1::KeyResultProgress::STATUS_UNSPECIFIED);
  // Past target date: judged on the current value (0.33 of 0.30 -> 0.40 = 30 %).
  v1::KeyResultProgress past = KeyResultProgressOf(history, 0.40, 0.30, start, false);
  EXPECT_NEAR(past.projected_value(), 0.33, 1e-12);
  EXPECT_EQ(past.status(), v1::KeyResultProgress::STATUS_OFF_TRACK);
}

}  // namespace
}  // namespace lift::review
