// liftctl: the Lift command line. Talks to liftd (--server, or LIFT_SERVER); `analyze` works on
// local files without a server. Exit codes: 0 success, 1 the operation failed, 2 bad usage.
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "clients/cpp/lift_client.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << "liftctl: error: " << status.message() << " (" << absl::StatusCodeToString(status.code())
            << ")" << std::endl;
  return 1;
}

}  // namespace

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

  auto* ping = app.add_subcommand("ping", "Round trip to liftd and print the latency");
  auto* health = app.add_subcommand("health", "Check liftd's standard gRPC health service");
  auto* info = app.add_subcommand("server-info", "Print liftd's version, database and schema");
  CLI11_PARSE(app, argc, argv);
  options.timeout = std::chrono::milliseconds(timeout_ms);
  lift::client::Client client(options);

  if (*ping) {
    auto latency = client.Ping();
    if (!latency.ok()) return Fail(latency.status());
    std::cout << "pong from " << options.server << " in " << latency->count() << " us" << std::endl;
  } else if (*health) {
    if (auto status = client.CheckHealth(); !status.ok()) return Fail(status);
    std::cout << "SERVING" << std::endl;
  } else if (*info) {
    auto response = client.GetServerInfo();
    if (!response.ok()) return Fail(response.status());
    std::cout << "version:        " << response->version() << "\n"
              << "database:       " << response->database_mode() << "\n"
              << "schema version: " << response->schema_version() << std::endl;
  }
  return 0;
}
