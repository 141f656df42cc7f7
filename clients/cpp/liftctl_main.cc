// liftctl: the Lift command line. Talks to liftd (--server, or LIFT_SERVER). Subcommand groups live
// in commands/*.cc (see commands/command.h); this file only registers them and runs the one chosen.
// Exit codes: 0 success, 1 the operation failed, 2 bad usage.
#include <iostream>
#include <string>
#include <tuple>

#include "CLI/CLI.hpp"
#include "clients/cpp/analyze/analyze_command.h"
#include "clients/cpp/commands/command.h"
#include "clients/cpp/lift_client.h"

int main(int argc, char** argv) {
  CLI::App app{"liftctl: command line for Lift, the experimentation service"};
  app.require_subcommand(1);
  lift::client::ClientOptions options;
  app.add_option("--server", options.server, "liftd address (host:port)")
      ->envname("LIFT_SERVER")
      ->capture_default_str();
  int timeout_ms = 10000;
  app.add_option("--timeout-ms", timeout_ms, "Deadline of each call in milliseconds")
      ->capture_default_str();
  // --- security flags ---
  // --- end security flags ---

  lift::cli::Action action;
  lift::cli::AddSystemCommands(app, &action);
  lift::cli::AddExperimentCommands(app, &action);
  lift::cli::AddConfigCommands(app, &action);
  lift::cli::AddAssignCommand(app, &action);
  lift::cli::AddIngestCommands(app, &action);
  lift::cli::AddMetricCommands(app, &action);
  lift::cli::AddReadoutCommand(app, &action);
  // --- weekly review ---
  lift::cli::AddReviewCommand(app, &action);
  // --- end weekly review ---
  // --- launches ---
  lift::cli::AddLaunchCommands(app, &action);
  // --- end launches ---
  // --- security ---
  // --- end security ---
  auto analyze = lift::analyze::AddAnalyzeCommand(app);  // local files, no server
  CLI11_PARSE(app, argc, argv);
  if (analyze->Selected()) return analyze->Run(std::cout, std::cerr);
  if (!action) {
    std::cerr << app.help() << std::endl;
    return 2;
  }
  options.timeout = std::chrono::milliseconds(timeout_ms);
  // --- security files ---
  // --- end security files ---
  lift::client::Client client(options);
  return action(client);
}
