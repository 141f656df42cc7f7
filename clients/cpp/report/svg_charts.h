// Inline SVG charts for the HTML reports: self-contained markup (no scripts, no fonts, no external
// references), sized in CSS pixels, with classes and data attributes tests and styles can select.
//
//   forest plot   one row per (metric, treatment variant): the relative effect as a dot with its
//                 CI as a whisker, a dashed zero line, and the colour class of the result
//                 (better / worse / pass / fail / inconclusive / none). Root:
//                 <svg class="forest-plot" data-experiment="KEY">, rows
//                 <g class="forest-row" data-metric="M" data-variant="V" data-significance="S">.
//   sparkline     a small polyline of weekly values: <svg class="sparkline" data-metric="KEY">.
//   line chart    several named series on shared axes (retention curves, cumulative effects):
//                 <svg class="line-chart CLASS">, series <g class="series" data-series="NAME">.
//
// All user text is HTML-escaped. Thread safety: pure functions.
#ifndef LIFT_CLIENTS_CPP_REPORT_SVG_CHARTS_H_
#define LIFT_CLIENTS_CPP_REPORT_SVG_CHARTS_H_

#include <optional>
#include <string>
#include <vector>

#include "lift/v1/readouts.pb.h"

namespace lift::report {

// The forest plot of every effect of `readout` (empty string when it has none).
std::string ForestPlotSvg(const v1::Readout& readout);

// A sparkline of `values` (nullopt = undefined week); `data_metric` goes into data-metric.
std::string SparklineSvg(const std::vector<std::optional<double>>& values,
                         const std::string& data_metric, int width = 120, int height = 28);

struct Series {
  std::string name;
  std::vector<std::optional<double>> y;  // at x = 0, 1, 2, ...
  std::vector<double> band_low;          // optional CI band (same length as y, or empty)
  std::vector<double> band_high;
};

// A line chart; `css_class` is added to the root's classes; `x_label` / `y_label` captions;
// `percent` formats the y axis as percentages; `zero_line` draws y = 0. The y axis covers every
// line point and the bands of the later half of the points; bands are clipped to it.
std::string LineChartSvg(const std::vector<Series>& series, const std::string& css_class,
                         const std::string& x_label, const std::string& y_label, bool percent,
                         bool zero_line);

}  // namespace lift::report

#endif  // LIFT_CLIENTS_CPP_REPORT_SVG_CHARTS_H_
