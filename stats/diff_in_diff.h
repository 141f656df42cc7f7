// Difference-in-differences (DiD): the effect of a treatment that starts at a known period,
// measured as the change in the treated group minus the change in the control group.
//
// Three estimators, picked by the shape of the data:
//   (a) PanelDid: a 2x2 from a panel. Each unit contributes its own change (post - pre); the effect
//       is the Welch two-sample difference of mean changes, treated minus control, with
//       Welch-Satterthwaite degrees of freedom (Welch 1947; the same test as
//       scipy.stats.ttest_ind(equal_var=False) on the changes). CollapsePanelToChanges builds
//       the per-unit changes from panel observations (mean of post minus mean of pre periods;
//       averaging several periods first is Bertrand, Duflo & Mullainathan 2004, sec. IV.C).
//   (b) CrossSectionDid: a 2x2 from repeated cross-sections: four independent cells
//       (treated/control x pre/post) of additive statistics. Effect
//       (T_post - T_pre) - (C_post - C_pre), variance sum_k s_k^2 / n_k (unpooled; equal to the
//       HC2 variance of the interaction in the saturated OLS y ~ treated * post). Degrees of
//       freedom: Welch-Satterthwaite generalised to four cells (Satterthwaite 1946),
//       df = (sum_k v_k)^2 / sum_k (v_k^2 / (n_k - 1)) with v_k = s_k^2 / n_k, or the standard
//       normal (df = 0) when `cross_section_df` asks for it (large cells).
//   (c) TwoWayFixedEffectsDid: several periods. OLS of y_it = a_i + l_t + beta * D_it + e_it with
//       unit effects a_i, period effects l_t and D_it = treated_i * [t >= first_post_period], for
//       balanced or unbalanced panels. beta is computed exactly (Frisch-Waugh-Lovell): unit effects
//       are swept out by within-unit demeaning, period effects by an exact least-squares solve of
//       the (T-1)-dimensional reduced normal equations (Eigen complete orthogonal decomposition),
//       giving the same beta and residuals as OLS with explicit unit and period dummies.
//       Standard errors are clustered by unit (Liang-Zeger sandwich on the residualised D) with the
//       CR1 small-sample factor G/(G-1) * (N-1)/(N-K): G units (clusters, every unit in the input),
//       N observations, K the regressors left after absorbing both fixed effects, i.e. K = 1 (the
//       treated x post indicator; the dummies are not counted, unlike statsmodels' cluster
//       correction, which counts every dummy column). Inference uses the t distribution with G - 1
//       degrees of freedom (Cameron & Miller 2015, sec. II.C and VI).
//       Pre-trend (placebo) check: the same estimator on the pre-periods only, with the last
//       pre-period treated as "post"; it needs at least two pre-periods.
//
// Errors and degenerate data. Malformed requests are InvalidArgument naming the field: alpha
// outside (0, 1), negative n or inconsistent sums in the MeanStats, an empty observation list, a
// non-finite value, a unit whose `treated` flag differs between its observations, or a
// `first_post_period` that leaves no observation before it (no pre-period) or none at/after it (no
// post-period). Data that does not support inference gives a result with `effect.valid == false`
// and a flag:
//   kEmptyArm        a group/cell has no units, or no treated or no control unit exists
//   kNotIdentified   (TWFE) the treatment indicator has no variation left after the fixed effects
//                    (e.g. no treated unit observed both before and after the start, or no control
//                    rows after it), so the effect is not identified; `effect.estimate` is 0
//   kSampleTooSmall  fewer than 2 units in a group/cell (no variance), or fewer than 2 clusters
//   kNoPrePeriods    (placebo only) fewer than 2 pre-periods, so there is no pre-trend to check
//   kZeroVariance    the standard error is 0 (every change equal, or a perfect fit)
// Identification failures are flags rather than errors because they depend on the data, not on the
// request: a readout over a thin segment must still render.
//
// Pure functions; thread-safe.
#ifndef LIFT_STATS_DIFF_IN_DIFF_H_
#define LIFT_STATS_DIFF_IN_DIFF_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "stats/estimate.h"
#include "stats/sufficient_statistics.h"

namespace lift::stats {

enum class DidMethod {
  kPanelChanges,        // (a) Welch on per-unit changes
  kCrossSections,       // (b) four-cell repeated cross-sections
  kTwoWayFixedEffects,  // (c) TWFE regression, unit-clustered CR1 standard errors
};

// Stable lower_snake_case name, e.g. "twfe_cluster" (used in JSON output).
std::string_view DidMethodName(DidMethod method);

// Reference distribution for the repeated cross-section estimator (b).
enum class CrossSectionDf {
  kWelchSatterthwaite,  // t with the four-cell Satterthwaite df (default)
  kNormal,              // standard normal (df = 0): large samples
};

struct DidSettings {
  double alpha = 0.05;  // two-sided CI level 1 - alpha; in (0, 1)
  CrossSectionDf cross_section_df = CrossSectionDf::kWelchSatterthwaite;
};

// One DiD estimate: treated-minus-control difference of changes.
struct DidResult {
  DidMethod method = DidMethod::kPanelChanges;
  Estimate effect;
  std::vector<ResultFlag> flags;
};

// One observation of a panel: the value of `unit` in `period`. Several observations of the same
// (unit, period) are allowed (they are separate rows of the regression).
struct PanelObservation {
  int64_t unit = 0;      // any id; identifies the cluster
  int64_t period = 0;    // ordered period index (e.g. a day number); only the order matters
  bool treated = false;  // the unit's group; must be the same on all of its observations
  double value = 0.0;
};

// Per-unit changes of a panel, as additive statistics per group.
struct PanelChanges {
  MeanStats treated;          // over treated units: change = mean(post values) - mean(pre values)
  MeanStats control;          // same over control units
  int64_t units_dropped = 0;  // units without an observation on both sides of first_post_period
};

// (a) Welch two-sample test of the mean change, treated minus control.
// InvalidArgument when a MeanStats is malformed or alpha is outside (0, 1).
absl::StatusOr<DidResult> PanelDid(const MeanStats& treated_change, const MeanStats& control_change,
                                   const DidSettings& settings = {});

// Builds the per-unit changes for PanelDid. Periods < first_post_period are "pre".
// InvalidArgument as described in the file comment (empty input, non-finite value, inconsistent
// treated flag, no pre- or no post-period).
absl::StatusOr<PanelChanges> CollapsePanelToChanges(
    const std::vector<PanelObservation>& observations, int64_t first_post_period);

// The four cells of a repeated cross-section design (different units in each cell).
struct CrossSectionCells {
  MeanStats treated_pre;
  MeanStats treated_post;
  MeanStats control_pre;
  MeanStats control_post;
};

// (b) 2x2 difference in differences from four independent cells.
// InvalidArgument when a cell is malformed (the message names it) or alpha is outside (0, 1).
absl::StatusOr<DidResult> CrossSectionDid(const CrossSectionCells& cells,
                                          const DidSettings& settings = {});

// (c) result: the effect, the placebo pre-trend check and what the regression used.
struct TwfeDidResult {
  DidResult did;                            // method kTwoWayFixedEffects
  Estimate pre_trend;                       // placebo estimate on the pre-periods
  std::vector<ResultFlag> pre_trend_flags;  // why pre_trend is invalid, if it is
  int64_t n_observations = 0;               // N
  int64_t n_units = 0;                      // G, clusters
  int64_t n_treated_units = 0;
  int64_t n_periods = 0;      // distinct periods
  int64_t n_pre_periods = 0;  // distinct periods before first_post_period
  int64_t n_regressors = 1;   // K in the CR1 factor
  double cr1_factor = 0.0;    // G/(G-1) * (N-1)/(N-K); 0 when not computed
};

// (c) two-way fixed effects DiD with unit-clustered CR1 standard errors and t(G-1) inference,
// plus the placebo pre-trend check. Cost O(N log T + P T^2 + T^3) time and O(N + P T + T^2)
// memory, P being the number of distinct row patterns over periods (1 for a balanced panel); about
// 1 s of CPU for 3 million rows here. Errors and flags as described in the file comment.
absl::StatusOr<TwfeDidResult> TwoWayFixedEffectsDid(
    const std::vector<PanelObservation>& observations, int64_t first_post_period,
    const DidSettings& settings = {});

}  // namespace lift::stats

#endif  // LIFT_STATS_DIFF_IN_DIFF_H_
