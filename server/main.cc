// liftd: the Lift experimentation service. Parses flags (with LIFT_* environment fallbacks), starts
// the server, and shuts it down gracefully on SIGINT/SIGTERM.
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
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
  app.add_flag("--insecure-no-auth", options.insecure_no_auth,
               "Accept every call without an API key (LOCAL DEVELOPMENT ONLY)")
      ->envname("LIFT_INSECURE_NO_AUTH");
  app.add_option("--tls-cert", options.tls_cert_file,
                 "Server certificate chain (PEM); with --tls-key, liftd serves TLS only. "
                 "Rotated files are picked up by new connections, no restart needed")
      ->envname("LIFT_TLS_CERT");
  app.add_option("--tls-key", options.tls_key_file, "Private key of --tls-cert (PEM)")
      ->envname("LIFT_TLS_KEY");
  app.add_option("--tls-client-ca", options.tls_client_ca_file,
                 "CA (PEM) for mutual TLS: clients must present a certificate it signed")
      ->envname("LIFT_TLS_CLIENT_CA");
  app.add_option("--admin-rate-limit", options.admin_rate_limit,
                 "Admin-scope RPCs per second per API key (bursts of twice that); 0: no limit")
      ->envname("LIFT_ADMIN_RATE_LIMIT")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--ingest-queue-rows", options.ingest_queue_rows,
                 "Rows each ingest queue holds before LogExposures/LogEvents answer "
                 "RESOURCE_EXHAUSTED (back-pressure)")
      ->envname("LIFT_INGEST_QUEUE_ROWS")
      // At least one full request (ingest::kMaxRowsPerMessage rows): a smaller queue would
      // refuse such a request forever, however long the client waits.
      ->check(CLI::Range(size_t{10'000}, size_t{100'000'000}))
      ->capture_default_str();
  int64_t snapshot_interval_seconds = options.snapshot_interval.count();
  app.add_option("--snapshot-interval", snapshot_interval_seconds,
                 "Seconds between background runs that store finished days of live experiments "
                 "for readout time series; 0: off")
      ->envname("LIFT_SNAPSHOT_INTERVAL")
      ->check(CLI::Range(int64_t{0}, int64_t{86400}))
      ->capture_default_str();
  double exposure_fold_delay_seconds = options.exposure_fold_delay.count() / 1000.0;
  app.add_option("--exposure-fold-delay", exposure_fold_delay_seconds,
                 "Seconds acknowledged exposures wait before the background fold into first "
                 "exposures (flushes meanwhile fold together); readouts fold what is left first")
      ->envname("LIFT_EXPOSURE_FOLD_DELAY")
      ->check(CLI::Range(0.01, 3600.0))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.exposure_fold_delay =
      std::chrono::milliseconds(static_cast<int64_t>(exposure_fold_delay_seconds * 1000));
  options.snapshot_interval = std::chrono::seconds(snapshot_interval_seconds);
  // Only from the environment (a flag would show the key in `ps`).
  if (const char* key = std::getenv("LIFT_BOOTSTRAP_ADMIN_KEY"); key != nullptr) {
    options.bootstrap_admin_key = key;
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ liftd: %v");

  const auto started = std::chrono::steady_clock::now();
  auto server = lift::LiftServer::Start(options);
  if (!server.ok()) {
    std::cerr << "liftd: error: " << server.status().message() << std::endl;
    return 1;
  }
  spdlog::info("started, listening on {} (database: {}, schema version {}, {})",
               (*server)->listen_address(), (*server)->database_description(),
               (*server)->schema_version(), (*server)->security_description());
  if (options.insecure_no_auth) {
    spdlog::warn(
        "*** --insecure-no-auth: NO AUTHENTICATION. Every client may call every RPC (rewrite "
        "experiments, read user-level data). For local development only; never expose this "
        "liftd. ***");
  }
  if (const std::string& key = (*server)->generated_bootstrap_key(); !key.empty()) {
    // Printed once, on the first start: it is not stored anywhere in clear.
    std::cerr << "\n"
              << "==================================================================================\n"
              << "  liftd generated the bootstrap admin API key (name 'bootstrap-admin').\n"
              << "  It is shown ONCE and cannot be recovered: store it now.\n\n"
              << "      " << key << "\n\n"
              << "  Use it:  LIFT_API_KEY=<key> liftctl keys create --name NAME --scope assign\n"
              << "==================================================================================\n"
              << std::endl;
  }

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
