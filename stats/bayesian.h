// Bayesian readout of an A/B effect: the Gaussian effect model GrowthBook uses
// (gbstats `EffectBayesianABTest`, in packages/stats/gbstats/bayesian/tests.py).
//
// The data enter as the frequentist estimate of the relative lift d (treatment/control - 1) and
// its variance V = se^2 (delta method), i.e. the likelihood d ~ N(delta, V). With a flat prior the
// posterior of delta is N(d, V); with a normal prior N(m0, s0^2) it is the conjugate update
//   precision = 1/V + 1/s0^2,  mean = (d/V + m0/s0^2) / precision,  sd = 1/sqrt(precision).
// From the posterior N(mu, sigma^2), with "gain" = delta (or -delta when a decrease is good):
//   chance to win         = P(gain > 0)
//   risk of control       = E[max(gain, 0)]   expected gain forgone by keeping control
//   risk of treatment     = E[max(-gain, 0)]  expected loss taken by shipping treatment
//   credible interval     = the equal-tailed (1 - alpha) interval of delta
// In closed form (z = mu/sigma, Phi/phi the standard normal cdf/pdf):
//   E[max(delta, 0)] = mu Phi(z) + sigma phi(z),  E[max(-delta, 0)] = -mu Phi(-z) + sigma phi(z),
// which equal gbstats' P(.) x truncated-normal-mean products. All quantities are on the scale of
// the estimate passed in: the relative lift in Lift's readouts (as GrowthBook reports risk), but
// any scale works if the prior is given on the same one.
//
// Pure functions; thread-safe.
#ifndef LIFT_STATS_BAYESIAN_H_
#define LIFT_STATS_BAYESIAN_H_

#include <vector>

#include "absl/status/statusor.h"
#include "stats/estimate.h"

namespace lift::stats {

// Prior on the effect (relative lift). `proper == false` is the flat, improper prior: the
// posterior equals the likelihood and `mean`/`sd` are ignored.
struct GaussianPrior {
  bool proper = false;
  double mean = 0.0;  // prior mean of the relative lift, e.g. 0
  double sd = 0.3;    // prior sd of the relative lift (GrowthBook's default 0.3); > 0 when proper
};

struct BayesianSettings {
  double alpha = 0.05;  // credible interval mass 1 - alpha; in (0, 1)
  GaussianPrior prior;
  bool decrease_is_good = false;  // metric direction; flips chance to win and the two risks
};

// Posterior summary. When `valid` is false (reason in `flags`) no update was possible:
// posterior_mean is the data estimate, posterior_sd 0, the interval [mean, mean], chance to win
// 0.5 and both risks 0 (gbstats' uninformative default output).
struct BayesianResult {
  double posterior_mean = 0.0;
  double posterior_sd = 0.0;
  double ci_low = 0.0;  // equal-tailed credible interval
  double ci_high = 0.0;
  double chance_to_win = 0.5;   // P(treatment is better than control)
  double risk_control = 0.0;    // expected loss (relative) of choosing control
  double risk_treatment = 0.0;  // expected loss (relative) of choosing treatment
  bool valid = false;
  std::vector<ResultFlag> flags;
};

// Posterior for an effect `estimate` with standard error `standard_error`.
// InvalidArgument (naming the field) when estimate is not finite, standard_error is negative or not
// finite, alpha is outside (0, 1), or a proper prior has a non-finite mean or sd <= 0.
// standard_error == 0 gives an invalid result flagged kZeroVariance (as gbstats, which returns its
// default output for zero variance).
absl::StatusOr<BayesianResult> BayesianEffectTest(double estimate, double standard_error,
                                                  const BayesianSettings& settings = {});

// Convenience: the posterior for a fixed-horizon relative `Estimate` (its estimate and se). An
// invalid `relative` gives an invalid result without flags of its own (its producer's flags say
// why, e.g. kZeroBaseline). Errors as BayesianEffectTest.
absl::StatusOr<BayesianResult> BayesianFromEstimate(const Estimate& relative,
                                                    const BayesianSettings& settings = {});

}  // namespace lift::stats

#endif  // LIFT_STATS_BAYESIAN_H_
