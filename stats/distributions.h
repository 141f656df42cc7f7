// Reference distributions used by the estimators: thin wrappers over Boost.Math.
//
// Boost.Math stays out of every public header (it is slow to compile); the wrappers evaluate with
// a policy that never throws and does not promote double to long double. Callers pass validated
// arguments (probabilities in (0, 1), df > 0); on a domain error the result is NaN, which the
// estimators never let through. Pure functions; thread-safe.
#ifndef LIFT_STATS_DISTRIBUTIONS_H_
#define LIFT_STATS_DISTRIBUTIONS_H_

namespace lift::stats {

// Student's t with `df` degrees of freedom; df == 0 or df > 1e12 (or infinite) means the standard
// normal, which the t converges to.
double StudentTQuantile(double df, double probability);  // x with P(T <= x) = probability
double StudentTUpperTail(double df, double x);           // P(T > x), accurate in the far tail
double StudentTCdf(double df, double x);                 // P(T <= x)

double NormalQuantile(double probability);  // standard normal
double NormalUpperTail(double x);           // P(Z > x)
double NormalCdf(double x);                 // P(Z <= x)

// P(X > x) for X ~ chi-squared with `df` degrees of freedom (df > 0).
double ChiSquaredUpperTail(double df, double x);

// Non-central t with `df` degrees of freedom and non-centrality `delta`.
double NonCentralTUpperTail(double df, double delta, double x);  // P(T > x)
double NonCentralTCdf(double df, double delta, double x);        // P(T <= x)

}  // namespace lift::stats

#endif  // LIFT_STATS_DISTRIBUTIONS_H_
