// The HTML reports rendered by headless Chromium (Debian's /usr/bin/chromium): the page is written
// to a temporary file, Chromium parses it and dumps the resulting DOM (--dump-dom), and the test
// asserts on that DOM: decision table rows, one forest plot per experiment, KPI sparklines, the
// cohort table, escaping of hostile user text (no element is created from it). A screenshot at
// 1280x2000 must produce a PNG. No scripts run: the page has none.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "clients/cpp/report/html_report.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/report/review_fixture.h"

namespace lift::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kChromium[] = "/usr/bin/chromium";

class TempDirectory {
 public:
  TempDirectory() {
    char pattern[] = "/tmp/lift-report-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDirectory() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `command` through the shell; its exit status and standard output.
std::pair<int, std::string> RunCommand(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  char buffer[65536];
  size_t read;
  while ((read = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, read);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string ChromiumFlags(const TempDirectory& dir) {
  // Own profile directory, no network, quiet.
  return std::string(kChromium) + " --headless=new --no-sandbox --disable-gpu " +
         "--no-first-run --disable-extensions --user-data-dir=" + dir.path() + "/profile ";
}

std::string DumpDom(const std::string& html, const TempDirectory& dir) {
  const std::string file = dir.path() + "/page.html";
  std::ofstream(file, std::ios::binary) << html;
  auto [code, dom] = RunCommand(ChromiumFlags(dir) + "--dump-dom file://" + file + " 2>/dev/null");
  EXPECT_EQ(code, 0);
  return dom;
}

int Count(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  return static_cast<int>(std::distance(std::sregex_iterator(text.begin(), text.end(), re),
                                        std::sregex_iterator()));
}

// The part of `dom` from the element opening with `start` to the next `end`.
std::string Slice(const std::string& dom, const std::string& start, const std::string& end) {
  const size_t from = dom.find(start);
  if (from == std::string::npos) return "";
  const size_t to = dom.find(end, from);
  return dom.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

class HtmlDomTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(std::filesystem::exists(kChromium)) << "Chromium is part of the test set-up";
    dir_ = new TempDirectory();
    review_dom_ = new std::string(DumpDom(RenderReviewHtml(testing::SampleReview()), *dir_));
  }
  static void TearDownTestSuite() {
    delete review_dom_;
    delete dir_;
  }
  static TempDirectory* dir_;
  static std::string* review_dom_;
};
TempDirectory* HtmlDomTest::dir_ = nullptr;
std::string* HtmlDomTest::review_dom_ = nullptr;

TEST_F(HtmlDomTest, DecisionTableHasOneRowPerExperiment) {
  const std::string& dom = *review_dom_;
  ASSERT_THAT(dom, HasSubstr("<table id=\"decisions\">"));
  const std::string table = Slice(dom, "<table id=\"decisions\">", "</table>");
  EXPECT_EQ(Count(table, "<tr data-experiment=\""), 4);
  EXPECT_THAT(table, HasSubstr("<tr data-experiment=\"checkout-v2\" data-verdict=\"SHIP\">"));
  EXPECT_THAT(table, HasSubstr("<tr data-experiment=\"fast-search\" data-verdict=\"DONT_SHIP\">"));
  EXPECT_THAT(table,
              HasSubstr("<tr data-experiment=\"new-onboarding\" data-verdict=\"KEEP_RUNNING\">"));
  EXPECT_THAT(table, HasSubstr("<tr data-experiment=\"no-metrics\" data-verdict=\"ERROR\">"));
  EXPECT_EQ(Count(table, "<ul class=\"reasons\">"), 4);
}

TEST_F(HtmlDomTest, OneForestPlotPerExperimentWithARowPerEffect) {
  const std::string& dom = *review_dom_;
  EXPECT_EQ(Count(dom, "<svg class=\"forest-plot\""), 3);  // the failed readout has none
  for (const char* key : {"checkout-v2", "fast-search", "new-onboarding"}) {
    const std::string svg =
        Slice(dom, std::string("<svg class=\"forest-plot\" data-experiment=\"") + key, "</svg>");
    ASSERT_FALSE(svg.empty()) << key;
    EXPECT_EQ(Count(svg, "<g class=\"forest-row"), 2) << key;
    EXPECT_THAT(svg, HasSubstr("class=\"zero-line\"")) << key;
  }
  // Colours follow significance: the winner's success metric is better, the breach fails.
  EXPECT_THAT(Slice(dom, "data-experiment=\"checkout-v2\" xmlns", "</svg>"),
              HasSubstr("data-metric=\"conversion\" data-variant=\"treatment\" "
                        "data-significance=\"better\""));
  EXPECT_THAT(Slice(dom, "data-experiment=\"fast-search\" xmlns", "</svg>"),
              HasSubstr("data-metric=\"latency_ms\" data-variant=\"treatment\" "
                        "data-significance=\"fail\""));
  // Cumulative effect only where the readout carries a time series.
  EXPECT_EQ(Count(dom, "<svg class=\"line-chart cumulative-effect\" data-metric=\"conversion\""),
            1);
}

TEST_F(HtmlDomTest, KpisAlertsCohortsAndStickinessArePresent) {
  const std::string& dom = *review_dom_;
  EXPECT_EQ(Count(Slice(dom, "<section id=\"alerts\">", "</section>"), "<li class=\"alert "), 3);
  EXPECT_THAT(dom, HasSubstr("<li class=\"alert severity-critical\" data-kind=\"threshold\" "
                             "data-subject=\"error_rate\">"));
  EXPECT_THAT(dom, HasSubstr("<table class=\"kpi-table\" data-tier=\"north_star\">"));
  EXPECT_THAT(dom, HasSubstr("<tr class=\"kpi\" data-metric=\"activation\" data-status=\"at_risk\">"));
  EXPECT_THAT(dom, HasSubstr("<tr class=\"kpi\" data-metric=\"error_rate\" data-level=\"red\">"));
  EXPECT_EQ(Count(dom, "<svg class=\"sparkline\""), 3);
  EXPECT_EQ(Count(Slice(dom, "<table id=\"retention\">", "</table>"), "<tr data-cohort=\""), 3);
  EXPECT_EQ(Count(dom, "<svg class=\"line-chart retention-curves\""), 1);
  EXPECT_THAT(dom, HasSubstr("<section id=\"dau-mau\" data-ratio=\"0.220000\">"));
}

TEST_F(HtmlDomTest, HostileUserTextStaysText) {
  const std::string& dom = *review_dom_;
  // Chromium built no element from the injected text: no script, no img anywhere in the page.
  EXPECT_THAT(dom, Not(HasSubstr("<script")));
  EXPECT_THAT(dom, Not(HasSubstr("<img")));
  EXPECT_THAT(dom, HasSubstr("&lt;script&gt;alert('x')&lt;/script&gt;&lt;img src=x "
                             "onerror=alert(1)&gt;"));
  EXPECT_THAT(dom, HasSubstr("growth \"team\" &amp; co"));
}

TEST_F(HtmlDomTest, ReadoutPageHasItsDecisionRowAndPlot) {
  const std::string dom = DumpDom(
      RenderReadoutHtml(testing::SampleReadout("checkout-v2", v1::Decision::VERDICT_SHIP, 0.08,
                                               true)),
      *dir_);
  EXPECT_EQ(Count(dom, "<tr data-experiment=\"checkout-v2\" data-verdict=\"SHIP\">"), 1);
  EXPECT_EQ(Count(dom, "<svg class=\"forest-plot\" data-experiment=\"checkout-v2\""), 1);
  EXPECT_EQ(Count(dom, "<article class=\"experiment\" id=\"experiment-checkout-v2\""), 1);
  EXPECT_THAT(dom, Not(HasSubstr("<script")));
}

TEST_F(HtmlDomTest, PageIsSelfContainedAndScreenshots) {
  const std::string html = RenderReviewHtml(testing::SampleReview());
  // The SVG namespace is the only URL in the page: nothing is fetched.
  EXPECT_EQ(Count(html, "https?://"), Count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(html, HasSubstr("@media print"));
  const std::string file = dir_->path() + "/shot.html";
  const std::string png = dir_->path() + "/shot.png";
  std::ofstream(file, std::ios::binary) << html;
  auto [code, output] = RunCommand(ChromiumFlags(*dir_) + "--hide-scrollbars --window-size=1280,2000 " +
                            "--screenshot=" + png + " file://" + file + " 2>&1");
  ASSERT_EQ(code, 0) << output;
  ASSERT_TRUE(std::filesystem::exists(png)) << output;
  EXPECT_GT(std::filesystem::file_size(png), 10000u);
  std::ifstream image(png, std::ios::binary);
  char signature[8] = {};
  image.read(signature, 8);
  EXPECT_EQ(std::string(signature + 1, 3), "PNG");
}

}  // namespace
}  // namespace lift::report
