// Markdown renderings of a weekly review and of one readout, for a wiki page or a chat post
// (GitHub-flavoured tables, Unicode sparklines). Deterministic: equal messages render equal text
// (tests/report/golden/ holds goldens). User text (names, reasons, messages) is escaped with
// MarkdownEscape; keys are printed in code spans.
//
// Thread safety: pure functions.
#ifndef LIFT_CLIENTS_CPP_REPORT_MARKDOWN_REPORT_H_
#define LIFT_CLIENTS_CPP_REPORT_MARKDOWN_REPORT_H_

#include <string>

#include "lift/v1/readouts.pb.h"

namespace lift::report {

// "# Weekly review 2026-W47 ..." with sections Alerts, North star, Key results, Guardrails,
// Inputs (when any), Experiments (decision table, then one subsection per experiment), Cohort
// retention, DAU/MAU.
std::string RenderReviewMarkdown(const v1::WeeklyReview& review);

// "## KEY — VERDICT" with the reasons, health line and one row per (metric, variant).
std::string RenderReadoutMarkdown(const v1::Readout& readout);

}  // namespace lift::report

#endif  // LIFT_CLIENTS_CPP_REPORT_MARKDOWN_REPORT_H_
