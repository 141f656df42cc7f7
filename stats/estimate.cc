#include "stats/estimate.h"

namespace lift::stats {

std::string_view ResultFlagName(ResultFlag flag) {
  switch (flag) {
    case ResultFlag::kEmptyArm:
      return "empty_arm";
    case ResultFlag::kSampleTooSmall:
      return "sample_too_small";
    case ResultFlag::kZeroVariance:
      return "zero_variance";
    case ResultFlag::kZeroBaseline:
      return "zero_baseline";
    case ResultFlag::kNoCovariateVariance:
      return "no_covariate_variance";
    case ResultFlag::kZeroDenominator:
      return "zero_denominator";
    case ResultFlag::kNotIdentified:
      return "not_identified";
    case ResultFlag::kNoPrePeriods:
      return "no_pre_periods";
  }
  return "unknown";
}

}  // namespace lift::stats
