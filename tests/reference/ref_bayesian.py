"""Reference values for stats/bayesian: the Gaussian effect model on the relative lift.

Writes fixtures/bayesian.json. The model is GrowthBook gbstats' EffectBayesianABTest
(packages/stats/gbstats/bayesian/tests.py), computed here with scipy.stats:

  likelihood  d ~ N(delta, se^2)              (d: relative lift estimate, se: delta-method se)
  flat prior  posterior N(d, se^2)
  normal prior N(m0, s0^2): precision = 1/se^2 + 1/s0^2, mean = (d/se^2 + m0/s0^2) / precision
  chance to win   norm.sf(0, mu, sigma)                 (norm.cdf(0, ...) when a decrease is good)
  risk (control)  P(delta > 0) * E[delta | delta > 0]   via scipy.stats.truncnorm.mean
  risk (treat.)  -P(delta < 0) * E[delta | delta < 0]   (swapped when a decrease is good)
  credible int.   norm.ppf([alpha/2, 1 - alpha/2], mu, sigma)

The risks go through scipy's truncated normal (as gbstats does), not through the closed form the C++
code uses, so the fixture checks that algebra too. The first cases are the inputs of GrowthBook's own
tests (packages/stats/tests/bayesian/test_tests.py, TestNorm and TestBinom).

Run with Debian's python3 (numpy, scipy): /usr/bin/python3 tests/reference/generate.py ref_bayesian
(or directly: /usr/bin/python3 tests/reference/ref_bayesian.py).
"""
import json
import math
import os

import numpy as np
from scipy.stats import norm, truncnorm


def posterior(est, se, proper, prior_mean, prior_sd):
    if not proper:
        return est, se
    data_var, prior_var = se * se, prior_sd * prior_sd
    precision = 1.0 / data_var + 1.0 / prior_var
    return (est / data_var + prior_mean / prior_var) / precision, math.sqrt(1.0 / precision)


def truncated_mean(mu, sigma, lower, upper):
    a, b = (lower - mu) / sigma, (upper - mu) / sigma
    return float(truncnorm.mean(a, b, loc=mu, scale=sigma))


def make_case(name, est, se, proper=False, prior_mean=0.0, prior_sd=0.3, alpha=0.05,
              decrease_is_good=False):
    mu, sigma = posterior(est, se, proper, prior_mean, prior_sd)
    p_neg = float(norm.cdf(0.0, loc=mu, scale=sigma))
    p_pos = float(norm.sf(0.0, loc=mu, scale=sigma))
    # P(.) x truncated-normal mean; a side with zero probability contributes 0.
    exp_pos = p_pos * truncated_mean(mu, sigma, 0.0, np.inf) if p_pos > 0 else 0.0
    exp_neg = -p_neg * truncated_mean(mu, sigma, -np.inf, 0.0) if p_neg > 0 else 0.0
    if decrease_is_good:
        ctw, risk_control, risk_treatment = p_neg, exp_neg, exp_pos
    else:
        ctw, risk_control, risk_treatment = p_pos, exp_pos, exp_neg
    lo, hi = norm.ppf([alpha / 2.0, 1.0 - alpha / 2.0], loc=mu, scale=sigma)
    return {
        "name": name, "estimate": est, "se": se, "alpha": alpha,
        "prior_proper": proper, "prior_mean": prior_mean, "prior_sd": prior_sd,
        "decrease_is_good": decrease_is_good,
        "posterior_mean": mu, "posterior_sd": sigma, "ci_low": float(lo), "ci_high": float(hi),
        "chance_to_win": ctw, "risk_control": risk_control, "risk_treatment": risk_treatment,
    }


def relative_delta(n_a, mean_a, var_a, n_b, mean_b, var_b):
    est = (mean_b - mean_a) / mean_a
    var = var_b / (mean_a ** 2 * n_b) + var_a * mean_b ** 2 / (mean_a ** 4 * n_a)
    return est, math.sqrt(var)


def generate(out_dir):
    cases = []
    # GrowthBook TestNorm: SampleMeanStatistic(sum=100, sum_squares=1002.25, n=10) vs
    # SampleMeanStatistic(sum=105, sum_squares=1111.5, n=10): means 10, 10.5; variances 0.25, 1.
    est, se = relative_delta(10, 10.0, (1002.25 - 100.0 ** 2 / 10) / 9,
                             10, 10.5, (1111.5 - 105.0 ** 2 / 10) / 9)
    cases.append(make_case("growthbook_norm_flat", est, se))
    cases.append(make_case("growthbook_norm_informative", est, se, proper=True, prior_mean=0.1,
                           prior_sd=math.sqrt(0.1)))
    # GrowthBook TestBinom: 49/100 vs 51/100, Bernoulli variance p(1 - p).
    est, se = relative_delta(100, 0.49, 0.49 * 0.51, 100, 0.51, 0.51 * 0.49)
    cases.append(make_case("growthbook_binom_flat", est, se))

    rng = np.random.default_rng(20240604)
    for i in range(24):
        se = float(rng.uniform(0.005, 0.2))
        est = float(rng.normal(0.0, 2.5)) * se
        proper = bool(i % 2)
        prior_mean = float(rng.normal(0.0, 0.05)) if proper else 0.0
        prior_sd = float(rng.uniform(0.01, 0.5)) if proper else 0.3
        alpha = (0.05, 0.1, 0.2)[i % 3]
        decrease = i % 4 >= 2
        cases.append(make_case(f"random_{i}", est, se, proper, prior_mean, prior_sd, alpha,
                               decrease))
    # Far tails: chance to win ~ 1, the treatment risk tiny but positive.
    cases.append(make_case("strong_positive", 0.3, 0.05))
    cases.append(make_case("strong_negative_prior", -0.2, 0.04, proper=True, prior_mean=0.0,
                           prior_sd=0.1))

    doc = {
        "description": "Gaussian effect model (GrowthBook gbstats EffectBayesianABTest) computed "
                       "with scipy.stats.norm and scipy.stats.truncnorm.",
        "generator": "tests/reference/ref_bayesian.py",
        "cases": cases,
    }
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "bayesian.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    return [path]


if __name__ == "__main__":
    generate(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
