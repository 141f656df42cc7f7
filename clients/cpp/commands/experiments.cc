// liftctl experiments apply | list | get | start | stop | archive.
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "clients/cpp/commands/command.h"
#include "clients/cpp/commands/experiment_yaml.h"

namespace lift::cli {
namespace {

std::string StatusName(lift::v1::ExperimentStatus status) {
  std::string name = lift::v1::ExperimentStatus_Name(status);
  constexpr absl::string_view kPrefix = "EXPERIMENT_STATUS_";
  if (name.rfind(std::string(kPrefix), 0) == 0) name = name.substr(kPrefix.size());
  return absl::AsciiStrToLower(name);
}

struct ApplyOptions {
  std::string file;
  bool dry_run = false;
};

int Apply(lift::client::Client& client, const ApplyOptions& options) {
  absl::StatusOr<std::string> text = ReadInputFile(options.file);
  if (!text.ok()) return Fail(text.status());
  absl::StatusOr<lift::v1::Experiment> desired = ExperimentFromYaml(*text);
  if (!desired.ok()) {
    return Fail(absl::Status(desired.status().code(),
                             absl::StrCat(options.file, ": ", desired.status().message())));
  }
  if (desired->key().empty()) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(options.file, ": `key` is required")));
  }
  const std::string& key = desired->key();
  absl::StatusOr<lift::v1::Experiment> existing = client.GetExperiment(key);
  if (!existing.ok() && existing.status().code() != absl::StatusCode::kNotFound) {
    return Fail(existing.status());
  }

  if (!existing.ok()) {
    std::cout << "experiment " << key << ": create" << std::endl;
    for (const std::string& line :
         DiffLines(EditableFields(lift::v1::Experiment()), EditableFields(*desired))) {
      std::cout << "  " << line << std::endl;
    }
    if (options.dry_run) {
      std::cout << "dry run: nothing applied" << std::endl;
      return 0;
    }
    absl::StatusOr<lift::v1::Experiment> created = client.CreateExperiment(*desired);
    if (!created.ok()) return Fail(created.status());
    std::cout << "created experiment " << key << " (" << StatusName(created->status())
              << ", version " << created->version() << ")" << std::endl;
    return 0;
  }

  const std::vector<std::string> lines =
      DiffLines(EditableFields(*existing), EditableFields(*desired));
  if (lines.empty()) {
    std::cout << "experiment " << key << ": no changes (" << StatusName(existing->status())
              << ", version " << existing->version() << ")" << std::endl;
    return 0;
  }
  std::cout << "experiment " << key << ": update (" << StatusName(existing->status())
            << ", version " << existing->version() << ")" << std::endl;
  for (const std::string& line : lines) std::cout << "  " << line << std::endl;
  if (options.dry_run) {
    std::cout << "dry run: nothing applied" << std::endl;
    return 0;
  }
  lift::v1::UpdateExperimentRequest request;
  *request.mutable_experiment() = *desired;
  request.set_expected_version(existing->version());
  absl::StatusOr<lift::v1::UpdateExperimentResponse> updated = client.UpdateExperiment(request);
  if (!updated.ok()) return Fail(updated.status());
  std::cout << "updated experiment " << key << " to version " << updated->experiment().version()
            << std::endl;
  if (updated->new_phase()) {
    std::cout << "new phase " << updated->experiment().phase()
              << " started (the readout restarts): " << updated->new_phase_reason() << std::endl;
  }
  return 0;
}

struct ListOptions {
  std::string status;
  std::string tag;
  std::string owner;
  int limit = 100;
};

int List(lift::client::Client& client, const ListOptions& options) {
  lift::v1::ListExperimentsRequest request;
  if (!options.status.empty()) {
    lift::v1::ExperimentStatus status;
    if (!lift::v1::ExperimentStatus_Parse(
            "EXPERIMENT_STATUS_" + absl::AsciiStrToUpper(options.status), &status)) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
          "--status must be draft, running, stopped or archived, got ", options.status)));
    }
    request.set_status(status);
  }
  request.set_tag(options.tag);
  request.set_owner(options.owner);
  std::printf("%-32s %-9s %5s %-28s %8s %7s  %s\n", "KEY", "STATUS", "PHASE", "VARIANTS",
              "COVERAGE", "VERSION", "OWNER");
  int printed = 0;
  while (printed < options.limit) {
    request.mutable_page()->set_page_size(std::min(options.limit - printed, 1000));
    absl::StatusOr<lift::v1::ListExperimentsResponse> page = client.ListExperiments(request);
    if (!page.ok()) return Fail(page.status());
    for (const lift::v1::Experiment& e : page->experiments()) {
      std::vector<std::string> variants;
      for (const auto& v : e.variants()) variants.push_back(absl::StrCat(v.key(), ":", v.weight()));
      std::printf("%-32s %-9s %5d %-28s %8g %7lld  %s\n", e.key().c_str(),
                  StatusName(e.status()).c_str(), e.phase(), absl::StrJoin(variants, ",").c_str(),
                  e.coverage(), static_cast<long long>(e.version()), e.owner().c_str());
      ++printed;
    }
    if (page->page().next_page_token().empty()) break;
    request.mutable_page()->set_page_token(page->page().next_page_token());
  }
  return 0;
}

int Get(lift::client::Client& client, const std::string& key, const std::string& format) {
  absl::StatusOr<lift::v1::Experiment> experiment = client.GetExperiment(key);
  if (!experiment.ok()) return Fail(experiment.status());
  if (format == "json") {
    std::string text;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.add_whitespace = true;
    (void)google::protobuf::util::MessageToJsonString(*experiment, &text, options);
    std::cout << text;
  } else {
    std::cout << ExperimentToYaml(*experiment);
  }
  return 0;
}

void PrintTransition(const char* verb, const lift::v1::Experiment& e) {
  std::cout << verb << " experiment " << e.key() << ": " << StatusName(e.status()) << ", phase "
            << e.phase() << ", version " << e.version();
  if (!e.winning_variant().empty())
    std::cout << ", serving " << e.winning_variant() << " to everyone";
  std::cout << std::endl;
}

}  // namespace

void AddExperimentCommands(CLI::App& app, Action* action) {
  CLI::App* experiments = app.add_subcommand("experiments", "Create, change and list experiments");
  experiments->require_subcommand(1);

  auto apply_options = std::make_shared<ApplyOptions>();
  CLI::App* apply = experiments->add_subcommand(
      "apply",
      "Create or update an experiment from YAML (keys: the proto field names); prints "
      "the diff");
  apply->add_option("-f,--file", apply_options->file, "YAML file ('-' for stdin)")->required();
  apply->add_flag("--dry-run", apply_options->dry_run, "Print the diff only");
  apply->callback([action, apply_options] {
    *action = [apply_options](lift::client::Client& client) {
      return Apply(client, *apply_options);
    };
  });

  auto list_options = std::make_shared<ListOptions>();
  CLI::App* list = experiments->add_subcommand("list", "List experiments");
  list->add_option("--status", list_options->status, "draft, running, stopped or archived");
  list->add_option("--tag", list_options->tag, "Only experiments with this tag");
  list->add_option("--owner", list_options->owner, "Only experiments of this owner");
  list->add_option("--limit", list_options->limit, "Print at most this many")
      ->capture_default_str();
  list->callback([action, list_options] {
    *action = [list_options](lift::client::Client& client) { return List(client, *list_options); };
  });

  auto get_key = std::make_shared<std::string>();
  auto get_format = std::make_shared<std::string>("yaml");
  CLI::App* get = experiments->add_subcommand("get", "Print one experiment with its phases");
  get->add_option("key", *get_key, "Experiment key")->required();
  get->add_option("-o,--output", *get_format, "yaml or json")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();
  get->callback([action, get_key, get_format] {
    *action = [get_key, get_format](lift::client::Client& client) {
      return Get(client, *get_key, *get_format);
    };
  });

  struct TransitionOptions {
    std::string key;
    std::string winner;
    std::string started_at;  // RFC 3339, start only
    int64_t expected_version = 0;
  };
  auto add_transition = [&](const char* name, const char* help, bool with_winner) {
    auto options = std::make_shared<TransitionOptions>();
    CLI::App* command = experiments->add_subcommand(name, help);
    command->add_option("key", options->key, "Experiment key")->required();
    command->add_option("--expected-version", options->expected_version,
                        "Fail (ABORTED) unless the experiment is at this version");
    if (with_winner) {
      command->add_option("--winner", options->winner, "Variant to serve to everyone from now on");
    }
    if (std::string(name) == "start") {
      command->add_option("--started-at", options->started_at,
                          "Backdate the first phase to this RFC 3339 instant (imported experiments)");
    }
    const std::string verb = name;
    command->callback([action, options, verb] {
      *action = [options, verb](lift::client::Client& client) {
        absl::StatusOr<lift::v1::Experiment> result;
        if (verb == "start") {
          int64_t started_at_micros = 0;
          if (!options->started_at.empty()) {
            absl::Time started_at;
            std::string error;
            if (!absl::ParseTime(absl::RFC3339_full, options->started_at, &started_at, &error)) {
              std::cerr << "liftctl: error: --started-at '" << options->started_at
                        << "' is not an RFC 3339 timestamp (e.g. 2026-11-02T00:00:00Z)\n";
              return 2;
            }
            started_at_micros = absl::ToUnixMicros(started_at);
          }
          result = client.StartExperiment(options->key, options->expected_version,
                                          started_at_micros);
        } else if (verb == "stop") {
          result = client.StopExperiment(options->key, options->winner, options->expected_version);
        } else {
          result = client.ArchiveExperiment(options->key, options->expected_version);
        }
        if (!result.ok()) return Fail(result.status());
        PrintTransition(verb == "start"  ? "started"
                        : verb == "stop" ? "stopped"
                                         : "archived",
                        *result);
        return 0;
      };
    });
  };
  add_transition("start", "Start a draft experiment (opens phase 1)", false);
  add_transition("stop", "Stop a running experiment, optionally with a winning variant", true);
  add_transition("archive", "Archive a draft or stopped experiment", false);
}

}  // namespace lift::cli
