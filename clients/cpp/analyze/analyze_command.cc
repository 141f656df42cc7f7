#include "clients/cpp/analyze/analyze_command.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "clients/cpp/analyze/ab_input.h"
#include "clients/cpp/analyze/did_input.h"
#include "clients/cpp/analyze/report.h"
#include "stats/ab_analysis.h"
#include "stats/diff_in_diff.h"
#include "stats/power.h"

namespace lift::analyze {

struct AnalyzeCommand::Options {
  CLI::App* analyze = nullptr;

  CLI::App* ab = nullptr;
  std::string ab_csv;
  std::string ab_stats;
  std::string ab_control;
  CLI::Option* ab_control_option = nullptr;
  std::string ab_kind;
  std::string ab_weights;
  double ab_alpha = stats::kDefaultAlpha;
  bool ab_sequential = false;
  double ab_tuning = stats::kDefaultSequentialTuning;
  double ab_guardrail_margin = 0.0;
  CLI::Option* ab_guardrail_option = nullptr;
  std::string ab_direction = "increase";
  std::string ab_correction = "none";
  double ab_prior_mean = 0.0;
  double ab_prior_sd = stats::GaussianPrior{}.sd;
  CLI::Option* ab_prior_mean_option = nullptr;
  CLI::Option* ab_prior_sd_option = nullptr;
  int64_t ab_min_n = stats::kDefaultMinimumNPerArm;
  bool ab_no_cuped = false;
  bool ab_json = false;

  CLI::App* did = nullptr;
  std::string did_csv;
  std::string did_post_from;
  double did_alpha = stats::kDefaultAlpha;
  bool did_json = false;

  CLI::App* power = nullptr;
  std::string power_kind = "mean";
  double power_mean = 0.0, power_sd = 0.0, power_rate = 0.0, power_mde = 0.0;
  double power_n_per_arm = 0.0, power_daily_units = 0.0;
  CLI::Option *power_mean_option = nullptr, *power_sd_option = nullptr,
              *power_rate_option = nullptr, *power_mde_option = nullptr, *power_n_option = nullptr,
              *power_daily_option = nullptr;
  double power_alpha = stats::kDefaultAlpha;
  double power_power = 0.8;
  int power_arms = 2;
  bool power_json = false;
};

namespace {

// A failure with its exit code (bad usage or failed analysis).
struct Failure {
  int code;
  std::string message;
};

Failure Usage(std::string message) { return Failure{kExitBadUsage, std::move(message)}; }
Failure Failed(const absl::Status& status) {
  return Failure{kExitFailed, std::string(status.message())};
}

int Report(const Failure& failure, std::ostream& err) {
  err << "liftctl analyze: error: " << failure.message << "\n";
  if (failure.code == kExitBadUsage) err << "Run with --help for usage.\n";
  return failure.code;
}

std::optional<Failure> CheckAlpha(double alpha) {
  if (!(alpha > 0.0 && alpha < 1.0)) {
    return Usage(absl::StrCat("--alpha must be in (0, 1), got ", alpha));
  }
  return std::nullopt;
}

// Opens `path` ("-" is standard input) and calls read(stream); open failures exit 1.
template <typename Read>
auto WithInput(const std::string& path, Read read) -> decltype(read(std::cin, std::string())) {
  if (path == "-") return read(std::cin, std::string("<stdin>"));
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  return read(file, path);
}

// Names come from the user's files and may not be UTF-8: invalid bytes print as U+FFFD instead of
// throwing.
void PrintJson(const Json& json, std::ostream& out) {
  out << json.dump(2, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace) << "\n";
}

// --- ab ----------------------------------------------------------------------------------------

int RunAb(const AnalyzeCommand::Options& o, std::ostream& out, std::ostream& err) {
  if (o.ab_csv.empty() == o.ab_stats.empty()) {
    return Report(Usage("analyze ab needs exactly one of --csv FILE or --stats FILE.json"), err);
  }
  AbReadOptions read_options;
  read_options.use_covariate = !o.ab_no_cuped;
  if (!o.ab_kind.empty()) {
    auto kind = stats::ParseMetricKind(o.ab_kind);
    if (!kind.ok()) return Report(Usage(absl::StrCat("--", kind.status().message())), err);
    read_options.kind = *kind;
  }
  stats::AbAnalysisSettings settings;
  if (auto failure = CheckAlpha(o.ab_alpha)) return Report(*failure, err);
  settings.analysis.alpha = o.ab_alpha;
  if (o.ab_min_n < 2) {
    return Report(Usage(absl::StrCat("--min-n must be >= 2, got ", o.ab_min_n)), err);
  }
  settings.analysis.min_n_per_arm = o.ab_min_n;
  settings.sequential = o.ab_sequential;
  if (!(o.ab_tuning > 0.0) || !std::isfinite(o.ab_tuning)) {
    return Report(Usage(absl::StrCat("--tuning must be > 0, got ", o.ab_tuning)), err);
  }
  settings.sequential_tuning = o.ab_tuning;
  if (o.ab_guardrail_option->count() > 0) {
    if (!(o.ab_guardrail_margin >= 0.0) || !std::isfinite(o.ab_guardrail_margin)) {
      return Report(
          Usage(absl::StrCat("--guardrail-margin must be >= 0, got ", o.ab_guardrail_margin)), err);
    }
    settings.guardrail_margin = o.ab_guardrail_margin;
  }
  auto direction = stats::ParseDirection(o.ab_direction);
  if (!direction.ok()) return Report(Usage(absl::StrCat("--", direction.status().message())), err);
  settings.direction = *direction;
  auto correction = stats::ParseCorrection(o.ab_correction);
  if (!correction.ok()) {
    return Report(Usage(absl::StrCat("--", correction.status().message())), err);
  }
  settings.correction = *correction;
  if (o.ab_prior_mean_option->count() > 0 || o.ab_prior_sd_option->count() > 0) {
    if (!(o.ab_prior_sd > 0.0) || !std::isfinite(o.ab_prior_sd)) {
      return Report(Usage(absl::StrCat("--prior-sd must be > 0, got ", o.ab_prior_sd)), err);
    }
    settings.prior = stats::GaussianPrior{true, o.ab_prior_mean, o.ab_prior_sd};
  }
  std::vector<std::pair<std::string, double>> weights;
  if (!o.ab_weights.empty()) {
    auto parsed = ParseWeights(o.ab_weights);
    if (!parsed.ok()) return Report(Usage(std::string(parsed.status().message())), err);
    weights = *std::move(parsed);
  }

  const bool from_csv = !o.ab_csv.empty();
  auto data =
      WithInput(from_csv ? o.ab_csv : o.ab_stats, [&](std::istream& in, const std::string& source) {
        return from_csv ? ReadAbCsv(in, source, read_options)
                        : ReadAbStatsJson(in, source, read_options);
      });
  if (!data.ok()) return Report(Failed(data.status()), err);
  const std::optional<std::string> control =
      o.ab_control_option->count() > 0 ? std::optional<std::string>(o.ab_control) : std::nullopt;
  if (absl::Status status = ChooseControl(control, *data); !status.ok()) {
    return Report(Failed(status), err);
  }
  if (!weights.empty()) {
    if (absl::Status status = ApplyWeights(weights, *data); !status.ok()) {
      return Report(Failed(status), err);
    }
  }
  auto result = stats::AnalyzeAb(data->input, settings);
  if (!result.ok()) {
    return Report(Failure{kExitFailed, absl::StrCat(data->source, ": ", result.status().message())},
                  err);
  }
  if (o.ab_json) {
    PrintJson(AbReportJson(*data, settings, *result), out);
  } else {
    PrintAbReport(*data, settings, *result, out);
  }
  return kExitOk;
}

// --- did ---------------------------------------------------------------------------------------

int RunDid(const AnalyzeCommand::Options& o, std::ostream& out, std::ostream& err) {
  if (auto failure = CheckAlpha(o.did_alpha)) return Report(*failure, err);
  auto data = WithInput(o.did_csv, [&](std::istream& in, const std::string& source) {
    return ReadDidCsv(in, source, o.did_post_from);
  });
  if (!data.ok()) return Report(Failed(data.status()), err);

  DidReport report;
  report.alpha = o.did_alpha;
  report.post_from = o.did_post_from;
  const stats::DidSettings settings{o.did_alpha};
  auto twfe = stats::TwoWayFixedEffectsDid(data->observations, data->first_post_period, settings);
  if (!twfe.ok()) {
    return Report(Failure{kExitFailed, absl::StrCat(data->source, ": ", twfe.status().message())},
                  err);
  }
  report.twfe = *std::move(twfe);
  auto changes = stats::CollapsePanelToChanges(data->observations, data->first_post_period);
  if (!changes.ok()) return Report(Failed(changes.status()), err);
  report.changes = *changes;
  auto panel = stats::PanelDid(changes->treated, changes->control, settings);
  if (!panel.ok()) return Report(Failed(panel.status()), err);
  report.panel = *std::move(panel);
  report.periods = MeansByPeriod(*data);
  if (o.did_json) {
    PrintJson(DidReportJson(*data, report), out);
  } else {
    PrintDidReport(*data, report, out);
  }
  return kExitOk;
}

// --- power -------------------------------------------------------------------------------------

int RunPower(const AnalyzeCommand::Options& o, std::ostream& out, std::ostream& err) {
  PowerReport report;
  auto kind = stats::ParseMetricKind(o.power_kind);
  if (!kind.ok() || *kind == stats::MetricKind::kRatio) {
    return Report(Usage(absl::StrCat("--kind must be mean or proportion for power, got \"",
                                     o.power_kind, "\"")),
                  err);
  }
  report.kind = *kind;
  report.settings = stats::PowerSettings{o.power_alpha, o.power_power, o.power_arms};
  if (auto failure = CheckAlpha(o.power_alpha)) return Report(*failure, err);
  const bool proportion = report.kind == stats::MetricKind::kProportion;
  if (proportion) {
    if (o.power_rate_option->count() == 0) {
      return Report(Usage("--kind proportion needs --rate (the baseline conversion rate)"), err);
    }
    report.rate = o.power_rate;
  } else {
    if (o.power_mean_option->count() == 0 || o.power_sd_option->count() == 0) {
      return Report(Usage("--kind mean needs --mean and --sd (the metric's baseline)"), err);
    }
    report.mean = o.power_mean;
    report.sd = o.power_sd;
  }
  const bool have_mde = o.power_mde_option->count() > 0;
  const bool have_n = o.power_n_option->count() > 0;
  if (have_mde == have_n) {
    return Report(Usage("analyze power needs exactly one of --mde (relative, e.g. 0.02) or "
                        "--n-per-arm"),
                  err);
  }
  // Invalid option values (sd <= 0, rate outside (0, 1), ...) are usage errors; the stats layer
  // names the field.
  auto usage_from = [&](const absl::Status& status) {
    return Report(status.code() == absl::StatusCode::kInvalidArgument
                      ? Usage(absl::StrCat("invalid power options: ", status.message()))
                      : Failed(status),
                  err);
  };
  if (have_mde) {
    report.mde = o.power_mde;
    auto size =
        proportion
            ? stats::SampleSizeForProportion(o.power_rate, o.power_mde, report.settings)
            : stats::SampleSizeForMean(o.power_mean, o.power_sd, o.power_mde, report.settings);
    if (!size.ok()) return usage_from(size.status());
    report.sample_size = *size;
  } else {
    report.mde_solved = true;
    if (!(o.power_n_per_arm >= 2.0) || o.power_n_per_arm != std::floor(o.power_n_per_arm)) {
      return Report(
          Usage(absl::StrCat("--n-per-arm must be a whole number >= 2, got ", o.power_n_per_arm)),
          err);
    }
    auto mde = proportion ? stats::MinimumDetectableEffectForProportion(
                                o.power_rate, o.power_n_per_arm, report.settings)
                          : stats::MinimumDetectableEffectForMean(
                                o.power_mean, o.power_sd, o.power_n_per_arm, report.settings);
    if (!mde.ok()) return usage_from(mde.status());
    report.mde = *mde;
    report.sample_size.n_per_arm_exact = o.power_n_per_arm;
    report.sample_size.n_per_arm = static_cast<int64_t>(o.power_n_per_arm);
    report.sample_size.total_n = report.sample_size.n_per_arm * o.power_arms;
  }
  if (o.power_daily_option->count() > 0) {
    report.daily_units = o.power_daily_units;
    auto days = stats::DaysNeeded(report.sample_size.total_n, o.power_daily_units);
    if (!days.ok()) {
      return Report(Usage(absl::StrCat("--daily-units: ", days.status().message())), err);
    }
    report.duration = *days;
  }
  if (o.power_json) {
    PrintJson(PowerReportJson(report), out);
  } else {
    PrintPowerReport(report, out);
  }
  return kExitOk;
}

}  // namespace

AnalyzeCommand::AnalyzeCommand(CLI::App& app) : options_(std::make_unique<Options>()) {
  Options& o = *options_;
  o.analyze = app.add_subcommand(
      "analyze",
      "Analyse local files without a server: A/B tests, difference-in-differences, power");
  o.analyze->require_subcommand(1);

  o.ab = o.analyze->add_subcommand(
      "ab", "A/B(/n) test of one metric from unit-level CSV rows or sufficient statistics");
  o.ab->add_option(
      "--csv", o.ab_csv,
      "Unit-level CSV: unit_id,variant,value[,pre_value] or "
      "unit_id,variant,numerator,denominator[,pre_numerator,pre_denominator]; - for stdin");
  o.ab->add_option("--stats", o.ab_stats,
                   "JSON sufficient statistics: {\"kind\": ..., \"variants\": [{\"name\", \"n\", "
                   "\"sum\", \"sum_sq\", ...}]}");
  o.ab_control_option =
      o.ab->add_option("--control", o.ab_control,
                       "Control variant (default: the one named control, else the first)");
  o.ab->add_option("--kind", o.ab_kind,
                   "mean | proportion | ratio (default: inferred from the data)");
  o.ab->add_option("--weights", o.ab_weights,
                   "Configured traffic weights for the SRM check, e.g. control=0.5,treatment=0.5 "
                   "(default: equal)");
  o.ab->add_option("--alpha", o.ab_alpha, "Two-sided significance level")->capture_default_str();
  o.ab->add_flag("--sequential", o.ab_sequential,
                 "Also report always-valid confidence sequences; corrected p-values use them");
  o.ab->add_option("--tuning", o.ab_tuning,
                   "Sequential tuning N*: total units at which the sequence is tightest")
      ->capture_default_str();
  o.ab_guardrail_option = o.ab->add_option(
      "--guardrail-margin", o.ab_guardrail_margin,
      "Test non-inferiority at this relative margin (0.01 = 1 % worse is acceptable)");
  o.ab->add_option("--direction", o.ab_direction, "increase | decrease: which way is good")
      ->capture_default_str();
  o.ab->add_option("--correction", o.ab_correction,
                   "none | holm | bh: multiple-testing correction across the treatment variants")
      ->capture_default_str();
  o.ab_prior_mean_option =
      o.ab->add_option("--prior-mean", o.ab_prior_mean,
                       "Normal prior mean of the relative lift (default flat prior)");
  o.ab_prior_sd_option = o.ab->add_option("--prior-sd", o.ab_prior_sd,
                                          "Normal prior sd of the relative lift (default 0.3 "
                                          "when --prior-mean is given)");
  o.ab->add_option("--min-n", o.ab_min_n, "Smallest arm on which inference is reported")
      ->capture_default_str();
  o.ab->add_flag("--no-cuped", o.ab_no_cuped, "Ignore pre-period columns or sums");
  o.ab->add_flag("--json", o.ab_json, "Print one JSON object instead of tables");

  o.did = o.analyze->add_subcommand(
      "did", "Difference-in-differences from a panel CSV: unit_id,group,period,value");
  o.did->add_option("--csv", o.did_csv, "Panel CSV; group is treatment or control; - for stdin")
      ->required();
  o.did
      ->add_option("--post-from", o.did_post_from,
                   "First post-treatment period (a period label; with ISO dates any date)")
      ->required();
  o.did->add_option("--alpha", o.did_alpha, "Two-sided significance level")->capture_default_str();
  o.did->add_flag("--json", o.did_json, "Print one JSON object instead of tables");

  o.power = o.analyze->add_subcommand(
      "power", "Sample size for a minimum detectable effect, or the MDE for a sample size");
  o.power->add_option("--kind", o.power_kind, "mean | proportion")->capture_default_str();
  o.power_mean_option = o.power->add_option("--mean", o.power_mean, "Baseline mean (kind mean)");
  o.power_sd_option =
      o.power->add_option("--sd", o.power_sd, "Standard deviation per unit (kind mean)");
  o.power_rate_option =
      o.power->add_option("--rate", o.power_rate, "Baseline conversion rate (kind proportion)");
  o.power_mde_option =
      o.power->add_option("--mde", o.power_mde, "Relative minimum detectable effect, e.g. 0.02");
  o.power_n_option = o.power->add_option("--n-per-arm", o.power_n_per_arm,
                                         "Units per arm: report the MDE instead of a sample size");
  o.power->add_option("--alpha", o.power_alpha, "Two-sided significance level")
      ->capture_default_str();
  o.power->add_option("--power", o.power_power, "Probability of detecting the MDE")
      ->capture_default_str();
  o.power->add_option("--arms", o.power_arms, "Arms including control")->capture_default_str();
  o.power_daily_option = o.power->add_option("--daily-units", o.power_daily_units,
                                             "Units entering per day (all arms): report days");
  o.power->add_flag("--json", o.power_json, "Print one JSON object instead of a table");
}

AnalyzeCommand::~AnalyzeCommand() = default;

bool AnalyzeCommand::Selected() const { return options_->analyze->parsed(); }

int AnalyzeCommand::Run(std::ostream& out, std::ostream& err) const {
  const Options& o = *options_;
  if (o.ab->parsed()) return RunAb(o, out, err);
  if (o.did->parsed()) return RunDid(o, out, err);
  if (o.power->parsed()) return RunPower(o, out, err);
  return Report(Usage("analyze needs a subcommand: ab, did or power"), err);
}

std::unique_ptr<AnalyzeCommand> AddAnalyzeCommand(CLI::App& app) {
  return std::make_unique<AnalyzeCommand>(app);
}

int RunAnalyze(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{"liftctl"};
  app.require_subcommand(1);
  const std::unique_ptr<AnalyzeCommand> command = AddAnalyzeCommand(app);
  // CLI11 takes a vector of arguments in reverse order.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  reversed.push_back("analyze");
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error, out, err);
    return code == 0 ? kExitOk : kExitBadUsage;
  }
  return command->Run(out, err);
}

}  // namespace lift::analyze
