// liftctl launch analyze | create | list: launch impact by difference in differences
// (ReadoutService.AnalyzeLaunch / CreateLaunch / ListLaunches, proto/lift/v1/launches.proto).
//
//   liftctl launch analyze --metric M [--metric M2] --treated 'country=DE'
//       --control 'country in (AT,CH)' --launch 2026-11-02 --pre 4w --post 2w [--period day|week]
//       [--alpha A] [--json]
//   liftctl launch analyze --key KEY [--metric M] [--alpha A] [--json]   (a registered launch)
//   liftctl launch create KEY --metric M ... --treated C --control C --launch T --pre D --post D
//       [--period day|week] [--name N] [--description D] [--owner O] [--json]
//   liftctl launch list [--from T] [--to T] [--json]   (launched in [from, to))
// Instants: a UTC date (2026-11-02 = midnight UTC) or RFC 3339 (2026-11-02T10:00:00+01:00).
// Durations: days as 14d, weeks as 4w, or a plain number of days.
//
// `analyze` prints the estimate (absolute, CI, p; relative to the treated pre-period mean), the
// pre-trend check, units per group and a table of per-period means; `--json` prints one object:
//   launch{key, metric_keys[], treated, control, launch_at, pre_days, post_days, period},
//   window{start, end, pre_periods, post_periods}, units{treated, control, in_both_groups}, alpha,
//   metrics[{metric, version, name, kind, aggregation, absolute{estimate, se, ci_low, ci_high,
//            p_value, df, valid}, relative{...}, treated_pre_mean, pre_trend{placebo{...},
//            flagged, flags[]}, flags[], periods[{index, start, post, treated_mean, control_mean,
//            treated_units, control_units}]}],
//   timing{aggregation_seconds, stats_seconds}
// with instants as RFC 3339 UTC strings.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "clients/cpp/commands/command.h"
#include "lift/v1/launches.pb.h"
#include "nlohmann/json.hpp"

namespace lift::cli {
namespace {

using Json = nlohmann::ordered_json;

// Days of "14d", "4w" or "14". InvalidArgument naming `flag` otherwise.
absl::StatusOr<int> ParseDays(const std::string& text, const std::string& flag) {
  std::string number = text;
  int factor = 1;
  if (!number.empty() && (number.back() == 'd' || number.back() == 'w')) {
    factor = number.back() == 'w' ? 7 : 1;
    number.pop_back();
  }
  int value = 0;
  if (number.empty() || !absl::SimpleAtoi(number, &value) || value < 0 || value > 100000) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " must be a duration like 14d or 4w, got '", text, "'"));
  }
  return value * factor;
}

// Unix epoch microseconds of a UTC date or an RFC 3339 instant.
absl::StatusOr<int64_t> ParseInstant(const std::string& text, const std::string& flag) {
  absl::Time time;
  std::string error;
  if (absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &time, &error) ||
      absl::ParseTime(absl::RFC3339_full, text, absl::UTCTimeZone(), &time, &error) ||
      absl::ParseTime("%Y-%m-%dT%H:%M:%E*S", text, absl::UTCTimeZone(), &time, &error)) {
    return absl::ToUnixMicros(time);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(flag, " must be a date (2026-11-02) or an RFC 3339 instant, got '", text, "'"));
}

std::string FormatInstant(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

std::string FormatDay(int64_t micros) {
  const absl::Time time = absl::FromUnixMicros(micros);
  const bool midnight = absl::ToUnixMicros(time) % (int64_t{86400} * 1'000'000) == 0;
  return absl::FormatTime(midnight ? "%Y-%m-%d" : "%Y-%m-%d %H:%M", time, absl::UTCTimeZone());
}

std::string FlagName(int flag) {
  std::string name = v1::LaunchFlag_Name(static_cast<v1::LaunchFlag>(flag));
  const std::string prefix = "LAUNCH_FLAG_";
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  return absl::AsciiStrToLower(name);
}

std::string PeriodName(v1::LaunchPeriod period) {
  return period == v1::LAUNCH_PERIOD_WEEK ? "week" : "day";
}

// What `analyze` and `create` share: the launch definition flags.
struct DefinitionFlags {
  std::vector<std::string> metrics;
  std::string treated, control, launch, pre, post, period = "day";
  std::string name, description, owner;
};

absl::StatusOr<v1::Launch> BuildLaunch(const DefinitionFlags& flags) {
  v1::Launch launch;
  for (const std::string& metric : flags.metrics) launch.add_metric_keys(metric);
  launch.set_treated(flags.treated);
  launch.set_control(flags.control);
  absl::StatusOr<int64_t> at = ParseInstant(flags.launch, "--launch");
  if (!at.ok()) return at.status();
  launch.set_launch_at_micros(*at);
  absl::StatusOr<int> pre = ParseDays(flags.pre, "--pre");
  if (!pre.ok()) return pre.status();
  absl::StatusOr<int> post = ParseDays(flags.post, "--post");
  if (!post.ok()) return post.status();
  launch.set_pre_days(*pre);
  launch.set_post_days(*post);
  launch.set_period(flags.period == "week" ? v1::LAUNCH_PERIOD_WEEK : v1::LAUNCH_PERIOD_DAY);
  launch.set_name(flags.name);
  launch.set_description(flags.description);
  launch.set_owner(flags.owner);
  return launch;
}

void AddDefinitionFlags(CLI::App* command, DefinitionFlags* flags, bool required) {
  auto require = [required](CLI::Option* option) {
    if (required) option->required();
    return option;
  };
  require(command->add_option("--metric", flags->metrics, "Metric key (repeatable)"));
  require(command->add_option("--treated", flags->treated,
                              "Treated group condition, e.g. 'country=DE'"));
  require(command->add_option("--control", flags->control,
                              "Control group condition, e.g. 'country in (AT,CH)'"));
  require(command->add_option("--launch", flags->launch,
                              "Launch instant: 2026-11-02 (UTC) or RFC 3339"));
  require(command->add_option("--pre", flags->pre, "Time before the launch, e.g. 4w or 28d"));
  require(command->add_option("--post", flags->post, "Time after the launch, e.g. 2w or 14d"));
  command->add_option("--period", flags->period, "Period of the panel: day or week")
      ->check(CLI::IsMember({"day", "week"}))
      ->capture_default_str();
}

Json EffectJson(const v1::LaunchEffect& e) {
  return Json{{"estimate", e.estimate()}, {"se", e.se()},           {"ci_low", e.ci_low()},
              {"ci_high", e.ci_high()},   {"p_value", e.p_value()}, {"df", e.df()},
              {"valid", e.valid()}};
}

Json LaunchJson(const v1::Launch& launch) {
  Json json;
  if (!launch.key().empty()) json["key"] = launch.key();
  if (!launch.name().empty()) json["name"] = launch.name();
  if (!launch.owner().empty()) json["owner"] = launch.owner();
  if (!launch.description().empty()) json["description"] = launch.description();
  json["metric_keys"] =
      Json(std::vector<std::string>(launch.metric_keys().begin(), launch.metric_keys().end()));
  json["treated"] = launch.treated();
  json["control"] = launch.control();
  json["launch_at"] = FormatInstant(launch.launch_at_micros());
  json["pre_days"] = launch.pre_days();
  json["post_days"] = launch.post_days();
  json["period"] = PeriodName(launch.period());
  if (launch.created_at_micros() != 0) {
    json["created_at"] = FormatInstant(launch.created_at_micros());
    json["created_by"] = launch.created_by();
  }
  return json;
}

Json AnalysisJson(const v1::LaunchAnalysis& a) {
  Json json;
  json["launch"] = LaunchJson(a.launch());
  json["window"] = Json{{"start", FormatInstant(a.window_start_micros())},
                        {"end", FormatInstant(a.window_end_micros())},
                        {"pre_periods", a.pre_periods()},
                        {"post_periods", a.post_periods()}};
  json["units"] = Json{{"treated", a.treated_units()},
                       {"control", a.control_units()},
                       {"in_both_groups", a.units_in_both_groups()}};
  json["alpha"] = a.alpha();
  Json metrics = Json::array();
  for (const v1::LaunchMetricResult& m : a.metrics()) {
    Json metric;
    metric["metric"] = m.metric_key();
    metric["version"] = m.metric_version();
    metric["name"] = m.name();
    metric["kind"] = m.kind();
    metric["aggregation"] = m.aggregation();
    metric["absolute"] = EffectJson(m.absolute());
    metric["relative"] = EffectJson(m.relative());
    metric["treated_pre_mean"] = m.treated_pre_mean();
    Json pre_flags = Json::array();
    for (int flag : m.pre_trend().flags()) pre_flags.push_back(FlagName(flag));
    metric["pre_trend"] = Json{{"placebo", EffectJson(m.pre_trend().placebo())},
                               {"flagged", m.pre_trend().flagged()},
                               {"flags", pre_flags}};
    Json flags = Json::array();
    for (int flag : m.flags()) flags.push_back(FlagName(flag));
    metric["flags"] = flags;
    Json periods = Json::array();
    for (const v1::LaunchPeriodMeans& p : m.periods()) {
      periods.push_back(Json{{"index", p.index()},
                             {"start", FormatInstant(p.start_micros())},
                             {"post", p.post()},
                             {"treated_mean", p.treated_mean()},
                             {"control_mean", p.control_mean()},
                             {"treated_units", p.treated_units()},
                             {"control_units", p.control_units()}});
    }
    metric["periods"] = periods;
    metrics.push_back(metric);
  }
  json["metrics"] = metrics;
  json["timing"] =
      Json{{"aggregation_seconds", a.aggregation_seconds()}, {"stats_seconds", a.stats_seconds()}};
  return json;
}

std::string Interval(const v1::LaunchEffect& e, double scale,
                     const absl::FormatSpec<double>& format) {  // checked at compile time
  if (!e.valid()) return absl::StrCat(absl::StrFormat(format, scale * e.estimate()), " (no CI)");
  return absl::StrCat(absl::StrFormat(format, scale * e.estimate()), " [",
                      absl::StrFormat(format, scale * e.ci_low()), ", ",
                      absl::StrFormat(format, scale * e.ci_high()), "]");
}

void PrintTable(const v1::LaunchAnalysis& a) {
  const v1::Launch& launch = a.launch();
  std::cout << "Launch impact"
            << (launch.key().empty() ? std::string() : absl::StrCat(" of ", launch.key()))
            << ": treated '" << launch.treated() << "' vs control '" << launch.control() << "'\n";
  std::cout << absl::StrFormat("Launch %s; window %s .. %s: %d pre- and %d post-periods of a %s\n",
                               FormatDay(launch.launch_at_micros()),
                               FormatDay(a.window_start_micros()), FormatDay(a.window_end_micros()),
                               a.pre_periods(), a.post_periods(), PeriodName(launch.period()));
  std::cout << absl::StrFormat("Units: treated %d, control %d, in both groups (excluded) %d\n",
                               a.treated_units(), a.control_units(), a.units_in_both_groups());
  const int confidence = static_cast<int>(std::lround(100 * (1 - a.alpha())));
  for (const v1::LaunchMetricResult& m : a.metrics()) {
    std::cout << absl::StrFormat("\nMetric %s (version %d, %s, %s)\n", m.metric_key(),
                                 m.metric_version(), m.kind(), m.aggregation());
    std::cout << absl::StrFormat("  Estimate (DiD, %d%% CI):   %s   p = %.3g\n", confidence,
                                 Interval(m.absolute(), 1, "%+.4g"), m.absolute().p_value());
    if (m.relative().valid() || m.treated_pre_mean() != 0) {
      std::cout << absl::StrFormat("  Relative to treated pre-period mean %.4g:   %s\n",
                                   m.treated_pre_mean(), Interval(m.relative(), 100, "%+.2f%%"));
    }
    const v1::PreTrendCheck& pre = m.pre_trend();
    std::string verdict = pre.flagged() ? "DIVERGING: parallel trends doubtful" : "ok";
    if (!pre.placebo().valid()) verdict = "not checked";
    std::cout << absl::StrFormat("  Pre-trend (placebo):       %s   p = %.3g   %s\n",
                                 Interval(pre.placebo(), 1, "%+.4g"), pre.placebo().p_value(),
                                 verdict);
    if (m.flags_size() > 0) {
      std::cout << "  Flags:";
      for (int flag : m.flags()) std::cout << " " << FlagName(flag);
      std::cout << "\n";
    }
    std::cout << absl::StrFormat("\n  %-5s  %-16s  %-4s  %14s  %14s  %8s  %8s\n", "#", "start",
                                 "post", "treated mean", "control mean", "treated", "control");
    for (const v1::LaunchPeriodMeans& p : m.periods()) {
      std::cout << absl::StrFormat("  %-5d  %-16s  %-4s  %14.6g  %14.6g  %8d  %8d\n", p.index(),
                                   FormatDay(p.start_micros()), p.post() ? "yes" : "",
                                   p.treated_mean(), p.control_mean(), p.treated_units(),
                                   p.control_units());
    }
  }
}

struct AnalyzeOptions {
  DefinitionFlags definition;
  std::string key;
  double alpha = 0.0;
  bool json = false;
};

int RunAnalyze(lift::client::Client& client, const AnalyzeOptions& options) {
  v1::AnalyzeLaunchRequest request;
  request.set_alpha(options.alpha);
  if (!options.key.empty()) {
    request.set_launch_key(options.key);
    for (const std::string& metric : options.definition.metrics) request.add_metric_keys(metric);
  } else {
    absl::StatusOr<v1::Launch> launch = BuildLaunch(options.definition);
    if (!launch.ok()) return Fail(launch.status());
    *request.mutable_definition() = *std::move(launch);
  }
  absl::StatusOr<v1::LaunchAnalysis> analysis = client.AnalyzeLaunch(request);
  if (!analysis.ok()) return Fail(analysis.status());
  if (options.json) {
    std::cout << AnalysisJson(*analysis).dump(2) << std::endl;
  } else {
    PrintTable(*analysis);
  }
  return 0;
}

struct CreateOptions {
  DefinitionFlags definition;
  std::string key;
  bool json = false;
};

int RunCreate(lift::client::Client& client, const CreateOptions& options) {
  absl::StatusOr<v1::Launch> launch = BuildLaunch(options.definition);
  if (!launch.ok()) return Fail(launch.status());
  launch->set_key(options.key);
  v1::CreateLaunchRequest request;
  *request.mutable_launch() = *std::move(launch);
  absl::StatusOr<v1::Launch> created = client.CreateLaunch(request);
  if (!created.ok()) return Fail(created.status());
  if (options.json) {
    std::cout << LaunchJson(*created).dump(2) << std::endl;
  } else {
    std::cout << "created launch " << created->key() << " ("
              << FormatDay(created->launch_at_micros()) << ")" << std::endl;
  }
  return 0;
}

struct ListOptions {
  std::string from, to;
  bool json = false;
};

int RunList(lift::client::Client& client, const ListOptions& options) {
  v1::ListLaunchesRequest request;
  if (!options.from.empty()) {
    absl::StatusOr<int64_t> from = ParseInstant(options.from, "--from");
    if (!from.ok()) return Fail(from.status());
    request.set_launched_from_micros(*from);
  }
  if (!options.to.empty()) {
    absl::StatusOr<int64_t> to = ParseInstant(options.to, "--to");
    if (!to.ok()) return Fail(to.status());
    request.set_launched_to_micros(*to);
  }
  absl::StatusOr<v1::ListLaunchesResponse> response = client.ListLaunches(request);
  if (!response.ok()) return Fail(response.status());
  if (options.json) {
    Json launches = Json::array();
    for (const v1::Launch& launch : response->launches()) launches.push_back(LaunchJson(launch));
    std::cout << launches.dump(2) << std::endl;
    return 0;
  }
  if (response->launches().empty()) {
    std::cout << "no launches" << std::endl;
    return 0;
  }
  for (const v1::Launch& launch : response->launches()) {
    std::cout << absl::StrFormat(
        "%-24s  %-16s  %s vs %s  pre %dd post %dd (%s)  metrics %s\n", launch.key(),
        FormatDay(launch.launch_at_micros()), launch.treated(), launch.control(), launch.pre_days(),
        launch.post_days(), PeriodName(launch.period()), absl::StrJoin(launch.metric_keys(), ","));
  }
  return 0;
}

}  // namespace

void AddLaunchCommands(CLI::App& app, Action* action) {
  CLI::App* launch = app.add_subcommand(
      "launch", "Launch impact of changes that were not randomised (difference in differences)");
  launch->require_subcommand(1);

  auto analyze_options = std::make_shared<AnalyzeOptions>();
  CLI::App* analyze =
      launch->add_subcommand("analyze", "Difference in differences around a launch");
  AddDefinitionFlags(analyze, &analyze_options->definition, /*required=*/false);
  analyze->add_option("--key", analyze_options->key,
                      "Analyse a registered launch (--metric then restricts its metrics)");
  analyze->add_option("--alpha", analyze_options->alpha, "Significance level (default 0.05)");
  analyze->add_flag("--json", analyze_options->json, "Print JSON");
  analyze->callback([action, analyze_options] {
    *action = [analyze_options](lift::client::Client& client) {
      const AnalyzeOptions& o = *analyze_options;
      if (o.key.empty() && (o.definition.metrics.empty() || o.definition.treated.empty() ||
                            o.definition.control.empty() || o.definition.launch.empty() ||
                            o.definition.pre.empty() || o.definition.post.empty())) {
        std::cerr << "liftctl: error: launch analyze needs --key, or --metric, --treated, "
                     "--control, --launch, --pre and --post"
                  << std::endl;
        return 2;
      }
      return RunAnalyze(client, o);
    };
  });

  auto create_options = std::make_shared<CreateOptions>();
  CLI::App* create = launch->add_subcommand("create", "Register launch KEY");
  create->add_option("key", create_options->key, "Launch key ([a-z0-9_.-])")->required();
  AddDefinitionFlags(create, &create_options->definition, /*required=*/true);
  create->add_option("--name", create_options->definition.name, "Name");
  create->add_option("--description", create_options->definition.description, "Description");
  create->add_option("--owner", create_options->definition.owner, "Owner");
  create->add_flag("--json", create_options->json, "Print JSON");
  create->callback([action, create_options] {
    *action = [create_options](lift::client::Client& client) {
      return RunCreate(client, *create_options);
    };
  });

  auto list_options = std::make_shared<ListOptions>();
  CLI::App* list = launch->add_subcommand("list", "Registered launches, by launch time");
  list->add_option("--from", list_options->from, "Launched at or after (date or RFC 3339)");
  list->add_option("--to", list_options->to, "Launched before (date or RFC 3339)");
  list->add_flag("--json", list_options->json, "Print JSON");
  list->callback([action, list_options] {
    *action = [list_options](lift::client::Client& client) {
      return RunList(client, *list_options);
    };
  });
}

}  // namespace lift::cli
