#include "stats/guardrail.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "stats/distributions.h"
#include "stats/settings.h"
#include "stats/status_macros.h"

namespace lift::stats {

absl::StatusOr<Direction> ParseDirection(std::string_view text) {
  if (text == "increase") return Direction::kIncreaseIsGood;
  if (text == "decrease") return Direction::kDecreaseIsGood;
  return absl::InvalidArgumentError(
      absl::StrCat("direction must be increase or decrease, got \"", std::string(text), "\""));
}

std::string_view DirectionName(Direction direction) {
  return direction == Direction::kIncreaseIsGood ? "increase" : "decrease";
}

std::string_view GuardrailStatusName(GuardrailStatus status) {
  switch (status) {
    case GuardrailStatus::kPass:
      return "pass";
    case GuardrailStatus::kFail:
      return "fail";
    case GuardrailStatus::kInconclusive:
      return "inconclusive";
  }
  return "inconclusive";
}

absl::StatusOr<GuardrailResult> EvaluateGuardrail(const Estimate& lift,
                                                  const GuardrailSettings& settings,
                                                  const std::vector<ResultFlag>& lift_flags) {
  if (!std::isfinite(settings.margin) || settings.margin < 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("margin must be finite and >= 0, got ", settings.margin));
  }
  LIFT_RETURN_IF_ERROR(ValidateOpenUnitInterval(settings.alpha, "alpha"));
  if (!std::isfinite(lift.se) || lift.se < 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("lift.se must be finite and >= 0, got ", lift.se));
  }
  if (!std::isfinite(lift.estimate)) {
    return absl::InvalidArgumentError(
        absl::StrCat("lift.estimate must be finite, got ", lift.estimate));
  }

  GuardrailResult result;
  result.margin = settings.margin;
  const double sign = settings.direction == Direction::kIncreaseIsGood ? 1.0 : -1.0;
  const double effect = sign * lift.estimate;
  result.lower_bound = effect;
  if (!lift.valid || !(lift.se > 0.0)) {
    result.flags = lift_flags;
    return result;  // inconclusive, p = 1
  }
  const double df = lift.df;
  result.lower_bound = effect - StudentTQuantile(df, 1.0 - settings.alpha) * lift.se;
  result.p_value = StudentTUpperTail(df, (effect + settings.margin) / lift.se);
  const double upper_two_sided =
      effect + StudentTQuantile(df, 1.0 - settings.alpha / 2.0) * lift.se;
  result.harmed = upper_two_sided < 0.0;
  result.non_inferior = result.lower_bound > -settings.margin;
  if (result.harmed) {
    result.status = GuardrailStatus::kFail;
  } else if (result.non_inferior) {
    result.status = GuardrailStatus::kPass;
  }
  return result;
}

}  // namespace lift::stats
