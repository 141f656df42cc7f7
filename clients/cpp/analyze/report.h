// Output of `liftctl analyze`: one JSON object (`--json`) or aligned human-readable tables.
//
// JSON keys (stable; readouts reuse the A/B ones per metric):
//   ab     source, kind, kind_inferred, covariate, settings{...}, control, variants[{name, n, mean,
//          weight, expected_fraction, observed_fraction}], srm{chi2, p_value, df, flagged,
//          threshold}, results[{variant, n, mean, control_n, control_mean, absolute{estimate, se,
//          ci_low, ci_high, p_value, df, valid}, relative{...}, cuped{theta, variance_reduction,
//          adjusted, absolute{...}, relative{...}} | null, primary ("cuped" | "plain"), p_value,
//          sequential{tuning, total_n, absolute{...}, relative{...}} | null,
//          bayesian{chance_to_win, risk_control, risk_treatment, posterior_mean, posterior_sd,
//          ci_low, ci_high, valid}, guardrail{margin, direction, status, p_value, lower_bound,
//          flags[]} | null, adjusted_p_value, flags[]}]
//   did    source, method, estimate, se, ci_low, ci_high, p_value, df, valid, flags[],
//          pre_trend{estimate, se, ci_low, ci_high, p_value, df, valid, flags[]}, panel_2x2{method,
//          estimate, se, ci_low, ci_high, p_value, df, valid, flags[], treated_units,
//          control_units, units_dropped}, alpha, post_from, periods_are_dates, n_observations,
//          n_units, n_treated_units, n_periods, n_pre_periods, cr1_factor, periods[{period, post,
//          treatment_mean, treatment_n, control_mean, control_n}]
//   power  kind, alpha, power, arms, mean, sd | rate, mde, effect_size, n_per_arm,
//          n_per_arm_exact, total_n, daily_units, days, days_exact (null when not applicable)
// Flags are ResultFlagName strings, e.g. "zero_baseline". Numbers are written with full precision.
// Pure formatting; thread-compatible.
#ifndef LIFT_CLIENTS_CPP_ANALYZE_REPORT_H_
#define LIFT_CLIENTS_CPP_ANALYZE_REPORT_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "clients/cpp/analyze/ab_input.h"
#include "clients/cpp/analyze/did_input.h"
#include "stats/ab_analysis.h"
#include "stats/diff_in_diff.h"
#include "stats/power.h"

namespace lift::analyze {

using Json = nlohmann::ordered_json;

// --- ab ---
Json AbReportJson(const AbData& data, const stats::AbAnalysisSettings& settings,
                  const stats::AbAnalysisResult& result);
void PrintAbReport(const AbData& data, const stats::AbAnalysisSettings& settings,
                   const stats::AbAnalysisResult& result, std::ostream& out);

// --- did ---
// Means of each group per period (plot-ready), computed from the observations.
struct PeriodMeans {
  std::string period;
  bool post = false;
  stats::MeanStats treatment;
  stats::MeanStats control;
};
struct DidReport {
  double alpha = 0.05;
  std::string post_from;
  stats::TwfeDidResult twfe;
  stats::DidResult panel;       // 2x2 on per-unit changes
  stats::PanelChanges changes;  // what the 2x2 used
  std::vector<PeriodMeans> periods;
};
std::vector<PeriodMeans> MeansByPeriod(const DidData& data);
Json DidReportJson(const DidData& data, const DidReport& report);
void PrintDidReport(const DidData& data, const DidReport& report, std::ostream& out);

// --- power ---
struct PowerReport {
  stats::MetricKind kind = stats::MetricKind::kMean;
  stats::PowerSettings settings;
  double mean = 0.0;              // kMean
  double sd = 0.0;                // kMean
  double rate = 0.0;              // kProportion
  double mde = 0.0;               // relative; given, or solved for when n_per_arm_given
  bool mde_solved = false;        // true: --n-per-arm given, the MDE is the answer
  stats::SampleSize sample_size;  // n per arm and total (given or solved)
  std::optional<double> daily_units;
  std::optional<stats::Duration> duration;
};
Json PowerReportJson(const PowerReport& report);
void PrintPowerReport(const PowerReport& report, std::ostream& out);

}  // namespace lift::analyze

#endif  // LIFT_CLIENTS_CPP_ANALYZE_REPORT_H_
