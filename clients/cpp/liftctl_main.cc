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
  app.add_option("--api-key", options.api_key, "API key (lift_...), sent as a Bearer token")
      ->envname("LIFT_API_KEY");
  std::string tls_ca_file, tls_cert_file, tls_key_file;
  app.add_flag("--tls", options.tls, "Connect with TLS, verifying liftd with the system's roots")
      ->envname("LIFT_TLS");
  app.add_option("--tls-ca", tls_ca_file, "Connect with TLS, verifying liftd with this CA (PEM)")
      ->envname("LIFT_TLS_CA");
  app.add_option("--tls-cert", tls_cert_file, "Client certificate (PEM) for mutual TLS")
      ->envname("LIFT_TLS_CERT");
  app.add_option("--tls-key", tls_key_file, "Private key of --tls-cert (PEM)")
      ->envname("LIFT_TLS_KEY");
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
  lift::cli::AddKeyCommands(app, &action);
  lift::cli::AddAuditCommand(app, &action);
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
  for (auto [flag, path, pem] : {std::tuple{"--tls-ca", &tls_ca_file, &options.tls_ca_pem},
                                 std::tuple{"--tls-cert", &tls_cert_file, &options.tls_cert_pem},
                                 std::tuple{"--tls-key", &tls_key_file, &options.tls_key_pem}}) {
    if (path->empty()) continue;
    auto text = lift::cli::ReadInputFile(*path);
    if (!text.ok()) {
      std::cerr << "liftctl: error: " << flag << ": cannot read '" << *path << "'" << std::endl;
      return 2;
    }
    *pem = *std::move(text);
  }
  if (tls_cert_file.empty() != tls_key_file.empty()) {
    std::cerr << "liftctl: error: --tls-cert and --tls-key must be given together" << std::endl;
    return 2;
  }
  // --- end security files ---
  lift::client::Client client(options);
  return action(client);
}
