// Line charts (clients/cpp/report/svg_charts.h): the y axis of a cumulative-effect chart is set by
// the lines and the later intervals, not by the first days' very wide ones, and bands stay inside
// the plot.
#include "clients/cpp/report/svg_charts.h"

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lift::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Plot area of LineChartSvg: y from 12 (top) to 200 (top + 240 - 12 - 40).
constexpr double kPlotTop = 12, kPlotBottom = 200;

// The y coordinates of the first element `tag class="css_class"` of the chart.
std::vector<double> PointYs(const std::string& svg, const std::string& tag,
                            const std::string& css_class) {
  std::vector<double> ys;
  std::smatch element;
  if (!std::regex_search(svg, element,
                         std::regex("<" + tag + " class=\"" + css_class + "\" points=\"([^\"]*)\""))) {
    return ys;
  }
  const std::string points = element[1];
  const std::regex pair("([-0-9.]+),([-0-9.]+)");
  for (auto it = std::sregex_iterator(points.begin(), points.end(), pair);
       it != std::sregex_iterator(); ++it) {
    ys.push_back(std::stod((*it)[2]));
  }
  return ys;
}

TEST(SvgChartsTest, EarlyWideIntervalsDoNotSetTheScale) {
  // Day 1: +5 % in [-400 %, +410 %]; later days: about +5 % in +-3 %.
  Series line{"treatment", {}, {}, {}};
  for (int day = 0; day < 10; ++day) {
    const double width = day == 0 ? 4.05 : 0.03;
    line.y.push_back(0.05);
    line.band_low.push_back(0.05 - width);
    line.band_high.push_back(0.05 + width);
  }
  const std::string svg = LineChartSvg({line}, "cumulative-effect", "days", "effect",
                                       /*percent=*/true, /*zero_line=*/true);
  // Ticks span roughly 0 % to 8 %, not hundreds of percent.
  EXPECT_THAT(svg, Not(HasSubstr("400%")));
  EXPECT_THAT(svg, Not(HasSubstr("-200%")));
  EXPECT_THAT(svg, HasSubstr(">0%<"));
  const std::vector<double> ys = PointYs(svg, "polygon", "band");
  ASSERT_EQ(ys.size(), 20u);  // 10 upper + 10 lower band corners
  for (double y : ys) {
    EXPECT_GE(y, kPlotTop - 1e-9);
    EXPECT_LE(y, kPlotBottom + 1e-9);
  }
  // The first day's band is clipped to the whole plot height.
  EXPECT_DOUBLE_EQ(ys.front(), kPlotTop);
  EXPECT_DOUBLE_EQ(ys.back(), kPlotBottom);
}

TEST(SvgChartsTest, LinesAlwaysFitEvenOutsideTheLaterBands) {
  Series line{"treatment", {}, {}, {}};
  for (int day = 0; day < 6; ++day) {
    line.y.push_back(day == 0 ? -0.5 : 0.02);  // an early outlier of the estimate itself
    line.band_low.push_back(line.y.back().value() - 0.01);
    line.band_high.push_back(line.y.back().value() + 0.01);
  }
  const std::string svg = LineChartSvg({line}, "cumulative-effect", "days", "effect",
                                       /*percent=*/true, /*zero_line=*/true);
  // The axis reaches the line's lowest point: the first point sits on the plot's bottom edge.
  const std::vector<double> ys = PointYs(svg, "polyline", "line");
  ASSERT_EQ(ys.size(), 6u);
  EXPECT_DOUBLE_EQ(ys.front(), kPlotBottom);
  for (double y : ys) EXPECT_GE(y, kPlotTop - 1e-9);
}

}  // namespace
}  // namespace lift::report
