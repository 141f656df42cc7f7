// CSV files of `liftctl ingest exposures|events --csv FILE --dry-run` (clients/cpp/commands/
// ingest.cc over clients/cpp/analyze/csv_reader.h): the header and required columns, RFC 3339
// timestamps, event values, extra columns as attributes / properties. The first input byte picks
// exposures (even) or events (odd); the rest is the file. --dry-run reads and checks every row
// without sending anything (the client points at a server that does not exist anyway).
// Properties: every input ends in exit code 0 (all rows valid) or 1 (bad file or rejected rows).
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
  if (size == 0) return 0;
  const bool exposures = data[0] % 2 == 0;
  const std::string path = lift::fuzz::WriteScratchFile(lift::fuzz::AsText(data + 1, size - 1));
  if (path.empty()) return 0;

  CLI::App app("liftctl");
  lift::cli::Action action;
  lift::cli::AddIngestCommands(app, &action);
  app.parse(std::string("ingest ") + (exposures ? "exposures" : "events") + " --csv " + path +
                " --batch 3 --dry-run",
            /*program_name_included=*/false);
  LIFT_FUZZ_CHECK(action != nullptr);

  lift::fuzz::SilenceStdStreams quiet;
  const int exit_code = action(DeadClient());
  LIFT_FUZZ_CHECK(exit_code == 0 || exit_code == 1);
  return 0;
}
