"""Reference fixtures for the A/B core of lift_stats (tests/stats/*_test.cc).

Every number comes from scipy / statsmodels, or from numpy applied to RAW per-unit data with the
formula named beside it, so the C++ code (which sees only sufficient statistics) is checked
against an independent computation. Seeds are fixed: re-running writes identical files.

Files (all under fixtures/):
  ab_welch.json             scipy.stats.ttest_ind(equal_var=False) + delta-method relative lift
  ab_proportion.json        statsmodels test_proportions_2indep / confint_proportions_2indep (wald)
  ab_ratio.json             delta method for Σnum/Σden, numpy on raw units
  ab_cuped.json             CUPED (Deng et al. 2013) on raw units, pooled θ, gbstats conventions
  ab_cuped_ratio.json       CUPED for ratio metrics (gbstats RegressionAdjustedRatioStatistic)
  ab_srm.json               scipy.stats.chisquare
  ab_multiple_testing.json  statsmodels.stats.multitest.multipletests (holm, fdr_bh)
  ab_power.json             statsmodels.stats.power TTestIndPower / NormalIndPower
  ab_guardrail.json         one-sided non-inferiority bounds with scipy.stats.t / norm
"""

import json
import pathlib
import warnings

import numpy as np
from scipy import optimize, stats
from statsmodels.stats import multitest, power as smpower, proportion

GENERATOR = "tests/reference/ref_ab.py"


def _write(out_dir, name, reference, cases):
    path = pathlib.Path(out_dir) / name
    payload = {"generator": GENERATOR, "reference": reference, "cases": cases}
    with open(path, "w") as handle:
        json.dump(payload, handle, indent=1, allow_nan=False)
        handle.write("\n")
    return path


def _f(x):
    """Plain Python float (json writes repr: round-trips exactly)."""
    return float(x)


def _mean_stats(values):
    values = np.asarray(values, dtype=np.float64)
    return {"n": int(values.size), "sum": _f(values.sum()), "sum_sq": _f((values * values).sum())}


def _t_estimate(estimate, se, df, alpha):
    """Two-sided estimate referred to Student's t (df > 0) or the normal (df == 0)."""
    dist = stats.t(df) if df > 0 else stats.norm()
    half = dist.ppf(1 - alpha / 2) * se
    return {"estimate": _f(estimate), "se": _f(se), "ci_low": _f(estimate - half),
            "ci_high": _f(estimate + half), "p_value": _f(2 * dist.sf(abs(estimate) / se)),
            "df": _f(df)}


def _welch_df(var_c, n_c, var_t, n_t):
    """Welch–Satterthwaite degrees of freedom."""
    a, b = var_c / n_c, var_t / n_t
    return (a + b) ** 2 / (a * a / (n_c - 1) + b * b / (n_t - 1))


def _relative(mean_c, var_c, n_c, mean_t, var_t, n_t):
    """Delta-method relative lift (t - c)/|c| and its standard error."""
    estimate = (mean_t - mean_c) / abs(mean_c)
    variance = var_t / (n_t * mean_c ** 2) + var_c * mean_t ** 2 / (n_c * mean_c ** 4)
    return estimate, np.sqrt(variance)


# ---------------------------------------------------------------------------------------------
# Welch t-test on means.

def _draw(rng, spec, n):
    kind = spec[0]
    if kind == "normal":
        return rng.normal(spec[1], spec[2], n)
    if kind == "lognormal":
        return rng.lognormal(spec[1], spec[2], n)
    if kind == "constant":
        return np.full(n, spec[1])
    raise ValueError(kind)


WELCH_CASES = [
    # name, seed, n_c, n_t, control distribution, treatment distribution, alpha
    ("normal_balanced", 101, 1000, 1000, ("normal", 10.0, 2.0), ("normal", 10.2, 2.0), 0.05),
    ("unequal_variance_and_n", 102, 300, 1700, ("normal", 5.0, 1.0), ("normal", 5.1, 4.0), 0.05),
    ("small_n", 103, 3, 5, ("normal", 1.0, 1.0), ("normal", 2.0, 3.0), 0.05),
    ("large_n", 104, 50000, 50000, ("normal", 100.0, 30.0), ("normal", 100.3, 30.0), 0.05),
    ("negative_control_mean", 105, 400, 500, ("normal", -3.0, 2.0), ("normal", -2.8, 2.5), 0.05),
    ("lognormal_skewed", 106, 2000, 2100, ("lognormal", 0.0, 1.0), ("lognormal", 0.05, 1.0), 0.05),
    ("alpha_0_01", 107, 800, 800, ("normal", 50.0, 10.0), ("normal", 51.0, 10.0), 0.01),
    ("alpha_0_2", 108, 150, 170, ("normal", 2.0, 1.5), ("normal", 2.1, 1.2), 0.2),
    ("constant_control", 109, 50, 60, ("constant", 5.0), ("normal", 5.5, 1.0), 0.05),
    ("strong_effect", 110, 2000, 2000, ("normal", 1.0, 1.0), ("normal", 1.5, 1.0), 0.05),
    ("treatment_lower", 111, 700, 650, ("normal", 20.0, 6.0), ("normal", 19.0, 5.0), 0.05),
]


def welch_cases():
    cases = []
    for name, seed, n_c, n_t, spec_c, spec_t, alpha in WELCH_CASES:
        rng = np.random.default_rng(seed)
        control = _draw(rng, spec_c, n_c)
        treatment = _draw(rng, spec_t, n_t)
        with warnings.catch_warnings():
            # A constant arm makes scipy warn about cancellation; its variance is exactly 0.
            warnings.simplefilter("ignore", RuntimeWarning)
            test = stats.ttest_ind(treatment, control, equal_var=False)
        mean_c, mean_t = control.mean(), treatment.mean()
        var_c, var_t = control.var(ddof=1), treatment.var(ddof=1)
        df = _welch_df(var_c, n_c, var_t, n_t)
        se = np.sqrt(var_c / n_c + var_t / n_t)
        absolute = _t_estimate(mean_t - mean_c, se, df, alpha)
        # The scipy statistic and p-value are the reference; the CI uses scipy's t quantile.
        assert abs(absolute["estimate"] / se - test.statistic) <= 1e-9 * abs(test.statistic)
        absolute["p_value"] = _f(test.pvalue)
        rel_estimate, rel_se = _relative(mean_c, var_c, n_c, mean_t, var_t, n_t)
        cases.append({
            "name": name, "alpha": alpha,
            "control": _mean_stats(control), "treatment": _mean_stats(treatment),
            "control_mean": _f(mean_c), "treatment_mean": _f(mean_t),
            "control_variance": _f(var_c), "treatment_variance": _f(var_t),
            "t_statistic": _f(test.statistic),
            "absolute": absolute,
            "relative": _t_estimate(rel_estimate, rel_se, df, alpha),
        })
    return cases


# ---------------------------------------------------------------------------------------------
# Two proportions, unpooled (Wald) normal approximation.

PROPORTION_CASES = [
    # name, n_c, successes_c, n_t, successes_t, alpha
    ("ten_percent", 1000, 100, 1000, 120, 0.05),
    ("five_percent_unequal_n", 5000, 250, 5100, 300, 0.05),
    ("rare_events", 200, 3, 180, 9, 0.05),
    ("large", 100000, 31234, 100000, 31789, 0.05),
    ("alpha_0_1", 50, 25, 60, 45, 0.1),
    ("treatment_worse", 2400, 480, 2500, 430, 0.01),
    ("zero_control_rate", 1000, 0, 1000, 5, 0.05),
]


def proportion_cases():
    cases = []
    for name, n_c, x_c, n_t, x_t, alpha in PROPORTION_CASES:
        # numpy scalars: statsmodels also forms p_t/p_c, which is inf (not an error) at p_c = 0.
        with np.errstate(divide="ignore", invalid="ignore"):
            test = proportion.test_proportions_2indep(
                np.float64(x_t), n_t, np.float64(x_c), n_c, method="wald", compare="diff")
            low, high = proportion.confint_proportions_2indep(
                np.float64(x_t), n_t, np.float64(x_c), n_c, method="wald", compare="diff",
                alpha=alpha)
        p_c, p_t = x_c / n_c, x_t / n_t
        var_c, var_t = p_c * (1 - p_c), p_t * (1 - p_t)
        se = np.sqrt(var_c / n_c + var_t / n_t)
        absolute = {"estimate": _f(p_t - p_c), "se": _f(se), "ci_low": _f(low),
                    "ci_high": _f(high), "p_value": _f(test.pvalue), "df": 0.0}
        case = {"name": name, "alpha": alpha,
                "control": {"n": n_c, "sum": float(x_c), "sum_sq": float(x_c)},
                "treatment": {"n": n_t, "sum": float(x_t), "sum_sq": float(x_t)},
                "statsmodels_statistic": _f(test.statistic),
                "absolute": absolute, "relative": None}
        if p_c > 0:
            rel_estimate, rel_se = _relative(p_c, var_c, n_c, p_t, var_t, n_t)
            case["relative"] = _t_estimate(rel_estimate, rel_se, 0, alpha)
        cases.append(case)
    return cases


# ---------------------------------------------------------------------------------------------
# Ratio metrics by the delta method.

def _ratio_units(rng, n, sessions_mean, value_per_session, numerator_noise):
    """Units with a session count (denominator) and revenue (numerator) correlated with it."""
    den = 1.0 + rng.poisson(sessions_mean, n)
    num = den * value_per_session + rng.normal(0.0, numerator_noise, n) * np.sqrt(den)
    return num, den


def _ratio_stats(num, den):
    return {"n": int(num.size), "sum_num": _f(num.sum()), "sum_num_sq": _f((num * num).sum()),
            "sum_den": _f(den.sum()), "sum_den_sq": _f((den * den).sum()),
            "sum_num_den": _f((num * den).sum())}


def _ratio_moments(num, den):
    """R = Σnum/Σden and the delta-method unit variance from np.cov of the raw pairs."""
    cov = np.cov(np.vstack([num, den]), ddof=1)
    m, d = num.mean(), den.mean()
    variance = cov[0, 0] / d ** 2 + cov[1, 1] * m ** 2 / d ** 4 - 2 * cov[0, 1] * m / d ** 3
    return num.sum() / den.sum(), variance


RATIO_CASES = [
    # name, seed, n_c, n_t, (sessions, value, noise) control, treatment, alpha
    ("revenue_per_session", 201, 2000, 2000, (3.0, 2.0, 1.0), (3.0, 2.1, 1.0), 0.05),
    ("unequal_n", 202, 500, 1500, (1.5, 5.0, 3.0), (1.6, 5.0, 3.0), 0.05),
    ("small_n", 203, 10, 12, (2.0, 1.0, 0.5), (2.0, 1.2, 0.5), 0.05),
    ("negative_values", 204, 800, 900, (4.0, -0.5, 2.0), (4.0, -0.4, 2.0), 0.1),
]


def ratio_cases():
    cases = []
    for name, seed, n_c, n_t, spec_c, spec_t, alpha in RATIO_CASES:
        rng = np.random.default_rng(seed)
        num_c, den_c = _ratio_units(rng, n_c, *spec_c)
        num_t, den_t = _ratio_units(rng, n_t, *spec_t)
        r_c, v_c = _ratio_moments(num_c, den_c)
        r_t, v_t = _ratio_moments(num_t, den_t)
        df = _welch_df(v_c, n_c, v_t, n_t)
        rel_estimate, rel_se = _relative(r_c, v_c, n_c, r_t, v_t, n_t)
        cases.append({
            "name": name, "alpha": alpha,
            "control": _ratio_stats(num_c, den_c), "treatment": _ratio_stats(num_t, den_t),
            "control_ratio": _f(r_c), "treatment_ratio": _f(r_t),
            "control_variance": _f(v_c), "treatment_variance": _f(v_t),
            "absolute": _t_estimate(r_t - r_c, np.sqrt(v_c / n_c + v_t / n_t), df, alpha),
            "relative": _t_estimate(rel_estimate, rel_se, df, alpha),
        })
    return cases


# ---------------------------------------------------------------------------------------------
# CUPED on means.

def _covariate_stats(x, y):
    stats_ = _mean_stats(y)
    return {"y": stats_, "sum_x": _f(x.sum()), "sum_x2": _f((x * x).sum()),
            "sum_xy": _f((x * y).sum())}


def _cuped_reference(x_c, y_c, x_t, y_t, alpha):
    """CUPED with θ pooled over both arms (Deng et al. 2013; gbstats compute_theta)."""
    x_all, y_all = np.concatenate([x_c, x_t]), np.concatenate([y_c, y_t])
    pooled = np.cov(np.vstack([x_all, y_all]), ddof=1)
    theta = pooled[0, 1] / pooled[0, 0]
    n_c, n_t = y_c.size, y_t.size
    adj_c, adj_t = y_c - theta * x_c, y_t - theta * x_t      # adjusted units, directly
    var_adj_c, var_adj_t = adj_c.var(ddof=1), adj_t.var(ddof=1)
    df = _welch_df(var_adj_c, n_c, var_adj_t, n_t)
    se_abs = np.sqrt(var_adj_c / n_c + var_adj_t / n_t)
    se_plain = np.sqrt(y_c.var(ddof=1) / n_c + y_t.var(ddof=1) / n_t)
    difference = adj_t.mean() - adj_c.mean()
    # Relative: (adj_t - adj_c)/|ȳ_c| with the unadjusted control mean; delta method over each
    # arm's (ȳ, x̄) with gbstats' gradients (frequentist_variance_relative_cuped).
    ybar_c, ybar_t = y_c.mean(), y_t.mean()
    cov_c = np.cov(np.vstack([y_c, x_c]), ddof=1)
    cov_t = np.cov(np.vstack([y_t, x_t]), ddof=1)
    grad_t = np.array([1 / ybar_c, -theta / ybar_c])
    grad_c = np.array([-ybar_t / ybar_c ** 2, theta / ybar_c])
    var_rel = grad_t @ cov_t @ grad_t / n_t + grad_c @ cov_c @ grad_c / n_c
    return {
        "theta": _f(theta),
        "variance_reduction": _f(1 - se_abs ** 2 / se_plain ** 2),
        "control_mean": _f(ybar_c), "treatment_mean": _f(ybar_t),
        "control_adjusted_mean": _f(adj_c.mean()), "treatment_adjusted_mean": _f(adj_t.mean()),
        "control_adjusted_variance": _f(var_adj_c), "treatment_adjusted_variance": _f(var_adj_t),
        "absolute": _t_estimate(difference, se_abs, df, alpha),
        "relative": _t_estimate(difference / abs(ybar_c), np.sqrt(var_rel), df, alpha),
    }


CUPED_CASES = [
    # name, seed, n_c, n_t, rho, effect, alpha
    ("rho_0_7", 301, 2000, 2000, 0.7, 0.05, 0.05),
    ("rho_0_3_unequal_n", 302, 800, 1500, 0.3, 0.02, 0.05),
    ("rho_0_95", 303, 500, 520, 0.95, 0.01, 0.05),
    ("negative_theta", 304, 1000, 1100, -0.6, -0.03, 0.1),
    ("small_n", 305, 8, 9, 0.8, 0.2, 0.05),
]


def _correlated_units(rng, n, rho, shift):
    x = rng.normal(10.0, 2.0, n)
    noise = rng.normal(0.0, 2.0, n)
    y = 5.0 + rho * (x - 10.0) + np.sqrt(1 - rho ** 2) * noise + shift
    return x, y


def cuped_cases():
    cases = []
    for name, seed, n_c, n_t, rho, effect, alpha in CUPED_CASES:
        rng = np.random.default_rng(seed)
        x_c, y_c = _correlated_units(rng, n_c, rho, 0.0)
        x_t, y_t = _correlated_units(rng, n_t, rho, effect * 5.0)
        case = {"name": name, "alpha": alpha,
                "control": _covariate_stats(x_c, y_c), "treatment": _covariate_stats(x_t, y_t)}
        case.update(_cuped_reference(x_c, y_c, x_t, y_t, alpha))
        cases.append(case)
    return cases


def cuped_identity_case():
    """Deng et al. 2013, Sec. 3.1: with θ = Cov(y,x)/Var(x), Var(y - θx) = Var(y)(1 - ρ²).

    Treatment repeats control's units with y shifted by a constant, so the pooled θ equals each
    arm's own optimal θ and the identity must hold per arm (up to rounding).
    """
    rng = np.random.default_rng(310)
    x, y = _correlated_units(rng, 3000, 0.6, 0.0)
    rho = np.corrcoef(x, y)[0, 1]
    return {
        "name": "variance_identity", "alpha": 0.05,
        "control": _covariate_stats(x, y), "treatment": _covariate_stats(x, y + 0.25),
        "rho": _f(rho), "variance_y": _f(y.var(ddof=1)),
        "expected_adjusted_variance": _f(y.var(ddof=1) * (1 - rho ** 2)),
    }


# ---------------------------------------------------------------------------------------------
# CUPED on ratio metrics (gbstats RegressionAdjustedRatioStatistic).

def _ratio_covariate_stats(m_post, d_post, m_pre, d_pre):
    return {"post": _ratio_stats(m_post, d_post), "pre": _ratio_stats(m_pre, d_pre),
            "sum_num_post_num_pre": _f((m_post * m_pre).sum()),
            "sum_den_post_den_pre": _f((d_post * d_pre).sum()),
            "sum_num_post_den_pre": _f((m_post * d_pre).sum()),
            "sum_den_post_num_pre": _f((d_post * m_pre).sum())}


def _cuped_ratio_reference(arms, alpha):
    """arms = [(m_post, d_post, m_pre, d_pre) for control, treatment]."""
    moments = []
    for m_post, d_post, m_pre, d_pre in arms:
        data = np.vstack([m_post, d_post, m_pre, d_pre])
        beta = data.mean(axis=1)
        lam = np.cov(data, ddof=1)
        g_post = np.array([1 / beta[1], -beta[0] / beta[1] ** 2, 0, 0])
        g_pre = np.array([0, 0, 1 / beta[3], -beta[2] / beta[3] ** 2])
        moments.append((m_post.size, beta, lam, g_post, g_pre))
    theta = (sum(g_post @ lam @ g_pre for _, _, lam, g_post, g_pre in moments)
             / sum(g_pre @ lam @ g_pre for _, _, lam, _, g_pre in moments))
    adjusted = []
    for n, beta, lam, g_post, g_pre in moments:
        gradient = g_post - theta * g_pre
        mean = beta[0] / beta[1] - theta * beta[2] / beta[3]
        adjusted.append((n, mean, gradient @ lam @ gradient, gradient, lam, g_post))
    (n_c, mean_c, var_c, grad_c, lam_c, g_post_c), (n_t, mean_t, var_t, grad_t, lam_t, _) = adjusted
    df = _welch_df(var_c, n_c, var_t, n_t)
    difference = mean_t - mean_c
    plain_var = sum(g_post @ lam @ g_post / n for n, _, lam, g_post, _ in moments)
    se_abs = np.sqrt(var_c / n_c + var_t / n_t)
    r_c = moments[0][1][0] / moments[0][1][1]
    r_t = moments[1][1][0] / moments[1][1][1]
    s = np.sign(r_c)
    rel_grad_c = s * (-grad_c * r_c - difference * g_post_c) / r_c ** 2
    rel_grad_t = s * grad_t / r_c
    var_rel = rel_grad_c @ lam_c @ rel_grad_c / n_c + rel_grad_t @ lam_t @ rel_grad_t / n_t
    return {
        "theta": _f(theta), "variance_reduction": _f(1 - se_abs ** 2 / plain_var),
        "control_mean": _f(r_c), "treatment_mean": _f(r_t),
        "control_adjusted_mean": _f(mean_c), "treatment_adjusted_mean": _f(mean_t),
        "control_adjusted_variance": _f(var_c), "treatment_adjusted_variance": _f(var_t),
        "absolute": _t_estimate(difference, se_abs, df, alpha),
        "relative": _t_estimate(difference / abs(r_c), np.sqrt(var_rel), df, alpha),
    }


def _ratio_panel(rng, n, value, lift):
    """Pre and post sessions and revenue per unit; a unit's habits persist across periods."""
    propensity = rng.gamma(2.0, 1.0, n)
    d_pre = 1.0 + rng.poisson(2.0 * propensity)
    d_post = 1.0 + rng.poisson(2.0 * propensity)
    spend = np.sign(value) * rng.gamma(4.0, abs(value) / 4.0, n)
    m_pre = d_pre * spend + rng.normal(0.0, 1.0, n)
    m_post = d_post * spend * (1.0 + lift) + rng.normal(0.0, 1.0, n)
    return m_post, d_post, m_pre, d_pre


CUPED_RATIO_CASES = [
    # name, seed, n_c, n_t, value per session, lift, alpha
    ("revenue_per_session", 401, 1500, 1500, 3.0, 0.02, 0.05),
    ("unequal_n", 402, 400, 900, 1.0, 0.0, 0.05),
    ("negative_ratio", 403, 600, 650, -2.0, 0.05, 0.1),
]


def cuped_ratio_cases():
    cases = []
    for name, seed, n_c, n_t, value, lift, alpha in CUPED_RATIO_CASES:
        rng = np.random.default_rng(seed)
        control = _ratio_panel(rng, n_c, value, 0.0)
        treatment = _ratio_panel(rng, n_t, value, lift)
        case = {"name": name, "alpha": alpha,
                "control": _ratio_covariate_stats(*control),
                "treatment": _ratio_covariate_stats(*treatment)}
        case.update(_cuped_ratio_reference([control, treatment], alpha))
        cases.append(case)
    return cases


# ---------------------------------------------------------------------------------------------
# Sample ratio mismatch.

SRM_CASES = [
    # name, counts, weights
    ("balanced_ok", [5012, 4988], [0.5, 0.5]),
    ("balanced_mismatch", [5200, 4800], [0.5, 0.5]),
    ("three_arms_unnormalised_weights", [2480, 2530, 5100], [1, 1, 2]),
    ("uneven_weights", [1950, 8050], [0.2, 0.8]),
    ("exact_match", [300, 600, 100], [0.3, 0.6, 0.1]),
    ("large_counts_small_skew", [1000000, 1004000], [50, 50]),
    ("tiny_counts", [3, 9], [0.5, 0.5]),
]


def srm_cases():
    cases = []
    for name, counts, weights in SRM_CASES:
        counts_ = np.asarray(counts, dtype=np.float64)
        weights_ = np.asarray(weights, dtype=np.float64)
        expected = counts_.sum() * weights_ / weights_.sum()
        test = stats.chisquare(counts_, f_exp=expected)
        cases.append({"name": name, "counts": counts, "weights": [float(w) for w in weights],
                      "expected_counts": [_f(e) for e in expected],
                      "chi2": _f(test.statistic), "p_value": _f(test.pvalue),
                      "df": len(counts) - 1, "flagged": bool(test.pvalue < 0.001)})
    return cases


# ---------------------------------------------------------------------------------------------
# Multiple testing.

FAMILIES = [
    ("textbook", [0.01, 0.04, 0.03, 0.005]),
    ("unsorted_with_ties", [0.2, 0.01, 0.04, 0.01, 0.5, 0.04]),
    ("with_zero_and_one", [0.0, 1.0, 0.03, 0.5]),
    ("single", [0.03]),
    ("all_small", [1e-10, 2e-8, 3e-6, 4e-4]),
    ("twenty_uniform", [float(p) for p in np.random.default_rng(501).uniform(0, 0.2, 20)]),
]


def multiple_testing_cases():
    cases = []
    for name, p_values in FAMILIES:
        holm = multitest.multipletests(p_values, method="holm")[1]
        bh = multitest.multipletests(p_values, method="fdr_bh")[1]
        cases.append({"name": name, "p_values": p_values, "holm": [_f(p) for p in holm],
                      "bh": [_f(p) for p in bh]})
    return cases


# ---------------------------------------------------------------------------------------------
# Power.

def _tight_root(function, low, high):
    with warnings.catch_warnings():
        # Far from the root the non-central t can lose all precision; brentq only needs signs.
        warnings.simplefilter("ignore", RuntimeWarning)
        return optimize.brentq(function, low, high, xtol=1e-13, rtol=4 * np.finfo(float).eps,
                               maxiter=500)


def _solve_power(solver, **kwds):
    """statsmodels' own solve_power; its bracket search probes n where the nct is imprecise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return solver.solve_power(**kwds)


def _ttest_power(d, n, alpha):
    return smpower.TTestIndPower().power(effect_size=d, nobs1=n, alpha=alpha, ratio=1.0,
                                         alternative="two-sided")


def _normal_power(d, n, alpha):
    return smpower.NormalIndPower().power(effect_size=d, nobs1=n, alpha=alpha, ratio=1.0,
                                          alternative="two-sided")


def _proportion_effect_size(p1, p2):
    """Effect size under which NormalIndPower is the unpooled two-proportion z-test."""
    return abs(p2 - p1) / np.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)


MEAN_POWER_CASES = [
    # name, mean, sd, relative mde, alpha, power, arms, n per arm for the MDE, daily units
    ("typical", 10.0, 5.0, 0.02, 0.05, 0.8, 2, 20000, 12000.0),
    ("large_effect", 100.0, 20.0, 0.10, 0.05, 0.9, 2, 50, 300.0),
    ("three_arms", 3.5, 7.0, 0.05, 0.01, 0.8, 3, 5000, 2500.0),
    ("negative_mean", -4.0, 2.0, 0.03, 0.1, 0.8, 2, 1000, 1000.0),
    ("huge_effect_tiny_sample", 10.0, 1.0, 0.5, 0.05, 0.8, 2, 3, 10.0),
]

PROPORTION_POWER_CASES = [
    # name, baseline rate, relative mde, alpha, power, arms, n per arm for the MDE, daily units
    ("conversion_10pct", 0.10, 0.05, 0.05, 0.8, 2, 30000, 20000.0),
    ("rare", 0.01, 0.20, 0.05, 0.8, 4, 100000, 50000.0),
    ("decrease", 0.5, -0.04, 0.05, 0.9, 2, 2000, 800.0),
    ("high_rate", 0.9, 0.05, 0.01, 0.8, 2, 400, 100.0),
]


def power_cases():
    means = []
    for name, mean, sd, mde, alpha, target, arms, n_mde, daily in MEAN_POWER_CASES:
        d = abs(mde * mean) / sd
        n = _tight_root(lambda x: _ttest_power(d, x, alpha) - target, 1.5, 1e8)
        d_mde = _tight_root(lambda x: _ttest_power(x, n_mde, alpha) - target, 1e-9, 100.0)
        solver = smpower.TTestIndPower()
        n_per_arm = int(np.ceil(n))
        means.append({
            "name": name, "mean": mean, "sd": sd, "mde": mde, "alpha": alpha, "power": target,
            "arms": arms, "effect_size": _f(d), "n_per_arm_exact": _f(n),
            "n_per_arm": n_per_arm, "total_n": n_per_arm * arms,
            "statsmodels_solve_power_n": _f(_solve_power(
                solver, effect_size=d, nobs1=None, alpha=alpha, power=target, ratio=1.0)),
            "power_at_n_per_arm": _f(_ttest_power(d, n_per_arm, alpha)),
            "mde_n_per_arm": n_mde, "mde_at_n": _f(d_mde * sd / abs(mean)),
            "statsmodels_solve_power_effect_size": _f(_solve_power(
                solver, effect_size=None, nobs1=n_mde, alpha=alpha, power=target, ratio=1.0)),
            "daily_units": daily, "days_exact": _f(n_per_arm * arms / daily),
            "days": int(np.ceil(n_per_arm * arms / daily)),
        })
    proportions = []
    for name, p1, mde, alpha, target, arms, n_mde, daily in PROPORTION_POWER_CASES:
        d = _proportion_effect_size(p1, p1 * (1 + mde))
        n = _tight_root(lambda x: _normal_power(d, x, alpha) - target, 1e-6, 1e12)
        lift_max = (1 - p1) / p1 * (1 - 1e-12)
        mde_at_n = _tight_root(
            lambda lift: _normal_power(_proportion_effect_size(p1, p1 * (1 + lift)), n_mde,
                                       alpha) - target, 1e-12, lift_max)
        n_per_arm = int(np.ceil(n))
        proportions.append({
            "name": name, "baseline_rate": p1, "mde": mde, "alpha": alpha, "power": target,
            "arms": arms, "effect_size": _f(d), "n_per_arm_exact": _f(n),
            "n_per_arm": n_per_arm, "total_n": n_per_arm * arms,
            "statsmodels_solve_power_n": _f(_solve_power(
                smpower.NormalIndPower(), effect_size=d, nobs1=None, alpha=alpha, power=target,
                ratio=1.0)),
            "power_at_n_per_arm": _f(_normal_power(d, n_per_arm, alpha)),
            "mde_n_per_arm": n_mde, "mde_at_n": _f(mde_at_n),
            "daily_units": daily, "days_exact": _f(n_per_arm * arms / daily),
            "days": int(np.ceil(n_per_arm * arms / daily)),
        })
    return {"means": means, "proportions": proportions}


# ---------------------------------------------------------------------------------------------
# Guardrails: one-sided non-inferiority on the relative lift.

GUARDRAIL_CASES = [
    # name, lift estimate, se, df (0: normal), margin, direction, alpha
    ("clear_pass", 0.002, 0.003, 5000.0, 0.01, "increase", 0.05),
    ("inconclusive_wide", -0.004, 0.01, 800.0, 0.01, "increase", 0.05),
    ("fail_harmed", -0.03, 0.008, 1200.0, 0.01, "increase", 0.05),
    ("decrease_is_good_pass", 0.001, 0.002, 0.0, 0.01, "decrease", 0.05),
    ("decrease_is_good_fail", 0.05, 0.01, 0.0, 0.02, "decrease", 0.05),
    ("harmed_within_margin", -0.004, 0.001, 10000.0, 0.02, "increase", 0.05),
    ("zero_margin", 0.01, 0.004, 300.0, 0.0, "increase", 0.1),
    ("small_df", 0.05, 0.04, 4.5, 0.1, "increase", 0.05),
]


def guardrail_cases():
    cases = []
    for name, estimate, se, df, margin, direction, alpha in GUARDRAIL_CASES:
        dist = stats.t(df) if df > 0 else stats.norm()
        effect = estimate if direction == "increase" else -estimate
        lower = effect - dist.ppf(1 - alpha) * se
        upper_two_sided = effect + dist.ppf(1 - alpha / 2) * se
        harmed = bool(upper_two_sided < 0)
        non_inferior = bool(lower > -margin)
        status = "fail" if harmed else ("pass" if non_inferior else "inconclusive")
        cases.append({"name": name, "estimate": estimate, "se": se, "df": df, "margin": margin,
                      "direction": direction, "alpha": alpha,
                      "p_value": _f(dist.sf((effect + margin) / se)), "lower_bound": _f(lower),
                      "harmed": harmed, "non_inferior": non_inferior, "status": status})
    return cases


def generate(out_dir):
    return [
        _write(out_dir, "ab_welch.json",
               "scipy.stats.ttest_ind(treatment, control, equal_var=False) on raw units; CI with "
               "scipy.stats.t.ppf and Welch-Satterthwaite df; relative (t-c)/|c| by the delta "
               "method, same df", welch_cases()),
        _write(out_dir, "ab_proportion.json",
               "statsmodels.stats.proportion.test_proportions_2indep and "
               "confint_proportions_2indep(method='wald', compare='diff'); relative by the delta "
               "method with p(1-p)/n per arm, normal", proportion_cases()),
        _write(out_dir, "ab_ratio.json",
               "delta method for sum(num)/sum(den) from np.cov of the raw unit pairs; Welch-"
               "Satterthwaite df; scipy.stats.t", ratio_cases()),
        _write(out_dir, "ab_cuped.json",
               "CUPED (Deng, Xu, Kohavi, Walker 2013) on raw units: theta = pooled np.cov, "
               "adjusted units y - theta x; relative over the unadjusted control mean with "
               "gbstats' delta-method gradients; last case checks Var(y)(1 - rho^2)",
               cuped_cases() + [cuped_identity_case()]),
        _write(out_dir, "ab_cuped_ratio.json",
               "CUPED for ratio metrics as gbstats RegressionAdjustedRatioStatistic, numpy on raw "
               "units (np.cov of [m_post, d_post, m_pre, d_pre])", cuped_ratio_cases()),
        _write(out_dir, "ab_srm.json", "scipy.stats.chisquare(counts, f_exp=N w/sum(w))",
               srm_cases()),
        _write(out_dir, "ab_multiple_testing.json",
               "statsmodels.stats.multitest.multipletests(method='holm' / 'fdr_bh')",
               multiple_testing_cases()),
        _write(out_dir, "ab_power.json",
               "statsmodels.stats.power TTestIndPower().power / NormalIndPower().power solved "
               "with scipy.optimize.brentq(xtol=1e-13); statsmodels' own solve_power "
               "(brentq_expanding, xtol=1e-5) recorded alongside", power_cases()),
        _write(out_dir, "ab_guardrail.json",
               "one-sided non-inferiority: p = P(T > (e + m)/se), lower bound e - q(1-alpha) se "
               "with scipy.stats.t / norm", guardrail_cases()),
    ]
