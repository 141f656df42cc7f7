// Metric YAML files, read exactly as `liftctl metrics apply -f -` reads them
// (clients/cpp/commands/metrics.cc: YamlTextToJson, then each metric to a lift.v1.Metric): the
// command runs with the input as standard input against a server that does not exist, so a file
// that reads cleanly ends in the ApplyMetrics call failing with UNAVAILABLE. The reader is not
// exposed on its own, so the command is the entry point.
// Properties: every input ends in exit code 1 (bad file or no server) and nothing escapes as an
// exception.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "CLI/CLI.hpp"
#include "clients/cpp/commands/command.h"
#include "clients/cpp/lift_client.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

// A client of a server that does not exist (a unix socket path that is not there): a call fails at
// once with UNAVAILABLE.
lift::client::Client& DeadClient() {
  static lift::client::Client* const client = [] {
    lift::client::ClientOptions options;
    options.server = "unix:///nonexistent/lift-fuzz/liftd.sock";
    options.timeout = std::chrono::seconds(5);
    return new lift::client::Client(options);
  }();
  return *client;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CLI::App app("liftctl");
  lift::cli::Action action;
  lift::cli::AddMetricCommands(app, &action);
  app.parse("metrics apply -f -", /*program_name_included=*/false);
  LIFT_FUZZ_CHECK(action != nullptr);

  lift::fuzz::StdinFrom input{std::string(lift::fuzz::AsText(data, size))};
  lift::fuzz::SilenceStdStreams quiet;
  const int exit_code = action(DeadClient());
  LIFT_FUZZ_CHECK(exit_code == 1);
  return 0;
}
