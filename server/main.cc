// liftd: the Lift experimentation service. Parses flags (with LIFT_* environment fallbacks), starts
// the server, and shuts it down gracefully on SIGINT/SIGTERM.
#include <signal.h>

#include <chrono>
#include <iostream>

#include "CLI/CLI.hpp"
#include "server/lift_server.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  // Block the shutdown signals before any thread starts, so only sigwait below receives them.
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGINT);
  sigaddset(&shutdown_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);

  lift::ServerOptions options;
  std::string log_level = "info";
  CLI::App app{"liftd: the Lift experimentation and statistics service"};
  app.add_option("--listen", options.listen, "gRPC listen address (host:port)")
      ->envname("LIFT_LISTEN")
      ->capture_default_str();
  app.add_option("--database-url", options.database_url,
                 "PostgreSQL URL; when empty liftd starts an embedded PostgreSQL in --data-dir")
      ->envname("LIFT_DATABASE_URL");
  app.add_option("--data-dir", options.data_dir, "Directory for the embedded database")
      ->envname("LIFT_DATA_DIR")
      ->capture_default_str();
  app.add_option("--pg-bin-dir", options.pg_bin_dir, "PostgreSQL server binaries (initdb, postgres)")
      ->envname("LIFT_PG_BIN_DIR")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->envname("LIFT_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ liftd: %v");

  const auto started = std::chrono::steady_clock::now();
  auto server = lift::LiftServer::Start(options);
  if (!server.ok()) {
    std::cerr << "liftd: error: " << server.status().message() << std::endl;
    return 1;
  }
  spdlog::info("started, listening on {} (database: {}, schema version {})",
               (*server)->listen_address(), (*server)->database_description(),
               (*server)->schema_version());

  int signal_number = 0;
  sigwait(&shutdown_signals, &signal_number);
  spdlog::info("received {}, shutting down", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->Shutdown();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  spdlog::info("stopped, listening on {} closed after {} s", (*server)->listen_address(), seconds);
  return 0;
}
