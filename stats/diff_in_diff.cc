#include "stats/diff_in_diff.h"

#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <map>
#include <numeric>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "stats/status_macros.h"

namespace lift::stats {
namespace {

// A variance is treated as exactly zero when it is below this fraction of the mean square (sums of
// equal doubles leave rounding residue of order 1e-16 relative).
constexpr double kZeroVarianceRelative = 1e-12;
// The effect is not identified when the period effects explain all but this fraction of the
// within-unit variation of the treatment indicator (1 - R^2 is rounding noise, ~1e-28, then).
constexpr double kNotIdentifiedRelative = 1e-10;
// The regression fits exactly when the residual sum of squares is below this fraction of the
// within-unit sum of squares.
constexpr double kPerfectFitRelative = 1e-24;

absl::Status ValidateAlpha(double alpha) {
  if (!(alpha > 0.0 && alpha < 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat("alpha must be in (0, 1), got ", alpha));
  }
  return absl::OkStatus();
}

bool HasZeroVariance(const MeanStats& stats) {
  if (stats.n < 2) return true;
  const double mean_square = stats.sum_sq / static_cast<double>(stats.n);
  return stats.Variance() <= kZeroVarianceRelative * mean_square;
}

// An estimate shown without inference (Estimate's contract for valid == false).
Estimate Uninformative(double estimate) {
  Estimate result;
  result.estimate = estimate;
  result.se = 0.0;
  result.ci_low = estimate;
  result.ci_high = estimate;
  result.p_value = 1.0;
  result.df = 0.0;
  result.valid = false;
  return result;
}

// Two-sided CI and p-value of `estimate` with standard error `se` (> 0) against the t
// distribution with `df` degrees of freedom, or the standard normal when df == 0.
Estimate WithInference(double estimate, double se, double df, double alpha) {
  Estimate result;
  result.estimate = estimate;
  result.se = se;
  result.df = df;
  result.valid = true;
  const double statistic = std::fabs(estimate / se);
  double critical = 0.0;
  if (df > 0.0) {
    const boost::math::students_t_distribution<double> t(df);
    critical = boost::math::quantile(boost::math::complement(t, alpha / 2.0));
    result.p_value = 2.0 * boost::math::cdf(boost::math::complement(t, statistic));
  } else {
    const boost::math::normal_distribution<double> normal(0.0, 1.0);
    critical = boost::math::quantile(boost::math::complement(normal, alpha / 2.0));
    result.p_value = 2.0 * boost::math::cdf(boost::math::complement(normal, statistic));
  }
  result.p_value = std::min(1.0, result.p_value);
  result.ci_low = estimate - critical * se;
  result.ci_high = estimate + critical * se;
  return result;
}

// --- Panels --------------------------------------------------------------------------------------

// Checks what PanelObservation input may get wrong; see the header.
absl::Status ValidatePanel(const std::vector<PanelObservation>& observations,
                           int64_t first_post_period) {
  if (observations.empty()) {
    return absl::InvalidArgumentError("observations must not be empty");
  }
  std::unordered_map<int64_t, std::pair<bool, size_t>> treated_by_unit;
  int64_t earliest = observations.front().period;
  int64_t latest = observations.front().period;
  for (size_t i = 0; i < observations.size(); ++i) {
    const PanelObservation& observation = observations[i];
    if (!std::isfinite(observation.value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("observations[", i, "].value must be finite, got ", observation.value));
    }
    const auto [it, inserted] =
        treated_by_unit.try_emplace(observation.unit, observation.treated, i);
    if (!inserted && it->second.first != observation.treated) {
      return absl::InvalidArgumentError(absl::StrCat(
          "observations[", i, "].treated must be the same for every observation of a unit: unit ",
          observation.unit, " is ", it->second.first ? "treated" : "control", " in observations[",
          it->second.second, "]"));
    }
    earliest = std::min(earliest, observation.period);
    latest = std::max(latest, observation.period);
  }
  if (earliest >= first_post_period) {
    return absl::InvalidArgumentError(
        absl::StrCat("first_post_period (", first_post_period,
                     ") must leave a pre-period: the earliest period is ", earliest));
  }
  if (latest < first_post_period) {
    return absl::InvalidArgumentError(
        absl::StrCat("first_post_period (", first_post_period,
                     ") must leave a post-period: the latest period is ", latest));
  }
  return absl::OkStatus();
}

// Dense re-indexing of a validated panel: units in order of first appearance, periods sorted.
struct IndexedPanel {
  std::vector<int> unit;      // per observation, in [0, n_units)
  std::vector<int> period;    // per observation, in [0, n_periods), ordered like the raw periods
  std::vector<double> value;  // per observation
  std::vector<double> treatment;  // per observation: treated x post indicator
  std::vector<char> unit_treated;
  int n_units = 0;
  int n_periods = 0;
  int n_pre_periods = 0;
};

IndexedPanel IndexPanel(const std::vector<PanelObservation>& observations,
                        const std::vector<size_t>& rows, int64_t first_post_period) {
  IndexedPanel panel;
  std::vector<int64_t> periods;
  periods.reserve(rows.size());
  for (size_t row : rows) periods.push_back(observations[row].period);
  std::sort(periods.begin(), periods.end());
  periods.erase(std::unique(periods.begin(), periods.end()), periods.end());
  panel.n_periods = static_cast<int>(periods.size());
  panel.n_pre_periods = static_cast<int>(
      std::lower_bound(periods.begin(), periods.end(), first_post_period) - periods.begin());

  std::unordered_map<int64_t, int> unit_index;
  panel.unit.reserve(rows.size());
  panel.period.reserve(rows.size());
  panel.value.reserve(rows.size());
  panel.treatment.reserve(rows.size());
  for (size_t row : rows) {
    const PanelObservation& observation = observations[row];
    const auto [it, inserted] = unit_index.try_emplace(observation.unit, panel.n_units);
    if (inserted) {
      ++panel.n_units;
      panel.unit_treated.push_back(observation.treated ? 1 : 0);
    }
    panel.unit.push_back(it->second);
    panel.period.push_back(static_cast<int>(
        std::lower_bound(periods.begin(), periods.end(), observation.period) - periods.begin()));
    panel.value.push_back(observation.value);
    const bool post = observation.period >= first_post_period;
    panel.treatment.push_back(observation.treated && post ? 1.0 : 0.0);
  }
  return panel;
}

struct TwfeFit {
  Estimate effect;
  std::vector<ResultFlag> flags;
  int64_t n_observations = 0;
  int64_t n_units = 0;
  int64_t n_treated_units = 0;
  int64_t n_periods = 0;
  int64_t n_pre_periods = 0;
  double cr1_factor = 0.0;
};

// Number of regressors left after absorbing unit and period effects: the treated x post indicator.
constexpr int kTwfeRegressors = 1;

// Two-way fixed effects OLS of value on unit effects, period effects and `treatment`, with
// unit-clustered CR1 standard errors (see the header for the conventions).
TwfeFit FitTwoWayFixedEffects(const IndexedPanel& panel, double alpha) {
  TwfeFit fit;
  const int64_t n = static_cast<int64_t>(panel.value.size());
  fit.n_observations = n;
  fit.n_units = panel.n_units;
  fit.n_periods = panel.n_periods;
  fit.n_pre_periods = panel.n_pre_periods;
  fit.n_treated_units = std::count(panel.unit_treated.begin(), panel.unit_treated.end(), 1);
  fit.effect = Uninformative(0.0);

  if (fit.n_treated_units == 0 || fit.n_treated_units == fit.n_units) {
    fit.flags.push_back(ResultFlag::kEmptyArm);
    return fit;
  }
  if (fit.n_units < 2) {
    fit.flags.push_back(ResultFlag::kSampleTooSmall);
    return fit;
  }

  // 1. Sweep out unit effects: demean value and treatment within each unit.
  const int units = panel.n_units;
  std::vector<double> unit_count(units, 0.0), unit_value(units, 0.0), unit_treatment(units, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    unit_count[panel.unit[i]] += 1.0;
    unit_value[panel.unit[i]] += panel.value[i];
    unit_treatment[panel.unit[i]] += panel.treatment[i];
  }
  for (int u = 0; u < units; ++u) {
    unit_value[u] /= unit_count[u];
    unit_treatment[u] /= unit_count[u];
  }
  std::vector<double> value_within(n), treatment_within(n);
  double within_sum_sq = 0.0, treatment_within_sum_sq = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    value_within[i] = panel.value[i] - unit_value[panel.unit[i]];
    treatment_within[i] = panel.treatment[i] - unit_treatment[panel.unit[i]];
    within_sum_sq += value_within[i] * value_within[i];
    treatment_within_sum_sq += treatment_within[i] * treatment_within[i];
  }

  // 2. Reduced normal equations for the period effects (period 0 is the reference level):
  //    A = P' M P = diag(n_t) - sum_i c_i c_i' / n_i, where c_i counts unit i's rows per period;
  //    right-hand sides P' M y = P' y_within and P' M D = P' D_within. Units sharing a pattern
  //    (c_i, n_i) share one rank-one update weighted by their number, so a balanced panel costs
  //    O(T^2) here instead of O(G T^2).
  const int columns = panel.n_periods - 1;
  Eigen::MatrixXd normal_matrix = Eigen::MatrixXd::Zero(columns, columns);
  Eigen::MatrixXd rhs = Eigen::MatrixXd::Zero(columns, 2);
  for (int64_t i = 0; i < n; ++i) {
    const int period = panel.period[i];
    if (period == 0) continue;
    normal_matrix(period - 1, period - 1) += 1.0;
    rhs(period - 1, 0) += value_within[i];
    rhs(period - 1, 1) += treatment_within[i];
  }
  // Rows of each unit (counting sort by unit).
  std::vector<int64_t> unit_start(units + 1, 0);
  for (int64_t i = 0; i < n; ++i) ++unit_start[panel.unit[i] + 1];
  for (int u = 0; u < units; ++u) unit_start[u + 1] += unit_start[u];
  std::vector<int64_t> rows_by_unit(n);
  {
    std::vector<int64_t> next(unit_start.begin(), unit_start.end() - 1);
    for (int64_t i = 0; i < n; ++i) rows_by_unit[next[panel.unit[i]]++] = i;
  }
  // Pattern of a unit: its row count n_i (key element -1), then (column, rows) sorted by column.
  std::map<std::vector<std::pair<int, double>>, double> weight_by_pattern;  // sum of 1/n_i
  std::vector<double> rows_in_column(std::max(columns, 1), 0.0);
  std::vector<int> touched;
  std::vector<std::pair<int, double>> pattern;
  for (int u = 0; u < units; ++u) {
    touched.clear();
    for (int64_t k = unit_start[u]; k < unit_start[u + 1]; ++k) {
      const int period = panel.period[rows_by_unit[k]];
      if (period == 0) continue;
      if (rows_in_column[period - 1] == 0.0) touched.push_back(period - 1);
      rows_in_column[period - 1] += 1.0;
    }
    std::sort(touched.begin(), touched.end());
    pattern.clear();
    pattern.emplace_back(-1, unit_count[u]);
    for (int column : touched) {
      pattern.emplace_back(column, rows_in_column[column]);
      rows_in_column[column] = 0.0;
    }
    weight_by_pattern[pattern] += 1.0 / unit_count[u];
  }
  for (const auto& [key, weight] : weight_by_pattern) {
    for (size_t a = 1; a < key.size(); ++a) {
      for (size_t b = 1; b < key.size(); ++b) {
        normal_matrix(key[a].first, key[b].first) -= weight * key[a].second * key[b].second;
      }
    }
  }
  const Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> decomposition(normal_matrix);
  const Eigen::MatrixXd gamma = decomposition.solve(rhs);  // columns: value, treatment

  // 3. Residualise on the period effects: (M P gamma)_row = gamma[t] - mean of gamma over the
  //    unit's rows.
  std::vector<double> unit_gamma_value(units, 0.0), unit_gamma_treatment(units, 0.0);
  auto gamma_at = [&gamma](int period, int column) {
    return period == 0 ? 0.0 : gamma(period - 1, column);
  };
  for (int64_t i = 0; i < n; ++i) {
    unit_gamma_value[panel.unit[i]] += gamma_at(panel.period[i], 0);
    unit_gamma_treatment[panel.unit[i]] += gamma_at(panel.period[i], 1);
  }
  std::vector<double> value_residual(n), treatment_residual(n);
  double treatment_sum_sq = 0.0, cross = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const int unit = panel.unit[i];
    value_residual[i] = value_within[i] -
                        (gamma_at(panel.period[i], 0) - unit_gamma_value[unit] / unit_count[unit]);
    treatment_residual[i] = treatment_within[i] - (gamma_at(panel.period[i], 1) -
                                                   unit_gamma_treatment[unit] / unit_count[unit]);
    treatment_sum_sq += treatment_residual[i] * treatment_residual[i];
    cross += treatment_residual[i] * value_residual[i];
  }
  if (treatment_within_sum_sq == 0.0 ||
      treatment_sum_sq <= kNotIdentifiedRelative * treatment_within_sum_sq) {
    // D lies in the span of the fixed effects: no treated unit is observed on both sides of the
    // start, or the post periods have no control rows.
    fit.flags.push_back(ResultFlag::kNotIdentified);
    return fit;
  }

  // 4. beta by Frisch-Waugh-Lovell, then the clustered sandwich on the residualised indicator:
  //    Var(beta) = c * sum_g (sum_{i in g} d_i e_i)^2 / (sum_i d_i^2)^2.
  const double beta = cross / treatment_sum_sq;
  std::vector<double> score(units, 0.0);
  double residual_sum_sq = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double residual = value_residual[i] - beta * treatment_residual[i];
    residual_sum_sq += residual * residual;
    score[panel.unit[i]] += treatment_residual[i] * residual;
  }
  double meat = 0.0;
  for (double s : score) meat += s * s;
  const double clusters = static_cast<double>(units);
  const double rows = static_cast<double>(n);
  fit.cr1_factor = clusters / (clusters - 1.0) * (rows - 1.0) / (rows - kTwfeRegressors);
  if (within_sum_sq == 0.0 || residual_sum_sq <= kPerfectFitRelative * within_sum_sq ||
      meat == 0.0) {
    fit.effect = Uninformative(beta);
    fit.flags.push_back(ResultFlag::kZeroVariance);
    return fit;
  }
  const double se = std::sqrt(fit.cr1_factor * meat) / treatment_sum_sq;
  fit.effect = WithInference(beta, se, clusters - 1.0, alpha);
  return fit;
}

}  // namespace

std::string_view DidMethodName(DidMethod method) {
  switch (method) {
    case DidMethod::kPanelChanges:
      return "panel_changes";
    case DidMethod::kCrossSections:
      return "cross_sections";
    case DidMethod::kTwoWayFixedEffects:
      return "twfe_cluster";
  }
  return "unknown";
}

absl::StatusOr<DidResult> PanelDid(const MeanStats& treated_change, const MeanStats& control_change,
                                   const DidSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidateAlpha(settings.alpha));
  LIFT_RETURN_IF_ERROR(ValidateMeanStats(treated_change, "treated_change."));
  LIFT_RETURN_IF_ERROR(ValidateMeanStats(control_change, "control_change."));

  DidResult result;
  result.method = DidMethod::kPanelChanges;
  if (treated_change.n == 0 || control_change.n == 0) {
    result.effect = Uninformative(0.0);
    result.flags.push_back(ResultFlag::kEmptyArm);
    return result;
  }
  const double estimate = treated_change.Mean() - control_change.Mean();
  if (treated_change.n < 2 || control_change.n < 2) {
    result.effect = Uninformative(estimate);
    result.flags.push_back(ResultFlag::kSampleTooSmall);
    return result;
  }
  const bool treated_constant = HasZeroVariance(treated_change);
  const bool control_constant = HasZeroVariance(control_change);
  if (treated_constant && control_constant) {
    result.effect = Uninformative(estimate);
    result.flags.push_back(ResultFlag::kZeroVariance);
    return result;
  }
  // Welch: v_g = s_g^2 / n_g, se^2 = v_t + v_c, df = (v_t + v_c)^2 / sum_g v_g^2 / (n_g - 1).
  const double v_treated =
      treated_constant ? 0.0 : treated_change.Variance() / static_cast<double>(treated_change.n);
  const double v_control =
      control_constant ? 0.0 : control_change.Variance() / static_cast<double>(control_change.n);
  const double variance = v_treated + v_control;
  const double df = variance * variance /
                    (v_treated * v_treated / static_cast<double>(treated_change.n - 1) +
                     v_control * v_control / static_cast<double>(control_change.n - 1));
  result.effect = WithInference(estimate, std::sqrt(variance), df, settings.alpha);
  return result;
}

absl::StatusOr<PanelChanges> CollapsePanelToChanges(
    const std::vector<PanelObservation>& observations, int64_t first_post_period) {
  LIFT_RETURN_IF_ERROR(ValidatePanel(observations, first_post_period));
  struct UnitSums {
    bool treated = false;
    double pre_sum = 0.0, post_sum = 0.0;
    int64_t pre_n = 0, post_n = 0;
  };
  std::unordered_map<int64_t, size_t> index;
  std::vector<UnitSums> units;
  for (const PanelObservation& observation : observations) {
    const auto [it, inserted] = index.try_emplace(observation.unit, units.size());
    if (inserted) units.push_back(UnitSums{observation.treated});
    UnitSums& sums = units[it->second];
    if (observation.period < first_post_period) {
      sums.pre_sum += observation.value;
      ++sums.pre_n;
    } else {
      sums.post_sum += observation.value;
      ++sums.post_n;
    }
  }
  PanelChanges changes;
  for (const UnitSums& sums : units) {
    if (sums.pre_n == 0 || sums.post_n == 0) {
      ++changes.units_dropped;
      continue;
    }
    const double change = sums.post_sum / static_cast<double>(sums.post_n) -
                          sums.pre_sum / static_cast<double>(sums.pre_n);
    MeanStats& group = sums.treated ? changes.treated : changes.control;
    group += MeanStats{1, change, change * change};
  }
  return changes;
}

absl::StatusOr<DidResult> CrossSectionDid(const CrossSectionCells& cells,
                                          const DidSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidateAlpha(settings.alpha));
  LIFT_RETURN_IF_ERROR(ValidateMeanStats(cells.treated_pre, "cells.treated_pre."));
  LIFT_RETURN_IF_ERROR(ValidateMeanStats(cells.treated_post, "cells.treated_post."));
  LIFT_RETURN_IF_ERROR(ValidateMeanStats(cells.control_pre, "cells.control_pre."));
  LIFT_RETURN_IF_ERROR(ValidateMeanStats(cells.control_post, "cells.control_post."));

  DidResult result;
  result.method = DidMethod::kCrossSections;
  const MeanStats* all[] = {&cells.treated_pre, &cells.treated_post, &cells.control_pre,
                            &cells.control_post};
  for (const MeanStats* cell : all) {
    if (cell->n == 0) {
      result.effect = Uninformative(0.0);
      result.flags.push_back(ResultFlag::kEmptyArm);
      return result;
    }
  }
  const double estimate = (cells.treated_post.Mean() - cells.treated_pre.Mean()) -
                          (cells.control_post.Mean() - cells.control_pre.Mean());
  for (const MeanStats* cell : all) {
    if (cell->n < 2) {
      result.effect = Uninformative(estimate);
      result.flags.push_back(ResultFlag::kSampleTooSmall);
      return result;
    }
  }
  double variance = 0.0, df_denominator = 0.0;
  for (const MeanStats* cell : all) {
    if (HasZeroVariance(*cell)) continue;
    const double v = cell->Variance() / static_cast<double>(cell->n);
    variance += v;
    df_denominator += v * v / static_cast<double>(cell->n - 1);
  }
  if (variance == 0.0) {
    result.effect = Uninformative(estimate);
    result.flags.push_back(ResultFlag::kZeroVariance);
    return result;
  }
  const double df = settings.cross_section_df == CrossSectionDf::kNormal
                        ? 0.0
                        : variance * variance / df_denominator;
  result.effect = WithInference(estimate, std::sqrt(variance), df, settings.alpha);
  return result;
}

absl::StatusOr<TwfeDidResult> TwoWayFixedEffectsDid(
    const std::vector<PanelObservation>& observations, int64_t first_post_period,
    const DidSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidateAlpha(settings.alpha));
  LIFT_RETURN_IF_ERROR(ValidatePanel(observations, first_post_period));

  std::vector<size_t> all_rows(observations.size());
  std::iota(all_rows.begin(), all_rows.end(), size_t{0});
  const TwfeFit fit =
      FitTwoWayFixedEffects(IndexPanel(observations, all_rows, first_post_period), settings.alpha);

  TwfeDidResult result;
  result.did.method = DidMethod::kTwoWayFixedEffects;
  result.did.effect = fit.effect;
  result.did.flags = fit.flags;
  result.n_observations = fit.n_observations;
  result.n_units = fit.n_units;
  result.n_treated_units = fit.n_treated_units;
  result.n_periods = fit.n_periods;
  result.n_pre_periods = fit.n_pre_periods;
  result.n_regressors = kTwfeRegressors;
  result.cr1_factor = fit.cr1_factor;

  // Placebo: pre-period rows only, the last pre-period playing "post".
  std::vector<size_t> pre_rows;
  int64_t last_pre_period = 0;
  bool have_pre = false;
  for (size_t row = 0; row < observations.size(); ++row) {
    if (observations[row].period >= first_post_period) continue;
    pre_rows.push_back(row);
    last_pre_period =
        have_pre ? std::max(last_pre_period, observations[row].period) : observations[row].period;
    have_pre = true;
  }
  if (result.n_pre_periods < 2) {
    result.pre_trend = Uninformative(0.0);
    result.pre_trend_flags.push_back(ResultFlag::kNoPrePeriods);
    return result;
  }
  const TwfeFit placebo =
      FitTwoWayFixedEffects(IndexPanel(observations, pre_rows, last_pre_period), settings.alpha);
  result.pre_trend = placebo.effect;
  result.pre_trend_flags = placebo.flags;
  return result;
}

}  // namespace lift::stats
