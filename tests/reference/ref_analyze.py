"""Input files and expected results for `liftctl analyze` (tests/clients/analyze_test.cc).

Writes small CSV / JSON inputs into tests/clients/data/ and, beside them, expected.json with the
numbers each command must print. The inputs are simulated with fixed seeds and written with 6
decimals; every expectation is computed from the values exactly as written (what the C++ reader
parses), with scipy / statsmodels or numpy on the raw units:

  ab_mean_cuped.csv   unit_id,variant,value,pre_value; CRLF line ends, quoted fields (one with a
                      comma), treatment listed first. Welch: scipy.stats.ttest_ind(equal_var=False);
                      relative lift by the delta method; CUPED with pooled theta on raw units
                      (ref_ab._cuped_reference); SRM scipy.stats.chisquare; the always-valid
                      sequence on the CUPED estimates (ref_sequential: Waudby-Smith et al. eq. 9,
                      161); Bayesian flat prior on the CUPED relative lift (ref_bayesian, scipy
                      truncnorm); guardrail one-sided bound with scipy.stats.t.
  ab_mean_cuped.json  the same units as sufficient statistics (math.fsum), for `--stats`.
  ab_proportion_3arms.csv  0/1 values, three arms, control in the middle: statsmodels
                      test_proportions_2indep / confint_proportions_2indep (wald); Holm and BH
                      across the two treatments with statsmodels multipletests; SRM against
                      weights 0.3/0.4/0.3 with scipy.stats.chisquare.
  ab_ratio.csv        unit_id,variant,numerator,denominator,pre_numerator,pre_denominator with
                      variants "A" and "B" (no "control"): delta method (ref_ab._ratio_moments)
                      and CUPED for ratios (ref_ab._cuped_ratio_reference).
  did_dates.csv       unit_id,group,period,value with ISO dates, rows shuffled so that first
                      appearance is not chronological; one unit misses a period. Two-way fixed
                      effects with unit-clustered CR1 (K = 1) errors, t(G-1), and the placebo
                      pre-trend check (ref_did.twfe_fit: statsmodels OLS with dummies, rescaled);
                      2x2 on per-unit changes with scipy.stats.ttest_ind(equal_var=False).
  did_labels.csv      non-date period labels whose file order differs from their sort order.
  power               statsmodels TTestIndPower / NormalIndPower roots (ref_ab helpers).

Run: /usr/bin/python3 tests/reference/generate.py ref_analyze
"""

import csv
import io
import json
import math
import pathlib

import numpy as np
from scipy import stats
from statsmodels.stats import multitest, proportion

import ref_ab
import ref_bayesian
import ref_did
import ref_sequential

GENERATOR = "tests/reference/ref_analyze.py"
ALPHA = 0.05
DATA_DIR = pathlib.Path(__file__).resolve().parent.parent / "clients" / "data"


def _round(values):
    """The values as the CSV writes them (6 decimals) and the C++ reader parses them."""
    return np.array([float("%.6f" % v) for v in values])


def _text(value):
    return "%.6f" % value


def _estimate(e):
    return {k: float(e[k]) for k in ("estimate", "se", "ci_low", "ci_high", "p_value", "df")}


def _write_csv(path, header, rows, line_end="\n", quote_all_columns=()):
    with open(path, "w", newline="") as handle:
        handle.write(",".join(header) + line_end)
        for row in rows:
            cells = []
            for i, cell in enumerate(row):
                cell = str(cell)
                if i in quote_all_columns or "," in cell or '"' in cell:
                    cell = '"' + cell.replace('"', '""') + '"'
                cells.append(cell)
            handle.write(",".join(cells) + line_end)
    return path


def _sequential(est, se, total_n, tuning=5000.0):
    r = ref_sequential.rho(ALPHA, tuning)
    hw = ref_sequential.half_width(se, total_n, r, ALPHA)
    return {"estimate": float(est), "ci_low": float(est - hw), "ci_high": float(est + hw),
            "p_value": float(ref_sequential.p_value(est, se, total_n, r))}


def _guardrail(lift, margin, direction="increase"):
    dist = stats.t(lift["df"]) if lift["df"] > 0 else stats.norm()
    effect = lift["estimate"] if direction == "increase" else -lift["estimate"]
    lower = effect - dist.ppf(1 - ALPHA) * lift["se"]
    upper = effect + dist.ppf(1 - ALPHA / 2) * lift["se"]
    status = "fail" if upper < 0 else ("pass" if lower > -margin else "inconclusive")
    return {"margin": margin, "status": status, "lower_bound": float(lower),
            "p_value": float(dist.sf((effect + margin) / lift["se"]))}


# --- A/B: mean metric with a pre-period covariate -----------------------------------------------

def ab_mean_cuped():
    rng = np.random.default_rng(9101)
    n_c, n_t = 400, 430
    x_c, y_c = ref_ab._correlated_units(rng, n_c, 0.7, 0.0)
    x_t, y_t = ref_ab._correlated_units(rng, n_t, 0.7, 0.35)
    x_c, y_c, x_t, y_t = (_round(v) for v in (x_c, y_c, x_t, y_t))
    rows = [("u%04d" % i, "control", y, x) for i, (y, x) in enumerate(zip(y_c, x_c))]
    rows += [("u%04d" % (n_c + i), "treatment", y, x) for i, (y, x) in enumerate(zip(y_t, x_t))]
    shuffled = [rows[k] for k in rng.permutation(len(rows))]
    first_treatment = next(i for i, r in enumerate(shuffled) if r[1] == "treatment")
    shuffled[0], shuffled[first_treatment] = shuffled[first_treatment], shuffled[0]
    assert shuffled[0][1] == "treatment"  # control is not first in the file
    # Quoted fields: one unit id holds a comma, and every variant name is quoted.
    shuffled[1] = ("u,%s" % shuffled[1][0],) + shuffled[1][1:]
    csv_rows = [(u, v, _text(y), _text(x)) for u, v, y, x in shuffled]
    _write_csv(DATA_DIR / "ab_mean_cuped.csv", ["unit_id", "variant", "value", "pre_value"],
               csv_rows, line_end="\r\n", quote_all_columns=(1,))

    welch = stats.ttest_ind(y_t, y_c, equal_var=False)
    var_c, var_t = y_c.var(ddof=1), y_t.var(ddof=1)
    df = ref_ab._welch_df(var_c, n_c, var_t, n_t)
    diff = y_t.mean() - y_c.mean()
    absolute = ref_ab._t_estimate(diff, math.sqrt(var_c / n_c + var_t / n_t), df, ALPHA)
    assert abs(absolute["p_value"] - welch.pvalue) <= 1e-10
    rel_est, rel_se = ref_ab._relative(y_c.mean(), var_c, n_c, y_t.mean(), var_t, n_t)
    relative = ref_ab._t_estimate(rel_est, rel_se, df, ALPHA)
    cuped = ref_ab._cuped_reference(x_c, y_c, x_t, y_t, ALPHA)
    srm = stats.chisquare([n_c, n_t], [(n_c + n_t) / 2] * 2)
    total_n = n_c + n_t
    bayes = ref_bayesian.make_case("cli", cuped["relative"]["estimate"], cuped["relative"]["se"])

    # The same units as sufficient statistics (ab --stats).
    def covariate(x, y):
        return {"n": int(y.size), "sum": math.fsum(y), "sum_sq": math.fsum(y * y),
                "sum_x": math.fsum(x), "sum_x2": math.fsum(x * x), "sum_xy": math.fsum(x * y)}
    document = {"kind": "mean", "variants": [dict(name="treatment", **covariate(x_t, y_t)),
                                             dict(name="control", **covariate(x_c, y_c))]}
    with open(DATA_DIR / "ab_mean_cuped.json", "w") as handle:
        json.dump(document, handle, indent=1)
        handle.write("\n")

    return {
        "control": "control", "variant": "treatment", "n": n_t, "control_n": n_c,
        "mean": float(y_t.mean()), "control_mean": float(y_c.mean()),
        "absolute": _estimate(absolute), "relative": _estimate(relative),
        "cuped": {"theta": cuped["theta"], "variance_reduction": cuped["variance_reduction"],
                  "absolute": _estimate(cuped["absolute"]),
                  "relative": _estimate(cuped["relative"])},
        "srm": {"chi2": float(srm.statistic), "p_value": float(srm.pvalue)},
        "sequential": {
            "absolute": _sequential(cuped["absolute"]["estimate"], cuped["absolute"]["se"], total_n),
            "relative": _sequential(cuped["relative"]["estimate"], cuped["relative"]["se"], total_n)},
        "bayesian": {k: bayes[k] for k in ("chance_to_win", "risk_control", "risk_treatment")},
        "guardrail_0_01": _guardrail(cuped["relative"], 0.01),
        "plain_sequential_absolute": _sequential(absolute["estimate"], absolute["se"], total_n),
    }


# --- A/B: proportions, three arms -----------------------------------------------------------

def ab_proportion_3arms():
    rng = np.random.default_rng(9102)
    arms = [("variant_b", 610, 0.13), ("control", 800, 0.10), ("variant_a", 590, 0.115)]
    rows = []
    values = {}
    for name, n, rate in arms:
        y = (rng.random(n) < rate).astype(int)
        values[name] = y
        rows += [(name, int(v)) for v in y]
    # Interleave arms but keep first appearances in the order b, control, a.
    rest = rows[1:]
    rng.shuffle(rest)
    rows = [rows[0]] + rest
    first = []
    for name, _ in rows:
        if name not in first:
            first.append(name)
    assert first[0] == "variant_b"
    _write_csv(DATA_DIR / "ab_proportion_3arms.csv", ["unit_id", "variant", "value"],
               [("p%05d" % i, name, v) for i, (name, v) in enumerate(rows)])

    y_c = values["control"]
    x_c, n_c = int(y_c.sum()), y_c.size
    results = {}
    for name in first:
        if name == "control":
            continue
        y_t = values[name]
        x_t, n_t = int(y_t.sum()), y_t.size
        test = proportion.test_proportions_2indep(x_t, n_t, x_c, n_c, method="wald",
                                                  compare="diff")
        low, high = proportion.confint_proportions_2indep(x_t, n_t, x_c, n_c, method="wald",
                                                          compare="diff", alpha=ALPHA)
        p_c, p_t = x_c / n_c, x_t / n_t
        se = math.sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / n_t)
        rel_est, rel_se = ref_ab._relative(p_c, p_c * (1 - p_c), n_c, p_t, p_t * (1 - p_t), n_t)
        results[name] = {
            "n": n_t, "mean": p_t, "control_mean": p_c,
            "absolute": {"estimate": p_t - p_c, "se": se, "ci_low": float(low),
                         "ci_high": float(high), "p_value": float(test.pvalue), "df": 0.0},
            "relative": _estimate(ref_ab._t_estimate(rel_est, rel_se, 0, ALPHA)),
        }
    order = [name for name in first if name != "control"]
    p_values = [results[name]["absolute"]["p_value"] for name in order]
    holm = multitest.multipletests(p_values, method="holm")[1]
    bh = multitest.multipletests(p_values, method="fdr_bh")[1]
    for name, h, b in zip(order, holm, bh):
        results[name]["holm"] = float(h)
        results[name]["bh"] = float(b)
    counts = [values[name].size for name in first]
    weights = {"variant_b": 0.3, "control": 0.4, "variant_a": 0.3}
    expected = [sum(counts) * weights[name] for name in first]
    srm = stats.chisquare(counts, expected)
    return {"variants_in_file_order": first, "treatments": order, "results": results,
            "srm_weighted": {"weights": weights, "chi2": float(srm.statistic),
                             "p_value": float(srm.pvalue)}}


# --- A/B: ratio metric with a pre-period ratio ----------------------------------------------

def ab_ratio():
    rng = np.random.default_rng(9103)
    control = [_round(v) for v in ref_ab._ratio_panel(rng, 300, 2.0, 0.0)]
    treatment = [_round(v) for v in ref_ab._ratio_panel(rng, 320, 2.0, 0.04)]
    rows = []
    for name, (m_post, d_post, m_pre, d_pre) in (("A", control), ("B", treatment)):
        for i in range(m_post.size):
            rows.append(("%s-%03d" % (name, i), name, _text(m_post[i]), _text(d_post[i]),
                         _text(m_pre[i]), _text(d_pre[i])))
    _write_csv(DATA_DIR / "ab_ratio.csv",
               ["unit_id", "variant", "numerator", "denominator", "pre_numerator",
                "pre_denominator"], rows)
    n_c, n_t = control[0].size, treatment[0].size
    r_c, v_c = ref_ab._ratio_moments(control[0], control[1])
    r_t, v_t = ref_ab._ratio_moments(treatment[0], treatment[1])
    df = ref_ab._welch_df(v_c, n_c, v_t, n_t)
    rel_est, rel_se = ref_ab._relative(r_c, v_c, n_c, r_t, v_t, n_t)
    cuped = ref_ab._cuped_ratio_reference([control, treatment], ALPHA)
    return {
        "control": "A", "variant": "B", "mean": float(r_t), "control_mean": float(r_c),
        "absolute": _estimate(ref_ab._t_estimate(r_t - r_c, math.sqrt(v_c / n_c + v_t / n_t), df,
                                                 ALPHA)),
        "relative": _estimate(ref_ab._t_estimate(rel_est, rel_se, df, ALPHA)),
        "cuped": {"theta": cuped["theta"], "variance_reduction": cuped["variance_reduction"],
                  "absolute": _estimate(cuped["absolute"]),
                  "relative": _estimate(cuped["relative"])},
    }


# --- Difference in differences ----------------------------------------------------------------

def _did_expected(rows, first_post):
    """rows: (unit, period index, treated, value)."""
    twfe = ref_did.twfe_fit(rows, first_post)
    pre_rows = [r for r in rows if r[1] < first_post]
    pre_trend = ref_did.twfe_fit(pre_rows, max(r[1] for r in pre_rows))
    changes = {}
    for unit, period, treated, value in rows:
        entry = changes.setdefault(unit, {"treated": treated, "pre": [], "post": []})
        entry["post" if period >= first_post else "pre"].append(value)
    ct = [np.mean(e["post"]) - np.mean(e["pre"]) for e in changes.values()
          if e["treated"] and e["pre"] and e["post"]]
    cc = [np.mean(e["post"]) - np.mean(e["pre"]) for e in changes.values()
          if not e["treated"] and e["pre"] and e["post"]]
    test = stats.ttest_ind(ct, cc, equal_var=False)
    est = float(np.mean(ct) - np.mean(cc))
    se = est / test.statistic
    df = ref_did.welch_df(np.var(ct, ddof=1), len(ct), np.var(cc, ddof=1), len(cc))
    panel = ref_did.inference(est, se, df, ALPHA)
    return {"twfe": {k: twfe[k] for k in ("estimate", "se", "ci_low", "ci_high", "p_value", "df")},
            "n_observations": twfe["n_observations"], "n_units": twfe["n_units"],
            "n_periods": twfe["n_periods"],
            "pre_trend": {k: pre_trend[k] for k in ("estimate", "se", "p_value", "df")},
            "panel_2x2": {k: panel[k] for k in ("estimate", "se", "p_value", "df")}}


def did_dates():
    rng = np.random.default_rng(9104)
    dates = ["2026-01-%02d" % d for d in (5, 12, 19, 26)] + ["2026-02-%02d" % d for d in (2, 9, 16, 23)]
    first_post = 4  # 2026-02-02
    rows = ref_did.simulate_panel(rng, 30, len(dates), first_post, 0.8)
    rows = [(u, p, bool(t), float(_round([v])[0])) for u, p, t, v in rows]
    rows = [r for r in rows if not (r[0] == 7 and r[1] == 2)]  # unbalanced: one missing cell
    order = rng.permutation(len(rows))
    shuffled = [rows[k] for k in order]
    # Make the first row a late date so that file order is not chronological.
    late = next(i for i, r in enumerate(shuffled) if r[1] == 6)
    shuffled[0], shuffled[late] = shuffled[late], shuffled[0]
    _write_csv(DATA_DIR / "did_dates.csv", ["unit_id", "group", "period", "value"],
               [("unit-%02d" % u, "treatment" if t else "control", dates[p], _text(v))
                for u, p, t, v in shuffled])
    expected = _did_expected(rows, first_post)
    expected.update({"post_from": dates[first_post], "post_from_between": "2026-01-29",
                     "periods": dates, "first_appearance": dates[6]})
    return expected


def did_labels():
    rng = np.random.default_rng(9105)
    labels = ["p-early", "p-mid", "p-late", "launch", "after"]
    first_post = 3
    rows = ref_did.simulate_panel(rng, 12, len(labels), first_post, 1.5)
    rows = [(u, p, bool(t), float(_round([v])[0])) for u, p, t, v in rows]
    rows.sort(key=lambda r: (r[1], r[0]))  # file order = intended order of the periods
    _write_csv(DATA_DIR / "did_labels.csv", ["period", "value", "group", "unit_id"],
               [(labels[p], _text(v), "treatment" if t else "control", "n%d" % u)
                for u, p, t, v in rows])
    expected = _did_expected(rows, first_post)
    expected.update({"post_from": labels[first_post], "periods": labels})
    return expected


# --- Power ---------------------------------------------------------------------------------------

def power():
    from statsmodels.stats import power as smpower
    mean, sd, mde, daily = 10.0, 5.0, 0.02, 1500.0
    d = abs(mde * mean) / sd
    n = ref_ab._tight_root(lambda x: ref_ab._ttest_power(d, x, ALPHA) - 0.8, 1.5, 1e8)
    n_sm = ref_ab._solve_power(smpower.TTestIndPower(), effect_size=d, nobs1=None, alpha=ALPHA,
                               power=0.8, ratio=1.0)
    assert abs(n - n_sm) <= 1e-6 * n
    n_per_arm = int(math.ceil(n))
    rate, rate_mde = 0.08, 0.1
    d_p = ref_ab._proportion_effect_size(rate, rate * (1 + rate_mde))
    n_p = ref_ab._tight_root(lambda x: ref_ab._normal_power(d_p, x, ALPHA) - 0.9, 1e-6, 1e12)
    n_p_per_arm = int(math.ceil(n_p))
    mde_at = ref_ab._tight_root(lambda x: ref_ab._ttest_power(x, 5000, ALPHA) - 0.8, 1e-9, 100.0)
    return {
        "mean": {"mean": mean, "sd": sd, "mde": mde, "daily_units": daily, "arms": 3,
                 "effect_size": d, "n_per_arm_exact": n, "n_per_arm": n_per_arm,
                 "total_n": 3 * n_per_arm, "days": int(math.ceil(3 * n_per_arm / daily))},
        "proportion": {"rate": rate, "mde": rate_mde, "power": 0.9, "arms": 2,
                       "n_per_arm_exact": n_p, "n_per_arm": n_p_per_arm,
                       "total_n": 2 * n_p_per_arm},
        "mde_for_n": {"mean": mean, "sd": sd, "n_per_arm": 5000, "mde": mde_at * sd / mean},
    }


def generate(out_dir):  # out_dir unused: the CLI's data live with its tests
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    expected = {
        "generator": GENERATOR, "alpha": ALPHA,
        "ab_mean_cuped": ab_mean_cuped(),
        "ab_proportion_3arms": ab_proportion_3arms(),
        "ab_ratio": ab_ratio(),
        "did_dates": did_dates(),
        "did_labels": did_labels(),
        "power": power(),
    }
    path = DATA_DIR / "expected.json"
    with open(path, "w") as handle:
        json.dump(expected, handle, indent=1, allow_nan=False)
        handle.write("\n")
    return sorted(str(p) for p in DATA_DIR.iterdir())


if __name__ == "__main__":
    generate(None)
