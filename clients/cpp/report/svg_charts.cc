#include "clients/cpp/report/svg_charts.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/cpp/report/text.h"

namespace lift::report {
namespace {

std::string Px(double value) { return absl::StrFormat("%.1f", value); }

// An axis label of a fraction as a percentage; never "-0%".
std::string TickPercent(double fraction) {
  const double percent = std::round(fraction * 1e6) / 1e4;
  return absl::StrFormat("%g%%", percent == 0 ? 0.0 : percent);
}

// A "nice" tick step for a range (1, 2 or 5 × 10^k).
double TickStep(double range, int target_ticks) {
  if (!(range > 0)) return 1.0;
  const double raw = range / target_ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    if (factor * magnitude >= raw) return factor * magnitude;
  }
  return 10 * magnitude;
}

const char* SeriesColour(size_t index) {
  static const char* const kPalette[] = {"#1f6feb", "#d1242f", "#1a7f37", "#9a6700",
                                         "#8250df", "#0a7ea4", "#bf3989", "#57606a"};
  return kPalette[index % 8];
}

}  // namespace

std::string ForestPlotSvg(const v1::Readout& readout) {
  struct Row {
    std::string metric, label, variant, significance;
    v1::Effect effect;
  };
  std::vector<Row> rows;
  for (const v1::MetricResult& metric : readout.metrics()) {
    for (const v1::VariantEffect& effect : metric.effects()) {
      const std::string name = metric.name().empty() ? metric.metric_key() : metric.name();
      rows.push_back({metric.metric_key(),
                      readout.variants_size() > 2 ? absl::StrCat(name, " · ", effect.variant())
                                                  : name,
                      effect.variant(), Significance(effect), PrimaryRelative(effect)});
    }
  }
  if (rows.empty()) return "";
  double low = 0, high = 0;
  for (const Row& row : rows) {
    if (!row.effect.valid()) continue;
    low = std::min({low, row.effect.ci_low(), row.effect.estimate()});
    high = std::max({high, row.effect.ci_high(), row.effect.estimate()});
  }
  if (high - low < 1e-9) {
    low -= 0.01;
    high += 0.01;
  }
  const double pad = 0.08 * (high - low);
  low -= pad;
  high += pad;
  const double label_width = 210, plot_width = 380, value_width = 170, row_height = 26;
  const double top = 10, axis_height = 34;
  const double width = label_width + plot_width + value_width;
  const double height = top + row_height * rows.size() + axis_height;
  auto x = [&](double value) { return label_width + (value - low) / (high - low) * plot_width; };

  std::string svg = absl::StrFormat(
      "<svg class=\"forest-plot\" data-experiment=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" "
      "viewBox=\"0 0 %s %s\" width=\"%s\" height=\"%s\" role=\"img\" aria-label=\"Relative "
      "effects of %s with confidence intervals\">\n",
      HtmlEscape(readout.experiment_key()), Px(width), Px(height), Px(width), Px(height),
      HtmlEscape(readout.experiment_key()));
  const double plot_bottom = top + row_height * rows.size();
  // Grid and axis.
  const double step = TickStep(high - low, 5);
  for (double tick = std::ceil(low / step) * step; tick <= high + 1e-12; tick += step) {
    absl::StrAppend(&svg, absl::StrFormat(
        "  <line class=\"grid\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n"
        "  <text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n",
        Px(x(tick)), Px(top), Px(x(tick)), Px(plot_bottom), Px(x(tick)), Px(plot_bottom + 16),
        HtmlEscape(TickPercent(tick))));
  }
  absl::StrAppend(&svg, absl::StrFormat(
      "  <line class=\"zero-line\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n"
      "  <text class=\"axis-label\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">relative effect "
      "(%.0f%% CI)</text>\n",
      Px(x(0)), Px(top - 4), Px(x(0)), Px(plot_bottom + 2), Px(label_width + plot_width / 2),
      Px(plot_bottom + 31), 100 * (1 - (readout.alpha() > 0 ? readout.alpha() : 0.05))));
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    const double y = top + row_height * (i + 0.5);
    absl::StrAppend(&svg, absl::StrFormat(
        "  <g class=\"forest-row sig-%s\" data-metric=\"%s\" data-variant=\"%s\" "
        "data-significance=\"%s\">\n"
        "    <text class=\"row-label\" x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>\n",
        row.significance, HtmlEscape(row.metric), HtmlEscape(row.variant), row.significance,
        Px(label_width - 8), Px(y + 4), HtmlEscape(row.label)));
    if (row.effect.valid()) {
      absl::StrAppend(&svg, absl::StrFormat(
          "    <line class=\"ci\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n"
          "    <circle class=\"estimate\" cx=\"%s\" cy=\"%s\" r=\"5\"/>\n"
          "    <text class=\"value\" x=\"%s\" y=\"%s\">%s [%s, %s]</text>\n",
          Px(x(row.effect.ci_low())), Px(y), Px(x(row.effect.ci_high())), Px(y),
          Px(x(row.effect.estimate())), Px(y), Px(label_width + plot_width + 8), Px(y + 4),
          Percent(row.effect.estimate(), 1), Percent(row.effect.ci_low(), 1),
          Percent(row.effect.ci_high(), 1)));
    } else {
      absl::StrAppend(&svg, absl::StrFormat(
          "    <text class=\"value\" x=\"%s\" y=\"%s\">no estimate</text>\n",
          Px(label_width + plot_width + 8), Px(y + 4)));
    }
    absl::StrAppend(&svg, "  </g>\n");
  }
  absl::StrAppend(&svg, "</svg>");
  return svg;
}

std::string SparklineSvg(const std::vector<std::optional<double>>& values,
                         const std::string& data_metric, int width, int height) {
  double low = INFINITY, high = -INFINITY;
  for (const auto& value : values) {
    if (!value.has_value()) continue;
    low = std::min(low, *value);
    high = std::max(high, *value);
  }
  std::string svg = absl::StrFormat(
      "<svg class=\"sparkline\" data-metric=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" "
      "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" aria-hidden=\"true\">",
      HtmlEscape(data_metric), width, height, width, height);
  if (!(high >= low) || values.size() < 2) return svg + "</svg>";
  const double margin = 3;
  auto px = [&](size_t i) {
    return margin + (width - 2 * margin) * static_cast<double>(i) / (values.size() - 1);
  };
  auto py = [&](double v) {
    return high > low ? height - margin - (height - 2 * margin) * (v - low) / (high - low)
                      : height / 2.0;
  };
  std::string points;
  size_t last = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!values[i].has_value()) continue;
    absl::StrAppend(&points, points.empty() ? "" : " ", Px(px(i)), ",", Px(py(*values[i])));
    last = i;
  }
  absl::StrAppend(&svg, "<polyline points=\"", points, "\"/>");
  if (values[last].has_value()) {
    absl::StrAppend(&svg, "<circle cx=\"", Px(px(last)), "\" cy=\"", Px(py(*values[last])),
                    "\" r=\"2.5\"/>");
  }
  return svg + "</svg>";
}

std::string LineChartSvg(const std::vector<Series>& series, const std::string& css_class,
                         const std::string& x_label, const std::string& y_label, bool percent,
                         bool zero_line) {
  size_t points = 0;
  for (const Series& s : series) points = std::max(points, s.y.size());
  // The axis spans every line point, but bands only from the later half of the points on: the
  // first points of a cumulative series have the widest intervals, and letting them set the
  // scale would flatten everything after. Bands are clipped to the axis.
  double low = zero_line ? 0 : INFINITY, high = zero_line ? 0 : -INFINITY;
  for (const Series& s : series) {
    for (size_t i = 0; i < s.y.size(); ++i) {
      if (!s.y[i].has_value()) continue;
      low = std::min(low, *s.y[i]);
      high = std::max(high, *s.y[i]);
      if (2 * i < points) continue;
      if (i < s.band_low.size()) low = std::min(low, s.band_low[i]);
      if (i < s.band_high.size()) high = std::max(high, s.band_high[i]);
    }
  }
  const double width = 560, height = 240, left = 56, right = 130, top = 12, bottom = 40;
  std::string svg = absl::StrFormat(
      "<svg class=\"line-chart %s\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %s %s\" "
      "width=\"%s\" height=\"%s\" role=\"img\" aria-label=\"%s\">\n",
      HtmlEscape(css_class), Px(width), Px(height), Px(width), Px(height), HtmlEscape(y_label));
  if (points == 0 || !(high >= low)) return svg + "</svg>";
  if (high - low < 1e-12) {
    high += 0.5 * std::max(1e-3, std::fabs(high));
    low -= 0.5 * std::max(1e-3, std::fabs(low));
  }
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  auto px = [&](size_t i) {
    return left + (points > 1 ? plot_w * static_cast<double>(i) / (points - 1) : plot_w / 2);
  };
  auto py = [&](double v) { return top + plot_h - plot_h * (v - low) / (high - low); };
  auto py_clipped = [&](double v) { return py(std::clamp(v, low, high)); };
  const double step = TickStep(high - low, 4);
  for (double tick = std::ceil(low / step) * step; tick <= high + 1e-12; tick += step) {
    const std::string label = percent ? TickPercent(tick)
                                      : absl::StrFormat("%g", std::fabs(tick) < 1e-12 ? 0.0 : tick);
    absl::StrAppend(&svg, absl::StrFormat(
        "  <line class=\"grid\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n"
        "  <text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>\n",
        Px(left), Px(py(tick)), Px(left + plot_w), Px(py(tick)), Px(left - 6), Px(py(tick) + 4),
        HtmlEscape(label)));
  }
  if (zero_line) {
    absl::StrAppend(&svg, absl::StrFormat(
        "  <line class=\"zero-line\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n", Px(left),
        Px(py(0)), Px(left + plot_w), Px(py(0))));
  }
  absl::StrAppend(&svg, absl::StrFormat(
      "  <text class=\"axis-label\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n",
      Px(left + plot_w / 2), Px(height - 8), HtmlEscape(x_label)));
  for (size_t s = 0; s < series.size(); ++s) {
    const Series& line = series[s];
    absl::StrAppend(&svg, absl::StrFormat("  <g class=\"series\" data-series=\"%s\" "
                                          "stroke=\"%s\" fill=\"%s\">\n",
                                          HtmlEscape(line.name), SeriesColour(s),
                                          SeriesColour(s)));
    if (!line.band_low.empty() && line.band_low.size() == line.y.size() &&
        line.band_high.size() == line.y.size()) {
      std::string band;
      for (size_t i = 0; i < line.y.size(); ++i) {
        absl::StrAppend(&band, band.empty() ? "" : " ", Px(px(i)), ",", Px(py_clipped(line.band_high[i])));
      }
      for (size_t i = line.y.size(); i-- > 0;) {
        absl::StrAppend(&band, " ", Px(px(i)), ",", Px(py_clipped(line.band_low[i])));
      }
      absl::StrAppend(&svg, "    <polygon class=\"band\" points=\"", band, "\"/>\n");
    }
    std::string path;
    std::optional<size_t> last;
    for (size_t i = 0; i < line.y.size(); ++i) {
      if (!line.y[i].has_value()) continue;
      absl::StrAppend(&path, path.empty() ? "" : " ", Px(px(i)), ",", Px(py(*line.y[i])));
      last = i;
    }
    absl::StrAppend(&svg, "    <polyline class=\"line\" points=\"", path, "\"/>\n");
    if (last.has_value()) {
      absl::StrAppend(&svg, absl::StrFormat(
          "    <text class=\"series-label\" x=\"%s\" y=\"%s\" stroke=\"none\">%s</text>\n",
          Px(px(*last) + 6), Px(py(*line.y[*last]) + 4), HtmlEscape(line.name)));
    }
    absl::StrAppend(&svg, "  </g>\n");
  }
  return svg + "</svg>";
}

}  // namespace lift::report
