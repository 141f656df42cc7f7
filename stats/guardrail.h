// Guardrail metrics: a one-sided non-inferiority test against a relative margin.
//
// A guardrail (latency, crash rate, revenue) must not get worse by more than a margin m (a
// fraction of the control value, e.g. 0.01 = 1 %). On the "good direction" scale
// e = +lift when an increase is good and e = -lift when a decrease is good, with the relative
// lift's standard error se and reference distribution (t with its df, or normal):
//   H0: e <= -m  vs  H1: e > -m,      p = P(T > (e + m)/se)          (one-sided, level alpha)
//   lower bound  L = e - q(1 - alpha) se
//   fail          when the two-sided (1 - alpha) CI lies wholly on the harmful side of zero
//                 (e + q(1 - alpha/2) se < 0): the metric is significantly harmed;
//   pass          otherwise, when L > -m: shown non-inferior;
//   inconclusive  otherwise, or when the lift has no valid inference.
// "fail" is checked first: a significant harm blocks shipping even when it is within the
// margin (Spotify's risk-aware decision rule, Schultzberg et al. 2024, also tests guardrails for
// deterioration). Guardrails are not corrected for multiple testing (same source).
// Pure functions; thread-safe.
#ifndef LIFT_STATS_GUARDRAIL_H_
#define LIFT_STATS_GUARDRAIL_H_

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "stats/estimate.h"

namespace lift::stats {

// Which way the metric should move.
enum class Direction {
  kIncreaseIsGood,
  kDecreaseIsGood,
};

enum class GuardrailStatus {
  kPass,          // shown non-inferior at the margin
  kFail,          // significantly harmed
  kInconclusive,  // neither (yet)
};

// "increase" / "decrease"; InvalidArgument "direction must be increase or decrease, got ..."
// otherwise.
absl::StatusOr<Direction> ParseDirection(std::string_view text);
std::string_view DirectionName(Direction direction);           // "increase" / "decrease"
std::string_view GuardrailStatusName(GuardrailStatus status);  // "pass" / "fail" / "inconclusive"

struct GuardrailSettings {
  double margin = 0.0;  // relative non-inferiority margin m >= 0
  Direction direction = Direction::kIncreaseIsGood;
  double alpha = 0.05;  // one-sided level of the non-inferiority test
};

struct GuardrailResult {
  GuardrailStatus status = GuardrailStatus::kInconclusive;
  double margin = 0.0;
  double p_value = 1.0;           // one-sided p-value of H0: e <= -m (1 when no inference)
  double lower_bound = 0.0;       // one-sided (1 - alpha) lower bound on the good-direction scale
  bool non_inferior = false;      // lower_bound > -margin
  bool harmed = false;            // two-sided CI wholly on the harmful side of zero
  std::vector<ResultFlag> flags;  // copied from the lift's result when it had no inference
};

// Evaluates a guardrail on the relative lift (treatment vs control; e.g.
// ComparisonResult::relative). `lift_flags` are the flags of the result that produced it; they
// are reported when `lift` is not valid. InvalidArgument naming the field when the margin is
// negative or not finite, alpha is outside (0, 1), or the lift's se is negative / not finite.
absl::StatusOr<GuardrailResult> EvaluateGuardrail(const Estimate& lift,
                                                  const GuardrailSettings& settings,
                                                  const std::vector<ResultFlag>& lift_flags = {});

}  // namespace lift::stats

#endif  // LIFT_STATS_GUARDRAIL_H_
