// Markdown renderings against committed goldens (tests/report/golden/), for the hand-built review
// and readout of review_fixture.h. Regenerate after an intended change with
// LIFT_UPDATE_GOLDENS=1 and review the diff.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "clients/cpp/report/markdown_report.h"
#include "clients/cpp/report/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/report/review_fixture.h"

namespace lift::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string GoldenPath(const std::string& name) {
  return std::string(LIFT_SOURCE_DIR) + "/tests/report/golden/" + name;
}

void ExpectGolden(const std::string& name, const std::string& actual) {
  if (std::getenv("LIFT_UPDATE_GOLDENS") != nullptr) {
    std::ofstream(GoldenPath(name), std::ios::binary) << actual;
  }
  std::ifstream file(GoldenPath(name), std::ios::binary);
  ASSERT_TRUE(file) << "missing golden " << GoldenPath(name);
  std::stringstream expected;
  expected << file.rdbuf();
  EXPECT_EQ(actual, expected.str()) << "golden " << name << " differs";
}

TEST(MarkdownReportTest, ReviewMatchesGolden) {
  ExpectGolden("review.md", RenderReviewMarkdown(testing::SampleReview()));
}

TEST(MarkdownReportTest, ReadoutMatchesGolden) {
  ExpectGolden("readout.md", RenderReadoutMarkdown(testing::SampleReadout(
                                 "checkout-v2", v1::Decision::VERDICT_SHIP, 0.08, false)));
}

TEST(MarkdownReportTest, UserTextCannotInjectMarkupOrBreakTables) {
  const std::string markdown = RenderReviewMarkdown(testing::SampleReview());
  EXPECT_THAT(markdown, Not(HasSubstr("<script")));
  EXPECT_THAT(markdown, Not(HasSubstr("<img")));
  EXPECT_THAT(markdown, HasSubstr("&lt;script&gt;"));
  EXPECT_THAT(markdown, HasSubstr("\\| \\*x\\*"));  // a pipe in a reason does not split a cell
}

TEST(MarkdownReportTest, SectionsAppearInReviewOrder) {
  const std::string markdown = RenderReviewMarkdown(testing::SampleReview());
  size_t last = 0;
  for (const char* heading : {"## Alerts", "## North star", "## Key results", "## Guardrails",
                              "## Experiments", "## Cohort retention", "## DAU/MAU"}) {
    const size_t at = markdown.find(heading);
    ASSERT_NE(at, std::string::npos) << heading;
    EXPECT_GT(at, last) << heading;
    last = at;
  }
}

TEST(TextTest, EscapesAndFormats) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(MarkdownEscape("a|b*c_d\nnext <b>"), "a\\|b\\*c\\_d next &lt;b&gt;");
  EXPECT_EQ(Percent(0.01234), "+1.23%");
  EXPECT_EQ(Percent(-0.5, 0), "-50%");
  EXPECT_EQ(Date(1794787200LL * 1000000), "2026-11-16");  // python: datetime(2026,11,16) epoch
  EXPECT_EQ(UnicodeSparkline({0.0, 1.0, std::nullopt, 0.5}), "▁█ ▅");
}

}  // namespace
}  // namespace lift::report
