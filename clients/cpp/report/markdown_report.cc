#include "clients/cpp/report/markdown_report.h"

#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "clients/cpp/report/text.h"

namespace lift::report {
namespace {

std::string Code(const std::string& key) { return absl::StrCat("`", key, "`"); }

std::string KpiLabel(const v1::Kpi& kpi) {
  return kpi.name().empty() ? Code(kpi.metric_key())
                            : absl::StrCat(MarkdownEscape(kpi.name()), " (", Code(kpi.metric_key()),
                                           ")");
}

std::string Value(const v1::WeeklyValue& value) {
  return value.defined() ? Number(value.value()) : "n/a";
}

std::string Change(const v1::KpiChange& change) {
  if (!change.defined()) return "n/a";
  return Percent(change.relative(), 1);
}

std::string Sparkline(const v1::Kpi& kpi) {
  std::vector<std::optional<double>> values;
  for (const v1::WeeklyValue& week : kpi.history()) {
    values.push_back(week.defined() ? std::optional<double>(week.value()) : std::nullopt);
  }
  return UnicodeSparkline(values);
}

std::string Optional(bool has, double value) { return has ? Number(value) : "-"; }

std::string EffectCell(const v1::Effect& effect) {
  if (!effect.valid()) return "n/a";
  return absl::StrCat(Percent(effect.estimate()), " [", Percent(effect.ci_low()), ", ",
                      Percent(effect.ci_high()), "]");
}

void AppendReadoutBody(const v1::Readout& readout, std::string* out) {
  for (const std::string& reason : readout.decision().reasons()) {
    absl::StrAppend(out, "- ", MarkdownEscape(reason), "\n");
  }
  const v1::Health& health = readout.health();
  absl::StrAppend(out, absl::StrFormat(
      "\nPhase %d, %.1f days, SRM p = %.3g%s, multiple exposures excluded: %d, alpha %g.\n\n",
      readout.phase(), health.days_running(), health.srm().p_value(),
      health.srm().flagged() ? " (**flagged**)" : "", health.multiple_exposure_units(),
      readout.alpha()));
  if (readout.metrics().empty()) return;
  absl::StrAppend(out,
                  "| metric | role | variant | control | treatment | relative effect [CI] | adj. p "
                  "| result |\n|---|---|---|---:|---:|---:|---:|---|\n");
  for (const v1::MetricResult& metric : readout.metrics()) {
    for (const v1::VariantEffect& effect : metric.effects()) {
      absl::StrAppend(out, "| ", Code(metric.metric_key()), " | ", RoleName(metric.role()), " | ",
                      Code(effect.variant()), " | ", Number(effect.control_mean()), " | ",
                      Number(effect.mean()), " | ", EffectCell(PrimaryRelative(effect)), " | ",
                      absl::StrFormat("%.3g", effect.adjusted_p_value()), " | ",
                      Significance(effect), " |\n");
    }
  }
}

std::string ReadoutHeading(const v1::Readout& readout) {
  std::string heading = absl::StrCat(Code(readout.experiment_key()), " — ",
                                     VerdictName(readout.decision().verdict()));
  if (!readout.decision().variant().empty()) {
    absl::StrAppend(&heading, " ", Code(readout.decision().variant()));
  }
  return heading;
}

}  // namespace

std::string RenderReadoutMarkdown(const v1::Readout& readout) {
  std::string out = absl::StrCat("## ", ReadoutHeading(readout), "\n\n");
  AppendReadoutBody(readout, &out);
  return out;
}

std::string RenderReviewMarkdown(const v1::WeeklyReview& review) {
  std::string out = absl::StrFormat(
      "# Weekly review %s (%s to %s)\n\n", review.week(), Date(review.week_start_micros()),
      Date(review.week_end_micros() - 1));

  absl::StrAppend(&out, "## Alerts\n\n");
  if (review.alerts().empty()) absl::StrAppend(&out, "No alerts.\n");
  for (const v1::ReviewAlert& alert : review.alerts()) {
    absl::StrAppend(&out, "- **", absl::AsciiStrToUpper(SeverityName(alert.severity())), "** ",
                    AlertKindName(alert.kind()), " ", Code(alert.subject()), ": ",
                    MarkdownEscape(alert.message()), "\n");
  }

  if (!review.north_star().empty()) {
    absl::StrAppend(&out, "\n## North star\n\n| metric | this week | vs last week | vs 4 weeks "
                          "ago | target | attainment | trend |\n|---|---:|---:|---:|---:|---:|---|\n");
    for (const v1::Kpi& kpi : review.north_star()) {
      absl::StrAppend(&out, "| ", KpiLabel(kpi), " | ", Value(kpi.current()), " | ",
                      Change(kpi.vs_last_week()), " | ", Change(kpi.vs_4_weeks_ago()), " | ",
                      Optional(kpi.has_target(), kpi.target()), " | ",
                      kpi.has_target() ? absl::StrFormat("%.0f%%", 100 * kpi.target_attainment())
                                       : std::string("-"),
                      " | ", Sparkline(kpi), " |\n");
    }
  }
  if (!review.key_results().empty()) {
    absl::StrAppend(&out, "\n## Key results\n\n| metric | current | baseline | target | target "
                          "date | projected | status | trend |\n"
                          "|---|---:|---:|---:|---|---:|---|---|\n");
    for (const v1::Kpi& kpi : review.key_results()) {
      const v1::KeyResultProgress& progress = kpi.key_result();
      absl::StrAppend(
          &out, "| ", KpiLabel(kpi), " | ", Value(kpi.current()), " | ",
          Optional(kpi.has_baseline(), kpi.baseline()), " | ",
          Optional(kpi.has_target(), kpi.target()), " | ",
          progress.target_date().empty() ? "-" : progress.target_date(), " | ",
          progress.status() == v1::KeyResultProgress::STATUS_UNSPECIFIED
              ? std::string("-")
              : Number(progress.projected_value()),
          " | ", KeyResultStatusName(progress.status()), " | ", Sparkline(kpi), " |\n");
    }
  }
  if (!review.guardrails().empty()) {
    absl::StrAppend(&out, "\n## Guardrails\n\n| metric | this week | vs last week | warning | "
                          "alert | level | trend |\n|---|---:|---:|---:|---:|---|---|\n");
    for (const v1::Kpi& kpi : review.guardrails()) {
      const v1::GuardrailLevel& level = kpi.guardrail();
      absl::StrAppend(&out, "| ", KpiLabel(kpi), " | ", Value(kpi.current()), " | ",
                      Change(kpi.vs_last_week()), " | ",
                      Optional(level.has_warning_threshold(), level.warning_threshold()), " | ",
                      Optional(level.has_alert_threshold(), level.alert_threshold()), " | ",
                      absl::AsciiStrToUpper(GuardrailLevelName(level.level())), " | ",
                      Sparkline(kpi), " |\n");
    }
  }
  if (!review.inputs().empty()) {
    absl::StrAppend(&out, "\n## Inputs\n\n| metric | this week | vs last week | vs 4 weeks ago | "
                          "trend |\n|---|---:|---:|---:|---|\n");
    for (const v1::Kpi& kpi : review.inputs()) {
      absl::StrAppend(&out, "| ", KpiLabel(kpi), " | ", Value(kpi.current()), " | ",
                      Change(kpi.vs_last_week()), " | ", Change(kpi.vs_4_weeks_ago()), " | ",
                      Sparkline(kpi), " |\n");
    }
  }

  absl::StrAppend(&out, "\n## Experiments\n\n");
  if (review.experiments().empty()) {
    absl::StrAppend(&out, "No experiment ran this week.\n");
  } else {
    absl::StrAppend(&out, "| experiment | owner | status | verdict | primary effect | what "
                          "changed |\n|---|---|---|---|---:|---|\n");
    for (const v1::ReviewExperiment& experiment : review.experiments()) {
      const v1::ExperimentChange& change = experiment.change();
      absl::StrAppend(
          &out, "| ", Code(experiment.key()),
          experiment.name().empty() ? "" : absl::StrCat(" ", MarkdownEscape(experiment.name())),
          " | ", MarkdownEscape(experiment.owner()), " | ", experiment.status(), " | ",
          experiment.error().empty() ? VerdictName(experiment.readout().decision().verdict())
                                     : "ERROR",
          " | ",
          change.primary_metric_key().empty()
              ? std::string("-")
              : absl::StrCat(Code(change.primary_metric_key()), " ",
                             EffectCell(change.primary_effect())),
          " | ",
          experiment.error().empty() ? MarkdownEscape(change.summary())
                                     : MarkdownEscape(experiment.error()),
          " |\n");
    }
    for (const v1::ReviewExperiment& experiment : review.experiments()) {
      if (!experiment.error().empty()) {
        absl::StrAppend(&out, "\n### ", Code(experiment.key()), " — no readout\n\n",
                        MarkdownEscape(experiment.error()), "\n");
        continue;
      }
      absl::StrAppend(&out, "\n### ", ReadoutHeading(experiment.readout()), "\n\n");
      AppendReadoutBody(experiment.readout(), &out);
    }
  }

  absl::StrAppend(&out, "\n## Launches\n\n");
  if (review.launches().empty()) {
    absl::StrAppend(&out, "No registered launch has its post-launch window in this week.\n");
  } else {
    absl::StrAppend(&out, "| launch | launched | metric | difference in differences [CI] | "
                          "pre-trend |\n|---|---|---|---:|---|\n");
    for (const v1::ReviewLaunch& item : review.launches()) {
      const v1::Launch& launch = item.launch();
      const std::string head = absl::StrCat(
          "| ", Code(launch.key()),
          launch.name().empty() ? "" : absl::StrCat(" ", MarkdownEscape(launch.name())), " | ",
          Date(launch.launch_at_micros()), " | ");
      if (!item.error().empty()) {
        absl::StrAppend(&out, head, "- | ", MarkdownEscape(item.error()), " | - |\n");
        continue;
      }
      for (const v1::LaunchMetricResult& result : item.analysis().metrics()) {
        absl::StrAppend(&out, head, Code(result.metric_key()), " | ", LaunchEffectText(result),
                        " | ", LaunchPreTrendText(result), " |\n");
      }
    }
  }

  absl::StrAppend(&out, "\n## Cohort retention\n\n");
  if (!review.cohorts().empty()) {
    absl::StrAppend(&out, "| first seen | units");
    std::string rule = "|---|---:";
    for (int k = 0; k < review.cohorts_size(); ++k) {
      absl::StrAppend(&out, " | week ", k);
      absl::StrAppend(&rule, "|---:");
    }
    absl::StrAppend(&out, " |\n", rule, "|\n");
    for (const v1::Cohort& cohort : review.cohorts()) {
      absl::StrAppend(&out, "| ", cohort.week(), " | ", cohort.units());
      for (int k = 0; k < review.cohorts_size(); ++k) {
        absl::StrAppend(&out, " | ",
                        k < cohort.retention_size() && cohort.units() > 0
                            ? absl::StrFormat("%.1f%%", 100 * cohort.retention(k))
                            : std::string(""));
      }
      absl::StrAppend(&out, " |\n");
    }
  }

  const v1::DauMau& stickiness = review.dau_mau();
  std::vector<std::optional<double>> ratios;
  for (const v1::DauMau& week : review.dau_mau_trend()) ratios.push_back(week.ratio());
  absl::StrAppend(&out, absl::StrFormat(
      "\n## DAU/MAU\n\nThis week %.1f%% (DAU %.1f, MAU %d). Trend over %d weeks: %s\n",
      100 * stickiness.ratio(), stickiness.dau(), stickiness.mau(), review.dau_mau_trend_size(),
      UnicodeSparkline(ratios)));
  return out;
}

}  // namespace lift::report
