"""Reference values for stats/diff_in_diff: difference-in-differences, three ways.

Writes fixtures/diff_in_diff.json with simulated data and the expected results:

(a) panel_changes: per-unit change = mean(post) - mean(pre); the effect and its test are
    scipy.stats.ttest_ind(changes_treated, changes_control, equal_var=False) (Welch); se = estimate/t,
    Welch-Satterthwaite df computed here (scipy 1.10 does not return it), CI with scipy.stats.t.ppf.
(b) cross_sections: four independent cells. The se is the HC2 standard error of the interaction in
    the saturated statsmodels OLS y ~ treated * post (which equals sqrt(sum_k s_k^2 / n_k)); df is
    the four-cell Satterthwaite df (or the normal distribution for the "normal" variant).
(c) twfe: statsmodels OLS y ~ D + C(unit) + C(period) with cov_type='cluster' (groups = unit),
    use_t=True. Convention alignment: statsmodels multiplies the cluster sandwich by
    G/(G-1) * (N-1)/(N-K_sm) with K_sm = every column of the design (intercept, D and all unit and
    period dummies), and with df_correction=True it uses t(G-1). Lift's CR1 factor counts only the
    regressors left after absorbing both fixed effects (K = 1, the treated x post indicator), so the
    reference se is rescaled: se = se_sm * sqrt((N - K_sm) / (N - 1)); p-value and CI then use
    t(G-1). The result is cross-checked against an independent numpy Frisch-Waugh-Lovell computation.
    The placebo pre-trend check is the same regression on the pre-periods only, with the last
    pre-period treated as post.

Run with Debian's python3 (numpy, scipy, statsmodels, pandas): /usr/bin/python3 tests/reference/generate.py ref_did
(or directly: /usr/bin/python3 tests/reference/ref_did.py).
"""
import json
import math
import os

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

ALPHA = 0.05


def inference(est, se, df, alpha):
    if df > 0:
        q = stats.t.ppf(1 - alpha / 2, df)
        p = 2 * stats.t.sf(abs(est / se), df)
    else:
        q = stats.norm.ppf(1 - alpha / 2)
        p = 2 * stats.norm.sf(abs(est / se))
    return {"estimate": float(est), "se": float(se), "df": float(df), "p_value": float(p),
            "ci_low": float(est - q * se), "ci_high": float(est + q * se)}


def mean_stats(values):
    values = np.asarray(values, dtype=float)
    return {"n": int(values.size), "sum": float(math.fsum(values)),
            "sum_sq": float(math.fsum(values * values))}


def simulate_panel(rng, units, periods, first_post, effect, missing=0.0, treated_share=0.5,
                   period_labels=None, unit_labels=None, trend_gap=0.0):
    """Rows (unit, period, treated, value) with unit and period effects, AR-ish noise."""
    labels = period_labels if period_labels is not None else list(range(periods))
    ids = unit_labels if unit_labels is not None else list(range(units))
    treated = rng.random(units) < treated_share
    treated[0], treated[1] = True, False  # both groups present
    unit_effect = rng.normal(0, 2, units)
    period_effect = rng.normal(0, 1, periods)
    rows = []
    for u in range(units):
        shock = 0.0
        for t in range(periods):
            shock = 0.5 * shock + rng.normal(0, 1)
            if missing and rng.random() < missing:
                continue
            post = labels[t] >= first_post
            value = (10 + unit_effect[u] + period_effect[t] + shock
                     + (effect if (treated[u] and post) else 0.0)
                     + (trend_gap * t if treated[u] else 0.0))
            rows.append((int(ids[u]), int(labels[t]), bool(treated[u]), float(value)))
    return rows


def welch_df(v1, n1, v2, n2):
    a, b = v1 / n1, v2 / n2
    return (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))


# (a) -----------------------------------------------------------------------------------------
def panel_case(name, rows, first_post):
    df = pd.DataFrame(rows, columns=["unit", "period", "treated", "value"])
    df["post"] = df["period"] >= first_post
    g = df.groupby(["unit", "post"])["value"].mean().unstack()
    treated = df.groupby("unit")["treated"].first()
    complete = g.dropna()
    change = complete[True] - complete[False]
    ct = change[treated[complete.index]].to_numpy()
    cc = change[~treated[complete.index]].to_numpy()
    res = stats.ttest_ind(ct, cc, equal_var=False)
    est = ct.mean() - cc.mean()
    se = est / res.statistic
    dof = welch_df(ct.var(ddof=1), ct.size, cc.var(ddof=1), cc.size)
    expected = inference(est, se, dof, ALPHA)
    assert abs(expected["p_value"] - res.pvalue) <= 1e-10 * max(res.pvalue, 1e-300)
    return {"name": name, "first_post_period": first_post,
            "observations": [list(r) for r in rows],
            "units_dropped": int(len(g) - len(complete)),
            "treated_change": mean_stats(ct), "control_change": mean_stats(cc),
            "expected": expected}


# (b) -----------------------------------------------------------------------------------------
def cross_section_case(name, rng, sizes, means, sds, df_kind):
    cells = {}
    frames = []
    for key, (treated, post) in {"treated_pre": (1, 0), "treated_post": (1, 1),
                                 "control_pre": (0, 0), "control_post": (0, 1)}.items():
        y = rng.normal(means[key], sds[key], sizes[key])
        cells[key] = mean_stats(y)
        frames.append(pd.DataFrame({"y": y, "treated": treated, "post": post}))
    data = pd.concat(frames, ignore_index=True)
    fit = smf.ols("y ~ treated * post", data=data).fit(cov_type="HC2")
    est = fit.params["treated:post"]
    se = fit.bse["treated:post"]
    v = {k: np.var(frames[i]["y"], ddof=1) / len(frames[i]) for i, k in enumerate(cells)}
    assert abs(se - math.sqrt(sum(v.values()))) <= 1e-10 * se
    dof = 0.0
    if df_kind == "welch":
        dof = sum(v.values()) ** 2 / sum(v[k] ** 2 / (cells[k]["n"] - 1) for k in cells)
    return {"name": name, "df": df_kind, "cells": cells,
            "expected": inference(est, se, dof, ALPHA)}


# (c) -----------------------------------------------------------------------------------------
def twfe_fit(rows, first_post):
    df = pd.DataFrame(rows, columns=["unit", "period", "treated", "value"])
    df["D"] = (df["treated"] & (df["period"] >= first_post)).astype(float)
    model = smf.ols("value ~ D + C(unit) + C(period)", data=df)
    n, k_sm = model.exog.shape
    assert np.linalg.matrix_rank(model.exog) == k_sm, "design must be full rank"
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": df["unit"].to_numpy()}, use_t=True)
    g = df["unit"].nunique()
    assert fit.df_resid_inference == g - 1
    beta = fit.params["D"]
    se = fit.bse["D"] * math.sqrt((n - k_sm) / (n - 1))  # Lift's K = 1 (see module docstring)
    fwl = fwl_check(df, g)
    assert abs(fwl[0] - beta) <= 1e-8 * max(1.0, abs(beta)), (fwl, beta)
    assert abs(fwl[1] - se) <= 1e-8 * se, (fwl, se)
    out = inference(beta, se, g - 1, ALPHA)
    out.update({"n_observations": int(n), "n_units": int(g),
                "n_periods": int(df["period"].nunique()),
                "cr1_factor": g / (g - 1) * (n - 1) / (n - 1)})
    return out


def fwl_check(df, g):
    """beta and CR1 (K = 1) se from dense dummies and numpy least squares, independent of statsmodels."""
    units = pd.get_dummies(df["unit"]).to_numpy(float)
    periods = pd.get_dummies(df["period"]).to_numpy(float)[:, 1:]
    fe = np.hstack([units, periods])
    proj = lambda v: v - fe @ np.linalg.lstsq(fe, v, rcond=None)[0]
    d = proj(df["D"].to_numpy(float))
    y = proj(df["value"].to_numpy(float))
    beta = d @ y / (d @ d)
    e = y - beta * d
    scores = pd.Series(d * e).groupby(df["unit"].to_numpy()).sum().to_numpy()
    n = len(df)
    var = g / (g - 1) * (n - 1) / (n - 1) * (scores @ scores) / (d @ d) ** 2
    return beta, math.sqrt(var)


def twfe_case(name, rows, first_post):
    pre_rows = [r for r in rows if r[1] < first_post]
    pre_periods = sorted({r[1] for r in pre_rows})
    case = {"name": name, "first_post_period": first_post,
            "observations": [list(r) for r in rows],
            "expected": twfe_fit(rows, first_post)}
    case["expected_pre_trend"] = twfe_fit(pre_rows, pre_periods[-1])
    return case


def generate(out_dir):
    rng = np.random.default_rng(20240605)
    panel_cases = [
        panel_case("two_periods", simulate_panel(rng, 60, 2, 1, effect=0.8), 1),
        panel_case("several_periods_unbalanced",
                   simulate_panel(rng, 50, 6, 3, effect=0.5, missing=0.25), 3),
    ]
    cross_cases = [
        cross_section_case(
            "welch", rng,
            {"treated_pre": 40, "treated_post": 55, "control_pre": 70, "control_post": 33},
            {"treated_pre": 5.0, "treated_post": 6.1, "control_pre": 4.8, "control_post": 5.2},
            {"treated_pre": 1.0, "treated_post": 1.6, "control_pre": 0.7, "control_post": 2.2},
            "welch"),
        cross_section_case(
            "normal", rng,
            {"treated_pre": 900, "treated_post": 1100, "control_pre": 1000, "control_post": 950},
            {"treated_pre": 0.3, "treated_post": 0.36, "control_pre": 0.31, "control_post": 0.33},
            {"treated_pre": 0.4, "treated_post": 0.5, "control_pre": 0.45, "control_post": 0.4},
            "normal"),
    ]
    twfe_cases = [
        twfe_case("balanced", simulate_panel(rng, 30, 6, 3, effect=1.0), 3),
        twfe_case("unbalanced", simulate_panel(rng, 40, 8, 5, effect=0.4, missing=0.2), 5),
        twfe_case("few_clusters_pretrend",
                  simulate_panel(rng, 6, 5, 3, effect=0.0, trend_gap=0.6), 3),
        twfe_case("labelled_periods",
                  simulate_panel(rng, 25, 7, 20240104, effect=-0.7, missing=0.1,
                                 period_labels=[20240101 + t for t in range(7)],
                                 unit_labels=[9_000_000_000 + 37 * u for u in range(25)],
                                 treated_share=0.3), 20240104),
    ]
    doc = {
        "description": "Difference-in-differences: (a) scipy Welch on per-unit changes, (b) "
                       "statsmodels OLS HC2 on four cells, (c) statsmodels OLS with unit and "
                       "period dummies, cluster-robust by unit, rescaled to K = 1 and t(G-1).",
        "generator": "tests/reference/ref_did.py",
        "alpha": ALPHA,
        "panel_changes": panel_cases,
        "cross_sections": cross_cases,
        "twfe": twfe_cases,
    }
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "diff_in_diff.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    return [path]


if __name__ == "__main__":
    generate(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
