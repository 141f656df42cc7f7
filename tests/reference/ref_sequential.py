"""Reference values for stats/sequential: asymptotic confidence sequences (always-valid inference).

Writes fixtures/sequential.json. Formulas, implemented here independently with numpy/scipy from the
paper (Waudby-Smith et al. 2023, "Time-uniform central limit theory and asymptotic confidence
sequences", arXiv:2103.06476v7) in the two-sample parameterisation of GrowthBook's gbstats
(packages/stats/gbstats/frequentist/tests.py: sequential_rho, sequential_interval_halfwidth,
SequentialTwoSidedTTest.p_value):

    rho        = sqrt((-2 ln a + ln(-2 ln a + 1)) / N*)                      (eq. 161)
    half-width = sqrt(s2) sqrt(2 (n rho^2 + 1) ln(sqrt(n rho^2 + 1) / a) / (n rho)^2),
                 s2 = se^2 n, n = total units over both arms                 (eq. 9)
    p-value    = min(1, 1 / E),  E = exp(rho^2 st2 / (2 (n rho^2 + 1))) / sqrt(n rho^2 + 1),
                 st2 = est^2 n / se^2                                         (eq. 155)

The p-value is also checked here to be the smallest alpha' at which the sequence (same rho) excludes
0, found by root finding (scipy.optimize.brentq) on half-width(alpha') = |est|.

The cases include the inputs of GrowthBook's published sequential tests
(packages/stats/tests/frequentist/test_tests.py, TestSequentialTTest), with the relative lift and its
delta-method standard error computed from their sufficient statistics.

Run with Debian's python3 (numpy, scipy): /usr/bin/python3 tests/reference/generate.py ref_sequential
(or directly: /usr/bin/python3 tests/reference/ref_sequential.py).
"""
import json
import math
import os

import numpy as np
from scipy import optimize


def rho(alpha, tuning):
    return math.sqrt((-2.0 * np.log(alpha) + np.log(-2.0 * np.log(alpha) + 1.0)) / tuning)


def half_width(se, n, r, alpha):
    s2 = se * se * n
    return math.sqrt(s2) * math.sqrt(
        2.0 * (n * r * r + 1.0) * np.log(np.sqrt(n * r * r + 1.0) / alpha) / (n * r) ** 2)


def p_value(est, se, n, r):
    st2 = est * est * n / (se * se)
    tr2p1 = n * r * r + 1.0
    log_e = r * r * st2 / (2.0 * tr2p1) - 0.5 * np.log(tr2p1)
    return float(min(1.0, np.exp(-log_e)))


def p_value_by_root(est, se, n, r):
    """Smallest alpha' in (0, 1) whose sequence (same rho) excludes 0."""
    f = lambda a: half_width(se, n, r, a) - abs(est)
    if f(1.0 - 1e-15) >= 0:  # even the widest alpha does not exclude 0
        return 1.0
    if f(1e-300) < 0:
        return 0.0
    return optimize.brentq(f, 1e-300, 1.0 - 1e-15, xtol=1e-300, rtol=1e-14, maxiter=500)


def relative_delta(n_a, sum_a, sumsq_a, n_b, sum_b, sumsq_b, proportion=False):
    """Relative lift (b/a - 1) and its delta-method variance, as gbstats computes them."""
    m_a, m_b = sum_a / n_a, sum_b / n_b
    if proportion:
        v_a, v_b = m_a * (1 - m_a), m_b * (1 - m_b)
    else:
        v_a = (sumsq_a - sum_a ** 2 / n_a) / (n_a - 1)
        v_b = (sumsq_b - sum_b ** 2 / n_b) / (n_b - 1)
    est = (m_b - m_a) / m_a
    var = v_b / (m_a ** 2 * n_b) + v_a * m_b ** 2 / (m_a ** 4 * n_a)
    return est, math.sqrt(var)


def absolute_welch(n_a, sum_a, sumsq_a, n_b, sum_b, sumsq_b):
    m_a, m_b = sum_a / n_a, sum_b / n_b
    v_a = (sumsq_a - sum_a ** 2 / n_a) / (n_a - 1)
    v_b = (sumsq_b - sum_b ** 2 / n_b) / (n_b - 1)
    return m_b - m_a, math.sqrt(v_a / n_a + v_b / n_b)


def make_case(name, est, se, n, alpha, tuning, scale):
    r = rho(alpha, tuning)
    hw = half_width(se, n, r, alpha)
    p = p_value(est, se, n, r)
    p_root = p_value_by_root(est, se, n, r)
    assert abs(p - p_root) <= 1e-9 * max(p, 1e-300) or abs(p - p_root) < 1e-300, (name, p, p_root)
    return {
        "name": name, "scale": scale, "estimate": est, "se": se, "total_n": int(n),
        "alpha": alpha, "tuning": tuning,
        "rho": r, "half_width": hw, "ci_low": est - hw, "ci_high": est + hw, "p_value": p,
    }


def generate(out_dir):
    cases = []
    # GrowthBook TestSequentialTTest.test_sequential_test_runs inputs (relative, N* = 1000).
    gb_a = (3000, 1396.87, 52377.9767)
    gb_b = (3461, 2422.7, 134698.29)
    est, se = relative_delta(*gb_a, *gb_b)
    cases.append(make_case("growthbook_mean_relative_tuning1000", est, se, 6461, 0.05, 1000.0,
                           "relative"))
    est, se = absolute_welch(*gb_a, *gb_b)
    cases.append(make_case("growthbook_mean_absolute_default", est, se, 6461, 0.05, 5000.0,
                           "absolute"))
    # GrowthBook test_sequential_test_runs_prop inputs (proportions 1396/3000 vs 2422/3461).
    est, se = relative_delta(3000, 1396, 1396, 3461, 2422, 2422, proportion=True)
    cases.append(make_case("growthbook_proportion_relative_default", est, se, 6461, 0.05, 5000.0,
                           "relative"))

    # A grid over effect size, n, alpha and tuning (absolute and relative scales).
    rng = np.random.default_rng(20240603)
    for alpha in (0.01, 0.05, 0.1):
        for tuning in (500.0, 5000.0, 100000.0):
            for n in (40, 5000, 250000):
                se = float(rng.uniform(0.2, 3.0)) / math.sqrt(n)
                for z in (0.0, 1.5, -3.0, 6.0):
                    est = z * se
                    cases.append(make_case(f"grid_a{alpha}_N{int(tuning)}_n{n}_z{z}", est, se, n,
                                           alpha, tuning, "absolute"))
    # Very strong evidence: the p-value underflows towards 0 but stays finite.
    cases.append(make_case("extreme_z40", 40.0 * 0.01, 0.01, 100000, 0.05, 5000.0, "relative"))

    doc = {
        "description": "Asymptotic confidence sequences (Waudby-Smith et al. 2023, eqs. 9, 155, "
                       "161; GrowthBook gbstats parameterisation), numpy reimplementation; "
                       "p_value cross-checked by scipy.optimize.brentq as the smallest alpha whose "
                       "sequence excludes 0.",
        "generator": "tests/reference/ref_sequential.py",
        "cases": cases,
    }
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "sequential.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    return [path]


if __name__ == "__main__":
    generate(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
