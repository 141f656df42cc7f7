// The README's first command, scripts/demo, in a reduced size: starts liftd on its embedded
// PostgreSQL, applies clients/examples/demo/, replays simulated traffic through the real RPCs and
// writes readouts and the weekly review. The verdicts the demo promises must come out of the
// numbers: the clear winner ships, the guardrail breaker does not, the sample ratio mismatch is
// invalid and the young experiment keeps running.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/embedded_pg/process.h"
#include "tests/support/liftd_process.h"

namespace lift {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(DemoE2eTest, ReducedDemoReachesTheVerdictsItPromisesAndWritesTheReview) {
  testing::TempDir dir;
  const std::filesystem::path out = dir.path() / "out";
  const std::string log = (dir.path() / "demo.log").string();
  embedded_pg::ProcessOptions options;
  options.argv = {"/usr/bin/env",
                  "LIFT_DEMO_SKIP_SETUP=1",
                  "LIFT_DEMO_EXIT=1",
                  "LIFT_DEMO_USERS=6000",
                  "LIFT_BUILD_DIR=" LIFT_BINARY_DIR,
                  "LIFT_LISTEN=127.0.0.1:" + std::to_string(testing::FreePort()),
                  "LIFT_DATA_DIR=" + (dir.path() / "data").string(),
                  "LIFT_DEMO_OUT=" + out.string(),
                  "/bin/bash",
                  LIFT_SOURCE_DIR "/scripts/demo"};
  options.output_path = log;
  absl::StatusOr<int> code = embedded_pg::RunToCompletion(options);
  ASSERT_TRUE(code.ok()) << code.status();
  ASSERT_EQ(*code, 0) << ReadFile(log);

  const struct {
    const char* key;
    const char* verdict;
  } expected[] = {
      {"checkout_redesign", "ship"},
      {"recommendations_v2", "dont_ship"},
      {"pricing_banner", "invalid"},
      {"onboarding_tips", "keep_running"},
  };
  for (const auto& e : expected) {
    SCOPED_TRACE(e.key);
    const std::string text = ReadFile(out / ("readout-" + std::string(e.key) + ".json"));
    nlohmann::json readout = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(readout.is_discarded()) << text;
    EXPECT_EQ(readout["decision"]["verdict"], std::string(e.verdict)) << readout["decision"].dump(2);
    EXPECT_FALSE(readout["decision"]["reasons"].empty());
    EXPECT_THAT(ReadFile(out / ("readout-" + std::string(e.key) + ".html")),
                HasSubstr("<svg"));
  }
  // The SHIP reason names the variant and the metric; the INVALID one says why.
  EXPECT_THAT(ReadFile(out / "readout-checkout_redesign.md"), HasSubstr("one_page"));
  // liftctl readout --format md is the report library's rendering (one Markdown for readouts).
  EXPECT_THAT(ReadFile(out / "readout-checkout_redesign.md"),
              StartsWith("## `checkout_redesign` — SHIP"));
  EXPECT_THAT(ReadFile(out / "readout-pricing_banner.md"), HasSubstr("ample ratio mismatch"));

  const std::string review_md = ReadFile(out / "review.md");
  for (const auto& e : expected) EXPECT_THAT(review_md, HasSubstr(e.key));
  const std::string review_html = ReadFile(out / "review.html");
  EXPECT_THAT(review_html, HasSubstr("<svg"));
  // Self-contained: no scripts, stylesheets or images fetched from anywhere.
  EXPECT_THAT(review_html, ::testing::Not(HasSubstr("<script")));
  EXPECT_THAT(review_html, ::testing::Not(HasSubstr("<link")));
  EXPECT_THAT(review_html, ::testing::Not(HasSubstr("src=\"http")));
  EXPECT_THAT(review_html, HasSubstr("id=\"decisions\""));
  EXPECT_THAT(ReadFile(log), HasSubstr("demo: done in"));
}

}  // namespace
}  // namespace lift
