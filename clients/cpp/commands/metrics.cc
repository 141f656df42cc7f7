// liftctl metrics apply | list | get | versions.
//
// `metrics apply -f metrics.yaml` reads metric definitions from YAML and applies them in one call
// (MetricService.ApplyMetrics), printing per metric whether it was created, updated (with the
// field-by-field diff) or unchanged. The file holds either a list of metrics or a mapping with a
// `metrics:` list. Keys are the field names of lift.v1.Metric (metrics.proto); enumerations are
// written in lower case without their prefix; window fields also accept durations:
//   metrics:
//     - key: revenue
//       name: Revenue per user
//       kind: mean                       # proportion | mean | ratio | retention
//       numerator: {event: purchase, aggregation: sum,
//                   filters: [{property: plan, operator: in, values: [pro, team]}]}
//       window_duration: 7d              # or window_duration_seconds: 604800
//       capping: percentile              # none | absolute | percentile
//       capping_value: 0.99
//       direction: increase
//       cuped_pre_period_days: 14        # or `none`
//       mde: 0.02
//       tier: key_result
//       target_date: 2026-12-31          # key results: when the target should be reached
//     - key: error_rate                   # guardrail KPI thresholds (direction decrease: above = bad)
//       warning_threshold: 0.02
//       alert_threshold: 0.05
// Output-only fields (version, created_at_micros, created_by) are accepted and ignored.
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "clients/cpp/commands/command.h"
#include "clients/cpp/commands/experiment_yaml.h"
#include "lift/v1/metrics.grpc.pb.h"

namespace lift::cli {
namespace {

using Json = nlohmann::json;

// "7d", "12h", "30m", "45s" or a number of seconds.
absl::StatusOr<int64_t> ParseDuration(const Json& value, const std::string& field) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (!value.is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " must be a duration like 7d or 12h"));
  }
  std::string text = value.get<std::string>();
  int64_t unit = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'd': unit = 86400; break;
      case 'h': unit = 3600; break;
      case 'm': unit = 60; break;
      case 's': unit = 1; break;
      default: unit = 0;
    }
    if (unit != 0) text.pop_back();
  }
  int64_t amount = 0;
  if (unit == 0 || !absl::SimpleAtoi(text, &amount)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be a duration like 7d, 12h, 30m or 45s, got '",
                     value.get<std::string>(), "'"));
  }
  if (amount > std::numeric_limits<int64_t>::max() / unit ||
      amount < std::numeric_limits<int64_t>::min() / unit) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is out of range: '", value.get<std::string>(), "'"));
  }
  return amount * unit;
}

template <typename Enum>
absl::StatusOr<Enum> ParseEnum(const Json& value, const std::string& field, const char* prefix,
                               bool (*parse)(const std::string&, Enum*)) {
  if (!value.is_string()) return absl::InvalidArgumentError(absl::StrCat(field, " must be a name"));
  Enum out;
  if (!parse(absl::StrCat(prefix, absl::AsciiStrToUpper(value.get<std::string>())), &out)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": unknown value '", value.get<std::string>(), "'"));
  }
  return out;
}

bool ParseKind(const std::string& name, v1::MetricKind* out) { return v1::MetricKind_Parse(name, out); }
bool ParseAggregation(const std::string& name, v1::Aggregation* out) {
  return v1::Aggregation_Parse(name, out);
}
bool ParseCapping(const std::string& name, v1::CappingType* out) {
  return v1::CappingType_Parse(name, out);
}
bool ParseDirection(const std::string& name, v1::MetricDirection* out) {
  return v1::MetricDirection_Parse(name, out);
}
bool ParseTier(const std::string& name, v1::MetricTier* out) { return v1::MetricTier_Parse(name, out); }
bool ParseOperator(const std::string& name, v1::PropertyFilter::Operator* out) {
  return v1::PropertyFilter::Operator_Parse(name, out);
}

absl::Status SelectorFromJson(const Json& json, const std::string& field, v1::EventSelector* out) {
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(field, " must be a mapping"));
  for (auto it = json.begin(); it != json.end(); ++it) {
    const std::string name = absl::StrCat(field, ".", it.key());
    if (it.key() == "event") {
      out->set_event(it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
    } else if (it.key() == "aggregation") {
      absl::StatusOr<v1::Aggregation> aggregation =
          ParseEnum<v1::Aggregation>(it.value(), name, "AGGREGATION_", ParseAggregation);
      if (!aggregation.ok()) return aggregation.status();
      out->set_aggregation(*aggregation);
    } else if (it.key() == "filters") {
      if (!it.value().is_array()) return absl::InvalidArgumentError(name + " must be a list");
      for (size_t i = 0; i < it.value().size(); ++i) {
        const Json& item = it.value()[i];
        const std::string at = absl::StrCat(name, "[", i, "]");
        v1::PropertyFilter* filter = out->add_filters();
        if (!item.is_object()) return absl::InvalidArgumentError(at + " must be a mapping");
        filter->set_property(item.value("property", ""));
        absl::StatusOr<v1::PropertyFilter::Operator> op = ParseEnum<v1::PropertyFilter::Operator>(
            item.value("operator", Json("equal")), at + ".operator", "OPERATOR_", ParseOperator);
        if (!op.ok()) return op.status();
        filter->set_operator_(*op);
        const Json values = item.value("values", Json::array());
        for (const Json& value : values.is_array() ? values : Json::array({values})) {
          filter->add_values(value.is_string() ? value.get<std::string>() : value.dump());
        }
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown field ", name));
    }
  }
  return absl::OkStatus();
}

absl::Status MetricFromJson(const Json& json, const std::string& at, v1::Metric* out) {
  if (!json.is_object()) return absl::InvalidArgumentError(at + " must be a mapping");
  try {
    for (auto it = json.begin(); it != json.end(); ++it) {
      const std::string& key = it.key();
      const Json& value = it.value();
      const std::string field = absl::StrCat(at, ".", key);
      auto text = [&] { return value.is_string() ? value.get<std::string>() : value.dump(); };
      if (key == "key") out->set_key(text());
      else if (key == "name") out->set_name(text());
      else if (key == "description") out->set_description(text());
      else if (key == "owner") out->set_owner(text());
      else if (key == "kind") {
        auto kind = ParseEnum<v1::MetricKind>(value, field, "METRIC_KIND_", ParseKind);
        if (!kind.ok()) return kind.status();
        out->set_kind(*kind);
      } else if (key == "numerator") {
        if (absl::Status s = SelectorFromJson(value, field, out->mutable_numerator()); !s.ok()) return s;
      } else if (key == "denominator") {
        if (absl::Status s = SelectorFromJson(value, field, out->mutable_denominator()); !s.ok()) return s;
      } else if (key == "window_start" || key == "window_start_seconds") {
        auto seconds = ParseDuration(value, field);
        if (!seconds.ok()) return seconds.status();
        out->set_window_start_seconds(*seconds);
      } else if (key == "window_duration" || key == "window_duration_seconds") {
        auto seconds = ParseDuration(value, field);
        if (!seconds.ok()) return seconds.status();
        out->set_window_duration_seconds(*seconds);
      } else if (key == "capping") {
        auto capping = ParseEnum<v1::CappingType>(value, field, "CAPPING_TYPE_", ParseCapping);
        if (!capping.ok()) return capping.status();
        out->set_capping(*capping);
      } else if (key == "capping_value") out->set_capping_value(value.get<double>());
      else if (key == "direction") {
        auto direction =
            ParseEnum<v1::MetricDirection>(value, field, "METRIC_DIRECTION_", ParseDirection);
        if (!direction.ok()) return direction.status();
        out->set_direction(*direction);
      } else if (key == "cuped_pre_period_days") {
        if (value.is_string() && value.get<std::string>() == "none") {
          out->set_cuped_pre_period_days(0);
        } else if (value.is_number_integer() &&
                   // Compared as stored: an unsigned value >= 2^63 compared with a signed bound
                   // would be cast to a negative number first.
                   (value.is_number_unsigned()
                        ? value.get<uint64_t>() <=
                              static_cast<uint64_t>(std::numeric_limits<int>::max())
                        : value.get<int64_t>() >= std::numeric_limits<int>::min() &&
                              value.get<int64_t>() <= std::numeric_limits<int>::max())) {
          out->set_cuped_pre_period_days(value.get<int>());
        } else {
          return absl::InvalidArgumentError(
              absl::StrCat(field, " must be a whole number of days or none, got ", value.dump()));
        }
      } else if (key == "mde") out->set_mde(value.get<double>());
      else if (key == "target") out->set_target(value.get<double>());
      else if (key == "baseline") out->set_baseline(value.get<double>());
      else if (key == "tier") {
        auto tier = ParseEnum<v1::MetricTier>(value, field, "METRIC_TIER_", ParseTier);
        if (!tier.ok()) return tier.status();
        out->set_tier(*tier);
      } else if (key == "target_date") out->set_target_date(text());  // weekly review KPI fields
      else if (key == "warning_threshold") out->set_warning_threshold(value.get<double>());
      else if (key == "alert_threshold") out->set_alert_threshold(value.get<double>());
      else if (key == "version" || key == "created_at_micros" || key == "created_by") {
        // output only
      } else {
        return absl::InvalidArgumentError(absl::StrCat("unknown field ", field));
      }
    }
  } catch (const Json::exception& error) {
    return absl::InvalidArgumentError(absl::StrCat(at, ": wrong type: ", error.what()));
  }
  return absl::OkStatus();
}

// Stub with the client's channel and deadline (the client library has no metric methods yet).
template <typename Request, typename Response,
          typename Method = grpc::Status (v1::MetricService::Stub::*)(grpc::ClientContext*,
                                                                      const Request&, Response*)>
absl::StatusOr<Response> CallMetrics(lift::client::Client& client, Method method,
                                     const Request& request) {
  auto stub = v1::MetricService::NewStub(client.channel());
  grpc::ClientContext context;
  client.Prepare(context);
  Response response;
  const grpc::Status status = ((*stub).*method)(&context, request, &response);
  if (!status.ok()) return lift::client::FromGrpcStatus(status);
  return response;
}

std::string Lower(const std::string& name, const std::string& prefix) {
  return absl::AsciiStrToLower(name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name);
}

struct ApplyOptions {
  std::string file;
  bool dry_run = false;
};

int Apply(lift::client::Client& client, const ApplyOptions& options) {
  absl::StatusOr<std::string> text = ReadInputFile(options.file);
  if (!text.ok()) return Fail(text.status());
  Json document;
  try {
    document = YamlTextToJson(*text);
  } catch (const std::exception& error) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(options.file, ": ", error.what())));
  }
  const Json list = document.is_object() && document.contains("metrics") ? document["metrics"]
                                                                         : document;
  if (!list.is_array()) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat(options.file, ": expected a list of metrics (or `metrics:` with a list)")));
  }
  v1::ApplyMetricsRequest request;
  request.set_dry_run(options.dry_run);
  for (size_t i = 0; i < list.size(); ++i) {
    if (absl::Status status =
            MetricFromJson(list[i], absl::StrCat("metrics[", i, "]"), request.add_metrics());
        !status.ok()) {
      return Fail(absl::Status(status.code(), absl::StrCat(options.file, ": ", status.message())));
    }
  }
  absl::StatusOr<v1::ApplyMetricsResponse> response =
      CallMetrics<v1::ApplyMetricsRequest, v1::ApplyMetricsResponse>(
          client, &v1::MetricService::Stub::ApplyMetrics, request);
  if (!response.ok()) return Fail(response.status());
  for (const v1::MetricChange& change : response->changes()) {
    switch (change.action()) {
      case v1::MetricChange::ACTION_CREATED:
        std::cout << "metric " << change.key() << ": create (version " << change.version() << ")\n";
        break;
      case v1::MetricChange::ACTION_UPDATED:
        std::cout << "metric " << change.key() << ": update (version "
                  << change.previous_version() << " -> " << change.version() << ")\n";
        break;
      default:
        std::cout << "metric " << change.key() << ": unchanged (version " << change.version()
                  << ")\n";
    }
    for (const v1::FieldChange& field : change.changes()) {
      if (change.action() == v1::MetricChange::ACTION_CREATED) {
        std::cout << "  + " << field.field() << ": " << field.after() << "\n";
      } else {
        std::cout << "  ~ " << field.field() << ": " << field.before() << " -> " << field.after()
                  << "\n";
      }
    }
  }
  if (options.dry_run) std::cout << "dry run: nothing applied\n";
  return 0;
}

int List(lift::client::Client& client) {
  absl::StatusOr<v1::ListMetricsResponse> response =
      CallMetrics<v1::ListMetricsRequest, v1::ListMetricsResponse>(
          client, &v1::MetricService::Stub::ListMetrics, v1::ListMetricsRequest());
  if (!response.ok()) return Fail(response.status());
  std::cout << "KEY\tVERSION\tKIND\tTIER\tNAME\n";
  for (const v1::Metric& metric : response->metrics()) {
    std::cout << metric.key() << "\t" << metric.version() << "\t"
              << Lower(v1::MetricKind_Name(metric.kind()), "METRIC_KIND_") << "\t"
              << (metric.tier() == v1::METRIC_TIER_UNSPECIFIED
                      ? "-"
                      : Lower(v1::MetricTier_Name(metric.tier()), "METRIC_TIER_"))
              << "\t" << metric.name() << "\n";
  }
  return 0;
}

int PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  print.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, print);
  std::cout << json;
  return 0;
}

}  // namespace

void AddMetricCommands(CLI::App& app, Action* action) {
  CLI::App* metrics = app.add_subcommand("metrics", "Apply and inspect metric definitions");
  metrics->require_subcommand(1);

  auto apply_options = std::make_shared<ApplyOptions>();
  CLI::App* apply = metrics->add_subcommand(
      "apply", "Create or update metrics from YAML; each change becomes a new version");
  apply->add_option("-f,--file", apply_options->file, "YAML file ('-' for stdin)")->required();
  apply->add_flag("--dry-run", apply_options->dry_run, "Print the diff only");
  apply->callback([action, apply_options] {
    *action = [apply_options](lift::client::Client& client) {
      return Apply(client, *apply_options);
    };
  });

  metrics->add_subcommand("list", "The latest version of every metric")->callback([action] {
    *action = [](lift::client::Client& client) { return List(client); };
  });

  auto get_key = std::make_shared<std::string>();
  auto get_version = std::make_shared<int64_t>(0);
  CLI::App* get = metrics->add_subcommand("get", "One metric (JSON), latest or --version N");
  get->add_option("key", *get_key, "Metric key")->required();
  get->add_option("--version", *get_version, "Version (default: latest)");
  get->callback([action, get_key, get_version] {
    *action = [get_key, get_version](lift::client::Client& client) {
      v1::GetMetricRequest request;
      request.set_key(*get_key);
      request.set_version(*get_version);
      absl::StatusOr<v1::Metric> metric = CallMetrics<v1::GetMetricRequest, v1::Metric>(
          client, &v1::MetricService::Stub::GetMetric, request);
      if (!metric.ok()) return Fail(metric.status());
      return PrintJson(*metric);
    };
  });

  auto versions_key = std::make_shared<std::string>();
  CLI::App* versions = metrics->add_subcommand("versions", "Every version of a metric (JSON)");
  versions->add_option("key", *versions_key, "Metric key")->required();
  versions->callback([action, versions_key] {
    *action = [versions_key](lift::client::Client& client) {
      v1::ListMetricVersionsRequest request;
      request.set_key(*versions_key);
      absl::StatusOr<v1::ListMetricVersionsResponse> response =
          CallMetrics<v1::ListMetricVersionsRequest, v1::ListMetricVersionsResponse>(
              client, &v1::MetricService::Stub::ListMetricVersions, request);
      if (!response.ok()) return Fail(response.status());
      return PrintJson(*response);
    };
  });
}

}  // namespace lift::cli
