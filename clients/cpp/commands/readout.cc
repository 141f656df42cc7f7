// liftctl readout KEY [--phase N] [--alpha A] [--fixed-horizon] [--segment ATTR] [--timeseries]
//                     [--format table|json|md|html] [-o FILE].
//
// Prints ReadoutService.GetReadout. `--format json` writes one object:
//   experiment, phase, phase_started_at_micros, phase_ended_at_micros, analysis_end_micros,
//   alpha, sequential, control,
//   variants[{name, n, mean (0), weight, expected_fraction, observed_fraction}],
//   metrics[{metric, version, name, role, kind, direction, covariate, pre_period_days, control,
//            variants[{name, n, mean, sum, denominator_sum, units_missing_pre_period}],
//            results[...]}],
//   health{srm{chi2, p_value, df, flagged, threshold}, multiple_exposure_units,
//          units_missing_pre_period, days_running, power{...}},
//   timing{aggregation_seconds, stats_seconds}, decision{verdict, variant, reasons[]}
// where each metric's `results` items use exactly the keys of `liftctl analyze --json`
// (clients/cpp/analyze/report.h): variant, n, mean, control_n, control_mean, absolute{estimate,
// se, ci_low, ci_high, p_value, df, valid}, relative{...}, cuped{...} | null, primary, p_value,
// sequential{...} | null, bayesian{...}, guardrail{...} | null, adjusted_p_value, flags[]; plus
// significant_better / significant_worse.
// With --segment ATTR the object also has
//   segment_by, segments[{segment, other, none, pooled_values, units, variants[...as above],
//                         srm{...}, metrics[...as above]}]
// (descriptive: uncorrected p-values, no decision input); with --timeseries
//   timeseries[{metric, version, variant, control, truncated,
//               points[{as_of_micros, running, control_n, control_mean, n, mean,
//                       relative{...}, cuped_adjusted, sequential_relative{...}, flags[]}]}].
// Without these options the output is unchanged (neither key is written).
// `table` prints aligned text; `md` the report library's Markdown section (report::
// RenderReadoutMarkdown: decision, reasons, health, one table); both add a
// compact table per metric for segments (segment, variant, n, relative effect [CI], p) and one
// per metric × treatment for the time series (day, n, relative [CI], always-valid CI). `html` is
// one self-contained page (clients/cpp/report/html_report.h: forest plot, cumulative effect over
// time — it always asks for the time series — and the tables). `-o FILE` writes to FILE.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "clients/cpp/commands/command.h"
#include "clients/cpp/report/html_report.h"
#include "clients/cpp/report/markdown_report.h"
#include "lift/v1/readouts.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace lift::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string Lower(const std::string& name, const std::string& prefix) {
  return absl::AsciiStrToLower(name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name);
}

Json EffectJson(const v1::Effect& e) {
  return Json{{"estimate", e.estimate()}, {"se", e.se()},         {"ci_low", e.ci_low()},
              {"ci_high", e.ci_high()},   {"p_value", e.p_value()}, {"df", e.df()},
              {"valid", e.valid()}};
}

Json FlagsJson(const google::protobuf::RepeatedField<int>& list) {
  Json flags = Json::array();
  for (int flag : list) {
    flags.push_back(Lower(v1::ResultFlag_Name(static_cast<v1::ResultFlag>(flag)), "RESULT_FLAG_"));
  }
  return flags;
}

Json ResultJson(const v1::VariantEffect& v, const v1::MetricResult& metric) {
  Json item;
  item["variant"] = v.variant();
  item["n"] = v.n();
  item["mean"] = v.mean();
  item["control_n"] = v.control_n();
  item["control_mean"] = v.control_mean();
  item["absolute"] = EffectJson(v.absolute());
  item["relative"] = EffectJson(v.relative());
  item["cuped"] = v.has_cuped() ? Json{{"theta", v.cuped().theta()},
                                       {"variance_reduction", v.cuped().variance_reduction()},
                                       {"adjusted", v.cuped().adjusted()},
                                       {"absolute", EffectJson(v.cuped().absolute())},
                                       {"relative", EffectJson(v.cuped().relative())}}
                                 : Json(nullptr);
  item["primary"] = v.primary_is_cuped() ? "cuped" : "plain";
  item["p_value"] = v.p_value();
  item["sequential"] = v.has_sequential()
                           ? Json{{"tuning", v.sequential().tuning()},
                                  {"total_n", v.sequential().total_n()},
                                  {"absolute", EffectJson(v.sequential().absolute())},
                                  {"relative", EffectJson(v.sequential().relative())}}
                           : Json(nullptr);
  const v1::BayesianEffect& b = v.bayesian();
  item["bayesian"] = Json{{"chance_to_win", b.chance_to_win()},
                          {"risk_control", b.risk_control()},
                          {"risk_treatment", b.risk_treatment()},
                          {"posterior_mean", b.posterior_mean()},
                          {"posterior_sd", b.posterior_sd()},
                          {"ci_low", b.ci_low()},
                          {"ci_high", b.ci_high()},
                          {"valid", b.valid()}};
  item["guardrail"] =
      v.has_guardrail()
          ? Json{{"margin", v.guardrail().margin()},
                 {"direction", Lower(v1::MetricDirection_Name(metric.direction()),
                                     "METRIC_DIRECTION_")},
                 {"status", Lower(v1::GuardrailCheck::Status_Name(v.guardrail().status()),
                                  "STATUS_")},
                 {"p_value", v.guardrail().p_value()},
                 {"lower_bound", v.guardrail().lower_bound()},
                 {"flags", Json::array()}}
          : Json(nullptr);
  item["adjusted_p_value"] = v.adjusted_p_value();
  item["flags"] = FlagsJson(v.flags());
  item["significant_better"] = v.significant_better();
  item["significant_worse"] = v.significant_worse();
  return item;
}

Json VariantsJson(const google::protobuf::RepeatedPtrField<v1::ReadoutVariant>& list) {
  Json variants = Json::array();
  for (const v1::ReadoutVariant& v : list) {
    variants.push_back(Json{{"name", v.key()},
                            {"n", v.units()},
                            {"weight", v.weight()},
                            {"expected_fraction", v.expected_fraction()},
                            {"observed_fraction", v.observed_fraction()}});
  }
  return variants;
}

Json SrmJson(const v1::SampleRatioMismatch& srm) {
  return Json{{"chi2", srm.chi2()},
              {"p_value", srm.p_value()},
              {"df", srm.df()},
              {"flagged", srm.flagged()},
              {"threshold", srm.threshold()}};
}

Json MetricsJson(const v1::Readout& r,
                 const google::protobuf::RepeatedPtrField<v1::MetricResult>& list) {
  Json metrics = Json::array();
  for (const v1::MetricResult& m : list) {
    Json metric;
    metric["metric"] = m.metric_key();
    metric["version"] = m.metric_version();
    metric["name"] = m.name();
    metric["role"] = Lower(v1::MetricRole_Name(m.role()), "METRIC_ROLE_");
    metric["kind"] = Lower(v1::MetricKind_Name(m.kind()), "METRIC_KIND_");
    metric["direction"] = Lower(v1::MetricDirection_Name(m.direction()), "METRIC_DIRECTION_");
    metric["covariate"] = m.cuped_pre_period_days() > 0;
    metric["pre_period_days"] = m.cuped_pre_period_days();
    metric["control"] = r.control_variant();
    Json summaries = Json::array();
    for (const v1::VariantMetricSummary& s : m.variants()) {
      summaries.push_back(Json{{"name", s.variant()},
                               {"n", s.n()},
                               {"mean", s.mean()},
                               {"sum", s.sum()},
                               {"denominator_sum", s.denominator_sum()},
                               {"units_missing_pre_period", s.units_missing_pre_period()}});
    }
    metric["variants"] = summaries;
    Json results = Json::array();
    for (const v1::VariantEffect& v : m.effects()) results.push_back(ResultJson(v, m));
    metric["results"] = results;
    metrics.push_back(metric);
  }
  return metrics;
}

Json ReadoutJson(const v1::Readout& r) {
  Json json;
  json["experiment"] = r.experiment_key();
  json["phase"] = r.phase();
  json["phase_started_at_micros"] = r.phase_started_at_micros();
  json["phase_ended_at_micros"] = r.phase_ended_at_micros();
  json["analysis_end_micros"] = r.analysis_end_micros();
  json["alpha"] = r.alpha();
  json["sequential"] = r.sequential();
  json["control"] = r.control_variant();
  json["variants"] = VariantsJson(r.variants());
  json["metrics"] = MetricsJson(r, r.metrics());
  const v1::Health& h = r.health();
  json["health"] = Json{
      {"srm", SrmJson(h.srm())},
      {"multiple_exposure_units", h.multiple_exposure_units()},
      {"units_missing_pre_period", h.units_missing_pre_period()},
      {"days_running", h.days_running()},
      {"power", Json{{"metric", h.power().metric_key()},
                     {"available", h.power().available()},
                     {"mde", h.power().mde()},
                     {"required_units_per_arm", h.power().required_units_per_arm()},
                     {"units_per_arm", h.power().units_per_arm()},
                     {"reached", h.power().reached()},
                     {"daily_units", h.power().daily_units()},
                     {"days_to_go", h.power().days_to_go()},
                     {"note", h.power().note()}}}};
  Json reasons = Json::array();
  for (const std::string& reason : r.decision().reasons()) reasons.push_back(reason);
  json["timing"] = Json{{"aggregation_seconds", r.aggregation_seconds()},
                        {"stats_seconds", r.stats_seconds()}};
  json["decision"] =
      Json{{"verdict", Lower(v1::Decision::Verdict_Name(r.decision().verdict()), "VERDICT_")},
           {"variant", r.decision().variant()},
           {"reasons", reasons}};
  if (!r.segment_by().empty()) {
    json["segment_by"] = r.segment_by();
    Json segments = Json::array();
    for (const v1::SegmentReadout& s : r.segments()) {
      segments.push_back(Json{{"segment", s.value()},
                              {"other", s.other()},
                              {"none", s.none()},
                              {"pooled_values", s.pooled_values()},
                              {"units", s.units()},
                              {"variants", VariantsJson(s.variants())},
                              {"srm", SrmJson(s.srm())},
                              {"metrics", MetricsJson(r, s.metrics())}});
    }
    json["segments"] = segments;
  }
  if (r.timeseries_size() > 0) {
    Json series = Json::array();
    for (const v1::MetricTimeseries& t : r.timeseries()) {
      Json points = Json::array();
      for (const v1::TimeseriesPoint& p : t.points()) {
        points.push_back(Json{{"as_of_micros", p.as_of_micros()},
                              {"running", p.running()},
                              {"control_n", p.control_n()},
                              {"control_mean", p.control_mean()},
                              {"n", p.n()},
                              {"mean", p.mean()},
                              {"relative", EffectJson(p.relative())},
                              {"cuped_adjusted", p.cuped_adjusted()},
                              {"sequential_relative", EffectJson(p.sequential_relative())},
                              {"flags", FlagsJson(p.flags())}});
      }
      series.push_back(Json{{"metric", t.metric_key()},
                            {"version", t.metric_version()},
                            {"variant", t.variant()},
                            {"control", t.control_variant()},
                            {"truncated", t.truncated()},
                            {"points", points}});
    }
    json["timeseries"] = series;
  }
  return json;
}

std::string Verdict(const v1::Readout& r) {
  return absl::AsciiStrToUpper(Lower(v1::Decision::Verdict_Name(r.decision().verdict()), "VERDICT_"));
}

// One row per (metric, treatment): the primary relative effect and its interval.
struct Row {
  std::string metric, role, variant, control, treatment, lift, p, status;
};

std::vector<Row> Rows(const v1::Readout& r) {
  std::vector<Row> rows;
  for (const v1::MetricResult& m : r.metrics()) {
    for (const v1::VariantEffect& v : m.effects()) {
      const v1::Effect& rel = v.primary_is_cuped() ? v.cuped().relative() : v.relative();
      std::string status = v.significant_better() ? "better" : v.significant_worse() ? "worse" : "-";
      if (v.has_guardrail()) {
        status = Lower(v1::GuardrailCheck::Status_Name(v.guardrail().status()), "STATUS_");
      }
      rows.push_back({m.metric_key(), Lower(v1::MetricRole_Name(m.role()), "METRIC_ROLE_"),
                      v.variant(), absl::StrFormat("%.4g", v.control_mean()),
                      absl::StrFormat("%.4g", v.mean()),
                      rel.valid() ? absl::StrFormat("%+.2f%% [%+.2f%%, %+.2f%%]",
                                                    100 * rel.estimate(), 100 * rel.ci_low(),
                                                    100 * rel.ci_high())
                                  : std::string("n/a"),
                      absl::StrFormat("%.3g", v.adjusted_p_value()), status});
    }
  }
  return rows;
}

using Grid = std::vector<std::vector<std::string>>;  // first row: the header

std::string RelativeText(const v1::Effect& rel) {
  return rel.valid() ? absl::StrFormat("%+.2f%% [%+.2f%%, %+.2f%%]", 100 * rel.estimate(),
                                       100 * rel.ci_low(), 100 * rel.ci_high())
                     : std::string("n/a");
}

std::string SegmentLabel(const v1::SegmentReadout& s) {
  if (s.other()) return absl::StrFormat("other (%d values)", s.pooled_values());
  return s.value();
}

// Per metric: a title and one row per segment × variant (control rows carry n only).
std::vector<std::pair<std::string, Grid>> SegmentGrids(const v1::Readout& r) {
  std::vector<std::pair<std::string, Grid>> out;
  for (int m = 0; m < r.metrics_size(); ++m) {
    Grid grid = {{"segment", "variant", "n", "relative lift [CI]", "p"}};
    for (const v1::SegmentReadout& s : r.segments()) {
      if (m >= s.metrics_size()) continue;
      const v1::MetricResult& metric = s.metrics(m);
      for (const v1::VariantMetricSummary& v : metric.variants()) {
        std::vector<std::string> row = {SegmentLabel(s), v.variant(), absl::StrCat(v.n()), "-",
                                        "-"};
        for (const v1::VariantEffect& e : metric.effects()) {
          if (e.variant() != v.variant()) continue;
          row[3] = RelativeText(e.primary_is_cuped() ? e.cuped().relative() : e.relative());
          row[4] = absl::StrFormat("%.3g", e.p_value());
        }
        grid.push_back(row);
      }
    }
    out.emplace_back(absl::StrFormat("%s by %s (descriptive: p not corrected for segments)",
                                     r.metrics(m).metric_key(), r.segment_by()),
                     grid);
  }
  return out;
}

std::string DayText(const v1::TimeseriesPoint& p) {
  return absl::FormatTime(p.running() ? "%Y-%m-%d %H:%M (now)" : "%Y-%m-%d",
                          absl::FromUnixMicros(p.as_of_micros()), absl::UTCTimeZone());
}

// Per metric × treatment: a title and one row per day.
std::vector<std::pair<std::string, Grid>> TimeseriesGrids(const v1::Readout& r) {
  std::vector<std::pair<std::string, Grid>> out;
  for (const v1::MetricTimeseries& t : r.timeseries()) {
    Grid grid = {{"as of (UTC)", "control n", "treatment n", "relative lift [CI]",
                  "always-valid CI"}};
    for (const v1::TimeseriesPoint& p : t.points()) {
      const v1::Effect& seq = p.sequential_relative();
      grid.push_back({DayText(p), absl::StrCat(p.control_n()), absl::StrCat(p.n()),
                      RelativeText(p.relative()),
                      seq.valid() ? absl::StrFormat("[%+.2f%%, %+.2f%%]", 100 * seq.ci_low(),
                                                    100 * seq.ci_high())
                                  : std::string("n/a")});
    }
    out.emplace_back(absl::StrFormat("%s, %s vs %s, cumulative by day%s", t.metric_key(),
                                     t.variant(), t.control_variant(),
                                     t.truncated() ? " (last 90 days)" : ""),
                     grid);
  }
  return out;
}

void PrintAligned(const Grid& grid) {
  std::vector<size_t> widths;
  for (const auto& row : grid) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : grid) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += (i == 0 ? "" : "  ") + row[i] + std::string(widths[i] - row[i].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
}

void PrintMarkdownGrid(const Grid& grid) {
  for (size_t r = 0; r < grid.size(); ++r) {
    std::cout << "|";
    for (const std::string& cell : grid[r]) std::cout << " " << cell << " |";
    std::cout << "\n";
    if (r == 0) {
      std::cout << "|";
      for (size_t c = 0; c < grid[0].size(); ++c) std::cout << (c < 2 ? "---|" : "---:|");
      std::cout << "\n";
    }
  }
}

void PrintTable(const v1::Readout& r) {
  std::cout << absl::StrFormat("Readout of %s, phase %d (%.1f days, alpha %g, %s)\n",
                               r.experiment_key(), r.phase(), r.health().days_running(), r.alpha(),
                               r.sequential() ? "always-valid p-values" : "fixed horizon");
  std::cout << "Decision: " << Verdict(r)
            << (r.decision().variant().empty() ? "" : " " + r.decision().variant()) << "\n";
  for (const std::string& reason : r.decision().reasons()) std::cout << "  - " << reason << "\n";
  std::cout << "\nVariants:";
  for (const v1::ReadoutVariant& v : r.variants()) {
    std::cout << absl::StrFormat("  %s %d (%.1f%%)", v.key(), v.units(),
                                 100 * v.observed_fraction());
  }
  std::cout << absl::StrFormat("\nSRM p = %.3g%s; multiple exposures excluded: %d\n\n",
                               r.health().srm().p_value(),
                               r.health().srm().flagged() ? " (FLAGGED)" : "",
                               r.health().multiple_exposure_units());
  std::vector<Row> rows = Rows(r);
  rows.insert(rows.begin(), {"metric", "role", "variant", "control", "treatment",
                             "relative lift [CI]", "adj. p", "status"});
  std::vector<size_t> widths(8, 0);
  auto cells = [](const Row& row) {
    return std::vector<std::string>{row.metric, row.role,  row.variant, row.control,
                                    row.treatment, row.lift, row.p,      row.status};
  };
  for (const Row& row : rows) {
    const auto c = cells(row);
    for (size_t i = 0; i < c.size(); ++i) widths[i] = std::max(widths[i], c[i].size());
  }
  for (const Row& row : rows) {
    const auto c = cells(row);
    std::string line;
    for (size_t i = 0; i < c.size(); ++i) {
      line += (i == 0 ? "" : "  ") + c[i] + std::string(widths[i] - c[i].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
  for (const auto& grids : {SegmentGrids(r), TimeseriesGrids(r)}) {
    for (const auto& [title, grid] : grids) {
      if (grid.size() < 2) continue;
      std::cout << "\n" << title << ":\n";
      PrintAligned(grid);
    }
  }
}

// The report library's Markdown section (the one the weekly review and the demo use), then the
// segment and time-series tables when asked for.
void PrintMarkdown(const v1::Readout& r) {
  std::cout << report::RenderReadoutMarkdown(r);
  for (const auto& grids : {SegmentGrids(r), TimeseriesGrids(r)}) {
    for (const auto& [title, grid] : grids) {
      if (grid.size() < 2) continue;
      std::cout << "\n### " << title << "\n\n";
      PrintMarkdownGrid(grid);
    }
  }
}

struct ReadoutOptions {
  std::string key;
  int phase = 0;
  double alpha = 0.0;
  bool fixed_horizon = false;
  std::string segment;
  bool timeseries = false;
  std::string format = "table";
  std::string output;  // empty: stdout
};

int Run(lift::client::Client& client, const ReadoutOptions& options) {
  auto stub = v1::ReadoutService::NewStub(client.channel());
  grpc::ClientContext context;
  client.Prepare(context);  // API key and deadline; readouts aggregate in the database, so
  context.set_deadline(std::chrono::system_clock::now() +  // allow at least a minute
                       std::max<std::chrono::milliseconds>(client.options().timeout,
                                                           std::chrono::seconds(60)));
  v1::GetReadoutRequest request;
  request.set_experiment_key(options.key);
  request.set_phase(options.phase);
  request.set_alpha(options.alpha);
  request.set_fixed_horizon(options.fixed_horizon);
  request.set_segment_by(options.segment);
  request.set_include_timeseries(options.timeseries || options.format == "html");
  v1::Readout readout;
  const grpc::Status status = stub->GetReadout(&context, request, &readout);
  if (!status.ok()) return Fail(lift::client::FromGrpcStatus(status));
  std::ofstream file;
  std::streambuf* const stdout_buffer = std::cout.rdbuf();
  if (!options.output.empty()) {
    file.open(options.output, std::ios::binary | std::ios::trunc);
    if (!file) {
      return Fail(absl::FailedPreconditionError(
          absl::StrCat("cannot write '", options.output, "': ", std::strerror(errno))));
    }
    std::cout.rdbuf(file.rdbuf());
  }
  if (options.format == "html") {
    std::cout << report::RenderReadoutHtml(readout);
  } else if (options.format == "json") {
    std::cout << ReadoutJson(readout).dump(2) << std::endl;
  } else if (options.format == "md") {
    PrintMarkdown(readout);
  } else {
    PrintTable(readout);
  }
  std::cout.flush();
  std::cout.rdbuf(stdout_buffer);
  if (!options.output.empty() && !file) {
    return Fail(absl::DataLossError(absl::StrCat("writing '", options.output, "' failed")));
  }
  return 0;
}

}  // namespace

void AddReadoutCommand(CLI::App& app, Action* action) {
  auto options = std::make_shared<ReadoutOptions>();
  CLI::App* readout =
      app.add_subcommand("readout", "Results, health and the decision of an experiment");
  readout->add_option("key", options->key, "Experiment key")->required();
  readout->add_option("--phase", options->phase, "Phase (default: current)");
  readout->add_option("--alpha", options->alpha, "Significance level (default 0.05)");
  readout->add_flag("--fixed-horizon", options->fixed_horizon,
                    "Decide on fixed-horizon instead of always-valid p-values");
  readout->add_option("--segment", options->segment,
                      "Exposure attribute to segment by (top 20 values, other, (none)); "
                      "segment results are descriptive");
  readout->add_flag("--timeseries", options->timeseries,
                    "Add daily cumulative results per metric (stored snapshots)");
  readout->add_option("--format", options->format, "table, json, md or html")
      ->check(CLI::IsMember({"table", "json", "md", "html"}))
      ->capture_default_str();
  readout->add_option("-o,--output", options->output, "Write to FILE instead of stdout");
  readout->callback([action, options] {
    *action = [options](lift::client::Client& client) { return Run(client, *options); };
  });
}

}  // namespace lift::cli
