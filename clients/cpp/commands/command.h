// liftctl's subcommands. Each Add*Commands function registers a group of subcommands on the CLI11
// app; when the user selects one, its parse callback stores in *action what to run, and main()
// runs that action with a Client for --server once parsing is done. One file per group
// (commands/<group>.cc), so new groups (e.g. `analyze`) do not touch the others.
//
// Actions print results to stdout, errors to stderr ("liftctl: error: ..."), and return the exit
// code: 0 success, 1 the operation failed, 2 bad usage.
#ifndef LIFT_CLIENTS_CPP_COMMANDS_COMMAND_H_
#define LIFT_CLIENTS_CPP_COMMANDS_COMMAND_H_

#include <functional>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "clients/cpp/lift_client.h"

namespace lift::cli {

using Action = std::function<int(lift::client::Client& client)>;

// ping, health, server-info.
void AddSystemCommands(CLI::App& app, Action* action);
// experiments apply|list|get|start|stop|archive.
void AddExperimentCommands(CLI::App& app, Action* action);
// overrides set|clear|list, layers create|list, holdouts create|list|delete.
void AddConfigCommands(CLI::App& app, Action* action);
// assign KEY --unit ID [--attr k=v ...] [--json].
void AddAssignCommand(CLI::App& app, Action* action);

// metrics apply|list|get|versions.
void AddMetricCommands(CLI::App& app, Action* action);
// readout KEY [--phase N] [--alpha A] [--fixed-horizon] [--format table|json|md].
void AddReadoutCommand(CLI::App& app, Action* action);
// ingest exposures|events --csv FILE [--batch N] [--dry-run].
void AddIngestCommands(CLI::App& app, Action* action);
// --- weekly review ---
// review [--week 2026-W47] [--format md|html|json] [-o FILE] (commands/review.cc).
void AddReviewCommand(CLI::App& app, Action* action);
// --- end weekly review ---
// --- launches ---
// launch analyze|create|list (difference in differences around a launch).
void AddLaunchCommands(CLI::App& app, Action* action);
// --- end launches ---
// --- security ---
// keys create --name N --scope S [--scope S2] | list [--all] | revoke NAME (commands/keys.cc).
void AddKeyCommands(CLI::App& app, Action* action);
// audit [--since T] [--until T] [--actor NAME] [--entity TYPE[:KEY]] [--limit N] [--json].
void AddAuditCommand(CLI::App& app, Action* action);
// --- end security ---

// The whole text of `path`, or of standard input when `path` is "-". NotFound when unreadable.
absl::StatusOr<std::string> ReadInputFile(const std::string& path);

// Prints "liftctl: error: MESSAGE (CODE)" to stderr; returns 1.
int Fail(const absl::Status& status);

}  // namespace lift::cli

#endif  // LIFT_CLIENTS_CPP_COMMANDS_COMMAND_H_
