// liftctl review [--week 2026-W47] [--format md|html|json] [-o FILE] [--alpha A]
//                [--anomaly-sigmas K] [--cohort-weeks N] [--trend-weeks N]
//
// Prints ReadoutService.GetWeeklyReview: Markdown (default; report/markdown_report.h), one
// self-contained HTML page (report/html_report.h) or the WeeklyReview message as JSON (proto3
// JSON mapping, field names as in readouts.proto). With -o the output goes to FILE and liftctl
// says where it is. Exit codes: 0 success, 1 the call or the write failed, 2 bad usage.
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "clients/cpp/commands/command.h"
#include "clients/cpp/report/html_report.h"
#include "clients/cpp/report/markdown_report.h"

namespace lift::cli {
namespace {

struct ReviewOptions {
  std::string week;
  std::string format = "md";
  std::string output;
  double alpha = 0;
  double anomaly_sigmas = 0;
  int cohort_weeks = 0;
  int trend_weeks = 0;
};

int Run(lift::client::Client& client, const ReviewOptions& options) {
  v1::GetWeeklyReviewRequest request;
  request.set_week(options.week);
  request.set_alpha(options.alpha);
  request.set_anomaly_sigmas(options.anomaly_sigmas);
  request.set_cohort_weeks(options.cohort_weeks);
  request.set_trend_weeks(options.trend_weeks);
  absl::StatusOr<v1::WeeklyReview> review = client.GetWeeklyReview(request);
  if (!review.ok()) return Fail(review.status());
  std::string text;
  if (options.format == "html") {
    text = report::RenderReviewHtml(*review);
  } else if (options.format == "json") {
    google::protobuf::util::JsonPrintOptions json_options;
    json_options.add_whitespace = true;
    json_options.preserve_proto_field_names = true;
    const auto status = google::protobuf::util::MessageToJsonString(*review, &text, json_options);
    if (!status.ok()) {
      return Fail(absl::InternalError(absl::StrCat("cannot write JSON: ", status.ToString())));
    }
  } else {
    text = report::RenderReviewMarkdown(*review);
  }
  if (options.output.empty() || options.output == "-") {
    std::cout << text;
    if (!text.empty() && text.back() != '\n') std::cout << '\n';
    return 0;
  }
  std::ofstream file(options.output, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) {
    return Fail(absl::PermissionDeniedError(absl::StrCat("cannot write ", options.output)));
  }
  std::cout << "Weekly review " << review->week() << " (" << options.format << ") written to "
            << options.output << "\n";
  return 0;
}

}  // namespace

void AddReviewCommand(CLI::App& app, Action* action) {
  auto options = std::make_shared<ReviewOptions>();
  CLI::App* review = app.add_subcommand(
      "review", "Weekly review: alerts, KPIs, experiments with decisions, cohorts");
  review->add_option("--week", options->week,
                     "ISO week, e.g. 2026-W47 (default: the last complete week, UTC)");
  review->add_option("--format", options->format, "md, html or json")
      ->check(CLI::IsMember({"md", "html", "json"}))
      ->capture_default_str();
  review->add_option("-o,--output", options->output, "Write to FILE instead of stdout");
  review->add_option("--alpha", options->alpha, "Significance level of readouts (default 0.05)");
  review->add_option("--anomaly-sigmas", options->anomaly_sigmas,
                     "Anomaly alert threshold in standard deviations (default 3)");
  review->add_option("--cohort-weeks", options->cohort_weeks, "Cohorts shown (default 8)");
  review->add_option("--trend-weeks", options->trend_weeks, "Weeks of KPI history (default 12)");
  review->callback([action, options] {
    *action = [options](lift::client::Client& client) { return Run(client, *options); };
  });
}

}  // namespace lift::cli
