#include "tests/report/review_fixture.h"

#include "absl/strings/str_cat.h"

namespace lift::report::testing {
namespace {

constexpr int64_t kDay = 86'400'000'000LL;
constexpr int64_t kWeekStart = 1'794'787'200'000'000LL;  // 2026-11-16T00:00:00Z (Monday, W47)

v1::Effect MakeEffect(double estimate, double half_width, double p) {
  v1::Effect effect;
  effect.set_estimate(estimate);
  effect.set_se(half_width / 1.96);
  effect.set_ci_low(estimate - half_width);
  effect.set_ci_high(estimate + half_width);
  effect.set_p_value(p);
  effect.set_valid(true);
  return effect;
}

void AddMetric(v1::Readout* readout, const std::string& key, const std::string& name,
               v1::MetricRole role, double control_mean, double lift, double half_width,
               double p) {
  v1::MetricResult* metric = readout->add_metrics();
  metric->set_metric_key(key);
  metric->set_metric_version(1);
  metric->set_name(name);
  metric->set_role(role);
  metric->set_kind(v1::METRIC_KIND_MEAN);
  metric->set_direction(v1::METRIC_DIRECTION_INCREASE);
  v1::VariantEffect* effect = metric->add_effects();
  effect->set_variant("treatment");
  effect->set_n(5000);
  effect->set_control_n(5000);
  effect->set_control_mean(control_mean);
  effect->set_mean(control_mean * (1 + lift));
  *effect->mutable_relative() = MakeEffect(lift, half_width, p);
  *effect->mutable_absolute() = MakeEffect(control_mean * lift, control_mean * half_width, p);
  effect->set_p_value(p);
  effect->set_adjusted_p_value(p);
  const bool significant = p <= 0.05;
  effect->set_significant_better(significant && lift > 0);
  effect->set_significant_worse(significant && lift < 0);
  effect->mutable_bayesian()->set_valid(true);
  effect->mutable_bayesian()->set_chance_to_win(lift > 0 ? 0.97 : 0.08);
  if (role == v1::METRIC_ROLE_GUARDRAIL) {
    effect->mutable_guardrail()->set_margin(0.02);
    effect->mutable_guardrail()->set_status(lift < -0.02 ? v1::GuardrailCheck::STATUS_FAIL
                                                         : v1::GuardrailCheck::STATUS_PASS);
  }
}

v1::WeeklyValue Week(int index, double value, int64_t active) {
  v1::WeeklyValue week;
  week.set_week(absl::StrCat("2026-W", 36 + index));
  week.set_week_start_micros(kWeekStart - (11 - index) * 7 * kDay);
  week.set_value(value);
  week.set_defined(true);
  week.set_active_units(active);
  return week;
}

v1::Kpi MakeKpi(const std::string& key, const std::string& name, v1::MetricTier tier,
                double start, double step) {
  v1::Kpi kpi;
  kpi.set_metric_key(key);
  kpi.set_metric_version(2);
  kpi.set_name(name);
  kpi.set_tier(tier);
  kpi.set_kind(v1::METRIC_KIND_PROPORTION);
  kpi.set_direction(v1::METRIC_DIRECTION_INCREASE);
  for (int i = 0; i < 12; ++i) *kpi.add_history() = Week(i, start + step * i + (i % 3) * 0.001, 1000 + 10 * i);
  *kpi.mutable_current() = kpi.history(11);
  const double now = kpi.current().value();
  auto change = [&](int back) {
    v1::KpiChange out;
    const v1::WeeklyValue& then = kpi.history(11 - back);
    out.set_week(then.week());
    out.set_previous(then.value());
    out.set_absolute(now - then.value());
    out.set_relative((now - then.value()) / then.value());
    out.set_defined(true);
    return out;
  };
  *kpi.mutable_vs_last_week() = change(1);
  *kpi.mutable_vs_4_weeks_ago() = change(4);
  return kpi;
}

}  // namespace

v1::Readout SampleReadout(const std::string& key, v1::Decision::Verdict verdict, double lift,
                          bool with_timeseries) {
  v1::Readout readout;
  readout.set_experiment_key(key);
  readout.set_phase(1);
  readout.set_phase_started_at_micros(kWeekStart - 10 * kDay);
  readout.set_analysis_end_micros(kWeekStart + 7 * kDay);
  readout.set_alpha(0.05);
  readout.set_sequential(true);
  readout.set_control_variant("control");
  for (const char* variant : {"control", "treatment"}) {
    v1::ReadoutVariant* out = readout.add_variants();
    out->set_key(variant);
    out->set_weight(0.5);
    out->set_units(5000);
    out->set_expected_fraction(0.5);
    out->set_observed_fraction(0.5);
  }
  AddMetric(&readout, "conversion", "Checkout conversion", v1::METRIC_ROLE_SUCCESS, 0.12, lift,
            0.02, lift > 0.02 ? 0.001 : 0.4);
  AddMetric(&readout, "latency_ms", "Page latency", v1::METRIC_ROLE_GUARDRAIL, 850,
            verdict == v1::Decision::VERDICT_DONT_SHIP ? -0.06 : 0.004, 0.015,
            verdict == v1::Decision::VERDICT_DONT_SHIP ? 0.0001 : 0.6);
  v1::Health* health = readout.mutable_health();
  health->mutable_srm()->set_p_value(0.42);
  health->mutable_srm()->set_threshold(0.001);
  health->set_days_running(17);
  readout.mutable_decision()->set_verdict(verdict);
  if (verdict == v1::Decision::VERDICT_SHIP) readout.mutable_decision()->set_variant("treatment");
  readout.mutable_decision()->add_reasons(
      absl::StrCat("conversion moved ", lift > 0 ? "up" : "within noise", " for treatment"));
  readout.mutable_decision()->add_reasons(absl::StrCat("reason with markup ", kInjection, " | *x*"));
  if (with_timeseries) {
    v1::MetricTimeseries* series = readout.add_timeseries();
    series->set_metric_key("conversion");
    series->set_variant("treatment");
    series->set_control_variant("control");
    for (int day = 1; day <= 10; ++day) {
      v1::TimeseriesPoint* point = series->add_points();
      point->set_as_of_micros(readout.phase_started_at_micros() + day * kDay);
      *point->mutable_relative() = MakeEffect(lift * (0.5 + day / 20.0), 0.2 / day, 0.1);
      *point->mutable_sequential_relative() = MakeEffect(lift * (0.5 + day / 20.0), 0.3 / day, 0.2);
    }
  }
  return readout;
}

v1::WeeklyReview SampleReview() {
  v1::WeeklyReview review;
  review.set_week("2026-W47");
  review.set_week_start_micros(kWeekStart);
  review.set_week_end_micros(kWeekStart + 7 * kDay);
  review.set_alpha(0.05);

  auto alert = [&](v1::ReviewAlert::Kind kind, v1::ReviewAlert::Severity severity,
                   const std::string& subject, const std::string& message) {
    v1::ReviewAlert* out = review.add_alerts();
    out->set_kind(kind);
    out->set_severity(severity);
    out->set_subject(subject);
    out->set_message(message);
  };
  alert(v1::ReviewAlert::KIND_THRESHOLD, v1::ReviewAlert::SEVERITY_CRITICAL, "error_rate",
        "Error rate is 0.061, above its alert threshold 0.05");
  alert(v1::ReviewAlert::KIND_TRACKING_GAP, v1::ReviewAlert::SEVERITY_WARNING, "page_view",
        absl::StrCat("event 'page_view' dropped ", kInjection));
  alert(v1::ReviewAlert::KIND_EXPERIMENT, v1::ReviewAlert::SEVERITY_INFO, "checkout-v2",
        "checkout-v2 changed verdict: KEEP_RUNNING → SHIP");

  *review.add_north_star() = MakeKpi("weekly_buyers", "Weekly buyers", v1::METRIC_TIER_NORTH_STAR,
                                     0.20, 0.002);
  review.mutable_north_star(0)->set_target(0.25);
  review.mutable_north_star(0)->set_target_attainment(review.north_star(0).current().value() / 0.25);

  v1::Kpi key_result = MakeKpi("activation", "Activation", v1::METRIC_TIER_KEY_RESULT, 0.30, 0.004);
  key_result.set_baseline(0.30);
  key_result.set_target(0.40);
  key_result.mutable_key_result()->set_status(v1::KeyResultProgress::STATUS_AT_RISK);
  key_result.mutable_key_result()->set_target_date("2026-12-31");
  key_result.mutable_key_result()->set_projected_value(0.3812);
  key_result.mutable_key_result()->set_note("projected 0.3812");
  *review.add_key_results() = key_result;

  v1::Kpi guardrail = MakeKpi("error_rate", "Error rate", v1::METRIC_TIER_GUARDRAIL, 0.02, 0.0037);
  guardrail.set_direction(v1::METRIC_DIRECTION_DECREASE);
  guardrail.mutable_guardrail()->set_level(v1::GuardrailLevel::LEVEL_RED);
  guardrail.mutable_guardrail()->set_warning_threshold(0.03);
  guardrail.mutable_guardrail()->set_alert_threshold(0.05);
  *review.add_guardrails() = guardrail;

  struct Spec {
    const char* key;
    v1::Decision::Verdict verdict;
    double lift;
  };
  for (const Spec& spec : {Spec{"checkout-v2", v1::Decision::VERDICT_SHIP, 0.08},
                           Spec{"fast-search", v1::Decision::VERDICT_DONT_SHIP, 0.01},
                           Spec{"new-onboarding", v1::Decision::VERDICT_KEEP_RUNNING, 0.004}}) {
    v1::ReviewExperiment* experiment = review.add_experiments();
    experiment->set_key(spec.key);
    experiment->set_name(std::string(spec.key) == "fast-search"
                             ? absl::StrCat("Search ", kInjection)
                             : "Checkout redesign");
    experiment->set_owner("growth \"team\" & co");
    experiment->set_status("running");
    experiment->set_phase(1);
    *experiment->mutable_readout() =
        SampleReadout(spec.key, spec.verdict, spec.lift, std::string(spec.key) == "checkout-v2");
    v1::ExperimentChange* change = experiment->mutable_change();
    change->set_has_previous(true);
    change->set_verdict(spec.verdict);
    change->set_previous_verdict(v1::Decision::VERDICT_KEEP_RUNNING);
    change->set_verdict_changed(spec.verdict != v1::Decision::VERDICT_KEEP_RUNNING);
    change->set_primary_metric_key("conversion");
    change->set_variant("treatment");
    *change->mutable_primary_effect() = experiment->readout().metrics(0).effects(0).relative();
    change->set_summary(absl::StrCat("verdict KEEP_RUNNING → ",
                                     v1::Decision::Verdict_Name(spec.verdict).substr(8)));
  }
  v1::ReviewExperiment* failed = review.add_experiments();
  failed->set_key("no-metrics");
  failed->set_status("running");
  failed->set_error("experiment 'no-metrics' names no metrics to analyse");

  v1::ReviewLaunch* launch = review.add_launches();
  launch->mutable_launch()->set_key("de-pricing");
  launch->mutable_launch()->set_name(absl::StrCat("Pricing in DE ", kInjection));
  launch->mutable_launch()->set_launch_at_micros(kWeekStart - 7 * kDay);
  v1::LaunchMetricResult* effect = launch->mutable_analysis()->add_metrics();
  effect->set_metric_key("conversion");
  effect->mutable_absolute()->set_valid(true);
  effect->mutable_absolute()->set_estimate(0.012);
  effect->mutable_absolute()->set_ci_low(0.004);
  effect->mutable_absolute()->set_ci_high(0.02);
  effect->mutable_absolute()->set_p_value(0.003);
  effect->mutable_relative()->set_valid(true);
  effect->mutable_relative()->set_estimate(0.1);
  effect->mutable_pre_trend()->mutable_placebo()->set_valid(true);
  effect->mutable_pre_trend()->mutable_placebo()->set_p_value(0.41);
  v1::ReviewLaunch* early = review.add_launches();
  early->mutable_launch()->set_key("at-outage");
  early->mutable_launch()->set_launch_at_micros(kWeekStart - kDay);
  early->set_error("group 'control' has no units in the window");

  for (int c = 0; c < 3; ++c) {
    v1::Cohort* cohort = review.add_cohorts();
    cohort->set_week(absl::StrCat("2026-W", 45 + c));
    cohort->set_week_start_micros(kWeekStart - (2 - c) * 7 * kDay);
    cohort->set_units(200 - 20 * c);
    for (int k = 0; k < 3 - c; ++k) {
      const int64_t active = k == 0 ? cohort->units() : cohort->units() * (40 - 5 * k) / 100;
      cohort->add_active_units(active);
      cohort->add_retention(static_cast<double>(active) / cohort->units());
    }
  }
  for (int w = 0; w < 4; ++w) {
    v1::DauMau* point = review.add_dau_mau_trend();
    point->set_week(absl::StrCat("2026-W", 44 + w));
    point->set_week_start_micros(kWeekStart - (3 - w) * 7 * kDay);
    point->set_dau(300 + 10 * w);
    point->set_mau(1500);
    point->set_ratio(point->dau() / 1500.0);
  }
  *review.mutable_dau_mau() = review.dau_mau_trend(3);
  return review;
}

}  // namespace lift::report::testing
