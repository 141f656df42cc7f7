// liftctl ping | health | server-info.
#include <iostream>
#include <memory>

#include "clients/cpp/commands/command.h"

namespace lift::cli {

void AddSystemCommands(CLI::App& app, Action* action) {
  app.add_subcommand("ping", "Round trip to liftd and print the latency")->callback([action] {
    *action = [](lift::client::Client& client) {
      auto latency = client.Ping();
      if (!latency.ok()) return Fail(latency.status());
      std::cout << "pong from " << client.options().server << " in " << latency->count() << " us"
                << std::endl;
      return 0;
    };
  });
  app.add_subcommand("health", "Check liftd's standard gRPC health service")->callback([action] {
    *action = [](lift::client::Client& client) {
      if (auto status = client.CheckHealth(); !status.ok()) return Fail(status);
      std::cout << "SERVING" << std::endl;
      return 0;
    };
  });
  app.add_subcommand("server-info", "Print liftd's version, database and schema")
      ->callback([action] {
        *action = [](lift::client::Client& client) {
          auto response = client.GetServerInfo();
          if (!response.ok()) return Fail(response.status());
          std::cout << "version:        " << response->version() << "\n"
                    << "database:       " << response->database_mode() << "\n"
                    << "schema version: " << response->schema_version() << std::endl;
          // --- security ---
          if (!response->auth_mode().empty()) {
            std::cout << "auth:           " << response->auth_mode()
                      << (response->auth_mode() == "insecure-no-auth"
                              ? "   WARNING: NO AUTHENTICATION, every call is allowed "
                                "(local development only)"
                              : "")
                      << "\n"
                      << "transport:      " << response->transport() << std::endl;
          }
          // --- end security ---
          return 0;
        };
      });
}

}  // namespace lift::cli
