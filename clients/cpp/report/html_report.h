// Self-contained HTML renderings of a weekly review and of one readout: one file with inline CSS
// and inline SVG charts (svg_charts.h), no scripts, no network, no web fonts; readable on a laptop
// and printable to PDF (@media print keeps sections and charts whole). All user text is
// HTML-escaped (text.h HtmlEscape).
//
// Stable hooks for tests and styling (DOM contract):
//   section#alerts > ul.alerts > li.alert.severity-{critical|warning|info}[data-kind][data-subject]
//   section#kpis table.kpi-table[data-tier={north_star|key_result|guardrail|input}]
//        tr.kpi[data-metric=KEY] (key results add [data-status], guardrails [data-level]),
//        each with svg.sparkline[data-metric=KEY]
//   table#decisions tbody tr[data-experiment=KEY][data-verdict=SHIP|DONT_SHIP|INVALID|
//        KEEP_RUNNING|ERROR] with td.verdict and ul.reasons
//   article.experiment#experiment-KEY[data-experiment=KEY] holding
//        svg.forest-plot[data-experiment=KEY] (g.forest-row[data-metric][data-variant]
//        [data-significance]), svg.cumulative-effect[data-metric] when the readout carries
//        `timeseries`, table.effects
//   section#cohorts table#retention tr[data-cohort=WEEK] td.retention, svg.retention-curves
//   section#dau-mau [data-ratio] and svg.dau-mau-chart
//
// Thread safety: pure functions.
#ifndef LIFT_CLIENTS_CPP_REPORT_HTML_REPORT_H_
#define LIFT_CLIENTS_CPP_REPORT_HTML_REPORT_H_

#include <string>

#include "lift/v1/readouts.pb.h"

namespace lift::report {

// The weekly review page: alerts, KPIs by tier, decision table, one article per experiment,
// cohort retention, DAU/MAU.
std::string RenderReviewHtml(const v1::WeeklyReview& review);

// One experiment's page: the decision table (one row) and its article.
std::string RenderReadoutHtml(const v1::Readout& readout);

// The cumulative-effect charts of a readout's `timeseries` (one svg.cumulative-effect per
// metric, one series per treatment, the always-valid interval as a band); empty without series.
std::string CumulativeEffectCharts(const v1::Readout& readout);

}  // namespace lift::report

#endif  // LIFT_CLIENTS_CPP_REPORT_HTML_REPORT_H_
