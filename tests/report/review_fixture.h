// Hand-built WeeklyReview and Readout messages for the renderer tests: three experiments (a
// winner, a guardrail breach and one still running), every KPI tier, alerts, cohorts and DAU/MAU,
// with hostile user text (HTML/Markdown injection attempts) in names, owners and reasons.
#ifndef LIFT_TESTS_REPORT_REVIEW_FIXTURE_H_
#define LIFT_TESTS_REPORT_REVIEW_FIXTURE_H_

#include <string>

#include "lift/v1/readouts.pb.h"

namespace lift::report::testing {

// Injected into user text; must never appear unescaped in HTML.
inline constexpr char kInjection[] = "<script>alert('x')</script><img src=x onerror=alert(1)>";

v1::Readout SampleReadout(const std::string& key, v1::Decision::Verdict verdict, double lift,
                          bool with_timeseries);
v1::WeeklyReview SampleReview();

}  // namespace lift::report::testing

#endif  // LIFT_TESTS_REPORT_REVIEW_FIXTURE_H_
