#include "stats/welch_test.h"

#include "stats/status_macros.h"

namespace lift::stats {

ArmSummary MeanArmSummary(const MeanStats& stats) {
  return ArmSummary{stats.n, stats.Mean(), stats.Variance()};
}

absl::StatusOr<ComparisonResult> WelchTest(const MeanStats& control, const MeanStats& treatment,
                                           const AnalysisSettings& settings) {
  LIFT_RETURN_IF_ERROR(ValidateAnalysisSettings(settings));
  LIFT_RETURN_IF_ERROR(ValidateMeanStats(control, "control."));
  LIFT_RETURN_IF_ERROR(ValidateMeanStats(treatment, "treatment."));
  return CompareArms(MeanArmSummary(control), MeanArmSummary(treatment), settings,
                     Reference::kStudentT);
}

}  // namespace lift::stats
